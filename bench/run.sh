#!/usr/bin/env bash
# Tracer benchmarks, side by side in one run: a syscall storm and the worker
# serving a batch of jobs, each untraced, under cinch trace, strace -f and
# bpftrace; event loss on a 100,000-distinct-path storm; tracer RSS and CPU;
# the worker's profile size. Writes bench/RESULTS.md.
#
#   bench/run.sh [--runs N] [--storm CALLS] [--jobs N] [--paths N]     as root
#   bench/run.sh --services [--runs N] [--seconds S]
#       nginx (the proving-ground image) under wrk: untraced, the same hooks
#       with empty programs (bench/empty.bpf.c), cinch; and the cost to an
#       untraced neighbour. Starts its own dockerd; writes its section of RESULTS.md.
#
# Takes about 15 minutes with the defaults (strace on the storm is most of it).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[ "$(id -u)" -eq 0 ] || { echo "bench/run.sh: needs root (eBPF, bpftrace)" >&2; exit 2; }
if [ "${1:-}" = "--services" ]; then
    shift
    scripts/install-deps.sh wrk
    CINCH_BENCH_BIN=$(fixtures/build-static.sh)
    export CINCH_BENCH_BIN
    mkdir -p target/bench
    clang-19 -target bpf -O2 -g -Wall -Werror -c bench/empty.bpf.c -o target/bench/empty.bpf.o
    export CINCH_EMPTY_BPF=$root/target/bench/empty.bpf.o
    if [ -z "${DOCKER_HOST:-}" ]; then
        export CINCH_DOCKERD_DIR=${CINCH_DOCKERD_DIR:-/tmp/cinch-dockerd-bench}
        trap 'scripts/dockerd.sh stop' EXIT
        eval "$(scripts/dockerd.sh start)"
    fi
    cargo bench --quiet -p cinch --bench services -- --out "$root/bench/RESULTS.md" "$@"
    exit
fi
scripts/install-deps.sh strace bpftrace
# bpftrace finds tracepoints through tracefs.
if [ ! -e /sys/kernel/tracing/events ]; then
    mount -t tracefs nodev /sys/kernel/tracing
    trap 'umount /sys/kernel/tracing' EXIT
fi
CINCH_BENCH_BIN=$(fixtures/build-static.sh)
export CINCH_BENCH_BIN
cargo bench --quiet -p cinch --bench tracers -- --out "$root/bench/RESULTS.md" "$@"
