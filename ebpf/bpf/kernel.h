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
	BPF_MAP_TYPE_RINGBUF = 27,
};
enum {
	BPF_ANY = 0,
	BPF_NOEXIST = 1,
};

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct pt_regs {
	unsigned long di;
	unsigned long si;
	unsigned long dx;
	unsigned long r10;
	unsigned long r8;
	unsigned long r9;
};

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

struct task_struct {
	int pid;
	int tgid;
	struct nsproxy *nsproxy;
	struct signal_struct *signal;
	struct seccomp seccomp;
	struct css_set *cgroups;
};

#pragma clang attribute pop

/* Values differ between kernel configs: read with bpf_core_enum_value. */
enum cgroup_subsys_id {
	memory_cgrp_id = 4,
};

#define SECCOMP_MODE_FILTER 2
#define CLONE_NEWNS 0x00020000

#endif
