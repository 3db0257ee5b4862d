// ByteRange: a half-open range of byte offsets [begin, end) within one file.
// A plain value type: copyable, no ownership, no thread affinity.
#pragma once

#include <cstdint>

namespace spate::core {

struct ByteRange {
  std::int64_t begin = 0;
  std::int64_t end = 0;

  std::int64_t size() const { return end > begin ? end - begin : 0; }
  bool empty() const { return end <= begin; }
  bool contains(std::int64_t offset) const { return begin <= offset && offset < end; }

  friend bool operator==(const ByteRange&, const ByteRange&) = default;
};

}  // namespace spate::core
