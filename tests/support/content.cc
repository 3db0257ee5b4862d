#include "support/content.h"

#include <openssl/evp.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <vector>

namespace spate::testing {
namespace {

constexpr std::size_t kBlockSize = std::size_t{256} * 1024;

// splitmix64 finaliser over (seed, word index): every byte of the result depends on both.
std::uint64_t content_word(std::uint64_t seed, std::uint64_t word_index) {
  std::uint64_t z =
      seed * 0x9e3779b97f4a7c15ULL + word_index * 0xd1b54a32d192ed03ULL + 0x632be59bd9b4e019ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Byte k (0..7) of a word is (word >> 8k) & 0xff; on little-endian hosts that is its memory
// layout, so a word can be copied whole.
std::uint64_t to_little_endian(std::uint64_t word) {
  if constexpr (std::endian::native == std::endian::big) return __builtin_bswap64(word);
  return word;
}

struct EvpCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using EvpCtx = std::unique_ptr<EVP_MD_CTX, EvpCtxDeleter>;

EvpCtx new_sha256() {
  EvpCtx ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("EVP sha256 init failed");
  }
  return ctx;
}

std::string finish_hex(EVP_MD_CTX* ctx) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(ctx, digest, &length) != 1) throw std::runtime_error("EVP final failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(std::size_t{length} * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xf]);
  }
  return hex;
}

}  // namespace

std::uint8_t content_byte(std::uint64_t seed, std::int64_t index) {
  const auto position = static_cast<std::uint64_t>(index);
  const std::uint64_t word = content_word(seed, position >> 3);
  return static_cast<std::uint8_t>(word >> ((position & 7) * 8));
}

void fill_content(std::uint64_t seed, std::int64_t offset, std::span<char> out) {
  auto position = static_cast<std::uint64_t>(offset);
  std::size_t done = 0;
  // Unaligned head, byte by byte up to the next word boundary.
  while (done < out.size() && (position & 7) != 0) {
    out[done++] = static_cast<char>(content_byte(seed, static_cast<std::int64_t>(position++)));
  }
  // Whole words.
  for (; out.size() - done >= 8; done += 8, position += 8) {
    const std::uint64_t word = to_little_endian(content_word(seed, position >> 3));
    std::memcpy(out.data() + done, &word, 8);
  }
  // Tail.
  while (done < out.size()) {
    out[done++] = static_cast<char>(content_byte(seed, static_cast<std::int64_t>(position++)));
  }
}

std::string content_sha256(std::uint64_t seed, std::int64_t size) {
  EvpCtx ctx = new_sha256();
  std::vector<char> block(kBlockSize);
  for (std::int64_t offset = 0; offset < size;) {
    const auto n = static_cast<std::size_t>(
        std::min<std::int64_t>(size - offset, static_cast<std::int64_t>(block.size())));
    fill_content(seed, offset, std::span<char>(block.data(), n));
    EVP_DigestUpdate(ctx.get(), block.data(), n);
    offset += static_cast<std::int64_t>(n);
  }
  return finish_hex(ctx.get());
}

std::string file_sha256(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  EvpCtx ctx = new_sha256();
  std::vector<char> block(kBlockSize);
  while (in) {
    in.read(block.data(), static_cast<std::streamsize>(block.size()));
    const std::streamsize n = in.gcount();
    if (n > 0) EVP_DigestUpdate(ctx.get(), block.data(), static_cast<std::size_t>(n));
  }
  if (in.bad()) return "";
  return finish_hex(ctx.get());
}

std::string sha256_hex(std::string_view data) {
  EvpCtx ctx = new_sha256();
  EVP_DigestUpdate(ctx.get(), data.data(), data.size());
  return finish_hex(ctx.get());
}

void write_content_file(const std::filesystem::path& path, std::uint64_t seed, std::int64_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("cannot create " + path.string());
  std::vector<char> block(kBlockSize);
  for (std::int64_t offset = 0; offset < size;) {
    const auto n = static_cast<std::size_t>(
        std::min<std::int64_t>(size - offset, static_cast<std::int64_t>(block.size())));
    fill_content(seed, offset, std::span<char>(block.data(), n));
    out.write(block.data(), static_cast<std::streamsize>(n));
    offset += static_cast<std::int64_t>(n);
  }
  out.flush();
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace spate::testing
