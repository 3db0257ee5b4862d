#include "core/segment_map.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <utility>

namespace spate::core {
namespace {

// Merges a sorted-by-begin list of ranges, joining overlapping and touching ones.
std::vector<ByteRange> merge_sorted(const std::vector<ByteRange>& sorted) {
  std::vector<ByteRange> out;
  for (const ByteRange& r : sorted) {
    if (r.empty()) continue;
    if (!out.empty() && r.begin <= out.back().end) {
      out.back().end = std::max(out.back().end, r.end);
    } else {
      out.push_back(r);
    }
  }
  return out;
}

char worker_char(WorkerId id) {
  if (id < 10) return static_cast<char>('0' + id);
  if (id < 36) return static_cast<char>('a' + (id - 10));
  return '*';
}

std::string describe(ByteRange r) { return fmt::format("[{},{})", r.begin, r.end); }

}  // namespace

SegmentMap::SegmentMap(std::int64_t size) : size_(std::max<std::int64_t>(size, 0)) {
  if (size_ > 0) free_.emplace(0, size_);
}

void SegmentMap::plan(int count, std::int64_t min_split) {
  const std::vector<ByteRange> holes = free_ranges();
  if (holes.empty()) return;
  const std::int64_t min_size = std::max<std::int64_t>(min_split, 1);
  const std::size_t wanted = static_cast<std::size_t>(std::max(count, 1));

  // Every hole needs at least one chunk. Then hand out the remaining chunks one at a time to the
  // hole whose chunks are currently largest, as long as its chunks stay >= min_size.
  std::vector<std::int64_t> pieces(holes.size(), 1);
  for (std::size_t total = holes.size(); total < wanted; ++total) {
    std::size_t best = holes.size();
    std::int64_t best_chunk = 0;
    for (std::size_t i = 0; i < holes.size(); ++i) {
      const std::int64_t h = holes[i].size();
      if (h / (pieces[i] + 1) < min_size) continue;  // one more cut would go below min_size
      const std::int64_t chunk = (h + pieces[i] - 1) / pieces[i];
      if (chunk > best_chunk) {
        best = i;
        best_chunk = chunk;
      }
    }
    if (best == holes.size()) break;
    ++pieces[best];
  }

  // Cut each hole into near-equal chunks: the first (h % k) get one byte more.
  free_.clear();
  for (std::size_t i = 0; i < holes.size(); ++i) {
    const std::int64_t h = holes[i].size();
    const std::int64_t k = pieces[i];
    std::int64_t at = holes[i].begin;
    for (std::int64_t j = 0; j < k; ++j) {
      const std::int64_t len = h / k + (j < h % k ? 1 : 0);
      free_.emplace(at, at + len);
      at += len;
    }
  }
}

std::optional<ByteRange> SegmentMap::assign(WorkerId worker, std::int64_t min_split,
                                            std::int64_t min_steal) {
  if (!prepare_new_owner(worker)) return std::nullopt;

  if (!free_.empty()) {
    const auto lowest = free_.begin();
    const ByteRange range{lowest->first, lowest->second};
    free_.erase(lowest);
    register_worker(worker, range);
    return range;
  }

  // Steal: the largest remainder that still leaves both halves >= min_split. Comparing
  // remaining / 2 >= min_size is remaining >= 2 * min_size without overflow.
  const std::int64_t min_size = std::max<std::int64_t>(min_split, 1);
  Worker* victim = nullptr;
  for (Worker& w : workers_) {
    const std::int64_t rem = w.end - w.pos;
    if (rem / 2 < min_size || rem < min_steal) continue;
    if (victim == nullptr || rem > victim->end - victim->pos ||
        (rem == victim->end - victim->pos && w.pos < victim->pos)) {
      victim = &w;
    }
  }
  if (victim == nullptr) return std::nullopt;
  const std::int64_t mid = victim->pos + (victim->end - victim->pos + 1) / 2;
  const ByteRange range{mid, victim->end};
  victim->end = mid;  // before register_worker(), which may move the vector
  register_worker(worker, range);
  return range;
}

std::optional<ByteRange> SegmentMap::take_over(WorkerId victim, WorkerId thief) {
  if (victim == thief) return std::nullopt;
  const Worker* v = find(victim);
  if (v == nullptr || v->pos >= v->end) return std::nullopt;
  if (!prepare_new_owner(thief)) return std::nullopt;
  Worker* w = find(victim);  // prepare_new_owner() may have erased from the vector
  if (w == nullptr) return std::nullopt;
  const ByteRange range{w->pos, w->end};
  w->end = w->pos;
  register_worker(thief, range);
  return range;
}

bool SegmentMap::extend(WorkerId worker) {
  Worker* w = find(worker);
  if (w == nullptr || w->pos < w->end) return false;
  const auto next = free_.find(w->end);
  if (next == free_.end()) return false;
  w->end = next->second;
  free_.erase(next);
  return true;
}

std::int64_t SegmentMap::free_run_end(std::int64_t from) const {
  std::int64_t end = from;
  for (auto it = free_.find(from); it != free_.end() && it->first == end; ++it) end = it->second;
  return end;
}

std::int64_t SegmentMap::advance(WorkerId worker, std::int64_t bytes) {
  Worker* w = find(worker);
  if (w == nullptr || bytes <= 0) return 0;
  const std::int64_t taken = std::min(bytes, w->end - w->pos);
  w->pos += taken;
  done_bytes_ += taken;
  return taken;
}

std::int64_t SegmentMap::position(WorkerId worker) const {
  const Worker* w = find(worker);
  return w == nullptr ? 0 : w->pos;
}

std::int64_t SegmentMap::end(WorkerId worker) const {
  const Worker* w = find(worker);
  return w == nullptr ? 0 : w->end;
}

bool SegmentMap::owns_remaining(WorkerId worker) const { return remaining(worker) > 0; }

std::int64_t SegmentMap::remaining(WorkerId worker) const {
  const Worker* w = find(worker);
  return w == nullptr ? 0 : w->end - w->pos;
}

void SegmentMap::release(WorkerId worker) {
  const auto it = std::lower_bound(workers_.begin(), workers_.end(), worker,
                                   [](const Worker& w, WorkerId id) { return w.id < id; });
  if (it == workers_.end() || it->id != worker) return;
  if (it->pos > it->begin) add_done({it->begin, it->pos});  // already counted in done_bytes_
  if (it->pos < it->end) free_.emplace(it->pos, it->end);
  workers_.erase(it);
}

std::vector<ByteRange> SegmentMap::done_ranges() const {
  std::vector<ByteRange> all = done_;
  for (const Worker& w : workers_) all.push_back({w.begin, w.pos});
  std::sort(all.begin(), all.end(),
            [](const ByteRange& a, const ByteRange& b) { return a.begin < b.begin; });
  return merge_sorted(all);
}

void SegmentMap::mark_done(ByteRange r) {
  r.begin = std::max<std::int64_t>(r.begin, 0);
  r.end = std::min(r.end, size_);
  if (r.empty()) return;

  // Free chunks overlapping r: the one starting before r.begin (if it reaches into r), then all
  // starting inside r.
  auto it = free_.upper_bound(r.begin);
  if (it != free_.begin() && std::prev(it)->second > r.begin) --it;
  std::vector<ByteRange> overlapping;
  for (; it != free_.end() && it->first < r.end; ++it)
    overlapping.push_back({it->first, it->second});

  for (const ByteRange& chunk : overlapping) {
    free_.erase(chunk.begin);
    if (chunk.begin < r.begin) free_.emplace(chunk.begin, r.begin);
    if (chunk.end > r.end) free_.emplace(r.end, chunk.end);
    const ByteRange done{std::max(chunk.begin, r.begin), std::min(chunk.end, r.end)};
    add_done(done);
    done_bytes_ += done.size();
  }
}

std::vector<ByteRange> SegmentMap::free_ranges() const {
  std::vector<ByteRange> chunks;
  chunks.reserve(free_.size());
  for (const auto& [b, e] : free_) chunks.push_back({b, e});
  return merge_sorted(chunks);
}

std::size_t SegmentMap::active_workers() const {
  return static_cast<std::size_t>(std::count_if(workers_.begin(), workers_.end(),
                                                [](const Worker& w) { return w.pos < w.end; }));
}

std::vector<WorkerId> SegmentMap::workers() const {
  std::vector<WorkerId> ids;
  ids.reserve(workers_.size());
  for (const Worker& w : workers_) ids.push_back(w.id);
  return ids;
}

std::string SegmentMap::render(std::int64_t unit) const {
  const std::int64_t u = std::max<std::int64_t>(unit, 1);
  std::string out(static_cast<std::size_t>((size_ + u - 1) / u), '!');
  // A unit shows the state of its first byte: paint the units whose first byte lies in r.
  const auto paint = [&](ByteRange r, char c) {
    const std::int64_t first = (r.begin + u - 1) / u;
    const std::int64_t last = (r.end + u - 1) / u;
    for (std::int64_t i = first; i < last; ++i) out[static_cast<std::size_t>(i)] = c;
  };
  for (const ByteRange& r : done_) paint(r, '#');
  for (const auto& [b, e] : free_) paint({b, e}, '.');
  for (const Worker& w : workers_) {
    paint({w.begin, w.pos}, '#');
    paint({w.pos, w.end}, worker_char(w.id));
  }
  return out;
}

std::string SegmentMap::check_invariants() const {
  struct Piece {
    ByteRange range;
    std::string what;
  };
  std::vector<Piece> pieces;
  std::int64_t counted_done = 0;

  for (std::size_t i = 0; i < done_.size(); ++i) {
    if (done_[i].empty()) return fmt::format("empty done range {}", describe(done_[i]));
    if (i > 0 && done_[i - 1].end >= done_[i].begin) {
      return fmt::format("done ranges not merged/sorted at {}", describe(done_[i]));
    }
    counted_done += done_[i].size();
    pieces.push_back({done_[i], "done"});
  }
  for (const auto& [b, e] : free_) {
    if (b >= e) return fmt::format("empty free chunk {}", describe({b, e}));
    pieces.push_back({{b, e}, "free"});
  }
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    const Worker& w = workers_[i];
    const std::string name = fmt::format("worker {}", w.id);
    if (i > 0 && workers_[i - 1].id >= w.id)
      return fmt::format("workers not sorted by id at {}", name);
    if (!(w.begin <= w.pos && w.pos <= w.end)) {
      return fmt::format("{} has begin/pos/end {}/{}/{}", name, w.begin, w.pos, w.end);
    }
    counted_done += w.pos - w.begin;
    if (w.pos > w.begin) pieces.push_back({{w.begin, w.pos}, fmt::format("{} written", name)});
    if (w.end > w.pos) pieces.push_back({{w.pos, w.end}, fmt::format("{} remainder", name)});
  }
  if (counted_done != done_bytes_) {
    return fmt::format("done_bytes {} but ranges hold {}", done_bytes_, counted_done);
  }

