/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * target.bpf.h - which tasks are traced, and in which slot (container): the
 * target maps, the cached answer in task-local storage, mount namespaces
 * adopted on unshare/setns/clone, and the slots of new containers.
 */
#ifndef CINCH_TARGET_BPF_H
#define CINCH_TARGET_BPF_H

#include "kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "cinch.h"
#include "compat.bpf.h"
#include "config.bpf.h"
#include "output.bpf.h"
#include "task.bpf.h"

/* Tasks that called unshare or setns and may come back in a mount namespace we
 * do not know yet. Checked only while non-zero so untraced tasks pay nothing. */
__u64 pending_ns_switches = 0;
/* Things only one CPU may take, each once: slot N (1..CINCH_MAX_SLOTS-1;
 * slot 0 is the target given at start), and CINCH_MAX_SLOTS + N, the first
 * filtered task of slot N. An insert with BPF_NOEXIST succeeds for one
 * caller only: atomic on every kernel, where atomic fetch instructions
 * (compare-and-swap, fetch-and-add with its result) need Linux 5.12. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * CINCH_MAX_SLOTS);
	__type(key, __u32);
	__type(value, __u8);
} claims SEC(".maps");

static __always_inline bool claim(__u32 what)
{
	__u8 one = 1;
	return bpf_map_update_elem(&claims, &what, &one, BPF_NOEXIST) == 0;
}

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
 * (compat.bpf.h); 0 for a task known not to be (CINCH_MODE_MNTNS only, see
 * remember_not_target). Every syscall of the target asks "is this task traced?"; the
 * answer from task storage is a pointer lookup (compat: a hash), where the maps above
 * (target_tgids, target_mntns) cost a hash lookup each time (about 100 ns
 * per syscall on the benchmark machine). Only positive answers are kept, and
 * they stay true for the task's life: a followed thread group is forgotten
 * only when its last thread is gone, and a task leaves its mount namespace
 * only through unshare or setns, which drop the entry (see sys_enter). */
CINCH_TASK_MAP(known_targets, __u32);

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
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CINCH_MAX_SLOTS);
	__type(key, __u32);
	__type(value, struct cinch_slot);
} slot_info SEC(".maps");

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

/* The leaf names of `task`'s cgroups: the unified (v2) hierarchy, then the
 * v1 memory controller's. */
static __always_inline void read_cgroups(struct task_struct *task, char *v2, char *v1)
{
	const char *name = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, name);
	bpf_probe_read_kernel_str(v2, CINCH_CGROUP_NAME, name);
	if (bpf_core_enum_value_exists(enum cgroup_subsys_id, memory_cgrp_id)) {
		int id = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
		struct css_set *cset = BPF_CORE_READ(task, cgroups);
		struct cgroup_subsys_state *css = 0;
		bpf_core_read(&css, sizeof(css), &cset->subsys[id]);
		name = BPF_CORE_READ(css, cgroup, kn, name);
		bpf_probe_read_kernel_str(v1, CINCH_CGROUP_NAME, name);
	}
}

/* Takes a new slot for a mount namespace that `creator` just made, noting
 * which cgroups the creator was in (they name the container). */
static __always_inline bool take_slot(struct task_struct *creator, __u32 inum, __u32 *slot)
{
	__u32 taken = 0;
	for (__u32 i = 1; i < CINCH_MAX_SLOTS; i++) {
		if (claim(i)) {
			taken = i;
			break;
		}
	}
	if (!taken) {
		stat_add(CINCH_STAT_NO_SLOT, 1);
		return false;
	}
	struct cinch_slot *info = bpf_map_lookup_elem(&slot_info, &taken);
	if (!info)
		return false;
	info->creator_tgid = BPF_CORE_READ(creator, tgid);
	read_cgroups(creator, info->cgroup, info->cgroup_v1);
	/* Written last: user space treats a slot with a namespace as complete. */
	info->mntns = inum;
	*slot = taken;
	return true;
}

/* The first task of a new container's slot under the seccomp filter: its
 * cgroups name the container too, whichever runtime made it. */
