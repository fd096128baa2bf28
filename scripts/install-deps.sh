#!/usr/bin/env bash
# Installs, with apt, what building and testing cinch needs beyond Rust:
#   clang-19, libbpf-dev   rebuild and check the committed BPF object
#   docker.io (dockerd, runc, containerd)   end-to-end tests in real Docker
#   crun                   the second OCI runtime (docker run --runtime crun), with its measured floor
#   debootstrap            scripts/proving-ground builds the Debian service image with it
#   util-linux             unshare(1) and setpriv(1) for namespace and non-root tests
#   gcc                    builds fixtures/exit/exit.c, the entrypoint that measures runc's floor
#   apparmor               apparmor_parser: every generated AppArmor profile is compiled in the tests
#   nftables               nft -c checks the cluster bundle's firewall rules
#   jq                     runs generate userns's oci-merge.jq as its users would
#   qemu-system-x86, busybox-static, cpio, binutils, xz-utils   scripts/vm (the kernel matrix, and
#                          apparmor-vm: AppArmor enforced): Debian's kernels under qemu
#                          (the kernel packages themselves are fetched there)
#   qemu-system-arm, gcc-aarch64-linux-gnu, libc6-dev-arm64-cross   scripts/arm64-vm and the
#                          aarch64 cross-build of cinch (the Rust target is added with rustup)
#   openssh-server, -client  the cluster bundle's key and forced command against a real sshd
#                          (started only by the test, in a network namespace of its own)
# Extra package names may be given (bench/run.sh adds strace and bpftrace).
# Installs only what is missing; needs root.
set -euo pipefail
packages=(clang-19 libbpf-dev docker.io runc crun debootstrap util-linux tar gcc libc6-dev apparmor nftables openssh-server openssh-client jq qemu-system-x86 busybox-static cpio binutils xz-utils qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross "$@")
# The aarch64 standard library, for the cross-build (stable Rust; no apt package).
if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
    rustup target add aarch64-unknown-linux-gnu
fi
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# No service starts from a package's install script (openssh-server would
# start sshd on the host's port 22): policy-rc.d refuses it while apt runs.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod 0755 "$policy"
    trap 'rm -f "$policy"' EXIT
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
