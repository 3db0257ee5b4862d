// What to download and how: a Task is a plain value (copyable, no thread affinity) handed to
// Session::submit, which takes it by value.
#pragma once

#include "spate/checksum.h"
#include "spate/http_options.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace spate {

using TaskId = std::uint64_t;

// How the size and Range support of a remote file are learned.
enum class ProbeMode {
  InBand,  // first request is GET with "Range: bytes=0-"; its body becomes segment 0
  Head,    // HEAD first; falls back to InBand when HEAD is refused or says nothing useful
};

// Where segment bytes go while downloading.
enum class Layout {
  Single,  // one preallocated NAME.part, every connection writes at its offset (no merge)
  Parts,   // one temp file per segment, concatenated in order at the end
};

// What to do when the final name already exists.
enum class ExistingFile {
  Rename,     // save as NAME.1.EXT, NAME.2.EXT, ... (default, as wget and aria2 do)
  Overwrite,  // replace it atomically at the end
  Skip,       // leave it alone and count the task as done
};

// Whether a rerun continues a partial download.
enum class ResumeMode {
  Auto,      // continue NAME.part when its state file NAME.part.spate matches (default)
  Continue,  // also continue a NAME.part that has no state file, from its size (wget -c)
  Never,     // always start over (--no-continue)
};

struct TaskOptions {
  int split = 8;  // connections for one file (-s): the most it uses
  // Open connections beyond the first only once the download, at the rate it has reached, would
  // take longer than this to finish; 0 opens all `split` at once. A fast path (loopback, a LAN)
  // then stays on one connection, which costs the least CPU: extra connections only pay where
  // one connection is held back (a per-connection cap, a long round trip).
  std::chrono::milliseconds split_after{0};
  std::int64_t min_split_size = 1 << 20;      // never split a range below this (-k), bytes
  int max_tries = 5;                          // attempts per download; 0 = unlimited
  std::chrono::milliseconds retry_wait{500};  // base of the exponential backoff
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(30)};
  std::chrono::milliseconds stall_timeout{std::chrono::seconds(60)};  // no data for this long
  int max_redirects = 20;
  ProbeMode probe = ProbeMode::InBand;
  Layout layout = Layout::Single;
  ExistingFile existing = ExistingFile::Rename;
  ResumeMode resume = ResumeMode::Auto;
  std::int64_t max_download_limit = 0;  // bytes/s for this download; 0 = no limit
  // Drop a connection that runs below this many bytes/s after a 3 s start-up grace; its range
  // goes to a fresh connection (counts as a failed attempt). 0 = off.
  std::int64_t lowest_speed_limit = 0;
  std::optional<Checksum> checksum;  // verified before the final rename
  bool content_disposition = true;   // name the file as Content-Disposition says (no -o)
  std::chrono::milliseconds state_interval{1000};  // how often resume state is saved
  HttpOptions http;  // headers, credentials, cookies, proxies, TLS (spate/http_options.h)
  // fdatasync the file before its final rename. Off by default, as in curl, wget and aria2: a
  // sync costs milliseconds per file on real disks, which dominates lists of small files.
  bool sync_on_finish = false;
};

struct Task {
  std::string url;
  std::filesystem::path dir = ".";  // target directory
  std::string out{};                // file name inside dir; empty = derived from the URL
  TaskOptions options{};
};

}  // namespace spate
