/* Linux security modules: AppArmor profiles and SELinux labels.  Applied
 * where the kernel has the LSM; where it does not, a config that asks for
 * one is refused with a clear error (only "unconfined" is accepted), never
 * silently ignored. */
#ifndef KAPSEL_LSM_H
#define KAPSEL_LSM_H

#include "common/err.h"

struct oci_spec;
struct oci_process;

struct klsm_host {
	int apparmor;   /* AppArmor enabled */
	int selinux;    /* SELinux (selinuxfs) present */
};

/* Detect under ROOT ("" for the real system; tests pass a fake tree). */
void klsm_detect(const char *root, struct klsm_host *h);
/* Refuse what the host cannot do; FIELD prefix names where it came from
 * ("config.json: process" or "exec"). */
int klsm_check_process(const struct klsm_host *h, const struct oci_process *p, const char *field, kerr *e);
int klsm_check_spec(const struct klsm_host *h, const struct oci_spec *s, kerr *e);
/* The profile the built-in policy fills in where a config names none:
 * KAA_DEFAULT_PROFILE where the host has AppArmor, NULL where it has not. */
const char *klsm_default_apparmor(const struct klsm_host *h);
/* Before anything of the container exists (create) or the process is
 * forked (exec): kapsel-default loaded and current (linux/apparmor.h), any
 * other profile P names loaded in the kernel, else a clear error naming
 * FIELD.  Nothing to do without AppArmor or for "unconfined". */
int klsm_prepare_process(const struct klsm_host *h, const struct oci_process *p, const char *field, kerr *e);
/* In the container process before execve: set the exec label/profile
 * through thread-self/attr of the verified procfs handle PROCFD
 * (linux/procfs.h). */
int klsm_apply_exec(const struct klsm_host *h, const struct oci_process *p, int procfd, kerr *e);
/* Before the session keyring is made: its SELinux label (attr/keycreate,
 * the process label, as runc sets it) through PROCFD. */
int klsm_apply_keycreate(const struct klsm_host *h, const struct oci_process *p, int procfd, kerr *e);
/* The AppArmor label the kernel gives process PID ("kapsel-default
 * (enforce)", "unconfined"), read from PID/attr/apparmor/current (or
 * attr/current) through the verified procfs handle PROCFD. */
int klsm_apparmor_current(int procfd, int pid, char *buf, size_t n, kerr *e);
/* The mount data option for linux.mountLabel ("context=\"...\""), or NULL. */
const char *klsm_mount_context(const struct klsm_host *h, const struct oci_spec *s, char *buf, size_t n);

#endif
