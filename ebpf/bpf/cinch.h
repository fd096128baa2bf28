/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * cinch.h - the single source of truth for everything that crosses the
 * kernel/user boundary: map sizes, the tracing modes, the statistic slots and
 * the layout of what is sent through the ring buffer or read from maps.
 *
 * The Rust mirror lives in ebpf/src/abi.rs. Its tests check it against this
 * file and the compiled object: every #define below against the Rust constant
 * of the same name, and every struct's size and field offsets against the
 * object's BTF (ebpf/src/abi/check.rs). A change here fails them until the
 * mirror follows.
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

/* Who made a call: the container runtime setting the container up (a task
 * of a new container before it execs its entrypoint, or one that entered a
 * container with setns, as `runc exec` does, before its exec), or the
 * workload (everything from the entrypoint's exec on, and what it forks).
 * Setup calls are counted twice: in the slot's counters and in its setup
 * counters, at syscall_counts[(CINCH_MAX_SLOTS + slot) * CINCH_MAX_SYSCALLS + nr].
 * In known_targets the slot + 1 carries CINCH_KNOWN_WORKLOAD once the task
 * is the workload's. */
#define CINCH_KNOWN_WORKLOAD (1u << 16)
#define CINCH_KNOWN_EXECED (1u << 17) /* it exec'd while traced */
#define CINCH_KNOWN_SLOT_MASK 0xffffu

/* Values of target_tgids (CINCH_MODE_PIDTREE). A command cinch starts is
 * registered ARMED while it waits to exec: nothing it does counts until its
 * execve, so the trace starts exactly at the command's first instruction. */
#define CINCH_PROC_FOLLOWED 1
#define CINCH_PROC_ARMED 2

/* Kinds of fact. A fact is sent once, the first time it is seen. */
#define CINCH_FACT_ARGS 1   /* argument values of a syscall seccomp rules care about */
#define CINCH_FACT_RAW_NR 2 /* a syscall number outside the counted range */

/* Syscalls whose leading argument values are recorded (CINCH_FACT_ARGS), and
 * how many of cinch_fact.args each fills. The names the trace gives them are
 * the trace format's (RECORDED_ARGS in profiles/src/arch.rs); a test checks
 * that both list the same syscalls and counts. */
#define CINCH_RECORDED_ARGS(X) \
	X(clone, 1)            \
	X(clone3, 1)           \
	X(personality, 1)      \
	X(prctl, 1)            \
	X(socket, 3)           \
	X(unshare, 1)

#define CINCH_FACT_FILE 3   /* a file the target touched: struct cinch_path_fact */
#define CINCH_FACT_EXEC 4   /* a program the target executed: struct cinch_path_fact */
#define CINCH_FACT_NET 5    /* a socket address bound, listened on or connected to */

/* How a file was touched (cinch_path_fact.access, a bit set). */
#define CINCH_ACCESS_READ (1u << 0)
#define CINCH_ACCESS_WRITE (1u << 1)
#define CINCH_ACCESS_APPEND (1u << 2)
#define CINCH_ACCESS_CREATE (1u << 3)
#define CINCH_ACCESS_TRUNCATE (1u << 4)
#define CINCH_ACCESS_DELETE (1u << 5)
#define CINCH_ACCESS_RENAME (1u << 6)
#define CINCH_ACCESS_LINK (1u << 7)
#define CINCH_ACCESS_CHMOD (1u << 8)
#define CINCH_ACCESS_CHOWN (1u << 9)
#define CINCH_ACCESS_LIST (1u << 10)
#define CINCH_ACCESS_EXEC (1u << 11)
#define CINCH_ACCESS_MMAP_EXEC (1u << 12)
#define CINCH_ACCESS_PATH (1u << 13) /* opened with O_PATH: located, not read */
#define CINCH_ACCESS_LOCK (1u << 14) /* flock or an fcntl lock taken on it */
#define CINCH_ACCESS_STAT (1u << 15) /* a stat or access call found it (by name; successes only) */

/* cinch_path_fact.flags */
#define CINCH_PATH_TRUNCATED (1u << 0)    /* a walk hit the length or depth limit */
#define CINCH_PATH_OUTSIDE_ROOT (1u << 1) /* the walk never met the task's root */
#define CINCH_PATH_DIRECTORY (1u << 2)    /* the file is a directory */
/* Strings are [base directory, path as given]: the call named a file that
 * has no open file to walk (it failed, or it removes or renames a name), so
 * the kernel resolved the directory (dirfd or cwd) and user space joins. */
#define CINCH_PATH_UNRESOLVED (1u << 3)
/* The task is chrooted (its root is not its mount namespace's): the walk went
 * on past the task's root, so the path is the namespace's, as AppArmor and
 * the image see it. With CINCH_PATH_UNRESOLVED and an absolute given name,
 * the base is the task's root, to which user space appends the name. */
#define CINCH_PATH_CHROOTED (1u << 4)
/* EXEC: the task had already exec'd while traced, so the workload itself ran
 * this program in place of its own (`exec "$@"` in an entrypoint script). */
#define CINCH_PATH_IN_PLACE (1u << 5)
/* FILE, a successful open: by the file's owner, group and mode, the opener's
 * fsuid, fsgid and groups had no permission for it (or, for a file the open
 * created, for writing in its directory), so the open needed
 * CAP_DAC_OVERRIDE (writing), or CAP_DAC_READ_SEARCH (reading or searching
 * only). ACLs are not read. */
#define CINCH_PATH_DAC_OVERRIDE (1u << 6)
#define CINCH_PATH_DAC_READ_SEARCH (1u << 7)
/* FILE, a successful open: strings are [path, name as given], the absolute
 * name the caller passed (user space drops it where it spells the path
 * itself): what a symbolic link on the way was reached by. Sent with the
 * first sighting of the file with this access; a second name for the same
 * file and access is not. */
