#include "storage/directory.h"

#include <fmt/format.h>

#include <cerrno>
#include <fcntl.h>
#include <system_error>
#include <unistd.h>

namespace spate::storage {

Result<std::shared_ptr<const Directory>> Directory::open(std::string path) {
  const int fd = ::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    Error error{ErrorKind::FileOpen,
                fmt::format("cannot open directory {}: {}", path,
                            std::error_code(err, std::system_category()).message())};
    error.sys_errno = err;
    return tl::unexpected(std::move(error));
  }
  return std::shared_ptr<const Directory>(new Directory(fd, std::move(path)));
}

Directory::~Directory() { (void)::close(fd_); }

const char* Directory::name_of(const std::filesystem::path& file) const {
  const std::string& text = file.native();
  const auto slash = text.rfind('/');
  if (slash == std::string::npos || slash + 1 == text.size()) return nullptr;
  if (std::string_view(text).substr(0, slash) != path_) return nullptr;
  return text.c_str() + slash + 1;
}

std::shared_ptr<const Directory> DirectoryCache::directory_of(const std::filesystem::path& file,
                                                              bool reopen, Clock::time_point now) {
  const std::string& text = file.native();
  const auto slash = text.rfind('/');
  if (slash == std::string::npos || slash == 0) return nullptr;  // "name" or "/name": no need
  const std::string_view path = std::string_view(text).substr(0, slash);
  const auto it = open_.find(path);
  if (it != open_.end() && !reopen && now - it->second.opened_at < kReuseFor) {
    return it->second.directory;
  }
  if (it != open_.end()) open_.erase(it);
  auto opened = Directory::open(std::string(path));
  if (!opened) return nullptr;
  if (open_.size() >= kMaxOpen) open_.clear();
  open_.emplace((*opened)->path(), Entry{*opened, now});
  return *opened;
}

}  // namespace spate::storage
