#include "core/resume.h"

#include "storage/state_file.h"

#include <fmt/format.h>

#include <cerrno>
#include <system_error>

namespace spate::core {

std::int64_t ResumePoint::first_missing() const {
  return !done.empty() && done.front().begin == 0 ? done.front().end : 0;
}

std::int64_t ResumePoint::done_bytes() const {
  std::int64_t total = 0;
  for (const auto& range : done) total += range.size();
  return total;
}

std::filesystem::path state_path(const std::filesystem::path& part) {
  return part.string() + ".spate";
}

std::optional<ResumePoint> find_resume_point(const std::filesystem::path& part,
                                             std::int64_t part_size, const std::string& url,
                                             ResumeMode mode, std::string& notice,
                                             bool& state_found) {
  auto state = storage::read_state_file(state_path(part));
  state_found = state || state.error().sys_errno != ENOENT;
  if (mode == ResumeMode::Never) return std::nullopt;
  if (!state) {
    if (state.error().sys_errno != ENOENT) {
      notice = fmt::format("{}; starting over", state.error().message);
      return std::nullopt;
    }
    if (mode != ResumeMode::Continue || part_size <= 0) return std::nullopt;
    return ResumePoint{std::nullopt, {}, {ByteRange{0, part_size}}};  // wget -c: trust the bytes
  }
  const auto reject = [&](const std::string& why) {
    notice = fmt::format("state file {} {}; starting over", state_path(part).string(), why);
    return std::nullopt;
  };
  if (state->url != url) return reject("belongs to another URL");
  if (state->layout != "single") return reject(fmt::format("has layout {}", state->layout));
  if (state->size < 0) return reject("has no file size");
  if (!state->done.empty() && state->done.back().end > part_size) {
    return reject(fmt::format("claims bytes past the end of the {}-byte part file", part_size));
  }
  return ResumePoint{state->size, {state->etag, state->last_modified}, std::move(state->done)};
}

Result<void> save_resume_point(const std::filesystem::path& part, const std::string& url,
                               std::int64_t size, const Validators& validators,
                               const std::vector<ByteRange>& done) {
  storage::ResumeState state;
  state.url = url;
  state.size = size;
  state.etag = validators.etag;
  state.last_modified = validators.last_modified;
  state.done = done;
  return storage::write_state_file(state_path(part), state);
}

void forget_resume_point(const std::filesystem::path& part) noexcept {
  std::error_code ignored;
  std::filesystem::remove(state_path(part), ignored);
}

}  // namespace spate::core
