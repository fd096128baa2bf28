/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * output.bpf.h - what reaches user space: the ring buffer of first-seen facts
 * and the statistics (stats[CINCH_STAT_LOST] counts every fact that could be
 * neither delivered nor remembered, so a trace is never silently incomplete).
 */
#ifndef CINCH_OUTPUT_BPF_H
#define CINCH_OUTPUT_BPF_H

#include "kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "cinch.h"

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

#endif
