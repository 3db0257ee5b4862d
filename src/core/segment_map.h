// SegmentMap: which bytes of one file of known size are done (written), owned by a worker
// (an HTTP connection writing contiguously from its position), or free (neither).
//
// Pure data structure: no I/O, no clock, no threads. It is NOT thread-safe; it is owned and used
// by a single thread (the network thread of the download it belongs to).
//
// Every byte of [0, size) is in exactly one state:
//   done    - written; never handed out again (includes ranges restored with mark_done()),
//   owned   - in the remainder [pos, end) of a registered worker,
//   free    - in a free chunk, waiting for assign().
// A worker owns [begin, end) and writes from pos; [begin, pos) is done. Other workers may shrink
// its end (steal, take_over); it then stops at pos == end and the caller release()s it.
#pragma once

#include "core/byte_range.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace spate::core {

using WorkerId = std::uint32_t;

class SegmentMap {
 public:
  // All of [0, size) starts free, as one chunk (plan() cuts it). size < 0 is treated as 0.
  explicit SegmentMap(std::int64_t size);

  std::int64_t size() const { return size_; }

  // Cuts the free space into up to `count` chunks of near-equal size (within a free hole sizes
  // differ by at most one byte), none smaller than min_split: fewer chunks when the file is small,
  // at least one per free hole (so resume with many holes may give more than `count` chunks).
  // Called at the start, after mark_done() for resume. Owned and done bytes are not touched.
  void plan(int count, std::int64_t min_split);

  // Gives `worker` its next range, or nullopt when nothing is worth taking:
  //  (1) the lowest-offset free chunk, whole; else
  //  (2) a steal: the upper half of the largest remainder [pos, end) of another worker (ties: the
  //      lowest pos), split at pos + ceil(remaining / 2), only when remaining >= 2 * min_split and
  //      remaining >= min_steal; the victim's end shrinks to the split point.
  // min_steal lets the caller refuse steals that cost more than they save (the victim's response
  // must be cut at the split point, which throws away what it has in flight).
  // `worker` must own nothing: if it is registered with pos == end it is released first; if it
  // still owns bytes, nothing changes and nullopt is returned.
  std::optional<ByteRange> assign(WorkerId worker, std::int64_t min_split,
                                  std::int64_t min_steal = 0);

  // Takes over the whole remainder [pos, end) of `victim` (stalled or crawling) for `thief`, which
  // must own nothing (same rule as assign()). The victim's end becomes its pos; it stays registered
  // until released. nullopt (and no change) when the victim has nothing left or thief == victim.
  std::optional<ByteRange> take_over(WorkerId victim, WorkerId thief);

  // `worker` has written its whole range (pos == end) and the free chunk that begins at its end
  // becomes the rest of its range: its end moves to that chunk's end. False, and no change, when
  // the worker is unknown, still owns bytes, or no free chunk begins at its end. This lets one
  // response run on through several chunks (see free_run_end).
  bool extend(WorkerId worker);

  // Where the free space that begins at `from` ends: `from` when no free chunk begins there, else
  // the end of the run of free chunks that follow one another from it.
  std::int64_t free_run_end(std::int64_t from) const;

  // `worker` wrote `bytes` more at its pos. Returns how many of them lie within its current range
  // (the caller keeps only those; the rest is past a shrunk end and must be dropped). Those bytes
  // become done. 0 for unknown workers or bytes <= 0. O(log workers).
  std::int64_t advance(WorkerId worker, std::int64_t bytes);

  // Per-worker queries; all return 0 (false) for unknown workers.
  std::int64_t position(WorkerId worker) const;   // next byte the worker will write
  std::int64_t end(WorkerId worker) const;        // its current end (may shrink while it runs)
  bool owns_remaining(WorkerId worker) const;     // pos < end
  std::int64_t remaining(WorkerId worker) const;  // end - pos

  // The worker stops (finished, failed or cancelled): its written part stays done, its unwritten
  // part [pos, end) becomes a free chunk (not merged with neighbours). Unknown workers: no-op.
  void release(WorkerId worker);

  bool complete() const { return done_bytes_ == size_; }  // every byte done
  std::int64_t done_bytes() const { return done_bytes_; }
  std::vector<ByteRange> done_ranges() const;  // merged, sorted; includes workers' written parts

  // Restores a done range from a state file (before plan()). Clipped to [0, size); only bytes that
  // are currently free become done (done or owned bytes are left as they are).
  void mark_done(ByteRange r);

  std::vector<ByteRange> free_ranges() const;               // merged, sorted
  std::size_t free_chunks() const { return free_.size(); }  // chunks as assign() hands them out
  std::size_t active_workers() const;                       // workers with pos < end
  std::vector<WorkerId> workers() const;                    // registered workers, sorted by id

  // Debug/test rendering, one char per `unit` bytes showing the state of the unit's first byte:
  // '#' done, '.' free, owned-not-done the worker id as '0'..'9','a'..'z' ('*' for ids >= 36).
  // A '!' would mean a byte in no state (an invariant violation). e.g. "##00..11##".
  std::string render(std::int64_t unit) const;

  // Debug check of every invariant (states tile [0, size) exactly, counters agree, worker ranges
  // well-formed, free chunks non-empty, done set merged). Returns "" when all hold, else a
  // description of the first violation. O(n log n); meant for tests.
  std::string check_invariants() const;

 private:
  struct Worker {
    WorkerId id = 0;
    std::int64_t begin = 0;  // [begin, pos) is written (done)
    std::int64_t pos = 0;
    std::int64_t end = 0;  // [pos, end) is owned
  };

  Worker* find(WorkerId id);
  const Worker* find(WorkerId id) const;
  // Makes `id` ready to receive a range: false if it still owns bytes; releases it if registered.
  bool prepare_new_owner(WorkerId id);
  void register_worker(WorkerId id, ByteRange range);
  void add_done(ByteRange r);  // merges into done_ (r must be disjoint from it)

  std::int64_t size_ = 0;
  std::int64_t done_bytes_ = 0;                // done_ plus every worker's [begin, pos)
  std::vector<ByteRange> done_;                // merged, sorted, excludes registered workers' parts
  std::map<std::int64_t, std::int64_t> free_;  // free chunks: begin -> end, disjoint, non-empty
  std::vector<Worker> workers_;  // sorted by id (small; binary search on the hot path)
};

}  // namespace spate::core
