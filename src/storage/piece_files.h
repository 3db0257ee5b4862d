// The "parts" layout: every contiguous run of bytes a connection writes goes into its own temp
// file next to the target (NAME.part.<offset>), and at the end the pieces are concatenated in
// order into one file (copy_file_range, which reflinks where the filesystem can). Useful where
// sparse or offset writes are slow (FAT/exFAT). Owned by one Job on the network thread; RAII:
// the destructor closes every piece and removes them unless keep() was called.
#pragma once

#include "spate/error.h"

#include "storage/part_file.h"

#include <cstdint>
#include <filesystem>
#include <map>
#include <span>

namespace spate::storage {

class PieceFiles {
 public:
  explicit PieceFiles(std::filesystem::path prefix) : prefix_(std::move(prefix)) {}
  PieceFiles(PieceFiles&&) noexcept = default;
  PieceFiles& operator=(PieceFiles&&) noexcept = default;
  PieceFiles(const PieceFiles&) = delete;
  PieceFiles& operator=(const PieceFiles&) = delete;
  ~PieceFiles() { discard(); }

  // Appends to the piece that ends exactly at `offset`, or starts a new piece there. Writers
  // always write contiguously, so each connection extends its own piece.
  Result<void> write_at(std::int64_t offset, std::span<const char> data);
  // Concatenates the pieces, which must tile [0, size) exactly, into `out` from offset 0, then
  // removes them.
  Result<void> merge_into(PartFile& out, std::int64_t size);
  void discard() noexcept;
  std::size_t pieces() const { return pieces_.size(); }

 private:
  struct Piece {
    std::int64_t begin = 0;
    PartFile file;
  };
  std::filesystem::path prefix_;
  std::map<std::int64_t, Piece> pieces_;  // keyed by end offset (exclusive)
};

}  // namespace spate::storage
