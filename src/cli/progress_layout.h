// The live lines of the terminal progress display, as pure functions of the numbers: one line
// per active download ("name [=====>    ]  45% 12.3MiB/45.0MiB 3.20MiB/s eta 10s CN:4"), with
// columns aligned across lines and every line fitting the given width. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace spate::cli {

struct DownloadRow {
  std::string name;  // sanitized (see text_fit.h)
  std::int64_t downloaded = 0;
  std::optional<std::int64_t> size;
  double bytes_per_second = 0;
  int connections = 0;
};

// One line per row, each at most `width` columns; exactly `width` when the bar is shown. Fields
// are dropped from the right by priority as the width shrinks: connections, size, ETA, speed,
// bar, percent; the name is shortened in the middle.
std::vector<std::string> render_rows(const std::vector<DownloadRow>& rows, std::size_t width);

// "12.3 MiB" -> "12.3MiB": the compact byte counts of the live display.
std::string compact_bytes(std::int64_t bytes);
std::string compact_rate(double bytes_per_second);

}  // namespace spate::cli