static __always_inline void note_filtered(struct task_struct *task, __u32 slot)
{
	struct cinch_slot *info = bpf_map_lookup_elem(&slot_info, &slot);
	if (!info || info->filtered || !claim(CINCH_MAX_SLOTS + slot))
		return;
	info->filtered = 1;
	read_cgroups(task, info->filtered_cgroup, info->filtered_cgroup_v1);
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
static __always_inline bool target_task(struct task_struct *task, struct pt_regs *regs, long id, __u32 *slot,
					bool *workload)
{
	/* A command's tree counts from its exec on, and a running container's
	 * tasks have long since exec'd: the workload, unless a task just entered
	 * with setns (runc exec) and has not exec'd yet. A new container's task
	 * before its exec is the runtime setting it up. */
	*workload = cfg_mode != CINCH_MODE_NEW_CONTAINERS;
	if (cfg_mode == CINCH_MODE_PIDTREE) {
		if (!pidtree_counts(task, id))
			return false;
	} else {
		bool target = slot_of(task, slot);
		/* A task's first syscall after unshare/setns settles where it went. */
		if (pending_ns_switches && check_ns_switch(task, slot)) {
			target = true;
			*workload = false;
		}
		if (id == nr_unshare || id == nr_setns) {
			task_map_delete(&known_targets, task);
			watch_ns_switch(task, regs, id, target, *slot);
			return target && (cfg_mode != CINCH_MODE_NEW_CONTAINERS || under_seccomp_filter(task));
		}
		if (!target)
			return false;
		if (cfg_mode == CINCH_MODE_NEW_CONTAINERS) {
			if (!under_seccomp_filter(task))
				return false;
			note_filtered(task, *slot);
		}
	}
	__u32 *known = task_map_get_or_create(&known_targets, task);
	if (known)
		*known = (*slot + 1) | (*workload ? CINCH_KNOWN_WORKLOAD : 0);
	return true;
}

/* A target task exec'd a program: from now on it is the workload's. Returns
 * whether it had exec'd before while traced (the exec is then in place). */
static __always_inline bool became_workload(struct task_struct *task, __u32 slot)
{
	__u32 *known = task_map_get_or_create(&known_targets, task);
	if (!known)
		return false;
	bool before = *known & CINCH_KNOWN_EXECED;
	*known = (slot + 1) | CINCH_KNOWN_WORKLOAD | CINCH_KNOWN_EXECED;
	return before;
}

/* A new process of the target, in its parent's namespace: the workload's if
 * its parent is (a process the runtime forks before the exec stays setup). */
static __always_inline void inherit_workload(struct task_struct *parent, struct task_struct *child)
{
	__u32 *from = task_map_get(&known_targets, parent);
	if (!from || !(*from & CINCH_KNOWN_WORKLOAD))
		return;
	__u32 value = *from;
	__u32 *to = task_map_get_or_create(&known_targets, child);
	if (to)
		*to = value;
}

/* Remembers that `task` is not in the target, so that its next syscalls
 * cost a pointer lookup rather than a namespace read and a hash lookup (every
 * task on the machine pays them while a trace runs; bench/RESULTS.md). Only
 * where the answer cannot change behind the task's back: in CINCH_MODE_MNTNS
 * a task enters a target namespace only through setns or unshare, which
 * drop the entry (target_task). A new container's task, by contrast, comes
 * under a filter another thread may install (TSYNC), and a process tree
 * gains pids from user space. */
static __always_inline void remember_not_target(struct task_struct *task, long id)
{
	if (cfg_mode != CINCH_MODE_MNTNS || id == nr_unshare || id == nr_setns)
		return;
	__u32 *known = task_map_get_or_create(&known_targets, task);
	if (known)
		*known = 0;
}

static __always_inline void count_process(__u32 slot)
{
	struct cinch_slot *info = bpf_map_lookup_elem(&slot_info, &slot);
	if (info)
		__sync_fetch_and_add(&info->processes, 1);
}

#endif
