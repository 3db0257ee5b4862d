// A directory that downloads land in, held open (O_PATH) so that the files in it are created,
// renamed and removed relative to its descriptor: each of those calls then resolves one name
// instead of walking the directory's whole path again (bench/temp_file_steps.sh, "named-at").
// Immutable once open; shared (std::shared_ptr) by the PartFiles in it, and closed with the last.
//
// The descriptor follows the directory itself: a file open in a directory that is moved away is
// committed there, in the directory's new place. DirectoryCache (below) hands out the open ones
// on the network thread.
#pragma once

#include "spate/error.h"

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace spate::storage {

class Directory {
 public:
  // Opens `path` (which must exist and be a directory).
  static Result<std::shared_ptr<const Directory>> open(std::string path);
  ~Directory();
  Directory(const Directory&) = delete;
  Directory& operator=(const Directory&) = delete;

  int fd() const { return fd_; }
  // The path it was opened by, exactly as given (no normalisation).
  const std::string& path() const { return path_; }
  // `file`'s last component when `file` is `path()` + "/" + a name, else nullptr.
  const char* name_of(const std::filesystem::path& file) const;

 private:
  Directory(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::string path_;
};

// The open directories of one session, by path. Not thread-safe: the network thread's alone.
class DirectoryCache {
 public:
  using Clock = std::chrono::steady_clock;
  // A descriptor is handed out for this long after it was opened, then the path is opened again:
  // a directory moved away (or replaced) during a session gets new downloads at most this long.
  static constexpr std::chrono::seconds kReuseFor{1};

  // The directory `file` is in (the text before its last '/'), opened when not cached or cached
  // for kReuseFor; nullptr when `file` names no file in a directory ("name", "/name", "dir/") or
  // the directory cannot be opened (it does not exist yet, say). `reopen` drops
  // a cached descriptor first: the directory was removed and created again.
  std::shared_ptr<const Directory> directory_of(const std::filesystem::path& file, bool reopen,
                                                Clock::time_point now);

 private:
  struct Entry {
    std::shared_ptr<const Directory> directory;
    Clock::time_point opened_at;
  };
  // A list naming many directories (per-entry dir=) must not hold a descriptor for each: past
  // this many, the cache starts over (open files keep their directory alive).
  static constexpr std::size_t kMaxOpen = 64;
  std::map<std::string, Entry, std::less<>> open_;
};

}  // namespace spate::storage