#define CINCH_PATH_GIVEN (1u << 8)
/* EXEC: the program was a script: the last string is the script's name as
 * given, and the executable is the interpreter its #! line named. */
#define CINCH_PATH_SCRIPT (1u << 9)
/* FILE, a successful chmod: the caller's fsuid is not the file's owner, so
 * the change needed CAP_FOWNER. Set by the kernel side for fchmod, whose
 * inode is at hand. */
#define CINCH_PATH_FOWNER (1u << 10)
/* FILE, a successful call by name (CINCH_PATH_UNRESOLVED): the kernel side
 * has no inode to compare the caller with, so user space does, on the file
 * the name gives in the caller's root, with the header's fsuid and fsgid:
 * chmod, the file's owner and group (CINCH_PATH_FOWNER, _FSETID); truncate, the file's mode;
 * a name made, removed or renamed, its directory's mode (the capabilities
 * of CINCH_PATH_DAC_OVERRIDE). */
#define CINCH_PATH_UNCHECKED (1u << 11)
/* FILE, a successful chmod: the caller is not in the file's group, so the
 * kernel asked for CAP_FSETID (without it the setgid bit is dropped, and an
 * enforcing AppArmor logs the denial). Set as CINCH_PATH_FOWNER is. */
#define CINCH_PATH_FSETID (1u << 12)
/* Supplementary groups compared at most (more are not read). */
#define CINCH_MAX_GROUPS 32

/* Longest path kept, terminator included; longer ones are truncated (the
 * kept part is the end of the path) and flagged. */
#define CINCH_PATH_MAX 4096
/* Directory levels walked at most; by the compatibility object (kernels
 * without bpf_loop, see compat.bpf.h), fewer: deeper paths are truncated. */
#define CINCH_PATH_DEPTH 1024
#define CINCH_COMPAT_PATH_DEPTH 128
/* Room for the strings of one fact: up to four paths. */
#define CINCH_PATH_DATA 16384

/* A file or an execution. `len` gives the length of each string packed one
 * after the other in `data`, without terminators:
 *   FILE:             [path] or, with CINCH_PATH_UNRESOLVED, [base, given]
 *   FILE:             with CINCH_PATH_GIVEN, [path, absolute name as given]
 *   EXEC:             [executable, argv[0], parent's executable or empty,
 *                      the file name given to execve (with CINCH_PATH_SCRIPT,
 *                      the script's)]
 * Only sizeof header + the strings travel through the ring buffer. */
struct cinch_path_fact {
	__u32 kind;
	__u32 slot;
	__u32 access;   /* CINCH_ACCESS_* */
	__s32 error;    /* 0, or the errno of the failed attempt */
	__u32 flags;    /* CINCH_PATH_* */
	__u32 fs_magic; /* superblock magic of the file's filesystem (0: unknown) */
	__u32 ns_tgid;  /* process and thread id as the target's pid namespace sees them */
	__u32 ns_tid;
	__u32 tgid;     /* the process as the host sees it (user space reads its /proc/PID/root) */
	__u32 fsuid;    /* the caller's filesystem uid and gid, as the host sees them */
	__u32 fsgid;
	__u32 pad;
	__u16 len[4];
	char data[CINCH_PATH_DATA];
};
#define CINCH_PATH_FACT_HEADER 56

/* cinch_net_fact.op */
#define CINCH_NET_BIND 1
#define CINCH_NET_LISTEN 2
#define CINCH_NET_CONNECT 3
#define CINCH_UNIX_PATH 108

struct cinch_net_fact {
	__u32 kind; /* CINCH_FACT_NET */
	__u32 slot;
	__u32 op;
	__s32 error;
	__u16 family;   /* AF_* */
	__u16 type;     /* SOCK_STREAM, SOCK_DGRAM, ... */
	__u16 port;     /* host byte order */
	__u16 path_len; /* AF_UNIX: bytes of path (an abstract name starts with NUL) */
	__u8 addr[16];  /* AF_INET: first 4 bytes; AF_INET6: all */
	char path[CINCH_UNIX_PATH];
	__u32 pad;
};

/* A syscall the seccomp filter refused (cinch watch): a struct
 * cinch_refusal_fact, sent the first time its struct cinch_refusal is seen;
 * the count is in the refusals map. */
#define CINCH_FACT_REFUSED 6

/* A signal the target sent to a process of another user (CAP_KILL): a
 * struct cinch_fact with nr = the signal, args = [sender's euid, receiver's uid]. */
#define CINCH_FACT_KILL 7

/* Key of the refusals map (value: a __u64 count). */
struct cinch_refusal {
	__u32 slot;
	__u32 nr;    /* syscall number */
	__s32 error; /* the errno the filter answered with */
	__u32 tgid;  /* the refused process, as the host sees it */
	__u32 ns_tgid;
	__u32 pad;
};
#define CINCH_COMM 16

struct cinch_refusal_fact {
	__u32 kind; /* CINCH_FACT_REFUSED */
	__u32 pad;
	struct cinch_refusal key;
	char comm[CINCH_COMM]; /* the refused thread's name (the process may be gone when it is read) */
};

/* Distinct (process, syscall, errno) refusals counted; more count as lost. */
#define CINCH_MAX_REFUSALS 4096

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
	/* The same, of the first task of the slot seen under the seccomp filter
	 * (CINCH_MODE_NEW_CONTAINERS): crun creates the namespace before it
	 * moves into the container's cgroup, and the filter comes after. */
	__u32 filtered; /* non-zero once these are written */
	__u32 pad;
	char filtered_cgroup[CINCH_CGROUP_NAME];
	char filtered_cgroup_v1[CINCH_CGROUP_NAME];
};

#endif
