// The spate command's exit statuses. Stable: scripts depend on them (documented in --help and
// the README).
#pragma once

namespace spate::cli {

inline constexpr int kExitOk = 0;              // every download succeeded (or was skipped)
inline constexpr int kExitDownloadFailed = 1;  // some download failed; the others are exact
inline constexpr int kExitUsage = 2;           // bad command line or input; nothing downloaded
inline constexpr int kExitInternal = 3;        // spate could not start (libcurl init, ...)
inline constexpr int kExitInterrupted = 130;   // stopped by SIGINT (128 + 2)
inline constexpr int kExitTerminated = 143;    // stopped by SIGTERM (128 + 15)

inline constexpr const char* kExitCodeHelp =
    "Exit status:\n"
    "  0    all downloads succeeded\n"
    "  1    some downloads failed (listed at the end; the others are complete)\n"
    "  2    usage error (bad option or argument)\n"
    "  3    internal error (spate could not start)\n"
    "  130  interrupted (SIGINT); 143 terminated (SIGTERM)\n";

}  // namespace spate::cli
