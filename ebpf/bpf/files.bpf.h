/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * files.bpf.h - files and executions of the target as path facts.
 *
 * What is recorded is the absolute path the container sees, walked from the
 * dentry and mount of the file actually touched (path.bpf.h), whatever
 * relative path, dirfd, `..` or symlink was used to reach it. Only a call
 * that leaves no file behind to walk (it failed, or it removes or renames a
 * name) is recorded as [resolved base directory, path as given].
 *
 * Each fact is sent once: a first-seen LRU set keyed by the dentry (or, for
 * a given path, a hash of it) drops repeats before any walk or ring-buffer
 * traffic. An eviction only means a repeat is sent again; user space keeps
 * sets, so nothing is lost or doubled.
 */
#ifndef CINCH_FILES_BPF_H
#define CINCH_FILES_BPF_H

#include "kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "cinch.h"
#include "compat.bpf.h"
#include "output.bpf.h"
#include "task.bpf.h"
#include "target.bpf.h"
#include "pending.bpf.h"
#include "path.bpf.h"

/* First-seen set of file facts. */
struct file_key {
	__u64 dentry; /* dentry walked, or the base directory's */
	__u64 mnt;
	__u64 parent; /* parent dentry, or a hash of the given path */
	__u32 name;   /* the dentry's name hash and length, or the given path's length */
	__u32 access;
	__u32 slot;
	__s32 error;
	__u32 kind;
	__u32 flags;
	__u32 uid; /* the caller's fsuid where user space checks what it needed (CINCH_PATH_UNCHECKED) */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 131072); /* beyond that, evicted repeats are sent again */
	__type(key, struct file_key);
	__type(value, __u8);
} files_seen SEC(".maps");

/* Scratch space (one per CPU): a fact being built, and a walk in progress
 * (written backwards from the end, so it needs no reversing). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cinch_path_fact);
} path_scratch SEC(".maps");

/* FNV-1a of a given name, also kept out of the verifier's exact tracking. */
struct hash_state {
	__u32 at;
	__u32 end;
	__u64 hash;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hash_state);
} hash_scratch SEC(".maps");

/* An empty fact in the per-CPU scratch. */
static __always_inline struct cinch_path_fact *new_path_fact(struct task_struct *task, __u32 kind,
							     __u32 slot, __u32 access, __s32 error)
{
	__u32 zero = 0;
	struct cinch_path_fact *fact = bpf_map_lookup_elem(&path_scratch, &zero);
	if (!fact)
		return 0;
	fact->kind = kind;
	fact->slot = slot;
	fact->access = access;
	fact->error = error;
	fact->flags = 0;
	fact->fs_magic = 0;
	fact->ns_tgid = ns_pid_of(BPF_CORE_READ(task, group_leader));
	fact->ns_tid = ns_pid_of(task);
	fact->tgid = BPF_CORE_READ(task, tgid);
	fact->fsuid = BPF_CORE_READ(task, cred, fsuid.val);
	fact->fsgid = BPF_CORE_READ(task, cred, fsgid.val);
	fact->pad = 0;
	fact->len[0] = fact->len[1] = fact->len[2] = fact->len[3] = 0;
	return fact;
}

/* Sends the fact; when the ring buffer is full it is counted as lost and,
 * if `key` is given, forgotten, so that a later occurrence can try again. */
static __always_inline void send_path_fact(struct cinch_path_fact *fact, __u32 used, struct file_key *key)
{
	__u32 size = (CINCH_PATH_FACT_HEADER + used) & DATA_MASK;
	if (bpf_ringbuf_output(&facts, fact, size, 0)) {
		stat_add(CINCH_STAT_LOST, 1);
		if (key)
			bpf_map_delete_elem(&files_seen, key);
	}
}

/* Marks a fact seen; false if it was already. When the set is full the LRU
 * evicts an old entry, so this never fails for lack of room. */
static __always_inline bool first_seen(struct file_key *key)
{
	/* A lookup first: most calls are repeats, and an LRU update costs a
	 * node even when it finds the key. */
	if (bpf_map_lookup_elem(&files_seen, key))
		return false;
	__u8 one = 1;
	return bpf_map_update_elem(&files_seen, key, &one, BPF_NOEXIST) == 0;
}

/* Records `file` (an open file of the task) with `access`; `given`: the
 * name the call opened it by (a user string for FILE, kept if absolute; a
 * kernel string for EXEC), or 0. */
