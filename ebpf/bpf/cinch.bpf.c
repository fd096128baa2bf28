// SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0)
/*
 * cinch.bpf.c - records what one target (a container or a process tree) asks
 * of the kernel.
 *
 * Everything is aggregated here, in the kernel: each syscall of the target
 * bumps a per-CPU counter of its slot (its container) and nothing else. Only
 * facts seen for the first time (argument values of the few syscalls whose
 * arguments matter to seccomp rules, out-of-range syscall numbers, and the
 * files, executions and socket addresses of files.bpf.h) travel to user
 * space through the ring buffer. Anything that cannot be delivered or remembered is counted in
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
/* Slots handed out so far; slot 0 is the target given at start. */
__u32 slots_used = 1;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);   /* mount namespace inode */
	__type(value, __u32); /* slot */
} target_mntns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32768);
	__type(key, __u32);  /* thread-group id */
	__type(value, __u8); /* CINCH_PROC_* */
} target_tgids SEC(".maps");

/* Tasks already known to be in the target: their slot + 1, in the task
 * itself. Every syscall of the target asks "is this task traced?"; the
 * answer from task-local storage is a pointer lookup, where the maps above
 * (target_tgids, target_mntns) cost a hash lookup each time (about 100 ns
 * per syscall on the benchmark machine). Only positive answers are kept, and
 * they stay true for the task's life: a followed thread group is forgotten
 * only when its last thread is gone, and a task leaves its mount namespace
 * only through unshare or setns, which drop the entry (see sys_enter). */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u32);
} known_targets SEC(".maps");

struct ns_switch {
	__u32 from_mntns; /* the mount namespace it called from */
	__u32 slot;       /* slot of the caller, or CINCH_SLOT_NEW */
	__u32 created;    /* unshare (a new namespace) rather than setns */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32); /* thread id that called unshare/setns */
	__type(value, struct ns_switch);
} ns_switchers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CINCH_MAX_SLOTS * CINCH_MAX_SYSCALLS);
	__type(key, __u32);
	__type(value, __u64);
} syscall_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CINCH_MAX_SLOTS);
	__type(key, __u32);
	__type(value, struct cinch_slot);
} slot_info SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, struct cinch_fact);
	__type(value, __u8);
} facts_seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CINCH_N_STATS);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20); /* 4 MiB: a 100,000-path storm fits with no loss (bench/), and the mapping counts twice in RSS */
} facts SEC(".maps");

static __always_inline void stat_add(__u32 stat, __u64 n)
{
	__u64 *value = bpf_map_lookup_elem(&stats, &stat);
	if (value)
		__sync_fetch_and_add(value, n);
}

static __always_inline __u32 mntns_of(struct task_struct *task)
{
	return BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
}

/* Mount-namespace modes: is the task in a target namespace, and which slot? */
static __always_inline bool slot_of(struct task_struct *task, __u32 *slot)
{
	__u32 inum = mntns_of(task);
	__u32 *found = bpf_map_lookup_elem(&target_mntns, &inum);
	if (!found)
		return false;
	*slot = *found;
	return true;
}

/* Takes a new slot for a mount namespace that `creator` just made, noting
 * which cgroups the creator was in (they name the container). */
static __always_inline bool take_slot(struct task_struct *creator, __u32 inum, __u32 *slot)
{
	__u32 taken = __sync_fetch_and_add(&slots_used, 1);
	if (taken >= CINCH_MAX_SLOTS) {
		stat_add(CINCH_STAT_NO_SLOT, 1);
		return false;
	}
	struct cinch_slot *info = bpf_map_lookup_elem(&slot_info, &taken);
	if (!info)
		return false;
	info->creator_tgid = BPF_CORE_READ(creator, tgid);
	const char *name = BPF_CORE_READ(creator, cgroups, dfl_cgrp, kn, name);
	bpf_probe_read_kernel_str(info->cgroup, sizeof(info->cgroup), name);
	if (bpf_core_enum_value_exists(enum cgroup_subsys_id, memory_cgrp_id)) {
		int id = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
		struct css_set *cset = BPF_CORE_READ(creator, cgroups);
		struct cgroup_subsys_state *css = 0;
		bpf_core_read(&css, sizeof(css), &cset->subsys[id]);
		name = BPF_CORE_READ(css, cgroup, kn, name);
		bpf_probe_read_kernel_str(info->cgroup_v1, sizeof(info->cgroup_v1), name);
	}
	/* Written last: user space treats a slot with a namespace as complete. */
	info->mntns = inum;
	*slot = taken;
	return true;
}

