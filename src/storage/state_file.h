// The resume state file (NAME.part.spate): a versioned, checksummed, line-based text file that
// records what a rerun needs to resume a download. The format is specified in
// docs/state-file-format.md. encode/decode/validate are pure functions (thread-safe). The file
// functions touch only `path` and `path + ".tmp"`; the caller must make sure that one writer at a
// time owns a given path (the Job that holds the NAME.part lock).
#pragma once

#include "spate/error.h"

#include "core/byte_range.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace spate::storage {

inline constexpr int kStateFileVersion = 1;
inline constexpr std::size_t kMaxStateValueBytes =
    std::size_t{16} * 1024;  // url, etag, ... (decoded)
inline constexpr std::size_t kMaxStateRanges = 1'000'000;
inline constexpr std::size_t kMaxStateFileBytes = std::size_t{64} * 1024 * 1024;

struct ResumeState {
  std::string url;         // the URL as given by the user; never empty
  std::int64_t size = -1;  // total bytes; -1 unknown (no resume possible then)
  std::string etag;        // validators of the remote version being fetched
  std::string last_modified;
  std::string layout = "single";      // "single" or "parts"
  std::string checksum;               // "sha-256=HEX" or ""; not interpreted here
  std::vector<core::ByteRange> done;  // ranges whose bytes are written AND synced to disk

  friend bool operator==(const ResumeState&, const ResumeState&) = default;
};

// Checks what decode_state checks: non-empty url, values within kMaxStateValueBytes, size >= -1,
// a known layout, at most kMaxStateRanges ranges, each non-empty, sorted, non-overlapping (adjacent
// is fine) and within [0, size) when size is known. ErrorKind::StateFile, "state file: ...".
Result<void> validate_state(const ResumeState& state);

// The bytes of the file. Does not validate: a state that validate_state rejects encodes to bytes
// that decode_state rejects. A valid state always encodes to less than kMaxStateFileBytes.
std::string encode_state(const ResumeState& state);

// Parses and validates; `bytes` may be hostile (never crashes, bounded memory). Every failure is
// ErrorKind::StateFile with a one-line message starting "state file: ".
Result<ResumeState> decode_state(std::string_view bytes);

// Atomically replaces `path`: validate, write `path + ".tmp"` (mode 0644), fsync, rename over
// `path`, fsync the directory. The tmp file is removed on failure. Errors carry the path and
// sys_errno: ENOSPC/EDQUOT give DiskFull, failed write/fsync FileWrite, anything else StateFile.
Result<void> write_state_file(const std::filesystem::path& path, const ResumeState& state);

// Reads and decodes `path`. A missing file is ErrorKind::StateFile with sys_errno ENOENT, so
// callers can tell "nothing to resume" from "unusable state"; messages name the path.
Result<ResumeState> read_state_file(const std::filesystem::path& path);

}  // namespace spate::storage