static __always_inline void record_path(struct task_struct *task, __u32 slot, struct dentry *dentry,
					struct vfsmount *vfsmnt, __u32 access, __u32 kind, __u32 flags,
					const void *given);

static __always_inline void record_file(struct task_struct *task, __u32 slot, struct file *file,
					__u32 access, __u32 kind, __u32 flags, const void *given)
{
	if (!file)
		return;
	record_path(task, slot, BPF_CORE_READ(file, f_path.dentry), BPF_CORE_READ(file, f_path.mnt), access, kind,
		    flags, given);
}

/* Records the file at (dentry, vfsmnt), as record_file does. */
static __always_inline void record_path(struct task_struct *task, __u32 slot, struct dentry *dentry,
					struct vfsmount *vfsmnt, __u32 access, __u32 kind, __u32 flags,
					const void *given)
{
	if (!dentry || !vfsmnt)
		return;
	struct file_key key = {
		.dentry = (__u64)dentry,
		.mnt = (__u64)vfsmnt,
		.parent = (__u64)BPF_CORE_READ(dentry, d_parent),
		.name = (__u32)BPF_CORE_READ(dentry, d_name.hash_len),
		.access = access,
		.slot = slot,
		.kind = kind,
		.flags = flags, /* a fact with other flags is another fact */
	};
	if (kind == CINCH_FACT_FILE && !first_seen(&key))
		return;
	struct cinch_path_fact *fact = new_path_fact(task, kind, slot, access, 0);
	if (!fact)
		return;
	fact->flags |= flags;
	fact->fs_magic = (__u32)BPF_CORE_READ(dentry, d_sb, s_magic);
	if ((BPF_CORE_READ(dentry, d_inode, i_mode) & S_IFMT) == S_IFDIR)
		fact->flags |= CINCH_PATH_DIRECTORY;
	__u32 used = 0;
	fact->len[0] = append_walk(fact, &used, task, dentry, vfsmnt);
	if (kind == CINCH_FACT_FILE && given) {
		__u32 at = used;
		__u32 n = append_user_str(fact, &used, given, 0);
		if (n && fact->data[at & (2 * CINCH_PATH_MAX - 1)] == '/') {
			fact->len[1] = n;
			fact->flags |= CINCH_PATH_GIVEN;
		} else {
			used = at; /* relative to a directory: not a name the image needs */
		}
	}
	if (kind == CINCH_FACT_EXEC) {
		/* argv[0] of the new image, then the executable of the parent
		 * if it belongs to the target too (which tree ran it). */
		const void *argv0 = (const void *)BPF_CORE_READ(task, mm, arg_start);
		fact->len[1] = append_user_str(fact, &used, argv0, 0);
		struct task_struct *parent = BPF_CORE_READ(task, real_parent);
		__u32 parent_slot = 0;
		if (task_slot(parent, &parent_slot) && parent_slot == slot) {
			struct file *exe = BPF_CORE_READ(parent, mm, exe_file);
			if (exe)
				fact->len[2] = append_walk(fact, &used, task, BPF_CORE_READ(exe, f_path.dentry),
							   BPF_CORE_READ(exe, f_path.mnt));
		}
		if (given)
			fact->len[3] = append_str(fact, &used, given, 0, true);
	}
	send_path_fact(fact, used, kind == CINCH_FACT_FILE ? &key : 0);
}

/* One step of hash_data: the next 8 bytes (fewer at the end, the rest
 * masked off), so that a name of CINCH_PATH_MAX takes CINCH_PATH_MAX / 8
 * steps (an older verifier's loop budget; see compat.bpf.h). */
CINCH_LOOP_FN(hash_word)
{
	__u32 zero = 0;
	struct cinch_path_fact *fact = bpf_map_lookup_elem(&path_scratch, &zero);
	struct hash_state *h = bpf_map_lookup_elem(&hash_scratch, &zero);
	if (!fact || !h || h->at >= h->end)
		return 1;
	__u64 word = *(__u64 *)&fact->data[h->at & (DATA_MASK & ~7)];
	__u32 rest = h->end - h->at;
	if (rest < 8)
		word &= (1ULL << (rest * 8)) - 1;
	h->hash = (h->hash ^ word) * 0x100000001b3ULL;
	h->at += 8;
	return 0;
}

