// Expected digests of downloaded files ("sha-256=HEX", aria2's --checksum spelling) and the
// hashing that verifies them (OpenSSL EVP underneath; no OpenSSL header is exposed here).
// Checksum is a plain value type; the free functions are pure or only read the file they are
// given, and are safe to call from any thread. A Hasher owns its digest context: movable, not
// copyable, used by one thread at a time.
#pragma once

#include "spate/error.h"

#include <cstddef>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX, kept opaque

namespace spate {

enum class HashType { Md5, Sha1, Sha256, Sha512 };

struct Checksum {
  HashType type = HashType::Sha256;
  std::string hex;  // lower-case, exactly digest_hex_length(type) digits

  friend bool operator==(const Checksum&, const Checksum&) = default;
};

// "md5", "sha-1", "sha-256", "sha-512": the names parse_checksum() and aria2 use.
const char* to_string(HashType type);

// Number of hex digits in a digest of this type: 32, 40, 64 or 128.
std::size_t digest_hex_length(HashType type);

// Parses "TYPE=HEX": TYPE is md5, sha-1, sha-256 or sha-512 (any case; "sha1", "sha256" and
// "sha512" without the dash are accepted too), HEX is exactly the digest length in hex digits of
// either case (stored lower-case). No surrounding whitespace. Errors are ErrorKind::Usage with a
// message saying what is wrong.
Result<Checksum> parse_checksum(std::string_view spec);

// "sha-256=9f86...": the canonical spelling, which parse_checksum() reads back unchanged.
std::string to_string(const Checksum& checksum);

// Incremental digest: update() any number of times, then finish_hex() once. After finish_hex()
// (or after being moved from) the hasher is spent and must not be used again. Throws
// std::bad_alloc only when OpenSSL cannot allocate or set up its context.
class Hasher {
 public:
  explicit Hasher(HashType type);
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;
  Hasher(Hasher&& other) noexcept;
  Hasher& operator=(Hasher&& other) noexcept;

  HashType type() const { return type_; }

  void update(std::span<const char> data);
  std::string finish_hex();  // lower-case hex of everything passed to update()

 private:
  struct CtxDeleter {
    void operator()(evp_md_ctx_st* ctx) const noexcept;
  };

  HashType type_;
  std::unique_ptr<evp_md_ctx_st, CtxDeleter> ctx_;  // null once spent or moved from
};

// The lower-case hex digest of a whole regular file, read in 1 MiB blocks. Errors:
// ErrorKind::FileOpen when the file cannot be opened, is not a regular file or cannot be read
// (sys_errno set where the system gave one).
Result<std::string> hash_file(const std::filesystem::path& path, HashType type);

}  // namespace spate
