// Response writing for the test HttpServer: turns a FaultPlan into bytes on a socket, lies
// included. Stateless functions; the socket is used by the calling thread only.
#pragma once

#include "support/fault_plan.h"
#include "support/http_request.h"
#include "support/socket_io.h"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spate::testing {

// What the connection does once a response has been written.
enum class Continuation {
  KeepAlive,  // ready for the next request
  Close,      // close normally (FIN)
  Reset,      // close with RST
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Writes the response `plan` prescribes for `request`. `plan` must already be adjusted for this
// request's number (plan_for_request).
Continuation write_planned_response(int fd, const ParsedRequest& request, const FaultPlan& plan,
                                    const StopToken& stop);

// Writes a small text/plain response; `head_only` omits the body. `keep_alive` is the client's
// wish; the result says whether the connection may continue.
Continuation write_simple_response(int fd, int status, std::string_view body,
                                   const HeaderList& headers, bool head_only, bool keep_alive,
                                   const StopToken& stop);

}  // namespace spate::testing
