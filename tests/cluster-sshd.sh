#!/bin/sh
# Run by tests/cluster.rs inside `unshare --mount --net`: applies a bundle with
# its own setup.sh (over overlays of /etc, /var/lib and /usr/local/sbin, so the
# host is untouched), starts a real sshd on 127.0.0.1:2222 in this network
# namespace, and attacks the master's key as the worker account. Prints
# `name=value` lines for the test to check.
#   cluster-sshd.sh BUNDLE_DIR WORK_DIR   (WORK_DIR holds master, attacker keys)
set -eu
bundle=$1 work=$2
user=mascot-worker uid=10001 home=/var/lib/mascot-worker
mount --make-rprivate /
for dir in /etc /var/lib /usr/local/sbin; do
    name=$(echo "$dir" | tr / _)
    mkdir -p "$work/upper$name" "$work/work$name"
    mount -t overlay overlay -o "lowerdir=$dir,upperdir=$work/upper$name,workdir=$work/work$name" "$dir"
done
mount -t tmpfs tmpfs /run
mkdir -p /run/sshd
ip link set lo up

(cd "$bundle" && sh setup.sh) > "$work/setup1.log" 2>&1 && echo "setup1=ok" || echo "setup1=failed"
ssh-keygen -A >/dev/null
/usr/sbin/sshd -p 2222 -o ListenAddress=127.0.0.1 -o "PidFile=$work/sshd.pid" -E "$work/sshd.log"
trap 'kill "$(cat "$work/sshd.pid")" 2>/dev/null || true' EXIT

as_worker() { setpriv --reuid=$uid --regid=$uid --clear-groups sh -c "$1" 2>/dev/null; }
ssh_with() {
    ssh -F /dev/null -i "$work/$1" -p 2222 -o BatchMode=yes -o StrictHostKeyChecking=no \
        -o UserKnownHostsFile=/dev/null -o ConnectTimeout=20 "$user@127.0.0.1" "$2" 2>&1
}

# 1. The account tries to add a key of its own where sshd would read it.
as_worker "mkdir -p $home/.ssh" && echo "worker_made_home_ssh=yes" || echo "worker_made_home_ssh=no"
as_worker "cat $work/attacker.pub >> /etc/ssh/cinch-authorized-keys/$user" && echo "worker_wrote_key=yes" || echo "worker_wrote_key=no"
# Even a key left in its home by an old layout (the account's own ~/.ssh) is not read.
mkdir -p "$home/.ssh" && cp "$work/attacker.pub" "$home/.ssh/authorized_keys"
chown -R $uid:$uid "$home/.ssh" && chmod 0700 "$home/.ssh"
out=$(ssh_with attacker id) && echo "attacker_login=yes" || echo "attacker_login=no"
echo "attacker_said=$(echo "$out" | tr '\n' ' ')"
out=$(ssh_with master id) && echo "master_id=allowed" || echo "master_id=refused"
echo "master_id_said=$(echo "$out" | tr '\n' ' ')"
out=$(ssh_with master status) || true
echo "master_status_said=$(echo "$out" | tr '\n' ' ')"

# 2. An old layout gave the account its home: it plants ~/.ssh -> a root directory.
mkdir -p /etc/victim && echo untouched > /etc/victim/keep && chmod 0700 /etc/victim
chown $uid:$uid "$home"
rm -rf "$home/.ssh"
as_worker "ln -s /etc/victim $home/.ssh" && echo "worker_planted_link=yes" || echo "worker_planted_link=no"
(cd "$bundle" && sh setup.sh) > "$work/setup2.log" 2>&1 && echo "setup2=ok" || echo "setup2=refused"
echo "setup2_said=$(tr '\n' ' ' < "$work/setup2.log")"
echo "victim_mode=$(stat -c %a /etc/victim)"
echo "victim_files=$(ls /etc/victim | tr '\n' ' ')"
