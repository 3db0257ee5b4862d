// net::describe_file_response: the HTTP-shaped head of an FTP/SFTP transfer (net/http_setup.h).
#include "net/http_setup.h"
#include "net/transfer.h"

#include <gtest/gtest.h>

namespace spate::net {
namespace {

FileTransferFacts facts(std::int64_t begin, std::int64_t end, std::optional<std::int64_t> length,
                        std::optional<std::int64_t> total, bool seekable) {
  FileTransferFacts f;
  f.range_begin = begin;
  f.range_end = end;
  f.length = length;
  f.total = total;
  f.seekable = seekable;
  return f;
}

TEST(FileResponseTest, NoRangeIsA200WithLibcurlsLength) {
  ResponseHead head;
  head.last_modified = "Sun, 06 Nov 1994 08:49:37 GMT";
  ASSERT_TRUE(describe_file_response(facts(-1, -1, 1234, std::nullopt, true), head));
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.content_length, 1234);
  EXPECT_TRUE(head.content_range.empty());
  EXPECT_EQ(head.last_modified, "Sun, 06 Nov 1994 08:49:37 GMT");  // kept
}

TEST(FileResponseTest, KnownTotalGivesAnExact206) {
  ResponseHead head;
  ASSERT_TRUE(describe_file_response(facts(0, -1, 5000, 5000, true), head));
  EXPECT_EQ(head.status, 206);
  EXPECT_EQ(head.content_range, "bytes 0-4999/5000");
  EXPECT_EQ(head.content_length, 5000);

  ASSERT_TRUE(describe_file_response(facts(1000, 2000, 1000, 5000, true), head));
  EXPECT_EQ(head.content_range, "bytes 1000-1999/5000");
  EXPECT_EQ(head.content_length, 1000);

  ASSERT_TRUE(describe_file_response(facts(0, 1, 5000, 5000, true), head));  // one byte
  EXPECT_EQ(head.content_range, "bytes 0-0/5000");
  EXPECT_EQ(head.content_length, 1);

  ASSERT_TRUE(describe_file_response(facts(4000, 9000, 1000, 5000, true), head));  // cut at EOF
  EXPECT_EQ(head.content_range, "bytes 4000-4999/5000");
  EXPECT_EQ(head.content_length, 1000);
}

TEST(FileResponseTest, EmptyFileFromZeroIsAnEmpty200) {
  ResponseHead head;
  ASSERT_TRUE(describe_file_response(facts(0, -1, 0, 0, true), head));
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.content_length, 0);
  EXPECT_TRUE(head.content_range.empty());
}

TEST(FileResponseTest, NoRestOrNoSizeFromZeroIsAnHonest200) {
  ResponseHead head;
  ASSERT_TRUE(describe_file_response(facts(0, 4096, 5000, 5000, false), head));  // REST refused
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.content_length, 5000);  // the whole file, not the asked 4096
  EXPECT_TRUE(head.content_range.empty());
  ASSERT_TRUE(describe_file_response(facts(0, -1, std::nullopt, std::nullopt, true), head));
  EXPECT_EQ(head.status, 200);
  EXPECT_FALSE(head.content_length);
}

TEST(FileResponseTest, LaterRangeWithoutATotalOrPastTheEndIsRefused) {
  ResponseHead head;
  auto refused = describe_file_response(facts(1000, -1, 4000, std::nullopt, true), head);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::RangeMismatch);
  refused = describe_file_response(facts(1000, -1, 4000, 5000, false), head);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::RangeMismatch);
  refused = describe_file_response(facts(6000, -1, 0, 5000, true), head);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::ContentChanged);  // the file shrank: start over
  refused = describe_file_response(facts(5000, -1, 0, 5000, true), head);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::ContentChanged);
}

}  // namespace
}  // namespace spate::net
