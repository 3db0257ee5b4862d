#include "core/retry_policy.h"

#include <algorithm>

namespace spate::core {

Disposition classify(const Error& error) {
  switch (error.kind) {
    case ErrorKind::Connect:
    case ErrorKind::Timeout:
    case ErrorKind::Protocol:
    case ErrorKind::RangeMismatch:
    case ErrorKind::SizeMismatch:
    case ErrorKind::Transport:
      return Disposition::Retry;
    case ErrorKind::HttpStatus:
      switch (error.http_status) {
        case 408:
        case 429:
        case 500:
        case 502:
        case 503:
        case 504:
          return Disposition::Retry;
        default:
          return Disposition::Fail;
      }
    case ErrorKind::ContentChanged:
      return Disposition::Restart;
    default:
      return Disposition::Fail;
  }
}

std::chrono::milliseconds backoff(int failures, std::chrono::milliseconds base,
                                  std::optional<std::chrono::seconds> retry_after,
                                  std::uint64_t jitter_seed, std::chrono::milliseconds cap) {
  using std::chrono::milliseconds;
  if (retry_after) return std::min<milliseconds>(*retry_after, std::chrono::minutes(10));
  const int doublings = std::clamp(failures - 1, 0, 20);
  const auto raw = base.count() * (std::int64_t{1} << doublings);
  const auto capped = std::min<std::int64_t>(raw, cap.count());
  // splitmix64 of the seed gives jitter in [0, 25 %) without global random state.
  std::uint64_t z = jitter_seed + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
  z ^= z >> 31U;
  const auto jitter =
      capped <= 0 ? 0 : static_cast<std::int64_t>(z % static_cast<std::uint64_t>(capped / 4 + 1));
  return milliseconds(capped + jitter);
}

}  // namespace spate::core
