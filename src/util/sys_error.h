// The Error for a failed system call, so every file and socket error reads the same way.
// Pure; thread-safe.
#pragma once

#include "spate/error.h"

#include <string_view>

namespace spate::util {

// "<what>: <the system's text for err>", with sys_errno = err. Read errno into `err` before
// building `what`: formatting may allocate, and allocating may change errno.
Error sys_error(ErrorKind kind, std::string_view what, int err);

}  // namespace spate::util
