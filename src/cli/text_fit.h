// Fitting text into terminal columns: sanitising untrusted strings (URLs, server-chosen file
// names, error messages) so they cannot move the cursor or break a line, measuring their width in
// columns, and shortening them with "..." at the end or in the middle. Pure functions;
// thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace spate::cli {

// Replaces control characters (C0, DEL, C1) and invalid UTF-8 with '?', so the result is one
// printable line that holds no escape sequence.
std::string sanitize(std::string_view text);

// Columns `text` takes on a terminal: East Asian wide characters and emoji count 2, everything
// else 1 per code point. Never less than the real width (combining marks are counted as 1), so
// text measured here never wraps. Expects sanitized UTF-8.
std::size_t display_width(std::string_view text);

// `text` if it fits in `width` columns, else its start followed by "...", at most `width` wide.
std::string fit_end(std::string_view text, std::size_t width);

// `text` if it fits, else its start, "..." and its end (the end keeps a file's extension).
std::string fit_middle(std::string_view text, std::size_t width);

// Pads with spaces to exactly `width` columns (after fit_end when `text` is too wide).
std::string pad_right(std::string_view text, std::size_t width);
std::string pad_left(std::string_view text, std::size_t width);

}  // namespace spate::cli
