# Shared by scripts/kernel-guest and scripts/apparmor-vm (sourced, not run):
# a Debian kernel package booted under qemu with TCG (/dev/kvm hangs guests
# on these machines) from an initramfs with busybox.
#   guest_tools                 installs qemu-system-x86, busybox-static, cpio, binutils
#   guest_kernel [PACKAGE]      prints the kernel's directory (downloaded and cached once)
#   guest_busybox DIR           an initramfs root with busybox and its applets
#   guest_modules KDIR DIR M..  copies modules M (and what they depend on) to DIR/modules, in load order
#   guest_initrd DIR OUT        packs DIR as a gzip'd newc cpio
#   guest_boot KDIR INITRD [QEMU ARGS...]  boots it; prints the console (CR stripped)
# Kernel packages are cached in $CINCH_GUEST_CACHE (default /var/cache/cinch-guest).
guest_cache=${CINCH_GUEST_CACHE:-/var/cache/cinch-guest}

guest_tools() {
    command -v qemu-system-x86_64 >/dev/null && command -v busybox >/dev/null && command -v cpio >/dev/null &&
        command -v strings >/dev/null && return 0
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        qemu-system-x86 busybox-static cpio binutils >/dev/null
}

guest_kernel() {
    local package=${1:-}
    if [ -z "$package" ]; then
        package=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-/ { print $2; exit }')
    fi
    mkdir -p "$guest_cache"
    if [ ! -f "$guest_cache/$package/boot/vmlinuz-${package#linux-image-}" ]; then
        (cd "$guest_cache" && apt-get download "$package" >/dev/null && dpkg -x "$package"_*.deb "$package" &&
            rm -f "$package"_*.deb)
    fi
    echo "$guest_cache/$package"
}

guest_busybox() {
    local dir=$1 tool
    mkdir -p "$dir"/{bin,proc,sys,dev,tmp}
    cp "$(command -v busybox)" "$dir/bin/"
    for tool in $("$dir/bin/busybox" --list); do
        [ "$tool" = busybox ] || ln -sf busybox "$dir/bin/$tool"
    done
}

# Module names are looked up under the kernel's lib/modules; dependencies come
# from each module's own modinfo section (there is no modules.dep: depmod
# runs at install). Writes DIR/modules/order, the load order.
guest_modules() {
    local kdir=$1 dir=$2
    shift 2
    mkdir -p "$dir/modules"
    : >"$dir/modules/order"
    local -A seen=()
    _guest_module() {
        local name=$1 file dep
        [ -n "${seen[$name]:-}" ] && return 0
        seen[$name]=1
        file=$(find "$kdir"/lib/modules -name "$name.ko" | head -1)
        [ -n "$file" ] || { echo "guest: no module $name in $kdir" >&2; return 1; }
        for dep in $(strings "$file" | sed -n 's/^depends=//p' | tr ',' ' '); do
            _guest_module "$dep"
        done
        cp "$file" "$dir/modules/"
        echo "$name.ko" >>"$dir/modules/order"
    }
    local m
    for m in "$@"; do _guest_module "$m"; done
}

guest_initrd() {
    (cd "$1" && find . | cpio -o -H newc 2>/dev/null | gzip -1 >"$2")
}

guest_boot() {
    local kdir=$1 initrd=$2
    shift 2
    local kernel
    kernel=$(ls "$kdir"/boot/vmlinuz-*)
    timeout 900 qemu-system-x86_64 -accel tcg -m 2048 -nographic -no-reboot -kernel "$kernel" -initrd "$initrd" \
        -append "console=ttyS0 quiet loglevel=1 panic=-1" "$@" 2>&1 | tr -d '\r'
}
