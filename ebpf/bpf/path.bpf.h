/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * path.bpf.h - the absolute path of a dentry in its mount namespace, walked in
 * the kernel up to the task's root (the container's pivot_root), or, for a
 * chrooted task, on past it to the namespace's root (what AppArmor and the
 * image see), crossing mount points through struct mount, in a bpf_loop; and
 * user strings appended to a path fact. bpf_d_path is not used: it needs
 * fentry or LSM.
 */
#ifndef CINCH_PATH_BPF_H
#define CINCH_PATH_BPF_H

#include "kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "cinch.h"
#include "compat.bpf.h"

/* A walk in progress. Its state lives here, in a map, rather than on the
 * stack: the verifier then sees unknown values at each step of the loop
 * instead of a new exact offset, and checks the step once, not per length. */
struct walk_buf {
	__u64 dentry;
	__u64 vfsmnt;
	__u64 root_dentry;
	__u64 root_mnt;
	__u32 off; /* the path so far is bytes[off .. CINCH_PATH_MAX) */
	__u32 flags;
	__u32 done;
	__u32 chrooted; /* the task's root is not its namespace's: walk past it */
	char bytes[CINCH_PATH_MAX + 256];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct walk_buf);
} walk_scratch SEC(".maps");

#define PATH_MASK (CINCH_PATH_MAX - 1)
#define DATA_MASK (CINCH_PATH_DATA - 1)

static __always_inline struct mount *real_mount(struct vfsmount *vfsmnt)
{
	return (struct mount *)((void *)vfsmnt - bpf_core_field_offset(struct mount, mnt));
}

/* Whether `mnt` is the root a mount namespace shows: the mount on the root
 * of the hidden top mount (rootfs, or its copy in a new namespace), or the
 * top itself when nothing is mounted there (a system still on its initramfs,
 * whose own mounts, /tmp say, hang below the root). */
static __always_inline bool is_namespace_root(struct mount *mnt)
{
	struct mount *up = BPF_CORE_READ(mnt, mnt_parent);
	if (up == mnt)
		return true;
	return BPF_CORE_READ(up, mnt_parent) == up &&
	       BPF_CORE_READ(mnt, mnt_mountpoint) == BPF_CORE_READ(up, mnt.mnt_root);
}

/* One level of the walk: prepend the dentry's name, or cross a mount point.
 * Returns 1 to stop. */
CINCH_LOOP_FN(walk_step)
{
	__u32 zero = 0;
	struct walk_buf *w = bpf_map_lookup_elem(&walk_scratch, &zero);
	if (!w)
		return 1;
	struct dentry *d = (struct dentry *)w->dentry;
	struct vfsmount *vfsmnt = (struct vfsmount *)w->vfsmnt;
	if (w->dentry == w->root_dentry && w->vfsmnt == w->root_mnt) {
		if (!w->chrooted) {
			w->done = 1;
			return 1;
		}
		w->flags |= CINCH_PATH_CHROOTED; /* met the task's root; on to the namespace's */
	}
	struct dentry *mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
	struct dentry *parent = BPF_CORE_READ(d, d_parent);
	if (d == mnt_root || d == parent) {
		struct mount *mnt = real_mount(vfsmnt);
		struct mount *up = BPF_CORE_READ(mnt, mnt_parent);
		if (w->chrooted && d == mnt_root && is_namespace_root(mnt)) {
			/* The namespace's root: the walk past a chroot ends here. */
			if (!(w->flags & CINCH_PATH_CHROOTED))
				w->flags |= CINCH_PATH_OUTSIDE_ROOT; /* outside the chroot */
			w->done = 1;
			return 1;
		}
		if (d != mnt_root || up == mnt) {
			/* The top of the mount tree (or of a detached mount) and
			 * still not the task's root: the file is outside it. */
			w->flags |= CINCH_PATH_OUTSIDE_ROOT;
			w->done = 1;
			return 1;
		}
		w->dentry = (__u64)BPF_CORE_READ(mnt, mnt_mountpoint);
		w->vfsmnt = (__u64)((void *)up + bpf_core_field_offset(struct mount, mnt));
		return 0;
	}
	struct qstr name = BPF_CORE_READ(d, d_name);
	__u32 len = name.len;
	__u32 off = w->off;
	if (len > 255 || len + 1 > off || off > CINCH_PATH_MAX) {
		w->flags |= CINCH_PATH_TRUNCATED;
		w->done = 1;
		return 1;
	}
	off -= len;
	bpf_probe_read_kernel(&w->bytes[off & PATH_MASK], len & 255, name.name);
	off -= 1;
	w->bytes[off & PATH_MASK] = '/';
	w->off = off;
	w->dentry = (__u64)parent;
	return 0;
}

