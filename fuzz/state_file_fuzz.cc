// libFuzzer target for the resume state file decoder (src/storage/state_file.cc).
// Each input is decoded twice: as given (magic, version, digest checks), and with its digest line
// recomputed, so that mutations reach the body parser behind the SHA-256 check. Whenever a decode
// succeeds, encode(decode(x)) must decode to the same state and re-encode to the same bytes.
//
// Build and run (from the repo root; not part of the CMake build):
//   clang++-14 -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Isrc \
//     fuzz/state_file_fuzz.cc src/storage/state_file.cc -lfmt -lcrypto -o /tmp/state_file_fuzz
//   /tmp/state_file_fuzz -max_total_time=30 /tmp/corpus fuzz/corpus/state_file
#include "storage/state_file.h"

#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using spate::storage::ResumeState;

void check_round_trip(std::string_view bytes) {
  const spate::Result<ResumeState> state = spate::storage::decode_state(bytes);
  if (!state) {
    if (state.error().kind != spate::ErrorKind::StateFile ||
        state.error().message.find('\n') != std::string::npos) {
      std::fprintf(stderr, "bad error: %s\n", state.error().message.c_str());
      std::abort();
    }
    return;
  }
  const std::string encoded = spate::storage::encode_state(*state);
  const spate::Result<ResumeState> again = spate::storage::decode_state(encoded);
  if (!again) {
    std::fprintf(stderr, "re-encoded state rejected: %s\n", again.error().message.c_str());
    std::abort();
  }
  if (!(*again == *state) || spate::storage::encode_state(*again) != encoded) {
    std::fprintf(stderr, "round trip changed the state\n");
    std::abort();
  }
}

// `bytes` with its last line replaced by (or, when it is not a digest line, followed by) the
// correct "sha-256 HEX" line.
std::string with_correct_digest(std::string_view bytes) {
  std::string_view content = bytes;
  if (content.ends_with('\n')) {
    const std::size_t newline = content.rfind('\n', content.size() - 2);
    const std::size_t start = newline == std::string_view::npos ? 0 : newline + 1;
    if (content.substr(start).starts_with("sha-256 ")) content = content.substr(0, start);
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(content.data(), content.size(), digest.data(), &length, EVP_sha256(), nullptr) !=
      1) {
    std::abort();
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(content);
  out += "sha-256 ";
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0x0F];
  }
  out += '\n';
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  check_round_trip(bytes);
  check_round_trip(with_correct_digest(bytes));
  return 0;
}
