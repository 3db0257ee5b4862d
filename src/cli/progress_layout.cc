#include "progress_layout.h"

#include "spate/units.h"

#include "text_fit.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>

namespace spate::cli {
namespace {

constexpr std::size_t kNameMin = 10;  // columns the name keeps before any field is shown
constexpr std::size_t kBarMin = 9;    // "[" + 7 + "]"

// The fields right of the bar, indexed in the order they appear on the line.
constexpr std::size_t kPercent = 0;
constexpr std::size_t kSize = 1;
constexpr std::size_t kSpeed = 2;
constexpr std::size_t kEta = 3;
constexpr std::size_t kConnections = 4;
constexpr std::size_t kFieldCount = 5;

// Which fields survive a narrow terminal first (the bar comes right after the percentage).
constexpr std::array<std::size_t, 4> kAfterBar = {kSpeed, kEta, kSize, kConnections};

// Widths the columns have at least, so that lines keep their layout as the numbers change.
constexpr std::array<std::size_t, kFieldCount> kNominalWidth = {4, 15, 9, 9, 4};

std::string strip_spaces(std::string text) {
  text.erase(std::remove(text.begin(), text.end(), ' '), text.end());
  return text;
}

std::string percent_text(const DownloadRow& row) {
  if (!row.size) return "--";
  if (*row.size <= 0) return "100%";
  const double ratio = static_cast<double>(row.downloaded) / static_cast<double>(*row.size);
  const auto percent = static_cast<int>(std::clamp(std::floor(ratio * 100.0), 0.0, 100.0));
  return fmt::format("{}%", percent);
}

std::string size_text(const DownloadRow& row) {
  if (!row.size) return compact_bytes(row.downloaded);
  return compact_bytes(row.downloaded) + "/" + compact_bytes(*row.size);
}

std::string eta_text(const DownloadRow& row) {
  constexpr double kLongest = 100.0 * 24 * 3600;  // beyond that an ETA means nothing
  if (!row.size || row.bytes_per_second <= 0) return "eta --";
  const auto left = static_cast<double>(std::max<std::int64_t>(0, *row.size - row.downloaded));
  const double seconds = std::ceil(left / row.bytes_per_second);
  if (!(seconds < kLongest)) return "eta --";
  return "eta " + format_duration(std::chrono::seconds(static_cast<std::int64_t>(seconds)));
}

std::string bar_text(const DownloadRow& row, std::size_t width) {
  const std::size_t inner = width - 2;
  std::string fill(inner, ' ');
  if (row.size && (row.downloaded > 0 || *row.size <= 0)) {
    const double ratio =
        *row.size <= 0 ? 1.0 : static_cast<double>(row.downloaded) / static_cast<double>(*row.size);
    const auto done = static_cast<std::size_t>(std::clamp(
        std::floor(ratio * static_cast<double>(inner)), 0.0, static_cast<double>(inner)));
    std::fill_n(fill.begin(), done, '=');
    if (done < inner) fill[done] = '>';
  }
  return "[" + fill + "]";
}

using RowFields = std::array<std::string, kFieldCount>;

RowFields fields_of(const DownloadRow& row) {
  return {percent_text(row), size_text(row), compact_rate(row.bytes_per_second), eta_text(row),
          fmt::format("CN:{}", row.connections)};
}

struct Layout {
  std::array<bool, kFieldCount> shown{};
  std::array<std::size_t, kFieldCount> widths{};
  std::size_t name_width = 0;
  std::size_t bar_width = 0;  // 0 = no bar
};

Layout plan(const std::vector<DownloadRow>& rows, const std::vector<RowFields>& fields,
            std::size_t width) {
  Layout layout;
  layout.widths = kNominalWidth;
  std::size_t longest_name = 1;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    longest_name = std::max(longest_name, display_width(rows[i].name));
    for (std::size_t f = 0; f < kFieldCount; ++f) {
      layout.widths[f] = std::max(layout.widths[f], display_width(fields[i][f]));
    }
  }
  if (width <= kNameMin) {
    layout.name_width = width;
    return layout;
  }
  // Take elements in priority order while they fit, each after a separating space.
  std::size_t left = width - kNameMin;
  auto take = [&left](std::size_t need) {
    if (left < need + 1) return false;
    left -= need + 1;
    return true;
  };
  layout.shown[kPercent] = take(layout.widths[kPercent]);
  if (layout.shown[kPercent] && take(kBarMin)) {
    layout.bar_width = kBarMin;
    for (std::size_t field : kAfterBar) {
      if (!take(layout.widths[field])) break;
      layout.shown[field] = true;
    }
  }
  // Share what is left: the name grows up to its length (at most half), the bar takes the rest.
  layout.name_width = kNameMin;
  if (layout.bar_width == 0) {
    layout.name_width += left;
  } else if (longest_name < kNameMin) {
    layout.bar_width += left + kNameMin - longest_name;
    layout.name_width = longest_name;
  } else {
    const std::size_t grow = std::min(longest_name - kNameMin, left / 2);
    layout.name_width += grow;
    layout.bar_width += left - grow;
  }
  return layout;
}

}  // namespace

std::string compact_bytes(std::int64_t bytes) { return strip_spaces(format_bytes(bytes)); }
std::string compact_rate(double bytes_per_second) {
  return strip_spaces(format_rate(bytes_per_second));
}

std::vector<std::string> render_rows(const std::vector<DownloadRow>& rows, std::size_t width) {
  std::vector<RowFields> fields;
  fields.reserve(rows.size());
  for (const DownloadRow& row : rows) fields.push_back(fields_of(row));
  const Layout layout = plan(rows, fields, width);
  std::vector<std::string> lines;
  lines.reserve(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    std::string line = pad_right(fit_middle(rows[i].name, layout.name_width), layout.name_width);
    if (layout.bar_width > 0) line += " " + bar_text(rows[i], layout.bar_width);
    for (std::size_t f = 0; f < kFieldCount; ++f) {
      if (layout.shown[f]) line += " " + pad_left(fields[i][f], layout.widths[f]);
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

}  // namespace spate::cli
