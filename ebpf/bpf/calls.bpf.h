/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * calls.bpf.h - what sys_enter and sys_exit do with a call of the target that
 * touches files or sockets: calls on an open fd are recorded at sys_enter,
 * calls whose outcome matters are kept (pending.bpf.h) until sys_exit.
 */
#ifndef CINCH_CALLS_BPF_H
#define CINCH_CALLS_BPF_H

#include "kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "cinch.h"
#include "config.bpf.h"
#include "pending.bpf.h"
#include "files.bpf.h"
#include "net.bpf.h"

/* Calls that look a name up without opening it. */
static __always_inline bool is_stat_call(long id)
{
	return id == nr_stat || id == nr_lstat || id == nr_newfstatat || id == nr_statx || id == nr_access ||
	       id == nr_faccessat || id == nr_faccessat2;
}

static __always_inline bool is_pending_call(long id)
{
	return id == nr_open || id == nr_openat || id == nr_openat2 || id == nr_creat || id == nr_execve ||
	       id == nr_execveat || id == nr_fchmod || id == nr_chmod || id == nr_fchmodat || id == nr_fchmodat2 ||
	       id == nr_chown || id == nr_lchown || id == nr_fchownat || id == nr_truncate ||
	       id == nr_unlink || id == nr_unlinkat || id == nr_rmdir || id == nr_rename ||
	       id == nr_renameat || id == nr_renameat2 || id == nr_link || id == nr_linkat ||
	       id == nr_symlink || id == nr_symlinkat || id == nr_mkdir || id == nr_mkdirat ||
	       id == nr_mknod || id == nr_mknodat || id == nr_bind || id == nr_listen || id == nr_connect ||
	       is_stat_call(id);
}

/* A target task entered syscall `id`: calls on an open fd are recorded now;
 * calls whose outcome matters wait for sys_exit. */
static __always_inline void calls_sys_enter(struct task_struct *task, struct pt_regs *regs, long id, __u32 slot)
{
	if (id == nr_mmap) {
		if (PT_REGS_PARM3_CORE_SYSCALL(regs) & PROT_EXEC)
			record_file(task, slot, file_of_fd(task, (long)(int)PT_REGS_PARM5_CORE_SYSCALL(regs)),
				    CINCH_ACCESS_MMAP_EXEC, CINCH_FACT_FILE, 0, 0);
		return;
	}
	if (id == nr_getdents || id == nr_getdents64 || id == nr_fchown || id == nr_ftruncate) {
		__u32 access = id == nr_fchown ? CINCH_ACCESS_CHOWN
			       : id == nr_ftruncate ? CINCH_ACCESS_TRUNCATE
						    : CINCH_ACCESS_LIST;
		record_file(task, slot, file_of_fd(task, (long)(int)PT_REGS_PARM1_CORE_SYSCALL(regs)), access,
			    CINCH_FACT_FILE, 0, 0);
		return;
	}
	if (id == nr_flock || id == nr_fcntl) {
		/* A lock taken: flock without LOCK_UN, or fcntl's set-lock commands
		 * (F_SETLK, F_SETLKW and their open-file-description forms). */
		long op = (long)(int)PT_REGS_PARM2_CORE_SYSCALL(regs);
		bool locks = id == nr_flock ? (op & (LOCK_SH | LOCK_EX)) != 0
					    : op == F_SETLK || op == F_SETLKW || op == F_OFD_SETLK || op == F_OFD_SETLKW;
		if (locks)
			record_file(task, slot, file_of_fd(task, (long)(int)PT_REGS_PARM1_CORE_SYSCALL(regs)),
				    CINCH_ACCESS_LOCK, CINCH_FACT_FILE, 0, 0);
		return;
	}
	if (!is_pending_call(id))
		return;
	struct pending_call call = {
		.nr = id,
		.slot = slot,
		.args = {
			PT_REGS_PARM1_CORE_SYSCALL(regs),
			PT_REGS_PARM2_CORE_SYSCALL(regs),
			PT_REGS_PARM3_CORE_SYSCALL(regs),
			PT_REGS_PARM4_CORE_SYSCALL(regs),
			PT_REGS_PARM5_CORE_SYSCALL(regs),
		},
	};
	if (id == nr_openat2) {
		/* The flags are the first u64 of struct open_how. */
		__u64 flags = 0;
		bpf_probe_read_user(&flags, sizeof(flags), (void *)call.args[2]);
		call.args[2] = flags;
	}
	struct pending_call *p = task_map_get_or_create(&pending_calls, task);
	if (!p) {
		stat_add(CINCH_STAT_LOST, 1); /* no memory for the thread's storage */
		return;
	}
	if (!p->busy)
		__sync_fetch_and_add(&pending_call_count, 1);
	call.busy = 1;
	*p = call;
}

