#include "support/fault_plan.h"

#include <charconv>

namespace spate::testing {
namespace {

template <typename T>
bool parse_number(std::string_view text, T& out) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return false;
  out = value;
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Applies one key=value pair; false when the key is unknown or the value malformed.
bool apply(std::string_view key, std::string_view raw, FaultPlan& plan) {
  const auto flag = [&](bool& out) {
    out = raw != "0" && raw != "false";
    return true;
  };
  const auto text = [&](std::string& out) {
    out = url_decode(raw);
    return true;
  };
  if (key == "size") return parse_number(raw, plan.size);
  if (key == "seed") return parse_number(raw, plan.seed);
  if (key == "ranges") return flag(plan.ranges);
  if (key == "status") return parse_number(raw, plan.status);
  if (key == "retry_after") return text(plan.retry_after);
  if (key == "close_after") return parse_number(raw, plan.close_after_bytes);
  if (key == "reset_after") return parse_number(raw, plan.reset_after_bytes);
  if (key == "stall_after") return parse_number(raw, plan.stall_after_bytes);
  if (key == "throttle") return parse_number(raw, plan.throttle_bps);
  if (key == "throttled") return parse_number(raw, plan.throttled_requests);
  if (key == "no_length") return flag(plan.no_content_length);
  if (key == "chunked") return flag(plan.chunked);
  if (key == "etag_changes_after") return parse_number(raw, plan.etag_changes_after);
  if (key == "faulty") return parse_number(raw, plan.faulty_requests);
  if (key == "refuse_head") return flag(plan.refuse_head);
  if (key == "cd") return text(plan.content_disposition);
  if (key == "location") return text(plan.location);
  if (key == "shift") return parse_number(raw, plan.shift_content_range);
  if (key == "header_delay") return parse_number(raw, plan.header_delay_ms);
  if (key == "wrong_total") return parse_number(raw, plan.wrong_total);
  if (key == "unknown_total") return flag(plan.unknown_total);
  if (key == "max_connections") return parse_number(raw, plan.max_connections);
  if (key == "etag") return text(plan.etag);
  if (key == "last_modified") return text(plan.last_modified);
  return false;
}

}  // namespace

FaultPlan plan_for_request(FaultPlan plan, int request_number) {
  if (plan.faulty_requests >= 0 && request_number > plan.faulty_requests) {
    plan.status = 0;
    plan.shift_content_range = 0;
    plan.wrong_total = -1;
    plan.close_after_bytes = -1;
    plan.reset_after_bytes = -1;
    plan.stall_after_bytes = -1;
  }
  if (plan.throttled_requests >= 0 && request_number > plan.throttled_requests) {
    plan.throttle_bps = 0;
  }
  if (plan.etag_changes_after >= 0 && request_number > plan.etag_changes_after) {
    if (!plan.etag.empty()) plan.etag = "\"v2\"";
    if (!plan.last_modified.empty()) plan.last_modified = std::string(kChangedLastModified);
    plan.seed += 1;
  }
  return plan;
}

bool parse_fault_query(std::string_view query, FaultPlan& plan, std::string& error) {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    const std::string_view key = pair.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? "1" : pair.substr(eq + 1);
    if (!apply(key, value, plan)) {
      error = "bad fault parameter '" + std::string(pair) + "'";
      return false;
    }
  }
  return true;
}

std::string url_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
               hex_value(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace spate::testing