/* An FNV-1a-like hash of the first `len` bytes of the fact's data, a word at a time. */
static __always_inline __u64 hash_data(__u32 len)
{
	__u32 zero = 0;
	struct hash_state *h = bpf_map_lookup_elem(&hash_scratch, &zero);
	if (!h)
		return 0;
	h->at = 0;
	h->end = len;
	h->hash = 0xcbf29ce484222325ULL;
	cinch_loop(CINCH_PATH_MAX / 8, hash_word);
	return h->hash;
}

/* Records a name given to a call that leaves no open file to walk:
 * [directory it is relative to, resolved; the name as given]. `flags`:
 * CINCH_PATH_DIRECTORY and CINCH_PATH_UNCHECKED are passed on. */
static __always_inline void record_given(struct task_struct *task, __u32 slot, long dirfd,
					 const void *given, __u32 access, __s32 error, __u32 flags)
{
	struct cinch_path_fact *fact = new_path_fact(task, CINCH_FACT_FILE, slot, access, error);
	if (!fact)
		return;
	fact->flags = CINCH_PATH_UNRESOLVED;
	struct dentry *dentry;
	struct vfsmount *vfsmnt;
	if ((int)dirfd == AT_FDCWD) {
		dentry = BPF_CORE_READ(task, fs, pwd.dentry);
		vfsmnt = BPF_CORE_READ(task, fs, pwd.mnt);
	} else {
		struct file *dir = file_of_fd(task, (int)dirfd);
		if (!dir)
			return;
		dentry = BPF_CORE_READ(dir, f_path.dentry);
		vfsmnt = BPF_CORE_READ(dir, f_path.mnt);
	}
	/* The given name first, to look it up in the first-seen set before
	 * paying for the walk; it is moved behind the base below. */
	__u32 used = 0;
	__u32 given_len = append_user_str(fact, &used, given, CINCH_PATH_TRUNCATED);
	struct file_key key = {
		.dentry = (__u64)dentry,
		.mnt = (__u64)vfsmnt,
		.parent = hash_data(given_len),
		.name = given_len,
		.access = access,
		.slot = slot,
		.error = error,
		.kind = CINCH_FACT_FILE,
		.flags = CINCH_PATH_UNRESOLVED | flags,
		/* Another caller may need what this one did not: checked apart. */
		.uid = (flags & CINCH_PATH_UNCHECKED) ? BPF_CORE_READ(task, cred, fsuid.val) : 0,
	};
	if (!first_seen(&key))
		return;
	/* Strings go [base, given]: the given one is read again after the walk.
	 * A chrooted task's absolute name is resolved from its root, which is
	 * then the base (CINCH_PATH_CHROOTED tells user space). */
	char first = fact->data[0];
	if (first == '/' && task_chrooted(task)) {
		dentry = BPF_CORE_READ(task, fs, root.dentry);
		vfsmnt = BPF_CORE_READ(task, fs, root.mnt);
	}
	used = 0;
	fact->len[0] = append_walk(fact, &used, task, dentry, vfsmnt);
	fact->len[1] = append_user_str(fact, &used, given, CINCH_PATH_TRUNCATED);
	fact->flags |= flags;
	send_path_fact(fact, used, &key);
}

static __always_inline __u32 open_access(__u64 flags)
{
	if (flags & O_PATH)
		return CINCH_ACCESS_PATH;
	__u32 access = 0;
	switch (flags & O_ACCMODE) {
	case O_WRONLY:
		access = CINCH_ACCESS_WRITE;
		break;
	case O_RDWR:
		access = CINCH_ACCESS_READ | CINCH_ACCESS_WRITE;
		break;
	default:
		access = CINCH_ACCESS_READ;
	}
	if (flags & O_APPEND)
		access |= CINCH_ACCESS_APPEND;
	if ((flags & O_TRUNC) && (access & CINCH_ACCESS_WRITE))
		access |= CINCH_ACCESS_TRUNCATE;
	return access;
}

static __always_inline bool in_groups(const struct cred *cred, __u32 gid)
{
	struct group_info *groups = BPF_CORE_READ(cred, group_info);
	int n = BPF_CORE_READ(groups, ngroups);
	for (int i = 0; i < CINCH_MAX_GROUPS; i++) {
		if (i >= n)
			break;
		__u32 g = 0;
		bpf_core_read(&g, sizeof(g), &groups->gid[i].val);
		if (g == gid)
			return true;
	}
	return false;
}

