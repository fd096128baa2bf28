#!/usr/bin/env bash
# Rebuilds the committed BPF objects from C. Needs clang-19 and libbpf-dev.
#   ebpf/build-bpf.sh            rebuild ebpf/bpf/cinch-*.bpf.o in place
#   ebpf/build-bpf.sh --check    rebuild into a temp dir, fail if any differs
# One source, four objects: per architecture (x86_64, aarch64: pt_regs and
# the syscall-argument registers differ), the full object and the
# compatibility one for kernels without task storage, bpf_loop and
# bpf_find_vma (-DCINCH_COMPAT, see bpf/compat.bpf.h). The loader picks the
# one for the host and its kernel. The objects are committed so that `cargo
# build` works without clang; CI runs --check so they never drift from the source.
set -euo pipefail
cd "$(dirname "$0")/bpf"
CLANG=${CLANG:-clang-19}
command -v "$CLANG" >/dev/null || { echo "build-bpf: $CLANG not found (apt-get install clang-19 libbpf-dev)" >&2; exit 2; }

out=.
[ "${1:-}" = "--check" ] && out=$(mktemp -d)

for arch in x86_64 aarch64; do
    case $arch in
        x86_64) target=x86 ;;
        aarch64) target=arm64 ;;
    esac
    for variant in full compat; do
        name=cinch-$arch.bpf.o
        flags=(-mcpu=v3)
        if [ $variant = compat ]; then
            # v2: no atomic fetch instructions (Linux 5.12), only the old XADD.
            name=cinch-$arch-compat.bpf.o
            flags=(-mcpu=v2 -DCINCH_COMPAT)
        fi
        # Relative paths and -fdebug-compilation-dir keep the object independent
        # of where the checkout lives; -g is needed for BTF (CO-RE).
        "$CLANG" -target bpf -D__TARGET_ARCH_$target "${flags[@]}" -O2 -g -Wall -Werror \
            -fdebug-compilation-dir=. -fdebug-prefix-map="$PWD"=. \
            -I. -c cinch.bpf.c -o "$out/$name"
        if [ "${1:-}" = "--check" ]; then
            if ! cmp -s "$out/$name" "$name"; then
                echo "build-bpf: ebpf/bpf/$name is stale: run ebpf/build-bpf.sh and commit it" >&2
                rm -rf "$out"
                exit 1
            fi
        fi
    done
done
if [ "${1:-}" = "--check" ]; then
    echo "build-bpf: ebpf/bpf/cinch-*.bpf.o match their source"
    rm -rf "$out"
fi
