/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * syscalls.bpf.h - what is kept of each syscall of the target: a per-CPU
 * counter per slot and number, and, sent once through the ring buffer, the
 * argument values seccomp rules care about (CINCH_RECORDED_ARGS in cinch.h).
 */
#ifndef CINCH_SYSCALLS_BPF_H
#define CINCH_SYSCALLS_BPF_H

#include "kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "cinch.h"
#include "config.bpf.h"
#include "output.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2 * CINCH_MAX_SLOTS * CINCH_MAX_SYSCALLS); /* all calls, then setup calls */
	__type(key, __u32);
	__type(value, __u64);
} syscall_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, struct cinch_fact);
	__type(value, __u8);
} facts_seen SEC(".maps");

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
	__u32 count = 0;
#define CINCH_ARG_COUNT(name, n) \
	if (nr == nr_##name)     \
		count = n;
	CINCH_RECORDED_ARGS(CINCH_ARG_COUNT)
#undef CINCH_ARG_COUNT
	if (!count)
		return;

	struct cinch_fact fact = { .kind = CINCH_FACT_ARGS, .nr = (__u32)nr, .slot = slot };
	if (nr == nr_clone3) {
		/* The flags are the first u64 of struct clone_args in user memory.
		 * An unreadable struct makes the call fail with EFAULT: no need. */
		__u64 uargs = PT_REGS_PARM1_CORE_SYSCALL(regs);
		if (bpf_probe_read_user(&fact.args[0], sizeof(fact.args[0]), (void *)uargs))
			return;
	} else {
		fact.args[0] = PT_REGS_PARM1_CORE_SYSCALL(regs);
		if (count > 1)
			fact.args[1] = PT_REGS_PARM2_CORE_SYSCALL(regs);
		if (count > 2)
			fact.args[2] = PT_REGS_PARM3_CORE_SYSCALL(regs);
	}
	report_fact(&fact);
}

#endif