/* The permission bits (rwx, 0-7) `inode`'s owner, group and mode give the
 * task's filesystem ids and groups. */
static __always_inline unsigned int permitted(const struct cred *cred, struct inode *inode)
{
	unsigned int mode = BPF_CORE_READ(inode, i_mode);
	__u32 uid = BPF_CORE_READ(inode, i_uid.val);
	__u32 gid = BPF_CORE_READ(inode, i_gid.val);
	if (BPF_CORE_READ(cred, fsuid.val) == uid)
		return (mode >> 6) & 7;
	if (BPF_CORE_READ(cred, fsgid.val) == gid || in_groups(cred, gid))
		return (mode >> 3) & 7;
	return mode & 7;
}

/* Whether opening `file` for `access` went past its mode bits, or, for a
 * file the open created, its directory's (a capability let it):
 * CINCH_PATH_DAC_OVERRIDE, CINCH_PATH_DAC_READ_SEARCH or 0. */
static __always_inline __u32 dac_needed(struct task_struct *task, struct file *file, __u32 access)
{
	if (!file)
		return 0;
	const struct cred *cred = BPF_CORE_READ(task, cred);
	if (access & CINCH_ACCESS_CREATE) {
		/* Made in its directory: writing and searching it. */
		struct inode *dir = BPF_CORE_READ(file, f_path.dentry, d_parent, d_inode);
		unsigned int perm = permitted(cred, dir);
		if (!(perm & 2))
			return CINCH_PATH_DAC_OVERRIDE;
		return (perm & 1) ? 0 : CINCH_PATH_DAC_READ_SEARCH;
	}
	unsigned int want = 0;
	if (access & (CINCH_ACCESS_READ | CINCH_ACCESS_LIST))
		want |= 4;
	if (access & (CINCH_ACCESS_WRITE | CINCH_ACCESS_APPEND | CINCH_ACCESS_TRUNCATE))
		want |= 2;
	if (!want)
		return 0;
	unsigned int perm = permitted(cred, BPF_CORE_READ(file, f_path.dentry, d_inode));
	if (!(want & ~perm))
		return 0;
	return (want & 2) ? CINCH_PATH_DAC_OVERRIDE : CINCH_PATH_DAC_READ_SEARCH;
}

/* What changing `file`'s mode asked for: CINCH_PATH_FOWNER when the
 * caller's fsuid is not the file's owner (the kernel let it on CAP_FOWNER),
 * CINCH_PATH_FSETID when it is not in the file's group. */
static __always_inline __u32 chmod_needed(struct task_struct *task, struct file *file)
{
	if (!file)
		return 0;
	struct inode *inode = BPF_CORE_READ(file, f_path.dentry, d_inode);
	const struct cred *cred = BPF_CORE_READ(task, cred);
	__u32 gid = BPF_CORE_READ(inode, i_gid.val);
	__u32 needed = 0;
	if (BPF_CORE_READ(cred, fsuid.val) != BPF_CORE_READ(inode, i_uid.val))
		needed |= CINCH_PATH_FOWNER;
	if (BPF_CORE_READ(cred, fsgid.val) != gid && !in_groups(cred, gid))
		needed |= CINCH_PATH_FSETID;
	return needed;
}

/* An open returned: the file it opened, or the name it failed on. */
static __always_inline void opened(struct task_struct *task, struct pending_call *c, long ret)
{
	long dirfd = AT_FDCWD;
	const void *given;
	__u64 flags;
	if (c->nr == nr_open) {
		given = (const void *)c->args[0];
		flags = c->args[1];
	} else if (c->nr == nr_creat) {
		given = (const void *)c->args[0];
		flags = O_CREAT | O_WRONLY | O_TRUNC;
	} else {
		dirfd = (long)(int)c->args[0];
		given = (const void *)c->args[1];
		flags = c->args[2];
	}
	__u32 access = open_access(flags);
	if (ret < 0) {
		record_given(task, c->slot, dirfd, given, access, (__s32)-ret, 0);
		return;
	}
	struct file *file = file_of_fd(task, ret);
	if (file && (flags & O_CREAT) && (BPF_CORE_READ(file, f_mode) & FMODE_CREATED))
		access |= CINCH_ACCESS_CREATE;
	record_file(task, c->slot, file, access, CINCH_FACT_FILE, dac_needed(task, file, access), given);
}

#endif
