/* Device rules on the cgroup2 tree: a BPF_PROG_TYPE_CGROUP_DEVICE program
 * built from linux.resources.devices and attached to the container's cgroup.
 *
 * Semantics: exactly cgroup v1's, where the v1 driver writes the same rules
 * to devices.allow and devices.deny after a leading deny-all.  The rules,
 * in order, are reduced to a default and exceptions as the v1 kernel
 * keeps them: a rule of type "a" sets the default (allow or deny) and
 * drops every exception, whatever its numbers and access say; a rule that
 * agrees with the default takes its accesses out of the exception for
 * exactly that type:major:minor (wildcards compared as written); one that
 * disagrees adds them to it.  Then, as v1 decides: under default deny a
 * request (open for r and/or w, mknod for m) is allowed only when ONE
 * exception matching the device grants every access it asks for; under
 * default allow it is denied when any matching exception names any of
 * them.  So "allow c *:* r" then "allow c 1:3 w" refuses an rw open of
 * 1:3 as v1 does, and on a hybrid host the program and the v1 controller
 * give the same answers (tests/unit/test_cgroup_devices_bpf.c compares
 * the two on random rule lists).
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

/* One exception: devices of TYPE ('c' or 'b') MAJOR:MINOR (-1: any) and
 * the access bits (BPF_DEVCG_ACC_*) it names. */
struct kcg_dev_ex {
	char type;
	int64_t major, minor;
	int access;
};
struct kcg_dev_state {
	int allow; /* the default */
	struct kcg_dev_ex *ex;
	size_t n;
};
/* RULES[0..N) after a deny-all, reduced as v1 does (above); free out->ex. */
int kcg_dev_reduce(const struct kcg_dev_rule *rules, size_t n, struct kcg_dev_state *out, kerr *e);

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
