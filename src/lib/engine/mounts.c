/* -v and --mount (mounts.h). */
#include "mounts.h"

#include "common/cleanup.h"
#include "common/str.h"
#include "common/strv.h"
#include "common/units.h"
#include "convert.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

void keng_mount_clear(struct keng_mount *m)
{
	free(m->source);
	free(m->target);
	free(m->propagation);
	free(m->mode);
	memset(m, 0, sizeof(*m));
	m->tmpfs_mode = -1;
}

const char *keng_mount_type_name(enum keng_mount_type t)
{
	return t == KENG_MOUNT_BIND ? "bind" : t == KENG_MOUNT_VOLUME ? "volume" : "tmpfs";
}

bool keng_volume_name_ok(const char *n)
{
	if (!n || !isalnum((unsigned char)n[0]) || !n[1] || strlen(n) > 200)
		return false;
	for (const char *c = n + 1; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '_' && *c != '.' && *c != '-')
			return false;
	return true;
}

static bool is_propagation(const char *s)
{
	static const char *const ok[] = { "private", "rprivate", "slave", "rslave", "shared", "rshared", NULL };
	for (const char *const *p = ok; *p; p++)
		if (!strcmp(s, *p))
			return true;
	return false;
}

static int target_check(const char *what, const char *type, const char *t, kerr *e)
{
	if (!t || !*t)
		return kerr_msg(e, EINVAL, "%s: invalid mount config for type \"%s\": field Target must not be empty",
				what, type);
	if (t[0] != '/')
		return kerr_msg(e, EINVAL,
				"%s: invalid mount config for type \"%s\": invalid mount path: '%s' mount path must be "
				"absolute",
				what, type, t);
	if (keng_workdir_check(t, e) < 0 || !strcmp(t, "/"))
		return kerr_msg(e, EINVAL, "%s: invalid mount path: '%s': not / and without \"..\"", what, t);
	return 0;
}

static int source_check(const char *what, struct keng_mount *m, kerr *e)
{
	if (m->type == KENG_MOUNT_BIND) {
		if (!m->source || !*m->source)
			return kerr_msg(e, EINVAL,
					"%s: invalid mount config for type \"bind\": field Source must not be empty",
					what);
		if (m->source[0] != '/')
			return kerr_msg(e, EINVAL,
					"%s: invalid mount config for type \"bind\": invalid mount path: '%s' mount "
					"path must be absolute",
					what, m->source);
	} else if (m->type == KENG_MOUNT_VOLUME) {
		if (m->source && !keng_volume_name_ok(m->source))
			return kerr_msg(e, EINVAL,
					"%s: \"%s\" includes invalid characters for a local volume name, only "
					"\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host "
					"directory, use absolute path",
					what, m->source);
	} else if (m->source && *m->source) {
		return kerr_msg(e, EINVAL,
				"%s: invalid mount config for type \"tmpfs\": field Source must not be specified",
				what);
	}
	return 0;
}

/* SPEC split at SEP, empty pieces kept. */
static char **split_all(const char *spec, char sep)
{
	char **v = calloc(1, sizeof(char *));
	for (const char *s = spec; v;) {
		const char *c = strchr(s, sep);
		_cleanup_free_ char *piece = strndup(s, c ? (size_t)(c - s) : strlen(s));
		if (!piece || kstrv_add(&v, piece) < 0) {
			kstrv_free(v);
			return NULL;
		}
		if (!c)
			break;
		s = c + 1;
	}
	return v;
}

int keng_mount_parse_v(const char *spec, struct keng_mount *m, kerr *e)
{
	keng_mount_clear(m);
	_cleanup_strv_ char **parts = split_all(spec, ':');
	if (!parts)
		return kerr_errno(e, "-v %s", spec);
	size_t n = kstrv_len(parts);
	if (n < 1 || n > 3 || !*spec || (n == 3 && !*parts[2]))
		return kerr_msg(e, EINVAL, "-v %s: invalid volume specification: '%s'", spec, spec);
	const char *src = n >= 2 ? parts[0] : NULL, *dst = n >= 2 ? parts[1] : parts[0];
	const char *opts = n == 3 ? parts[2] : "";
	m->type = src && src[0] == '/' ? KENG_MOUNT_BIND : KENG_MOUNT_VOLUME;
	if (src && !*src)
		return kerr_msg(e, EINVAL, "-v %s: invalid volume specification: '%s'", spec, spec);
	if (!(m->mode = strdup(opts)) || (src && !(m->source = strdup(src))) || !(m->target = strdup(dst)))
		return kerr_errno(e, "-v %s", spec);
	char what[64 + 4096];
	snprintf(what, sizeof(what), "-v %s", spec);
	if (target_check(what, keng_mount_type_name(m->type), dst, e) < 0 || source_check(what, m, e) < 0)
		return -1;
	_cleanup_strv_ char **o = *opts ? kstrv_split(opts, ",") : NULL;
	int rw = 0;
	for (char **p = o; p && *p; p++) {
		if (!strcmp(*p, "ro") || !strcmp(*p, "rw")) {
			if (rw++)
				return kerr_msg(e, EINVAL, "-v %s: invalid mode: %s (ro and rw conflict)", spec, opts);
			m->ro = !strcmp(*p, "ro");
		} else if (!strcmp(*p, "nocopy") && m->type == KENG_MOUNT_VOLUME) {
			m->nocopy = true;
		} else if (is_propagation(*p) && m->type == KENG_MOUNT_BIND) {
			if (m->propagation)
				return kerr_msg(e, EINVAL, "-v %s: invalid mode: %s (two propagations)", spec, opts);
			if (!(m->propagation = strdup(*p)))
				return kerr_errno(e, "-v");
		} else if (!strcmp(*p, "idmap") && m->type == KENG_MOUNT_BIND) {
			m->idmap = true;
		} else if (!strcmp(*p, "idmap")) {
			return kerr_msg(e, EINVAL,
					"-v %s: invalid mode: idmap is for a bind (a named volume is owned by the "
					"container's user already)",
					spec);
		} else if (!strcmp(*p, "z") || !strcmp(*p, "Z")) {
			return kerr_msg(e, EINVAL,
					"-v %s: invalid mode: %s (z and Z relabel for SELinux, which this host "
					"does not use)",
					spec, *p);
		} else {
			return kerr_msg(e, EINVAL,
					"-v %s: invalid mode: %s (kapsel knows ro, rw, nocopy for a volume, "
					"and [r]private, [r]slave, [r]shared, idmap for a bind)",
					spec, *p);
		}
	}
	return 0;
}

