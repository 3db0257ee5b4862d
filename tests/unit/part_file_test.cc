// PartFile: the NAME.part a download writes into. Locking, the no-replace commit, what is left
// on disk on each path, and the file primitives, against a real temp directory.
#include "storage/part_file.h"

#include "support/temp_dir.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace spate::testing {
namespace {

using storage::PartFile;

std::string read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::span<const char> bytes(std::string_view text) { return {text.data(), text.size()}; }

PartFile open_with(const std::filesystem::path& path, std::string_view text) {
  auto file = PartFile::open(path, /*truncate=*/false);
  EXPECT_TRUE(file.has_value()) << file.error().message;
  EXPECT_TRUE(file->write_at(0, bytes(text)).has_value());
  return std::move(*file);
}

TEST(PartFileTest, OpenCreatesTheFileAndLocksItAgainstASecondDownload) {
  TempDir dir;
  const auto part = dir.path() / "f.part";
  auto first = PartFile::open(part, /*truncate=*/false);
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(first->created());
  EXPECT_EQ(first->path(), part);
  EXPECT_EQ(dir.list_files(), std::vector<std::string>{"f.part"});

  auto second = PartFile::open(part, /*truncate=*/false);
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().sys_errno, EWOULDBLOCK);
  EXPECT_EQ(dir.list_files(), std::vector<std::string>{"f.part"}) << "the loser removes nothing";
}

TEST(PartFileTest, AnExistingFileIsReopenedAsItIsOrTruncated) {
  TempDir dir;
  const auto part = dir.path() / "f.part";
  std::ofstream(part) << "kept bytes";
  {
    auto reopened = PartFile::open(part, /*truncate=*/false);
    ASSERT_TRUE(reopened.has_value());
    EXPECT_FALSE(reopened->created());
    EXPECT_EQ(*reopened->size(), 10);
    reopened->keep();
  }
  auto truncated = PartFile::open(part, /*truncate=*/true);
  ASSERT_TRUE(truncated.has_value());
  EXPECT_EQ(*truncated->size(), 0);
}

TEST(PartFileTest, CommitNeverReplacesAnExistingFileAndTheDataStaysForAnotherName) {
  TempDir dir;
  std::ofstream(dir.path() / "f.txt") << "theirs";
  PartFile file = open_with(dir.path() / "f.txt.part", "ours");

  auto taken = file.commit(dir.path() / "f.txt", /*overwrite=*/false);
  ASSERT_FALSE(taken.has_value());
  EXPECT_EQ(taken.error().sys_errno, EEXIST);
  EXPECT_EQ(read_all(dir.path() / "f.txt"), "theirs");
  EXPECT_TRUE(file.is_open());

  ASSERT_TRUE(file.commit(dir.path() / "f.1.txt", /*overwrite=*/false).has_value());
  EXPECT_FALSE(file.is_open());
  EXPECT_EQ(read_all(dir.path() / "f.1.txt"), "ours");
  EXPECT_EQ(dir.list_files(), (std::vector<std::string>{"f.1.txt", "f.txt"}));
}

TEST(PartFileTest, CommitWithOverwriteReplacesTheExistingFile) {
  TempDir dir;
  std::ofstream(dir.path() / "f.txt") << "old contents";
  PartFile file = open_with(dir.path() / "f.txt.part", "new");
  ASSERT_TRUE(file.commit(dir.path() / "f.txt", /*overwrite=*/true).has_value());
  EXPECT_EQ(read_all(dir.path() / "f.txt"), "new");
  EXPECT_EQ(dir.list_files(), std::vector<std::string>{"f.txt"});
}

TEST(PartFileTest, AnUncommittedFileIsRemovedUnlessKept) {
  TempDir dir;
  { PartFile dropped = open_with(dir.path() / "a.part", "gone"); }
  PartFile discarded = open_with(dir.path() / "b.part", "gone too");
  discarded.discard();
  EXPECT_FALSE(discarded.is_open());
  EXPECT_TRUE(dir.list_files().empty());

  PartFile kept = open_with(dir.path() / "c.part", "for a rerun");
  kept.keep();
  EXPECT_FALSE(kept.is_open());
  EXPECT_EQ(dir.list_files(), std::vector<std::string>{"c.part"});
  EXPECT_EQ(read_all(dir.path() / "c.part"), "for a rerun");
}

TEST(PartFileTest, RenameToMovesTheOpenLockedFileAndNeverReplaces) {
  TempDir dir;
  std::ofstream(dir.path() / "taken.part") << "another download's";
  PartFile file = open_with(dir.path() / "a.part", "abc");

  auto refused = file.rename_to(dir.path() / "taken.part");
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().sys_errno, EEXIST);
  EXPECT_EQ(read_all(dir.path() / "taken.part"), "another download's");

  ASSERT_TRUE(file.rename_to(dir.path() / "b.part").has_value());
  EXPECT_EQ(file.path(), dir.path() / "b.part");
  auto second = PartFile::open(dir.path() / "b.part", /*truncate=*/false);
  ASSERT_FALSE(second.has_value()) << "the lock moves with the file";
  EXPECT_EQ(second.error().sys_errno, EWOULDBLOCK);
  ASSERT_TRUE(file.write_at(3, bytes("def")).has_value());
  EXPECT_EQ(read_all(dir.path() / "b.part"), "abcdef");
}

TEST(PartFileTest, PreallocateReservesTheLengthAndTruncateSetsIt) {
  TempDir dir;
  PartFile file = open_with(dir.path() / "f.part", "head");
  ASSERT_TRUE(file.preallocate(1 << 20).has_value());
  EXPECT_EQ(*file.size(), 1 << 20);
  EXPECT_EQ(read_all(dir.path() / "f.part").substr(0, 4), "head");
  ASSERT_TRUE(file.truncate(4).has_value());
  EXPECT_EQ(*file.size(), 4);
  EXPECT_TRUE(file.sync().has_value());
}

TEST(PartFileTest, CopyToCopiesTheLeadingBytesAtAnOffset) {
  TempDir dir;
  PartFile source = open_with(dir.path() / "piece.part", "0123456789");
  PartFile target = open_with(dir.path() / "whole.part", "abcdef");
  ASSERT_TRUE(source.copy_to(target, 3, 4).has_value());
  EXPECT_EQ(read_all(dir.path() / "whole.part"), "abc0123");
}

}  // namespace
}  // namespace spate::testing
