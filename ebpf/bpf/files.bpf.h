/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * files.bpf.h - files, executions and sockets of the target. Included by
 * cinch.bpf.c after its maps and target helpers; only the two entry points
 * at the bottom (files_sys_enter, files_sys_exit) and files_exec are called
 * from there.
 *
 * Paths are walked in the kernel from the dentry and mount of the file
 * actually touched, up to the task's root (its chroot or the container's
 * pivot_root), so what is recorded is the absolute path the container sees,
 * whatever relative path, dirfd, `..` or symlink was used to reach it. Only
 * a call that leaves no file behind to walk (it failed, or it removes or
 * renames a name) is recorded as [resolved base directory, path as given].
 *
 * Each fact is sent once: a first-seen LRU set keyed by the dentry (or, for
 * a given path, a hash of it) drops repeats before any walk or ring-buffer
 * traffic. An eviction only means a repeat is sent again; user space keeps
 * sets, so nothing is lost or doubled.
 */
#ifndef CINCH_FILES_BPF_H
#define CINCH_FILES_BPF_H

/* Syscalls handled here; numbers set by the loader, -1 when absent. */
const volatile __s64 nr_open = -1;
const volatile __s64 nr_openat = -1;
const volatile __s64 nr_openat2 = -1;
const volatile __s64 nr_creat = -1;
const volatile __s64 nr_mmap = -1;
const volatile __s64 nr_getdents = -1;
const volatile __s64 nr_getdents64 = -1;
const volatile __s64 nr_fchmod = -1;
const volatile __s64 nr_fchown = -1;
const volatile __s64 nr_ftruncate = -1;
const volatile __s64 nr_chmod = -1;
const volatile __s64 nr_fchmodat = -1;
const volatile __s64 nr_fchmodat2 = -1;
const volatile __s64 nr_chown = -1;
const volatile __s64 nr_lchown = -1;
const volatile __s64 nr_fchownat = -1;
const volatile __s64 nr_truncate = -1;
const volatile __s64 nr_unlink = -1;
const volatile __s64 nr_unlinkat = -1;
const volatile __s64 nr_rmdir = -1;
const volatile __s64 nr_rename = -1;
const volatile __s64 nr_renameat = -1;
const volatile __s64 nr_renameat2 = -1;
const volatile __s64 nr_link = -1;
const volatile __s64 nr_linkat = -1;
const volatile __s64 nr_symlink = -1;
const volatile __s64 nr_symlinkat = -1;
const volatile __s64 nr_mkdir = -1;
const volatile __s64 nr_mkdirat = -1;
const volatile __s64 nr_mknod = -1;
const volatile __s64 nr_mknodat = -1;
const volatile __s64 nr_bind = -1;
const volatile __s64 nr_listen = -1;
const volatile __s64 nr_connect = -1;
const volatile __s64 nr_flock = -1;
const volatile __s64 nr_fcntl = -1;

/* A call whose outcome decides what is recorded, kept from sys_enter to
 * sys_exit of the same thread. */
struct pending_call {
	__s64 nr;
	__u32 slot;
	__u32 busy; /* 1 while the thread is inside the call */
	__u64 args[5];
};

/* One per thread, in the task itself (task-local storage): getting it is a
 * pointer lookup, not a hash-map update and delete per call. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct pending_call);
} pending_calls SEC(".maps");

/* Threads inside a pending call. sys_exit and process exit run for every
 * task on the machine: while this is zero they return without a lookup. */
__u64 pending_call_count = 0;

/* Takes `task`'s pending call, if it has one: true and the call in *out. */
static __always_inline bool take_pending_call(struct task_struct *task, struct pending_call *out)
{
	if (!pending_call_count)
		return false;
	struct pending_call *p = bpf_task_storage_get(&pending_calls, task, 0, 0);
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
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 131072); /* beyond that, evicted repeats are sent again */
	__type(key, struct file_key);
	__type(value, __u8);
} files_seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct cinch_net_fact);
	__type(value, __u8);
} net_seen SEC(".maps");

