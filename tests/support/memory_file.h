// A FILE* that writes into memory (open_memstream), for tests of code that prints to a stream.
// One owner, not thread-safe; not copyable.
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>

namespace spate::testing {

class MemoryFile {
 public:
  MemoryFile();  // throws std::runtime_error when the stream cannot be opened
  ~MemoryFile();
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;

  std::FILE* file() const { return file_; }
  // Everything written so far (flushes first).
  std::string text() const;

 private:
  char* data_ = nullptr;
  std::size_t size_ = 0;
  std::FILE* file_ = nullptr;
};

}  // namespace spate::testing
