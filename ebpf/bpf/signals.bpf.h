/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * signals.bpf.h - a signal the target sent to a process of another user:
 * the evidence that it needs CAP_KILL. signal:signal_generate fires once the
 * kernel's permission check has passed, with the sender current and the
 * receiver in hand, so the check is redone here on their credentials.
 */
#ifndef CINCH_SIGNALS_BPF_H
#define CINCH_SIGNALS_BPF_H

#include "kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "cinch.h"
#include "syscalls.bpf.h"

#define SIGCONT 18

/* Whether the kernel asked for CAP_KILL to let `sender` signal `target`
 * (kill_ok_by_cred): a signal from user space, not to its own thread
 * group, where neither the sender's uid nor its euid is the receiver's uid
 * or saved uid. SIGCONT within a session needs nothing and is left out. */
static __always_inline bool kill_needed(struct task_struct *sender, struct task_struct *target,
					const struct kernel_siginfo *info, int sig)
{
	if ((unsigned long)info == 1)
		return false; /* SEND_SIG_PRIV: the kernel's own */
	if (info && BPF_CORE_READ(info, si_code) > 0)
		return false; /* SIGCHLD, SIGPIPE, a timer: the kernel's */
	if (sig == SIGCONT || BPF_CORE_READ(sender, tgid) == BPF_CORE_READ(target, tgid))
		return false;
	const struct cred *from = BPF_CORE_READ(sender, cred);
	const struct cred *to = BPF_CORE_READ(target, real_cred);
	__u32 euid = BPF_CORE_READ(from, euid.val), uid = BPF_CORE_READ(from, uid.val);
	__u32 tuid = BPF_CORE_READ(to, uid.val), tsuid = BPF_CORE_READ(to, suid.val);
	return euid != tuid && euid != tsuid && uid != tuid && uid != tsuid;
}

/* A target task signalled another user's process: one fact per (signal,
 * sender euid, receiver uid). */
static __always_inline void record_signal(struct task_struct *sender, struct task_struct *target,
					  const struct kernel_siginfo *info, int sig, __u32 slot)
{
	if (!kill_needed(sender, target, info, sig))
		return;
	const struct cred *from = BPF_CORE_READ(sender, cred);
	const struct cred *to = BPF_CORE_READ(target, real_cred);
	struct cinch_fact fact = {
		.kind = CINCH_FACT_KILL,
		.nr = (__u32)sig,
		.slot = slot,
		.args = { BPF_CORE_READ(from, euid.val), BPF_CORE_READ(to, uid.val), 0 },
	};
	report_fact(&fact);
}

#endif
