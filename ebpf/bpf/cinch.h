/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * cinch.h - the single source of truth for everything that crosses the
 * kernel/user boundary: map sizes, the tracing modes, the statistic slots and
 * the layout of a fact sent through the ring buffer.
 *
 * The Rust mirror lives in ebpf/src/abi.rs and asserts the same sizes; change
 * both together.
 */
#ifndef CINCH_H
#define CINCH_H

/* Syscall numbers below this are counted in the per-CPU array; a number at or
 * above it (x32 syscalls carry bit 30) is reported once as CINCH_FACT_RAW_NR. */
#define CINCH_MAX_SYSCALLS 1024

/* How the program decides that the current task belongs to the target. */
#define CINCH_MODE_MNTNS 1   /* its mount namespace inode is in target_mntns */
#define CINCH_MODE_PIDTREE 2 /* its thread-group id is in target_tgids */

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
#define CINCH_STAT_PROCESSES 1  /* processes created inside the target */
#define CINCH_STAT_NEW_MNTNS 2  /* mount namespaces the target created and we followed */
#define CINCH_STAT_SLOTS 4

struct cinch_fact {
	__u32 kind;    /* CINCH_FACT_* */
	__u32 nr;      /* syscall number as the kernel reported it */
	__u64 args[3]; /* meaning depends on nr; unused slots are zero */
};

#endif
