#!/usr/bin/env bash
# Runs every benchmark scenario, one script after another, and collects the tables:
#   bench/results/<date>-<scenario>.md   one file per scenario (S1 ... S6, RSS)
#   bench/results/latest.md              all of them, under the command that made them
# A scenario that fails is reported in latest.md and the others still run.
#
# usage: bench/run_all.sh [SCENARIO ...]     (default: S1 S2 S3 S4 S5 S6 RSS)
# Environment: RUNS (3) and everything the scenario scripts read (see bench/README.md). S4 needs
# root (network namespaces); the scripts use only 127.0.0.1 and the namespaces they create.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RESULTS_DIR=${RESULTS_DIR:-$BENCH_DIR/results}
export RUNS=${RUNS:-3}
export BENCH_DATE=${BENCH_DATE:-$(date +%Y%m%d)}
export RESULTS_DIR

declare -A SCRIPT=([S1]=s1_uncapped.sh [S2]=s2_capped.sh [S3]=s3_small_files.sh
  [S4]=s4_long_path.sh [S5]=s5_no_ranges.sh [S6]=s6_tls.sh [RSS]=rss_list.sh)
scenarios=("$@")
((${#scenarios[@]})) || scenarios=(S1 S2 S3 S4 S5 S6 RSS)
for s in "${scenarios[@]}"; do
  [[ -n ${SCRIPT[$s]:-} ]] || { echo "run_all: unknown scenario $s (S1..S6, RSS)" >&2; exit 2; }
done

mkdir -p "$RESULTS_DIR"
# The exact command, with the environment that changes what is measured.
env_used=$(env | grep -E '^(RUNS|S[1-6]_[A-Z_]+|S3_COUNT|S3_FILE_SIZE|CAP|DELAY_MS|LINK_RATE|TCP_CC|RSS_[A-Z_]+|SPATE_BIN|RUN_TIMEOUT|QUIET_[A-Z]+|HOLD_FREE_PAGES[A-Z_]*)=' |
  sort | tr '\n' ' ' || true)
command_line="${env_used}bench/run_all.sh $*"
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
# One spate binary for every scenario: a copy taken now, so a rebuild during the hour the suite
# takes cannot change what later scenarios measure. Its commit is HEAD now (and whether src/
# differed from it).
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
SPATE_SRC=${SPATE_BIN:-$REPO_DIR/build/spate}
snapshot=$(mktemp -d /dev/shm/spate-bench-bin.XXXXXX)
trap 'rm -rf "$snapshot"' EXIT
if [[ -x $SPATE_SRC ]]; then
  cp "$SPATE_SRC" "$snapshot/spate"
  export SPATE_BIN=$snapshot/spate
  dirty=""
  [[ -n "$(git -C "$REPO_DIR" status --porcelain -- src include 2>/dev/null)" ]] && dirty=" + uncommitted changes"
  export SPATE_BUILD_INFO="$SPATE_SRC built $(date -u -r "$SPATE_SRC" +%Y-%m-%dT%H:%M:%SZ), HEAD at run_all start $(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)$dirty (the build may be older), sha256 $(sha256sum "$SPATE_SRC" | cut -c1-12)"
fi
status=()
for s in "${scenarios[@]}"; do
  echo "run_all: $s (${SCRIPT[$s]})" >&2
  file=$RESULTS_DIR/$BENCH_DATE-$s.md
  rm -f "$file"  # never report a table from an earlier run as this one's
  rc=0
  RESULTS_FILE=$file "$BENCH_DIR/${SCRIPT[$s]}" >/dev/null || rc=$?
  if ((rc == 0)); then status+=("$s: ok"); else status+=("$s: FAILED (exit $rc)"); fi
  ((rc == 130 || rc == 143)) && break  # interrupted: stop here
done

# latest.md: every scenario's table of BENCH_DATE, in order; those this command did not run
# come from an earlier run_all.sh the same day (each table's header has its own date).
latest=$RESULTS_DIR/latest.md
{
  echo "# spate benchmarks: latest results"
  echo
  echo "Made by \`${command_line% }\` (as root), started $started, finished $(date -u +%Y-%m-%dT%H:%M:%SZ)."
  echo "Scenarios run by it: ${status[*]}."
  echo "spate binary: ${SPATE_BUILD_INFO:-not built}."
  echo
  for s in S1 S2 S3 S4 S5 S6 RSS; do
    file=$RESULTS_DIR/$BENCH_DATE-$s.md
    [[ -f $file ]] || continue
    if [[ " ${scenarios[*]} " != *" $s "* ]]; then
      echo "_${s}: from an earlier \`run_all.sh\` on $BENCH_DATE; its header gives its date and binary._"
      echo
    fi
    # Each scenario file starts with a level-1 title; demote its headings one level here.
    sed 's/^#/##/' "$file"
    echo
  done
} >"$latest.tmp"
mv "$latest.tmp" "$latest"
echo "run_all: ${status[*]}; tables in $latest" >&2
