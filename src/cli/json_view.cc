#include "json_view.h"

#include <nlohmann/json.hpp>

#include <type_traits>

namespace spate::cli {
namespace {

// Ordered, so every line starts with "v", "event" and "id" for people reading the stream.
using Json = nlohmann::ordered_json;

Json header(const char* event) {
  Json object;
  object["v"] = JsonView::kSchemaVersion;
  object["event"] = event;
  return object;
}

Json optional_size(const std::optional<std::int64_t>& size) {
  return size ? Json(*size) : Json(nullptr);
}

Json error_object(const Error& error) {
  Json object;
  object["kind"] = to_string(error.kind);
  object["message"] = error.message;
  if (error.http_status != 0) object["http_status"] = error.http_status;
  return object;
}

// The hook for the digest of a finished download: TaskFinished has no such field yet. When one
// appears (std::string or std::optional<std::string>), it is written without touching this view.
template <class Finished>
void add_digest(Json& object, const Finished& finished) {
  if constexpr (requires { finished.digest.has_value(); }) {
    if (finished.digest.has_value()) object["digest"] = *finished.digest;
  } else if constexpr (requires { finished.digest.empty(); }) {
    if (!finished.digest.empty()) object["digest"] = finished.digest;
  }
}

Json to_json(const TaskQueued& e) {
  Json object = header("queued");
  object["id"] = e.id;
  object["url"] = e.url;
  return object;
}

Json to_json(const TaskStarted& e) {
  Json object = header("started");
  object["id"] = e.id;
  object["url"] = e.url;
  object["path"] = e.path.string();
  object["size"] = optional_size(e.size);
  object["ranges_supported"] = e.ranges_supported;
  object["connections"] = e.connections;
  return object;
}

Json to_json(const TaskProgress& e) {
  Json object = header("progress");
  object["id"] = e.id;
  object["downloaded"] = e.downloaded;
  object["size"] = optional_size(e.size);
  object["bytes_per_second"] = e.bytes_per_second;
  object["connections"] = e.connections;
  return object;
}

Json to_json(const TaskRetrying& e) {
  Json object = header("retry");
  object["id"] = e.id;
  object["reason"] = error_object(e.reason);
  object["attempt"] = e.attempt;
  object["wait_ms"] = e.wait.count();
  return object;
}

Json to_json(const TaskFinished& e) {
  Json object = header("finished");
  object["id"] = e.id;
  object["url"] = e.url;
  object["path"] = e.path.string();
  object["bytes"] = e.bytes;
  object["seconds"] = e.seconds;
  object["attempts"] = e.attempts;
  object["skipped"] = e.skipped;
  add_digest(object, e);
  return object;
}

Json to_json(const TaskFailed& e) {
  Json object = header("failed");
  object["id"] = e.id;
  object["url"] = e.url;
  object["error"] = error_object(e.error);
  object["attempts"] = e.attempts;
  return object;
}

Json to_json(const TaskNotice& e) {
  Json object = header("notice");
  object["id"] = e.id;
  object["message"] = e.message;
  return object;
}

Json to_json(const EventsDropped& e) {
  Json object = header("dropped");
  object["count"] = e.count;
  return object;
}

// Paths and URLs are bytes, not necessarily UTF-8: invalid sequences become U+FFFD instead of
// making dump() throw.
std::string dump(const Json& object) {
  return object.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace

void JsonView::on_event(const Event& event, Clock::time_point now) {
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, TaskProgress>) {
          if (!progress_due(e.id, now)) return;
        } else if constexpr (std::is_same_v<T, TaskFinished> || std::is_same_v<T, TaskFailed>) {
          last_progress_.erase(e.id);
        }
        write_line(dump(to_json(e)));
      },
      event);
}

void JsonView::summary(const RunTotals& totals, double seconds) {
  Json object = header("summary");
  object["total"] = totals.total();
  object["succeeded"] = totals.succeeded;
  object["skipped"] = totals.skipped;
  object["failed"] = totals.failed;
  object["bytes"] = totals.bytes;
  object["seconds"] = seconds;
  write_line(dump(object));
}

bool JsonView::progress_due(TaskId id, Clock::time_point now) {
  const auto [it, first] = last_progress_.try_emplace(id, now);
  if (first) return true;
  if (now - it->second < progress_interval_) return false;
  it->second = now;
  return true;
}

void JsonView::write_line(const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fputc('\n', out_);
  std::fflush(out_);
}

}  // namespace spate::cli
