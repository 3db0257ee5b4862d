// --shard K/N: a deterministic share of an input list, so N independent workers (Slurm job
// arrays, Kubernetes Indexed Jobs, GNU parallel) split one list with no coordination. Each entry
// goes to exactly one shard, chosen from its URL (and out= name) alone: not from its position in
// the list, the machine, or the spate version. The hash and the bucket function below are pinned
// by test vectors; changing either would reshuffle every existing split, so never do.
// All functions are pure (parse_shard reads the environment only through the lookup it is
// given) and thread-safe.
#pragma once

#include "spate/error.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace spate::cli {

struct Shard {
  std::uint32_t index = 0;  // 0 <= index < count
  std::uint32_t count = 1;  // 1 = no sharding: every entry is in shard 0
};

// Looks up an environment variable; nullopt when unset. Production passes a wrapper around
// std::getenv, tests a map.
using EnvLookup = std::function<std::optional<std::string>(const char*)>;

// Parses the value of --shard.
//   "K/N"   shard K of N, both plain decimal (no sign, no blanks), N >= 1, K < N.
//   "auto"  from the environment:
//           SLURM_ARRAY_TASK_ID (minus SLURM_ARRAY_TASK_MIN when set) of SLURM_ARRAY_TASK_COUNT,
//           refused unless the array is contiguous (SLURM_ARRAY_TASK_MAX - MIN + 1 == COUNT);
//           else JOB_COMPLETION_INDEX (Kubernetes Indexed Job) of `auto_count`, which is required.
// `auto_count` is --shard-count; when given it must agree with N ("K/N" or Slurm's count).
// A variable set to the empty string counts as unset. Every error is ErrorKind::Usage.
Result<Shard> parse_shard(std::string_view text, const EnvLookup& getenv,
                          std::optional<std::uint32_t> auto_count);

// FNV-1a, 64 bit (offset basis 0xcbf29ce484222325, prime 0x100000001b3): tiny, well known,
// the same on every machine, unlike std::hash.
std::uint64_t fnv1a_64(std::string_view bytes, std::uint64_t state = 0xcbf29ce484222325ULL);

// Jump consistent hash (Lamping & Veach, 2014, arXiv:1406.2294): maps `key` to a bucket in
// [0, count). When count grows from N to N+1 only about 1/(N+1) of the keys move, all to the new
// bucket, so re-sharding a list keeps most entries where they were. count must be >= 1.
std::uint32_t jump_consistent_hash(std::uint64_t key, std::uint32_t count);

// The shard an entry belongs to: jump_consistent_hash(fnv1a_64(url + "\n" + out), count), where
// the "\n" + out part is present only when out is non-empty. (Two entries for one URL saved under
// different names may thus land on different workers; two identical entries never do.)
std::uint32_t shard_of(std::string_view url, std::string_view out, std::uint32_t count);

bool in_shard(const Shard& shard, std::string_view url, std::string_view out);

}  // namespace spate::cli
