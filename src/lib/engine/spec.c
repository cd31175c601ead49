/* The runtime config of a kapsel container: kapsel's default spec
 * (oci/defaults.c) with every default of kapsel.conf applied, then the
 * image config converted (convert.h), then the user's flags.  Each
 * loosening is one flag, and the record keeps Docker's field names. */
#include "spec.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/json.h"
#include "common/signals.h"
#include "common/str.h"
#include "common/strv.h"
#include "common/units.h"
#include "convert.h"
#include "limits.h"
#include "mounts.h"
#include "volume.h"
#include "oci/defaults.h"
#include "oci/seccomp_default.h"
#include "vocab/caps.h"
#include "vocab/rlimits.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

KAPSEL_DEFINE_CLEANUP(char **, kstrv_free)

static json_object *jstrv(char *const *v)
{
	return v ? kj_new_strv((const char *const *)v) : NULL;
}

/* The image config's "config" strings vector KEY, NULL when absent. */
static char **img_strv(json_object *cfg, const char *key)
{
	json_object *a = kj_get(cfg, key);
	if (!a || !json_object_is_type(a, json_type_array))
		return NULL;
	char **v = NULL;
	v = calloc(1, sizeof(char *));
	for (size_t i = 0; v && i < json_object_array_length(a); i++)
		if (kstrv_add(&v, kj_str(json_object_array_get_idx(a, i))) < 0) {
			kstrv_free(v);
			return NULL;
		}
	return v;
}

bool keng_label_reserved(const char *k)
{
	static const char *const prefixes[] = { "io.kapsel.",
						"io.kubernetes.",
						"io.containerd.",
						"io.podman.",
						"org.opencontainers.image.ref.name",
						"org.opencontainers.image.base.digest",
						NULL };
	for (const char *const *p = prefixes; *p; p++)
		if (kstr_starts(k, *p))
			return true;
	return false;
}

/* ---- capabilities ---- */

static int caps_set(const struct keng_opts *o, bool caps[KCAP_ALL], kerr *e)
{
	memset(caps, 0, sizeof(bool) * KCAP_ALL);
	int last = kcap_last_cap();
	for (int pass = 0; pass < 2; pass++)
		for (char **p = pass ? o->cap_add : o->cap_drop; p && *p; p++) {
			int c = kcap_parse(*p);
			if (c < 0)
				return kerr_msg(e, EINVAL, "--cap-%s %s: unknown capability", pass ? "add" : "drop",
						*p);
			for (int i = 0; i <= last; i++)
				if (c == KCAP_ALL || c == i)
					caps[i] = pass;
		}
	return 0;
}

static json_object *caps_json(const bool caps[KCAP_ALL], bool full_name)
{
	json_object *a = json_object_new_array();
	for (int i = 0; i <= kcap_last_cap(); i++)
		if (caps[i])
			json_object_array_add(a, json_object_new_string(full_name ? kcap_name(i) : kcap_short_name(i)));
	return a;
}

static void set_caps(json_object *proc, const bool caps[KCAP_ALL], bool ambient)
{
	json_object *c = json_object_new_object();
	static const char *const sets[] = { "bounding", "effective", "permitted", "inheritable", "ambient", NULL };
	for (const char *const *s = sets; *s; s++) {
		bool want = strcmp(*s, "inheritable") && strcmp(*s, "ambient") ? true : ambient;
		bool none[KCAP_ALL] = { 0 };
		json_object_object_add(c, *s, caps_json(want ? caps : none, true));
	}
	json_object_object_add(proc, "capabilities", c);
}

/* ---- mounts ---- */

static json_object *tmpfs(const char *dest, const char *mode, int64_t size, const char *extra)
{
	json_object *m = json_object_new_object(), *opts = json_object_new_array();
	json_object_object_add(m, "destination", json_object_new_string(dest));
	json_object_object_add(m, "type", json_object_new_string("tmpfs"));
	json_object_object_add(m, "source", json_object_new_string("tmpfs"));
	bool exec = false;
	_cleanup_strv_ char **x = extra ? kstrv_split(extra, ",") : NULL;
	for (char **p = x; p && *p; p++)
		if (!strcmp(*p, "exec"))
			exec = true;
	json_object_array_add(opts, json_object_new_string("nosuid"));
	json_object_array_add(opts, json_object_new_string("nodev"));
	if (!exec)
		json_object_array_add(opts, json_object_new_string("noexec"));
	bool has_size = false, has_mode = false;
	for (char **p = x; p && *p; p++) {
		has_size |= kstr_starts(*p, "size=");
		has_mode |= kstr_starts(*p, "mode=");
	}
	if (!has_mode)
		json_object_array_add(opts, json_object_new_string(mode));
	if (!has_size && size > 0) {
		char b[48];
		snprintf(b, sizeof(b), "size=%lldk", (long long)(size / 1024));
		json_object_array_add(opts, json_object_new_string(b));
	}
	for (char **p = x; p && *p; p++)
		if (strcmp(*p, "exec") && strcmp(*p, "noexec"))
			json_object_array_add(opts, json_object_new_string(*p));
	json_object_object_add(m, "options", opts);
	return m;
}

static void drop_mount(json_object *ms, const char *dest)
{
	for (size_t i = json_object_array_length(ms); i-- > 0;)
		if (!strcmp(kj_get_str(json_object_array_get_idx(ms, i), "destination") ?: "", dest))
			json_object_array_del_idx(ms, i, 1);
}

/* A clean absolute path for a mount destination. */
static int check_dest(const char *what, const char *p, kerr *e)
{
	if (keng_workdir_check(p, e) < 0)
		return kerr_msg(e, EINVAL, "%s %s: expected an absolute path without \"..\"", what, p);
	if (!strcmp(p, "/"))
		return kerr_msg(e, EINVAL, "%s %s: not on the root", what, p);
	return 0;
}

void keng_build_clear(struct keng_build *b)
{
	for (size_t i = 0; i < b->n_umounts; i++)
		keng_mount_clear(&b->umounts[i]);
	free(b->umounts);
	b->umounts = NULL;
	b->n_umounts = 0;
}

static size_t depth(const char *p)
{
	size_t n = 0;
	for (; *p; p++)
		n += *p == '/' && p[1] && p[1] != '/';
	return n;
}

/* A user mount (-v, --mount) at DEST. */
static const struct keng_mount *umount_at(const struct keng_build *b, const char *dest)
{
	for (size_t i = 0; i < b->n_umounts; i++)
		if (!strcmp(b->umounts[i].target, dest))
			return &b->umounts[i];
	return NULL;
}

/* Order the mounts of MS from FROM on parents first (stable): a tmpfs
 * for an image's /data/cache after -v x:/data, not hidden by it. */
