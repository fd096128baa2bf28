/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * config.bpf.h - load-time configuration: every `const volatile` global the
 * loader (ebpf/src/lib.rs) overrides with EbpfLoader::override_global before
 * the programs are loaded, so the verifier sees them as constants.
 *
 * The loader finds the nr_* globals by their symbol names in the compiled
 * object and sets each to the number of the syscall named after the prefix
 * on the running architecture, or leaves -1 where it has no such syscall: a
 * global added here is set with no change on the Rust side.
 */
#ifndef CINCH_CONFIG_BPF_H
#define CINCH_CONFIG_BPF_H

#include "kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "cinch.h"

const volatile __u32 cfg_mode = 0;
/* cinch's own (the host's) mount namespace: never adopted, even when a
 * privileged target enters it, or the whole host would be traced. */
const volatile __u32 cfg_host_mntns = 0;
/* Non-zero: tell calls the seccomp filter refused from calls that ran
 * (refusals.bpf.h), for `cinch watch`. Off, tracing pays nothing for it. */
const volatile __u32 cfg_refusals = 0;

/* Syscall numbers of the running architecture; -1 means "no such syscall". */
const volatile __s64 nr_execve = -1;
const volatile __s64 nr_execveat = -1;
const volatile __s64 nr_clone = -1;
const volatile __s64 nr_clone3 = -1;
const volatile __s64 nr_unshare = -1;
const volatile __s64 nr_setns = -1;
const volatile __s64 nr_socket = -1;
const volatile __s64 nr_personality = -1;
const volatile __s64 nr_prctl = -1;
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
const volatile __s64 nr_stat = -1;
const volatile __s64 nr_lstat = -1;
const volatile __s64 nr_newfstatat = -1;
const volatile __s64 nr_statx = -1;
const volatile __s64 nr_access = -1;
const volatile __s64 nr_faccessat = -1;
const volatile __s64 nr_faccessat2 = -1;
const volatile __s64 nr_flock = -1;
const volatile __s64 nr_fcntl = -1;

#endif
