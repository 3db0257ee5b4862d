// What a rerun can continue from: NAME.part plus its state file NAME.part.spate
// (docs/state-file-format.md), or, with -c, a bare NAME.part from its size as wget -c does.
// Pure decisions over files the Job owns; used on the network thread.
#pragma once

#include "spate/error.h"
#include "spate/task.h"

#include "core/byte_range.h"
#include "core/range_check.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace spate::core {

struct ResumePoint {
  std::optional<std::int64_t> size;  // total bytes, when the state file knew it
  Validators validators;             // the version the bytes came from ("" when unknown)
  std::vector<ByteRange> done;       // written and synced, sorted

  // First byte not yet fetched.
  std::int64_t first_missing() const;
  std::int64_t done_bytes() const;
};

// The state file that belongs to `part`.
std::filesystem::path state_path(const std::filesystem::path& part);

// Decides whether `part` (already opened by the caller, `part_size` bytes long) can be continued
// for `url`. A state file that is unreadable, corrupted, foreign (another URL) or inconsistent
// with the part file is rejected: nullopt, with the reason in `notice`. Without a state file,
// ResumeMode::Continue trusts the part file's bytes from 0 (wget -c).
// `state_found` tells whether a state file was there at all (then the caller removes it when
// it is not used).
std::optional<ResumePoint> find_resume_point(const std::filesystem::path& part,
                                             std::int64_t part_size, const std::string& url,
                                             ResumeMode mode, std::string& notice,
                                             bool& state_found);

// Records `done` (ranges whose data the caller has already synced) for a later rerun.
Result<void> save_resume_point(const std::filesystem::path& part, const std::string& url,
                               std::int64_t size, const Validators& validators,
                               const std::vector<ByteRange>& done);

// Removes the state file (after success, or when the download cannot be resumed).
void forget_resume_point(const std::filesystem::path& part) noexcept;

}  // namespace spate::core
