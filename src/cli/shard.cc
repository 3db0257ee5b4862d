#include "shard.h"

#include <fmt/format.h>

#include <charconv>
#include <system_error>

namespace spate::cli {
namespace {

constexpr std::uint64_t kFnvPrime = 0x100000001b3ULL;
// The 64-bit LCG multiplier of the jump consistent hash paper.
constexpr std::uint64_t kJumpMultiplier = 2862933555777941757ULL;

constexpr const char* kSlurmId = "SLURM_ARRAY_TASK_ID";
constexpr const char* kSlurmMin = "SLURM_ARRAY_TASK_MIN";
constexpr const char* kSlurmMax = "SLURM_ARRAY_TASK_MAX";
constexpr const char* kSlurmCount = "SLURM_ARRAY_TASK_COUNT";
constexpr const char* kK8sIndex = "JOB_COMPLETION_INDEX";

// Plain decimal only: no sign, no blanks, no "0x"; must fit 32 bits.
std::optional<std::uint32_t> parse_decimal(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::uint32_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc{} || ptr != end) return std::nullopt;
  return value;
}

// An environment variable set to "" is treated as unset (as shells do with `VAR= cmd`).
std::optional<std::string> lookup(const EnvLookup& getenv, const char* name) {
  auto value = getenv(name);
  if (value && value->empty()) return std::nullopt;
  return value;
}

Result<std::uint32_t> env_number(const EnvLookup& getenv, const char* name) {
  const auto value = lookup(getenv, name);
  if (!value) return make_error(ErrorKind::Usage, fmt::format("--shard auto: {} is not set", name));
  const auto number = parse_decimal(*value);
  if (!number) {
    const auto message = fmt::format("--shard auto: {}='{}' is not a whole number", name, *value);
    return make_error(ErrorKind::Usage, message);
  }
  return *number;
}

Result<Shard> checked(Shard shard, std::optional<std::uint32_t> auto_count,
                      std::string_view origin) {
  if (shard.count == 0) {
    const auto message = fmt::format("--shard {}: the shard count must be at least 1", origin);
    return make_error(ErrorKind::Usage, message);
  }
  if (shard.index >= shard.count) {
    return make_error(ErrorKind::Usage,
                      fmt::format("--shard {}: shard index {} is out of range: shards are "
                                  "numbered 0 to {}",
                                  origin, shard.index, shard.count - 1));
  }
  if (auto_count && *auto_count != shard.count) {
    return make_error(ErrorKind::Usage,
                      fmt::format("--shard {}: --shard-count {} contradicts the {} shards it names",
                                  origin, *auto_count, shard.count));
  }
  return shard;
}

// Slurm job array: task ids run from SLURM_ARRAY_TASK_MIN (any number, often 0 or 1) upwards.
// Only a contiguous array (--array=0-15, --array=1-16%4) numbers its tasks 0..N-1 after the offset;
// a stepped or listed one (--array=0-30:2, --array=3,7 to rerun two tasks) would silently leave
// entries in no task or take a wrong share, so it is refused: MAX - MIN + 1 must equal COUNT.
Result<Shard> from_slurm(const EnvLookup& getenv, std::optional<std::uint32_t> auto_count) {
  const auto id = env_number(getenv, kSlurmId);
  if (!id) return tl::unexpected(id.error());
  const auto count = env_number(getenv, kSlurmCount);
  if (!count) return tl::unexpected(count.error());
  std::uint32_t min = 0;
  if (lookup(getenv, kSlurmMin)) {
    const auto parsed_min = env_number(getenv, kSlurmMin);
    if (!parsed_min) return tl::unexpected(parsed_min.error());
    min = *parsed_min;
  }
  if (*id < min) {
    return make_error(ErrorKind::Usage, fmt::format("--shard auto: {}={} is below {}={}", kSlurmId,
                                                    *id, kSlurmMin, min));
  }
  const auto contiguous_hint = [&] {
    const std::uint32_t last = *count == 0 ? 0 : *count - 1;
    return fmt::format("; use a contiguous array such as --array=0-{}, or --shard K/N", last);
  };
  if (lookup(getenv, kSlurmMax)) {
    const auto max = env_number(getenv, kSlurmMax);
    if (!max) return tl::unexpected(max.error());
    if (*max < min || std::uint64_t{*max} - min + 1 != *count) {
      return make_error(
          ErrorKind::Usage,
          fmt::format("--shard auto: the Slurm array is not contiguous ({}={}, {}={}, {}={}){}",
                      kSlurmMin, min, kSlurmMax, *max, kSlurmCount, *count, contiguous_hint()));
    }
  }
  auto shard = checked(Shard{*id - min, *count}, auto_count, "auto (Slurm array)");
  if (!shard && *count > 0 && *id - min >= *count) {
    shard.error().message += fmt::format(" (task id {} - min {}){}", *id, min, contiguous_hint());
  }
  return shard;
}

}  // namespace

