#include "support/http_request.h"

#include <charconv>
#include <ctime>

namespace spate::testing {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Parses a non-negative decimal number occupying all of `text`.
std::optional<std::int64_t> parse_position(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

}  // namespace

std::string ParsedRequest::header(std::string_view lower_name) const {
  const auto it = headers.find(std::string(lower_name));
  return it == headers.end() ? std::string() : it->second;
}

bool ParsedRequest::keep_alive() const {
  const std::string connection = to_lower(header("connection"));
  if (connection.find("close") != std::string::npos) return false;
  if (version == "HTTP/1.0") return connection.find("keep-alive") != std::string::npos;
  return true;
}

std::optional<ParsedRequest> parse_request_head(std::string_view head) {
  ParsedRequest request;
  std::size_t line_end = head.find("\r\n");
  const std::string_view request_line = head.substr(0, line_end);
  const std::size_t sp1 = request_line.find(' ');
  const std::size_t sp2 =
      sp1 == std::string_view::npos ? std::string_view::npos : request_line.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos) return std::nullopt;
  request.method = std::string(request_line.substr(0, sp1));
  request.target = std::string(request_line.substr(sp1 + 1, sp2 - sp1 - 1));
  request.version = std::string(request_line.substr(sp2 + 1));
  if (request.method.empty() || request.target.empty() || request.version.rfind("HTTP/", 0) != 0) {
    return std::nullopt;
  }
  const std::size_t question = request.target.find('?');
  request.path = request.target.substr(0, question);
  if (question != std::string::npos) request.query = request.target.substr(question + 1);

  while (line_end != std::string_view::npos) {
    const std::size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    const std::string_view line = head.substr(start, line_end - start);
    if (line.empty()) continue;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    std::string name = to_lower(trim(line.substr(0, colon)));
    const std::string_view value = trim(line.substr(colon + 1));
    auto [it, inserted] = request.headers.emplace(std::move(name), std::string(value));
    if (!inserted) it->second.append(", ").append(value);
  }
  return request;
}

RangeRequest parse_range(std::string_view value, std::int64_t size) {
  RangeRequest full;  // Kind::Full
  value = trim(value);
  constexpr std::string_view kPrefix = "bytes=";
  if (value.substr(0, kPrefix.size()) != kPrefix) return full;
  const std::string_view spec = trim(value.substr(kPrefix.size()));
  if (spec.find(',') != std::string_view::npos) return full;  // multi-range: serve it all
  const std::size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return full;
  const std::string_view first_text = trim(spec.substr(0, dash));
  const std::string_view last_text = trim(spec.substr(dash + 1));

  RangeRequest unsatisfiable;
  unsatisfiable.kind = RangeRequest::Kind::Unsatisfiable;
  RangeRequest partial;
  partial.kind = RangeRequest::Kind::Partial;
  if (first_text.empty()) {  // suffix: the last n bytes
    const auto n = parse_position(last_text);
    if (!n) return full;
    if (*n == 0 || size == 0) return unsatisfiable;
    partial.first = *n >= size ? 0 : size - *n;
    partial.last = size - 1;
    return partial;
  }
  const auto first = parse_position(first_text);
  if (!first) return full;
  std::optional<std::int64_t> last;
  if (!last_text.empty()) {
    last = parse_position(last_text);
    if (!last || *last < *first) return full;  // syntactically invalid: ignored, as RFC 9110 says
  }
  if (*first >= size) return unsatisfiable;
  partial.first = *first;
  partial.last = last && *last < size ? *last : size - 1;
  return partial;
}

std::string http_date_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buffer[64];
  const std::size_t n = std::strftime(buffer, sizeof buffer, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return std::string(buffer, n);
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 410:
      return "Gone";
    case 416:
      return "Range Not Satisfiable";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Status";
  }
}

}  // namespace spate::testing
