// Turns names that come from the network (URL paths, Content-Disposition) into ONE safe file name
// for the local file system, plus the small UTF-8 and percent-decoding helpers this needs.
// Pure functions: no I/O, no global state, safe to call from any thread. Hostile input never
// crashes; work is linear in the input length.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace spate::util {

// Longest file name sanitize_file_name() and numbered_name() produce, in bytes: NAME_MAX (255)
// less room for the temp-file suffixes spate adds (".part.spate", ".part.<offset>").
inline constexpr std::size_t kMaxFileNameBytes = 232;

// Decodes %XX escapes (either hex case). Invalid or truncated escapes are kept literally; the
// result may contain any byte, including NUL, so sanitise it before use as a name.
std::string percent_decode(std::string_view s);

// Length in bytes of the well-formed UTF-8 sequence starting at s[pos] (1-4), or 0 when the bytes
// there are not one (stray continuation byte, overlong form, surrogate, > U+10FFFF, truncated).
std::size_t utf8_sequence_length(std::string_view s, std::size_t pos);

// True when all of `s` is well-formed UTF-8.
bool is_valid_utf8(std::string_view s);

// The file name a URL points at: its last path segment (query and fragment dropped),
// percent-decoded, then sanitised. "index.html" when the path is empty or ends with '/'.
std::string file_name_from_url(std::string_view url);

// Reduces any name to one safe file name: keeps only the last path component ('/' and '\\' are
// both separators), removes control bytes (0x00-0x1f, 0x7f), replaces each invalid UTF-8 byte by
// '_', trims surrounding spaces, rejects "." and "..", and cuts the result to kMaxFileNameBytes
// without splitting a UTF-8 sequence, keeping a short extension. Dot files (".bashrc") are kept.
// Returns sanitize_file_name(fallback) when nothing usable is left (and "index.html" if the
// fallback is unusable too), so the result is never empty.
std::string sanitize_file_name(std::string_view name, std::string_view fallback = "index.html");

// The n-th alternative for a name that already exists (aria2's rule): ".N" goes before the last
// extension: "file.bin" -> "file.1.bin", "archive.tar.gz" -> "archive.tar.1.gz",
// "noext" -> "noext.1", ".hidden" -> ".hidden.1". The stem is shortened (on a UTF-8 boundary) so
// the result stays within kMaxFileNameBytes. n < 1 returns `name` unchanged.
std::string numbered_name(std::string_view name, int n);

}  // namespace spate::util
