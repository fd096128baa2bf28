/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * net.bpf.h - socket addresses the target bound, listened on or connected to,
 * each sent once (a first-seen LRU set of whole facts).
 */
#ifndef CINCH_NET_BPF_H
#define CINCH_NET_BPF_H

#include "kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "cinch.h"
#include "output.bpf.h"
#include "task.bpf.h"
#include "files.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct cinch_net_fact);
	__type(value, __u8);
} net_seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cinch_net_fact);
} net_scratch SEC(".maps");

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
			/* The size is bounded on the very register the call takes:
			 * older verifiers (6.1) lose a bound the compiler applied
			 * to a copy, and a mask (127) exceeds the field (108). */
			__u32 size = (__u32)len;
			barrier_var(size);
			if (size > CINCH_UNIX_PATH)
				size = CINCH_UNIX_PATH;
			bpf_probe_read_user(fact->path, size, addr + 2);
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
	bool bound_to_file = op == CINCH_NET_BIND && !error && family == AF_UNIX && fact->path[0] != 0;
	send_net_fact(fact);
	/* The socket file the bind made, walked as any file: the path AppArmor
	 * mediates, whatever symbolic link the name given went through
	 * (/var/run/postgresql -> /run/postgresql). */
	if (bound_to_file && sock) {
		struct unix_sock *u = (struct unix_sock *)BPF_CORE_READ(sock, sk);
		record_path(task, slot, BPF_CORE_READ(u, path.dentry), BPF_CORE_READ(u, path.mnt),
			    CINCH_ACCESS_CREATE, CINCH_FACT_FILE, 0, 0);
	}
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

#endif
