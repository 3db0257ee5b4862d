#include "storage/piece_files.h"

#include <fmt/format.h>

namespace spate::storage {

Result<void> PieceFiles::write_at(std::int64_t offset, std::span<const char> data) {
  if (data.empty()) return {};
  auto it = pieces_.find(offset);  // the piece this write continues
  if (it == pieces_.end()) {
    auto file = PartFile::open(fmt::format("{}.{}", prefix_.string(), offset), /*truncate=*/true);
    if (!file) return tl::unexpected(file.error());
    it = pieces_.emplace(offset, Piece{offset, std::move(*file)}).first;
  }
  if (auto written = it->second.file.write_at(offset - it->second.begin, data); !written) {
    return written;
  }
  Piece piece = std::move(it->second);  // re-key it by its new end
  pieces_.erase(it);
  pieces_.emplace(offset + static_cast<std::int64_t>(data.size()), std::move(piece));
  return {};
}

Result<void> PieceFiles::merge_into(PartFile& out, std::int64_t size) {
  std::int64_t at = 0;
  for (auto& [end, piece] : pieces_) {
    if (piece.begin != at) {
      return make_error(ErrorKind::Internal,
                        fmt::format("pieces do not tile the file: gap or overlap at byte {}", at));
    }
    if (auto copied = piece.file.copy_to(out, at, end - piece.begin); !copied) return copied;
    at = end;
  }
  if (at != size) {
    return make_error(ErrorKind::Internal, fmt::format("pieces hold {} of {} bytes", at, size));
  }
  discard();
  return {};
}

void PieceFiles::discard() noexcept { pieces_.clear(); }  // each PartFile removes itself

}  // namespace spate::storage
