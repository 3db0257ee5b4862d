#include "storage/state_file.h"

#include "util/sys_error.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <fcntl.h>
#include <iterator>
#include <optional>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>
#include <utility>

namespace spate::storage {
namespace {

// Internally a problem is a bare phrase ("line 3: unknown key 'x'"); the public functions prefix
// it with "state file: " or "state file PATH: ".
using Problem = tl::unexpected<std::string>;
template <class T>
using Parsed = tl::expected<T, std::string>;

constexpr std::string_view kMagic = "SPATE-STATE ";
constexpr std::string_view kDigestKey = "sha-256 ";
constexpr std::size_t kDigestHexChars = 64;
constexpr std::string_view kOptionalKeyPrefix = "opt-";
constexpr std::string_view kHex = "0123456789ABCDEF";

// A short, printable, single-line excerpt of hostile bytes for an error message.
std::string quote(std::string_view text) {
  constexpr std::size_t kMaxShown = 40;
  std::string out = "'";
  for (std::size_t i = 0; i < text.size() && i < kMaxShown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c >= 0x7F) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0x0F];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > kMaxShown) out += "...";
  out += '\'';
  return out;
}

// Every byte outside the printable, non-space ASCII range, and '%' itself, becomes %XX. So a value
// is one token that cannot contain a space or a newline.
bool needs_escape(unsigned char c) { return c <= 0x20 || c >= 0x7F || c == '%'; }

void percent_encode(std::string_view value, std::string& out) {
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (needs_escape(c)) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0x0F];
    } else {
      out += ch;
    }
  }
}

int hex_value(char c) {  // uppercase only: one spelling per byte
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Parsed<std::string> percent_decode(std::string_view token, std::string_view key) {
  std::string out;
  for (std::size_t i = 0; i < token.size(); ++i) {
    const auto c = static_cast<unsigned char>(token[i]);
    if (c == '%') {
      const int high = i + 1 < token.size() ? hex_value(token[i + 1]) : -1;
      const int low = i + 2 < token.size() ? hex_value(token[i + 2]) : -1;
      if (high < 0 || low < 0) {
        return Problem(fmt::format("{}: bad escape {}", key, quote(token.substr(i, 3))));
      }
      out += static_cast<char>((high << 4) | low);
      i += 2;
    } else if (needs_escape(c)) {
      return Problem(
          fmt::format("{}: byte {} must be percent-encoded", key, quote(token.substr(i, 1))));
    } else {
      out += static_cast<char>(c);
    }
    if (out.size() > kMaxStateValueBytes) {
      return Problem(fmt::format("{} is longer than {} bytes", key, kMaxStateValueBytes));
    }
  }
  return out;
}

// Canonical decimal: no '+', no leading zeros, "-" only when allowed. Overflow is an error.
Parsed<std::int64_t> parse_number(std::string_view token, std::string_view what,
                                  bool allow_negative) {
  const std::string_view digits = token.starts_with('-') ? token.substr(1) : token;
  const bool negative = digits.size() != token.size();
  const bool all_digits =
      !digits.empty() && digits.find_first_not_of("0123456789") == std::string_view::npos;
  if (!all_digits || (negative && !allow_negative)) {
    return Problem(fmt::format("{} {} is not a{} number", what, quote(token),
                               allow_negative ? "" : " non-negative"));
  }
  if (digits.size() > 1 && digits[0] == '0') {
    return Problem(fmt::format("{} {} has leading zeros", what, quote(token)));
  }
  if (negative && digits == "0") return Problem(fmt::format("{} '-0' is not canonical", what));
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (ec != std::errc() || end != token.data() + token.size()) {
    return Problem(fmt::format("{} {} does not fit in 64 bits", what, quote(token)));
  }
  return value;
}

// Lowercase hex SHA-256; empty only if OpenSSL itself fails (then no file ever verifies).
std::string sha256_hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
    return {};
  }
  constexpr std::string_view kLowerHex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += kLowerHex[digest[i] >> 4];
    out += kLowerHex[digest[i] & 0x0F];
  }
  return out;
}

