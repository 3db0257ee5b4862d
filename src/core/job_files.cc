// What a Job does with its files: choosing the name, resume state, verification, and the final
// rename (or what is kept or removed when the download fails). Split from job.cc by concern; the
// same single-thread rules apply (network thread only).
#include "core/job.h"
#include "core/retry_policy.h"
#include "net/http_headers.h"
#include "util/file_name.h"

#include <fmt/format.h>

#include <algorithm>
#include <system_error>

namespace spate::core {

Result<void> Job::open_destination() {
  name_ = task_.out.empty() ? util::file_name_from_url(task_.url) : task_.out;
  const std::string& name = name_;
  std::error_code ec;
  final_path_ = task_.dir / name;
  // Only --skip-existing and --conditional-get must know now whether NAME exists. Otherwise the
  // final rename finds out, since it never replaces a file it was not asked to (finalize() then
  // takes the next free number): one stat fewer per file on long lists.
  const bool look_now =
      task_.options.existing == ExistingFile::Skip || task_.options.http.conditional_get;
  const bool exists = look_now && std::filesystem::exists(final_path_, ec);
  if (exists && task_.options.existing == ExistingFile::Skip) {
    TaskFinished finished{id_, task_.url, final_path_};
    finished.bytes = static_cast<std::int64_t>(std::filesystem::file_size(final_path_, ec));
    finished.skipped = true;
    context_.emit(std::move(finished));
    state_ = State::Done;
    return {};
  }
  // --conditional-get: ask for the file only if it changed since the copy we have, which the
  // download then replaces.
  if (exists && task_.options.http.conditional_get) {
    const auto mtime = std::filesystem::last_write_time(final_path_, ec);
    if (!ec) if_modified_since_ = std::chrono::file_clock::to_sys(mtime);
  }
  // The first candidate whose final name is free (or may be replaced) and whose NAME.part no
  // other download holds: two URLs with the same name never share a temp file.
  const bool may_replace =
      task_.options.existing == ExistingFile::Overwrite || if_modified_since_.has_value();
  bool created_directory = false;
  auto directory = context_.directory_of(final_path_, /*reopen=*/false);
  // The first candidate is final_path_ itself, used in place: copying a path copies its list of
  // components, and on lists of small files the first candidate is nearly always the one.
  std::filesystem::path numbered;
  for (int n = 0; n < 10000; ++n) {
    if (n > 0) numbered = task_.dir / util::numbered_name(name, n);
    const std::filesystem::path& candidate = n == 0 ? final_path_ : numbered;
    if (n == 0 ? exists && !may_replace : std::filesystem::exists(candidate, ec)) continue;
    const std::string part_path = candidate.string() + ".part";
    auto part = storage::PartFile::open(part_path, /*truncate=*/false, directory);
    if (!part && part.error().sys_errno == ENOENT && !created_directory) {
      // The directory is created when first needed: one syscall fewer per file of a list. (Or
      // again: the open directory was removed meanwhile.)
      created_directory = true;
      std::filesystem::create_directories(task_.dir, ec);
      if (ec) {
        return make_error(ErrorKind::FileOpen, fmt::format("cannot create directory {}: {}",
                                                           task_.dir.string(), ec.message()));
      }
      directory = context_.directory_of(final_path_, /*reopen=*/true);
      part = storage::PartFile::open(part_path, /*truncate=*/false, directory);
    }
    if (!part && part.error().sys_errno == EWOULDBLOCK) continue;  // in use by another download
    if (!part) return tl::unexpected(part.error());
    if (n > 0) final_path_ = std::move(numbered);  // `candidate` is not used after this
    part_ = std::move(*part);
    if (auto ready = prepare_resume(); !ready) return ready;
    if (task_.options.layout == Layout::Parts) pieces_.emplace(part_.path());
    return {};
  }
  return make_error(ErrorKind::FileOpen,
                    fmt::format("no free file name for {} in {}", name, task_.dir.string()));
}

void Job::finalize() {
  const std::int64_t bytes = downloaded();
  if (pieces_ && segmented_) {
    if (auto merged = pieces_->merge_into(part_, bytes); !merged) {
      fail(merged.error());
      return;
    }
  }
  // The part file already has exactly this length, except one continued from a bare NAME.part.
  if (auto synced = resume_ ? part_.truncate(bytes) : Result<void>{}; !synced) {
    fail(synced.error());
    return;
  }
  std::string digest;
  if (task_.options.checksum) {
    auto verified = verify_checksum(*task_.options.checksum);
    if (!verified) {
      fail(verified.error());
      return;
    }
    digest = std::move(*verified);
  }
  if (task_.options.sync_on_finish) {
    if (auto synced = part_.sync(); !synced) {
      fail(synced.error());
      return;
    }
  }
  // --conditional-get replaces the outdated copy it was asked to refresh.
  const bool overwrite =
      task_.options.existing == ExistingFile::Overwrite || if_modified_since_.has_value();
  auto committed = part_.commit(final_path_, overwrite);
  // Another process took the name meanwhile: never replace it, pick the next free one.
  for (int n = 1; !committed && committed.error().sys_errno == EEXIST && n < 10000; ++n) {
    final_path_ = task_.dir / util::numbered_name(name_, n);
    committed = part_.commit(final_path_, false);
  }
  if (!committed) {
    fail(committed.error());
    return;
  }
  forget_state();
  if (task_.options.http.remote_time) apply_remote_time();
  TaskFinished finished{id_, task_.url, final_path_, bytes};
  finished.digest = std::move(digest);
  finished.seconds = std::chrono::duration<double>(context_.now() - started_at_).count();
  finished.attempts = failures_ + 1;
  state_ = State::Done;
  context_.emit(std::move(finished));
}

void Job::fail(Error error) {
  if (resumable(error)) {
    // Keep what arrived for a rerun: the data is synced before the state that claims it.
    if (auto saved = save_state(); saved) {
      error.message += fmt::format(" ({} of {} bytes kept in {}; run again to resume)",
                                   saved_done_bytes_, *size_, part_.path().string());
      part_.keep();
    }
  }
  if (pieces_) pieces_->discard();
  if (part_.is_open()) forget_state();  // not when the part was just kept for a rerun
  part_.discard();
  state_ = State::Failed;
  context_.emit(TaskFailed{id_, task_.url, std::move(error), std::max(1, failures_)});
}

bool Job::resumable(const Error& error) const {
  if (!segmented_ || !map_ || pieces_ || map_->done_bytes() == 0) return false;
  switch (error.kind) {
    case ErrorKind::Cancelled:
    case ErrorKind::DiskFull:
    case ErrorKind::FileWrite:
      return true;
    default:
      return classify(error) == Disposition::Retry;  // retries ran out; a rerun may succeed
  }
}

Result<void> Job::prepare_resume() {
  // A NAME.part created just now holds nothing to resume, and no state file can describe it
  // (a state file left without its NAME.part is overwritten by this download's first save).
  // Skipping the look-up saves a syscall per file on lists of small files.
  if (part_.created()) return {};
  auto size = part_.size();
  if (!size) return tl::unexpected(size.error());
  std::string notice;
  resume_ = find_resume_point(part_.path(), *size, task_.url, task_.options.resume, notice,
                              state_on_disk_);
  if (!notice.empty()) context_.emit(TaskNotice{id_, std::move(notice)});
  if (resume_ && resume_->size && resume_->done_bytes() >= *resume_->size) resume_->done.clear();
  if (!resume_ || resume_->done.empty()) {
    resume_.reset();
    forget_state();
    return *size == 0 ? Result<void>{} : part_.truncate(0);
  }
  return {};
}

bool Job::resume_matches(const net::ResponseHead& head, std::optional<std::int64_t> total) const {
  if (resume_->size && total != resume_->size) return false;
  return resume_->validators.matches(head);
}

void Job::forget_state() {
  if (!state_on_disk_) return;
  forget_resume_point(final_path_.string() + ".part");
  state_on_disk_ = false;
}

Result<void> Job::save_state() {
  if (!map_ || !size_) return make_error(ErrorKind::Internal, "nothing to save");
  // Only ranges whose bytes are on disk: take the list, sync the data, then write the state.
  const auto done = map_->done_ranges();
  if (auto synced = part_.sync(); !synced) return synced;
  if (auto saved = save_resume_point(part_.path(), task_.url, *size_, validators_, done); !saved) {
    return saved;
  }
  state_on_disk_ = true;
  saved_done_bytes_ = 0;
  for (const auto& range : done) saved_done_bytes_ += range.size();
  last_state_save_ = context_.now();
  return {};
}

void Job::save_state_if_due() {
  if (pieces_ || context_.now() - last_state_save_ < task_.options.state_interval) return;
  if (map_->done_bytes() == saved_done_bytes_) return;
  if (auto saved = save_state(); !saved) fatal_ = saved.error();
}

void Job::name_from_content_disposition(const net::ResponseHead& head) {
  if (!task_.out.empty() || !task_.options.content_disposition || resume_) return;
  if (head.content_disposition.empty()) return;
  const auto raw = net::parse_content_disposition_filename(head.content_disposition);
  if (!raw) return;
  // Whatever the server says, it names one file inside the target directory.
  const std::string name = util::sanitize_file_name(*raw, name_);
  if (name == name_) return;
  for (int n = 0; n < 10000; ++n) {
    const auto candidate = n == 0 ? task_.dir / name : task_.dir / util::numbered_name(name, n);
    if (std::filesystem::exists(candidate)) continue;
    if (part_.rename_to(candidate.string() + ".part")) {
      name_ = name;
      final_path_ = candidate;
      return;
    }
  }  // no free name: keep the one from the URL
}

Result<std::string> Job::verify_checksum(const Checksum& expected) {
  std::string actual;
  if (hasher_ && !segmented_) {
    actual = hasher_->finish_hex();
    hasher_.reset();
  } else {
    auto hashed = hash_file(part_.path(), expected.type);  // segments arrived out of order
    if (!hashed) return tl::unexpected(hashed.error());
    actual = std::move(*hashed);
  }
  if (actual != expected.hex) {
    return make_error(
        ErrorKind::ChecksumMismatch,
        fmt::format("checksum mismatch: expected {}={}, got {}={}", to_string(expected.type),
                    expected.hex, to_string(expected.type), actual));
  }
  return fmt::format("{}={}", to_string(expected.type), actual);
}

void Job::keep_existing() {
  part_.discard();
  forget_state();
  std::error_code ec;
  TaskFinished finished{id_, task_.url, final_path_};
  finished.bytes = static_cast<std::int64_t>(std::filesystem::file_size(final_path_, ec));
  finished.skipped = true;
  state_ = State::Done;
  context_.emit(std::move(finished));
}

void Job::apply_remote_time() {
  const auto remote = net::parse_http_date(validators_.last_modified);
  if (!remote) return;
  std::error_code ec;  // a file time that cannot be set is not worth failing the download
  std::filesystem::last_write_time(final_path_, std::chrono::file_clock::from_sys(*remote), ec);
}

}  // namespace spate::core
