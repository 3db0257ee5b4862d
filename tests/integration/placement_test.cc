// How a download gets its final name: always by renaming its NAME.part, never replacing another
// file, whatever its size. Checked with inotify (every name created in the directory) and the
// bytes.
#include "storage/directory.h"
#include "support/content.h"
#include "support/http_server.h"
#include "support/run_session.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <sys/inotify.h>
#include <system_error>
#include <thread>
#include <unistd.h>
#include <vector>

namespace spate::testing {
namespace {

// Records the names created in (or moved into) one directory, in order.
class CreatedNames {
 public:
  explicit CreatedNames(const std::filesystem::path& dir)
      : fd_(inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
    if (fd_ < 0 || inotify_add_watch(fd_, dir.c_str(), IN_CREATE | IN_MOVED_TO) < 0) {
      throw std::system_error(errno, std::generic_category(), "inotify");
    }
  }
  ~CreatedNames() { ::close(fd_); }
  CreatedNames(const CreatedNames&) = delete;
  CreatedNames& operator=(const CreatedNames&) = delete;

  // Every event so far; "+name" for a creation, ">name" for a rename into the directory.
  std::vector<std::string> take() {
    std::vector<std::string> names;
    alignas(inotify_event) std::array<char, 16384> buffer{};
    for (int reads = 0; reads < 1000; ++reads) {
      const ssize_t got = ::read(fd_, buffer.data(), buffer.size());
      if (got <= 0) break;
      for (ssize_t at = 0; at < got;) {
        const auto* event = reinterpret_cast<const inotify_event*>(buffer.data() + at);
        names.push_back(std::string((event->mask & IN_MOVED_TO) != 0 ? ">" : "+") + event->name);
        at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
      }
    }
    return names;
  }

 private:
  int fd_;
};

class PlacementTest : public ::testing::Test {
 protected:
  Task task(const std::string& path) const {
    Task t{server.url(path), dir.path(), "", quick_task_options()};
    t.options.split = 1;
    return t;
  }
  Task out_task(const std::string& path) const {
    Task t = task(path);
    t.dir = dir.path() / "out";
    return t;
  }

