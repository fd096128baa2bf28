/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * exec.bpf.h - a program the target executed (sched_process_exec): the file,
 * argv[0], the parent's executable, and the dynamic loader the kernel mapped.
 */
#ifndef CINCH_EXEC_BPF_H
#define CINCH_EXEC_BPF_H

#include "kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "cinch.h"
#include "pending.bpf.h"
#include "files.bpf.h"

#ifndef CINCH_COMPAT
struct found_file {
	__u64 file;
};

static long vma_file(struct task_struct *task, struct vm_area_struct *vma, struct found_file *found)
{
	found->file = (__u64)BPF_CORE_READ(vma, vm_file);
	return 0;
}
#endif

/* The program interpreter (ld.so) the kernel mapped for the new image, found
 * from AT_BASE in the saved auxiliary vector; 0 for a static program. */
static __always_inline struct file *interpreter_of(struct task_struct *task)
{
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	unsigned long base = 0;
	for (int i = 0; i < 32; i++) {
		unsigned long pair[2] = {};
		if (bpf_core_read(pair, sizeof(pair), &mm->saved_auxv[2 * i]))
			break;
		if (pair[0] == AT_NULL)
			break;
		if (pair[0] == AT_BASE) {
			base = pair[1];
			break;
		}
	}
	if (!base)
		return 0;
#ifndef CINCH_COMPAT
	struct found_file found = {};
	bpf_find_vma(task, base, vma_file, &found, 0);
	return (struct file *)found.file;
#else
	/* No bpf_find_vma: the vma list, in address order; a fresh image has
	 * a handful of mappings below the loader's. Kernels from 6.1 on keep
	 * vmas in a maple tree instead (and have bpf_find_vma: this object
	 * runs there only when forced, without this fact). */
	if (!bpf_core_field_exists(mm->mmap))
		return 0;
	struct vm_area_struct *vma = BPF_CORE_READ(mm, mmap);
	for (int i = 0; i < 64 && vma; i++) {
		if (BPF_CORE_READ(vma, vm_start) <= base && base < BPF_CORE_READ(vma, vm_end))
			return BPF_CORE_READ(vma, vm_file);
		vma = BPF_CORE_READ(vma, vm_next);
	}
	return 0;
#endif
}

/* A target task executed a program; `in_place`: it had exec'd before while
 * traced (an entrypoint script's `exec "$@"`: the workload ran it). */
static __always_inline void record_exec(struct task_struct *task, struct linux_binprm *bprm, __u32 slot,
					bool in_place)
{
	/* The exec succeeded: its sys_exit (0) has nothing to add. */
	drop_pending_call(task);
	/* bprm->filename: the name given to execve, what a symbolic link was
	 * reached by; bprm->interp is another string once a script's #! line
	 * named the interpreter that bprm->file now is. */
	const char *filename = BPF_CORE_READ(bprm, filename);
	__u32 flags = in_place ? CINCH_PATH_IN_PLACE : 0;
	if (BPF_CORE_READ(bprm, interp) != filename)
		flags |= CINCH_PATH_SCRIPT;
	record_file(task, slot, BPF_CORE_READ(bprm, file), CINCH_ACCESS_EXEC, CINCH_FACT_EXEC, flags, filename);
	/* The kernel, not the program, mapped the dynamic loader: no mmap call
	 * shows it, so it is recorded here, as read and mapped executable. */
	struct file *interp = interpreter_of(task);
	if (interp)
		record_file(task, slot, interp, CINCH_ACCESS_READ | CINCH_ACCESS_MMAP_EXEC, CINCH_FACT_FILE, 0, 0);
}

#endif