/* Scratch space (one per CPU): a fact being built, and a walk in progress
 * (written backwards from the end, so it needs no reversing). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cinch_path_fact);
} path_scratch SEC(".maps");

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
	__u32 pad;
	char bytes[CINCH_PATH_MAX + 256];
};

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
	__type(value, struct walk_buf);
} walk_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hash_state);
} hash_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cinch_net_fact);
} net_scratch SEC(".maps");

#define PATH_MASK (CINCH_PATH_MAX - 1)
#define DATA_MASK (CINCH_PATH_DATA - 1)

static __always_inline struct mount *real_mount(struct vfsmount *vfsmnt)
{
	return (struct mount *)((void *)vfsmnt - bpf_core_field_offset(struct mount, mnt));
}

/* One level of the walk: prepend the dentry's name, or cross a mount point.
 * Returns 1 to stop. */
static long walk_step(__u64 index, void *unused)
{
	__u32 zero = 0;
	struct walk_buf *w = bpf_map_lookup_elem(&walk_scratch, &zero);
	if (!w)
		return 1;
	struct dentry *d = (struct dentry *)w->dentry;
	struct vfsmount *vfsmnt = (struct vfsmount *)w->vfsmnt;
	if (w->dentry == w->root_dentry && w->vfsmnt == w->root_mnt) {
		w->done = 1;
		return 1;
	}
	struct dentry *mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
	struct dentry *parent = BPF_CORE_READ(d, d_parent);
	if (d == mnt_root || d == parent) {
		struct mount *mnt = real_mount(vfsmnt);
		struct mount *up = BPF_CORE_READ(mnt, mnt_parent);
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

/* Walks `dentry` up to the task's root and appends the result to the fact's
 * data at `*used`. Returns the length appended. */
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
	bpf_loop(CINCH_PATH_DEPTH, walk_step, 0, 0);
	if (!w->done)
		w->flags |= CINCH_PATH_TRUNCATED; /* deeper than CINCH_PATH_DEPTH */
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

/* Appends a NUL-terminated user string; returns its length (no NUL). */
static __always_inline __u32 append_user_str(struct cinch_path_fact *fact, __u32 *used, const void *str)
{
	__u32 at = *used;
	if (at > 2 * CINCH_PATH_MAX || !str)
		return 0;
	long n = bpf_probe_read_user_str(&fact->data[at & (2 * CINCH_PATH_MAX - 1)], CINCH_PATH_MAX, str);
	if (n <= 0)
		return 0;
	if (n == CINCH_PATH_MAX)
		fact->flags |= CINCH_PATH_TRUNCATED; /* may have been cut */
	*used = at + (__u32)(n - 1);
	return (__u32)(n - 1);
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

static __always_inline __u32 ns_pid_of(struct task_struct *task)
{
	struct pid *pid = BPF_CORE_READ(task, thread_pid);
	unsigned int level = BPF_CORE_READ(pid, level);
	int nr = 0;
	bpf_core_read(&nr, sizeof(nr), &pid->numbers[level].nr);
	return nr;
}

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
	fact->len[0] = fact->len[1] = fact->len[2] = 0;
	fact->pad = 0;
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

/* Records `file` (an open file of the task) with `access`. */
static __always_inline void record_file(struct task_struct *task, __u32 slot, struct file *file,
					__u32 access, __u32 kind)
{
	if (!file)
		return;
	struct dentry *dentry = BPF_CORE_READ(file, f_path.dentry);
	struct vfsmount *vfsmnt = BPF_CORE_READ(file, f_path.mnt);
	struct file_key key = {
		.dentry = (__u64)dentry,
		.mnt = (__u64)vfsmnt,
		.parent = (__u64)BPF_CORE_READ(dentry, d_parent),
		.name = (__u32)BPF_CORE_READ(dentry, d_name.hash_len),
		.access = access,
		.slot = slot,
		.kind = kind,
	};
	if (kind == CINCH_FACT_FILE && !first_seen(&key))
		return;
	struct cinch_path_fact *fact = new_path_fact(task, kind, slot, access, 0);
	if (!fact)
		return;
	fact->fs_magic = (__u32)BPF_CORE_READ(dentry, d_sb, s_magic);
	if ((BPF_CORE_READ(dentry, d_inode, i_mode) & S_IFMT) == S_IFDIR)
		fact->flags |= CINCH_PATH_DIRECTORY;
	__u32 used = 0;
	fact->len[0] = append_walk(fact, &used, task, dentry, vfsmnt);
	if (kind == CINCH_FACT_EXEC) {
		/* argv[0] of the new image, then the executable of the parent
		 * if it belongs to the target too (which tree ran it). */
		const void *argv0 = (const void *)BPF_CORE_READ(task, mm, arg_start);
		fact->len[1] = append_user_str(fact, &used, argv0);
		struct task_struct *parent = BPF_CORE_READ(task, real_parent);
		__u32 parent_slot = 0;
		if (task_slot(parent, &parent_slot) && parent_slot == slot) {
			struct file *exe = BPF_CORE_READ(parent, mm, exe_file);
			if (exe)
				fact->len[2] = append_walk(fact, &used, task, BPF_CORE_READ(exe, f_path.dentry),
							   BPF_CORE_READ(exe, f_path.mnt));
		}
	}
	send_path_fact(fact, used, kind == CINCH_FACT_FILE ? &key : 0);
}

static __always_inline __u64 hash_step(__u64 h, __u8 byte)
{
	return (h ^ byte) * 0x100000001b3ULL;
}

static long hash_byte(__u64 index, void *unused)
{
	__u32 zero = 0;
	struct cinch_path_fact *fact = bpf_map_lookup_elem(&path_scratch, &zero);
	struct hash_state *h = bpf_map_lookup_elem(&hash_scratch, &zero);
	if (!fact || !h || h->at >= h->end)
		return 1;
	h->hash = hash_step(h->hash, fact->data[h->at & DATA_MASK]);
	h->at++;
	return 0;
}

/* FNV-1a of the first `len` bytes of the fact's data. */
static __always_inline __u64 hash_data(__u32 len)
{
	__u32 zero = 0;
	struct hash_state *h = bpf_map_lookup_elem(&hash_scratch, &zero);
	if (!h)
		return 0;
	h->at = 0;
	h->end = len;
	h->hash = 0xcbf29ce484222325ULL;
	bpf_loop(CINCH_PATH_MAX, hash_byte, 0, 0);
	return h->hash;
}

/* Records a name given to a call that leaves no open file to walk:
 * [directory it is relative to, resolved; the name as given]. */
static __always_inline void record_given(struct task_struct *task, __u32 slot, long dirfd,
					 const void *given, __u32 access, __s32 error, bool directory)
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
	__u32 given_len = append_user_str(fact, &used, given);
	struct file_key key = {
		.dentry = (__u64)dentry,
		.mnt = (__u64)vfsmnt,
		.parent = hash_data(given_len),
		.name = given_len,
		.access = access,
		.slot = slot,
		.error = error,
		.kind = CINCH_FACT_FILE,
		.flags = CINCH_PATH_UNRESOLVED,
	};
	if (!first_seen(&key))
		return;
	/* Strings go [base, given]: the given one is read again after the walk. */
	used = 0;
	fact->len[0] = append_walk(fact, &used, task, dentry, vfsmnt);
	fact->len[1] = append_user_str(fact, &used, given);
	if (directory)
		fact->flags |= CINCH_PATH_DIRECTORY;
	send_path_fact(fact, used, &key);
}

/* --- sockets --- */

static __always_inline struct socket *socket_of_fd(struct task_struct *task, long fd)
{
	struct file *file = file_of_fd(task, fd);
	if (!file)
		return 0;
	return BPF_CORE_READ(file, private_data);
}

static __always_inline void send_net_fact(struct cinch_net_fact *fact)
{
	__u8 one = 1;
	if (bpf_map_update_elem(&net_seen, fact, &one, BPF_NOEXIST))
		return; /* seen */
	if (bpf_ringbuf_output(&facts, fact, sizeof(*fact), 0)) {
		stat_add(CINCH_STAT_LOST, 1);
		bpf_map_delete_elem(&net_seen, fact);
	}
}

static __always_inline struct cinch_net_fact *new_net_fact(__u32 slot, __u32 op, __s32 error)
{
	__u32 zero = 0;
	struct cinch_net_fact *fact = bpf_map_lookup_elem(&net_scratch, &zero);
	if (!fact)
		return 0;
	__builtin_memset(fact, 0, sizeof(*fact));
	fact->kind = CINCH_FACT_NET;
	fact->slot = slot;
	fact->op = op;
	fact->error = error;
	return fact;
}

/* bind or connect: the address the task gave. */
static __always_inline void record_sockaddr(struct task_struct *task, __u32 slot, __u32 op, long fd,
					    const void *addr, long addrlen, __s32 error)
{
	struct cinch_net_fact *fact = new_net_fact(slot, op, error);
	if (!fact || !addr)
		return;
	struct socket *sock = socket_of_fd(task, fd);
	if (sock)
		fact->type = BPF_CORE_READ(sock, type);
	__u16 family = 0;
	bpf_probe_read_user(&family, sizeof(family), addr);
	fact->family = family;
	if (family == AF_INET || family == AF_INET6) {
		__u16 port = 0;
		bpf_probe_read_user(&port, sizeof(port), addr + 2);
		fact->port = (__u16)((port >> 8) | (port << 8));
		if (family == AF_INET)
			bpf_probe_read_user(fact->addr, 4, addr + 4);
		else
			bpf_probe_read_user(fact->addr, 16, addr + 8);
	} else if (family == AF_UNIX) {
		long len = addrlen - 2;
		if (len > CINCH_UNIX_PATH)
			len = CINCH_UNIX_PATH;
		if (len > 0) {
			bpf_probe_read_user(fact->path, len & 127, addr + 2);
			/* A pathname stops at its NUL; an abstract name (leading
			 * NUL) is exactly addrlen bytes. */
			__u16 n = (__u16)len;
			if (fact->path[0] != 0) {
				for (int i = 0; i < CINCH_UNIX_PATH; i++) {
					if (i >= len || fact->path[i] == 0) {
						n = i;
						break;
					}
				}
			}
			fact->path_len = n;
		}
	}
	send_net_fact(fact);
}

/* listen: the address the socket is bound to (possibly chosen by the kernel). */
static __always_inline void record_listen(struct task_struct *task, __u32 slot, long fd, __s32 error)
{
	struct cinch_net_fact *fact = new_net_fact(slot, CINCH_NET_LISTEN, error);
	struct socket *sock = socket_of_fd(task, fd);
	if (!fact || !sock)
		return;
	fact->type = BPF_CORE_READ(sock, type);
	struct sock *sk = BPF_CORE_READ(sock, sk);
	fact->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (fact->family == AF_INET || fact->family == AF_INET6) {
		fact->port = BPF_CORE_READ(sk, __sk_common.skc_num);
		if (fact->family == AF_INET)
			bpf_core_read(fact->addr, 4, &sk->__sk_common.skc_rcv_saddr);
		else
			bpf_core_read(fact->addr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
	}
	send_net_fact(fact);
}

/* --- entry points --- */

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

static __always_inline bool is_pending_call(long id)
{
	return id == nr_open || id == nr_openat || id == nr_openat2 || id == nr_creat || id == nr_execve ||
	       id == nr_execveat || id == nr_chmod || id == nr_fchmodat || id == nr_fchmodat2 ||
	       id == nr_chown || id == nr_lchown || id == nr_fchownat || id == nr_truncate ||
	       id == nr_unlink || id == nr_unlinkat || id == nr_rmdir || id == nr_rename ||
	       id == nr_renameat || id == nr_renameat2 || id == nr_link || id == nr_linkat ||
	       id == nr_symlink || id == nr_symlinkat || id == nr_mkdir || id == nr_mkdirat ||
	       id == nr_mknod || id == nr_mknodat || id == nr_bind || id == nr_listen || id == nr_connect;
}

/* A target task entered syscall `id`: calls on an open fd are recorded now;
 * calls whose outcome matters wait for sys_exit. */
static __always_inline void files_sys_enter(struct task_struct *task, struct pt_regs *regs, long id, __u32 slot)
{
	if (id == nr_mmap) {
		if (PT_REGS_PARM3_CORE_SYSCALL(regs) & PROT_EXEC)
			record_file(task, slot, file_of_fd(task, (long)(int)PT_REGS_PARM5_CORE_SYSCALL(regs)),
				    CINCH_ACCESS_MMAP_EXEC, CINCH_FACT_FILE);
		return;
	}
	if (id == nr_getdents || id == nr_getdents64 || id == nr_fchmod || id == nr_fchown || id == nr_ftruncate) {
		__u32 access = id == nr_fchmod ? CINCH_ACCESS_CHMOD
			       : id == nr_fchown ? CINCH_ACCESS_CHOWN
			       : id == nr_ftruncate ? CINCH_ACCESS_TRUNCATE
						    : CINCH_ACCESS_LIST;
		record_file(task, slot, file_of_fd(task, (long)(int)PT_REGS_PARM1_CORE_SYSCALL(regs)), access,
			    CINCH_FACT_FILE);
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
				    CINCH_ACCESS_LOCK, CINCH_FACT_FILE);
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
	struct pending_call *p = bpf_task_storage_get(&pending_calls, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!p) {
		stat_add(CINCH_STAT_LOST, 1); /* no memory for the thread's storage */
		return;
	}
	if (!p->busy)
		__sync_fetch_and_add(&pending_call_count, 1);
	call.busy = 1;
	*p = call;
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
		record_given(task, c->slot, dirfd, given, access, (__s32)-ret, false);
		return;
	}
	struct file *file = file_of_fd(task, ret);
	if (file && (flags & O_CREAT) && (BPF_CORE_READ(file, f_mode) & FMODE_CREATED))
		access |= CINCH_ACCESS_CREATE;
	record_file(task, c->slot, file, access, CINCH_FACT_FILE);
}

/* A call naming files by path returned: each name with what was done to it. */
static __always_inline void named(struct task_struct *task, struct pending_call *c, long ret)
{
	__s32 error = ret < 0 ? (__s32)-ret : 0;
	__s64 nr = c->nr;
	__u64 *a = c->args;
	if (nr == nr_execve) {
		if (error) /* success is recorded by files_exec */
			record_given(task, c->slot, AT_FDCWD, (void *)a[0], CINCH_ACCESS_EXEC, error, false);
	} else if (nr == nr_execveat) {
		if (error)
			record_given(task, c->slot, a[0], (void *)a[1], CINCH_ACCESS_EXEC, error, false);
	} else if (nr == nr_chmod) {
		record_given(task, c->slot, AT_FDCWD, (void *)a[0], CINCH_ACCESS_CHMOD, error, false);
	} else if (nr == nr_fchmodat || nr == nr_fchmodat2) {
		record_given(task, c->slot, a[0], (void *)a[1], CINCH_ACCESS_CHMOD, error, false);
	} else if (nr == nr_chown || nr == nr_lchown) {
		record_given(task, c->slot, AT_FDCWD, (void *)a[0], CINCH_ACCESS_CHOWN, error, false);
	} else if (nr == nr_fchownat) {
		record_given(task, c->slot, a[0], (void *)a[1], CINCH_ACCESS_CHOWN, error, false);
	} else if (nr == nr_truncate) {
		record_given(task, c->slot, AT_FDCWD, (void *)a[0], CINCH_ACCESS_TRUNCATE, error, false);
	} else if (nr == nr_unlink || nr == nr_rmdir) {
		record_given(task, c->slot, AT_FDCWD, (void *)a[0], CINCH_ACCESS_DELETE, error, nr == nr_rmdir);
	} else if (nr == nr_unlinkat) {
		record_given(task, c->slot, a[0], (void *)a[1], CINCH_ACCESS_DELETE, error,
			     ((int)a[2] & AT_REMOVEDIR) != 0);
	} else if (nr == nr_rename) {
		record_given(task, c->slot, AT_FDCWD, (void *)a[0], CINCH_ACCESS_RENAME, error, false);
		record_given(task, c->slot, AT_FDCWD, (void *)a[1], CINCH_ACCESS_CREATE, error, false);
	} else if (nr == nr_renameat || nr == nr_renameat2) {
		record_given(task, c->slot, a[0], (void *)a[1], CINCH_ACCESS_RENAME, error, false);
		record_given(task, c->slot, a[2], (void *)a[3], CINCH_ACCESS_CREATE, error, false);
	} else if (nr == nr_link) {
		record_given(task, c->slot, AT_FDCWD, (void *)a[1], CINCH_ACCESS_LINK, error, false);
	} else if (nr == nr_linkat) {
		record_given(task, c->slot, a[2], (void *)a[3], CINCH_ACCESS_LINK, error, false);
	} else if (nr == nr_symlink) {
		record_given(task, c->slot, AT_FDCWD, (void *)a[1], CINCH_ACCESS_CREATE, error, false);
	} else if (nr == nr_symlinkat) {
		record_given(task, c->slot, a[1], (void *)a[2], CINCH_ACCESS_CREATE, error, false);
	} else if (nr == nr_mkdir || nr == nr_mknod) {
		record_given(task, c->slot, AT_FDCWD, (void *)a[0], CINCH_ACCESS_CREATE, error, nr == nr_mkdir);
	} else if (nr == nr_mkdirat || nr == nr_mknodat) {
		record_given(task, c->slot, a[0], (void *)a[1], CINCH_ACCESS_CREATE, error, nr == nr_mkdirat);
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

/* Any task left a syscall: finish a call files_sys_enter kept. */
static __always_inline void files_sys_exit(struct task_struct *task, long ret)
{
	struct pending_call call;
	if (!take_pending_call(task, &call))
		return;
	if (call.nr == nr_open || call.nr == nr_openat || call.nr == nr_openat2 || call.nr == nr_creat)
		opened(task, &call, ret);
	else
		named(task, &call, ret);
}

struct found_file {
	__u64 file;
};

static long vma_file(struct task_struct *task, struct vm_area_struct *vma, struct found_file *found)
{
	found->file = (__u64)BPF_CORE_READ(vma, vm_file);
	return 0;
}

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
	struct found_file found = {};
	bpf_find_vma(task, base, vma_file, &found, 0);
	return (struct file *)found.file;
}

/* A target task executed a program. */
static __always_inline void files_exec(struct task_struct *task, struct linux_binprm *bprm, __u32 slot)
{
	/* The exec succeeded: its sys_exit (0) has nothing to add. */
	drop_pending_call(task);
	record_file(task, slot, BPF_CORE_READ(bprm, file), CINCH_ACCESS_EXEC, CINCH_FACT_EXEC);
	/* The kernel, not the program, mapped the dynamic loader: no mmap call
	 * shows it, so it is recorded here, as read and mapped executable. */
	struct file *interp = interpreter_of(task);
	if (interp)
		record_file(task, slot, interp, CINCH_ACCESS_READ | CINCH_ACCESS_MMAP_EXEC, CINCH_FACT_FILE);
}

#endif
