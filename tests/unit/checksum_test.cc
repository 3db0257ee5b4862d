#include "spate/checksum.h"

#include "support/content.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace spate {
namespace {

struct Vector {
  HashType type;
  const char* empty;      // digest of ""
  const char* abc;        // digest of "abc"
  const char* million_a;  // digest of 1,000,000 x 'a'
};

const std::vector<Vector>& vectors() {
  static const std::vector<Vector> all_vectors = {
      {HashType::Md5, "d41d8cd98f00b204e9800998ecf8427e", "900150983cd24fb0d6963f7d28e17f72",
       "7707d6ae4e027c70eea2a935c2296f21"},
      {HashType::Sha1, "da39a3ee5e6b4b0d3255bfef95601890afd80709",
       "a9993e364706816aba3e25717850c26c9cd0d89d", "34aa973cd4c4daa4f61eeb2bdbad27316534016f"},
      {HashType::Sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
      {HashType::Sha512,
       "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877"
       "eec2f63b931bd47417a81a538327af927da3e",
       "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3f"
       "eebbd454d4423643ce80e2a9ac94fa54ca49f",
       "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973ebde0ff244877ea60a4cb0432ce57"
       "7c31beb009c5c2c49aa2e4eadb217ad8cc09b"},
  };
  return all_vectors;
}

std::string one_shot(HashType type, std::string_view data) {
  Hasher hasher(type);
  hasher.update(data);
  return hasher.finish_hex();
}

void write_file(const std::filesystem::path& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  ASSERT_TRUE(out.good());
}

// ---- Hasher ------------------------------------------------------------------------------------

TEST(HasherTest, KnownVectors) {
  const std::string million_a(1'000'000, 'a');
  for (const Vector& v : vectors()) {
    SCOPED_TRACE(to_string(v.type));
    EXPECT_EQ(one_shot(v.type, ""), v.empty);
    EXPECT_EQ(one_shot(v.type, "abc"), v.abc);
    EXPECT_EQ(one_shot(v.type, million_a), v.million_a);
    EXPECT_EQ(one_shot(v.type, "abc").size(), digest_hex_length(v.type));
  }
}

TEST(HasherTest, NoUpdateIsTheEmptyDigest) {
  for (const Vector& v : vectors()) {
    Hasher hasher(v.type);
    EXPECT_EQ(hasher.finish_hex(), v.empty);
  }
}

TEST(HasherTest, OddSizedPiecesEqualOneShot) {
  std::string data(200'003, '\0');
  testing::fill_content(7, 0, data);
  for (const Vector& v : vectors()) {
    SCOPED_TRACE(to_string(v.type));
    Hasher hasher(v.type);
    std::size_t pos = 0;
    std::size_t piece = 1;
    while (pos < data.size()) {
      const std::size_t n = std::min(piece, data.size() - pos);
      hasher.update(std::span<const char>(data.data() + pos, n));
      pos += n;
      piece = piece * 3 + 1;  // 1, 4, 13, 40, ... : crosses every block boundary differently
      if (piece > 70'000) piece = 7;
    }
    hasher.update(std::span<const char>());  // empty updates change nothing
    EXPECT_EQ(hasher.finish_hex(), one_shot(v.type, data));
  }
}

TEST(HasherTest, MillionAInUnevenPieces) {
  const std::string chunk(997, 'a');
  Hasher hasher(HashType::Sha256);
  std::size_t left = 1'000'000;
  while (left > 0) {
    const std::size_t n = std::min(left, chunk.size());
    hasher.update(std::span<const char>(chunk.data(), n));
    left -= n;
  }
  EXPECT_EQ(hasher.finish_hex(), vectors()[2].million_a);
}

TEST(HasherTest, MoveKeepsState) {
  Hasher first(HashType::Sha1);
  first.update(std::string_view("ab"));
  Hasher second(std::move(first));
  second.update(std::string_view("c"));
  Hasher third(HashType::Md5);
  third = std::move(second);
  EXPECT_EQ(third.type(), HashType::Sha1);
  EXPECT_EQ(third.finish_hex(), vectors()[1].abc);
}

// ---- hash_file ---------------------------------------------------------------------------------

TEST(HashFileTest, SmallFiles) {
  const testing::TempDir dir;
  write_file(dir.path() / "abc", "abc");
  write_file(dir.path() / "empty", "");
  for (const Vector& v : vectors()) {
    EXPECT_EQ(hash_file(dir.path() / "abc", v.type), v.abc);
    EXPECT_EQ(hash_file(dir.path() / "empty", v.type), v.empty);
  }
}

TEST(HashFileTest, FileSpanningSeveralReadBlocks) {
  const testing::TempDir dir;
  const std::int64_t size = 3 * 1024 * 1024 + 7;
  testing::write_content_file(dir.path() / "big", 42, size);
  EXPECT_EQ(hash_file(dir.path() / "big", HashType::Sha256), testing::content_sha256(42, size));
  write_file(dir.path() / "a", std::string(1'000'000, 'a'));
  EXPECT_EQ(hash_file(dir.path() / "a", HashType::Sha512), vectors()[3].million_a);
}

TEST(HashFileTest, MissingFileIsFileOpenError) {
  const testing::TempDir dir;
  const auto result = hash_file(dir.path() / "nope", HashType::Sha256);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind, ErrorKind::FileOpen);
  EXPECT_EQ(result.error().sys_errno, ENOENT);
  EXPECT_NE(result.error().message.find("nope"), std::string::npos);
}

TEST(HashFileTest, DirectoryIsFileOpenError) {
  const testing::TempDir dir;
  const auto result = hash_file(dir.path(), HashType::Md5);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind, ErrorKind::FileOpen);
}

// ---- parse_checksum / to_string ----------------------------------------------------------------

TEST(ParseChecksumTest, AcceptsAria2Spellings) {
  const std::string sha256 = vectors()[2].abc;
  const auto parsed = parse_checksum("sha-256=" + sha256);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(parsed->type, HashType::Sha256);
  EXPECT_EQ(parsed->hex, sha256);

  EXPECT_EQ(parse_checksum(std::string("md5=") + vectors()[0].abc)->type, HashType::Md5);
  EXPECT_EQ(parse_checksum(std::string("sha-1=") + vectors()[1].abc)->type, HashType::Sha1);
  EXPECT_EQ(parse_checksum(std::string("sha-512=") + vectors()[3].abc)->type, HashType::Sha512);
}

TEST(ParseChecksumTest, TypeIsCaseInsensitiveAndDashOptional) {
  const std::string sha1 = vectors()[1].abc;
  for (const char* type : {"SHA-1", "Sha-1", "sha1", "SHA1"}) {
    const auto parsed = parse_checksum(std::string(type) + "=" + sha1);
    ASSERT_TRUE(parsed.has_value()) << type;
    EXPECT_EQ(parsed->type, HashType::Sha1);
  }
  EXPECT_EQ(parse_checksum(std::string("sha256=") + vectors()[2].abc)->type, HashType::Sha256);
  EXPECT_EQ(parse_checksum(std::string("SHA512=") + vectors()[3].abc)->type, HashType::Sha512);
  EXPECT_EQ(parse_checksum(std::string("MD5=") + vectors()[0].abc)->type, HashType::Md5);
}

TEST(ParseChecksumTest, HexIsStoredLowerCase) {
  const auto parsed = parse_checksum("md5=900150983CD24FB0D6963F7D28E17F72");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->hex, vectors()[0].abc);
}

TEST(ParseChecksumTest, RoundTrips) {
  for (const Vector& v : vectors()) {
    const Checksum checksum{v.type, v.abc};
    const std::string text = to_string(checksum);
    EXPECT_EQ(text, std::string(to_string(v.type)) + "=" + v.abc);
    EXPECT_EQ(parse_checksum(text), checksum);
  }
  EXPECT_STREQ(to_string(HashType::Md5), "md5");
  EXPECT_STREQ(to_string(HashType::Sha1), "sha-1");
  EXPECT_STREQ(to_string(HashType::Sha256), "sha-256");
  EXPECT_STREQ(to_string(HashType::Sha512), "sha-512");
}

TEST(ParseChecksumTest, RejectsBadForms) {
  const std::string sha256 = vectors()[2].abc;
  const std::vector<std::string> bad = {
      "",                                          // empty
      "sha-256",                                   // missing '='
      sha256,                                      // missing type and '='
      "sha-256=",                                  // no hex
      "=" + sha256,                                // no type
      "sha-256=" + sha256.substr(1),               // one digit short
      "sha-256=" + sha256 + "0",                   // one digit long
      "sha-256=" + std::string(vectors()[1].abc),  // a sha-1 digest under sha-256
      "sha-256=" + sha256.substr(1) + "g",         // non-hex digit
      "sha-256=" + sha256.substr(2) + "0x",        // hex prefix inside
      "sha-256= " + sha256.substr(1),              // whitespace
      "sha-256=" + sha256 + "\n",                  // trailing newline
      "sha-384=" + sha256,                         // unknown type
      "crc32=deadbeef",                            // unknown type
      "sha_256=" + sha256,                         // unknown spelling
      "sha--256=" + sha256,                        // unknown spelling
  };
  for (const std::string& spec : bad) {
    const auto result = parse_checksum(spec);
    ASSERT_FALSE(result.has_value()) << "accepted '" << spec << "'";
    EXPECT_EQ(result.error().kind, ErrorKind::Usage);
    EXPECT_FALSE(result.error().message.empty());
    EXPECT_EQ(result.error().message.find('\n'), std::string::npos) << result.error().message;
  }
}

TEST(ParseChecksumTest, MessagesSayWhatIsWrong) {
  EXPECT_NE(parse_checksum("crc32=deadbeef").error().message.find("unsupported checksum type"),
            std::string::npos);
  EXPECT_NE(parse_checksum("sha-1=abc").error().message.find("40 hex digits"), std::string::npos);
  EXPECT_NE(parse_checksum("sha-1").error().message.find("TYPE=HEX"), std::string::npos);
}

}  // namespace
}  // namespace spate
