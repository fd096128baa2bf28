#!/usr/bin/env bash
# Rebuilds the committed BPF object from C. Needs clang-19 and libbpf-dev.
#   ebpf/build-bpf.sh            rebuild ebpf/bpf/cinch.bpf.o in place
#   ebpf/build-bpf.sh --check    rebuild into a temp file, fail if it differs
# The object is committed so that `cargo build` works without clang; CI runs
# --check so the object can never drift from its source.
set -euo pipefail
cd "$(dirname "$0")/bpf"
CLANG=${CLANG:-clang-19}
command -v "$CLANG" >/dev/null || { echo "build-bpf: $CLANG not found (apt-get install clang-19 libbpf-dev)" >&2; exit 2; }

out=cinch.bpf.o
[ "${1:-}" = "--check" ] && out=$(mktemp --suffix=.bpf.o)

# Relative paths and -fdebug-compilation-dir keep the object independent of
# where the checkout lives; -g is needed for BTF (CO-RE).
"$CLANG" -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 -O2 -g -Wall -Werror \
    -fdebug-compilation-dir=. -fdebug-prefix-map="$PWD"=. \
    -I. -c cinch.bpf.c -o "$out"


if [ "${1:-}" = "--check" ]; then
    if cmp -s "$out" cinch.bpf.o; then
        echo "build-bpf: ebpf/bpf/cinch.bpf.o matches its source"
        rm -f "$out"
    else
        echo "build-bpf: ebpf/bpf/cinch.bpf.o is stale: run ebpf/build-bpf.sh and commit it" >&2
        rm -f "$out"
        exit 1
    fi
fi
