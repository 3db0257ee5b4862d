#include "storage/directory.h"

#include "util/sys_error.h"

#include <fmt/format.h>

#include <cerrno>
#include <fcntl.h>
#include <optional>
#include <string_view>
#include <unistd.h>

namespace spate::storage {
namespace {

// `file` split at its last '/': the directory's text and the name after it. nullopt when there is
// no '/' or nothing follows it.
struct LastComponent {
  std::string_view directory;
  const char* name;
};

std::optional<LastComponent> split_last(const std::filesystem::path& file) {
  const std::string& text = file.native();
  const auto slash = text.rfind('/');
  if (slash == std::string::npos || slash + 1 == text.size()) return std::nullopt;
  return LastComponent{std::string_view(text).substr(0, slash), text.c_str() + slash + 1};
}

}  // namespace

Result<std::shared_ptr<const Directory>> Directory::open(std::string path) {
  const int fd = ::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return tl::unexpected(
        util::sys_error(ErrorKind::FileOpen, fmt::format("cannot open directory {}", path), err));
  }
  return std::shared_ptr<const Directory>(new Directory(fd, std::move(path)));
}

Directory::~Directory() { (void)::close(fd_); }

const char* Directory::name_of(const std::filesystem::path& file) const {
  const auto split = split_last(file);
  return split && split->directory == path_ ? split->name : nullptr;
}

std::shared_ptr<const Directory> DirectoryCache::directory_of(const std::filesystem::path& file,
                                                              bool reopen, Clock::time_point now) {
  const auto split = split_last(file);
  if (!split || split->directory.empty()) return nullptr;  // "name" or "/name": no need
  const std::string_view path = split->directory;
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