static int sort_by_depth(json_object *ms, size_t from)
{
	size_t n = json_object_array_length(ms);
	if (n <= from + 1)
		return 0;
	json_object **v = calloc(n - from, sizeof(*v));
	if (!v)
		return -1;
	for (size_t i = from; i < n; i++)
		v[i - from] = json_object_get(json_object_array_get_idx(ms, i));
	for (size_t i = 1; i < n - from; i++)
		for (size_t j = i; j > 0 && depth(kj_get_str(v[j - 1], "destination") ?: "") >
						    depth(kj_get_str(v[j], "destination") ?: "");
		     j--) {
			json_object *t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	json_object_array_del_idx(ms, from, n - from);
	for (size_t i = 0; i < n - from; i++)
		json_object_array_add(ms, v[i]);
	free(v);
	return 0;
}

/* One of --volumes-from's mounts (a record's Mounts entry) into M. */
static int from_mount(json_object *rm, struct keng_mount *m, kerr *e)
{
	const char *type = kj_get_str(rm, "Type") ?: "", *mode = kj_get_str(rm, "Mode") ?: "";
	m->type = !strcmp(type, "volume") ? KENG_MOUNT_VOLUME : KENG_MOUNT_BIND;
	const char *src = kj_get_str(rm, m->type == KENG_MOUNT_VOLUME ? "Name" : "Source");
	const char *dst = kj_get_str(rm, "Destination");
	const char *prop = kj_get_str(rm, "Propagation");
	m->tmpfs_mode = -1;
	m->ro = !kj_get_bool(rm, "RW");
	m->idmap = strstr(mode, "idmap") != NULL;
	if (!src || !dst || !(m->source = strdup(src)) || !(m->target = strdup(dst)) || !(m->mode = strdup(mode)) ||
	    (m->type == KENG_MOUNT_BIND && prop && *prop && !(m->propagation = strdup(prop))))
		return kerr_msg(e, EINVAL, "--volumes-from: a mount without source or destination");
	return 0;
}

/* -v, --mount and --volumes-from into b->umounts: parsed, anonymous
 * volumes named, no two at one place (a -v or --mount replaces what
 * --volumes-from brings there), parents before children. */
static int umounts_parse(struct keng_build *b, kerr *e)
{
	size_t own = kstrv_len(b->o->volumes) + kstrv_len(b->o->mounts);
	size_t nfrom = b->volumes_from ? json_object_array_length(b->volumes_from) : 0;
	if (!(b->umounts = calloc(own + nfrom + 1, sizeof(*b->umounts))))
		return kerr_errno(e, "mounts");
	size_t n = own;
	for (size_t i = 0; i < n; i++) {
		struct keng_mount *m = &b->umounts[i];
		size_t nv = kstrv_len(b->o->volumes);
		int r = i < nv ? keng_mount_parse_v(b->o->volumes[i], m, e)
			       : keng_mount_parse_mount(b->o->mounts[i - nv], m, e);
		b->n_umounts++;
		if (r < 0)
			return -1;
		if (m->type == KENG_MOUNT_VOLUME && !m->source) {
			char anon[65];
			if (keng_volume_anon_name(anon, e) < 0)
				return -1;
			if (!(m->source = strdup(anon)))
				return kerr_errno(e, "mounts");
			m->anonymous = true;
		}
		for (size_t j = 0; j < i; j++)
			if (!strcmp(b->umounts[j].target, m->target))
				return kerr_msg(e, EINVAL, "Duplicate mount point: %s", m->target);
		for (char **t = b->o->tmpfs; t && *t; t++) {
			size_t l = strcspn(*t, ":");
			if (strlen(m->target) == l && !strncmp(*t, m->target, l))
				return kerr_msg(e, EINVAL, "Duplicate mount point: %s (--tmpfs and a volume)",
						m->target);
		}
	}
	for (size_t k = 0; k < nfrom; k++) {
		struct keng_mount *m = &b->umounts[n];
		if (from_mount(json_object_array_get_idx(b->volumes_from, k), m, e) < 0) {
			b->n_umounts++;
			return -1;
		}
		bool taken = false;
		for (size_t j = 0; j < n; j++)
			taken = taken || !strcmp(b->umounts[j].target, m->target);
		for (char **t = b->o->tmpfs; t && *t && !taken; t++) {
			size_t l = strcspn(*t, ":");
			taken = strlen(m->target) == l && !strncmp(*t, m->target, l);
		}
		if (taken) { /* -v, --mount or --tmpfs there: theirs */
			keng_mount_clear(m);
			continue;
		}
		n++;
		b->n_umounts++;
	}
	/* parents first, else a later mount hides an earlier one's child */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && depth(b->umounts[j - 1].target) > depth(b->umounts[j].target); j--) {
			struct keng_mount t = b->umounts[j];
			b->umounts[j] = b->umounts[j - 1];
			b->umounts[j - 1] = t;
		}
	return 0;
}

/* A bind or volume in config.json and the record. */
static int umount_add(struct keng_build *b, const struct keng_mount *m, json_object *ms, json_object *rms, kerr *e)
{
	const struct keng_defaults *d = b->d;
	json_object *rm = json_object_new_object();
	json_object_array_add(rms, rm);
	json_object_object_add(rm, "Type", json_object_new_string(keng_mount_type_name(m->type)));
	if (m->type == KENG_MOUNT_TMPFS) {
		char mode[32], extra[8] = "";
		snprintf(mode, sizeof(mode), "mode=%o", m->tmpfs_mode >= 0 ? m->tmpfs_mode : 01777);
		if (m->ro)
			snprintf(extra, sizeof(extra), "ro");
		json_object_array_add(ms, tmpfs(m->target, mode, m->tmpfs_size ? m->tmpfs_size : d->tmp_size,
						extra[0] ? extra : NULL));
		json_object_object_add(rm, "Source", json_object_new_string(""));
	} else {
		_cleanup_free_ char *src = m->type == KENG_MOUNT_VOLUME
						   ? kstr_printf("%s/%s/_data", b->volumes_dir, m->source)
						   : strdup(m->source);
		if (!src)
			return kerr_errno(e, "mounts");
		struct stat st;
		if (m->type == KENG_MOUNT_BIND && stat(src, &st) < 0)
			return errno == ENOENT ? kerr_msg(e, ENOENT,
							  "invalid mount config for type \"bind\": bind source path "
							  "does not exist: %s",
							  src)
					       : kerr_errno(e, "bind source %s", src);
		json_object *sm = json_object_new_object(), *opts = json_object_new_array();
		json_object_object_add(sm, "destination", json_object_new_string(m->target));
		json_object_object_add(sm, "type", json_object_new_string("bind"));
		json_object_object_add(sm, "source", json_object_new_string(src));
		/* nosuid,nodev on the bind and every mount below it; exec stays */
		static const char *const base[] = { "rbind", "nosuid", "nodev", "rnosuid", "rnodev", NULL };
		for (const char *const *o = base; *o; o++)
			json_object_array_add(opts, json_object_new_string(*o));
		json_object_array_add(opts, json_object_new_string(m->ro ? "ro" : "rw"));
		if (m->ro)
			json_object_array_add(opts, json_object_new_string("rro"));
		const char *prop =
			m->type == KENG_MOUNT_BIND ? m->propagation ? m->propagation : "rprivate" : "rprivate";
		json_object_array_add(opts, json_object_new_string(prop));
		if (m->idmap) {
			/* asked for, never by default: the host's owners are shifted
			 * by the container's own mappings, so its root owns what the
			 * host's root owns in SRC (every mount below it too) */
			if (!b->userns)
				return kerr_msg(e, EINVAL,
						"-v %s:%s:%s: idmap shifts the bind by the container's user namespace, "
						"and it has none (root only in one: --user 0)",
						m->source, m->target, m->mode ? m->mode : "");
			json_object_array_add(opts, json_object_new_string("ridmap"));
		}
		json_object_object_add(sm, "options", opts);
		json_object_array_add(ms, sm);
		if (m->type == KENG_MOUNT_VOLUME)
			json_object_object_add(rm, "Name", json_object_new_string(m->source));
		json_object_object_add(rm, "Source", json_object_new_string(src));
	}
	json_object_object_add(rm, "Destination", json_object_new_string(m->target));
	if (m->type == KENG_MOUNT_VOLUME)
		json_object_object_add(rm, "Driver", json_object_new_string("local"));
	json_object_object_add(rm, "Mode", json_object_new_string(m->mode ? m->mode : ""));
	json_object_object_add(rm, "RW", json_object_new_boolean(!m->ro));
	json_object_object_add(
		rm, "Propagation",
		json_object_new_string(m->type == KENG_MOUNT_BIND ? m->propagation ? m->propagation : "rprivate" : ""));
	return 0;
}

