#include "shard.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace spate::cli {
namespace {

using ::testing::HasSubstr;

struct Entry {
  std::string url;
  std::string out;
};

// 10,000 entries shaped like a real list: near-identical URLs differing in a few digits, a few
// hosts, and every tenth entry with an out= name.
std::vector<Entry> synthetic_list() {
  std::vector<Entry> entries;
  entries.reserve(10000);
  for (int i = 0; i < 10000; ++i) {
    Entry entry;
    entry.url = fmt::format("https://mirror{}.example.org/data/2024/file-{:05}.bin", i % 3, i);
    if (i % 10 == 0) entry.out = fmt::format("renamed/{:05}.bin", i);
    entries.push_back(std::move(entry));
  }
  return entries;
}

// What one worker would download: the entries (as "url\nout") in its shard.
std::set<std::string> select(const std::vector<Entry>& entries, const Shard& shard) {
  std::set<std::string> chosen;
  for (const auto& entry : entries) {
    if (in_shard(shard, entry.url, entry.out)) chosen.insert(entry.url + "\n" + entry.out);
  }
  return chosen;
}

// ---------------------------------------------------------------------------------------------
// The pinned functions: these values must never change, or every existing split reshuffles.

TEST(ShardHash, Fnv1a64MatchesTheReferenceVectors) {
  EXPECT_EQ(fnv1a_64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(fnv1a_64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(fnv1a_64("foobar"), 0x85944171f73967e8ULL);
  // Continuing from a state is the same as hashing the concatenation.
  EXPECT_EQ(fnv1a_64("bar", fnv1a_64("foo")), fnv1a_64("foobar"));
}

TEST(ShardHash, JumpConsistentHashMatchesTheReferenceVectors) {
  // The vectors other implementations of the paper's code publish.
  EXPECT_EQ(jump_consistent_hash(1, 1), 0u);
  EXPECT_EQ(jump_consistent_hash(42, 57), 43u);
  EXPECT_EQ(jump_consistent_hash(256, 1024), 520u);
  EXPECT_EQ(jump_consistent_hash(0xDEAD10CC, 1), 0u);
  EXPECT_EQ(jump_consistent_hash(0xDEAD10CC, 666), 361u);
  EXPECT_EQ(jump_consistent_hash(16045690984833335023ULL, 255), 237u);
}

TEST(ShardHash, JumpConsistentHashStaysInRangeForHugeCounts) {
  constexpr std::uint32_t kMax = 0xFFFFFFFFu;
  for (std::uint64_t key = 0; key < 1000; ++key) {
    EXPECT_LT(jump_consistent_hash(key * 0x9E3779B97F4A7C15ULL, kMax), kMax);
  }
}

TEST(ShardOf, IsJumpHashOfFnvOfUrlAndOut) {
  const std::string url = "https://example.com/a.iso";
  EXPECT_EQ(shard_of(url, "", 16), jump_consistent_hash(fnv1a_64(url), 16));
  EXPECT_EQ(shard_of(url, "images/a.iso", 16),
            jump_consistent_hash(fnv1a_64(url + "\nimages/a.iso"), 16));
}

TEST(ShardOf, PinnedAssignments) {
  // Cross-checked against an independent Python implementation; they pin the whole composition.
  EXPECT_EQ(shard_of("https://example.com/a.iso", "", 16), 9u);
  EXPECT_EQ(shard_of("https://example.com/a.iso", "images/a.iso", 16), 14u);
  EXPECT_EQ(shard_of("https://example.com/b.iso", "", 16), 5u);
  EXPECT_EQ(shard_of("https://example.com/b.iso", "", 100), 58u);
  EXPECT_EQ(shard_of("https://example.com/b.iso", "", 1), 0u);
}

TEST(ShardOf, OutNameTakesPart) {
  // Over many out names one URL must reach more than one shard, or out would be ignored.
  std::set<std::uint32_t> seen;
  for (int i = 0; i < 100; ++i) {
    seen.insert(shard_of("https://example.com/same", fmt::format("name-{}", i), 16));
  }
  EXPECT_GT(seen.size(), 8u);
}

// ---------------------------------------------------------------------------------------------
// The guarantees over a whole list.

class ShardSplit : public ::testing::TestWithParam<std::uint32_t> {};

TEST_P(ShardSplit, EveryEntryIsInExactlyOneShard) {
  const std::uint32_t count = GetParam();
  const auto entries = synthetic_list();
  std::vector<std::size_t> sizes(count, 0);
  for (const auto& entry : entries) {
    std::uint32_t owners = 0;
    for (std::uint32_t index = 0; index < count; ++index) {
      if (in_shard(Shard{index, count}, entry.url, entry.out)) {
        ++owners;
        ++sizes[index];
      }
    }
    ASSERT_EQ(owners, 1u) << entry.url << " with count " << count;
  }
  std::size_t total = 0;
  for (const auto size : sizes) total += size;
  EXPECT_EQ(total, entries.size());
}

TEST_P(ShardSplit, SelectionDoesNotDependOnListOrder) {
  const std::uint32_t count = GetParam();
  const auto entries = synthetic_list();
  auto shuffled = entries;
  std::mt19937_64 random(20240917);
  std::shuffle(shuffled.begin(), shuffled.end(), random);
  ASSERT_NE(shuffled[0].url, entries[0].url);  // the shuffle did something
  for (std::uint32_t index = 0; index < count; ++index) {
    EXPECT_EQ(select(shuffled, Shard{index, count}), select(entries, Shard{index, count}))
        << "shard " << index << "/" << count;
  }
}

TEST_P(ShardSplit, ShardsAreRoughlyBalanced) {
  const std::uint32_t count = GetParam();
  // Within 20 % of the mean up to 16 shards; 100 shards hold only ~100 entries each, so the
  // natural spread is wider there (the sample's extremes are 0.76 and 1.35 of the mean).
  const double slack = count <= 16 ? 0.2 : 0.5;
  const auto entries = synthetic_list();
  std::vector<double> sizes(count, 0);
  for (const auto& entry : entries) sizes[shard_of(entry.url, entry.out, count)] += 1;
  const double mean = static_cast<double>(entries.size()) / count;
  for (std::uint32_t index = 0; index < count; ++index) {
    EXPECT_GE(sizes[index], (1 - slack) * mean) << "shard " << index << "/" << count;
    EXPECT_LE(sizes[index], (1 + slack) * mean) << "shard " << index << "/" << count;
  }
}

INSTANTIATE_TEST_SUITE_P(Counts, ShardSplit, ::testing::Values(1u, 2u, 3u, 7u, 16u, 100u));

TEST(ShardSplit, GrowingTheCountOnlyMovesEntriesToTheNewShard) {
  const auto entries = synthetic_list();
  for (std::uint32_t count = 1; count < 20; ++count) {
    std::size_t moved = 0;
    for (const auto& entry : entries) {
      const auto before = shard_of(entry.url, entry.out, count);
      const auto after = shard_of(entry.url, entry.out, count + 1);
      if (before != after) {
        ASSERT_EQ(after, count) << entry.url;
        ++moved;
      }
    }
    // About 1/(count+1) of the entries move; allow generous slack around that.
    const double expected = static_cast<double>(entries.size()) / (count + 1);
    EXPECT_GT(static_cast<double>(moved), 0.7 * expected) << count << " -> " << count + 1;
    EXPECT_LT(static_cast<double>(moved), 1.3 * expected) << count << " -> " << count + 1;
  }
}

// ---------------------------------------------------------------------------------------------
// parse_shard

class FakeEnv {
 public:
  FakeEnv(std::map<std::string, std::string> vars) : vars_(std::move(vars)) {}

  EnvLookup lookup() {
    return [this](const char* name) -> std::optional<std::string> {
      ++calls_;
      const auto it = vars_.find(name);
      if (it == vars_.end()) return std::nullopt;
      return it->second;
    };
  }
  int calls() const { return calls_; }

 private:
  std::map<std::string, std::string> vars_;
  int calls_ = 0;
};

Result<Shard> parse_with(std::string_view text, std::map<std::string, std::string> vars,
                         std::optional<std::uint32_t> auto_count = std::nullopt) {
  FakeEnv env(std::move(vars));
  return parse_shard(text, env.lookup(), auto_count);
}

void expect_shard(const Result<Shard>& result, std::uint32_t index, std::uint32_t count) {
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->index, index);
  EXPECT_EQ(result->count, count);
}

// Returns the message so callers can check what it says.
std::string expect_usage_error(const Result<Shard>& result) {
  EXPECT_FALSE(result.has_value()) << "accepted as " << result->index << "/" << result->count;
  if (result.has_value()) return {};
  EXPECT_EQ(result.error().kind, ErrorKind::Usage);
  EXPECT_THAT(result.error().message, HasSubstr("shard"));
  return result.error().message;
}

TEST(ParseShard, AcceptsKOfN) {
  expect_shard(parse_with("0/1", {}), 0, 1);
  expect_shard(parse_with("3/16", {}), 3, 16);
  expect_shard(parse_with("15/16", {}), 15, 16);
  expect_shard(parse_with("4294967294/4294967295", {}), 4294967294u, 4294967295u);
}

TEST(ParseShard, KOfNDoesNotReadTheEnvironment) {
  FakeEnv env({{"SLURM_ARRAY_TASK_ID", "5"}, {"SLURM_ARRAY_TASK_COUNT", "8"}});
  expect_shard(parse_shard("3/16", env.lookup(), std::nullopt), 3, 16);
  EXPECT_EQ(env.calls(), 0);
}

TEST(ParseShard, RejectsMalformedForms) {
  for (const char* text :
       {"16/16", "17/16", "a/b",  "1/0",   "0/0",   "-1/2",  "1/-2",
        " 1/2",  "1/2 ",  "1 /2", "+1/2",  "1/+2",  "1/",    "/2",
        "/",     "1",     "",     "1/2/3", "0x1/2", "1.0/2", "4294967296/4294967297",
        "AUTO",  "auto ", "1\\2"}) {
    SCOPED_TRACE(text);
    expect_usage_error(parse_with(text, {}));
  }
}

TEST(ParseShard, OutOfRangeIndexSaysWhatTheRangeIs) {
  EXPECT_THAT(expect_usage_error(parse_with("16/16", {})), HasSubstr("0 to 15"));
}

TEST(ParseShard, ShardCountMustAgreeWithKOfN) {
  expect_shard(parse_with("3/16", {}, 16), 3, 16);
  EXPECT_THAT(expect_usage_error(parse_with("3/16", {}, 8)), HasSubstr("--shard-count 8"));
  EXPECT_THAT(expect_usage_error(parse_with("0/1", {}, 0)), HasSubstr("--shard-count"));
}

TEST(ParseShardAuto, FailsWithNoEnvironment) {
  const auto message = expect_usage_error(parse_with("auto", {}));
  EXPECT_THAT(message, HasSubstr("SLURM_ARRAY_TASK_ID"));
  EXPECT_THAT(message, HasSubstr("JOB_COMPLETION_INDEX"));
  expect_usage_error(parse_with("auto", {}, 16));
}

TEST(ParseShardAuto, SlurmZeroBased) {
  expect_shard(parse_with("auto", {{"SLURM_ARRAY_TASK_ID", "0"}, {"SLURM_ARRAY_TASK_COUNT", "16"}}),
               0, 16);
  expect_shard(parse_with("auto", {{"SLURM_ARRAY_TASK_ID", "15"},
                                   {"SLURM_ARRAY_TASK_MIN", "0"},
                                   {"SLURM_ARRAY_TASK_COUNT", "16"}}),
               15, 16);
}

TEST(ParseShardAuto, SlurmIdsAreOffsetByTheArrayMinimum) {
  // --array=1-16 and --array=100-115: task ids need not start at 0.
  const std::map<std::string, std::string> one_based{{"SLURM_ARRAY_TASK_MIN", "1"},
                                                     {"SLURM_ARRAY_TASK_COUNT", "16"}};
  auto vars = one_based;
  vars["SLURM_ARRAY_TASK_ID"] = "1";
  expect_shard(parse_with("auto", vars), 0, 16);
  vars["SLURM_ARRAY_TASK_ID"] = "16";
  expect_shard(parse_with("auto", vars), 15, 16);
  vars["SLURM_ARRAY_TASK_ID"] = "17";
  EXPECT_THAT(expect_usage_error(parse_with("auto", vars)), HasSubstr("contiguous"));
  vars["SLURM_ARRAY_TASK_ID"] = "0";
  EXPECT_THAT(expect_usage_error(parse_with("auto", vars)), HasSubstr("below"));

  expect_shard(parse_with("auto", {{"SLURM_ARRAY_TASK_ID", "107"},
                                   {"SLURM_ARRAY_TASK_MIN", "100"},
                                   {"SLURM_ARRAY_TASK_COUNT", "16"}}),
               7, 16);
}

TEST(ParseShardAuto, SlurmIdPastTheCountIsRejected) {
  // A stepped array (--array=0-30:2) has ids beyond COUNT: its tasks would not cover every shard.
  const auto message = expect_usage_error(
      parse_with("auto", {{"SLURM_ARRAY_TASK_ID", "16"}, {"SLURM_ARRAY_TASK_COUNT", "16"}}));
  EXPECT_THAT(message, HasSubstr("--array=0-15"));
}

TEST(ParseShardAuto, SlurmArrayMustBeContiguous) {
  // --array=0-15 and --array=1-16%4 (a throttle does not change the ids): MAX - MIN + 1 == COUNT.
  expect_shard(parse_with("auto", {{"SLURM_ARRAY_TASK_ID", "7"},
                                   {"SLURM_ARRAY_TASK_MIN", "0"},
                                   {"SLURM_ARRAY_TASK_MAX", "15"},
                                   {"SLURM_ARRAY_TASK_COUNT", "16"}}),
               7, 16);
  expect_shard(parse_with("auto", {{"SLURM_ARRAY_TASK_ID", "16"},
                                   {"SLURM_ARRAY_TASK_MIN", "1"},
                                   {"SLURM_ARRAY_TASK_MAX", "16"},
                                   {"SLURM_ARRAY_TASK_COUNT", "16"}}),
               15, 16);
  // --array=3,7 (rerunning two tasks): id 3 would otherwise become shard 0 of 2, silently.
  EXPECT_THAT(expect_usage_error(parse_with("auto", {{"SLURM_ARRAY_TASK_ID", "3"},
                                                     {"SLURM_ARRAY_TASK_MIN", "3"},
                                                     {"SLURM_ARRAY_TASK_MAX", "7"},
                                                     {"SLURM_ARRAY_TASK_COUNT", "2"}})),
              HasSubstr("not contiguous"));
  // --array=0-30:2: id 2 would otherwise become shard 2 of 16 while shard 1 has no task.
  EXPECT_THAT(expect_usage_error(parse_with("auto", {{"SLURM_ARRAY_TASK_ID", "2"},
                                                     {"SLURM_ARRAY_TASK_MIN", "0"},
                                                     {"SLURM_ARRAY_TASK_MAX", "30"},
                                                     {"SLURM_ARRAY_TASK_COUNT", "16"}})),
              HasSubstr("--array=0-15"));
  EXPECT_THAT(expect_usage_error(parse_with("auto", {{"SLURM_ARRAY_TASK_ID", "2"},
                                                     {"SLURM_ARRAY_TASK_MAX", "x"},
                                                     {"SLURM_ARRAY_TASK_COUNT", "16"}})),
              HasSubstr("SLURM_ARRAY_TASK_MAX"));
}

TEST(ParseShardAuto, SlurmNeedsAValidCount) {
  EXPECT_THAT(expect_usage_error(parse_with("auto", {{"SLURM_ARRAY_TASK_ID", "3"}})),
              HasSubstr("SLURM_ARRAY_TASK_COUNT"));
  expect_usage_error(
      parse_with("auto", {{"SLURM_ARRAY_TASK_ID", "0"}, {"SLURM_ARRAY_TASK_COUNT", "0"}}));
  expect_usage_error(
      parse_with("auto", {{"SLURM_ARRAY_TASK_ID", "0"}, {"SLURM_ARRAY_TASK_COUNT", "x"}}));
}

TEST(ParseShardAuto, SlurmRejectsMalformedValues) {
  for (const char* bad : {"x", "-1", " 3", "3 ", "+3", "99999999999"}) {
    SCOPED_TRACE(bad);
    EXPECT_THAT(expect_usage_error(parse_with(
                    "auto", {{"SLURM_ARRAY_TASK_ID", bad}, {"SLURM_ARRAY_TASK_COUNT", "16"}})),
                HasSubstr("SLURM_ARRAY_TASK_ID"));
    EXPECT_THAT(expect_usage_error(parse_with("auto", {{"SLURM_ARRAY_TASK_ID", "3"},
                                                       {"SLURM_ARRAY_TASK_MIN", bad},
                                                       {"SLURM_ARRAY_TASK_COUNT", "16"}})),
                HasSubstr("SLURM_ARRAY_TASK_MIN"));
  }
}

TEST(ParseShardAuto, SlurmWithShardCount) {
  const std::map<std::string, std::string> vars{{"SLURM_ARRAY_TASK_ID", "3"},
                                                {"SLURM_ARRAY_TASK_COUNT", "16"}};
  expect_shard(parse_with("auto", vars, 16), 3, 16);
  EXPECT_THAT(expect_usage_error(parse_with("auto", vars, 8)), HasSubstr("--shard-count 8"));
}

TEST(ParseShardAuto, SlurmWinsOverKubernetes) {
  expect_shard(parse_with("auto", {{"SLURM_ARRAY_TASK_ID", "3"},
                                   {"SLURM_ARRAY_TASK_COUNT", "16"},
                                   {"JOB_COMPLETION_INDEX", "5"}}),
               3, 16);
}

TEST(ParseShardAuto, KubernetesIndexedJob) {
  expect_shard(parse_with("auto", {{"JOB_COMPLETION_INDEX", "0"}}, 16), 0, 16);
  expect_shard(parse_with("auto", {{"JOB_COMPLETION_INDEX", "15"}}, 16), 15, 16);
  EXPECT_THAT(expect_usage_error(parse_with("auto", {{"JOB_COMPLETION_INDEX", "16"}}, 16)),
              HasSubstr("0 to 15"));
  EXPECT_THAT(expect_usage_error(parse_with("auto", {{"JOB_COMPLETION_INDEX", "x"}}, 16)),
              HasSubstr("JOB_COMPLETION_INDEX"));
  expect_usage_error(parse_with("auto", {{"JOB_COMPLETION_INDEX", "3"}}, 0));
}

TEST(ParseShardAuto, KubernetesNeedsShardCount) {
  EXPECT_THAT(expect_usage_error(parse_with("auto", {{"JOB_COMPLETION_INDEX", "3"}})),
              HasSubstr("--shard-count"));
}

TEST(ParseShardAuto, EmptyVariablesCountAsUnset) {
  expect_shard(parse_with("auto", {{"SLURM_ARRAY_TASK_ID", ""}, {"JOB_COMPLETION_INDEX", "2"}}, 4),
               2, 4);
  expect_shard(parse_with("auto", {{"SLURM_ARRAY_TASK_ID", "2"},
                                   {"SLURM_ARRAY_TASK_MIN", ""},
                                   {"SLURM_ARRAY_TASK_COUNT", "4"}}),
               2, 4);
  expect_usage_error(
      parse_with("auto", {{"SLURM_ARRAY_TASK_ID", ""}, {"JOB_COMPLETION_INDEX", ""}}, 4));
}

}  // namespace
}  // namespace spate::cli
