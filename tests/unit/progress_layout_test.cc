// The live lines of the terminal view (render_rows) and the text fitting under them: exact lines
// for fixed numbers at several widths, and no line wider than asked for, whatever the input.
#include "progress_layout.h"

#include "text_fit.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace spate::cli {
namespace {

std::vector<DownloadRow> three_downloads() {
  return {
      {"ubuntu-24.04-desktop-amd64.iso", 1'288'490'188, 6'114'656'256, 12.5 * 1024 * 1024, 8},
      {"small.bin", 512'000, 1'048'576, 256'000, 1},
      {"stream.dat", 3'000'000, std::nullopt, 0, 1},
  };
}

TEST(TextFitTest, SanitizeReplacesControlsAndBrokenUtf8) {
  EXPECT_EQ(sanitize("a\x1b[2Jb\r\n\tc\x7f"), "a?[2Jb???c?");
  EXPECT_EQ(sanitize("caf\xc3\xa9"), "caf\xc3\xa9");  // é is kept
  EXPECT_EQ(sanitize("x\xc3"), "x?");                 // truncated sequence
  EXPECT_EQ(sanitize("\xc0\xaf"), "??");              // overlong '/'
  EXPECT_EQ(sanitize("\xed\xa0\x80"), "???");         // surrogate
  EXPECT_EQ(sanitize("\xc2\x9b"
                     "1A"),
            "?1A");  // C1 CSI
}

TEST(TextFitTest, DisplayWidthCountsWideCharactersTwice) {
  EXPECT_EQ(display_width("abc"), 3U);
  EXPECT_EQ(display_width("caf\xc3\xa9"), 4U);
  EXPECT_EQ(display_width("\xe6\x97\xa5\xe6\x9c\xac"), 4U);  // two CJK ideographs
  EXPECT_EQ(display_width(""), 0U);
}

TEST(TextFitTest, FitEndAndMiddle) {
  EXPECT_EQ(fit_end("short", 10), "short");
  EXPECT_EQ(fit_end("abcdefghijkl", 8), "abcde...");
  EXPECT_EQ(fit_end("abcdef", 2), "..");
  EXPECT_EQ(fit_middle("abcdefghijkl.iso", 11), "abcd....iso");
  EXPECT_EQ(fit_middle("abcdefghijkl", 12), "abcdefghijkl");
  EXPECT_EQ(pad_right("ab", 4), "ab  ");
  EXPECT_EQ(pad_left("ab", 4), "  ab");
  // Never cuts a multi-byte character in two.
  const std::string wide = "\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5";  // 8 columns
  EXPECT_EQ(fit_end(wide, 7), "\xe6\x97\xa5\xe6\x97\xa5...");
  EXPECT_LE(display_width(fit_middle(wide, 6)), 6U);
  EXPECT_EQ(sanitize(fit_middle(wide, 6)), fit_middle(wide, 6));
}

TEST(RenderRowsTest, ThreeDownloadsAt80Columns) {
  // 79 columns: the view keeps the last column of an 80-column terminal free.
  const std::vector<std::string> expected = {
      "ubuntu-...64.iso [==>           ]  21% 1.20GiB/5.69GiB 12.5MiB/s eta 6m09s CN:8",
      "small.bin        [======>       ]  48%  500KiB/1.00MiB  250KiB/s    eta 3s CN:1",
      "stream.dat       [              ]   --         2.86MiB      0B/s    eta -- CN:1",
  };
  EXPECT_EQ(render_rows(three_downloads(), 79), expected);
}

TEST(RenderRowsTest, ThreeDownloadsAt40ColumnsKeepBarPercentAndSpeed) {
  const std::vector<std::string> expected = {
      "ubunt....iso [=>       ]  21% 12.5MiB/s",
      "small.bin    [====>    ]  48%  250KiB/s",
      "stream.dat   [         ]   --      0B/s",
  };
  EXPECT_EQ(render_rows(three_downloads(), 39), expected);
}

TEST(RenderRowsTest, NarrowTerminalsKeepTheNameFirst) {
  EXPECT_EQ(render_rows(three_downloads(), 25)[1], "small.bin  [===>   ]  48%");
  EXPECT_EQ(render_rows(three_downloads(), 24)[1], "small.bin            48%");  // no bar
  EXPECT_EQ(render_rows(three_downloads(), 12)[0], "ubunt....iso");
  EXPECT_EQ(render_rows(three_downloads(), 8)[2], "str...at");
}

TEST(RenderRowsTest, FinishedAndEmptyFiles) {
  const std::vector<DownloadRow> rows = {{"done.bin", 2048, 2048, 1024, 2}, {"empty", 0, 0, 0, 1}};
  const std::vector<std::string> expected = {
      "done.bin [======================] 100% 2.00KiB/2.00KiB 1.00KiB/s    eta 0s CN:2",
      "empty    [======================] 100%           0B/0B      0B/s    eta -- CN:1",
  };
  EXPECT_EQ(render_rows(rows, 79), expected);
}

TEST(RenderRowsTest, EveryLineFitsEveryWidth) {
  std::vector<DownloadRow> rows = three_downloads();
  rows.push_back({std::string(300, 'n'), 5, 1'000'000'000'000'000, 0.001, 128});
  rows.push_back({"\xe6\x97\xa5\xe6\x9c\xac.bin", 1, 2, 1e15, 3});
  for (std::size_t width = 1; width <= 200; ++width) {
    const auto lines = render_rows(rows, width);
    ASSERT_EQ(lines.size(), rows.size());
    for (const std::string& line : lines) {
      EXPECT_LE(display_width(line), width) << "width " << width << ": " << line;
    }
    // With a bar, every line takes the width exactly (the bar absorbs the slack).
    if (lines[0].find('[') != std::string::npos) {
      for (const std::string& line : lines) EXPECT_EQ(display_width(line), width) << line;
    }
  }
}

TEST(RenderRowsTest, CompactUnits) {
  EXPECT_EQ(compact_bytes(512), "512B");
  EXPECT_EQ(compact_bytes(1536), "1.50KiB");
  EXPECT_EQ(compact_rate(12.5 * 1024 * 1024), "12.5MiB/s");
}

}  // namespace
}  // namespace spate::cli