std::string check_state(const ResumeState& state) {
  if (state.url.empty()) return "url is empty";
  const std::pair<std::string_view, const std::string*> values[] = {
      {"url", &state.url},
      {"etag", &state.etag},
      {"last-modified", &state.last_modified},
      {"layout", &state.layout},
      {"checksum", &state.checksum}};
  for (const auto& [key, value] : values) {
    if (value->size() > kMaxStateValueBytes) {
      return fmt::format("{} is longer than {} bytes", key, kMaxStateValueBytes);
    }
  }
  if (state.size < -1) return fmt::format("size {} is negative", state.size);
  if (state.layout != "single" && state.layout != "parts") {
    return fmt::format("layout {} is unknown (expected single or parts)", quote(state.layout));
  }
  if (state.done.size() > kMaxStateRanges) {
    return fmt::format("more than {} ranges", kMaxStateRanges);
  }
  std::int64_t previous_end = 0;
  for (std::size_t i = 0; i < state.done.size(); ++i) {
    const core::ByteRange& r = state.done[i];
    if (r.begin < 0) return fmt::format("range {}-{} starts before 0", r.begin, r.end);
    if (r.empty()) return fmt::format("range {}-{} is empty or reversed", r.begin, r.end);
    if (i > 0 && r.begin < previous_end) {
      return fmt::format("range {}-{} overlaps or precedes range {}-{}", r.begin, r.end,
                         state.done[i - 1].begin, previous_end);
    }
    if (state.size >= 0 && r.end > state.size) {
      return fmt::format("range {}-{} ends past the size {}", r.begin, r.end, state.size);
    }
    previous_end = r.end;
  }
  return {};
}

// The lines between the magic line and the digest line, already known to end with '\n'.
Parsed<ResumeState> parse_body(std::string_view body) {
  ResumeState state;
  struct Field {
    std::string_view key;
    std::string ResumeState::*member;  // nullptr: the size, parsed as a number
    bool seen = false;
  };
  std::array<Field, 6> fields{{{"url", &ResumeState::url},
                               {"size", nullptr},
                               {"etag", &ResumeState::etag},
                               {"last-modified", &ResumeState::last_modified},
                               {"layout", &ResumeState::layout},
                               {"checksum", &ResumeState::checksum}}};
  int line_number = 1;  // the magic line was line 1
  while (!body.empty()) {
    ++line_number;
    const std::size_t newline = body.find('\n');
    const std::string_view line = body.substr(0, newline);
    body.remove_prefix(newline + 1);
    const std::size_t space = line.find(' ');
    const std::string_view key = line.substr(0, space);
    const std::string_view rest =
        space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
    const auto at = [line_number](const std::string& problem) {
      return Problem(fmt::format("line {}: {}", line_number, problem));
    };
    if (line.empty()) return at("empty line");

    if (key == "done") {
      const std::size_t gap = rest.find(' ');
      if (gap == std::string_view::npos) return at("expected 'done BEGIN END'");
      auto begin = parse_number(rest.substr(0, gap), "range begin", false);
      if (!begin) return at(begin.error());
      auto end = parse_number(rest.substr(gap + 1), "range end", false);
      if (!end) return at(end.error());
      if (state.done.size() == kMaxStateRanges) {
        return at(fmt::format("more than {} ranges", kMaxStateRanges));
      }
      state.done.push_back({*begin, *end});
      continue;
    }
    Field* field = nullptr;
    for (Field& candidate : fields) {
      if (candidate.key == key) field = &candidate;
    }
    if (field == nullptr) {
      // A newer minor revision may add keys that older readers can safely skip; they say so
      // with the prefix. Anything else unknown may change the meaning: refuse it.
      const bool well_formed =
          key.size() > kOptionalKeyPrefix.size() &&
          key.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string_view::npos;
      if (key.starts_with(kOptionalKeyPrefix) && well_formed) continue;
      return at(fmt::format("unknown key {}", quote(key)));
    }
    if (field->seen) return at(fmt::format("duplicate key '{}'", field->key));
    field->seen = true;
    if (field->member == nullptr) {
      auto size = parse_number(rest, "size", true);
      if (!size) return at(size.error());
      state.size = *size;
    } else {
      auto value = percent_decode(rest, field->key);
      if (!value) return at(value.error());
      state.*(field->member) = std::move(*value);
    }
  }
  for (const Field& field : fields) {
    if (!field.seen) return Problem(fmt::format("missing key '{}'", field.key));
  }
  if (std::string problem = check_state(state); !problem.empty()) return Problem(problem);
  return state;
}