/* A call naming files by path returned: each name with what was done to it. */
static __always_inline void named(struct task_struct *task, struct pending_call *c, long ret)
{
	__s32 error = ret < 0 ? (__s32)-ret : 0;
	/* A success by name: user space checks what it needed (CINCH_PATH_UNCHECKED). */
	__u32 check = error ? 0 : CINCH_PATH_UNCHECKED;
	__s64 nr = c->nr;
	__u64 *a = c->args;
	if (nr == nr_execve) {
		if (error) /* success is recorded by files_exec */
			record_given(task, c->slot, AT_FDCWD, (void *)a[0], CINCH_ACCESS_EXEC, error, 0);
	} else if (nr == nr_execveat) {
		if (error)
			record_given(task, c->slot, a[0], (void *)a[1], CINCH_ACCESS_EXEC, error, 0);
	} else if (nr == nr_fchmod) {
		/* Kept to sys_exit: a refused fchmod needed no capability. */
		struct file *file = file_of_fd(task, (long)(int)a[0]);
		record_file(task, c->slot, file, CINCH_ACCESS_CHMOD, CINCH_FACT_FILE,
			    error ? 0 : chmod_needed(task, file), 0);
	} else if (nr == nr_chmod) {
		record_given(task, c->slot, AT_FDCWD, (void *)a[0], CINCH_ACCESS_CHMOD, error, check);
	} else if (nr == nr_fchmodat || nr == nr_fchmodat2) {
		record_given(task, c->slot, a[0], (void *)a[1], CINCH_ACCESS_CHMOD, error, check);
	} else if (nr == nr_chown || nr == nr_lchown) {
		record_given(task, c->slot, AT_FDCWD, (void *)a[0], CINCH_ACCESS_CHOWN, error, 0);
	} else if (nr == nr_fchownat) {
		record_given(task, c->slot, a[0], (void *)a[1], CINCH_ACCESS_CHOWN, error, 0);
	} else if (nr == nr_truncate) {
		record_given(task, c->slot, AT_FDCWD, (void *)a[0], CINCH_ACCESS_TRUNCATE, error, check);
	} else if (nr == nr_unlink || nr == nr_rmdir) {
		record_given(task, c->slot, AT_FDCWD, (void *)a[0], CINCH_ACCESS_DELETE, error,
			     check | (nr == nr_rmdir ? CINCH_PATH_DIRECTORY : 0));
	} else if (nr == nr_unlinkat) {
		record_given(task, c->slot, a[0], (void *)a[1], CINCH_ACCESS_DELETE, error,
			     check | (((int)a[2] & AT_REMOVEDIR) ? CINCH_PATH_DIRECTORY : 0));
	} else if (nr == nr_rename) {
		record_given(task, c->slot, AT_FDCWD, (void *)a[0], CINCH_ACCESS_RENAME, error, check);
		record_given(task, c->slot, AT_FDCWD, (void *)a[1], CINCH_ACCESS_CREATE, error, check);
	} else if (nr == nr_renameat || nr == nr_renameat2) {
		record_given(task, c->slot, a[0], (void *)a[1], CINCH_ACCESS_RENAME, error, check);
		record_given(task, c->slot, a[2], (void *)a[3], CINCH_ACCESS_CREATE, error, check);
	} else if (nr == nr_link) {
		record_given(task, c->slot, AT_FDCWD, (void *)a[1], CINCH_ACCESS_LINK, error, check);
	} else if (nr == nr_linkat) {
		record_given(task, c->slot, a[2], (void *)a[3], CINCH_ACCESS_LINK, error, check);
	} else if (nr == nr_symlink) {
		record_given(task, c->slot, AT_FDCWD, (void *)a[1], CINCH_ACCESS_CREATE, error, check);
	} else if (nr == nr_symlinkat) {
		record_given(task, c->slot, a[1], (void *)a[2], CINCH_ACCESS_CREATE, error, check);
	} else if (nr == nr_mkdir || nr == nr_mknod) {
		record_given(task, c->slot, AT_FDCWD, (void *)a[0], CINCH_ACCESS_CREATE, error,
			     check | (nr == nr_mkdir ? CINCH_PATH_DIRECTORY : 0));
	} else if (nr == nr_mkdirat || nr == nr_mknodat) {
		record_given(task, c->slot, a[0], (void *)a[1], CINCH_ACCESS_CREATE, error,
			     check | (nr == nr_mkdirat ? CINCH_PATH_DIRECTORY : 0));
	} else if (is_stat_call(nr)) {
		/* Only what was there: a directory or file the workload checks for
		 * must be in an image; a failed probe says nothing it needs. An
		 * empty name with AT_EMPTY_PATH is an fstat, already known. */
		bool at = !(nr == nr_stat || nr == nr_lstat || nr == nr_access);
		const void *name = (const void *)(at ? a[1] : a[0]);
		char first = 0;
		if (error || bpf_probe_read_user(&first, 1, name) || !first)
			return;
		/* A stat is kept only for a directory (its mode in the caller's
		 * buffer): what an image must create; files are copied for being
		 * read, and most stats are of files. An access call has no mode. */
		bool directory = false;
		if (nr != nr_access && nr != nr_faccessat && nr != nr_faccessat2) {
			const char *buf = nr == nr_statx ? (const char *)a[4] + STATX_MODE_OFFSET
				       : (const char *)(nr == nr_newfstatat ? a[2] : a[1]) + STAT_MODE_OFFSET;
			__u16 mode = 0;
			if (bpf_probe_read_user(&mode, sizeof(mode), buf) || (mode & S_IFMT) != S_IFDIR)
				return;
			directory = true;
		}
		record_given(task, c->slot, at ? (long)a[0] : AT_FDCWD, name, CINCH_ACCESS_STAT, 0, directory ? CINCH_PATH_DIRECTORY : 0);
	} else if (nr == nr_bind) {
		record_sockaddr(task, c->slot, CINCH_NET_BIND, a[0], (void *)a[1], a[2], error);
	} else if (nr == nr_connect) {
		/* A non-blocking connect in progress is a connect. */
		record_sockaddr(task, c->slot, CINCH_NET_CONNECT, a[0], (void *)a[1], a[2],
				error == EINPROGRESS ? 0 : error);
	} else if (nr == nr_listen) {
		record_listen(task, c->slot, a[0], error);
	}
}

/* Any task left a syscall: finish a call calls_sys_enter kept. */
static __always_inline void calls_sys_exit(struct task_struct *task, long ret)
{
	struct pending_call call;
	if (!take_pending_call(task, &call))
		return;
	if (call.nr == nr_open || call.nr == nr_openat || call.nr == nr_openat2 || call.nr == nr_creat)
		opened(task, &call, ret);
	else
		named(task, &call, ret);
}

#endif
