/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * kernel.h - the few kernel types the program reads, declared with
 * preserve_access_index so that every field access is a CO-RE relocation
 * resolved against the running kernel's BTF at load time. Only the fields we
 * touch are listed; their order and offsets here do not matter.
 *
 * We declare them instead of including a full vmlinux.h so that the compiled
 * object does not depend on the kernel of the machine that built it, which
 * keeps the committed object byte-for-byte reproducible.
 */
#ifndef CINCH_KERNEL_H
#define CINCH_KERNEL_H

/* Tells bpf_tracing.h to use the kernel's pt_regs field names. */
#define __VMLINUX_H__

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef signed char __s8;
typedef short __s16;
typedef int __s32;
typedef long long __s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef _Bool bool;
#define true 1
#define false 0

/* UAPI constants from linux/bpf.h (stable ABI). */
enum {
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_LRU_HASH = 9,
	BPF_MAP_TYPE_RINGBUF = 27,
	BPF_MAP_TYPE_TASK_STORAGE = 29,
};
enum {
	BPF_F_NO_PREALLOC = 1,
	BPF_LOCAL_STORAGE_GET_F_CREATE = 1,
};
enum {
	BPF_ANY = 0,
	BPF_NOEXIST = 1,
	BPF_EXIST = 2,
};

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

/* The registers of a syscall, per architecture (build-bpf.sh builds one
 * object for each): what bpf_tracing.h's PT_REGS_*_CORE_SYSCALL read, and
 * the syscall number, kept through the call (SYSCALL_NR). */
#if defined(__TARGET_ARCH_x86)
struct pt_regs {
	unsigned long di;
	unsigned long si;
	unsigned long dx;
	unsigned long r10;
	unsigned long r8;
	unsigned long r9;
	unsigned long orig_ax;
};
#define SYSCALL_NR(regs) BPF_CORE_READ(regs, orig_ax)
#elif defined(__TARGET_ARCH_arm64)
struct user_pt_regs {
	__u64 regs[31];
	__u64 sp;
	__u64 pc;
	__u64 pstate;
};
struct pt_regs {
	__u64 orig_x0;
	__s32 syscallno;
};
#define SYSCALL_NR(regs) BPF_CORE_READ(regs, syscallno)
#else
#error "build-bpf.sh builds for __TARGET_ARCH_x86 and __TARGET_ARCH_arm64"
#endif

typedef struct {
	int counter;
} atomic_t;

struct ns_common {
	unsigned int inum;
};

struct mnt_namespace {
	struct ns_common ns;
};

struct nsproxy {
	struct mnt_namespace *mnt_ns;
};

struct signal_struct {
	atomic_t live;
};

struct seccomp {
	int mode; /* SECCOMP_MODE_FILTER = 2 once a filter is installed */
};

struct kernfs_node {
	const char *name;
};

struct cgroup {
	struct kernfs_node *kn;
};

struct cgroup_subsys_state {
	struct cgroup *cgroup;
};

struct css_set {
	struct cgroup_subsys_state *subsys[1]; /* indexed by enum cgroup_subsys_id */
	struct cgroup *dfl_cgrp;
};

/* Files and paths. */
struct qstr {
	union {
		struct {
			__u32 hash;
			__u32 len;
		};
		__u64 hash_len;
	};
	const unsigned char *name;
};

struct super_block {
	unsigned long s_magic;
};

typedef struct {
	unsigned int val;
} kuid_t;
typedef struct {
	unsigned int val;
} kgid_t;

struct inode {
	unsigned short i_mode;
	kuid_t i_uid;
	kgid_t i_gid;
};

struct group_info {
	int ngroups;
	kgid_t gid[1];
};

struct cred {
	kuid_t uid;
	kuid_t suid;
	kuid_t euid;
	kuid_t fsuid;
	kgid_t fsgid;
	struct group_info *group_info;
};

struct dentry {
	struct dentry *d_parent;
	struct qstr d_name;
	struct inode *d_inode;
	struct super_block *d_sb;
};

struct vfsmount {
	struct dentry *mnt_root;
};

/* fs/mount.h: the vfsmount is embedded in it (container_of). */
struct mount {
	struct mount *mnt_parent;
	struct dentry *mnt_mountpoint;
	struct vfsmount mnt;
};

