#!/usr/bin/env bash
# Starts or stops a private dockerd the way this kind of machine allows
# (see design.md): no iptables, no bridge, vfs storage, own data and exec roots.
#   scripts/dockerd.sh start   # prints: export DOCKER_HOST=unix://...
#   scripts/dockerd.sh stop    # also unmounts what dockerd left under its state dir
# State lives in $CINCH_DOCKERD_DIR (default /tmp/cinch-dockerd); $CINCH_DOCKERD_ARGS adds
# flags (e.g. --config-file DIR/daemon.json for a daemon with userns-remap).
set -euo pipefail
dir=${CINCH_DOCKERD_DIR:-/tmp/cinch-dockerd}
sock=$dir/docker.sock
pidfile=$dir/dockerd.pid

# crun refuses a hybrid cgroup layout whose v2 hierarchy holds controllers
# ("cgroups in hybrid mode not supported"): on such a machine (cgroup v1 with
# hugetlb left to /sys/fs/cgroup/unified), each such controller gets a v1
# hierarchy of its own, as on the usual hybrid systems. Undone by stop.
bind_v2_controllers() {
    local unified=/sys/fs/cgroup/unified c
    [ -n "$(command -v crun)" ] && [ -s "$unified/cgroup.controllers" ] || return 0
    for c in $(cat "$unified/cgroup.controllers"); do
        mkdir -p "/sys/fs/cgroup/$c"
        if mount -t cgroup -o "$c" cgroup "/sys/fs/cgroup/$c" 2>/dev/null; then
            echo "/sys/fs/cgroup/$c" >>"$dir/cgroup-mounts"
        fi
    done
}

start() {
    command -v dockerd >/dev/null || { echo "dockerd.sh: dockerd not found (apt-get install docker.io)" >&2; exit 2; }
    mkdir -p "$dir"
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
        echo "export DOCKER_HOST=unix://$sock"
        return
    fi
    # --exec-root must be short: containerd's socket paths are limited to 108 bytes.
    # crun (Debian's) is registered beside runc where installed: docker run --runtime crun.
    bind_v2_controllers
    local runtimes=()
    if command -v crun >/dev/null; then runtimes=(--add-runtime "crun=$(command -v crun)"); fi
    nohup dockerd "${runtimes[@]}" --iptables=false --ip6tables=false --bridge=none --storage-driver=vfs \
        --data-root "$dir/data" --exec-root "$dir/exec" -H "unix://$sock" \
        --pidfile "$pidfile" ${CINCH_DOCKERD_ARGS:-} >"$dir/dockerd.log" 2>&1 &
    for _ in $(seq 1 300); do
        if DOCKER_HOST="unix://$sock" docker version >/dev/null 2>&1; then
            echo "export DOCKER_HOST=unix://$sock"
            return
        fi
        sleep 0.2
    done
    echo "dockerd.sh: dockerd did not come up; last log lines:" >&2
    tail -n 20 "$dir/dockerd.log" >&2
    exit 1
}

stop() {
    [ -f "$pidfile" ] || return 0
    local pid
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 150); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$pidfile"
    # dockerd leaves bind mounts (e.g. exec/netns/default) behind; deepest first.
    awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r |
        while read -r mnt; do umount -l "$mnt" 2>/dev/null || true; done
    if [ -f "$dir/cgroup-mounts" ]; then
        while read -r mnt; do umount -l "$mnt" 2>/dev/null && rmdir "$mnt" 2>/dev/null || true; done <"$dir/cgroup-mounts"
        rm -f "$dir/cgroup-mounts"
    fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
