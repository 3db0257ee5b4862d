#include "net/http_headers.h"

#include "util/file_name.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <locale.h>  // NOLINT(modernize-deprecated-headers): newlocale/locale_t are POSIX-only
#include <time.h>    // NOLINT(modernize-deprecated-headers): strptime_l/timegm/gmtime_r are POSIX

namespace spate::net {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ows(char c) { return c == ' ' || c == '\t'; }

char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (to_lower(a[i]) != to_lower(b[i])) return false;
  }
  return true;
}

// RFC 9110 tchar: the characters allowed in tokens (header names, parameter names). A table,
// since every character of every header name is checked.
constexpr std::array<bool, 256> kTchar = [] {
  std::array<bool, 256> table{};
  for (std::size_t c = '0'; c <= '9'; ++c) table[c] = true;
  for (std::size_t c = 'a'; c <= 'z'; ++c) table[c] = true;
  for (std::size_t c = 'A'; c <= 'Z'; ++c) table[c] = true;
  for (const char c : std::string_view("!#$%&'*+-.^_`|~"))
    table[static_cast<unsigned char>(c)] = true;
  return table;
}();

bool is_tchar(char c) { return kTchar[static_cast<unsigned char>(c)]; }

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

void skip_ows(std::string_view& s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
}

// A non-empty run of decimal digits whose value is <= kMaxHeaderNumber; nothing else.
std::optional<std::int64_t> parse_number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::int64_t value = 0;
  for (char c : s) {
    if (!is_digit(c)) return std::nullopt;
    const int digit = c - '0';
    if (value > (kMaxHeaderNumber - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

// Consumes the range unit "bytes" (case-insensitive) and the whitespace that must follow it.
bool consume_bytes_unit(std::string_view& s) {
  constexpr std::string_view kUnit = "bytes";
  if (s.size() <= kUnit.size() || !iequals(s.substr(0, kUnit.size()), kUnit)) return false;
  s.remove_prefix(kUnit.size());
  if (!is_ows(s.front())) return false;
  skip_ows(s);
  return true;
}

// ---- Content-Disposition -------------------------------------------------------------------

std::string_view take_token(std::string_view& s) {
  std::size_t n = 0;
  while (n < s.size() && is_tchar(s[n])) ++n;
  const std::string_view token = s.substr(0, n);
  s.remove_prefix(n);
  return token;
}

// `s` starts at the opening quote. Returns the unescaped content and consumes through the closing
// quote; nullopt (everything consumed) when the string is unterminated.
std::optional<std::string> take_quoted_string(std::string_view& s) {
  std::string out;
  std::size_t i = 1;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '"') {
      s.remove_prefix(i + 1);
      return out;
    }
    if (c == '\\') {
      if (i + 1 >= s.size()) break;
      out.push_back(s[i + 1]);
      i += 2;
      continue;
    }
    out.push_back(c);
    ++i;
  }
  s = {};
  return std::nullopt;
}

// A bare value runs to the next ';'. RFC 6266 wants a token, but servers send unquoted names with
// spaces in them ("filename=my file.txt"), which browsers accept, so be as lenient.
std::string take_bare_value(std::string_view& s) {
  const std::size_t end = std::min(s.find(';'), s.size());
  const std::string_view value = trim_ows(s.substr(0, end));
  s.remove_prefix(end);
  return std::string(value);
}

// Skips the rest of the current parameter, up to (not including) the next ';' outside quotes.
void skip_to_separator(std::string_view& s) {
  bool quoted = false;
  std::size_t i = 0;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (quoted && c == '\\') {
      ++i;  // the escaped character (if any) cannot end the quoted part
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == ';' && !quoted) {
      break;
    }
  }
  s.remove_prefix(std::min(i, s.size()));
}

int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  const char lower = to_lower(c);
  if (lower >= 'a' && lower <= 'f') return lower - 'a' + 10;
  return -1;
}

// Percent-decoding for RFC 8187 values: unlike util::percent_decode, a malformed escape is an
// error.
std::optional<std::string> strict_percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    const int hi = hex_value(s[i + 1]);
    const int lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

std::string latin1_to_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size() * 2);
  for (char c : s) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x80) {
      out.push_back(c);
    } else {
      out.push_back(static_cast<char>(0xC0 | (byte >> 6)));
      out.push_back(static_cast<char>(0x80 | (byte & 0x3F)));
    }
  }
  return out;
}

