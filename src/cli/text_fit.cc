#include "text_fit.h"

#include <cstdint>
#include <vector>

namespace spate::cli {
namespace {

constexpr std::string_view kEllipsis = "...";

struct CodePoint {
  char32_t value = 0;
  std::size_t length = 0;  // bytes; 0 = invalid UTF-8 at this position
};

std::uint8_t byte_at(std::string_view text, std::size_t pos) {
  return static_cast<std::uint8_t>(text[pos]);
}

// Decodes one UTF-8 sequence, rejecting overlong forms, surrogates and values past U+10FFFF.
CodePoint decode(std::string_view text, std::size_t pos) {
  const std::uint8_t lead = byte_at(text, pos);
  if (lead < 0x80) return {lead, 1};
  std::size_t length = 0;
  char32_t value = 0;
  char32_t minimum = 0;
  if ((lead & 0xE0U) == 0xC0U) {
    length = 2;
    value = lead & 0x1FU;
    minimum = 0x80;
  } else if ((lead & 0xF0U) == 0xE0U) {
    length = 3;
    value = lead & 0x0FU;
    minimum = 0x800;
  } else if ((lead & 0xF8U) == 0xF0U) {
    length = 4;
    value = lead & 0x07U;
    minimum = 0x10000;
  } else {
    return {};
  }
  if (pos + length > text.size()) return {};
  for (std::size_t i = 1; i < length; ++i) {
    const std::uint8_t next = byte_at(text, pos + i);
    if ((next & 0xC0U) != 0x80U) return {};
    value = (value << 6U) | (next & 0x3FU);
  }
  if (value < minimum || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return {};
  return {value, length};
}

bool is_control(char32_t c) { return c < 0x20 || (c >= 0x7F && c <= 0x9F); }

// Wide (two-column) ranges of East Asian scripts and emoji; a superset is harmless.
bool is_wide(char32_t c) {
  return (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0xA4CF) ||
         (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) ||
         (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
         (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x1F300 && c <= 0x1FAFF) ||
         (c >= 0x20000 && c <= 0x3FFFD);
}

struct Glyph {
  std::size_t offset = 0;
  std::size_t length = 0;
  std::size_t width = 0;
};

// The code points of sanitized text with their byte spans and column widths.
std::vector<Glyph> glyphs(std::string_view text) {
  std::vector<Glyph> out;
  for (std::size_t pos = 0; pos < text.size();) {
    const CodePoint cp = decode(text, pos);
    const std::size_t length = cp.length == 0 ? 1 : cp.length;
    out.push_back({pos, length, is_wide(cp.value) ? 2U : 1U});
    pos += length;
  }
  return out;
}

}  // namespace

std::string sanitize(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t pos = 0; pos < text.size();) {
    const CodePoint cp = decode(text, pos);
    if (cp.length == 0 || is_control(cp.value)) {
      out += '?';
      pos += cp.length == 0 ? 1 : cp.length;  // one '?' per bad byte or per control character
      continue;
    }
    out.append(text.substr(pos, cp.length));
    pos += cp.length;
  }
  return out;
}

std::size_t display_width(std::string_view text) {
  std::size_t width = 0;
  for (const Glyph& glyph : glyphs(text)) width += glyph.width;
  return width;
}

std::string fit_end(std::string_view text, std::size_t width) {
  if (display_width(text) <= width) return std::string(text);
  if (width <= kEllipsis.size()) return std::string(width, '.');
  const std::size_t keep = width - kEllipsis.size();
  std::size_t used = 0;
  std::size_t end = 0;
  for (const Glyph& glyph : glyphs(text)) {
    if (used + glyph.width > keep) break;
    used += glyph.width;
    end = glyph.offset + glyph.length;
  }
  return std::string(text.substr(0, end)) + std::string(kEllipsis);
}

std::string fit_middle(std::string_view text, std::size_t width) {
  if (display_width(text) <= width) return std::string(text);
  if (width <= kEllipsis.size() + 2) return fit_end(text, width);
  const std::size_t keep = width - kEllipsis.size();
  const std::size_t head_width = (keep + 1) / 2;
  const std::size_t tail_width = keep - head_width;
  const std::vector<Glyph> all = glyphs(text);
  std::size_t used = 0;
  std::size_t head_end = 0;
  for (const Glyph& glyph : all) {
    if (used + glyph.width > head_width) break;
    used += glyph.width;
    head_end = glyph.offset + glyph.length;
  }
  used = 0;
  std::size_t tail_begin = text.size();
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    if (used + it->width > tail_width) break;
    used += it->width;
    tail_begin = it->offset;
  }
  return std::string(text.substr(0, head_end)) + std::string(kEllipsis) +
         std::string(text.substr(tail_begin));
}

std::string pad_right(std::string_view text, std::size_t width) {
  std::string out = fit_end(text, width);
  out.append(width - display_width(out), ' ');
  return out;
}

std::string pad_left(std::string_view text, std::size_t width) {
  std::string out = fit_end(text, width);
  return std::string(width - display_width(out), ' ') + out;
}

}  // namespace spate::cli
