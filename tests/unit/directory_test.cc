// Directory and DirectoryCache: the open directory that a download's files are created, renamed
// and removed relative to, and what happens when the directory is removed or moved meanwhile.
#include "storage/directory.h"

#include "storage/part_file.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace spate::testing {
namespace {

using storage::Directory;
using storage::DirectoryCache;
using storage::PartFile;

constexpr DirectoryCache::Clock::time_point kNow{std::chrono::seconds(1000)};

std::string read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::span<const char> bytes(std::string_view text) { return {text.data(), text.size()}; }

TEST(DirectoryTest, NameOfGivesTheLastComponentOnlyForFilesDirectlyInIt) {
  TempDir dir;
  auto opened = Directory::open(dir.path().string());
  ASSERT_TRUE(opened.has_value()) << opened.error().message;
  const Directory& directory = **opened;
  EXPECT_STREQ(directory.name_of(dir.path() / "f.part"), "f.part");
  EXPECT_EQ(directory.name_of(dir.path() / "sub" / "f"), nullptr);
  EXPECT_EQ(directory.name_of(dir.path().parent_path() / "f"), nullptr);
  EXPECT_EQ(directory.name_of(dir.path().string() + "x/f"), nullptr) << "a longer sibling";
  EXPECT_EQ(directory.name_of(dir.path().string() + "/"), nullptr);
  EXPECT_EQ(directory.name_of("f"), nullptr);
}

TEST(DirectoryTest, OpeningAMissingDirectoryIsAClearError) {
  TempDir dir;
  auto opened = Directory::open((dir.path() / "missing").string());
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().sys_errno, ENOENT);
  EXPECT_NE(opened.error().message.find("missing"), std::string::npos);
}

TEST(DirectoryTest, TheCacheSharesOneDescriptorPerDirectoryAndReopensOnRequest) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "b");
  DirectoryCache cache;
  const auto a1 = cache.directory_of(dir.path() / "x", false, kNow);
  const auto a2 = cache.directory_of(dir.path() / "y", false, kNow);
  ASSERT_NE(a1, nullptr);
  EXPECT_EQ(a1, a2);
  EXPECT_EQ(a1->path(), dir.path().string());
  const auto b = cache.directory_of(dir.path() / "b" / "x", false, kNow);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(b, a1);
  const auto again = cache.directory_of(dir.path() / "x", /*reopen=*/true, kNow);
  ASSERT_NE(again, nullptr);
  EXPECT_NE(again, a1);
  EXPECT_NE(again->fd(), a1->fd()) << "the old one stays open for its holders";
  EXPECT_EQ(cache.directory_of(dir.path() / "missing" / "x", false, kNow), nullptr);
  EXPECT_EQ(cache.directory_of("x", false, kNow), nullptr) << "a bare name needs no directory";
}

TEST(DirectoryTest, TheCacheOpensThePathAgainOnceTheDescriptorIsOld) {
  TempDir dir;
  DirectoryCache cache;
  const auto first = cache.directory_of(dir.path() / "x", false, kNow);
  const auto later = kNow + DirectoryCache::kReuseFor - std::chrono::milliseconds(1);
  EXPECT_EQ(cache.directory_of(dir.path() / "x", false, later), first);
  const auto old = kNow + DirectoryCache::kReuseFor;
  const auto fresh = cache.directory_of(dir.path() / "x", false, old);
  ASSERT_NE(fresh, nullptr);
  EXPECT_NE(fresh, first);
  EXPECT_EQ(cache.directory_of(dir.path() / "x", false, old), fresh);
}

TEST(DirectoryTest, APartFileInADirectoryIsCreatedCommittedAndRemovedThere) {
  TempDir dir;
  DirectoryCache cache;
  const auto directory = cache.directory_of(dir.path() / "f", false, kNow);
  ASSERT_NE(directory, nullptr);
  auto file = PartFile::open(dir.path() / "f.part", /*truncate=*/false, directory);
  ASSERT_TRUE(file.has_value()) << file.error().message;
  ASSERT_TRUE(file->write_at(0, bytes("data")).has_value());
  auto locked = PartFile::open(dir.path() / "f.part", /*truncate=*/false);
  ASSERT_FALSE(locked.has_value());
  EXPECT_EQ(locked.error().sys_errno, EWOULDBLOCK) << "the same lock as by path";

  std::ofstream(dir.path() / "f") << "theirs";
  auto refused = file->commit(dir.path() / "f", /*overwrite=*/false);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().sys_errno, EEXIST);
  ASSERT_TRUE(file->commit(dir.path() / "f.1", /*overwrite=*/false).has_value());
  EXPECT_EQ(read_all(dir.path() / "f.1"), "data");
  EXPECT_EQ(read_all(dir.path() / "f"), "theirs");

  { auto dropped = PartFile::open(dir.path() / "g.part", /*truncate=*/false, directory); }
  EXPECT_EQ(dir.list_files(), (std::vector<std::string>{"f", "f.1"})) << "g.part removed";
}

TEST(DirectoryTest, ARenameOutOfTheDirectoryUsesTheWholePath) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "other");
  DirectoryCache cache;
  auto file = PartFile::open(dir.path() / "f.part", false,
                             cache.directory_of(dir.path() / "f", false, kNow));
  ASSERT_TRUE(file.has_value());
  ASSERT_TRUE(file->write_at(0, bytes("moved")).has_value());
  ASSERT_TRUE(file->commit(dir.path() / "other" / "f", /*overwrite=*/false).has_value());
  EXPECT_EQ(read_all(dir.path() / "other" / "f"), "moved");
  EXPECT_TRUE(dir.list_files().empty()) << "no f.part left";
}

TEST(DirectoryTest, AFileOpenInAMovedDirectoryIsCommittedInItsNewPlace) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "a");
  DirectoryCache cache;
  auto file = PartFile::open(dir.path() / "a" / "f.part", false,
                             cache.directory_of(dir.path() / "a" / "f", false, kNow));
  ASSERT_TRUE(file.has_value());
  ASSERT_TRUE(file->write_at(0, bytes("follows")).has_value());
  std::filesystem::rename(dir.path() / "a", dir.path() / "b");
  ASSERT_TRUE(file->commit(dir.path() / "a" / "f", /*overwrite=*/false).has_value());
  EXPECT_EQ(read_all(dir.path() / "b" / "f"), "follows");
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "b" / "f.part"));
}

TEST(DirectoryTest, ARemovedDirectoryFailsWithEnoentUntilReopened) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "a");
  DirectoryCache cache;
  const auto stale = cache.directory_of(dir.path() / "a" / "f", false, kNow);
  ASSERT_NE(stale, nullptr);
  std::filesystem::remove(dir.path() / "a");
  std::filesystem::create_directories(dir.path() / "a");
  auto refused = PartFile::open(dir.path() / "a" / "f.part", false, stale);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().sys_errno, ENOENT);
  auto file = PartFile::open(dir.path() / "a" / "f.part", false,
                             cache.directory_of(dir.path() / "a" / "f", /*reopen=*/true, kNow));
  ASSERT_TRUE(file.has_value()) << file.error().message;
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "a" / "f.part"));
}

}  // namespace
}  // namespace spate::testing
