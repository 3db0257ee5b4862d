#include "util/file_name.h"

#include <algorithm>
#include <optional>

namespace spate::util {
namespace {

// A longer "extension" is not worth keeping when a name must be cut: it is most likely part of the
// name itself ("report.version-with-a-very-long-description").
constexpr std::size_t kMaxKeptExtensionBytes = 32;

constexpr std::string_view kDefaultName = "index.html";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_continuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

bool is_control(unsigned char byte) { return byte < 0x20 || byte == 0x7F; }

// The largest length <= max_bytes at which `s` can be cut without splitting a UTF-8 sequence.
std::size_t utf8_floor(std::string_view s, std::size_t max_bytes) {
  if (max_bytes >= s.size()) return s.size();
  std::size_t cut = max_bytes;
  while (cut > 0 && is_continuation(static_cast<unsigned char>(s[cut]))) --cut;
  return cut;
}

void trim_spaces(std::string& s) {
  const std::size_t begin = s.find_first_not_of(' ');
  if (begin == std::string::npos) {
    s.clear();
    return;
  }
  s.erase(s.find_last_not_of(' ') + 1);
  s.erase(0, begin);
}

// Cuts a valid UTF-8 name to kMaxFileNameBytes, keeping a short extension.
void bound_length(std::string& name) {
  if (name.size() <= kMaxFileNameBytes) return;
  const std::size_t dot = name.rfind('.');
  std::string extension;
  if (dot != std::string::npos && dot > 0 && name.size() - dot <= kMaxKeptExtensionBytes) {
    extension = name.substr(dot);
    name.erase(dot);
  }
  name.erase(utf8_floor(name, kMaxFileNameBytes - extension.size()));
  // The cut may have exposed spaces; the stem cannot become empty as it starts with a non-space.
  name.erase(name.find_last_not_of(' ') + 1);
  name += extension;
}

// The sanitised name, or nullopt when nothing usable is left.
std::optional<std::string> try_sanitize(std::string_view name) {
  const std::size_t separator = name.find_last_of("/\\");
  if (separator != std::string_view::npos) name.remove_prefix(separator + 1);

  std::string visible;
  visible.reserve(name.size());
  for (char c : name) {
    if (!is_control(static_cast<unsigned char>(c))) visible.push_back(c);
  }

  std::string result;
  result.reserve(visible.size());
  for (std::size_t i = 0; i < visible.size();) {
    const std::size_t length = utf8_sequence_length(visible, i);
    if (length == 0) {
      result.push_back('_');
      ++i;
    } else {
      result.append(visible, i, length);
      i += length;
    }
  }

  trim_spaces(result);
  if (result.empty() || result == "." || result == "..") return std::nullopt;
  bound_length(result);
  return result;
}

}  // namespace

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = hex_value(s[i + 1]);
      const int lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

std::size_t utf8_sequence_length(std::string_view s, std::size_t pos) {
  if (pos >= s.size()) return 0;
  const auto lead = static_cast<unsigned char>(s[pos]);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  // Bounds for the second byte exclude overlong forms, surrogates and code points > U+10FFFF.
  unsigned char second_min = 0x80;
  unsigned char second_max = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) second_min = 0xA0;
    if (lead == 0xED) second_max = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) second_min = 0x90;
    if (lead == 0xF4) second_max = 0x8F;
  } else {
    return 0;  // a continuation byte, 0xC0/0xC1 (overlong) or 0xF5..0xFF
  }
  if (s.size() - pos < length) return 0;
  const auto second = static_cast<unsigned char>(s[pos + 1]);
  if (second < second_min || second > second_max) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (!is_continuation(static_cast<unsigned char>(s[pos + i]))) return 0;
  }
  return length;
}

bool is_valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t length = utf8_sequence_length(s, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

std::string file_name_from_url(std::string_view url) {
  url = url.substr(0, url.find_first_of("?#"));
  std::string_view path = url;
  std::size_t authority = std::string_view::npos;
  if (const std::size_t scheme_end = url.find("://"); scheme_end != std::string_view::npos) {
    authority = scheme_end + 3;
  } else if (url.substr(0, 2) == "//") {
    authority = 2;  // scheme-relative "//host/path"
  }
  if (authority != std::string_view::npos) {
    const std::size_t path_start = url.find('/', authority);
    path = path_start == std::string_view::npos ? std::string_view() : url.substr(path_start);
  }
  const std::size_t slash = path.rfind('/');
  const std::string_view segment = slash == std::string_view::npos ? path : path.substr(slash + 1);
  return sanitize_file_name(percent_decode(segment), kDefaultName);
}

std::string sanitize_file_name(std::string_view name, std::string_view fallback) {
  if (auto result = try_sanitize(name)) return *std::move(result);
  if (auto result = try_sanitize(fallback)) return *std::move(result);
  return std::string(kDefaultName);
}

std::string numbered_name(std::string_view name, int n) {
  if (n < 1) return std::string(name);
  const std::string suffix = "." + std::to_string(n);
  std::string_view stem = name;
  std::string_view extension;
  // A leading dot starts a hidden name, not an extension.
  if (const std::size_t dot = name.rfind('.'); dot != std::string_view::npos && dot > 0) {
    stem = name.substr(0, dot);
    extension = name.substr(dot);
  }
  if (suffix.size() + extension.size() >= kMaxFileNameBytes) {
    stem = name;  // an absurdly long "extension": treat the whole name as the stem
    extension = {};
  }
  const std::size_t stem_budget = kMaxFileNameBytes - suffix.size() - extension.size();
  stem = stem.substr(0, utf8_floor(stem, stem_budget));
  std::string result(stem);
  result += suffix;
  result += extension;
  return result;
}

}  // namespace spate::util
