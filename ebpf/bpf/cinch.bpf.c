// SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0)
/*
 * cinch.bpf.c - records what one target (a container or a process tree) asks
 * of the kernel.
 *
 * Everything is aggregated here, in the kernel: each syscall of the target
 * bumps a per-CPU counter of its slot (its container) and nothing else. Only
 * facts seen for the first time (argument values of the few syscalls whose
 * arguments matter to seccomp rules, out-of-range syscall numbers, and the
 * files, executions and socket addresses) travel to user
 * space through the ring buffer. Anything that cannot be delivered or remembered is counted in
 * stats[CINCH_STAT_LOST] so that a trace can never be silently incomplete.
 *
 * Only tracepoints are used (tp_btf): fentry, kprobes and BPF-LSM are not
 * available on every machine cinch runs on.
 *
 * This file holds only the entry points; each header holds one concern:
 *   cinch.h         the ABI shared with user space (the Rust mirror is checked against it)
 *   kernel.h        the kernel types and constants used, for CO-RE
 *   config.bpf.h    load-time configuration (cfg_*, nr_* syscall numbers)
 *   output.bpf.h    the ring buffer and the statistics
 *   task.bpf.h      what is read of a task (namespace, ids, fds, seccomp mode)
 *   target.bpf.h    which tasks are traced, in which slot (container)
 *   syscalls.bpf.h  per-syscall counters and recorded argument values
 *   pending.bpf.h   calls kept from sys_enter to sys_exit
 *   path.bpf.h      the dentry walk that makes absolute paths
 *   files.bpf.h     file facts; net.bpf.h socket facts; exec.bpf.h executions
 *   calls.bpf.h     which calls on files and sockets are recorded, and how
 *   refusals.bpf.h  calls the seccomp filter refused (cinch watch)
 *   signals.bpf.h   signals to another user's processes (CAP_KILL)
 *   compat.bpf.h    the features older kernels lack, behind macros (two objects)
 */
#include "kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "cinch.h"
#include "compat.bpf.h"
#include "config.bpf.h"
#include "output.bpf.h"
#include "task.bpf.h"
#include "target.bpf.h"
#include "syscalls.bpf.h"
#include "pending.bpf.h"
#include "files.bpf.h"
#include "net.bpf.h"
#include "exec.bpf.h"
#include "calls.bpf.h"
#include "refusals.bpf.h"
#include "signals.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tp_btf/sys_enter")
int BPF_PROG(cinch_sys_enter, struct pt_regs *regs, long id)
{
	struct task_struct *task = current_task();
	__u32 slot = 0;

	__u32 *known = task_map_get(&known_targets, task);
	bool settled = known && id != nr_unshare && id != nr_setns;
	bool workload;
	if (settled && *known) {
		slot = (*known & CINCH_KNOWN_SLOT_MASK) - 1;
		workload = *known & CINCH_KNOWN_WORKLOAD;
	} else if (settled && cfg_mode == CINCH_MODE_MNTNS) {
		return 0; /* known not to be in the target (see known_targets) */
	} else if (!target_task(task, regs, id, &slot, &workload)) {
		remember_not_target(task, id);
		return 0;
	}

	refusals_sys_enter(task, id);
	if (id < 0 || id >= CINCH_MAX_SYSCALLS) {
		struct cinch_fact fact = { .kind = CINCH_FACT_RAW_NR, .nr = (__u32)id, .slot = slot };
		report_fact(&fact);
		return 0;
	}

	__u32 key = slot * CINCH_MAX_SYSCALLS + (__u32)id;
	__u64 *count = bpf_map_lookup_elem(&syscall_counts, &key);
	if (count)
		*count += 1;
	if (!workload) {
		key += CINCH_MAX_SLOTS * CINCH_MAX_SYSCALLS;
		count = bpf_map_lookup_elem(&syscall_counts, &key);
		if (count)
			*count += 1;
	}

	record_args(regs, id, slot);
	calls_sys_enter(task, regs, id, slot);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(cinch_sys_exit, struct pt_regs *regs, long ret)
{
	struct task_struct *task = current_task();
	calls_sys_exit(task, ret);
	refusals_sys_exit(task, regs, ret);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(cinch_exec, struct task_struct *task, int old_pid, struct linux_binprm *bprm)
{
	__u32 slot = 0;
	if (task_slot(task, &slot)) {
		bool in_place = became_workload(task, slot);
		record_exec(task, bprm, slot, in_place);
	}
	return 0;
}

SEC("tp_btf/signal_generate")
int BPF_PROG(cinch_signal, int sig, struct kernel_siginfo *info, struct task_struct *target, int group, int result)
{
	struct task_struct *task = current_task();
	__u32 slot = 0;
	if (task_slot(task, &slot))
		record_signal(task, target, info, sig, slot);
	return 0;
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
	if (child_ns != mntns_of(parent)) {
		if (follow_mntns(parent, child_ns, &slot, true) && !target)
			count_process(slot);
	} else if (target) {
		inherit_workload(parent, child);
	}
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(cinch_exit, struct task_struct *task)
{
	/* A thread that dies inside a syscall never reaches its sys_exit. */
	drop_pending_call(task);
#ifdef CINCH_COMPAT
	/* Task storage goes with the task; these hash entries must be dropped. */
	task_map_delete(&known_targets, task);
	task_map_delete(&pending_calls, task);
	task_map_delete(&entered_calls, task);
#endif
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