static int mounts(struct keng_build *b, json_object *spec, json_object *host, json_object *record_mounts,
		  json_object *volumes, kerr *e)
{
	const struct keng_defaults *d = b->d;
	json_object *ms = kj_get(spec, "mounts");
	if (umounts_parse(b, e) < 0)
		return -1;
	json_object_object_add(host, "Binds", jstrv(b->o->volumes));
	json_object_object_add(host, "VolumesFrom", jstrv(b->o->volumes_from));
	drop_mount(ms, "/tmp");
	drop_mount(ms, "/run");
	json_object *tm = json_object_new_object();
	json_object_object_add(host, "Tmpfs", tm);
	for (char **p = b->o->tmpfs; p && *p; p++) {
		_cleanup_free_ char *dest = strdup(*p);
		if (!dest)
			return kerr_errno(e, "--tmpfs");
		char *opts = strchr(dest, ':');
		if (opts)
			*opts++ = 0;
		if (check_dest("--tmpfs", dest, e) < 0)
			return -1;
		json_object_object_add(tm, dest, json_object_new_string(opts ? opts : ""));
	}
	struct {
		const char *dest, *mode;
		int64_t size;
	} std[] = { { "/tmp", "mode=1777", d->tmp_size },
		    { "/var/tmp", "mode=1777", d->tmp_size },
		    { "/run", "mode=755", d->run_size } };
	for (size_t i = 0; i < ARRAY_SIZE(std); i++)
		if (!kj_get(tm, std[i].dest) && !umount_at(b, std[i].dest))
			json_object_array_add(ms, tmpfs(std[i].dest, std[i].mode, std[i].size, NULL));
	size_t custom = json_object_array_length(ms); /* --tmpfs, Volumes, -v, --mount from here */
	json_object_object_foreach(tm, dest, val)
		json_object_array_add(ms, tmpfs(dest, "mode=1777", d->tmp_size, kj_str(val)));
	/* the image's Volumes: a tmpfs each, unless -v or --mount puts one there */
	if (!volumes || !json_object_is_type(volumes, json_type_object))
		volumes = NULL;
	if (volumes) {
		json_object_object_foreach(volumes, vdest, vval)
		{
			(void)vval;
			if (check_dest("image Volumes", vdest, e) < 0)
				return -1;
			if (kj_get(tm, vdest) || umount_at(b, vdest) || !strcmp(vdest, "/tmp") ||
			    !strcmp(vdest, "/var/tmp") || !strcmp(vdest, "/run"))
				continue;
			json_object_array_add(ms, tmpfs(vdest, "mode=1777", d->volume_size, NULL));
			json_object *rm = json_object_new_object();
			json_object_object_add(rm, "Type", json_object_new_string("tmpfs"));
			json_object_object_add(rm, "Source", json_object_new_string(""));
			json_object_object_add(rm, "Destination", json_object_new_string(vdest));
			json_object_object_add(rm, "Mode", json_object_new_string(""));
			json_object_object_add(rm, "RW", json_object_new_boolean(1));
			json_object_object_add(rm, "Propagation", json_object_new_string(""));
			json_object_array_add(record_mounts, rm);
		}
	}
	for (size_t i = 0; i < b->n_umounts; i++)
		if (umount_add(b, &b->umounts[i], ms, record_mounts, e) < 0)
			return -1;
	if (sort_by_depth(ms, custom) < 0)
		return kerr_errno(e, "mounts");
	/* mount points exist before the root turns read-only; resolved inside
	 * the root (an image's /data -> /etc is its own /etc) */
	static const char *const base[] = { "/proc", "/sys", "/dev", NULL };
	for (const char *const *p = base; *p; p++) {
		int fd = kfs_mkpath_in_root(b->rootfd, *p, 1, 0755);
		if (fd < 0)
			return kerr_errno(e, "mount point %s in the image", *p);
		close(fd);
	}
	for (size_t i = 0; i < json_object_array_length(ms); i++) {
		const char *mp = kj_get_str(json_object_array_get_idx(ms, i), "destination");
		json_object *m = json_object_array_get_idx(ms, i);
		if (!mp || kstr_starts(mp, "/dev/") || kstr_starts(mp, "/sys/") || kstr_starts(mp, "/proc/"))
			continue;
		struct stat st;
		const char *src = kj_get_str(m, "source");
		int is_dir = strcmp(kj_get_str(m, "type") ?: "", "bind") || !src || stat(src, &st) < 0 ||
			     S_ISDIR(st.st_mode);
		int fd = kfs_mkpath_in_root(b->rootfd, mp, is_dir, is_dir ? 0755 : 0644);
		if (fd < 0)
			return kerr_errno(e, "mount point %s in the image", mp);
		close(fd);
	}
	return 0;
}

/* --init: kapsel-init bound read-only at KENG_INIT_PATH (the mount point
 * made in the container's own layer, inside its root) */
static int init_mount(struct keng_build *b, json_object *spec, json_object *host, kerr *e)
{
	json_object_object_add(host, "Init", b->o->init ? json_object_new_boolean(1) : NULL);
	if (!b->o->init)
		return 0;
	json_object *m = json_object_new_object();
	const char *opts[] = { "bind", "ro", "nosuid", "nodev", NULL };
	json_object_object_add(m, "destination", json_object_new_string(KENG_INIT_PATH));
	json_object_object_add(m, "type", json_object_new_string("bind"));
	json_object_object_add(m, "source", json_object_new_string(b->o->init));
	json_object_object_add(m, "options", kj_new_strv(opts));
	json_object_array_add(kj_get(spec, "mounts"), m);
	int fd = kfs_mkpath_in_root(b->rootfd, KENG_INIT_PATH, 0, 0755);
	if (fd < 0)
		return kerr_errno(e, "--init: the mount point %s in the image", KENG_INIT_PATH);
	close(fd);
	return 0;
}

/* ---- resources ---- */

static json_object *rlimit(int res, int64_t soft, int64_t hard)
{
	json_object *r = json_object_new_object();
	json_object_object_add(r, "type", json_object_new_string(krlimit_name(res)));
	json_object_object_add(r, "hard", json_object_new_uint64((uint64_t)hard));
	json_object_object_add(r, "soft", json_object_new_uint64((uint64_t)soft));
	return r;
}

