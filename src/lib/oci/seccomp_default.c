/* kapsel's default seccomp profile (a linux.seccomp object).
 *
 * Shape: deny by default with EPERM (defaultErrnoRet 1), allow a list.  An
 * allow-list rather than a deny-list because the kernel keeps adding
 * syscalls, and a new one should start out unavailable to containers.
 *
 * The list follows the idea of Docker's default profile -- the syscalls an
 * ordinary unprivileged program uses -- written out here from the syscall
 * names, and then made stricter where kapsel's containers, which hold no
 * capabilities by default, would not need more.  Left out, so they fail
 * with EPERM:
 *
 *  - mounts and filesystems: mount, umount, umount2, pivot_root, chroot and
 *    the new mount API (fsopen, fsconfig, fsmount, fspick, open_tree,
 *    move_mount, mount_setattr); quotactl, quotactl_fd; nfsservctl.
 *  - namespaces: setns; unshare and clone are allowed only without any
 *    CLONE_NEW* flag (below); clone3 gets ENOSYS (below).
 *  - the kernel itself: init_module, finit_module, delete_module, kexec_load,
 *    kexec_file_load, reboot, swapon, swapoff, acct, syslog, bpf,
 *    perf_event_open, lookup_dcookie, userfaultfd, iopl, ioperm, vm86,
 *    vm86old, modify_ldt (16-bit code and Wine only; a history of bugs),
 *    pciconfig_*, sysfs, _sysctl, ustat, uselib, create_module,
 *    get_kernel_syms, query_module.
 *  - the kernel keyring: keyctl, add_key, request_key (not namespaced).
 *  - time: settimeofday, stime, clock_settime(64) (adjtimex and
 *    clock_adjtime stay: reading is unprivileged, setting needs CAP_SYS_TIME).
 *  - other processes: ptrace, process_vm_readv, process_vm_writev, kcmp,
 *    pidfd_getfd, process_madvise.
 *  - file handles: name_to_handle_at, open_by_handle_at (the "shocker"
 *    escape through CAP_DAC_READ_SEARCH).
 *  - NUMA policy (Docker: CAP_SYS_NICE only): mbind, set_mempolicy,
 *    get_mempolicy, migrate_pages, move_pages.
 *  - io_uring_setup, io_uring_enter, io_uring_register: a large attack
 *    surface that bypasses seccomp for the operations it submits (Docker's
 *    profile dropped them too).
 *  - memfd_secret, sethostname, setdomainname, vhangup, fanotify_init.
 *
 * Conditional rules:
 *  - personality: only the values programs really use: 0 (PER_LINUX), 8
 *    (PER_LINUX32), 0x20000 (UNAME26), 0x20008, and 0xffffffff (query).
 *    Several args on the same index are OR'ed (one rule each).
 *  - clone: allowed when (flags & 0x7E020000) == 0, i.e. without
 *    CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET.
 *    (Argument 0 holds the flags on every architecture listed here; s390
 *    would need index 1.)
 *  - unshare: the same test, with CLONE_NEWTIME (0x80) added to the mask
 *    (0x7E020080): unshare takes it, clone cannot (0x80 is part of the exit
 *    signal there).  unshare(CLONE_FS), CLONE_FILES, CLONE_SYSVSEM stay.
 *  - clone3: ENOSYS.  Its flags live in memory, out of seccomp's reach, so
 *    it cannot be filtered like clone; ENOSYS makes glibc fall back to clone.
 *  - socket: every family but AF_VSOCK (40), the path to the hypervisor.
 *
 * Architectures: the native one and its compat ABIs (x86_64: x86, x32;
 * aarch64: arm).  Names newer than the installed libseccomp are skipped at
 * compile time (debug log). */
#include "oci/seccomp_default.h"

#include "common/cleanup.h"

#include <errno.h>
#include <stdint.h>

