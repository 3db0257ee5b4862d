#include "input_list.h"

#include "spate/units.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <filesystem>
#include <string_view>
#include <system_error>
#include <utility>

namespace spate::cli {
namespace {

constexpr std::string_view kBlanks = " \t";
constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
// Same floor as -k on the command line.
constexpr std::int64_t kMinSplitSizeFloor = std::int64_t{16} * 1024;
constexpr int kMaxSplit = 256;
constexpr int kMaxTries = 1000000;

enum class LineKind { Blank, Comment, Option, Url };

struct ChecksumType {
  std::string_view name;
  std::size_t hex_digits;
};
constexpr std::array<ChecksumType, 4> kChecksumTypes{{
    {"sha-1", 40},
    {"sha-256", 64},
    {"sha-512", 128},
    {"md5", 32},
}};

// aria2 options spate has, but only for the whole run: they cannot be set per download.
constexpr std::array<std::string_view, 3> kGlobalOptions{
    "max-connection-per-server", "max-concurrent-downloads", "max-overall-connections"};

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(kBlanks);
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(kBlanks);
  return text.substr(first, last - first + 1);
}

LineKind classify(std::string_view text) {
  const auto first = text.find_first_not_of(kBlanks);
  if (first == std::string_view::npos) return LineKind::Blank;
  if (text[first] == '#') return LineKind::Comment;
  return first > 0 ? LineKind::Option : LineKind::Url;
}

bool is_control(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte < 0x20 || byte == 0x7f;
}

// Control bytes other than tab (NUL, a stray CR, escape sequences...) mean binary junk, or an
// attempt to smuggle a second line into a header or a NUL into a file name.
bool has_control_bytes(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) { return c != '\t' && is_control(c); });
}

// Quotes untrusted text for a message: at most 60 bytes (not cutting a UTF-8 sequence), control
// bytes escaped, so a hostile list cannot flood or drive the terminal.
std::string quote_untrusted(std::string_view text) {
  constexpr std::size_t kMaxShown = 60;
  std::size_t shown = std::min(text.size(), kMaxShown);
  while (shown > 0 && shown < text.size() &&
         (static_cast<unsigned char>(text[shown]) & 0xC0) == 0x80) {
    --shown;
  }
  std::string result = "'";
  for (const char c : text.substr(0, shown)) {
    if (is_control(c)) {
      result += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    } else {
      result += c;
    }
  }
  if (shown < text.size()) result += "...";
  result += '\'';
  return result;
}

void report(std::vector<InputProblem>& problems, std::size_t line, std::string_view message) {
  problems.push_back({line, fmt::format("line {}: {}", line, message)});
}

