// The NDJSON view: every line parses back as one object with "v" and "event", every field of the
// schema in docs/events.md is there with its type, progress is throttled per task, and the
// summary carries the counts.
#include "json_view.h"

#include "support/memory_file.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sstream>
#include <string>
#include <vector>

namespace spate::cli {
namespace {

using Clock = JsonView::Clock;
using nlohmann::json;
using spate::testing::MemoryFile;

Clock::time_point at(int ms) { return Clock::time_point{} + std::chrono::milliseconds(ms); }

// Every line of the stream, parsed; fails the test on a line that is not one complete object.
std::vector<json> parse_lines(const std::string& text) {
  std::vector<json> out;
  EXPECT_TRUE(text.empty() || text.back() == '\n');
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    json object = json::parse(line, nullptr, /*allow_exceptions=*/false);
    EXPECT_TRUE(object.is_object()) << line;
    if (!object.is_object()) continue;
    EXPECT_EQ(object.value("v", 0), 1) << line;
    EXPECT_TRUE(object["event"].is_string()) << line;
    EXPECT_EQ(line.rfind(R"({"v":1,"event":)", 0), 0U) << line;  // fixed, readable key order
    out.push_back(std::move(object));
  }
  return out;
}

class JsonViewTest : public ::testing::Test {
 protected:
  std::vector<json> lines() const { return parse_lines(out.text()); }
  MemoryFile out;
  JsonView view{out.file()};
};

TEST_F(JsonViewTest, QueuedAndStarted) {
  view.on_event(TaskQueued{7, "http://h/a.iso"}, at(0));
  view.on_event(TaskStarted{7, "http://h/a.iso", "/d/a.iso", 1000, true, 4}, at(0));
  view.on_event(TaskStarted{8, "http://h/b", "/d/b", std::nullopt, false, 1}, at(0));
  const auto objects = lines();
  ASSERT_EQ(objects.size(), 3U);
  EXPECT_EQ(objects[0], json::parse(R"({"v":1,"event":"queued","id":7,"url":"http://h/a.iso"})"));
  EXPECT_EQ(objects[1], json::parse(R"({"v":1,"event":"started","id":7,"url":"http://h/a.iso",
      "path":"/d/a.iso","size":1000,"ranges_supported":true,"connections":4})"));
  EXPECT_TRUE(objects[2]["size"].is_null());
  EXPECT_EQ(objects[2]["ranges_supported"], false);
  EXPECT_TRUE(objects[1]["id"].is_number_unsigned());
}

TEST_F(JsonViewTest, ProgressFieldsAndThrottlePerTask) {
  for (int ms : {0, 500, 999, 1000, 1500, 2100}) {
    view.on_event(TaskProgress{1, std::int64_t{ms} * 10, 100'000, 2.5e6, 3}, at(ms));
  }
  view.on_event(TaskProgress{2, 5, std::nullopt, 0, 1}, at(500));  // another task: its own clock
  const auto objects = lines();
  ASSERT_EQ(objects.size(), 4U);
  EXPECT_EQ(objects[0], json::parse(R"({"v":1,"event":"progress","id":1,"downloaded":0,
      "size":100000,"bytes_per_second":2500000.0,"connections":3})"));
  EXPECT_EQ(objects[1]["downloaded"], 10'000);  // at 1000 ms
  EXPECT_EQ(objects[2]["downloaded"], 21'000);  // at 2100 ms
  EXPECT_EQ(objects[3]["id"], 2);
  EXPECT_TRUE(objects[3]["size"].is_null());
  EXPECT_TRUE(objects[3]["bytes_per_second"].is_number());
}

TEST_F(JsonViewTest, RetryCarriesTheReasonAndTheWait) {
  view.on_event(TaskRetrying{3, Error{ErrorKind::HttpStatus, "HTTP 503", 503}, 1,
                             std::chrono::milliseconds(1500)},
                at(0));
  view.on_event(TaskRetrying{3, Error{ErrorKind::Timeout, "no data for 60s"}, 2,
                             std::chrono::milliseconds(3000)},
                at(0));
  const auto objects = lines();
  ASSERT_EQ(objects.size(), 2U);
  EXPECT_EQ(objects[0], json::parse(R"({"v":1,"event":"retry","id":3,
      "reason":{"kind":"http_status","message":"HTTP 503","http_status":503},
      "attempt":1,"wait_ms":1500})"));
  EXPECT_EQ(objects[1]["reason"], json::parse(R"({"kind":"timeout","message":"no data for 60s"})"));
}

TEST_F(JsonViewTest, FinishedAndFailed) {
  view.on_event(TaskFinished{4, "http://h/f", "/d/f", 2048, 1.5, 2, false}, at(0));
  view.on_event(TaskFinished{5, "http://h/g", "/d/g", 10, 0, 1, true}, at(0));
  view.on_event(TaskFailed{6, "http://h/x", Error{ErrorKind::HttpStatus, "HTTP 404", 404}, 1},
                at(0));
  view.on_event(TaskFailed{7, "http://h/y", Error{ErrorKind::DiskFull, "no space"}, 3}, at(0));
  const auto objects = lines();
  ASSERT_EQ(objects.size(), 4U);
  EXPECT_EQ(objects[0], json::parse(R"({"v":1,"event":"finished","id":4,"url":"http://h/f",
      "path":"/d/f","bytes":2048,"seconds":1.5,"attempts":2,"skipped":false})"));
  EXPECT_EQ(objects[1]["skipped"], true);
  EXPECT_FALSE(objects[0].contains("digest"));  // TaskFinished has no digest yet
  EXPECT_EQ(objects[2], json::parse(R"({"v":1,"event":"failed","id":6,"url":"http://h/x",
      "error":{"kind":"http_status","message":"HTTP 404","http_status":404},"attempts":1})"));
  EXPECT_EQ(objects[3]["error"], json::parse(R"({"kind":"disk_full","message":"no space"})"));
  EXPECT_EQ(objects[3]["attempts"], 3);
}

TEST_F(JsonViewTest, ThrottleStateEndsWithTheTask) {
  view.on_event(TaskProgress{1, 1, 10, 1, 1}, at(0));
  view.on_event(TaskFinished{1, "u", "/d/p", 10, 1, 1, false}, at(100));
  view.on_event(TaskProgress{1, 2, 10, 1, 1}, at(200));  // a fresh start is reported at once
  EXPECT_EQ(lines().size(), 3U);
}

TEST_F(JsonViewTest, NoticeDroppedAndSummary) {
  view.on_event(TaskNotice{9, "resume state rejected"}, at(0));
  view.on_event(EventsDropped{12}, at(0));
  view.summary(RunTotals{.succeeded = 5, .skipped = 1, .failed = 2, .bytes = 123'456}, 2.5);
  const auto objects = lines();
  ASSERT_EQ(objects.size(), 3U);
  EXPECT_EQ(objects[0],
            json::parse(R"({"v":1,"event":"notice","id":9,"message":"resume state rejected"})"));
  EXPECT_EQ(objects[1], json::parse(R"({"v":1,"event":"dropped","count":12})"));
  EXPECT_EQ(objects[2], json::parse(R"({"v":1,"event":"summary","total":7,"succeeded":5,
      "skipped":1,"failed":2,"bytes":123456,"seconds":2.5})"));
}

TEST_F(JsonViewTest, BytesThatAreNotUtf8StillMakeValidJson) {
  view.on_event(TaskFinished{1, "http://h/\xff", "/d/\xc3(", 1, 1, 1, false}, at(0));
  view.on_event(TaskQueued{2, "http://h/line\nbreak\"quote"}, at(0));
  const auto objects = lines();
  ASSERT_EQ(objects.size(), 2U);
  EXPECT_EQ(objects[0]["url"], "http://h/\xef\xbf\xbd");  // U+FFFD
  EXPECT_EQ(objects[1]["url"], "http://h/line\nbreak\"quote");
}

}  // namespace
}  // namespace spate::cli