static const char *const allowed[] = {
	"accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "cachestat",
	"capget", "capset", "chdir", "chmod", "chown", "chown32",
	"clock_adjtime", "clock_adjtime64", "clock_getres", "clock_getres_time64",
	"clock_gettime", "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64",
	"close", "close_range", "connect", "copy_file_range", "creat",
	"dup", "dup2", "dup3",
	"epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait",
	"epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2",
	"execve", "execveat", "exit", "exit_group",
	"faccessat", "faccessat2", "fadvise64", "fadvise64_64", "fallocate", "fanotify_mark",
	"fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown", "fchown32", "fchownat",
	"fcntl", "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork",
	"fremovexattr", "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64",
	"fsync", "ftruncate", "ftruncate64",
	"futex", "futex_requeue", "futex_time64", "futex_wait", "futex_waitv", "futex_wake",
	"futimesat",
	"getcpu", "getcwd", "getdents", "getdents64", "getegid", "getegid32", "geteuid",
	"geteuid32", "getgid", "getgid32", "getgroups", "getgroups32", "getitimer",
	"getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority", "getrandom",
	"getresgid", "getresgid32", "getresuid", "getresuid32", "getrlimit", "get_robust_list",
	"getrusage", "getsid", "getsockname", "getsockopt", "get_thread_area", "gettid",
	"gettimeofday", "getuid", "getuid32", "getxattr",
	"inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch",
	"io_cancel", "ioctl", "io_destroy", "io_getevents", "io_pgetevents",
	"io_pgetevents_time64", "ioprio_get", "ioprio_set", "io_setup", "io_submit", "ipc",
	"kill",
	"landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self",
	"lchown", "lchown32", "lgetxattr", "link", "linkat", "listen", "listxattr",
	"llistxattr", "_llseek", "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64",
	"madvise", "map_shadow_stack", "membarrier", "memfd_create", "mincore",
	"mkdir", "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall",
	"mmap", "mmap2", "mprotect",
	"mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive", "mq_timedreceive_time64",
	"mq_timedsend", "mq_timedsend_time64", "mq_unlink",
	"mremap", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall",
	"munmap",
	"nanosleep", "newfstatat", "_newselect",
	"open", "openat", "openat2",
	"pause", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2",
	"pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl",
	"pread64", "preadv", "preadv2", "prlimit64", "process_mrelease",
	"pselect6", "pselect6_time64", "pwrite64", "pwritev", "pwritev2",
	"read", "readahead", "readlink", "readlinkat", "readv", "recv", "recvfrom",
	"recvmmsg", "recvmmsg_time64", "recvmsg", "remap_file_pages", "removexattr",
	"rename", "renameat", "renameat2", "restart_syscall", "rmdir", "rseq",
	"rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn",
	"rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo",
	"sched_getaffinity", "sched_getattr", "sched_getparam", "sched_get_priority_max",
	"sched_get_priority_min", "sched_getscheduler", "sched_rr_get_interval",
	"sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr",
	"sched_setparam", "sched_setscheduler", "sched_yield",
	"seccomp", "select", "semctl", "semget", "semop", "semtimedop", "semtimedop_time64",
	"send", "sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto",
	"setfsgid", "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32",
	"setgroups", "setgroups32", "setitimer", "setpgid", "setpriority",
	"setregid", "setregid32", "setresgid", "setresgid32", "setresuid", "setresuid32",
	"setreuid", "setreuid32", "setrlimit", "set_robust_list", "setsid", "setsockopt",
	"set_thread_area", "set_tid_address", "setuid", "setuid32", "setxattr",
	"shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd",
	"signalfd4", "sigprocmask", "sigreturn", "socketcall", "socketpair", "splice",
	"stat", "stat64", "statfs", "statfs64", "statx", "symlink", "symlinkat",
	"sync", "sync_file_range", "syncfs", "sysinfo",
	"tee", "tgkill", "time", "timer_create", "timer_delete", "timer_getoverrun",
	"timer_gettime", "timer_gettime64", "timer_settime", "timer_settime64",
	"timerfd_create", "timerfd_gettime", "timerfd_gettime64", "timerfd_settime",
	"timerfd_settime64", "times", "tkill", "truncate", "truncate64",
	"ugetrlimit", "umask", "uname", "unlink", "unlinkat", "utime", "utimensat",
	"utimensat_time64", "utimes",
	"vfork", "vmsplice", "wait4", "waitid", "waitpid", "write", "writev",
#if defined(__x86_64__) || defined(__i386__)
	"arch_prctl",
#endif
#if defined(__aarch64__) || defined(__arm__)
	"arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint",
	"cacheflush", "set_tls",
#endif
};