  HttpServer server;
  TempDir dir;
};

TEST_F(PlacementTest, EveryFileAppearsUnderItsNameOnlyByARenameOfNamePart) {
  // However small: a file under its final name is complete, even after kill -9, so a rerun with
  // --skip-existing never keeps a short one. Writing small files in place would cost less CPU
  // (bench/temp_file_steps.sh) and lose that.
  server.route("/empty", {.size = 0, .seed = 1});
  server.route("/small", {.size = 16'384, .seed = 2});
  server.route("/big", {.size = 300'000, .seed = 3});
  CreatedNames created(dir.path());
  const auto outcome = run_session({task("/empty"), task("/small"), task("/big")});
  ASSERT_EQ(outcome.finished.size(), 3U);
  const auto names = created.take();
  for (const std::string name : {"empty", "small", "big"}) {
    SCOPED_TRACE(name);
    const auto part = std::find(names.begin(), names.end(), "+" + name + ".part");
    const auto renamed = std::find(names.begin(), names.end(), ">" + name);
    EXPECT_NE(part, names.end());
    EXPECT_NE(renamed, names.end());
    EXPECT_LT(part, renamed);
    EXPECT_EQ(std::count(names.begin(), names.end(), "+" + name), 0) << "never created in place";
  }
  EXPECT_EQ(std::filesystem::file_size(dir.path() / "empty"), 0U);
  EXPECT_EQ(file_sha256(dir.path() / "small"), content_sha256(2, 16'384));
  EXPECT_EQ(file_sha256(dir.path() / "big"), content_sha256(3, 300'000));
}

TEST_F(PlacementTest, OfTwoUrlsWithOneNameNeitherReplacesTheOther) {
  // Both run at once (throttled): whichever starts second finds f.part taken and uses f.1.
  server.route("/a/f", {.size = 100'000, .seed = 4, .throttle_bps = 400'000});
  server.route("/b/f", {.size = 100'000, .seed = 5, .throttle_bps = 400'000});
  const auto outcome = run_session({task("/a/f"), task("/b/f")});
  ASSERT_EQ(outcome.finished.size(), 2U);
  EXPECT_EQ(dir.list_files(), (std::vector<std::string>{"f", "f.1"}));
  EXPECT_NE(outcome.finished[0].path, outcome.finished[1].path);
  for (const auto& finished : outcome.finished) {
    const bool from_a = finished.url.find("/a/") != std::string::npos;
    EXPECT_EQ(file_sha256(finished.path), content_sha256(from_a ? 4 : 5, 100'000));
  }
}

TEST_F(PlacementTest, AnExistingNameIsFoundByTheRenameAndNeverReplaced) {
  // No stat of NAME before the download: it writes NAME.part, and the rename that would replace
  // NAME fails (RENAME_NOREPLACE), so the file lands at the next free number.
  server.route("/f", {.size = 20'000, .seed = 8});
  write_content_file(dir.path() / "f", 9, 100);
  write_content_file(dir.path() / "f.1", 10, 100);
  CreatedNames created(dir.path());
  const auto outcome = run_task(task("/f"));
  ASSERT_EQ(outcome.finished.size(), 1U);
  EXPECT_EQ(outcome.finished[0].path, dir.path() / "f.2");
  EXPECT_EQ(created.take(), (std::vector<std::string>{"+f.part", ">f.2"}));
  EXPECT_EQ(dir.list_files(), (std::vector<std::string>{"f", "f.1", "f.2"}));
  EXPECT_EQ(file_sha256(dir.path() / "f"), content_sha256(9, 100));
  EXPECT_EQ(file_sha256(dir.path() / "f.1"), content_sha256(10, 100));
  EXPECT_EQ(file_sha256(dir.path() / "f.2"), content_sha256(8, 20'000));
}

// One session, two downloads into dir/out: /a (1,000 bytes of `seed`), then /b (2,000 bytes of
// `seed + 1`), with `between` done to the directory after the first has finished. Returns what
// the second reported, if it finished.
std::optional<TaskFinished> second_download_after(
    HttpServer& server, const Task& first, const Task& second, std::uint64_t seed,
    const std::function<void(const std::filesystem::path& out)>& between) {
  server.route("/a", {.size = 1'000, .seed = seed});
  server.route("/b", {.size = 2'000, .seed = seed + 1});
  auto session = Session::create(SessionOptions{});
  if (!session) throw std::runtime_error(session.error().message);
  EXPECT_TRUE((*session)->submit(first).has_value());
  EXPECT_TRUE((*session)->wait_idle_for(std::chrono::seconds(30)));
  between(first.dir);
  EXPECT_TRUE((*session)->submit(second).has_value());
  (*session)->close();
  EXPECT_TRUE((*session)->wait_idle_for(std::chrono::seconds(30)));
  std::vector<Event> events;
  (*session)->pop_events(events);
  for (const auto& event : events) {
    const auto* finished = std::get_if<TaskFinished>(&event);
    if (finished != nullptr && finished->url == second.url) return *finished;
  }
  return std::nullopt;
}

TEST_F(PlacementTest, ADirectoryRemovedDuringTheSessionIsCreatedAgain) {
  // The session keeps the directory open: the second download finds the descriptor stale and
  // opens the new directory at the same path.
  const auto finished = second_download_after(
      server, out_task("/a"), out_task("/b"), 11,
      [](const std::filesystem::path& out) { std::filesystem::remove_all(out); });
  ASSERT_TRUE(finished.has_value());
  EXPECT_EQ(finished->path, dir.path() / "out" / "b");
  EXPECT_EQ(file_sha256(dir.path() / "out" / "b"), content_sha256(12, 2'000));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "out" / "a"));
}

TEST_F(PlacementTest, ADirectoryMovedDuringTheSessionGetsItsFilesAtThePathGiven) {
  // The session's descriptor follows the moved directory, but only for DirectoryCache::kReuseFor
  // after it was opened; a download started later lands at the path it was given.
  const auto finished = second_download_after(
      server, out_task("/a"), out_task("/b"), 13, [&](const std::filesystem::path& out) {
        std::filesystem::rename(out, dir.path() / "moved");
        std::filesystem::create_directories(out);
        std::this_thread::sleep_for(storage::DirectoryCache::kReuseFor +
                                    std::chrono::milliseconds(50));
      });
  ASSERT_TRUE(finished.has_value());
  EXPECT_EQ(finished->path, dir.path() / "out" / "b");
  EXPECT_EQ(file_sha256(dir.path() / "out" / "b"), content_sha256(14, 2'000));
  EXPECT_EQ(file_sha256(dir.path() / "moved" / "a"), content_sha256(13, 1'000));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "moved" / "b"));
}

TEST_F(PlacementTest, ADownloadCreatesAMissingDirectory) {
  server.route("/f", {.size = 1'000, .seed = 7});
  Task t = task("/f");
  t.dir = dir.path() / "a" / "b";
  const auto outcome = run_task(t);
  ASSERT_EQ(outcome.finished.size(), 1U);
  EXPECT_EQ(outcome.finished[0].path, dir.path() / "a" / "b" / "f");
  EXPECT_EQ(file_sha256(dir.path() / "a" / "b" / "f"), content_sha256(7, 1'000));
}

}  // namespace
}  // namespace spate::testing
