#include "options.h"

#include "spate/units.h"
#include "spate/version.h"

#include "exit_codes.h"
#include "http_flags.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <iostream>

namespace spate::cli {
namespace {

// A CLI11 validator+converter for sizes such as 512K, 1M, 1.5MiB.
struct ByteSizeOption {
  std::int64_t* target;
  std::int64_t minimum;
  std::string operator()(const std::string& text) const {
    const auto bytes = parse_byte_size(text);
    if (!bytes) return fmt::format("'{}' is not a size (examples: 512K, 1M, 1.5MiB)", text);
    if (*bytes < minimum) return fmt::format("'{}' is below the minimum {}", text, minimum);
    *target = *bytes;
    return {};
  }
};

std::chrono::milliseconds seconds_to_ms(double seconds) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000.0));
}

}  // namespace

ParseOutcome parse_command_line(int argc, const char* const* argv) {
  CliOptions options;
  CLI::App app{"spate: a concurrent, segmented downloader for HTTP and HTTPS.", "spate"};
  app.footer(kExitCodeHelp);
  // Built only when asked for: curl_version() initialises libldap, which loads every SASL
  // plugin and reads ldap.conf, several milliseconds that every run would otherwise pay.
  app.set_version_flag("-V,--version",
                       [] { return fmt::format("spate {} ({})", version(), transport_version()); });

  app.add_option("urls", options.urls, "URLs to download");
  app.add_option("-i,--input-file", options.input_file,
                 "Read URLs from FILE ('-' = stdin), aria2 format: a URL per line, then indented "
                 "out=, dir=, header=, split=, min-split-size=, max-tries= lines for it");
  app.add_option("-o,--out", options.out, "Save as this file name (one URL only)");
  app.add_option("-d,--dir", options.dir, "Directory to save into (default: current)");
  app.add_flag("-q,--quiet", options.quiet, "Print errors only");
  app.add_flag("--json", options.json,
               "Write one JSON object per event to stdout (NDJSON, docs/events.md); the human "
               "view goes to stderr");

  auto& task = options.task;
  auto& session = options.session;
  CLI::Option* split =
      app.add_option("-s,--split", task.split,
                     "Connections per file. Given, all of them open at once; by default up to 8, "
                     "opened only when one would take longer than --split-after")
          ->check(CLI::Range(1, 256));
  double split_after = 1.0;
  CLI::Option* split_after_flag =
      app.add_option("--split-after", split_after,
                     "Open more connections for a file only when one connection would take "
                     "longer than this many seconds to finish it (default: 1 without -s, 0 with "
                     "-s; 0 opens every connection at once)")
          ->check(CLI::Range(0.0, 86400.0));
  CLI::Option* per_host =
      app.add_option("-x,--max-connection-per-server", session.max_connections_per_host,
                     "Connections per host across all downloads (default: the largest of 8, -s "
                     "and -j, so -s 16 or -j 16 alone get their 16 connections)")
          ->check(CLI::Range(1, 256));
  std::string min_split = "1M";
  app.add_option("-k,--min-split-size", min_split,
                 "Never split a range below this size, e.g. 512K, 1M (default 1M)")
      ->check(ByteSizeOption{&task.min_split_size, std::int64_t{16} * 1024});
  app.add_option("-j,--max-concurrent-downloads", session.max_concurrent_downloads,
                 "Downloads in flight (default 5)")
      ->check(CLI::Range(1, 10000));
  app.add_option("--max-overall-connections", session.max_overall_connections,
                 "Connections across all downloads (default 64)")
      ->check(CLI::Range(1, 10000));

  std::string limit_rate = "0";
  std::string max_download_limit = "0";
  app.add_option("--limit-rate", limit_rate,
                 "Total bandwidth across all downloads, e.g. 500K, 4M, 1.5MiB (default: none)")
      ->check(ByteSizeOption{&session.limit_rate, 0});
  app.add_option("--max-download-limit", max_download_limit,
                 "Bandwidth of each download, e.g. 1M (default: none)")
      ->check(ByteSizeOption{&task.max_download_limit, 0});
  std::string lowest_speed = "0";
  app.add_option(
         "--lowest-speed-limit", lowest_speed,
         "Replace a connection slower than this (e.g. 50K) after a 3 s grace (default: off)")
      ->check(ByteSizeOption{&task.lowest_speed_limit, 0});
  std::string buffer_size = "512K";
  std::int64_t buffer_bytes = std::int64_t{512} * 1024;
  app.add_option(
         "--buffer-size", buffer_size,
         "Largest receive buffer per connection, at most 10M (default 512K; a download split "
         "N ways shares 2M among its connections, at least 128K each)")
      ->check(ByteSizeOption{&buffer_bytes, std::int64_t{16} * 1024});
  std::string probe = "inband";
  app.add_option("--probe", probe,
                 "How to learn size and Range support: inband (a ranged GET, default) or head")
      ->check(CLI::IsMember({"inband", "head"}));
  std::string layout = "single";
  app.add_option("--layout", layout,
                 "single: one preallocated NAME.part written in place (default); parts: one temp "
                 "file per segment, joined at the end (for filesystems with slow sparse writes)")
      ->check(CLI::IsMember({"single", "parts"}));
  app.add_option("--max-tries", task.max_tries, "Attempts per download, 0 = unlimited (default 5)")
      ->check(CLI::Range(0, 1000000));
  double retry_wait = 0.5;
  double connect_timeout = 30;
  double stall_timeout = 60;
  app.add_option("--retry-wait", retry_wait, "Base of the retry backoff in seconds (default 0.5)")
      ->check(CLI::Range(0.0, 3600.0));
  app.add_option("--connect-timeout", connect_timeout, "Connect timeout in seconds (default 30)")
      ->check(CLI::Range(0.001, 3600.0));
  app.add_option("--timeout", stall_timeout,
                 "Give up a connection that received nothing for this many seconds (default 60)")
      ->check(CLI::Range(1.0, 86400.0));
  app.add_option("--max-redirs", task.max_redirects, "Redirects to follow (default 20)")
      ->check(CLI::Range(0, 50));
  std::string shard = "0/1";
  std::optional<std::uint32_t> shard_count;
  app.add_option("--shard", shard,
                 "Take only share K of N of the entries (K/N, 0-based), chosen by a stable hash "
                 "of each URL; 'auto' reads SLURM_ARRAY_TASK_ID/COUNT or JOB_COMPLETION_INDEX");
  app.add_option("--shard-count", shard_count, "N for --shard auto with JOB_COMPLETION_INDEX");
  bool continue_partial = false;
  bool no_continue = false;
  auto* continue_flag = app.add_flag(
      "-c,--continue", continue_partial,
      "Also continue a NAME.part that has no state file, from its size (as wget -c). A part "
      "with a matching NAME.part.spate state file is always continued");
  app.add_flag("--no-continue", no_continue, "Start over even when a partial download exists")
      ->excludes(continue_flag);
  std::string checksum;
  app.add_option("--checksum", checksum,
                 "Verify the download: TYPE=HEX with TYPE sha-256, sha-512, sha-1 or md5; on a "
                 "mismatch the file is not kept");
  bool no_content_disposition = false;
  app.add_flag("--no-content-disposition", no_content_disposition,
               "Name files from the URL even when the server suggests a name "
               "(Content-Disposition)");
  app.add_flag("--fsync", task.sync_on_finish,
               "Flush each file to disk before its final rename (durable across power loss)");
  bool overwrite = false;
  bool skip_existing = false;
  auto* overwrite_flag =
      app.add_flag("--overwrite", overwrite, "Replace an existing file of the same name");
  app.add_flag("--skip-existing", skip_existing, "Leave an existing file alone (counts as success)")
      ->excludes(overwrite_flag);

  add_http_flags(app, task.http);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return {std::nullopt, code == 0 ? kExitOk : kExitUsage};
  }
  if (auto checked = check_http_flags(task.http); !checked) {
    std::cerr << "spate: " << checked.error().message << "\n";
    return {std::nullopt, kExitUsage};
  }
  if (options.urls.empty() && options.input_file.empty()) {
    std::cerr << "spate: nothing to download: give URLs or -i FILE (see --help)\n";
    return {std::nullopt, kExitUsage};
  }
  if (!options.out.empty() && (options.urls.size() > 1 || !options.input_file.empty())) {
    std::cerr << "spate: -o/--out names one file; it cannot be used with several URLs or -i\n";
    return {std::nullopt, kExitUsage};
  }
  const auto environment = [](const char* name) -> std::optional<std::string> {
    const char* value = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): before any thread
    return value == nullptr ? std::nullopt : std::optional<std::string>(value);
  };
  auto parsed_shard = parse_shard(shard, environment, shard_count);
  if (!parsed_shard) {
    std::cerr << "spate: --shard: " << parsed_shard.error().message << "\n";
    return {std::nullopt, kExitUsage};
  }
  options.shard = *parsed_shard;
  if (per_host->count() == 0) {
    // Asking for -s 16 or -j 16 means 16 connections: the per-host cap follows unless it is set
    // (aria2 needs -x16 next to -s16 for that, a common surprise). --max-overall-connections
    // still bounds the total.
    session.max_connections_per_host = std::max({session.max_connections_per_host, task.split,
                                                 std::min(session.max_concurrent_downloads, 256)});
  }
  session.receive_buffer = static_cast<std::size_t>(std::min<std::int64_t>(buffer_bytes, 10 << 20));
  task.probe = probe == "head" ? ProbeMode::Head : ProbeMode::InBand;
  task.layout = layout == "parts" ? Layout::Parts : Layout::Single;
  // An explicit -s asks for that many connections (as in aria2); the default opens them when
  // they pay. On a fast path one connection is quickest and cheapest (bench/results, S1).
  options.split_after_given = split_after_flag->count() > 0;
  const bool split_now = split->count() > 0 && !options.split_after_given;
  task.split_after = split_now ? std::chrono::milliseconds(0) : seconds_to_ms(split_after);
  task.retry_wait = seconds_to_ms(retry_wait);
  task.connect_timeout = seconds_to_ms(connect_timeout);
  task.stall_timeout = seconds_to_ms(stall_timeout);
  if (!checksum.empty()) {
    auto parsed_checksum = parse_checksum(checksum);
    if (!parsed_checksum) {
      std::cerr << "spate: --checksum: " << parsed_checksum.error().message << "\n";
      return {std::nullopt, kExitUsage};
    }
    task.checksum = *parsed_checksum;
  }
  task.content_disposition = !no_content_disposition;
  if (continue_partial) task.resume = ResumeMode::Continue;
  if (no_continue) task.resume = ResumeMode::Never;
  if (overwrite) task.existing = ExistingFile::Overwrite;
  if (skip_existing) task.existing = ExistingFile::Skip;
  return {std::move(options), kExitOk};
}

}  // namespace spate::cli