/* Adopts a mount namespace the target (`slot`) moved into or created, or a
 * new container's (`slot` is CINCH_SLOT_NEW). A namespace just `created` is
 * new even if its inode number is known: the kernel reuses the numbers of
 * namespaces that are gone, and the old owner's slot must not swallow it.
 * Returns whether the namespace is now traced, and its slot. */
static __always_inline bool follow_mntns(struct task_struct *creator, __u32 inum, __u32 *slot, bool created)
{
	if (inum == cfg_host_mntns)
		return false;
	__u32 *known = bpf_map_lookup_elem(&target_mntns, &inum);
	if (known && !created) {
		*slot = *known;
		return true;
	}
	if (*slot == CINCH_SLOT_NEW && !take_slot(creator, inum, slot))
		return false;
	if (bpf_map_update_elem(&target_mntns, &inum, slot, BPF_ANY) == 0) {
		stat_add(CINCH_STAT_NEW_MNTNS, 1);
		return true;
	}
	stat_add(CINCH_STAT_LOST, 1); /* map full: the namespace is not followed */
	return false;
}

/* A task that called unshare/setns is back with a syscall: if it now lives in
 * another mount namespace, that namespace is adopted. Returns whether it moved
 * into a traced namespace (and sets its slot); the record is dropped either way. */
static __always_inline bool check_ns_switch(struct task_struct *task, __u32 *slot)
{
	__u32 tid = BPF_CORE_READ(task, pid);
	struct ns_switch *sw = bpf_map_lookup_elem(&ns_switchers, &tid);
	if (!sw)
		return false;
	__u32 now = mntns_of(task);
	bool moved = now != sw->from_mntns;
	__u32 adopted = sw->slot;
	bool created = sw->created;
	bpf_map_delete_elem(&ns_switchers, &tid);
	__sync_fetch_and_add(&pending_ns_switches, -1);
	if (!moved || !follow_mntns(task, now, &adopted, created))
		return false;
	*slot = adopted;
	return true;
}

/* Remembers a task that may be about to change mount namespace: the target
 * (unshare or setns), or, while watching for new containers, anyone creating
 * one with unshare(CLONE_NEWNS). */
static __always_inline void watch_ns_switch(struct task_struct *task, struct pt_regs *regs,
					    long id, bool target, __u32 slot)
{
	if (!target) {
		if (cfg_mode != CINCH_MODE_NEW_CONTAINERS || id != nr_unshare)
			return;
		if (!(PT_REGS_PARM1_CORE_SYSCALL(regs) & CLONE_NEWNS))
			return;
		slot = CINCH_SLOT_NEW;
	}
	__u32 tid = BPF_CORE_READ(task, pid);
	struct ns_switch sw = { .from_mntns = mntns_of(task), .slot = slot, .created = id == nr_unshare };
	if (bpf_map_update_elem(&ns_switchers, &tid, &sw, BPF_NOEXIST) == 0)
		__sync_fetch_and_add(&pending_ns_switches, 1);
}

/* The syscall passed the task's seccomp filter (the tracepoint fires after
 * seccomp), so a profile must allow it. Per task: runc installs the filter on
 * one thread only, and the others never reach the workload. */
static __always_inline bool under_seccomp_filter(struct task_struct *task)
{
	return BPF_CORE_READ(task, seccomp.mode) == SECCOMP_MODE_FILTER;
}

/* Is `task` part of the target right now, and in which slot? For what other
 * programs than sys_enter see (exits, execs): the same rule as sys_enter,
 * without adopting anything. */
