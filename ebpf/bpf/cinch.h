/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * cinch.h - the single source of truth for everything that crosses the
 * kernel/user boundary: map sizes, the tracing modes, the statistic slots and
 * the layout of what is sent through the ring buffer or read from maps.
 *
 * The Rust mirror lives in ebpf/src/abi.rs and asserts the same sizes; change
 * both together.
 */
#ifndef CINCH_H
#define CINCH_H

/* Syscall numbers below this are counted in the per-CPU array; a number at or
 * above it (x32 syscalls carry bit 30) is reported once as CINCH_FACT_RAW_NR. */
#define CINCH_MAX_SYSCALLS 1024

/* Containers told apart in one session. Slot 0 is the target given at start
 * (a mount namespace or a process tree); in CINCH_MODE_NEW_CONTAINERS every
 * mount namespace created during the session gets a slot of its own, so that
 * containers starting side by side are never mixed. Counters live at
 * syscall_counts[slot * CINCH_MAX_SYSCALLS + nr]. */
#define CINCH_MAX_SLOTS 16
/* ns_switchers value for a task outside the target that is creating a mount
 * namespace: the namespace gets a new slot. */
#define CINCH_SLOT_NEW 0xffffffffu

/* How the program decides that the current task belongs to the target. */
#define CINCH_MODE_MNTNS 1   /* its mount namespace inode is in target_mntns */
#define CINCH_MODE_PIDTREE 2 /* its thread-group id is in target_tgids */
/* Containers being created: every mount namespace created during the session
 * is adopted in a new slot, and a task counts only once it runs under a
 * seccomp filter - from the moment the runtime installed the profile, which
 * is exactly what the profile must allow. */
#define CINCH_MODE_NEW_CONTAINERS 3

/* Values of target_tgids (CINCH_MODE_PIDTREE). A command cinch starts is
 * registered ARMED while it waits to exec: nothing it does counts until its
 * execve, so the trace starts exactly at the command's first instruction. */
#define CINCH_PROC_FOLLOWED 1
#define CINCH_PROC_ARMED 2

/* Kinds of fact. A fact is sent once, the first time it is seen. */
#define CINCH_FACT_ARGS 1   /* argument values of a syscall seccomp rules care about */
#define CINCH_FACT_RAW_NR 2 /* a syscall number outside the counted range */

/* Slots of the stats array. */
#define CINCH_STAT_LOST 0       /* facts that could not be delivered or remembered */
#define CINCH_STAT_NEW_MNTNS 1  /* mount namespaces adopted */
#define CINCH_STAT_NO_SLOT 2    /* new mount namespaces not adopted: all slots taken */
#define CINCH_N_STATS 4

/* Length kept of a cgroup's leaf name (a Docker container id is 64). */
#define CINCH_CGROUP_NAME 96

struct cinch_fact {
	__u32 kind;    /* CINCH_FACT_* */
	__u32 nr;      /* syscall number as the kernel reported it */
	__u32 slot;    /* which container */
	__u32 pad;
	__u64 args[3]; /* meaning depends on nr; unused slots are zero */
};

/* What is known of a slot; written once when the slot is taken. */
struct cinch_slot {
	__u32 mntns;        /* mount namespace inode; 0 while the slot is free */
	__u32 creator_tgid; /* the process that created the namespace */
	__u64 processes;    /* processes created inside it */
	/* Leaf names of the creator's cgroups when it created the namespace:
	 * the unified (v2) hierarchy, then the v1 memory controller. A container
	 * runtime has put its init there by then, so they name the container. */
	char cgroup[CINCH_CGROUP_NAME];
	char cgroup_v1[CINCH_CGROUP_NAME];
};

#endif