static int rlimits(const struct keng_opts *o, const struct keng_defaults *d, json_object *proc, json_object *host,
		   kerr *e)
{
	int64_t soft[RLIMIT_NLIMITS], hard[RLIMIT_NLIMITS];
	bool set[RLIMIT_NLIMITS] = { 0 };
	soft[RLIMIT_NOFILE] = hard[RLIMIT_NOFILE] = d->nofile;
	soft[RLIMIT_NPROC] = hard[RLIMIT_NPROC] = d->nproc;
	soft[RLIMIT_CORE] = hard[RLIMIT_CORE] = 0;
	set[RLIMIT_NOFILE] = set[RLIMIT_NPROC] = set[RLIMIT_CORE] = true;
	json_object *ul = json_object_new_array();
	json_object_object_add(host, "Ulimits", ul);
	for (char **p = o->ulimits; p && *p; p++) {
		char name[32], *eq = strchr(*p, '=');
		if (!eq || eq == *p || (size_t)(eq - *p) > 20)
			return kerr_msg(e, EINVAL, "--ulimit %s: expected NAME=SOFT[:HARD]", *p);
		snprintf(name, sizeof(name), "RLIMIT_%.*s", (int)(eq - *p), *p);
		for (char *c = name; *c; c++)
			*c = (char)toupper((unsigned char)*c);
		int res = krlimit_from_name(name);
		if (res < 0)
			return kerr_msg(e, EINVAL, "--ulimit %s: unknown limit %.*s", *p, (int)(eq - *p), *p);
		char *end;
		long long s = strtoll(eq + 1, &end, 10), h = s;
		if (*end == ':')
			h = strtoll(end + 1, &end, 10);
		if (*end || end == eq + 1 || s < -1 || h < -1 || (h != -1 && (s == -1 || s > h)))
			return kerr_msg(e, EINVAL, "--ulimit %s: expected SOFT[:HARD] numbers with SOFT <= HARD", *p);
		soft[res] = s;
		hard[res] = h;
		set[res] = true;
		json_object *u = json_object_new_object();
		json_object_object_add(u, "Name", json_object_new_string_len(*p, (int)(eq - *p)));
		json_object_object_add(u, "Hard", json_object_new_int64(h));
		json_object_object_add(u, "Soft", json_object_new_int64(s));
		json_object_array_add(ul, u);
	}
	json_object *rl = json_object_new_array();
	for (int r = 0; r < RLIMIT_NLIMITS; r++)
		if (set[r] && krlimit_name(r))
			json_object_array_add(rl, rlimit(r, soft[r], hard[r]));
	json_object_object_add(proc, "rlimits", rl);
	return 0;
}

/* ---- security options ---- */

static int security(const struct keng_opts *o, json_object *proc, json_object *lx, json_object *host, kerr *e)
{
	json_object_object_add(host, "SecurityOpt", jstrv(o->security_opt));
	for (char **p = o->security_opt; p && *p; p++) {
		const char *v = strpbrk(*p, "=:");
		size_t k = v ? (size_t)(v - *p) : strlen(*p);
		v = v ? v + 1 : NULL;
		if (k == 7 && !strncmp(*p, "seccomp", 7) && v) {
			json_object_object_del(lx, "seccomp");
			if (!strcmp(v, "unconfined"))
				continue;
			_cleanup_free_ char *buf = NULL;
			size_t len;
			if (kfs_read_file(v, &buf, &len, e) < 0)
				return kerr_wrap(e, "--security-opt seccomp=%s", v);
			json_object *prof = kj_parse(v, buf, len, e);
			if (!prof)
				return kerr_wrap(e, "--security-opt seccomp");
			json_object_object_add(lx, "seccomp", prof);
		} else if (k == 17 && !strncmp(*p, "no-new-privileges", 17)) {
			if (v && strcmp(v, "true") && strcmp(v, "false"))
				return kerr_msg(e, EINVAL, "--security-opt %s: expected no-new-privileges=true|false",
						*p);
			json_object_object_add(proc, "noNewPrivileges",
					       json_object_new_boolean(!v || !strcmp(v, "true")));
		} else {
			return kerr_msg(e, EINVAL,
					"--security-opt %s: kapsel knows seccomp=unconfined|PROFILE.json and "
					"no-new-privileges=true|false",
					*p);
		}
	}
	return 0;
}

/* ---- health and restart (for the supervisor) ---- */

static int healthcheck(const struct keng_opts *o, json_object *cfg, json_object *config, kerr *e)
{
	json_object *hc = NULL;
	json_object *img = kj_get(cfg, "Healthcheck");
	if (img && json_object_deep_copy(img, &hc, NULL) != 0)
		return kerr_errno(e, "Healthcheck");
	if (o->no_healthcheck) {
		json_object_put(hc);
		hc = json_object_new_object();
		const char *none[] = { "NONE", NULL };
		json_object_object_add(hc, "Test", kj_new_strv(none));
	}
	if (o->health_on_failure) {
		static const char *const actions[] = { "none", "kill", "restart", "stop", NULL };
		bool ok = false;
		for (const char *const *x = actions; *x; x++)
			ok |= !strcmp(*x, o->health_on_failure);
		if (!ok) {
			json_object_put(hc);
			return kerr_msg(e, EINVAL, "--health-on-failure %s: not one of none, kill, restart, stop",
					o->health_on_failure);
		}
		/* Podman's field (Docker has none) */
		json_object_object_add(config, "HealthcheckOnFailureAction",
				       json_object_new_string(o->health_on_failure));
	}
	if (!hc && !o->health_cmd && o->health_interval == KENG_UNSET && o->health_timeout == KENG_UNSET &&
	    o->health_start_period == KENG_UNSET && o->health_retries < 0 && o->health_start_interval == KENG_UNSET) {
		if (o->health_on_failure && strcmp(o->health_on_failure, "none"))
			return kerr_msg(e, EINVAL, "--health-on-failure %s: no --health-cmd and no image HEALTHCHECK",
					o->health_on_failure);
		return 0;
	}
	if (!hc)
		hc = json_object_new_object();
	if (o->health_cmd) {
		const char *t[] = { "CMD-SHELL", o->health_cmd, NULL };
		json_object_object_add(hc, "Test", kj_new_strv(t));
	}
	if (o->health_interval != KENG_UNSET)
		json_object_object_add(hc, "Interval", json_object_new_int64(o->health_interval));
	if (o->health_timeout != KENG_UNSET)
		json_object_object_add(hc, "Timeout", json_object_new_int64(o->health_timeout));
	if (o->health_start_period != KENG_UNSET)
		json_object_object_add(hc, "StartPeriod", json_object_new_int64(o->health_start_period));
	if (o->health_retries >= 0)
		json_object_object_add(hc, "Retries", json_object_new_int(o->health_retries));
	if (o->health_start_interval != KENG_UNSET)
		json_object_object_add(hc, "StartInterval", json_object_new_int64(o->health_start_interval));
	if (!kj_get(hc, "Test"))
		return json_object_put(hc), kerr_msg(e, EINVAL, "--health-*: no --health-cmd and no image HEALTHCHECK");
	json_object_object_add(config, "Healthcheck", hc);
	return 0;
}

