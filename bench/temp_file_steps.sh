#!/usr/bin/env bash
# CPU cost per file of the temp-file steps (bench/temp_file_steps.c), on tmpfs so that no disk is
# measured. Not part of run_all.sh: it has no peers and no network.
#
# usage: bench/temp_file_steps.sh [COUNT (2000)] [ROUNDS (20)]
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d "${BENCH_TMPFS:-/dev/shm}/spate-steps.XXXXXX")
trap 'rm -rf "$work"' EXIT
cc -O2 -Wall -Wextra -o "$work/temp_file_steps" "$BENCH_DIR/temp_file_steps.c"
mkdir "$work/out"
echo "# $(uname -sr), $(nproc) cores, $(df -T "$work" | awk 'NR == 2 {print $2}') at $work"
"$work/temp_file_steps" "$work/out" "${1:-2000}" "${2:-20}"
