/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * refusals.bpf.h - calls the seccomp filter refused, for `cinch watch`.
 *
 * The kernel runs seccomp before the sys_enter tracepoint: a call the filter
 * answers with an errno never reaches sys_enter, yet it leaves through
 * sys_exit with minus that errno in its return value (measured on this
 * project's kernels). So each traced thread remembers the number of the call
 * it entered; a sys_exit with a negative return and no entered call is a
 * refusal. A thread seen for the first time at sys_exit (it was inside a
 * call when the tracer attached) has no entry yet and is skipped.
 *
 * Only with cfg_refusals set: a trace pays nothing for it.
 */
#ifndef CINCH_REFUSALS_BPF_H
#define CINCH_REFUSALS_BPF_H

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

#define CINCH_NOT_IN_CALL (-1)

/* The call each traced thread is inside, or CINCH_NOT_IN_CALL. */
CINCH_TASK_MAP(entered_calls, __s64);

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CINCH_MAX_REFUSALS);
	__type(key, struct cinch_refusal);
	__type(value, __u64);
} refusals SEC(".maps");

/* Names the ring buffer's record type in the object's BTF, which the ABI
 * check reads (ebpf/src/abi/check.rs): an inlined local's type is not kept. */
struct cinch_refusal_fact *const volatile refusal_fact_type = 0;

/* sys_enter of a traced thread: the call passed the filter. */
static __always_inline void refusals_sys_enter(struct task_struct *task, long nr)
{
	if (!cfg_refusals)
		return;
	__s64 *entered = task_map_get_or_create(&entered_calls, task);
	if (entered)
		*entered = nr;
	else
		stat_add(CINCH_STAT_LOST, 1);
}

static __always_inline void count_refusal(struct task_struct *task, struct pt_regs *regs, long nr, long ret,
					  __u32 slot)
{
	struct cinch_refusal key = {
		.slot = slot,
		.nr = (__u32)nr,
		.error = (__s32)-ret,
		.tgid = BPF_CORE_READ(task, tgid),
		.ns_tgid = ns_pid_of(BPF_CORE_READ(task, group_leader)),
	};
	__u64 one = 1;
	if (!bpf_map_update_elem(&refusals, &key, &one, BPF_NOEXIST)) {
		struct cinch_refusal_fact *out = bpf_ringbuf_reserve(&facts, sizeof(*out), 0);
		if (out) {
			out->kind = CINCH_FACT_REFUSED;
			out->pad = 0;
			out->key = key;
			bpf_get_current_comm(out->comm, sizeof(out->comm));
			bpf_ringbuf_submit(out, 0);
		} else {
			stat_add(CINCH_STAT_LOST, 1);
		}
		/* The arguments are still in the registers: a profile made from
		 * the refusal gets the argument rules right (socket, clone). */
		if (nr >= 0 && nr < CINCH_MAX_SYSCALLS)
			record_args(regs, nr, slot);
		return;
	}
	__u64 *count = bpf_map_lookup_elem(&refusals, &key);
	if (count)
		__sync_fetch_and_add(count, 1);
	else
		stat_add(CINCH_STAT_LOST, 1); /* refusals is full */
}

/* sys_exit of any thread: counts the call if the filter refused it. */
static __always_inline void refusals_sys_exit(struct task_struct *task, struct pt_regs *regs, long ret)
{
	if (!cfg_refusals)
		return;
	__u32 *known = task_map_get(&known_targets, task);
	if (!known || !*known)
		return;
	__s64 *entered = task_map_get(&entered_calls, task);
	if (!entered)
		return; /* inside a call since before the tracer attached */
	long nr = SYSCALL_NR(regs);
	if (*entered == CINCH_NOT_IN_CALL && ret < 0 && ret >= -4095)
		count_refusal(task, regs, nr, ret, (*known & CINCH_KNOWN_SLOT_MASK) - 1);
	*entered = CINCH_NOT_IN_CALL;
}

#endif
