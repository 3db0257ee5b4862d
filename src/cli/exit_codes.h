// The spate command's exit statuses. Stable: scripts depend on them (documented in --help and
// the README).
#pragma once

namespace spate::cli {

enum ExitCode : int {
  kExitOk = 0,              // every download succeeded (or was skipped as already present)
  kExitDownloadFailed = 1,  // at least one download failed; the others are complete and exact
  kExitUsage = 2,           // bad command line or input; nothing was downloaded
  kExitInternal = 3,        // spate itself could not start (e.g. libcurl initialisation)
  kExitInterrupted = 130,   // stopped by SIGINT (128 + 2)
  kExitTerminated = 143,    // stopped by SIGTERM (128 + 15)
};

inline constexpr const char* kExitCodeHelp =
    "Exit status:\n"
    "  0    all downloads succeeded\n"
    "  1    some downloads failed (listed at the end; the others are complete)\n"
    "  2    usage error (bad option or argument)\n"
    "  3    internal error (spate could not start)\n"
    "  130  interrupted (SIGINT); 143 terminated (SIGTERM)\n";

}  // namespace spate::cli
