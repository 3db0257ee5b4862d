// libFuzzer target: the -i input list (cli::InputListReader) over arbitrary bytes. Every entry
// must keep out= inside the download directory (relative, no ".." component), carry a checksum
// that spate::parse_checksum accepts, and turn into a Task whose out is a plain file name.
// Built and run by scripts/fuzz.
#include "spate/checksum.h"

#include "input_list.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz check failed: %s\n", what);
  std::abort();
}

bool has_dot_dot_component(std::string_view path) {
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    if (path.substr(start, end - start) == "..") return true;
    start = end + 1;
  }
  return false;
}

void check_entry(const spate::cli::InputEntry& entry) {
  check(!entry.url.empty(), "an entry has a URL");
  check(entry.headers.size() <= spate::cli::kMaxInputHeaders, "at most kMaxInputHeaders headers");
  if (!entry.out.empty()) {
    check(!std::filesystem::path(entry.out).is_absolute() && entry.out.front() != '/',
          "out is relative");
    check(!has_dot_dot_component(entry.out), "out has no '..' component");
  }
  if (!entry.checksum.empty()) {
    check(spate::parse_checksum(entry.checksum).has_value(),
          "the input list's checksum is one parse_checksum accepts");
  }
  spate::Task base;
  base.dir = "downloads";
  const spate::Task task = spate::cli::make_task(base, entry);
  check(task.url == entry.url, "make_task keeps the URL");
  check(task.out.find('/') == std::string::npos, "Task::out is a plain file name");
  check(task.out != "." && task.out != "..", "Task::out is not . or ..");
}

}  // namespace

// libFuzzer fixes this entry point's name.
// NOLINTNEXTLINE(readability-identifier-naming)
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  spate::cli::InputListReader reader(in);
  std::vector<spate::cli::InputProblem> problems;
  // Each entry starts on its own line, so there are at most size + 1 of them.
  std::size_t entries = 0;
  while (const auto entry = reader.next(problems)) {
    check(++entries <= size + 1, "no more entries than lines");
    check_entry(*entry);
  }
  for (const auto& problem : problems) {
    const std::string prefix = "line " + std::to_string(problem.line) + ": ";
    check(problem.line >= 1 && problem.message.rfind(prefix, 0) == 0,
          "a problem's message starts with \"line N: \"");
    check(problem.message.find('\n') == std::string::npos, "a problem's message is one line");
  }
  return 0;
}
