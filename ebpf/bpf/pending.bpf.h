/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * pending.bpf.h - calls whose outcome decides what is recorded (opens, calls
 * that name files, bind/connect/listen), kept per thread in task-local
 * storage from sys_enter to sys_exit.
 */
#ifndef CINCH_PENDING_BPF_H
#define CINCH_PENDING_BPF_H

#include "kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "cinch.h"
#include "compat.bpf.h"
#include "output.bpf.h"

/* A call whose outcome decides what is recorded, kept from sys_enter to
 * sys_exit of the same thread. */
struct pending_call {
	__s64 nr;
	__u32 slot;
	__u32 busy; /* 1 while the thread is inside the call */
	__u64 args[5];
};

/* One per thread, in the task itself (task storage; a hash by task in the
 * compat object): a lookup, not a map update and delete per call. */
CINCH_TASK_MAP(pending_calls, struct pending_call);

/* Threads inside a pending call. sys_exit and process exit run for every
 * task on the machine: while this is zero they return without a lookup. */
__u64 pending_call_count = 0;

/* Takes `task`'s pending call, if it has one: true and the call in *out. */
static __always_inline bool take_pending_call(struct task_struct *task, struct pending_call *out)
{
	if (!pending_call_count)
		return false;
	struct pending_call *p = task_map_get(&pending_calls, task);
	if (!p || !p->busy)
		return false;
	*out = *p;
	p->busy = 0;
	__sync_fetch_and_add(&pending_call_count, -1);
	return true;
}

/* Forgets `task`'s pending call, if any. */
static __always_inline void drop_pending_call(struct task_struct *task)
{
	struct pending_call ignored;
	take_pending_call(task, &ignored);
}

#endif
