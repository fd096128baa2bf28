# Shared by scripts/vm and scripts/arm64-vm (sourced, not run):
# a Debian kernel package booted under qemu with TCG (/dev/kvm hangs guests
# on these machines) from an initramfs with busybox.
#   guest_tools                 installs qemu-system-x86, busybox-static, cpio, binutils
#   guest_kernel [K]            prints the kernel's directory (downloaded and cached once;
#                               K: 5.10, 6.1, 6.12 or a package; $guest_arch=arm64 for arm64's)
#   guest_apt SUITE ARCH get|cache ARGS...   apt-get/apt-cache on a Debian suite, privately
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

# guest_kernel [K]: K is a release of the matrix (5.10: Debian 11's kernel,
# 6.1: Debian 12's, 6.12: Debian 13's), a package name (linux-image-...), or
# empty (what this Debian's linux-image-amd64 depends on). $guest_arch
# (amd64, arm64; default amd64) picks the architecture. Releases come from
# their suite through a private apt configuration under the cache (the host's
# sources are not touched); everything is downloaded once.
guest_kernel() {
    local spec=${1:-} arch=${guest_arch:-amd64} suite= package
    case $spec in
        5.10) suite=bullseye ;;
        6.1) suite=bookworm ;;
        6.12) suite=trixie ;;
    esac
    mkdir -p "$guest_cache"
    if [ -n "$suite" ]; then
        package=$(guest_apt "$suite" "$arch" cache depends "linux-image-$arch" |
            awk '/Depends: linux-image-/ { print $2; exit }')
        [ -n "$package" ] || { echo "guest: no linux-image-$arch in Debian $suite" >&2; return 1; }
    elif [ -n "$spec" ]; then
        package=$spec
    else
        package=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-/ { print $2; exit }')
    fi
    local dir=$guest_cache/$package # the name says the architecture: ...-amd64, ...-arm64
    if [ -z "$(ls "$dir"/boot/vmlinuz-* 2>/dev/null)" ]; then
        rm -rf "$dir"
        (cd "$guest_cache" && rm -f "$package"_*.deb &&
            if [ -n "$suite" ]; then guest_apt "$suite" "$arch" get download "$package:$arch"; else apt-get download "$package"; fi >/dev/null &&
            dpkg -x "$package"_*.deb "$dir" && rm -f "$package"_*.deb)
    fi
    echo "$dir"
}

# guest_apt SUITE ARCH (get|cache) ARGS...: apt-get or apt-cache on Debian
# SUITE's main for ARCH, with lists kept under the cache (updated once a day).
guest_apt() {
    local suite=$1 arch=$2 tool=apt-$3 d=$guest_cache/apt/$1-$2
    shift 3
    mkdir -p "$d/lists/partial" "$d/cache/archives/partial" "$d/parts"
    local key=/usr/share/keyrings/debian-archive-keyring.gpg
    printf 'deb [signed-by=%s] http://deb.debian.org/debian %s main\ndeb [signed-by=%s] http://deb.debian.org/debian-security %s-security main\n' \
        "$key" "$suite" "$key" "$suite" >"$d/sources.list"
    local opts=(-o "Dir::Etc::SourceList=$d/sources.list" -o "Dir::Etc::SourceParts=$d/parts"
        -o "Dir::State::Lists=$d/lists" -o "Dir::Cache=$d/cache" -o "APT::Architecture=$arch"
        -o "APT::Architectures=$arch" -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root")
    if [ -z "$(find "$d/lists" -name '*security*Packages*' -mtime -1 2>/dev/null | head -1)" ]; then
        apt-get "${opts[@]}" -qq update >&2 || return 1
    fi
    "$tool" "${opts[@]}" "$@"
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
        # Under lib/ or (Debian 13, merged /usr) usr/lib/, and xz-compressed
        # from Debian 13 on: unpacked here, as busybox's insmod reads only .ko.
        file=$(find "$kdir"/lib/modules "$kdir"/usr/lib/modules \( -name "$name.ko" -o -name "$name.ko.xz" \) \
            2>/dev/null | head -1 || true)
        if [ -z "$file" ]; then
            # Built into this kernel (Debian 13's virtio_pci): nothing to load.
            { find "$kdir"/lib/modules "$kdir"/usr/lib/modules -name modules.builtin 2>/dev/null || true; } |
                xargs -r grep -qE "/${name//_/[_-]}\.ko\$" && return 0
            echo "guest: no module $name in $kdir" >&2
            return 1
        fi
        case $file in
            *.xz) xz -dc "$file" >"$dir/modules/$name.ko" ;;
            *) cp "$file" "$dir/modules/$name.ko" ;;
        esac
        for dep in $(strings "$dir/modules/$name.ko" | sed -n 's/^depends=//p' | tr ',' ' '); do
            _guest_module "$dep"
        done
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