  std::sort(pieces.begin(), pieces.end(),
            [](const Piece& a, const Piece& b) { return a.range.begin < b.range.begin; });
  std::int64_t at = 0;
  for (const Piece& p : pieces) {
    if (p.range.begin < at)
      return fmt::format("{} {} overlaps byte {}", p.what, describe(p.range), p.range.begin);
    if (p.range.begin > at)
      return fmt::format("bytes {} are in no state", describe({at, p.range.begin}));
    at = p.range.end;
  }
  if (at != size_) return fmt::format("bytes {} are in no state", describe({at, size_}));
  return "";
}

SegmentMap::Worker* SegmentMap::find(WorkerId id) {
  return const_cast<Worker*>(std::as_const(*this).find(id));
}

const SegmentMap::Worker* SegmentMap::find(WorkerId id) const {
  const auto it = std::lower_bound(workers_.begin(), workers_.end(), id,
                                   [](const Worker& w, WorkerId key) { return w.id < key; });
  return it != workers_.end() && it->id == id ? &*it : nullptr;
}

bool SegmentMap::prepare_new_owner(WorkerId id) {
  const Worker* w = find(id);
  if (w == nullptr) return true;
  if (w->pos < w->end) return false;
  release(id);
  return true;
}

void SegmentMap::register_worker(WorkerId id, ByteRange range) {
  const auto it = std::lower_bound(workers_.begin(), workers_.end(), id,
                                   [](const Worker& w, WorkerId key) { return w.id < key; });
  workers_.insert(it, Worker{id, range.begin, range.begin, range.end});
}

void SegmentMap::add_done(ByteRange r) {
  if (r.empty()) return;
  // First range that ends at or after r.begin, then every range that starts at or before r.end:
  // these touch or overlap r and merge into it.
  auto first = std::lower_bound(done_.begin(), done_.end(), r.begin,
                                [](const ByteRange& d, std::int64_t b) { return d.end < b; });
  auto last = first;
  for (; last != done_.end() && last->begin <= r.end; ++last) {
    r.begin = std::min(r.begin, last->begin);
    r.end = std::max(r.end, last->end);
  }
  done_.insert(done_.erase(first, last), r);
}

}  // namespace spate::core