Parsed<ResumeState> parse_state(std::string_view bytes) {
  if (bytes.empty()) return Problem("empty file");
  if (bytes.size() > kMaxStateFileBytes) {
    return Problem(fmt::format("larger than {} bytes", kMaxStateFileBytes));
  }
  // 1. Magic and version first: a file from a newer version may be laid out differently.
  if (!bytes.starts_with(kMagic)) {
    if (kMagic.starts_with(bytes)) return Problem("truncated");
    return Problem("not a spate state file");
  }
  const std::size_t magic_end = bytes.find('\n');
  if (magic_end == std::string_view::npos) return Problem("truncated");
  const std::string_view version = bytes.substr(kMagic.size(), magic_end - kMagic.size());
  if (version != "1") {
    const bool numeric = !version.empty() && version.size() <= 9 &&
                         version.find_first_not_of("0123456789") == std::string_view::npos;
    if (!numeric) {
      return Problem(fmt::format("not a spate state file (version {})", quote(version)));
    }
    return Problem(fmt::format("version {} is not supported (this spate reads version {})", version,
                               kStateFileVersion));
  }
  // 2. The last line is the digest of everything before it.
  if (!bytes.ends_with('\n')) return Problem("truncated (no final newline)");
  const std::size_t previous_newline = bytes.rfind('\n', bytes.size() - 2);
  // npos + 1 == 0 when there is no earlier newline: then there is no digest line either.
  const std::size_t digest_start = previous_newline + 1;
  const std::string_view digest_line = bytes.substr(digest_start, bytes.size() - 1 - digest_start);
  if (digest_start <= magic_end || !digest_line.starts_with(kDigestKey)) {
    return Problem("truncated (the last line is not the sha-256 line)");
  }
  const std::string_view digest = digest_line.substr(kDigestKey.size());
  if (digest.size() != kDigestHexChars) return Problem("truncated or corrupted sha-256 line");
  if (digest != sha256_hex(bytes.substr(0, digest_start))) {
    return Problem("corrupted (sha-256 mismatch)");
  }
  // 3. The body.
  return parse_body(bytes.substr(magic_end + 1, digest_start - magic_end - 1));
}

Error state_error(std::string message) { return Error{ErrorKind::StateFile, std::move(message)}; }

Error io_error(ErrorKind kind, std::string_view what, const std::filesystem::path& path, int err) {
  if (err == ENOSPC || err == EDQUOT) kind = ErrorKind::DiskFull;
  return util::sys_error(kind, fmt::format("cannot {} {}", what, path.string()), err);
}

// 0 or the errno of the failed write.
int write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
  return 0;
}