int keng_restart_policy(const char *s, bool auto_remove, json_object *host, kerr *e)
{
	char name[32];
	long max = 0;
	const char *colon = strchr(s, ':');
	snprintf(name, sizeof(name), "%.*s", colon ? (int)(colon - s) : (int)strlen(s), s);
	if (colon) {
		char *end;
		max = strtol(colon + 1, &end, 10);
		if (*end || end == colon + 1 || max < 0 || strcmp(name, "on-failure"))
			return kerr_msg(e, EINVAL, "--restart %s: a count only follows on-failure (on-failure:5)", s);
	}
	if (strcmp(name, "no") && strcmp(name, "always") && strcmp(name, "unless-stopped") &&
	    strcmp(name, "on-failure"))
		return kerr_msg(e, EINVAL, "--restart %s: expected no, on-failure[:N], always or unless-stopped", s);
	if (auto_remove && strcmp(name, "no"))
		return kerr_msg(e, EINVAL, "--restart %s and --rm conflict: a container removed at exit cannot restart",
				s);
	json_object *r = json_object_new_object();
	json_object_object_add(r, "Name", json_object_new_string(name));
	json_object_object_add(r, "MaximumRetryCount", json_object_new_int((int)max));
	json_object_object_add(host, "RestartPolicy", r);
	return 0;
}

/* ---- the whole ---- */

static json_object *labels_obj(json_object *img_labels, char **user, kerr *e, int *bad)
{
	json_object *l = json_object_new_object();
	if (img_labels && json_object_is_type(img_labels, json_type_object)) {
		json_object_object_foreach(img_labels, k, v)
			json_object_object_add(l, k, json_object_new_string(kj_str(v)));
	}
	for (char **p = user; p && *p; p++) {
		const char *eq = strchr(*p, '=');
		_cleanup_free_ char *key = strndup(*p, eq ? (size_t)(eq - *p) : strlen(*p));
		if (!key || !*key) {
			*bad = 1;
			kerr_msg(e, EINVAL, "--label %s: expected KEY=VALUE", *p);
			return l;
		}
		json_object_object_add(l, key, json_object_new_string(eq ? eq + 1 : ""));
	}
	return l;
}

static bool ip_ok(const char *ip)
{
	unsigned char buf[16];
	char v6[64];
	size_t n = strlen(ip);
	if (n > 2 && ip[0] == '[' && ip[n - 1] == ']' && n - 2 < sizeof(v6)) { /* [::1] */
		snprintf(v6, sizeof(v6), "%.*s", (int)(n - 2), ip + 1);
		ip = v6;
	}
	return inet_pton(AF_INET, ip, buf) == 1 || inet_pton(AF_INET6, ip, buf) == 1;
}

static bool word_ok(const char *w, const char *extra)
{
	if (!*w || strlen(w) > 253)
		return false;
	for (const char *c = w; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr(extra, *c))
			return false;
	return true;
}

/* --add-host, --dns, --dns-search, --dns-option: checked here, written
 * into the container's own /etc/hosts and /etc/resolv.conf at create
 * (store.c); HostConfig keeps them as Docker's fields */
static int names_flags(const struct keng_opts *o, const char *net, bool cni, json_object *host, kerr *e)
{
	bool any = (o->add_hosts && *o->add_hosts) || (o->dns && *o->dns) || (o->dns_search && *o->dns_search) ||
		   (o->dns_options && *o->dns_options);
	if (any && !strcmp(net, "host"))
		return kerr_msg(e, EINVAL,
				"--add-host and --dns* give the container files of its own; --network host uses "
				"the host's /etc/hosts and /etc/resolv.conf");
	if (any && kstr_starts(net, "container:"))
		return kerr_msg(e, EINVAL,
				"--add-host and --dns* give the container files of its own; --network %s uses the "
				"other container's /etc/hosts and /etc/resolv.conf",
				net);
	json_object *xh = json_object_new_array();
	json_object_object_add(host, "ExtraHosts", xh);
	for (char **p = o->add_hosts; p && *p; p++) {
		const char *sep = strpbrk(*p, ":=");
		if (!sep || sep == *p)
			return kerr_msg(e, EINVAL, "--add-host %s: expected HOST:IP", *p);
		char name[256];
		snprintf(name, sizeof(name), "%.*s", (int)(sep - *p), *p);
		if ((size_t)(sep - *p) >= sizeof(name) || !word_ok(name, "_.-"))
			return kerr_msg(e, EINVAL, "--add-host %s: \"%s\" is not a host name", *p, name);
		const char *ip = sep + 1;
		if (!strcmp(ip, "host-gateway")) {
			if (!cni)
				return kerr_msg(e, EINVAL,
						"--add-host %s: host-gateway is the gateway of the container's network, "
						"and --network %s has none (use --network bridge or a user network, or "
						"give the address)",
						*p, net);
		} else if (!ip_ok(ip))
			return kerr_msg(e, EINVAL, "--add-host %s: \"%s\" is not an IP address", *p, ip);
		char *line = kstr_printf("%s:%s", name, ip);
		if (!line)
			return kerr_errno(e, "--add-host");
		json_object_array_add(xh, json_object_new_string(line));
		free(line);
	}
	for (char **p = o->dns; p && *p; p++)
		if (!ip_ok(*p) || **p == '[')
			return kerr_msg(e, EINVAL, "--dns %s: not an IP address", *p);
	for (char **p = o->dns_search; p && *p; p++)
		if (!word_ok(*p, "_.-"))
			return kerr_msg(e, EINVAL, "--dns-search %s: not a domain name", *p);
	for (char **p = o->dns_options; p && *p; p++)
		if (!word_ok(*p, "_.-:"))
			return kerr_msg(e, EINVAL, "--dns-option %s: not a resolver option (ndots:2, edns0 ...)", *p);
	json_object_object_add(host, "Dns", o->dns ? jstrv(o->dns) : json_object_new_array());
	json_object_object_add(host, "DnsSearch", o->dns_search ? jstrv(o->dns_search) : json_object_new_array());
	json_object_object_add(host, "DnsOptions", o->dns_options ? jstrv(o->dns_options) : json_object_new_array());
	return 0;
}

/* The exposed ports: the image's ExposedPorts ("80/tcp") and --expose's
 * (PORT[-END][/tcp|udp], a range one port each), "PORT/PROTO" each, once. */