static __always_inline bool task_slot(struct task_struct *task, __u32 *slot)
{
	if (cfg_mode == CINCH_MODE_PIDTREE) {
		__u32 tgid = BPF_CORE_READ(task, tgid);
		__u8 *state = bpf_map_lookup_elem(&target_tgids, &tgid);
		*slot = 0;
		return state && *state == CINCH_PROC_FOLLOWED;
	}
	if (!slot_of(task, slot))
		return false;
	return cfg_mode != CINCH_MODE_NEW_CONTAINERS || under_seccomp_filter(task);
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

static __always_inline void record_args(struct pt_regs *regs, long nr, __u32 slot)
{
	struct cinch_fact fact = { .kind = CINCH_FACT_ARGS, .nr = (__u32)nr, .slot = slot };

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

#include "files.bpf.h"

/* Pidtree mode: is this syscall made by a followed process? An ARMED process
 * starts counting at its execve (which is counted). */
static __always_inline bool pidtree_counts(struct task_struct *task, long id)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32; /* task is current: no kernel read needed */
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


/* The slow answer to "is this task traced, in which slot?", from the
 * target maps; a yes is remembered in known_targets. Also watches unshare and
 * setns, which may move a task to another mount namespace (and so forget what
 * known_targets said). */
static __always_inline bool target_task(struct task_struct *task, struct pt_regs *regs, long id, __u32 *slot)
{
	if (cfg_mode == CINCH_MODE_PIDTREE) {
		if (!pidtree_counts(task, id))
			return false;
	} else {
		bool target = slot_of(task, slot);
		/* A task's first syscall after unshare/setns settles where it went. */
		if (pending_ns_switches && check_ns_switch(task, slot))
			target = true;
		if (id == nr_unshare || id == nr_setns) {
			bpf_task_storage_delete(&known_targets, task);
			watch_ns_switch(task, regs, id, target, *slot);
			return target && (cfg_mode != CINCH_MODE_NEW_CONTAINERS || under_seccomp_filter(task));
		}
		if (!target)
			return false;
		if (cfg_mode == CINCH_MODE_NEW_CONTAINERS && !under_seccomp_filter(task))
			return false;
	}
	__u32 *known = bpf_task_storage_get(&known_targets, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (known)
		*known = *slot + 1;
	return true;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(cinch_sys_enter, struct pt_regs *regs, long id)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 slot = 0;

	__u32 *known = bpf_task_storage_get(&known_targets, task, 0, 0);
	if (known && *known && id != nr_unshare && id != nr_setns) {
		slot = *known - 1;
	} else if (!target_task(task, regs, id, &slot)) {
		return 0;
	}

	if (id < 0 || id >= CINCH_MAX_SYSCALLS) {
		struct cinch_fact fact = { .kind = CINCH_FACT_RAW_NR, .nr = (__u32)id, .slot = slot };
		report_fact(&fact);
		return 0;
	}

	__u32 key = slot * CINCH_MAX_SYSCALLS + (__u32)id;
	__u64 *count = bpf_map_lookup_elem(&syscall_counts, &key);
	if (count)
		*count += 1;

	record_args(regs, id, slot);
	files_sys_enter(task, regs, id, slot);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(cinch_sys_exit, struct pt_regs *regs, long ret)
{
	files_sys_exit(bpf_get_current_task_btf(), ret);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(cinch_exec, struct task_struct *task, int old_pid, struct linux_binprm *bprm)
{
	__u32 slot = 0;
	if (task_slot(task, &slot))
		files_exec(task, bprm, slot);
	return 0;
}

static __always_inline void count_process(__u32 slot)
{
	struct cinch_slot *info = bpf_map_lookup_elem(&slot_info, &slot);
	if (info)
		__sync_fetch_and_add(&info->processes, 1);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(cinch_fork, struct task_struct *parent, struct task_struct *child)
{
	int child_pid = BPF_CORE_READ(child, pid);
	int child_tgid = BPF_CORE_READ(child, tgid);
	if (child_pid != child_tgid)
		return 0; /* a new thread: same process, same namespace */

	if (cfg_mode == CINCH_MODE_PIDTREE) {
		__u32 parent_tgid = BPF_CORE_READ(parent, tgid);
		if (!bpf_map_lookup_elem(&target_tgids, &parent_tgid))
			return 0;
		count_process(0);
		__u32 tgid = child_tgid;
		__u8 followed = CINCH_PROC_FOLLOWED;
		if (bpf_map_update_elem(&target_tgids, &tgid, &followed, BPF_ANY))
			stat_add(CINCH_STAT_LOST, 1); /* map full: the child is not followed */
		return 0;
	}

	__u32 slot = CINCH_SLOT_NEW;
	bool target = slot_of(parent, &slot);
	if (target)
		count_process(slot);
	else if (cfg_mode != CINCH_MODE_NEW_CONTAINERS)
		return 0;

	/* clone(CLONE_NEWNS): the child starts in a namespace of its own. */
	__u32 child_ns = mntns_of(child);
	if (child_ns != mntns_of(parent) && follow_mntns(parent, child_ns, &slot, true) && !target)
		count_process(slot);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(cinch_exit, struct task_struct *task)
{
	/* A thread that dies inside a syscall never reaches its sys_exit. */
	drop_pending_call(task);
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
