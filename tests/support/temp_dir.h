// RAII temporary directory for tests: created unique (mkdtemp) under $TMPDIR or /tmp, removed
// recursively when the owner is destroyed. Movable, not copyable; one owner, not thread-safe.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace spate::testing {

class TempDir {
 public:
  TempDir();  // throws std::runtime_error when the directory cannot be created
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;

  const std::filesystem::path& path() const { return path_; }

  // Sorted names (not paths) of the regular files directly inside the directory.
  std::vector<std::string> list_files() const;

 private:
  void remove() noexcept;

  std::filesystem::path path_;  // empty once moved from
};

}  // namespace spate::testing