Result<Shard> parse_shard(std::string_view text, const EnvLookup& getenv,
                          std::optional<std::uint32_t> auto_count) {
  if (auto_count && *auto_count == 0) {
    return make_error(ErrorKind::Usage, "--shard-count must be at least 1");
  }
  if (text == "auto") {
    if (lookup(getenv, kSlurmId)) return from_slurm(getenv, auto_count);
    if (lookup(getenv, kK8sIndex)) {
      const auto index = env_number(getenv, kK8sIndex);
      if (!index) return tl::unexpected(index.error());
      if (!auto_count) {
        return make_error(ErrorKind::Usage,
                          fmt::format("--shard auto: {} is set but the number of shards is not: "
                                      "add --shard-count N (the Job's completions)",
                                      kK8sIndex));
      }
      return checked(Shard{*index, *auto_count}, auto_count, "auto (Kubernetes Indexed Job)");
    }
    return make_error(ErrorKind::Usage,
                      fmt::format("--shard auto: neither {} (Slurm job array) nor {} (Kubernetes "
                                  "Indexed Job) is set; use --shard K/N",
                                  kSlurmId, kK8sIndex));
  }

  const auto slash = text.find('/');
  const auto index =
      slash == std::string_view::npos ? std::nullopt : parse_decimal(text.substr(0, slash));
  const auto count =
      slash == std::string_view::npos ? std::nullopt : parse_decimal(text.substr(slash + 1));
  if (!index || !count) {
    return make_error(ErrorKind::Usage,
                      fmt::format("--shard '{}': expected K/N (e.g. 3/16 is shard 3 of 16, "
                                  "numbered from 0) or auto",
                                  text));
  }
  return checked(Shard{*index, *count}, auto_count, fmt::format("'{}'", text));
}

std::uint64_t fnv1a_64(std::string_view bytes, std::uint64_t state) {
  for (const char c : bytes) {
    state ^= static_cast<unsigned char>(c);
    state *= kFnvPrime;
  }
  return state;
}

std::uint32_t jump_consistent_hash(std::uint64_t key, std::uint32_t count) {
  // The paper's loop, in 64-bit integers and IEEE doubles (exact on every platform spate builds
  // for). b < count <= 2^32 - 1 and the step is at most 2^31, so `next` stays below 2^63.
  std::int64_t bucket = -1;
  std::int64_t next = 0;
  while (next < static_cast<std::int64_t>(count)) {
    bucket = next;
    key = key * kJumpMultiplier + 1;
    const double step =
        static_cast<double>(std::int64_t{1} << 31) / static_cast<double>((key >> 33) + 1);
    next = static_cast<std::int64_t>(static_cast<double>(bucket + 1) * step);
  }
  return static_cast<std::uint32_t>(bucket);
}

std::uint32_t shard_of(std::string_view url, std::string_view out, std::uint32_t count) {
  if (count <= 1) return 0;
  std::uint64_t hash = fnv1a_64(url);
  if (!out.empty()) hash = fnv1a_64(out, fnv1a_64("\n", hash));
  return jump_consistent_hash(hash, count);
}

bool in_shard(const Shard& shard, std::string_view url, std::string_view out) {
  return shard_of(url, out, shard.count) == shard.index;
}

}  // namespace spate::cli