// RFC 8187 ext-value: charset "'" [language] "'" value-chars, as UTF-8; nullopt when unusable.
std::optional<std::string> decode_ext_value(std::string_view v) {
  const std::size_t charset_end = v.find('\'');
  if (charset_end == std::string_view::npos) return std::nullopt;
  const std::size_t language_end = v.find('\'', charset_end + 1);
  if (language_end == std::string_view::npos) return std::nullopt;
  const std::string_view charset = v.substr(0, charset_end);
  std::optional<std::string> decoded = strict_percent_decode(v.substr(language_end + 1));
  if (!decoded) return std::nullopt;
  if (iequals(charset, "UTF-8")) {
    if (!util::is_valid_utf8(*decoded)) return std::nullopt;
    return decoded;
  }
  if (iequals(charset, "ISO-8859-1")) return latin1_to_utf8(*decoded);
  return std::nullopt;
}

// ---- HTTP-date -----------------------------------------------------------------------------

// strptime() reads month and day names through LC_TIME, which the application may have changed;
// HTTP dates are always English, so parse with a private "C" locale (created once, never freed).
locale_t c_locale() {
  static const locale_t locale = newlocale(LC_ALL_MASK, "C", nullptr);
  return locale;
}

std::optional<std::chrono::system_clock::time_point> parse_date_as(const std::string& text,
                                                                   const char* format) {
  struct tm parsed {};
  const locale_t locale = c_locale();
  const char* end = locale != nullptr ? strptime_l(text.c_str(), format, &parsed, locale)
                                      : strptime(text.c_str(), format, &parsed);
  if (end == nullptr || *end != '\0') return std::nullopt;
  struct tm normalized = parsed;
  const time_t epoch = timegm(&normalized);
  // timegm() silently normalises "Feb 30" into March; a round trip exposes such dates.
  struct tm check {};
  if (gmtime_r(&epoch, &check) == nullptr) return std::nullopt;
  if (check.tm_year != parsed.tm_year || check.tm_mon != parsed.tm_mon ||
      check.tm_mday != parsed.tm_mday || check.tm_hour != parsed.tm_hour ||
      check.tm_min != parsed.tm_min || check.tm_sec != parsed.tm_sec) {
    return std::nullopt;
  }
  // system_clock counts nanoseconds in 64 bits (about +-292 years around 1970): stay inside it.
  using std::chrono::seconds;
  using std::chrono::system_clock;
  constexpr auto kMax = std::chrono::duration_cast<seconds>(system_clock::duration::max()).count();
  constexpr auto kMin = std::chrono::duration_cast<seconds>(system_clock::duration::min()).count();
  if (epoch < kMin || epoch > kMax) return std::nullopt;
  return system_clock::time_point(seconds(epoch));
}

}  // namespace

std::optional<ContentRange> parse_content_range(std::string_view value) {
  std::string_view v = trim_ows(value);
  if (!consume_bytes_unit(v)) return std::nullopt;
  const std::size_t slash = v.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const std::string_view range = v.substr(0, slash);
  const std::string_view total_text = v.substr(slash + 1);
  const std::size_t dash = range.find('-');
  if (dash == std::string_view::npos) return std::nullopt;  // also the "*/TOTAL" form
  const auto first = parse_number(range.substr(0, dash));
  const auto last = parse_number(range.substr(dash + 1));
  if (!first || !last || *first > *last) return std::nullopt;
  ContentRange result;
  result.first = *first;
  result.last = *last;
  if (total_text != "*") {
    result.total = parse_number(total_text);
    if (!result.total || *last >= *result.total) return std::nullopt;
  }
  return result;
}

std::optional<std::int64_t> parse_unsatisfied_range_total(std::string_view value) {
  std::string_view v = trim_ows(value);
  if (!consume_bytes_unit(v)) return std::nullopt;
  if (v.substr(0, 2) != "*/") return std::nullopt;
  return parse_number(v.substr(2));
}

std::optional<std::int64_t> parse_content_length(std::string_view value) {
  return parse_number(trim_ows(value));
}