int keng_exposed(json_object *img_cfg, char *const *expose, char ***out, kerr *e)
{
	_cleanup_strv_ char **v = calloc(1, sizeof(char *));
	if (!v)
		return kerr_errno(e, "--expose");
	json_object *img_ports = kj_get(img_cfg, "ExposedPorts");
	if (!json_object_is_type(img_ports, json_type_object))
		img_ports = NULL;
	struct json_object_iterator it = { 0 }, iend = { 0 };
	if (img_ports) {
		it = json_object_iter_begin(img_ports);
		iend = json_object_iter_end(img_ports);
	}
	for (; img_ports && !json_object_iter_equal(&it, &iend); json_object_iter_next(&it)) {
		const char *ik = json_object_iter_peek_name(&it);
		char buf[32];
		int port;
		char proto[8] = "tcp";
		if (sscanf(ik, "%d/%7s", &port, proto) < 1 || port < 1 || port > 65535 ||
		    (strcmp(proto, "tcp") && strcmp(proto, "udp")))
			continue; /* sctp and the like: not published */
		snprintf(buf, sizeof(buf), "%d/%s", port, proto);
		if (!kstrv_contains(v, buf) && kstrv_add(&v, buf) < 0)
			return kerr_errno(e, "--expose");
	}
	for (char *const *p = expose; p && *p; p++) {
		char proto[8] = "tcp", *end;
		const char *sl = strchr(*p, '/');
		/* "80/" names no protocol: refused rather than guessed (a
		 * protocol was meant to follow), and never written as the
		 * ExposedPorts key "80/", which no reader of the record parses */
		if (sl && !sl[1])
			return kerr_msg(e, EINVAL, "--expose %s: no protocol after the /: give tcp or udp, or leave out the /",
					*p);
		if (sl) {
			snprintf(proto, sizeof(proto), "%s", sl + 1);
			if (strcmp(proto, "tcp") && strcmp(proto, "udp"))
				return kerr_msg(e, EINVAL, "--expose %s: the protocol is tcp or udp", *p);
		}
		long lo = strtol(*p, &end, 10), hi = lo;
		if (*end == '-')
			hi = strtol(end + 1, &end, 10);
		if (end == *p || (*end && *end != '/') || lo < 1 || hi > 65535 || hi < lo || hi - lo >= 1024)
			return kerr_msg(e, EINVAL, "--expose %s: expected PORT[-END][/tcp|udp] (1-65535)", *p);
		for (long n = lo; n <= hi; n++) {
			char buf[32];
			snprintf(buf, sizeof(buf), "%ld/%s", n, proto);
			if (!kstrv_contains(v, buf) && kstrv_add(&v, buf) < 0)
				return kerr_errno(e, "--expose");
		}
	}
	*out = steal_ptr(v);
	return 0;
}

/* --pid, --ipc, --uts: MODE (NULL: private) for the namespace TYPE: a
 * new one (private; ipc's shareable and none too), the host's (the
 * namespace left out: the runtime's policy decides, rules B2/B3), or
 * another container's (JOIN, its /proc/PID/ns path, ID its ID). */
static int ns_mode(const char *flag, const char *mode, const char *type, const char *join, const char *id,
		   json_object *lx, json_object *host, const char *key, kerr *e)
{
	json_object *ns = kj_get(lx, "namespaces");
	bool ipc = !strcmp(type, "ipc");
	const char *m = mode ? mode : "";
	char rec[96];
	snprintf(rec, sizeof(rec), "%s", ipc && !*m ? "private" : m);
	if (!*m || !strcmp(m, "private") || (ipc && (!strcmp(m, "shareable") || !strcmp(m, "none")))) {
		json_object_object_add(host, key, json_object_new_string(rec));
		return 0;
	}
	bool container = kstr_starts(m, "container:") && strcmp(type, "uts");
	if (strcmp(m, "host") && !container)
		return kerr_msg(e, EINVAL, "%s %s: %s", flag, m,
				!strcmp(type, "uts")  ? "private (the default) or host"
				: ipc                 ? "private (the default), shareable, none, host or container:NAME"
						      : "private (the default), host or container:NAME");
	for (size_t i = json_object_array_length(ns); i-- > 0;) {
		json_object *n = json_object_array_get_idx(ns, i);
		if (strcmp(kj_get_str(n, "type") ?: "", type))
			continue;
		if (container)
			json_object_object_add(n, "path", json_object_new_string(join));
		else
			json_object_array_del_idx(ns, i, 1);
	}
	if (container)
		snprintf(rec, sizeof(rec), "container:%s", id);
	json_object_object_add(host, key, json_object_new_string(rec));
	return 0;
}

