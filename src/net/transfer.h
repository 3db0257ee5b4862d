// One HTTP(S) request/response over a libcurl easy handle, reported to a TransferSink. FTP, FTPS
// and SFTP transfers are reported in the same HTTP shape: a ranged request gets a 206 with an
// exact Content-Range when the server can serve from an offset and told the file size, else an
// honest 200 from byte 0 (see describe_file_response in net/http_setup.h).
// A Transfer is owned by whoever created it (a Job) and used only on the network thread; it must be
// removed from its TransferLoop before it is destroyed (TransferLoop does that on completion).
#pragma once

#include "spate/error.h"
#include "spate/http_options.h"
#include "spate/task.h"

#include "net/http_setup.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

using CURL = void;  // libcurl's easy handle type, kept opaque outside src/net/*.cc
struct curl_slist;

namespace spate::net {

struct Request {
  std::string url;
  std::int64_t range_begin = -1;  // -1: no Range header
  std::int64_t range_end = -1;    // exclusive end; -1: open ("bytes=BEGIN-")
  bool head = false;              // HEAD instead of GET
  std::string if_range;           // If-Range validator, sent with a Range when non-empty
  HttpOptions http;  // headers, credentials, proxies, TLS: applied by apply_http_options
  std::string user_agent;
  long connect_timeout_ms = 30000;
  long stall_timeout_s = 60;  // abort when no byte arrived for this long
  long max_redirects = 20;
  long buffer_size = 512L * 1024;
  // HTTP/1.1 only: one request per TCP connection at a time. Segments of one file use it so they
  // travel on separate connections even when the server speaks HTTP/2 (multiplexing them into
  // one connection would defeat the split).
  bool http11_only = false;
};

struct ResponseHead {
  int status = 0;
  std::optional<std::int64_t> content_length;
  std::string content_range;
  std::string etag;
  std::string last_modified;
  std::string content_disposition;
  std::string retry_after;
  std::string accept_ranges;
  std::string effective_url;
};

enum class DataVerdict {
  Continue,
  Stop,   // the range is complete (it may have shrunk): end the transfer, which is not an error
  Pause,  // over the bandwidth budget: libcurl keeps the data and re-delivers it after resume()
  Fail,   // the sink recorded an error; abort
};

// Callbacks arrive on the network thread from inside libcurl. They must not throw, and must not
// add or remove transfers (the Job defers that to its next pump).
class TransferSink {
 public:
  virtual ~TransferSink() = default;
  // Once, before the first body byte (or at the end for an empty body). An error refuses the
  // response: no byte of it is delivered and on_done reports that error.
  virtual Result<void> on_head(const ResponseHead& head) noexcept = 0;
  virtual DataVerdict on_data(std::span<const char> data) noexcept = 0;
  // Exactly once, after the transfer left the loop. Stop verdicts end in success.
  virtual void on_done(Result<void> outcome) noexcept = 0;
};

class Transfer {
 public:
  static Result<std::unique_ptr<Transfer>> create(const Request& request, TransferSink& sink);
  ~Transfer();
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;

  CURL* handle() const { return easy_; }
  // Continues a transfer paused by DataVerdict::Pause. libcurl may deliver the held data from
  // inside this call, so call it from the loop, never from a callback.
  void resume() noexcept;
  // What this transfer needs from the Session-wide state (read by TransferLoop::add).
  const SharedStateRequest& shared_state() const { return shared_state_; }
  // Called by TransferLoop with the libcurl result code once the transfer left the loop.
  void finish(int curl_code) noexcept;

 private:
  enum class Protocol { Http, Ftp, Sftp };  // by the URL's scheme; FTP covers FTPS

  Transfer(CURL* easy, TransferSink& sink) : easy_(easy), sink_(sink) {}
  void set_range(const Request& request);
  void note_ftp_reply(std::string_view line) noexcept;
  void describe_file_transfer() noexcept;
  Error describe_failure(int curl_code) const noexcept;
  static std::size_t header_callback(char* data, std::size_t size, std::size_t count,
                                     void* self) noexcept;
  static std::size_t write_callback(char* data, std::size_t size, std::size_t count,
                                    void* self) noexcept;
  bool deliver_head() noexcept;

  CURL* easy_;
  TransferSink& sink_;
  ::curl_slist* header_list_ = nullptr;
  ::curl_slist* prequote_list_ = nullptr;  // FTP: "*REST 0"
  SharedStateRequest shared_state_;
  ResponseHead head_;
  bool head_delivered_ = false;
  std::optional<Error> refused_;  // on_head refused the response
  bool stopped_ = false;          // sink said Stop
  bool failed_ = false;           // sink said Fail
  bool finished_ = false;

  // FTP/SFTP (native, no HTTP status line): what describe_file_transfer needs, and the byte
  // budget it sets for a 206 so that no byte past the announced range reaches the sink.
  Protocol protocol_ = Protocol::Http;
  bool proxy_tls_verified_ = true;  // an https proxy's certificate is checked (describe_failure)
  std::int64_t range_begin_ = -1;
  std::int64_t range_end_ = -1;
  std::vector<std::int64_t> ftp_213_replies_;  // "213 N": MDTM's time, then SIZE's byte count
  bool ftp_rest_accepted_ = false;             // a "350" reply to REST
  std::int64_t byte_limit_ = -1;               // -1: no limit
  std::int64_t delivered_ = 0;
};

}  // namespace spate::net