std::string to_lower(std::string_view text) {
  std::string result(text);
  std::transform(result.begin(), result.end(), result.begin(), [](char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return result;
}

bool is_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

// RFC 9110 token characters, for header names.
bool is_token(std::string_view text) {
  constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
  return !text.empty() && std::all_of(text.begin(), text.end(), [&](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           kSpecials.find(c) != std::string_view::npos;
  });
}

// Each check below returns an error message, or "" when the value is fine.

std::string parse_int(std::string_view name, std::string_view value, int low, int high,
                      std::optional<int>& target) {
  int number = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
  if (ec == std::errc::result_out_of_range) {
    return fmt::format("{}={} is out of range ({}..{})", name, quote_untrusted(value), low, high);
  }
  if (ec != std::errc() || end != value.data() + value.size()) {
    return fmt::format("{} needs a whole number, got {}", name, quote_untrusted(value));
  }
  if (number < low || number > high) {
    return fmt::format("{}={} is out of range ({}..{})", name, number, low, high);
  }
  target = number;
  return {};
}

std::string check_out(std::string_view value) {
  if (value.front() == '/' || value.front() == '\\') {
    return fmt::format("out={} must be a relative path", quote_untrusted(value));
  }
  // Split on both separators: a name that would climb out of the directory on any system is
  // refused, even if on Linux a backslash is an ordinary character.
  std::string_view component;
  std::size_t start = 0;
  for (;;) {
    const auto end = value.find_first_of("/\\", start);
    component = value.substr(start, end == std::string_view::npos ? end : end - start);
    if (component == "..")
      return fmt::format("out={} must not contain '..'", quote_untrusted(value));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  if (component.empty() || component == ".") {
    return fmt::format("out={} must end in a file name", quote_untrusted(value));
  }
  return {};
}

std::string check_checksum(std::string_view value, std::string& target) {
  const auto eq = value.find('=');
  if (eq == std::string_view::npos) {
    return fmt::format("checksum needs TYPE=HEX (e.g. sha-256=...), got {}",
                       quote_untrusted(value));
  }
  const std::string type = to_lower(value.substr(0, eq));
  const std::string_view hex = value.substr(eq + 1);
  const auto known = std::find_if(kChecksumTypes.begin(), kChecksumTypes.end(),
                                  [&](const ChecksumType& t) { return t.name == type; });
  if (known == kChecksumTypes.end()) {
    return fmt::format("unsupported checksum type {} (use sha-1, sha-256, sha-512 or md5)",
                       quote_untrusted(type));
  }
  if (hex.size() != known->hex_digits || !is_hex(hex)) {
    return fmt::format("checksum {} needs {} hex digits, got {}", type, known->hex_digits,
                       quote_untrusted(hex));
  }
  target = fmt::format("{}={}", type, hex);
  return {};
}

std::string check_header(std::string_view value, std::vector<std::string>& headers) {
  const auto colon = value.find(':');
  if (colon == std::string_view::npos || !is_token(value.substr(0, colon))) {
    return fmt::format("header needs 'Name: value', got {}", quote_untrusted(value));
  }
  if (headers.size() >= kMaxInputHeaders) {
    return fmt::format("more than {} header= lines for one URL, ignored", kMaxInputHeaders);
  }
  headers.emplace_back(value);
  return {};
}

// Applies `name=value` to `entry`; returns an error message, or "" on success.
std::string apply_option(std::string_view name, std::string_view value, InputEntry& entry) {
  const bool known = name == "out" || name == "dir" || name == "checksum" || name == "header" ||
                     name == "split" || name == "min-split-size" || name == "max-tries";
  if (!known) {
    if (std::find(kGlobalOptions.begin(), kGlobalOptions.end(), name) != kGlobalOptions.end()) {
      return fmt::format("'{}' is not a per-download option (give it on the command line)", name);
    }
    return fmt::format("unknown option {}", quote_untrusted(name));
  }
  if (value.empty()) return fmt::format("option '{}' needs a value", name);

  if (name == "out") {
    auto error = check_out(value);
    if (error.empty()) entry.out = value;
    return error;
  }
  if (name == "dir") {
    entry.dir = value;
    return {};
  }
  if (name == "checksum") return check_checksum(value, entry.checksum);
  if (name == "header") return check_header(value, entry.headers);
  if (name == "split") return parse_int(name, value, 1, kMaxSplit, entry.split);
  if (name == "max-tries") return parse_int(name, value, 0, kMaxTries, entry.max_tries);
  // min-split-size
  const auto bytes = parse_byte_size(value);
  if (!bytes)
    return fmt::format("min-split-size={} is not a size (e.g. 512K, 1M)", quote_untrusted(value));
  if (*bytes < kMinSplitSizeFloor) {
    return fmt::format("min-split-size={} is below the minimum 16K", quote_untrusted(value));
  }
  entry.min_split_size = *bytes;
  return {};
}

}  // namespace

InputListReader::InputListReader(std::istream& in) : in_(in) {}

std::optional<InputListReader::Line> InputListReader::read_line() {
  if (pending_) {
    std::optional<Line> line = std::move(pending_);
    pending_.reset();
    return line;
  }
  std::streambuf* buffer = in_.rdbuf();
  if (buffer == nullptr || !in_.good()) return std::nullopt;

  using Traits = std::char_traits<char>;
  Line line;
  bool read_any = false;
  // Byte by byte through the streambuf: a line of any length costs at most kMaxInputLineBytes + 1
  // bytes of memory; the rest is only counted as "too long" and dropped.
  for (;;) {
    const Traits::int_type next = buffer->sbumpc();
    if (Traits::eq_int_type(next, Traits::eof())) {
      in_.setstate(std::ios::eofbit);
      break;
    }
    read_any = true;
    const char c = Traits::to_char_type(next);
    if (c == '\n') break;
    if (line.text.size() <= kMaxInputLineBytes) {
      line.text.push_back(c);
    } else {
      line.too_long = true;
    }
  }
  if (!read_any) return std::nullopt;

  if (!line.text.empty() && line.text.back() == '\r') line.text.pop_back();  // CRLF
  if (line.text.size() > kMaxInputLineBytes) line.too_long = true;
  line.number = ++line_number_;
  if (line.number == 1 && std::string_view(line.text).substr(0, kUtf8Bom.size()) == kUtf8Bom) {
    line.text.erase(0, kUtf8Bom.size());
  }
  return line;
}

std::optional<InputEntry> InputListReader::next(std::vector<InputProblem>& problems) {
  // 1. Find the next usable URL line. Option lines met here have no (good) URL to go with.
  std::optional<InputEntry> entry;
  while (!entry) {
    std::optional<Line> line = read_line();
    if (!line) return std::nullopt;
    const LineKind kind = classify(line->text);
    if (kind == LineKind::Blank || kind == LineKind::Comment) continue;
    if (kind == LineKind::Option) {
      // After a bad URL line its options are skipped quietly: that line was reported already.
      if (!seen_url_line_) report(problems, line->number, "option line before any URL, skipped");
      continue;
    }
    seen_url_line_ = true;
    if (line->too_long) {
      report(problems, line->number,
             fmt::format("longer than {} bytes, skipped with its options", kMaxInputLineBytes));
      continue;
    }
    if (has_control_bytes(line->text)) {
      report(problems, line->number,
             "contains control bytes (binary data?), skipped with its options");
      continue;
    }
    // Several tab-separated URLs are mirrors of one file in aria2.
    const std::string_view text = line->text;
    const auto tab = text.find('\t');
    const std::string_view url = trim(text.substr(0, tab));
    const auto scheme_end = url.find("://");
    if (url.empty() || url.find(' ') != std::string_view::npos || scheme_end == 0 ||
        scheme_end == std::string_view::npos || scheme_end + 3 == url.size()) {
      report(problems, line->number,
             fmt::format("not a URL: {} (its options are skipped)", quote_untrusted(url)));
      continue;
    }
    if (tab != std::string_view::npos) {
      std::size_t mirrors = 0;
      for (std::size_t start = tab + 1; start <= text.size();) {
        const auto end = text.find('\t', start);
        if (!trim(text.substr(start, end == std::string_view::npos ? end : end - start)).empty()) {
          ++mirrors;
        }
        if (end == std::string_view::npos) break;
        start = end + 1;
      }
      if (mirrors > 0) {
        report(problems, line->number,
               fmt::format("{} mirror URL(s) after the first ignored (spate has no mirrors yet)",
                           mirrors));
      }
    }
    entry.emplace();
    entry->line = line->number;
    entry->url = url;
  }

  // 2. Its option lines, up to the next URL line (put back for the next call) or the end.
  while (std::optional<Line> line = read_line()) {
    const LineKind kind = classify(line->text);
    if (kind == LineKind::Blank || kind == LineKind::Comment) continue;
    if (kind == LineKind::Url) {
      pending_ = std::move(line);
      break;
    }
    if (line->too_long) {
      report(problems, line->number,
             fmt::format("longer than {} bytes, skipped", kMaxInputLineBytes));
      continue;
    }
    if (has_control_bytes(line->text)) {
      report(problems, line->number, "contains control bytes (binary data?), skipped");
      continue;
    }
    const std::string_view body = trim(line->text);
    const auto eq = body.find('=');
    if (eq == std::string_view::npos) {
      report(problems, line->number,
             fmt::format("expected name=value, got {}", quote_untrusted(body)));
      continue;
    }
    const std::string error =
        apply_option(trim(body.substr(0, eq)), trim(body.substr(eq + 1)), *entry);
    if (!error.empty()) report(problems, line->number, error);
  }
  return entry;
}

Task make_task(const Task& base, const InputEntry& entry, bool split_after_given) {
  Task task = base;
  task.url = entry.url;
  if (!entry.dir.empty()) {
    const std::filesystem::path dir(entry.dir);
    task.dir = dir.is_absolute() ? dir : base.dir / dir;
  }
  task.out.clear();
  if (!entry.out.empty()) {
    const std::filesystem::path out(entry.out);
    if (out.has_parent_path()) task.dir /= out.parent_path();
    task.out = out.filename().string();
  }
  auto& headers = task.options.http.headers;
  headers.insert(headers.end(), entry.headers.begin(), entry.headers.end());
  if (entry.split) {
    // As -s on the command line: a file given its own split opens that many connections at once,
    // unless --split-after says otherwise.
    task.options.split = *entry.split;
    if (!split_after_given) task.options.split_after = std::chrono::milliseconds(0);
  }
  if (entry.min_split_size) task.options.min_split_size = *entry.min_split_size;
  if (entry.max_tries) task.options.max_tries = *entry.max_tries;
  if (!entry.checksum.empty()) {
    if (auto checksum = parse_checksum(entry.checksum)) task.options.checksum = *checksum;
  }
  return task;
}

}  // namespace spate::cli