int keng_build(struct keng_build *b, json_object **spec_out, json_object **record_out, kerr *e)
{
	const struct keng_opts *o = b->o;
	const struct keng_defaults *d = b->d;
	json_object *cfg = kj_get(b->image, "config");
	struct oci_default_opts dopt = { 0 };
	_cleanup_json_ json_object *spec = oci_default_spec(&dopt);
	_cleanup_json_ json_object *rec = json_object_new_object();
	json_object *config = json_object_new_object(), *host = json_object_new_object();
	json_object_object_add(rec, "Config", config);
	json_object_object_add(rec, "HostConfig", host);
	json_object *proc = kj_get(spec, "process"), *lx = kj_get(spec, "linux");

	/* user */
	const char *img_user = kj_get_str(cfg, "User");
	const char *uspec = o->user ? o->user : img_user && *img_user ? img_user : d->user;
	struct keng_user u = { 0 };
	if (keng_user_in_root(b->rootfd, uspec, o->group_add, &u, e) < 0)
		return kerr_wrap(e, "%s",
				 o->user                 ? "--user"
				 : img_user && *img_user ? "the image's USER"
							 : "[run] user");
	json_object *user = json_object_new_object();
	json_object_object_add(user, "uid", json_object_new_int64(u.uid));
	json_object_object_add(user, "gid", json_object_new_int64(u.gid));
	json_object *ag = json_object_new_array();
	for (size_t i = 0; i < u.ngids; i++)
		json_object_array_add(ag, json_object_new_int64(u.gids[i]));
	json_object_object_add(user, "additionalGids", ag);
	/* Docker's 0022, never the supervisor's own 077 */
	json_object_object_add(user, "umask", json_object_new_int(022));
	json_object_object_add(proc, "user", user);
	json_object_object_add(config, "User", json_object_new_string(o->user ? o->user : img_user ? img_user : ""));
	const char *um = o->userns ? o->userns : "";
	bool host_userns = !strcmp(um, "host");
	if (!host_userns && *um && strcmp(um, "private")) {
		keng_user_clear(&u);
		return kerr_msg(e, EINVAL, "--userns %s: kapsel has private (the default) and host", um);
	}
	b->userns = u.uid == 0 && !host_userns;
	b->root_on_host = u.uid == 0 && host_userns;
	b->uid = u.uid;
	b->gid = u.gid;
	if (b->userns) {
		/* root only inside a user namespace mapped to an unprivileged range */
		json_object *ns = kj_get(lx, "namespaces"), *un = json_object_new_object();
		json_object_object_add(un, "type", json_object_new_string("user"));
		json_object_array_add(ns, un);
		for (int g = 0; g < 2; g++) {
			json_object *maps = json_object_new_array(), *m = json_object_new_object();
			json_object_object_add(m, "containerID", json_object_new_int64(0));
			json_object_object_add(m, "hostID", json_object_new_int64(d->userns_host_uid));
			json_object_object_add(m, "size", json_object_new_int64(d->userns_size));
			json_object_array_add(maps, m);
			json_object_object_add(lx, g ? "gidMappings" : "uidMappings", maps);
		}
		/* devpts' gid=5 must be mapped: it is, inside the range */
	}
	char umode[32];
	snprintf(umode, sizeof(umode), "%s", b->userns ? "private" : host_userns ? "host" : "");
	json_object_object_add(host, "UsernsMode", json_object_new_string(umode));
	json_object_object_add(host, "GroupAdd", jstrv(o->group_add));

	/* env, args, workdir */
	_cleanup_strv_ char **img_env = img_strv(cfg, "Env"), **env = NULL;
	if (keng_env_merge(img_env, o->env, u.home, &env, e) < 0) {
		keng_user_clear(&u);
		return -1;
	}
	keng_user_clear(&u);
	json_object_object_add(proc, "env", jstrv(env));
	json_object_object_add(config, "Env", jstrv(env));
	_cleanup_strv_ char **ep = img_strv(cfg, "Entrypoint"), **cmd = img_strv(cfg, "Cmd"), **args = NULL;
	if (keng_args(ep, cmd, o->entrypoint, o->args, &args, e) < 0)
		return -1;
	if (o->init) {
		/* kapsel-init -- ARGS: the container's command as its child */
		_cleanup_strv_ char **withinit = calloc(1, sizeof(char *));
		if (!withinit || kstrv_add(&withinit, KENG_INIT_PATH) < 0 || kstrv_add(&withinit, "--") < 0)
			return kerr_errno(e, "--init");
		for (char **p = args; *p; p++)
			if (kstrv_add(&withinit, *p) < 0)
				return kerr_errno(e, "--init");
		json_object_object_add(proc, "args", jstrv(withinit));
	} else
		json_object_object_add(proc, "args", jstrv(args));
	char *const *ccmd = o->args && *o->args ? o->args : o->entrypoint ? NULL : cmd;
	json_object_object_add(config, "Cmd", jstrv(ccmd));
	if (o->entrypoint) {
		const char *epv[] = { o->entrypoint, NULL };
		json_object_object_add(config, "Entrypoint", *o->entrypoint ? kj_new_strv(epv) : NULL);
	} else
		json_object_object_add(config, "Entrypoint", jstrv(ep));
	json_object_object_add(rec, "Path", json_object_new_string(args[0]));
	json_object_object_add(rec, "Args", jstrv(args + 1));
	const char *img_wd = kj_get_str(cfg, "WorkingDir");
	const char *wd = o->workdir ? o->workdir : img_wd && *img_wd ? img_wd : "/";
	if (keng_workdir_check(wd, e) < 0)
		return kerr_wrap(e, "%s", o->workdir ? "-w" : "the image's WorkingDir");
	int wfd = kfs_mkdir_in_root(b->rootfd, wd, 0755);
	if (wfd < 0)
		return kerr_errno(e, "create the working directory %s inside the image", wd);
	close(wfd);
	json_object_object_add(proc, "cwd", json_object_new_string(wd));
	json_object_object_add(config, "WorkingDir",
			       json_object_new_string(o->workdir ? o->workdir
						      : img_wd   ? img_wd
								 : ""));

	/* terminal, hostname */
	json_object_object_add(proc, "terminal", json_object_new_boolean(o->tty));
	char hn[13];
	snprintf(hn, sizeof(hn), "%.12s", b->id);
	const char *hostname = o->hostname ? o->hostname : hn;
	json_object_object_add(spec, "hostname", json_object_new_string(hostname));
	json_object_object_add(config, "Hostname", json_object_new_string(hostname));
	if (o->domainname) {
		for (const char *c = o->domainname; *c; c++)
			if (!isalnum((unsigned char)*c) && !strchr("-.", *c))
				return kerr_msg(e, EINVAL, "--domainname %s: letters, digits, '-' and '.'",
						o->domainname);
		if (strlen(o->domainname) > 64)
			return kerr_msg(e, EINVAL, "--domainname %s: at most 64 characters", o->domainname);
		json_object_object_add(spec, "domainname", json_object_new_string(o->domainname));
	}
	json_object_object_add(config, "Domainname", json_object_new_string(o->domainname ? o->domainname : ""));
	_cleanup_strv_ char **exposed = NULL;
	if (keng_exposed(cfg, o->expose, &exposed, e) < 0)
		return -1;
	json_object *ep_obj = exposed && *exposed ? json_object_new_object() : NULL;
	for (char **p = exposed; p && *p; p++)
		json_object_object_add(ep_obj, *p, json_object_new_object());
	json_object_object_add(config, "ExposedPorts", ep_obj);
	json_object_object_add(host, "PublishAllPorts", json_object_new_boolean(o->publish_all));
	json_object_object_add(config, "AttachStdin", json_object_new_boolean(o->interactive));
	json_object_object_add(config, "AttachStdout", json_object_new_boolean(1));
	json_object_object_add(config, "AttachStderr", json_object_new_boolean(1));
	json_object_object_add(config, "Tty", json_object_new_boolean(o->tty));
	json_object_object_add(config, "OpenStdin", json_object_new_boolean(o->interactive));
	json_object_object_add(config, "StdinOnce", json_object_new_boolean(o->interactive));
	json_object_object_add(config, "Image", json_object_new_string(o->image));

	/* capabilities: none unless added */
	bool caps[KCAP_ALL];
	if (caps_set(o, caps, e) < 0)
		return -1;
	set_caps(proc, caps, !b->userns);
	json_object_object_add(host, "CapAdd", jstrv(o->cap_add));
	json_object_object_add(host, "CapDrop", jstrv(o->cap_drop));
	json_object_object_add(host, "Privileged", json_object_new_boolean(0));
	if (security(o, proc, lx, host, e) < 0 || rlimits(o, d, proc, host, e) < 0 ||
	    keng_resources(o, d, spec, host, e) < 0 || keng_devices(o->devices, b->userns, lx, host, e) < 0)
		return -1;

	/* network */
	const char *net = o->network ? o->network : d->network;
	json_object_object_add(host, "NetworkMode", json_object_new_string(net));
	json_object *ns = kj_get(lx, "namespaces");
	if (!strcmp(net, "host")) {
		for (size_t i = json_object_array_length(ns); i-- > 0;)
			if (!strcmp(kj_get_str(json_object_array_get_idx(ns, i), "type") ?: "", "network"))
				json_object_array_del_idx(ns, i, 1);
	} else if (!strcmp(net, "none") || b->cni) {
		/* a CNI network's namespace is joined by a user namespace too (its
		 * root has no CAP_NET_ADMIN over it; keng_netns_create set the
		 * sysctl below in it) */
		if (b->netns && (!b->userns || b->cni))
			for (size_t i = 0; i < json_object_array_length(ns); i++) {
				json_object *n = json_object_array_get_idx(ns, i);
				if (!strcmp(kj_get_str(n, "type") ?: "", "network"))
					json_object_object_add(n, "path", json_object_new_string(b->netns));
			}
		/* non-root servers may bind ports below 1024, as in Docker */
		if (!(b->userns && b->cni)) {
			json_object *sc = json_object_new_object();
			json_object_object_add(sc, "net.ipv4.ip_unprivileged_port_start", json_object_new_string("0"));
			json_object_object_add(lx, "sysctl", sc);
		}
	} else if (b->netns_join) { /* another container's: joined, its settings its own */
		for (size_t i = 0; i < json_object_array_length(ns); i++) {
			json_object *n = json_object_array_get_idx(ns, i);
			if (!strcmp(kj_get_str(n, "type") ?: "", "network"))
				json_object_object_add(n, "path", json_object_new_string(b->netns_join));
		}
	} else {
		return kerr_msg(e, EINVAL,
				"--network %s: kapsel has none (the default), host, bridge, user networks and "
				"container:NAME",
				net);
	}

	if (keng_sysctls(o->sysctls, net, lx, host, e) < 0 || names_flags(o, net, b->cni, host, e) < 0)
		return -1;
	if (o->uts_mode && !strcmp(o->uts_mode, "host") && o->hostname)
		return kerr_msg(e, EINVAL, "--hostname %s with --uts host: the host's name is the host's", o->hostname);
	if (o->uts_mode && !strcmp(o->uts_mode, "host") && o->domainname)
		return kerr_msg(e, EINVAL, "--domainname %s with --uts host: the host's NIS domain is the host's",
				o->domainname);
	if (ns_mode("--pid", o->pid_mode, "pid", b->pidns_join, b->pid_join_id, lx, host, "PidMode", e) < 0 ||
	    ns_mode("--ipc", o->ipc_mode, "ipc", b->ipcns_join, b->ipc_join_id, lx, host, "IpcMode", e) < 0 ||
	    ns_mode("--uts", o->uts_mode, "uts", NULL, NULL, lx, host, "UTSMode", e) < 0)
		return -1;
	if (o->uts_mode && !strcmp(o->uts_mode, "host"))
		json_object_object_del(spec, "hostname");
	if (o->ipc_mode && !strcmp(o->ipc_mode, "none")) /* no /dev/shm */
		drop_mount(kj_get(spec, "mounts"), "/dev/shm");
	/* the IPC namespace of the host or of X: its /dev/shm (POSIX shared
	 * memory) too, as Docker's, nosuid,nodev,noexec */
	const char *shm_src = o->ipc_mode && !strcmp(o->ipc_mode, "host") ? "/dev/shm" : b->shm_dir;
	if (shm_src) {
		json_object *ms = kj_get(spec, "mounts"), *m = json_object_new_object();
		drop_mount(ms, "/dev/shm");
		json_object_object_add(m, "destination", json_object_new_string("/dev/shm"));
		json_object_object_add(m, "type", json_object_new_string("bind"));
		json_object_object_add(m, "source", json_object_new_string(shm_src));
		static const char *const bo[] = { "rbind", "nosuid", "nodev", "noexec", NULL };
		json_object_object_add(m, "options", kj_new_strv(bo));
		json_object_array_add(ms, m);
	}

	/* root filesystem */
	b->read_only = o->read_only >= 0 ? o->read_only : d->read_only;
	json_object_object_add(kj_get(spec, "root"), "readonly", json_object_new_boolean(b->read_only));
	json_object_object_add(host, "ReadonlyRootfs", json_object_new_boolean(b->read_only));
	json_object *rmounts = json_object_new_array();
	json_object_object_add(rec, "Mounts", rmounts);
	json_object *vols = kj_get(cfg, "Volumes");
	if (mounts(b, spec, host, rmounts, vols, e) < 0 || init_mount(b, spec, host, e) < 0)
		return -1;
	if (vols) {
		json_object *vc = NULL;
		json_object_deep_copy(vols, &vc, NULL);
		json_object_object_add(config, "Volumes", vc);
	} else
		json_object_object_add(config, "Volumes", NULL);

	/* labels: copied as annotations, never read by kapsel */
	int bad = 0;
	json_object *labels = labels_obj(kj_get(cfg, "Labels"), o->labels, e, &bad);
	json_object_object_add(config, "Labels", labels);
	if (bad)
		return -1;
	json_object *ann = json_object_new_object();
	json_object_object_foreach(labels, lk, lv) if (!keng_label_reserved(lk))
		json_object_object_add(ann, lk, json_object_new_string(kj_str(lv)));
	json_object_object_add(ann, "io.kapsel.name", json_object_new_string(b->name));
	json_object_object_add(ann, "io.kapsel.image", json_object_new_string(o->image));
	for (char **p = o->annotations; p && *p; p++) {
		const char *eq = strchr(*p, '=');
		_cleanup_free_ char *key = eq && eq != *p ? strndup(*p, (size_t)(eq - *p)) : NULL;
		if (!key) {
			json_object_put(ann);
			return kerr_msg(e, EINVAL, "annotation %s: not KEY=VALUE", *p);
		}
		json_object_object_add(ann, key, json_object_new_string(eq + 1));
	}
	/* the host's root: checked at the restricted level, whose R1 refuses it
	 * unless the runtime's policy exempts the container (or disables R1) */
	if (b->root_on_host)
		json_object_object_add(ann, "io.kapsel.policy.level", json_object_new_string("restricted"));

	/* stop signal, health, restart, logs */
	const char *img_sig = kj_get_str(cfg, "StopSignal");
	const char *sig = o->stop_signal ? o->stop_signal : img_sig && *img_sig ? img_sig : "SIGTERM";
	int signo = ksignal_parse(sig);
	if (signo <= 0)
		return kerr_msg(e, EINVAL, "%s %s: unknown signal",
				o->stop_signal ? "--stop-signal" : "the image's StopSignal", sig);
	json_object_object_add(config, "StopSignal", json_object_new_string(ksignal_name(signo)));
	json_object_object_add(ann, "org.opencontainers.image.stopSignal", json_object_new_string(ksignal_name(signo)));
	json_object_object_add(spec, "annotations", ann);
	json_object_object_add(config, "StopTimeout",
			       json_object_new_int(o->stop_timeout >= 0 ? o->stop_timeout : (int)d->stop_timeout));
	if (healthcheck(o, cfg, config, e) < 0)
		return -1;
	if (keng_restart_policy(o->restart ? o->restart : o->auto_remove ? "no" : d->restart, o->auto_remove, host, e) < 0)
		return -1;
	json_object_object_add(host, "AutoRemove", json_object_new_boolean(o->auto_remove));
	json_object *lc = json_object_new_object(), *lo = json_object_new_object();
	const char *drv = o->log_driver ? o->log_driver : d->log_driver;
	json_object_object_add(lc, "Type", json_object_new_string(drv));
	json_object_object_add(lc, "Config", lo);
	json_object_object_add(host, "LogConfig", lc);
	if (!strcmp(drv, "json-file") || !strcmp(drv, "k8s-file")) { /* kapsel.conf's rotation */
		json_object_object_add(lo, "max-size", json_object_new_string(d->log_max_size));
		json_object_object_add(lo, "max-file", json_object_new_string(d->log_max_file));
		json_object_object_add(lo, "compress", json_object_new_string(d->log_compress ? "true" : "false"));
	}
	for (char **p = o->log_opts; p && *p; p++) {
		const char *eq = strchr(*p, '=');
		if (!eq || eq == *p)
			return kerr_msg(e, EINVAL, "--log-opt %s: not KEY=VALUE", *p);
		char key[128];
		snprintf(key, sizeof(key), "%.*s", (int)(eq - *p), *p);
		json_object_object_add(lo, key, json_object_new_string(eq + 1));
	}

	json_object_object_add(rec, "Id", json_object_new_string(b->id));
	char nm[256];
	snprintf(nm, sizeof(nm), "/%s", b->name);
	json_object_object_add(rec, "Name", json_object_new_string(nm));
	json_object_object_add(rec, "Created", json_object_new_string(b->created));
	json_object_object_add(rec, "Image", json_object_new_string(b->image_id));
	*spec_out = steal_ptr(spec);
	*record_out = steal_ptr(rec);
	return 0;
}
