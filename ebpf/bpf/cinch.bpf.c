// SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0)
/*
 * cinch.bpf.c - records what one target (a container or a process tree) asks
 * of the kernel.
 *
 * Everything is aggregated here, in the kernel: each syscall of the target
 * bumps a per-CPU counter and nothing else. Only facts seen for the first time
 * (argument values of the few syscalls whose arguments matter to seccomp
 * rules, out-of-range syscall numbers) travel to user space through the ring
 * buffer. Anything that cannot be delivered or remembered is counted in
 * stats[CINCH_STAT_LOST] so that a trace can never be silently incomplete.
 *
 * Only tracepoints are used (tp_btf): fentry, kprobes and BPF-LSM are not
 * available on every machine cinch runs on.
 */
#include "kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "cinch.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by the loader before the program is loaded (EbpfLoader::set_global). */
const volatile __u32 cfg_mode = 0;
/* cinch's own (the host's) mount namespace: never adopted, even when a
 * privileged target enters it, or the whole host would be traced. */
const volatile __u32 cfg_host_mntns = 0;
/* Syscall numbers of the running architecture, taken by the loader from its
 * syscall table; -1 means "this architecture has no such syscall". */
const volatile __s64 nr_execve = -1;
const volatile __s64 nr_execveat = -1;
const volatile __s64 nr_clone = -1;
const volatile __s64 nr_clone3 = -1;
const volatile __s64 nr_unshare = -1;
const volatile __s64 nr_setns = -1;
const volatile __s64 nr_socket = -1;
const volatile __s64 nr_personality = -1;
const volatile __s64 nr_prctl = -1;

/* Tasks that called unshare or setns and may come back in a mount namespace we
 * do not know yet. Checked only while non-zero so untraced tasks pay nothing. */
__u64 pending_ns_switches = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);  /* mount namespace inode */
	__type(value, __u8);
} target_mntns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32768);
	__type(key, __u32);  /* thread-group id */
	__type(value, __u8); /* CINCH_PROC_* */
} target_tgids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);  /* thread id that called unshare/setns */
	__type(value, __u32); /* the mount namespace it called from */
} ns_switchers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CINCH_MAX_SYSCALLS);
	__type(key, __u32);
	__type(value, __u64);
} syscall_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, struct cinch_fact);
	__type(value, __u8);
} facts_seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CINCH_STAT_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} facts SEC(".maps");

static __always_inline void stat_add(__u32 slot, __u64 n)
{
	__u64 *value = bpf_map_lookup_elem(&stats, &slot);
	if (value)
		__sync_fetch_and_add(value, n);
}

static __always_inline __u32 mntns_of(struct task_struct *task)
{
	return BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
}

static __always_inline bool is_target(struct task_struct *task)
{
	if (cfg_mode == CINCH_MODE_PIDTREE) {
		__u32 tgid = BPF_CORE_READ(task, tgid);
		return bpf_map_lookup_elem(&target_tgids, &tgid) != 0;
	}
	__u32 inum = mntns_of(task);
	return bpf_map_lookup_elem(&target_mntns, &inum) != 0;
}

/* Adopts a mount namespace the target moved into. */
static __always_inline void follow_mntns(__u32 inum)
{
	__u8 one = 1;
	if (inum == cfg_host_mntns)
		return;
	if (bpf_map_update_elem(&target_mntns, &inum, &one, BPF_NOEXIST) == 0)
		stat_add(CINCH_STAT_NEW_MNTNS, 1);
	else if (!bpf_map_lookup_elem(&target_mntns, &inum))
		stat_add(CINCH_STAT_LOST, 1); /* map full: the namespace is not followed */
}

/* A task that called unshare/setns is back with a syscall: if it now lives in
 * another mount namespace, that namespace belongs to the target too. Returns
 * whether it moved; the record is dropped either way. */
static __always_inline bool check_ns_switch(struct task_struct *task)
{
	__u32 tid = BPF_CORE_READ(task, pid);
	__u32 *old = bpf_map_lookup_elem(&ns_switchers, &tid);
	if (!old)
		return false;
	__u32 now = mntns_of(task);
	bool moved = now != *old;
	bpf_map_delete_elem(&ns_switchers, &tid);
	__sync_fetch_and_add(&pending_ns_switches, -1);
	if (moved)
		follow_mntns(now);
	return moved;
}

/* Sends a fact the first time it is seen; counts it as lost when it can be
 * neither remembered nor delivered. */
