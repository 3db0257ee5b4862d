// The temp file a download writes into (NAME.part), owned by one Job on the network thread.
// RAII: the descriptor is closed in the destructor, and the file is removed unless it was
// committed (renamed to its final name) or kept for a later resume.
#pragma once

#include "spate/error.h"

#include "storage/directory.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <utility>

namespace spate::storage {

class PartFile {
 public:
  // Opens (creating it when needed) `path` for writing and takes an exclusive flock on it, so no
  // two downloads (in this process or another) write the same temp file; truncates it when
  // `truncate`. A file locked by someone else fails with sys_errno EWOULDBLOCK.
  // With `dir`, the directory `path` is in: this file's calls name it (and the names it is
  // renamed to, when they are in `dir` too) relative to dir's descriptor, which it shares.
  static Result<PartFile> open(std::filesystem::path path, bool truncate,
                               std::shared_ptr<const Directory> dir = nullptr);
  PartFile() = default;
  PartFile(PartFile&& other) noexcept;
  PartFile& operator=(PartFile&& other) noexcept;
  PartFile(const PartFile&) = delete;
  PartFile& operator=(const PartFile&) = delete;
  ~PartFile();

  bool is_open() const { return fd_ >= 0; }
  // open() created the file (it did not exist before): it is empty, and nothing can be resumed.
  bool created() const { return created_; }
  const std::filesystem::path& path() const { return path_; }

  // Reserves `size` bytes without writing them (fallocate); on filesystems without fallocate the
  // file is only extended (sparse). Never a slow zero-fill.
  Result<void> preallocate(std::int64_t size);
  // Writes all of `data` at `offset` (pwrite, retried on EINTR and short writes).
  Result<void> write_at(std::int64_t offset, std::span<const char> data);
  // Sets the length (drops preallocated space past it).
  Result<void> truncate(std::int64_t size);
  Result<void> sync();
  Result<std::int64_t> size() const;
  // Copies bytes [0, length) of this file to `out` at `out_offset` (copy_file_range, which
  // reflinks where the filesystem can; plain reads and writes where it cannot).
  Result<void> copy_to(PartFile& out, std::int64_t out_offset, std::int64_t length);

  // Renames the file to `destination` (call sync() first for durability). Without `overwrite`,
  // an existing destination is never replaced: the result is an error with sys_errno EEXIST.
  Result<void> commit(const std::filesystem::path& destination, bool overwrite);
  // Renames the open file to `path` without replacing anything there (EEXIST otherwise); the
  // descriptor and its lock move with it.
  Result<void> rename_to(std::filesystem::path path);
  // Closes the descriptor and leaves the file on disk (for resume).
  void keep() noexcept;
  // Closes the descriptor and removes the file.
  void discard() noexcept;

 private:
  PartFile(int fd, std::filesystem::path path, bool created, std::shared_ptr<const Directory> dir)
      : fd_(fd), path_(std::move(path)), created_(created), dir_(std::move(dir)) {}
  void close_fd() noexcept;
  Error file_error(ErrorKind kind, const char* what, int err) const;
  Result<void> rename(const std::filesystem::path& to, unsigned flags) const;

  int fd_ = -1;
  std::filesystem::path path_;
  bool created_ = false;
  std::shared_ptr<const Directory> dir_;
};

}  // namespace spate::storage
