#!/usr/bin/env bash
# Tracer benchmarks, side by side in one run: a syscall storm and the worker
# serving a batch of jobs, each untraced, under cinch trace, strace -f and
# bpftrace; event loss on a 100,000-distinct-path storm; tracer RSS and CPU;
# the worker's profile size. Writes bench/RESULTS.md.
#
#   bench/run.sh [--runs N] [--storm CALLS] [--jobs N] [--paths N]     as root
#
# Takes about 15 minutes with the defaults (strace on the storm is most of it).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[ "$(id -u)" -eq 0 ] || { echo "bench/run.sh: needs root (eBPF, bpftrace)" >&2; exit 2; }
scripts/install-deps.sh strace bpftrace
# bpftrace finds tracepoints through tracefs.
if [ ! -e /sys/kernel/tracing/events ]; then
    mount -t tracefs nodev /sys/kernel/tracing
    trap 'umount /sys/kernel/tracing' EXIT
fi
CINCH_BENCH_BIN=$(fixtures/build-static.sh)
export CINCH_BENCH_BIN
cargo bench --quiet -p cinch --bench tracers -- --out "$root/bench/RESULTS.md" "$@"