struct path {
	struct vfsmount *mnt;
	struct dentry *dentry;
};

struct file {
	struct path f_path;
	unsigned int f_mode;
	void *private_data;
};

struct fdtable {
	unsigned int max_fds;
	struct file **fd;
};

struct files_struct {
	struct fdtable *fdt;
};

struct fs_struct {
	struct path root;
	struct path pwd;
};

struct mm_struct {
	struct vm_area_struct *mmap; /* before 6.1's maple tree (compat object only) */
	struct file *exe_file;
	unsigned long arg_start;
	unsigned long saved_auxv[2]; /* AT_VECTOR_SIZE pairs; 2 here, read by index */
};

struct vm_area_struct {
	unsigned long vm_start;
	unsigned long vm_end;
	struct file *vm_file;
	struct vm_area_struct *vm_next; /* before 6.1's maple tree (compat object only) */
};

struct linux_binprm {
	struct file *file;
	const char *filename; /* the name given to execve */
	const char *interp;   /* the name `file` was opened by */
};

/* Complete, not just the field read: CO-RE relocates a field's offset but
 * not an array element's size, and pid.numbers[level] steps by this size. */
struct upid {
	int nr;
	void *ns;
};

struct pid {
	unsigned int level;
	struct upid numbers[1];
};

/* Sockets. */
struct in6_addr {
	__u8 s6_addr[16];
};

struct sock_common {
	__be32 skc_rcv_saddr;
	unsigned short skc_family;
	__u16 skc_num;
	struct in6_addr skc_v6_rcv_saddr;
};

struct sock {
	struct sock_common __sk_common;
};

struct socket {
	short type;
	struct sock *sk;
};

/* An AF_UNIX socket; `path` is the socket file once bound to a pathname. */
struct unix_sock {
	struct path path;
};

struct task_struct {
	int pid;
	int tgid;
	struct nsproxy *nsproxy;
	struct signal_struct *signal;
	struct seccomp seccomp;
	struct css_set *cgroups;
	struct fs_struct *fs;
	struct files_struct *files;
	struct mm_struct *mm;
	struct task_struct *real_parent;
	struct task_struct *group_leader;
	struct pid *thread_pid;
	const struct cred *cred;
	const struct cred *real_cred;
};

/* The fields sit in an anonymous struct in the kernel's; CO-RE finds them there. */
struct kernel_siginfo {
	int si_signo;
	int si_errno;
	int si_code;
};

#pragma clang attribute pop

/* Values differ between kernel configs: read with bpf_core_enum_value. */
enum cgroup_subsys_id {
	memory_cgrp_id = 4,
};

#define SECCOMP_MODE_FILTER 2
#define CLONE_NEWNS 0x00020000

/* open(2) flags and mmap(2) protections (x86_64 and aarch64 agree on these
 * except O_DIRECTORY, which the program does not use). */
#define O_ACCMODE 00000003
#define O_WRONLY 00000001
#define O_RDWR 00000002
#define O_CREAT 00000100
#define O_TRUNC 00001000
#define O_APPEND 00002000
#define O_PATH 010000000
#define PROT_EXEC 0x4
#define LOCK_SH 1
#define LOCK_EX 2
#define F_SETLK 6
#define F_SETLKW 7
#define F_OFD_SETLK 37
#define F_OFD_SETLKW 38
#define AT_FDCWD -100
#define AT_REMOVEDIR 0x200
/* include/linux/fs.h: the open created the file. */
#define FMODE_CREATED 0x100000
#define S_IFMT 00170000
#define S_IFDIR 0040000
#define EINPROGRESS 115
#define AT_NULL 0
/* st_mode in the user's struct stat (x86_64's layout: after st_dev, st_ino,
 * st_nlink; arm64's generic one: after st_dev, st_ino) and stx_mode in
 * struct statx (the same on every architecture). */
#if defined(__TARGET_ARCH_x86)
#define STAT_MODE_OFFSET 24
#else
#define STAT_MODE_OFFSET 16
#endif
#define STATX_MODE_OFFSET 28
#define AT_BASE 7 /* auxv: where the program interpreter (ld.so) is mapped */
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10

#endif