int fsync_retrying(int fd) {
  while (::fsync(fd) != 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

// Makes the rename itself durable (leveldb's SyncDirIfManifest).
Result<void> sync_directory(const std::filesystem::path& file) {
  std::filesystem::path dir = file.parent_path();
  if (dir.empty()) dir = ".";
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return tl::unexpected(io_error(ErrorKind::StateFile, "open directory", dir, errno));
  const int err = fsync_retrying(fd);
  (void)::close(fd);
  // Some filesystems cannot sync a directory (EINVAL); nothing more can be done there.
  if (err != 0 && err != EINVAL) {
    return tl::unexpected(io_error(ErrorKind::FileWrite, "sync directory", dir, err));
  }
  return {};
}

}  // namespace

Result<void> validate_state(const ResumeState& state) {
  if (std::string problem = check_state(state); !problem.empty()) {
    return tl::unexpected(state_error("state file: " + problem));
  }
  return {};
}

std::string encode_state(const ResumeState& state) {
  std::string out;
  out.reserve(256 + 3 * (state.url.size() + state.etag.size()) + state.done.size() * 24);
  fmt::format_to(std::back_inserter(out), "{}{}\n", kMagic, kStateFileVersion);
  const auto field = [&out](std::string_view key, std::string_view value) {
    out += key;
    if (!value.empty()) {
      out += ' ';
      percent_encode(value, out);
    }
    out += '\n';
  };
  field("url", state.url);
  fmt::format_to(std::back_inserter(out), "size {}\n", state.size);
  field("etag", state.etag);
  field("last-modified", state.last_modified);
  field("layout", state.layout);
  field("checksum", state.checksum);
  // fmt::format_int, not format_to(back_inserter): a million ranges must stay cheap in Debug too.
  for (const core::ByteRange& r : state.done) {
    const fmt::format_int begin(r.begin);
    const fmt::format_int end(r.end);
    out += "done ";
    out.append(begin.data(), begin.size());
    out += ' ';
    out.append(end.data(), end.size());
    out += '\n';
  }
  const std::string digest = sha256_hex(out);
  out += kDigestKey;
  out += digest;
  out += '\n';
  return out;
}

Result<ResumeState> decode_state(std::string_view bytes) {
  auto parsed = parse_state(bytes);
  if (!parsed) return tl::unexpected(state_error("state file: " + parsed.error()));
  return std::move(*parsed);
}

Result<void> write_state_file(const std::filesystem::path& path, const ResumeState& state) {
  if (std::string problem = check_state(state); !problem.empty()) {
    return tl::unexpected(
        state_error(fmt::format("cannot save state file {}: {}", path.string(), problem)));
  }
  const std::string bytes = encode_state(state);
  const std::filesystem::path tmp = path.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return tl::unexpected(io_error(ErrorKind::StateFile, "create", tmp, errno));

  std::optional<Error> failure;
  if (const int err = write_all(fd, bytes); err != 0) {
    failure = io_error(ErrorKind::FileWrite, "write", tmp, err);
  } else if (const int sync_err = fsync_retrying(fd); sync_err != 0) {
    failure = io_error(ErrorKind::FileWrite, "sync", tmp, sync_err);
  }
  // close() can report a deferred write error (NFS); EINTR still closed the descriptor.
  if (::close(fd) != 0 && errno != EINTR && !failure) {
    failure = io_error(ErrorKind::FileWrite, "close", tmp, errno);
  }
  if (!failure && ::rename(tmp.c_str(), path.c_str()) != 0) {
    failure =
        io_error(ErrorKind::StateFile, fmt::format("rename {} to", tmp.string()), path, errno);
  }
  if (failure) {
    (void)::unlink(tmp.c_str());
    return tl::unexpected(std::move(*failure));
  }
  return sync_directory(path);
}

Result<ResumeState> read_state_file(const std::filesystem::path& path) {
  // O_NONBLOCK: a FIFO planted under this name must not hang the open (it is then rejected as
  // not a regular file); reads from a regular file ignore the flag.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return tl::unexpected(io_error(ErrorKind::StateFile, "open state file", path, errno));
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    const int err = errno;
    (void)::close(fd);
    return tl::unexpected(io_error(ErrorKind::StateFile, "stat state file", path, err));
  }
  if (!S_ISREG(info.st_mode) || info.st_size > static_cast<off_t>(kMaxStateFileBytes)) {
    (void)::close(fd);
    return tl::unexpected(state_error(
        fmt::format("state file {}: {}", path.string(),
                    S_ISREG(info.st_mode) ? fmt::format("larger than {} bytes", kMaxStateFileBytes)
                                          : std::string("not a regular file"))));
  }
  // Read at most one byte past the limit (the file may grow while we read), so parse_state
  // rejects an oversized file and memory stays bounded.
  std::string bytes;
  std::array<char, std::size_t{64} * 1024> buffer{};
  while (bytes.size() <= kMaxStateFileBytes) {
    const std::size_t want = std::min(buffer.size(), kMaxStateFileBytes + 1 - bytes.size());
    const ssize_t got = ::read(fd, buffer.data(), want);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      const int err = errno;
      (void)::close(fd);
      return tl::unexpected(io_error(ErrorKind::StateFile, "read state file", path, err));
    }
    if (got == 0) break;
    bytes.append(buffer.data(), static_cast<std::size_t>(got));
  }
  (void)::close(fd);
  auto parsed = parse_state(bytes);
  if (!parsed) {
    return tl::unexpected(
        state_error(fmt::format("state file {}: {}", path.string(), parsed.error())));
  }
  return std::move(*parsed);
}

}  // namespace spate::storage
