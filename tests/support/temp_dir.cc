#include "support/temp_dir.h"

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <stdlib.h>
#include <system_error>
#include <utility>

namespace spate::testing {

TempDir::TempDir() {
  const char* tmpdir = std::getenv("TMPDIR");  // NOLINT(concurrency-mt-unsafe): read-only use
  std::filesystem::path base = (tmpdir != nullptr && *tmpdir != '\0') ? tmpdir : "/tmp";
  std::string pattern = (base / "spate-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    const int err = errno;
    throw std::runtime_error("mkdtemp(" + pattern +
                             ") failed: " + std::error_code(err, std::system_category()).message());
  }
  path_ = pattern;
}

TempDir::~TempDir() { remove(); }

TempDir::TempDir(TempDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    remove();
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

std::vector<std::string> TempDir::list_files() const {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(path_, ec)) {
    if (entry.is_regular_file(ec)) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

void TempDir::remove() noexcept {
  if (path_.empty()) return;
  std::error_code ec;  // best effort: a destructor must not throw
  std::filesystem::remove_all(path_, ec);
  path_.clear();
}

}  // namespace spate::testing
