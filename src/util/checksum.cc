#include "spate/checksum.h"

#include "util/sys_error.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <array>
#include <cassert>
#include <cerrno>
#include <cstddef>
#include <fcntl.h>
#include <new>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace spate {
namespace {

constexpr std::size_t kReadBlockBytes = std::size_t{1} << 20;
// Longest piece of a bad spec quoted back in an error message.
constexpr std::size_t kMaxQuotedBytes = 80;

struct HashInfo {
  HashType type;
  const char* name;       // canonical, as to_string() prints it
  const char* bare_name;  // the dash-less alias
  std::size_t hex_length;
};

constexpr std::array<HashInfo, 4> kHashes{{
    {HashType::Md5, "md5", "md5", 32},
    {HashType::Sha1, "sha-1", "sha1", 40},
    {HashType::Sha256, "sha-256", "sha256", 64},
    {HashType::Sha512, "sha-512", "sha512", 128},
}};

const HashInfo& info(HashType type) {
  for (const HashInfo& h : kHashes) {
    if (h.type == type) return h;
  }
  assert(false && "unknown HashType");
  return kHashes[2];
}

const EVP_MD* evp_md(HashType type) {
  switch (type) {
    case HashType::Md5:
      return EVP_md5();
    case HashType::Sha1:
      return EVP_sha1();
    case HashType::Sha256:
      return EVP_sha256();
    case HashType::Sha512:
      return EVP_sha512();
  }
  return EVP_sha256();
}

char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool is_hex_digit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool equals_ignore_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (to_lower(a[i]) != to_lower(b[i])) return false;
  }
  return true;
}

// The spec comes from users and input files: quote it on one line, control and non-ASCII bytes
// escaped, long values cut.
std::string quote(std::string_view s) {
  std::string out = "'";
  for (std::size_t i = 0; i < s.size() && i < kMaxQuotedBytes; ++i) {
    const auto byte = static_cast<unsigned char>(s[i]);
    if (byte < 0x20 || byte >= 0x7f || s[i] == '\'' || s[i] == '\\') {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out += s[i];
    }
  }
  if (s.size() > kMaxQuotedBytes) out += "...";
  out += '\'';
  return out;
}

std::string to_hex(const unsigned char* bytes, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex(size * 2, '0');
  for (std::size_t i = 0; i < size; ++i) {
    hex[2 * i] = kDigits[bytes[i] >> 4];
    hex[2 * i + 1] = kDigits[bytes[i] & 0x0f];
  }
  return hex;
}

tl::unexpected<Error> file_error(const std::filesystem::path& path, const char* what, int err) {
  return tl::unexpected(
      util::sys_error(ErrorKind::FileOpen, fmt::format("{} {}", what, path.string()), err));
}

// Closes the descriptor when hash_file() returns, whichever way.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() { (void)::close(fd_); }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;

 private:
  int fd_;
};

}  // namespace

const char* to_string(HashType type) { return info(type).name; }

std::size_t digest_hex_length(HashType type) { return info(type).hex_length; }

Result<Checksum> parse_checksum(std::string_view spec) {
  if (spec.empty()) {
    return make_error(ErrorKind::Usage, "empty checksum: expected TYPE=HEX, e.g. sha-256=...");
  }
  const auto eq = spec.find('=');
  if (eq == std::string_view::npos) {
    return make_error(ErrorKind::Usage,
                      fmt::format("checksum {} needs TYPE=HEX, e.g. sha-256=...", quote(spec)));
  }
  const std::string_view type_name = spec.substr(0, eq);
  const std::string_view hex = spec.substr(eq + 1);
  const HashInfo* found = nullptr;
  for (const HashInfo& h : kHashes) {
    if (equals_ignore_case(type_name, h.name) || equals_ignore_case(type_name, h.bare_name)) {
      found = &h;
      break;
    }
  }
  if (found == nullptr) {
    return make_error(
        ErrorKind::Usage,
        fmt::format("unsupported checksum type {} (use md5, sha-1, sha-256 or sha-512)",
                    quote(type_name)));
  }
  bool all_hex = true;
  for (const char c : hex) all_hex = all_hex && is_hex_digit(c);
  if (hex.size() != found->hex_length || !all_hex) {
    return make_error(ErrorKind::Usage,
                      fmt::format("{} checksum needs {} hex digits, got {} ({} characters)",
                                  found->name, found->hex_length, quote(hex), hex.size()));
  }
  Checksum checksum{found->type, std::string(hex)};
  for (char& c : checksum.hex) c = to_lower(c);
  return checksum;
}

std::string to_string(const Checksum& checksum) {
  return fmt::format("{}={}", to_string(checksum.type), checksum.hex);
}

// ---- Hasher ------------------------------------------------------------------------------------

void Hasher::CtxDeleter::operator()(evp_md_ctx_st* ctx) const noexcept { EVP_MD_CTX_free(ctx); }

Hasher::Hasher(HashType type) : type_(type), ctx_(EVP_MD_CTX_new()) {
  // Both fail only when OpenSSL cannot allocate (or a FIPS-only setup forbids the digest).
  if (ctx_ == nullptr) throw std::bad_alloc();
  if (EVP_DigestInit_ex(ctx_.get(), evp_md(type), nullptr) != 1) throw std::bad_alloc();
}

Hasher::~Hasher() = default;
Hasher::Hasher(Hasher&& other) noexcept = default;
Hasher& Hasher::operator=(Hasher&& other) noexcept = default;

void Hasher::update(std::span<const char> data) {
  assert(ctx_ != nullptr && "Hasher used after finish_hex() or a move");
  if (ctx_ == nullptr || data.empty()) return;
  // EVP_DigestUpdate on an initialised software digest cannot fail.
  (void)EVP_DigestUpdate(ctx_.get(), data.data(), data.size());
}

std::string Hasher::finish_hex() {
  assert(ctx_ != nullptr && "Hasher finished twice or used after a move");
  if (ctx_ == nullptr) return {};
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  (void)EVP_DigestFinal_ex(ctx_.get(), digest.data(), &size);
  ctx_.reset();
  return to_hex(digest.data(), size);
}

// ---- hash_file ---------------------------------------------------------------------------------

Result<std::string> hash_file(const std::filesystem::path& path, HashType type) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return file_error(path, "cannot open", errno);
  const FdCloser closer(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) return file_error(path, "cannot stat", errno);
  if (!S_ISREG(st.st_mode)) {
    return make_error(ErrorKind::FileOpen, fmt::format("{} is not a regular file", path.string()));
  }
  Hasher hasher(type);
  std::vector<char> block(kReadBlockBytes);
  for (;;) {
    const ssize_t n = ::read(fd, block.data(), block.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return file_error(path, "cannot read", errno);
    }
    if (n == 0) break;
    hasher.update(std::span<const char>(block.data(), static_cast<std::size_t>(n)));
  }
  return hasher.finish_hex();
}

}  // namespace spate
