/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * task.bpf.h - what is read of a task with CO-RE: its mount namespace, its ids
 * as its own pid namespace sees them, the file behind one of its descriptors,
 * and whether it runs under a seccomp filter.
 */
#ifndef CINCH_TASK_BPF_H
#define CINCH_TASK_BPF_H

#include "kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "cinch.h"

static __always_inline __u32 mntns_of(struct task_struct *task)
{
	return BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
}

static __always_inline __u32 ns_pid_of(struct task_struct *task)
{
	struct pid *pid = BPF_CORE_READ(task, thread_pid);
	unsigned int level = BPF_CORE_READ(pid, level);
	int nr = 0;
	bpf_core_read(&nr, sizeof(nr), &pid->numbers[level].nr);
	return nr;
}

static __always_inline struct file *file_of_fd(struct task_struct *task, long fd)
{
	if (fd < 0)
		return 0;
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	if ((unsigned long)fd >= BPF_CORE_READ(fdt, max_fds))
		return 0;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *file = 0;
	bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
	return file;
}

/* The syscall passed the task's seccomp filter (the tracepoint fires after
 * seccomp), so a profile must allow it. Per task: runc installs the filter on
 * one thread only, and the others never reach the workload. */
static __always_inline bool under_seccomp_filter(struct task_struct *task)
{
	return BPF_CORE_READ(task, seccomp.mode) == SECCOMP_MODE_FILTER;
}

#endif
