/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * compat.bpf.h - the kernel features that are not everywhere, each behind one
 * macro, so that one source makes both objects the loader chooses from:
 *
 *   cinch.bpf.o         task-local storage, bpf_loop, bpf_find_vma and
 *                       bpf_get_current_task_btf (all in Linux 5.17 and later)
 *   cinch-compat.bpf.o  built with -DCINCH_COMPAT, for kernels without them
 *                       (Debian 11's 5.10): per-task state in an LRU hash
 *                       keyed by the task's address (dropped at the task's
 *                       exit), plain bounded loops over global functions
 *                       (the verifier checks each once), the mm's vma list,
 *                       bpf_get_current_task
 *
 * What the compatibility object cannot give: paths deeper than
 * CINCH_COMPAT_PATH_DEPTH directories are marked truncated (the loop must
 * stay inside the old verifier's budget); user space names this, and the
 * trace lists the missing features (host.kernel_lacks).
 */
#ifndef CINCH_COMPAT_BPF_H
#define CINCH_COMPAT_BPF_H

#include "kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "cinch.h"

#ifndef CINCH_COMPAT

/* Per-task state: in the task itself (a pointer lookup). */
#define CINCH_TASK_MAP(name, value_type)                \
	struct {                                        \
		__uint(type, BPF_MAP_TYPE_TASK_STORAGE); \
		__uint(map_flags, BPF_F_NO_PREALLOC);    \
		__type(key, int);                        \
		__type(value, value_type);               \
	} name SEC(".maps")

#define task_map_get(map, task) bpf_task_storage_get(map, task, 0, 0)
#define task_map_get_or_create(map, task) bpf_task_storage_get(map, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE)
#define task_map_delete(map, task) bpf_task_storage_delete(map, task)

#define current_task() bpf_get_current_task_btf()

/* Declares a loop body, `long name(__u64 index, ...)`, returning 1 to stop. */
#define CINCH_LOOP_FN(name) static long name(__u64 index, void *unused)
#define cinch_loop(n, fn) bpf_loop(n, fn, 0, 0)

/* Directory levels a walk follows at most. */
#define CINCH_WALK_DEPTH CINCH_PATH_DEPTH

#else

/* Tasks whose state is kept at once; the least recently used goes first
 * (a known-target answer is then computed again). */
#define CINCH_COMPAT_TASKS 65536

#define CINCH_TASK_MAP(name, value_type)                \
	struct {                                        \
		__uint(type, BPF_MAP_TYPE_LRU_HASH);     \
		__uint(max_entries, CINCH_COMPAT_TASKS); \
		__type(key, __u64);                      \
		__type(value, value_type);               \
	} name SEC(".maps")

static __always_inline void *compat_task_get(void *map, struct task_struct *task, bool create)
{
	__u64 key = (__u64)task;
	void *value = bpf_map_lookup_elem(map, &key);
	if (value || !create)
		return value;
	/* A zeroed value, as task storage creates it (the largest value kept). */
	__u64 zero[8] = {};
	bpf_map_update_elem(map, &key, zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(map, &key);
}

#define task_map_get(map, task) compat_task_get(map, task, false)
#define task_map_get_or_create(map, task) compat_task_get(map, task, true)
#define task_map_delete(map, task)                           \
	({                                                   \
		__u64 compat_key = (__u64)(task);            \
		bpf_map_delete_elem(map, &compat_key);       \
	})

#define current_task() ((struct task_struct *)bpf_get_current_task())

/* Global (not static): the verifier checks a global function once, not at
 * every iteration of the loop that calls it. Its one argument is a scalar. */
#define CINCH_LOOP_FN(name) __attribute__((noinline)) long name(__u64 index)
#define cinch_loop(n, fn)                               \
	({                                              \
		for (__u32 compat_i = 0; compat_i < (n); compat_i++) \
			if (fn(compat_i))               \
				break;                  \
	})

#define CINCH_WALK_DEPTH CINCH_COMPAT_PATH_DEPTH

#endif

#endif
