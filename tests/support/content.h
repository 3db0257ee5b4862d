// Deterministic generated content for tests: byte i of a "file" is content_byte(seed, i), so any
// size and any range can be served or checked without storing files, and tests know the digest.
// All functions are pure or touch only the paths they are given: safe from any thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

namespace spate::testing {

// Pseudo-random byte at `index` of the content stream named by `seed` (a hash, not a constant).
std::uint8_t content_byte(std::uint64_t seed, std::int64_t index);

// Fills `out` with bytes [offset, offset + out.size()) of the stream; equal to calling
// content_byte() for each index, but computes 8 bytes per step.
void fill_content(std::uint64_t seed, std::int64_t offset, std::span<char> out);

// Lowercase hex SHA-256 of bytes [0, size) of the stream.
std::string content_sha256(std::uint64_t seed, std::int64_t size);

// Lowercase hex SHA-256 of a file's contents; "" when the file cannot be read.
std::string file_sha256(const std::filesystem::path& path);

// Lowercase hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

// Writes bytes [0, size) of the stream to `path` (truncating it); throws std::runtime_error on
// failure.
void write_content_file(const std::filesystem::path& path, std::uint64_t seed, std::int64_t size);

}  // namespace spate::testing