static int parse_bool(const char *what, const char *kv, const char *v, bool *out, kerr *e)
{
	if (!v || !strcmp(v, "true") || !strcmp(v, "1"))
		*out = true;
	else if (!strcmp(v, "false") || !strcmp(v, "0"))
		*out = false;
	else
		return kerr_msg(e, EINVAL, "%s: invalid value for %s: expected true or false", what, kv);
	return 0;
}

int keng_mount_parse_mount(const char *spec, struct keng_mount *m, kerr *e)
{
	keng_mount_clear(m);
	char what[64 + 4096];
	snprintf(what, sizeof(what), "--mount %s", spec);
	_cleanup_strv_ char **kvs = split_all(spec, ',');
	if (!kvs || !(m->mode = strdup("")))
		return kerr_errno(e, "--mount");
	const char *type = NULL;
	bool nocopy_set = false, size_set = false, mode_set = false, prop_set = false;
	for (char **p = kvs; *p; p++) {
		if (!**p)
			return kerr_msg(e, EINVAL, "%s: an empty field", what);
		char *eq = strchr(*p, '=');
		const char *v = eq ? eq + 1 : NULL;
		size_t kl = eq ? (size_t)(eq - *p) : strlen(*p);
#define KEY(s) (kl == strlen(s) && !strncmp(*p, s, kl))
		if (KEY("type")) {
			type = v;
		} else if (KEY("source") || KEY("src")) {
			free(m->source);
			if (!v || !(m->source = strdup(v)))
				return kerr_msg(e, EINVAL, "%s: invalid field '%s' must be a key=value pair", what, *p);
		} else if (KEY("target") || KEY("destination") || KEY("dst")) {
			free(m->target);
			if (!v || !(m->target = strdup(v)))
				return kerr_msg(e, EINVAL, "%s: invalid field '%s' must be a key=value pair", what, *p);
		} else if (KEY("readonly") || KEY("ro")) {
			if (parse_bool(what, *p, v, &m->ro, e) < 0)
				return -1;
		} else if (KEY("volume-nocopy")) {
			if (parse_bool(what, *p, v, &m->nocopy, e) < 0)
				return -1;
			nocopy_set = true;
		} else if (KEY("tmpfs-size")) {
			if (!v || kunits_parse_size("--mount tmpfs-size", v, &m->tmpfs_size, e) < 0 ||
			    m->tmpfs_size <= 0)
				return kerr_msg(e, EINVAL, "%s: invalid value for tmpfs-size: %s", what, v ? v : "");
			size_set = true;
		} else if (KEY("tmpfs-mode")) {
			char *end;
			long md = v ? strtol(v, &end, 8) : -1;
			if (!v || !*v || *end || md < 0 || md > 07777)
				return kerr_msg(e, EINVAL, "%s: invalid value for tmpfs-mode: %s (octal, as 1770)",
						what, v ? v : "");
			m->tmpfs_mode = (int)md;
			mode_set = true;
		} else if (KEY("bind-propagation")) {
			if (!v || !is_propagation(v))
				return kerr_msg(e, EINVAL,
						"%s: invalid value for bind-propagation: %s (expected [r]private, "
						"[r]slave or [r]shared)",
						what, v ? v : "");
			free(m->propagation);
			if (!(m->propagation = strdup(v)))
				return kerr_errno(e, "--mount");
			prop_set = true;
		} else {
			return kerr_msg(e, EINVAL, "%s: unexpected key '%.*s' in '%s'", what, (int)kl, *p, *p);
		}
#undef KEY
	}
	if (!type)
		type = "volume"; /* Docker's default */
	if (!strcmp(type, "bind"))
		m->type = KENG_MOUNT_BIND;
	else if (!strcmp(type, "volume"))
		m->type = KENG_MOUNT_VOLUME;
	else if (!strcmp(type, "tmpfs"))
		m->type = KENG_MOUNT_TMPFS;
	else
		return kerr_msg(e, EINVAL,
				"%s: invalid mount config: mount type unknown: \"%s\" (kapsel has bind, "
				"volume and tmpfs)",
				what, type);
	const char *tn = keng_mount_type_name(m->type);
	if ((nocopy_set && m->type != KENG_MOUNT_VOLUME) || ((size_set || mode_set) && m->type != KENG_MOUNT_TMPFS) ||
	    (prop_set && m->type != KENG_MOUNT_BIND))
		return kerr_msg(e, EINVAL,
				"%s: invalid mount config for type \"%s\": an option of another type "
				"(volume-nocopy is for volume, tmpfs-* for tmpfs, bind-propagation for bind)",
				what, tn);
	if (m->type == KENG_MOUNT_VOLUME && m->source && !*m->source) {
		free(m->source);
		m->source = NULL;
	}
	return target_check(what, tn, m->target, e) < 0 || source_check(what, m, e) < 0 ? -1 : 0;
}
