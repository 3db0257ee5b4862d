#include "support/memory_file.h"

#include <cstdlib>
#include <stdexcept>

namespace spate::testing {

MemoryFile::MemoryFile() : file_(::open_memstream(&data_, &size_)) {
  if (file_ == nullptr) throw std::runtime_error("open_memstream failed");
}

MemoryFile::~MemoryFile() {
  std::fclose(file_);
  std::free(data_);  // NOLINT(cppcoreguidelines-no-malloc): open_memstream's buffer
}

std::string MemoryFile::text() const {
  std::fflush(file_);
  return std::string(data_ == nullptr ? "" : data_, size_);
}

}  // namespace spate::testing