/* Whether the task's root is not its mount namespace's root. */
static __always_inline bool task_chrooted(struct task_struct *task)
{
	struct dentry *root = BPF_CORE_READ(task, fs, root.dentry);
	struct vfsmount *root_mnt = BPF_CORE_READ(task, fs, root.mnt);
	if (root != BPF_CORE_READ(root_mnt, mnt_root))
		return true;
	return !is_namespace_root(real_mount(root_mnt));
}

/* Walks `dentry` up to the task's root (the namespace's, if chrooted) and
 * appends the result to the fact's data at `*used`. Returns the length appended. */
static __always_inline __u32 append_walk(struct cinch_path_fact *fact, __u32 *used,
					 struct task_struct *task, struct dentry *dentry,
					 struct vfsmount *vfsmnt)
{
	__u32 zero = 0;
	struct walk_buf *w = bpf_map_lookup_elem(&walk_scratch, &zero);
	if (!w)
		return 0;
	w->dentry = (__u64)dentry;
	w->vfsmnt = (__u64)vfsmnt;
	w->root_dentry = (__u64)BPF_CORE_READ(task, fs, root.dentry);
	w->root_mnt = (__u64)BPF_CORE_READ(task, fs, root.mnt);
	w->off = CINCH_PATH_MAX;
	w->flags = 0;
	w->done = 0;
	w->chrooted = task_chrooted(task);
	cinch_loop(CINCH_WALK_DEPTH, walk_step);
	if (!w->done)
		w->flags |= CINCH_PATH_TRUNCATED; /* deeper than CINCH_WALK_DEPTH */
	fact->flags |= w->flags;

	__u32 off = w->off;
	if (off > CINCH_PATH_MAX)
		return 0;
	__u32 len = (CINCH_PATH_MAX - off) & PATH_MASK;
	__u32 at = *used;
	if (at > 2 * CINCH_PATH_MAX)
		return 0;
	bpf_probe_read_kernel(&fact->data[at & (2 * CINCH_PATH_MAX - 1)], len, &w->bytes[off & PATH_MASK]);
	*used = at + len;
	return len;
}

/* Appends a NUL-terminated string, from user memory or (`kernel`) the
 * kernel's; returns its length (no NUL). A string that may have been cut
 * sets `cut_flag` (0: a cut is harmless, as for argv[0], and must not mark
 * the fact's path truncated). */
static __always_inline __u32 append_str(struct cinch_path_fact *fact, __u32 *used, const void *str,
					__u32 cut_flag, bool kernel)
{
	__u32 at = *used;
	if (at > 2 * CINCH_PATH_MAX || !str)
		return 0;
	char *to = &fact->data[at & (2 * CINCH_PATH_MAX - 1)];
	long n = kernel ? bpf_probe_read_kernel_str(to, CINCH_PATH_MAX, str)
			: bpf_probe_read_user_str(to, CINCH_PATH_MAX, str);
	if (n <= 0)
		return 0;
	if (n == CINCH_PATH_MAX)
		fact->flags |= cut_flag; /* may have been cut */
	*used = at + (__u32)(n - 1);
	return (__u32)(n - 1);
}

static __always_inline __u32 append_user_str(struct cinch_path_fact *fact, __u32 *used, const void *str,
					     __u32 cut_flag)
{
	return append_str(fact, used, str, cut_flag, false);
}

#endif
