#include "support/http_response.h"

#include "support/content.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <span>

namespace spate::testing {
namespace {

constexpr std::size_t kBlockSize = std::size_t{256} * 1024;  // unthrottled body writes
constexpr std::size_t kThrottleMaxBlock = std::size_t{16} * 1024;
constexpr std::size_t kChunkPrefixRoom = 24;  // "<hex size>\r\n" before a chunk's data

std::string status_line(int status) {
  std::string line = "HTTP/1.1 " + std::to_string(status) + " ";
  line.append(reason_phrase(status)).append("\r\n");
  return line;
}

void add_header(std::string& head, std::string_view name, std::string_view value) {
  head.append(name).append(": ").append(value).append("\r\n");
}

// Whether an If-Range precondition (absent = true) still matches the current representation.
bool if_range_matches(const ParsedRequest& request, const FaultPlan& plan) {
  const std::string value = request.header("if-range");
  if (value.empty()) return true;
  if (value.front() == '"' || value.rfind("W/", 0) == 0) {
    // Strong comparison only, as RFC 9110 requires for If-Range.
    return !plan.etag.empty() && plan.etag.rfind("W/", 0) != 0 && value == plan.etag;
  }
  return !plan.last_modified.empty() && value == plan.last_modified;
}

// The fault that cuts the body short, if any, and after how many body bytes.
struct BodyCut {
  enum class Action { None, Close, Reset, Stall };
  Action action = Action::None;
  std::int64_t after = 0;
};

BodyCut body_cut(const FaultPlan& plan, std::int64_t length) {
  const auto applies = [length](std::int64_t n) { return n >= 0 && n < length; };
  if (applies(plan.reset_after_bytes)) return {BodyCut::Action::Reset, plan.reset_after_bytes};
  if (applies(plan.close_after_bytes)) return {BodyCut::Action::Close, plan.close_after_bytes};
  if (applies(plan.stall_after_bytes)) return {BodyCut::Action::Stall, plan.stall_after_bytes};
  return {};
}

// Sends body bytes [first, first + count) of the plan's content, paced when throttled.
bool send_body(int fd, const FaultPlan& plan, std::int64_t first, std::int64_t count,
               const StopToken& stop) {
  const bool throttled = plan.throttle_bps > 0;
  // Small blocks (~1/20 s each) keep a throttled rate smooth.
  const std::size_t block =
      throttled ? std::clamp<std::size_t>(static_cast<std::size_t>(plan.throttle_bps / 20), 1,
                                          kThrottleMaxBlock)
                : kBlockSize;
  std::vector<char> buffer(kChunkPrefixRoom + block + 2);
  const auto start = std::chrono::steady_clock::now();
  for (std::int64_t sent = 0; sent < count;) {
    const auto n = static_cast<std::size_t>(
        std::min<std::int64_t>(count - sent, static_cast<std::int64_t>(block)));
    char* data = buffer.data() + kChunkPrefixRoom;
    fill_content(plan.seed, first + sent, std::span<char>(data, n));
    const char* out = data;
    std::size_t out_size = n;
    if (plan.chunked) {
      char prefix[kChunkPrefixRoom];
      auto [end, ec] = std::to_chars(prefix, prefix + sizeof prefix - 2, n, 16);
      *end++ = '\r';
      *end++ = '\n';
      const auto prefix_size = static_cast<std::size_t>(end - prefix);
      out = data - prefix_size;
      std::copy(prefix, end, data - prefix_size);
      data[n] = '\r';
      data[n + 1] = '\n';
      out_size = prefix_size + n + 2;
    }
    if (send_all(fd, out, out_size, stop) != IoResult::Ok) return false;
    sent += static_cast<std::int64_t>(n);
    if (throttled && sent < count) {  // no pacing after the last block: the response is over
      const auto due = start + std::chrono::microseconds(sent * 1'000'000 / plan.throttle_bps);
      const auto ahead = due - std::chrono::steady_clock::now();
      if (ahead > std::chrono::microseconds(0)) {
        const auto ms = std::chrono::ceil<std::chrono::milliseconds>(ahead).count();
        if (!sleep_unless_stopped(static_cast<int>(ms), stop)) return false;
      }
    }
  }
  return true;
}

}  // namespace

Continuation write_simple_response(int fd, int status, std::string_view body,
                                   const HeaderList& headers, bool head_only, bool keep_alive,
                                   const StopToken& stop) {
  std::string out = status_line(status);
  add_header(out, "Date", http_date_now());
  add_header(out, "Server", "spate-test");
  add_header(out, "Content-Type", "text/plain");
  add_header(out, "Content-Length", std::to_string(body.size()));
  for (const auto& [name, value] : headers) add_header(out, name, value);
  if (!keep_alive) add_header(out, "Connection", "close");
  out.append("\r\n");
  if (!head_only) out.append(body);
  if (send_all(fd, out.data(), out.size(), stop) != IoResult::Ok) return Continuation::Close;
  return keep_alive ? Continuation::KeepAlive : Continuation::Close;
}

Continuation write_planned_response(int fd, const ParsedRequest& request, const FaultPlan& plan,
                                    const StopToken& stop) {
  const bool head = request.method == "HEAD";
  const bool keep_alive = request.keep_alive();
  if (plan.header_delay_ms > 0 && !sleep_unless_stopped(plan.header_delay_ms, stop)) {
    return Continuation::Close;
  }
  if (!head && request.method != "GET") {
    return write_simple_response(fd, 501, "only GET and HEAD\n", {}, false, keep_alive, stop);
  }
  if (head && plan.refuse_head) {
    return write_simple_response(fd, 405, "", {{"Allow", "GET"}}, true, keep_alive, stop);
  }
  if (plan.status != 0) {
    HeaderList headers;
    if (!plan.retry_after.empty()) headers.emplace_back("Retry-After", plan.retry_after);
    if (!plan.location.empty()) headers.emplace_back("Location", plan.location);
    for (const auto& [name, value] : plan.extra_headers) headers.emplace_back(name, value);
    const std::string body = "status " + std::to_string(plan.status) + "\n";
    return write_simple_response(fd, plan.status, body, headers, head, keep_alive, stop);
  }

  // Which bytes to send, and how to label them.
  int status = 200;
  std::int64_t first = 0;
  std::int64_t length = plan.size;
  std::string content_range;
  const std::string range_value = request.header("range");
  if (plan.ranges && !range_value.empty() && if_range_matches(request, plan)) {
    const RangeRequest range = parse_range(range_value, plan.size);
    if (range.kind == RangeRequest::Kind::Unsatisfiable) {
      const HeaderList headers = {{"Content-Range", "bytes */" + std::to_string(plan.size)}};
      return write_simple_response(fd, 416, "", headers, head, keep_alive, stop);
    }
    if (range.kind == RangeRequest::Kind::Partial) {
      status = 206;
      length = range.last - range.first + 1;
      first = std::max<std::int64_t>(0, range.first + plan.shift_content_range);
      const std::int64_t total = plan.wrong_total >= 0 ? plan.wrong_total : plan.size;
      content_range = "bytes " + std::to_string(first) + "-" + std::to_string(first + length - 1) +
                      "/" + (plan.unknown_total ? std::string("*") : std::to_string(total));
    }
  }

  const bool close_after = !keep_alive || plan.no_content_length;
  std::string out = status_line(status);
  add_header(out, "Date", http_date_now());
  add_header(out, "Server", "spate-test");
  add_header(out, "Content-Type", "application/octet-stream");
  if (plan.ranges) add_header(out, "Accept-Ranges", "bytes");
  if (!plan.etag.empty()) add_header(out, "ETag", plan.etag);
  if (!plan.last_modified.empty()) add_header(out, "Last-Modified", plan.last_modified);
  if (!plan.content_disposition.empty()) {
    add_header(out, "Content-Disposition", plan.content_disposition);
  }
  if (!content_range.empty()) add_header(out, "Content-Range", content_range);
  if (plan.chunked) {
    add_header(out, "Transfer-Encoding", "chunked");
  } else if (!plan.no_content_length) {
    add_header(out, "Content-Length", std::to_string(length));
  }
  for (const auto& [name, value] : plan.extra_headers) add_header(out, name, value);
  if (close_after) add_header(out, "Connection", "close");
  out.append("\r\n");
  if (send_all(fd, out.data(), out.size(), stop) != IoResult::Ok) return Continuation::Close;
  if (head) return close_after ? Continuation::Close : Continuation::KeepAlive;

  const BodyCut cut = body_cut(plan, length);
  const std::int64_t to_send = cut.action == BodyCut::Action::None ? length : cut.after;
  if (!send_body(fd, plan, first, to_send, stop)) return Continuation::Close;
  switch (cut.action) {
    case BodyCut::Action::None:
      break;
    case BodyCut::Action::Close:
      return Continuation::Close;
    case BodyCut::Action::Reset:
      return Continuation::Reset;
    case BodyCut::Action::Stall:
      wait_for_peer_close(fd, stop);
      return Continuation::Close;
  }
  if (plan.chunked) {
    static constexpr std::string_view kLastChunk = "0\r\n\r\n";
    if (send_all(fd, kLastChunk.data(), kLastChunk.size(), stop) != IoResult::Ok) {
      return Continuation::Close;
    }
  }
  return close_after ? Continuation::Close : Continuation::KeepAlive;
}

}  // namespace spate::testing