static const char *const architectures[] = {
#if defined(__x86_64__)
	"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32",
#elif defined(__i386__)
	"SCMP_ARCH_X86",
#elif defined(__aarch64__)
	"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM",
#elif defined(__arm__)
	"SCMP_ARCH_ARM",
#endif
};

#define NS_FLAGS_CLONE 0x7E020000ULL    /* CLONE_NEW{NS,CGROUP,UTS,IPC,USER,PID,NET} */
#define NS_FLAGS_UNSHARE (NS_FLAGS_CLONE | 0x80ULL) /* + CLONE_NEWTIME */
#define AF_VSOCK_NR 40

static json_object *strv(const char *const *v, size_t n)
{
	json_object *a = json_object_new_array_ext((int)n);
	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

static json_object *arg(unsigned int index, uint64_t value, uint64_t two, const char *op)
{
	json_object *a = json_object_new_object();
	json_object_object_add(a, "index", json_object_new_int(index));
	json_object_object_add(a, "value", json_object_new_uint64(value));
	json_object_object_add(a, "valueTwo", json_object_new_uint64(two));
	json_object_object_add(a, "op", json_object_new_string(op));
	return a;
}

/* A rule; args (may be NULL) is taken over. */
static json_object *rule(const char *const *names, size_t n, const char *action, int errno_ret,
			 json_object *args)
{
	json_object *r = json_object_new_object();
	json_object_object_add(r, "names", strv(names, n));
	json_object_object_add(r, "action", json_object_new_string(action));
	if (errno_ret >= 0)
		json_object_object_add(r, "errnoRet", json_object_new_int(errno_ret));
	if (args)
		json_object_object_add(r, "args", args);
	return r;
}

json_object *kseccomp_default_profile(void)
{
	static const char *const personality[] = { "personality" };
	static const char *const clone[] = { "clone" };
	static const char *const unshare[] = { "unshare" };
	static const char *const clone3[] = { "clone3" };
	static const char *const sock[] = { "socket" };
	static const uint64_t personas[] = { 0x0, 0x8, 0x20000, 0x20008, 0xffffffff };
	json_object *p = json_object_new_object(), *sc = json_object_new_array(), *a;

	json_object_object_add(p, "defaultAction", json_object_new_string("SCMP_ACT_ERRNO"));
	json_object_object_add(p, "defaultErrnoRet", json_object_new_int(1)); /* EPERM */
	json_object_object_add(p, "architectures", strv(architectures, ARRAY_SIZE(architectures)));

	json_object_array_add(sc, rule(allowed, ARRAY_SIZE(allowed), "SCMP_ACT_ALLOW", -1, NULL));

	a = json_object_new_array();
	for (size_t i = 0; i < ARRAY_SIZE(personas); i++)
		json_object_array_add(a, arg(0, personas[i], 0, "SCMP_CMP_EQ"));
	json_object_array_add(sc, rule(personality, 1, "SCMP_ACT_ALLOW", -1, a));

	a = json_object_new_array();
	json_object_array_add(a, arg(0, NS_FLAGS_CLONE, 0, "SCMP_CMP_MASKED_EQ"));
	json_object_array_add(sc, rule(clone, 1, "SCMP_ACT_ALLOW", -1, a));

	a = json_object_new_array();
	json_object_array_add(a, arg(0, NS_FLAGS_UNSHARE, 0, "SCMP_CMP_MASKED_EQ"));
	json_object_array_add(sc, rule(unshare, 1, "SCMP_ACT_ALLOW", -1, a));

	json_object_array_add(sc, rule(clone3, 1, "SCMP_ACT_ERRNO", ENOSYS, NULL));

	a = json_object_new_array();
	json_object_array_add(a, arg(0, AF_VSOCK_NR, 0, "SCMP_CMP_NE"));
	json_object_array_add(sc, rule(sock, 1, "SCMP_ACT_ALLOW", -1, a));

	json_object_object_add(p, "syscalls", sc);
	return p;
}
