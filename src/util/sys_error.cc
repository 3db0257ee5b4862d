#include "util/sys_error.h"

#include <fmt/format.h>

#include <system_error>
#include <utility>

namespace spate::util {

Error sys_error(ErrorKind kind, std::string_view what, int err) {
  Error error{kind,
              fmt::format("{}: {}", what, std::error_code(err, std::system_category()).message())};
  error.sys_errno = err;
  return error;
}

}  // namespace spate::util
