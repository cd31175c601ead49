/* Device rules on the cgroup2 tree: a BPF_PROG_TYPE_CGROUP_DEVICE program
 * built from linux.resources.devices and attached to the container's cgroup.
 *
 * Semantics (the same rules the v1 driver writes to devices.allow/deny):
 * default deny; each requested access (m, r, w) is decided on its own by
 * the LAST rule that matches the device (type a/c/b, major and minor, -1 or
 * type "a" for any) and names that access; an open or mknod is allowed only
 * if every access it asks for is.
 *
 * One corner differs from cgroup v1, where a single rule must allow the
 * whole request: here the accesses of one request may be allowed by
 * different rules, so "allow c *:* r" followed by "allow c 1:3 w" lets an
 * rw open of 1:3 through that v1 refuses.  The rules Docker, Podman,
 * containerd and kubelets write never split an access that way; whether to
 * follow v1 here is open (a review found it).
 *
 * The program is attached with BPF_F_ALLOW_MULTI: programs of the ancestor
 * cgroups (the host's) still run, and a nested manager inside the container
 * can only add programs below ours, never widen what ours allows.  A cgroup
 * holds at most one kapsel program (named KCG_DEVBPF_NAME): applying rules
 * again replaces it in one step (BPF_F_REPLACE), or where the kernel lacks
 * that, attaches the new one before the old one is detached, so the cgroup
 * is never without one.  An attached program lives as long as the cgroup;
 * no fd is kept and nothing is pinned. */
#ifndef KAPSEL_CGROUP_DEVICES_BPF_H
#define KAPSEL_CGROUP_DEVICES_BPF_H

#include "common/err.h"

#include <stddef.h>
#include <stdint.h>

#define KCG_DEVBPF_NAME "kapsel_devices"

struct kcg_dev_rule;
struct bpf_insn;

/* A built program.  Free with kcg_devbpf_free. */
struct kcg_devbpf {
	struct bpf_insn *insn;
	size_t n, cap;
};

/* Build the program for RULES[0..N) (in the order given; the caller puts
 * the default devices last).  Pure: touches no kernel object. */
int kcg_devbpf_build(const struct kcg_dev_rule *rules, size_t n, struct kcg_devbpf *out, kerr *e);
void kcg_devbpf_free(struct kcg_devbpf *p);

/* Load P into the kernel; returns the program fd (O_CLOEXEC).  A verifier
 * refusal carries the verifier's log in the message. */
int kcg_devbpf_load(const struct kcg_devbpf *p, kerr *e);

/* Attach PROG_FD to the cgroup2 directory CGDIR, replacing the kapsel
 * program attached there (if any). */
int kcg_devbpf_attach(const char *cgdir, int prog_fd, kerr *e);

/* Build, load and attach: the rules of RULES[0..N) enforced in CGDIR. */
int kcg_devbpf_apply(const char *cgdir, const struct kcg_dev_rule *rules, size_t n, kerr *e);

/* Ids of the kapsel programs attached directly to CGDIR (at most MAX in
 * IDS); returns how many there are. */
int kcg_devbpf_query(const char *cgdir, uint32_t *ids, size_t max, kerr *e);

/* Rules as the text of a plan entry ("deny a *:* rwm\nallow c 1:3 rw\n"),
 * and back.  The parsed array is freed with free(). */
int kcg_dev_rules_format(const struct kcg_dev_rule *rules, size_t n, char **out);
int kcg_dev_rules_parse(const char *text, struct kcg_dev_rule **out, size_t *n, kerr *e);

#endif
