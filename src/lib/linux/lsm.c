#include "lsm.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "linux/apparmor.h"
#include "linux/procfs.h"
#include "oci/spec.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void klsm_detect(const char *root, struct klsm_host *h)
{
	char path[PATH_MAX], buf[8] = "";
	struct stat st;
	/* the host's answer does not change while we run: look once */
	static struct klsm_host host;
	static int known;
	if (!*root && known) {
		*h = host;
		return;
	}

	h->apparmor = h->selinux = 0;
	snprintf(path, sizeof(path), "%s/sys/module/apparmor/parameters/enabled", root);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && read(fd, buf, sizeof(buf) - 1) > 0 && buf[0] == 'Y')
		h->apparmor = 1;
	snprintf(path, sizeof(path), "%s/sys/fs/selinux/enforce", root);
	h->selinux = stat(path, &st) == 0;
	if (!*root) {
		host = *h;
		known = 1;
	}
}

static int set(const char *v)
{
	return v && *v;
}

/* A name written to attr/exec as it is: the kernel trims the value and
 * splits it at a space, so " unconfined" would be read as "unconfined". */
static int plain_name(const char *v)
{
	for (const unsigned char *c = (const unsigned char *)v; *c; c++)
		if (isspace(*c) || iscntrl(*c))
			return 0;
	return 1;
}

int klsm_check_process(const struct klsm_host *h, const struct oci_process *p, const char *field, kerr *e)
{
	if (set(p->apparmor_profile) && !plain_name(p->apparmor_profile))
		return kerr_msg(e, EINVAL, "%s.apparmorProfile: \"%.200s\": a profile name has no space or control "
				"character (the kernel would trim or split it)", field, p->apparmor_profile);
	if (set(p->apparmor_profile) && strcmp(p->apparmor_profile, "unconfined") && !h->apparmor)
		return kerr_msg(e, ENOTSUP, "%s.apparmorProfile: \"%s\" cannot be applied: this host has no AppArmor "
				"(only \"unconfined\" is accepted)", field, p->apparmor_profile);
	if (set(p->selinux_label) && !h->selinux)
		return kerr_msg(e, ENOTSUP, "%s.selinuxLabel: \"%s\" cannot be applied: this host has no SELinux",
				field, p->selinux_label);
	return 0;
}

int klsm_check_spec(const struct klsm_host *h, const struct oci_spec *s, kerr *e)
{
	if (set(s->mount_label) && !h->selinux)
		return kerr_msg(e, ENOTSUP, "config.json: linux.mountLabel: \"%s\" cannot be applied: this host has "
				"no SELinux", s->mount_label);
	return s->has_process ? klsm_check_process(h, &s->process, "config.json: process", e) : 0;
}

const char *klsm_default_apparmor(const struct klsm_host *h)
{
	return h->apparmor ? KAA_DEFAULT_PROFILE : NULL;
}

int klsm_prepare_process(const struct klsm_host *h, const struct oci_process *p, const char *field, kerr *e)
{
	const char *name = p->apparmor_profile;
	if (!h->apparmor || !set(name) || !strcmp(name, "unconfined"))
		return 0;
	if (!strcmp(name, KAA_DEFAULT_PROFILE)) {
		struct kaa_default d = { .securityfs = KAA_SECURITYFS, .file = KAA_PROFILE_DIR "/" KAA_DEFAULT_PROFILE,
					 .state_dir = KAA_STATE_DIR };
		int reloaded;
		return kaa_ensure_default(&d, &reloaded, e) < 0 ? kerr_wrap(e, "%s.apparmorProfile", field) : 0;
	}
	struct kaa_profile prof;
	kerr ig = { 0 };
	/* without a readable securityfs the write to attr/exec is the check */
	if (kaa_profile_find(KAA_SECURITYFS, name, &prof, &ig) == 0 && !prof.loaded)
		return kerr_msg(e, ENOENT, "%s.apparmorProfile: AppArmor profile \"%s\" is not loaded (the kernel lists "
				"no such profile in %s/policy/profiles; load it with apparmor_parser --replace %s/%s)",
				field, name, KAA_SECURITYFS, KAA_PROFILE_DIR, name);
	return 0;
}

/* thread-self/attr/FILE, or ALT where FILE does not exist (AppArmor
 * before the per-LSM directories) */
static int write_attr(int procfd, const char *file, const char *alt, const char *value, kerr *e)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "thread-self/attr/%s", file);
	if (alt) {
		_cleanup_close_ int fd = kprocfs_openat(procfd, path, O_PATH, e);
		if (fd < 0 && e->errnum == ENOENT)
			snprintf(path, sizeof(path), "thread-self/attr/%s", alt);
	}
	return kprocfs_write(procfd, path, value, e);
}

int klsm_apply_exec(const struct klsm_host *h, const struct oci_process *p, int procfd, kerr *e)
{
	if (h->apparmor && set(p->apparmor_profile)) {
		char v[512];
		snprintf(v, sizeof(v), "exec %s", p->apparmor_profile);
		if (write_attr(procfd, "apparmor/exec", "exec", v, e) < 0)
			return kerr_wrap(e, "apply AppArmor profile %s", p->apparmor_profile);
	}
	if (h->selinux && set(p->selinux_label) && write_attr(procfd, "exec", NULL, p->selinux_label, e) < 0)
		return kerr_wrap(e, "apply SELinux label %s", p->selinux_label);
	return 0;
}

int klsm_apply_keycreate(const struct klsm_host *h, const struct oci_process *p, int procfd, kerr *e)
{
	if (h->selinux && set(p->selinux_label) && write_attr(procfd, "keycreate", NULL, p->selinux_label, e) < 0)
		return kerr_wrap(e, "apply SELinux key label %s", p->selinux_label);
	return 0;
}

int klsm_apparmor_current(int procfd, int pid, char *buf, size_t n, kerr *e)
{
	char path[64];
	snprintf(path, sizeof(path), "%d/attr/apparmor/current", pid);
	_cleanup_close_ int fd = kprocfs_openat(procfd, path, O_RDONLY, e);
	if (fd < 0 && e->errnum == ENOENT) {
		snprintf(path, sizeof(path), "%d/attr/current", pid);
		fd = kprocfs_openat(procfd, path, O_RDONLY, e);
	}
	if (fd < 0)
		return -1;
	ssize_t l = read(fd, buf, n - 1);
	if (l < 0)
		return kerr_errno(e, "read /proc/%s", path);
	buf[l] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

const char *klsm_mount_context(const struct klsm_host *h, const struct oci_spec *s, char *buf, size_t n)
{
	if (!h->selinux || !set(s->mount_label))
		return NULL;
	snprintf(buf, n, "context=\"%s\"", s->mount_label);
	return buf;
}