std::optional<std::string> parse_content_disposition_filename(std::string_view value) {
  std::optional<std::string> plain;
  std::optional<std::string> extended;
  bool plain_seen = false;
  bool extended_seen = false;
  std::string_view rest = value;
  // Every pass consumes at least one character, so this ends after at most value.size() passes.
  while (!rest.empty()) {
    skip_ows(rest);
    if (rest.empty()) break;
    if (rest.front() == ';') {
      rest.remove_prefix(1);
      continue;
    }
    const std::string_view name = take_token(rest);
    skip_ows(rest);
    if (name.empty() || rest.empty() || rest.front() != '=') {
      // The disposition type ("attachment") or junk without '=': not a parameter. When `name` is
      // empty, rest.front() is neither ';' nor OWS, so skip_to_separator() consumes something.
      skip_to_separator(rest);
      continue;
    }
    rest.remove_prefix(1);  // '='
    skip_ows(rest);
    std::optional<std::string> param;
    if (!rest.empty() && rest.front() == '"') {
      param = take_quoted_string(rest);
    } else {
      param = take_bare_value(rest);
    }
    skip_to_separator(rest);  // junk after a quoted value
    // Duplicates make the header invalid per RFC 6266; use the first one, like most browsers.
    if (iequals(name, "filename") && !plain_seen) {
      plain_seen = true;
      plain = std::move(param);
    } else if (iequals(name, "filename*") && !extended_seen) {
      extended_seen = true;
      if (param) extended = decode_ext_value(*param);
    }
  }
  if (extended && !extended->empty()) return extended;
  if (plain && !plain->empty()) return plain;
  return std::nullopt;
}

std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view value) {
  const std::string_view v = trim_ows(value);
  // The longest valid form ("Wednesday, 09-Nov-94 08:49:37 GMT") has 33 characters.
  if (v.empty() || v.size() > 64) return std::nullopt;
  const std::string text(v);
  constexpr std::array<const char*, 3> kFormats = {
      "%a, %d %b %Y %H:%M:%S GMT",  // IMF-fixdate
      "%a, %d-%b-%y %H:%M:%S GMT",  // obsolete RFC 850
      "%a %b %d %H:%M:%S %Y",       // asctime()
  };
  for (const char* format : kFormats) {
    if (auto time = parse_date_as(text, format)) return time;
  }
  return std::nullopt;
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now) {
  using std::chrono::seconds;
  const std::string_view v = trim_ows(value);
  if (v.empty()) return std::nullopt;
  if (is_digit(v.front())) {
    std::int64_t delay = 0;
    for (char c : v) {
      if (!is_digit(c)) return std::nullopt;
      // Saturate instead of overflowing; the cap below applies anyway.
      if (delay <= kMaxRetryAfter.count()) delay = delay * 10 + (c - '0');
    }
    return std::min(seconds(delay), kMaxRetryAfter);
  }
  const auto date = parse_http_date(v);
  if (!date) return std::nullopt;
  // Whole seconds on both sides (now rounded down) so the subtraction cannot overflow and the
  // wait is rounded up, never retrying early.
  const auto date_s = std::chrono::duration_cast<seconds>(date->time_since_epoch());
  const auto now_s = std::chrono::floor<seconds>(now.time_since_epoch());
  const seconds wait = date_s - now_s;
  return std::clamp(wait, seconds(0), kMaxRetryAfter);
}

bool is_strong_etag(std::string_view etag) {
  const std::string_view v = trim_ows(etag);
  if (v.size() < 2 || v.front() != '"' || v.back() != '"') return false;
  for (char c : v.substr(1, v.size() - 2)) {
    const auto byte = static_cast<unsigned char>(c);
    // etagc = %x21 / %x23-7E / obs-text
    if (byte < 0x21 || byte == '"' || byte == 0x7F) return false;
  }
  return true;
}

std::optional<HeaderLine> split_header_line(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  const std::size_t colon = line.find(':');
  if (colon == 0 || colon == std::string_view::npos) return std::nullopt;
  const std::string_view name = line.substr(0, colon);
  for (char c : name) {
    if (!is_tchar(c)) return std::nullopt;  // status line, folded line, "Name : v", junk
  }
  const std::string_view value = trim_ows(line.substr(colon + 1));
  for (char c : value) {
    if (c == '\0' || c == '\r' || c == '\n') return std::nullopt;
  }
  return HeaderLine{name, value};
}

bool header_name_is(std::string_view name, std::string_view lower_name) {
  return iequals(name, lower_name);
}

}  // namespace spate::net
