// SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0)
/*
 * empty.bpf.c - the floor of the services benchmark: cinch's hooks (the same
 * program names on the same tracepoints, see PROGRAMS in ebpf/src/lib.rs)
 * with programs that do nothing. What any eBPF syscall tracer pays here
 * before it records anything. Built by bench/run.sh.
 */
#define SEC(name) __attribute__((section(name), used))

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tp_btf/sys_enter") int cinch_sys_enter(void *ctx) { return 0; }
SEC("tp_btf/sys_exit") int cinch_sys_exit(void *ctx) { return 0; }
SEC("tp_btf/sched_process_exec") int cinch_exec(void *ctx) { return 0; }
SEC("tp_btf/sched_process_fork") int cinch_fork(void *ctx) { return 0; }
SEC("tp_btf/sched_process_exit") int cinch_exit(void *ctx) { return 0; }
SEC("tp_btf/signal_generate") int cinch_signal(void *ctx) { return 0; }