static __always_inline void report_fact(struct cinch_fact *fact)
{
	__u8 one = 1;
	long err = bpf_map_update_elem(&facts_seen, fact, &one, BPF_NOEXIST);
	if (err) {
		if (!bpf_map_lookup_elem(&facts_seen, fact))
			stat_add(CINCH_STAT_LOST, 1); /* facts_seen is full */
		return;
	}
	struct cinch_fact *out = bpf_ringbuf_reserve(&facts, sizeof(*out), 0);
	if (!out) {
		/* Forget it so that a later occurrence can try again. */
		bpf_map_delete_elem(&facts_seen, fact);
		stat_add(CINCH_STAT_LOST, 1);
		return;
	}
	*out = *fact;
	bpf_ringbuf_submit(out, 0);
}

static __always_inline void record_args(struct pt_regs *regs, long nr)
{
	struct cinch_fact fact = { .kind = CINCH_FACT_ARGS, .nr = (__u32)nr };

	if (nr == nr_clone || nr == nr_unshare || nr == nr_personality || nr == nr_prctl) {
		fact.args[0] = PT_REGS_PARM1_CORE_SYSCALL(regs);
	} else if (nr == nr_socket) {
		fact.args[0] = PT_REGS_PARM1_CORE_SYSCALL(regs);
		fact.args[1] = PT_REGS_PARM2_CORE_SYSCALL(regs);
		fact.args[2] = PT_REGS_PARM3_CORE_SYSCALL(regs);
	} else if (nr == nr_clone3) {
		/* The flags are the first u64 of struct clone_args in user memory.
		 * An unreadable struct makes the call fail with EFAULT: no need. */
		__u64 uargs = PT_REGS_PARM1_CORE_SYSCALL(regs);
		if (bpf_probe_read_user(&fact.args[0], sizeof(fact.args[0]), (void *)uargs))
			return;
	} else {
		return;
	}
	report_fact(&fact);
}

/* Pidtree mode: is this syscall made by a followed process? An ARMED process
 * starts counting at its execve (which is counted). */
static __always_inline bool pidtree_counts(struct task_struct *task, long id)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	__u8 *state = bpf_map_lookup_elem(&target_tgids, &tgid);
	if (!state)
		return false;
	if (*state == CINCH_PROC_ARMED) {
		if (id != nr_execve && id != nr_execveat)
			return false;
		*state = CINCH_PROC_FOLLOWED;
	}
	return true;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(cinch_sys_enter, struct pt_regs *regs, long id)
{
	struct task_struct *task = bpf_get_current_task_btf();

	bool target;
	if (cfg_mode == CINCH_MODE_PIDTREE) {
		target = pidtree_counts(task, id);
	} else {
		target = is_target(task);
		/* A task's first syscall after unshare/setns settles where it went. */
		if (pending_ns_switches && check_ns_switch(task))
			target = true;
	}
	if (!target)
		return 0;

	if (id < 0 || id >= CINCH_MAX_SYSCALLS) {
		struct cinch_fact fact = { .kind = CINCH_FACT_RAW_NR, .nr = (__u32)id };
		report_fact(&fact);
		return 0;
	}

	__u32 key = (__u32)id;
	__u64 *count = bpf_map_lookup_elem(&syscall_counts, &key);
	if (count)
		*count += 1;

	if (cfg_mode == CINCH_MODE_MNTNS && (id == nr_unshare || id == nr_setns)) {
		__u32 tid = BPF_CORE_READ(task, pid);
		__u32 ns = mntns_of(task);
		if (bpf_map_update_elem(&ns_switchers, &tid, &ns, BPF_NOEXIST) == 0)
			__sync_fetch_and_add(&pending_ns_switches, 1);
	}

	record_args(regs, id);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(cinch_fork, struct task_struct *parent, struct task_struct *child)
{
	if (!is_target(parent))
		return 0;

	int child_pid = BPF_CORE_READ(child, pid);
	int child_tgid = BPF_CORE_READ(child, tgid);
	if (child_pid != child_tgid)
		return 0; /* a new thread of a process we already follow */
	stat_add(CINCH_STAT_PROCESSES, 1);

	if (cfg_mode == CINCH_MODE_PIDTREE) {
		__u32 tgid = child_tgid;
		__u8 followed = CINCH_PROC_FOLLOWED;
		if (bpf_map_update_elem(&target_tgids, &tgid, &followed, BPF_ANY))
			stat_add(CINCH_STAT_LOST, 1); /* map full: the child is not followed */
		return 0;
	}

	/* clone(CLONE_NEWNS): the child starts in a namespace of its own. */
	__u32 child_ns = mntns_of(child);
	if (child_ns != mntns_of(parent))
		follow_mntns(child_ns);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(cinch_exit, struct task_struct *task)
{
	if (cfg_mode != CINCH_MODE_PIDTREE)
		return 0;
	/* Forget a thread group only once its last thread is gone, so a reused
	 * pid of an unrelated process is never traced. */
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	__u32 tgid = BPF_CORE_READ(task, tgid);
	bpf_map_delete_elem(&target_tgids, &tgid);
	return 0;
}
