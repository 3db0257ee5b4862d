#include "storage/part_file.h"

#include "util/sys_error.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace spate::storage {
namespace {

// Where a call on `file` starts: relative to `dir` when `file` is in it, else the whole path.
std::pair<int, const char*> locate(const Directory* dir, const std::filesystem::path& file) {
  const char* name = dir != nullptr ? dir->name_of(file) : nullptr;
  if (name != nullptr) return {dir->fd(), name};
  return {AT_FDCWD, file.c_str()};
}

}  // namespace

Result<PartFile> PartFile::open(std::filesystem::path path, bool truncate,
                                std::shared_ptr<const Directory> dir) {
  const auto [at, name] = locate(dir.get(), path);
  // Create it exclusively first, so the caller learns whether it existed without another syscall;
  // then open what is there. Bounded: the file may vanish and reappear between the two calls.
  int fd = -1;
  bool created = false;
  for (int attempt = 0; attempt < 3 && fd < 0; ++attempt) {
    fd = ::openat(at, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    created = fd >= 0;
    if (fd < 0 && errno == EEXIST) fd = ::openat(at, name, O_RDWR | O_CLOEXEC);
    if (fd < 0 && errno != ENOENT) break;
  }
  if (fd >= 0 && ::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    (void)::close(fd);
    Error error{ErrorKind::FileOpen,
                fmt::format("{} is in use by another download", path.string())};
    error.sys_errno = err;
    return tl::unexpected(std::move(error));
  }
  if (fd >= 0 && truncate && ::ftruncate(fd, 0) != 0) {
    const int err = errno;
    (void)::close(fd);
    return tl::unexpected(util::sys_error(ErrorKind::FileOpen,
                                          fmt::format("cannot truncate {}", path.string()), err));
  }
  if (fd < 0) {
    const int err = errno;
    return tl::unexpected(
        util::sys_error(ErrorKind::FileOpen, fmt::format("cannot create {}", path.string()), err));
  }
  return PartFile(fd, std::move(path), created, std::move(dir));
}

PartFile::PartFile(PartFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      path_(std::move(other.path_)),
      created_(std::exchange(other.created_, false)),
      dir_(std::move(other.dir_)) {}

PartFile& PartFile::operator=(PartFile&& other) noexcept {
  if (this != &other) {
    discard();
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
    created_ = std::exchange(other.created_, false);
    dir_ = std::move(other.dir_);
  }
  return *this;
}

PartFile::~PartFile() { discard(); }

Error PartFile::file_error(ErrorKind kind, const char* what, int err) const {
  if (err == ENOSPC || err == EDQUOT) kind = ErrorKind::DiskFull;
  return util::sys_error(kind, fmt::format("{} {}", what, path_.string()), err);
}

Result<void> PartFile::preallocate(std::int64_t size) {
  if (size <= 0) return {};
  const int rc = ::fallocate(fd_, 0, 0, size);
  if (rc == 0) return {};
  const int err = errno;
  if (err != EOPNOTSUPP && err != ENOSYS) {
    return tl::unexpected(file_error(ErrorKind::FileWrite, "cannot reserve space for", err));
  }
  return truncate(size);  // no fallocate here: a sparse file of the right length
}

Result<void> PartFile::write_at(std::int64_t offset, std::span<const char> data) {
  const char* cursor = data.data();
  std::size_t left = data.size();
  while (left > 0) {
    const ssize_t written = ::pwrite(fd_, cursor, left, offset);
    if (written < 0) {
      if (errno == EINTR) continue;
      return tl::unexpected(file_error(ErrorKind::FileWrite, "cannot write", errno));
    }
    cursor += written;
    left -= static_cast<std::size_t>(written);
    offset += written;
  }
  return {};
}

Result<void> PartFile::truncate(std::int64_t size) {
  if (::ftruncate(fd_, size) != 0) {
    return tl::unexpected(file_error(ErrorKind::FileWrite, "cannot resize", errno));
  }
  return {};
}

Result<void> PartFile::sync() {
  if (::fdatasync(fd_) != 0) {
    return tl::unexpected(file_error(ErrorKind::FileWrite, "cannot flush", errno));
  }
  return {};
}

Result<std::int64_t> PartFile::size() const {
  struct stat info {};
  if (::fstat(fd_, &info) != 0) {
    return tl::unexpected(file_error(ErrorKind::FileOpen, "cannot stat", errno));
  }
  return static_cast<std::int64_t>(info.st_size);
}

Result<void> PartFile::copy_to(PartFile& out, std::int64_t out_offset, std::int64_t length) {
  loff_t in_at = 0;
  loff_t out_at = out_offset;
  while (in_at < length) {
    const auto chunk = static_cast<std::size_t>(length - in_at);
    const ssize_t copied = ::copy_file_range(fd_, &in_at, out.fd_, &out_at, chunk, 0);
    if (copied > 0) continue;
    if (copied == 0) {
      return tl::unexpected(file_error(ErrorKind::FileWrite, "unexpected end of", EIO));
    }
    if (errno == EINTR) continue;
    if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP) {
      return tl::unexpected(file_error(ErrorKind::FileWrite, "cannot copy", errno));
    }
    // No copy_file_range between these files: plain reads and writes.
    std::vector<char> buffer(std::size_t{1} << 20);
    while (in_at < length) {
      const auto want =
          std::min<std::int64_t>(static_cast<std::int64_t>(buffer.size()), length - in_at);
      const ssize_t got = ::pread(fd_, buffer.data(), static_cast<std::size_t>(want), in_at);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return tl::unexpected(file_error(ErrorKind::FileWrite, "cannot read", errno));
      if (auto written = out.write_at(out_at, {buffer.data(), static_cast<std::size_t>(got)});
          !written) {
        return written;
      }
      in_at += got;
      out_at += got;
    }
  }
  return {};
}

Result<void> PartFile::rename(const std::filesystem::path& to, unsigned flags) const {
  const auto [from_at, from_name] = locate(dir_.get(), path_);
  const auto [to_at, to_name] = locate(dir_.get(), to);
  if (::renameat2(from_at, from_name, to_at, to_name, flags) != 0) {
    const int err = errno;
    return tl::unexpected(
        util::sys_error(ErrorKind::Rename,
                        fmt::format("cannot rename {} to {}", path_.string(), to.string()), err));
  }
  return {};
}

Result<void> PartFile::commit(const std::filesystem::path& destination, bool overwrite) {
  if (auto renamed = rename(destination, overwrite ? 0U : RENAME_NOREPLACE); !renamed) {
    return renamed;
  }
  close_fd();
  path_.clear();
  return {};
}

Result<void> PartFile::rename_to(std::filesystem::path path) {
  if (auto renamed = rename(path, RENAME_NOREPLACE); !renamed) return renamed;
  path_ = std::move(path);
  return {};
}

void PartFile::keep() noexcept {
  close_fd();
  path_.clear();
}

void PartFile::discard() noexcept {
  close_fd();
  if (!path_.empty()) {
    const auto [at, name] = locate(dir_.get(), path_);
    (void)::unlinkat(at, name, 0);
    path_.clear();
  }
}

void PartFile::close_fd() noexcept {
  if (fd_ >= 0) {
    (void)::close(fd_);
    fd_ = -1;
  }
}

}  // namespace spate::storage
