#include "spec.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/json.h"
#include "vocab/caps.h"
#include "vocab/mountopt.h"
#include "vocab/ns.h"
#include "vocab/rlimits.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

const char *const oci_hook_names[OCI_HOOK_KINDS] = {
	"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
};

const char *const oci_capset_names[CAPS_SETS] = {
	"bounding", "effective", "inheritable", "permitted", "ambient",
};

#define P(buf, parent, key) (kj_path(buf, sizeof(buf), parent, key), buf)
#define PI(buf, parent, i) (kj_path_idx(buf, sizeof(buf), parent, i), buf)

static int parse_caps(struct jctx *c, json_object *o, struct oci_process *p)
{
	char path[256], ip[256];

	if (kj_object(c, o, "process.capabilities") <= 0)
		return kj_object(c, o, "process.capabilities");
	p->has_caps = 1;
	for (int s = 0; s < CAPS_SETS; s++) {
		json_object *arr = kj_get(o, oci_capset_names[s]);
		P(path, "process.capabilities", oci_capset_names[s]);
		int r = kj_array(c, arr, path);
		if (r < 0)
			return -1;
		if (!r)
			continue;
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			json_object *it = json_object_array_get_idx(arr, i);
			PI(ip, path, i);
			if (!json_object_is_type(it, json_type_string))
				return kj_fail(c, ip, "expected a capability name");
			const char *name = json_object_get_string(it);
			int cap = kcap_from_name(name);
			if (cap < 0)
				return kj_fail(c, ip, "unknown capability \"%s\"", name);
			if (cap > kcap_last_cap())
				return kj_fail(c, ip, "capability \"%s\" is not known to this kernel", name);
			p->caps[s] |= 1ULL << cap;
		}
	}
	return 0;
}

static int parse_rlimits(struct jctx *c, json_object *arr, struct oci_process *p)
{
	char ip[256], fp[256];
	int r = kj_array(c, arr, "process.rlimits");
	if (r <= 0)
		return r;
	size_t n = json_object_array_length(arr);
	p->rlimits = calloc(n ? n : 1, sizeof(*p->rlimits));
	if (!p->rlimits)
		return kerr_set(c->e, ENOMEM, "rlimits");
	for (size_t i = 0; i < n; i++) {
		json_object *it = json_object_array_get_idx(arr, i);
		_cleanup_free_ char *type = NULL;
		struct oci_rlimit *rl = &p->rlimits[i];
		PI(ip, "process.rlimits", i);
		if (kj_object(c, it, ip) <= 0)
			return kj_fail(c, ip, "expected an object");
		r = kj_string(c, kj_get(it, "type"), P(fp, ip, "type"), &type);
		if (r < 0)
			return -1;
		if (!r)
			return kj_fail(c, fp, "missing");
		rl->resource = krlimit_from_name(type);
		if (rl->resource < 0)
			return kj_fail(c, fp, "unknown rlimit \"%s\"", type);
		for (size_t j = 0; j < i; j++)
			if (p->rlimits[j].resource == rl->resource)
				return kj_fail(c, fp, "rlimit \"%s\" is given twice", type);
		if (kj_uint64(c, kj_get(it, "soft"), P(fp, ip, "soft"), &rl->soft) <= 0)
			return c->e->msg[0] ? -1 : kj_fail(c, fp, "missing");
		if (kj_uint64(c, kj_get(it, "hard"), P(fp, ip, "hard"), &rl->hard) <= 0)
			return c->e->msg[0] ? -1 : kj_fail(c, fp, "missing");
		if (rl->soft > rl->hard)
			return kj_fail(c, ip, "soft limit %llu is above the hard limit %llu",
				       (unsigned long long)rl->soft, (unsigned long long)rl->hard);
		p->n_rlimits++;
	}
	return 0;
}

static int parse_process(struct jctx *c, json_object *o, struct oci_process *p)
{
	char fp[256];
	json_object *user = kj_get(o, "user"), *cs;
	int r;

	if (kj_bool(c, kj_get(o, "terminal"), "process.terminal", &p->terminal) < 0)
		return -1;
	cs = kj_get(o, "consoleSize");
	if ((r = kj_object(c, cs, "process.consoleSize")) < 0)
		return -1;
	if (r) {
		p->has_console_size = 1;
		if (kj_uint32(c, kj_get(cs, "height"), "process.consoleSize.height", &p->console_height) < 0 ||
		    kj_uint32(c, kj_get(cs, "width"), "process.consoleSize.width", &p->console_width) < 0)
			return -1;
	}
	if ((r = kj_object(c, user, "process.user")) < 0)
		return -1;
	if (!r)
		return kj_fail(c, "process.user", "missing");
	uint32_t v;
	if ((r = kj_uint32(c, kj_get(user, "uid"), "process.user.uid", &v)) < 0)
		return -1;
	if (!r)
		return kj_fail(c, "process.user.uid", "missing");
	p->uid = v;
	if ((r = kj_uint32(c, kj_get(user, "gid"), "process.user.gid", &v)) < 0)
		return -1;
	if (!r)
		return kj_fail(c, "process.user.gid", "missing");
	p->gid = v;
	if ((r = kj_uint32(c, kj_get(user, "umask"), "process.user.umask", &v)) < 0)
		return -1;
	if (r) {
		if (v > 0777)
			return kj_fail(c, "process.user.umask", "%u is not a valid umask (max 0777 = 511)", v);
		p->umask = v;
		p->has_umask = 1;
	}
	json_object *ag = kj_get(user, "additionalGids");
	if ((r = kj_array(c, ag, "process.user.additionalGids")) < 0)
		return -1;
	if (r) {
		size_t n = json_object_array_length(ag);
		p->additional_gids = calloc(n ? n : 1, sizeof(gid_t));
		if (!p->additional_gids)
			return kerr_set(c->e, ENOMEM, "additionalGids");
		for (size_t i = 0; i < n; i++) {
			if (kj_uint32(c, json_object_array_get_idx(ag, i),
				      PI(fp, "process.user.additionalGids", i), &v) <= 0)
				return c->e->msg[0] ? -1 : kj_fail(c, fp, "expected a gid");
			p->additional_gids[i] = v;
		}
		p->n_additional_gids = n;
	}
	if ((r = kj_strv(c, kj_get(o, "args"), "process.args", &p->args, &p->n_args)) < 0)
		return -1;
	if (!r || p->n_args == 0)
		return kj_fail(c, "process.args", "must name the program to run");
	if (!p->args[0][0])
		return kj_fail(c, "process.args[0]", "is empty");
	if (kj_strv(c, kj_get(o, "env"), "process.env", &p->env, NULL) < 0)
		return -1;
	if (p->env)
		for (size_t i = 0; p->env[i]; i++)
			if (!strchr(p->env[i], '=') || p->env[i][0] == '=')
				return kj_fail(c, PI(fp, "process.env", i), "\"%s\" is not of the form KEY=value", p->env[i]);
	if ((r = kj_string(c, kj_get(o, "cwd"), "process.cwd", &p->cwd)) < 0)
		return -1;
	if (!r)
		return kj_fail(c, "process.cwd", "missing");
	if (p->cwd[0] != '/')
		return kj_fail(c, "process.cwd", "\"%s\" is not an absolute path", p->cwd);
	if (parse_rlimits(c, kj_get(o, "rlimits"), p) < 0)
		return -1;
	if (kj_bool(c, kj_get(o, "noNewPrivileges"), "process.noNewPrivileges", &p->no_new_privileges) < 0)
		return -1;
	int32_t adj;
	if ((r = kj_int32(c, kj_get(o, "oomScoreAdj"), "process.oomScoreAdj", &adj)) < 0)
		return -1;
	if (r) {
		if (adj < -1000 || adj > 1000)
			return kj_fail(c, "process.oomScoreAdj", "%d is outside -1000..1000", adj);
		p->oom_score_adj = adj;
		p->has_oom_score_adj = 1;
	}
	if (parse_caps(c, kj_get(o, "capabilities"), p) < 0)
		return -1;
	if (kj_string(c, kj_get(o, "apparmorProfile"), "process.apparmorProfile", &p->apparmor_profile) < 0 ||
	    kj_string(c, kj_get(o, "selinuxLabel"), "process.selinuxLabel", &p->selinux_label) < 0)
		return -1;
	p->scheduler = kj_get(o, "scheduler");
	p->io_priority = kj_get(o, "ioPriority");
	return 0;
}

static int parse_idmaps(struct jctx *c, json_object *arr, const char *path, struct oci_idmap **out, size_t *n);

static int parse_mounts(struct jctx *c, json_object *arr, struct oci_spec *s)
{
	char ip[256], fp[300];
	int r = kj_array(c, arr, "mounts");
	if (r <= 0)
		return r;
	size_t n = json_object_array_length(arr);
	s->mounts = calloc(n ? n : 1, sizeof(*s->mounts));
	if (!s->mounts)
		return kerr_set(c->e, ENOMEM, "mounts");
	for (size_t i = 0; i < n; i++) {
		json_object *it = json_object_array_get_idx(arr, i);
		struct oci_mount *m = &s->mounts[i];
		s->n_mounts++;
		PI(ip, "mounts", i);
		if (kj_object(c, it, ip) <= 0)
			return kj_fail(c, ip, "expected an object");
		if ((r = kj_string(c, kj_get(it, "destination"), P(fp, ip, "destination"), &m->destination)) < 0)
			return -1;
		if (!r)
			return kj_fail(c, fp, "missing");
		if (m->destination[0] != '/')
			return kj_fail(c, fp, "\"%s\" is not an absolute path", m->destination);
		if (kj_string(c, kj_get(it, "type"), P(fp, ip, "type"), &m->type) < 0 ||
		    kj_string(c, kj_get(it, "source"), P(fp, ip, "source"), &m->source) < 0 ||
		    kj_strv(c, kj_get(it, "options"), P(fp, ip, "options"), &m->options, NULL) < 0)
			return -1;
		struct kmount_flags f = { 0 };
		size_t dlen = 0;
		for (size_t j = 0; m->options && m->options[j]; j++) {
			const char *o = m->options[j];
			switch (kmountopt_apply(o, &f)) {
			case KMOPT_UNSUPPORTED: {
				char op[300];
				P(op, ip, "options");
				return kj_fail(c, PI(fp, op, j),
					       "mount option \"%s\" is not supported by kapsel", o);
			}
			case KMOPT_DATA: {
				size_t l = strlen(o);
				char *d = realloc(m->data, dlen + l + 2);
				if (!d)
					return kerr_set(c->e, ENOMEM, "mount data");
				m->data = d;
				if (dlen)
					m->data[dlen++] = ',';
				memcpy(m->data + dlen, o, l + 1);
				dlen += l;
				break;
			}
			default:
				break;
			}
		}
		if (m->type && !strcmp(m->type, "bind"))
			f.bind = 1;
		m->flags = f.set;
		m->propagation = f.propagation;
		m->attr_set = f.attr_set;
		m->attr_clr = f.attr_clr;
		m->is_bind = f.bind;
		m->tmpcopyup = f.tmpcopyup;
		m->idmap = f.idmap;
		if (parse_idmaps(c, kj_get(it, "uidMappings"), P(fp, ip, "uidMappings"), &m->uid_mappings,
				 &m->n_uid_mappings) < 0 ||
		    parse_idmaps(c, kj_get(it, "gidMappings"), P(fp, ip, "gidMappings"), &m->gid_mappings,
				 &m->n_gid_mappings) < 0)
			return -1;
		if (!m->n_uid_mappings != !m->n_gid_mappings)
			return kj_fail(c, P(fp, ip, m->n_uid_mappings ? "gidMappings" : "uidMappings"),
				       "missing: uidMappings and gidMappings go together");
		if (m->n_uid_mappings && !m->idmap)
			m->idmap = 1; /* mappings alone: as "idmap" */
		if (m->idmap && !m->is_bind)
			return kj_fail(c, P(fp, ip, m->n_uid_mappings ? "uidMappings" : "options"),
				       "an idmapped mount must be a bind mount (\"bind\" or \"rbind\")");
		if (m->tmpcopyup && (!m->type || strcmp(m->type, "tmpfs")))
			return kj_fail(c, P(fp, ip, "options"), "tmpcopyup is for tmpfs mounts only");
		if (!m->is_bind && !m->type)
			return kj_fail(c, P(fp, ip, "type"), "missing (required unless the mount is a bind mount)");
		if (m->is_bind && !m->source)
			return kj_fail(c, P(fp, ip, "source"), "missing for a bind mount");
	}
	return 0;
}

static int parse_hooks(struct jctx *c, json_object *o, struct oci_spec *s)
{
	char kp[64], ip[128], fp[160];
	int r = kj_object(c, o, "hooks");
	if (r <= 0)
		return r;
	for (int k = 0; k < OCI_HOOK_KINDS; k++) {
		json_object *arr = kj_get(o, oci_hook_names[k]);
		P(kp, "hooks", oci_hook_names[k]);
		if ((r = kj_array(c, arr, kp)) < 0)
			return -1;
		if (!r)
			continue;
		size_t n = json_object_array_length(arr);
		s->hooks[k] = calloc(n ? n : 1, sizeof(struct oci_hook));
		if (!s->hooks[k])
			return kerr_set(c->e, ENOMEM, "hooks");
		for (size_t i = 0; i < n; i++) {
			json_object *it = json_object_array_get_idx(arr, i);
			struct oci_hook *h = &s->hooks[k][i];
			s->n_hooks[k]++;
			PI(ip, kp, i);
			if (kj_object(c, it, ip) <= 0)
				return kj_fail(c, ip, "expected an object");
			if ((r = kj_string(c, kj_get(it, "path"), P(fp, ip, "path"), &h->path)) < 0)
				return -1;
			if (!r)
				return kj_fail(c, fp, "missing");
			if (h->path[0] != '/')
				return kj_fail(c, fp, "\"%s\" is not an absolute path", h->path);
			if (kj_strv(c, kj_get(it, "args"), P(fp, ip, "args"), &h->args, NULL) < 0 ||
			    kj_strv(c, kj_get(it, "env"), P(fp, ip, "env"), &h->env, NULL) < 0)
				return -1;
			int32_t t = 0;
			if ((r = kj_int32(c, kj_get(it, "timeout"), P(fp, ip, "timeout"), &t)) < 0)
				return -1;
			if (r && t <= 0)
				return kj_fail(c, fp, "must be greater than zero");
			h->timeout = t;
		}
	}
	return 0;
}

static int parse_kv(struct jctx *c, json_object *o, const char *path, struct oci_kv **out, size_t *n)
{
	char fp[512];
	int r = kj_object(c, o, path);
	if (r <= 0)
		return r;
	size_t len = json_object_object_length(o), i = 0;
	*out = calloc(len ? len : 1, sizeof(struct oci_kv));
	if (!*out)
		return kerr_set(c->e, ENOMEM, "%s", path);
	json_object_object_foreach(o, key, val) {
		P(fp, path, key);
		if (!json_object_is_type(val, json_type_string))
			return kj_fail(c, fp, "expected a string");
		(*out)[i].key = strdup(key);
		(*out)[i].value = strdup(json_object_get_string(val));
		*n = ++i;
	}
	return 0;
}

static int parse_idmaps(struct jctx *c, json_object *arr, const char *path, struct oci_idmap **out, size_t *n)
{
	char ip[128], fp[160];
	int r = kj_array(c, arr, path);
	if (r <= 0)
		return r;
	size_t len = json_object_array_length(arr);
	*out = calloc(len ? len : 1, sizeof(struct oci_idmap));
	if (!*out)
		return kerr_set(c->e, ENOMEM, "%s", path);
	for (size_t i = 0; i < len; i++) {
		json_object *it = json_object_array_get_idx(arr, i);
		struct oci_idmap *m = &(*out)[i];
		PI(ip, path, i);
		if (kj_object(c, it, ip) <= 0)
			return kj_fail(c, ip, "expected an object");
		if (kj_uint32(c, kj_get(it, "containerID"), P(fp, ip, "containerID"), &m->container_id) <= 0 ||
		    kj_uint32(c, kj_get(it, "hostID"), P(fp, ip, "hostID"), &m->host_id) <= 0 ||
		    kj_uint32(c, kj_get(it, "size"), P(fp, ip, "size"), &m->size) <= 0)
			return c->e->msg[0] ? -1 : kj_fail(c, fp, "missing");
		if (m->size == 0)
			return kj_fail(c, fp, "must be greater than zero");
		if ((uint64_t)m->container_id + m->size > (uint64_t)UINT32_MAX + 1 ||
		    (uint64_t)m->host_id + m->size > (uint64_t)UINT32_MAX + 1)
			return kj_fail(c, ip, "the range %u+%u or %u+%u goes past the 32-bit ids",
				       m->container_id, m->size, m->host_id, m->size);
		/* the kernel refuses overlapping ranges on either side */
		for (size_t j = 0; j < i; j++) {
			const struct oci_idmap *o = &(*out)[j];
			if (m->container_id < o->container_id + o->size && o->container_id < m->container_id + m->size)
				return kj_fail(c, P(fp, ip, "containerID"), "overlaps the range of %s[%zu]", path, j);
			if (m->host_id < o->host_id + o->size && o->host_id < m->host_id + m->size)
				return kj_fail(c, P(fp, ip, "hostID"), "overlaps the range of %s[%zu]", path, j);
		}
		*n = i + 1;
	}
	if (len > 340)
		return kj_fail(c, path, "%zu mappings: the kernel takes at most 340", len);
	return 0;
}

static int parse_devices(struct jctx *c, json_object *arr, struct oci_spec *s)
{
	char ip[128], fp[160];
	int r = kj_array(c, arr, "linux.devices");
	if (r <= 0)
		return r;
	size_t len = json_object_array_length(arr);
	s->devices = calloc(len ? len : 1, sizeof(struct oci_device));
	if (!s->devices)
		return kerr_set(c->e, ENOMEM, "devices");
	for (size_t i = 0; i < len; i++) {
		json_object *it = json_object_array_get_idx(arr, i);
		struct oci_device *d = &s->devices[i];
		_cleanup_free_ char *type = NULL;
		uint32_t v;
		s->n_devices++;
		PI(ip, "linux.devices", i);
		if (kj_object(c, it, ip) <= 0)
			return kj_fail(c, ip, "expected an object");
		if ((r = kj_string(c, kj_get(it, "path"), P(fp, ip, "path"), &d->path)) < 0)
			return -1;
		if (!r)
			return kj_fail(c, fp, "missing");
		if (d->path[0] != '/')
			return kj_fail(c, fp, "\"%s\" is not an absolute path", d->path);
		if ((r = kj_string(c, kj_get(it, "type"), P(fp, ip, "type"), &type)) < 0)
			return -1;
		if (!r)
			return kj_fail(c, fp, "missing");
		if (strlen(type) != 1 || !strchr("cbup", type[0]))
			return kj_fail(c, fp, "\"%s\" is not a device type (c, b, u or p)", type);
		d->type = type[0] == 'u' ? 'c' : type[0];
		if (d->type != 'p') {
			if (kj_int64(c, kj_get(it, "major"), P(fp, ip, "major"), &d->major) <= 0)
				return c->e->msg[0] ? -1 : kj_fail(c, fp, "missing");
			if (kj_int64(c, kj_get(it, "minor"), P(fp, ip, "minor"), &d->minor) <= 0)
				return c->e->msg[0] ? -1 : kj_fail(c, fp, "missing");
			if (d->major < 0 || d->major > 0xfff || d->minor < 0 || d->minor > 0xfffff)
				return kj_fail(c, ip, "device number %lld:%lld is out of range",
					       (long long)d->major, (long long)d->minor);
		}
		if ((r = kj_uint32(c, kj_get(it, "fileMode"), P(fp, ip, "fileMode"), &v)) < 0)
			return -1;
		if (r) {
			/* Podman sends the type bits too (S_IFCHR|0644): they must
			 * agree with "type" and are dropped */
			mode_t fmt = v & S_IFMT;
			mode_t want = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
			if (fmt && fmt != want)
				return kj_fail(c, fp, "%#o has file type bits that contradict type \"%c\"", v, d->type);
			v &= ~S_IFMT;
			if (v & ~07777u)
				return kj_fail(c, fp, "%u is not a permission mode", v);
			d->file_mode = v;
			d->has_file_mode = 1;
		}
		if ((r = kj_uint32(c, kj_get(it, "uid"), P(fp, ip, "uid"), &v)) < 0)
			return -1;
		if (r) {
			d->uid = v;
			d->has_uid = 1;
		}
		if ((r = kj_uint32(c, kj_get(it, "gid"), P(fp, ip, "gid"), &v)) < 0)
			return -1;
		if (r) {
			d->gid = v;
			d->has_gid = 1;
		}
	}
	return 0;
}

static int parse_namespaces(struct jctx *c, json_object *arr, struct oci_spec *s)
{
	char ip[128], fp[160];
	int r = kj_array(c, arr, "linux.namespaces");
	if (r <= 0)
		return r;
	size_t len = json_object_array_length(arr);
	s->namespaces = calloc(len ? len : 1, sizeof(struct oci_ns));
	if (!s->namespaces)
		return kerr_set(c->e, ENOMEM, "namespaces");
	for (size_t i = 0; i < len; i++) {
		json_object *it = json_object_array_get_idx(arr, i);
		struct oci_ns *ns = &s->namespaces[i];
		_cleanup_free_ char *type = NULL;
		s->n_namespaces++;
		PI(ip, "linux.namespaces", i);
		if (kj_object(c, it, ip) <= 0)
			return kj_fail(c, ip, "expected an object");
		if ((r = kj_string(c, kj_get(it, "type"), P(fp, ip, "type"), &type)) < 0)
			return -1;
		if (!r)
			return kj_fail(c, fp, "missing");
		ns->type = kns_type_from_name(type);
		if (!ns->type)
			return kj_fail(c, fp, "unknown namespace type \"%s\"", type);
		if ((s->ns_new_flags | s->ns_join_flags) & ns->type)
			return kj_fail(c, fp, "namespace \"%s\" is listed twice", type);
		if (kj_string(c, kj_get(it, "path"), P(fp, ip, "path"), &ns->path) < 0)
			return -1;
		if (ns->path && !*ns->path) {
			free(ns->path);
			ns->path = NULL;
		}
		if (ns->path) {
			if (ns->path[0] != '/')
				return kj_fail(c, fp, "\"%s\" is not an absolute path", ns->path);
			s->ns_join_flags |= ns->type;
		} else {
			s->ns_new_flags |= ns->type;
		}
	}
	return 0;
}

static int parse_linux(struct jctx *c, json_object *lx, struct oci_spec *s)
{
	int r = kj_object(c, lx, "linux");
	if (r <= 0)
		return r;
	if (parse_namespaces(c, kj_get(lx, "namespaces"), s) < 0 ||
	    parse_idmaps(c, kj_get(lx, "uidMappings"), "linux.uidMappings", &s->uid_mappings, &s->n_uid_mappings) < 0 ||
	    parse_idmaps(c, kj_get(lx, "gidMappings"), "linux.gidMappings", &s->gid_mappings, &s->n_gid_mappings) < 0 ||
	    parse_devices(c, kj_get(lx, "devices"), s) < 0 ||
	    parse_kv(c, kj_get(lx, "sysctl"), "linux.sysctl", &s->sysctl, &s->n_sysctl) < 0 ||
	    kj_string(c, kj_get(lx, "cgroupsPath"), "linux.cgroupsPath", &s->cgroups_path) < 0 ||
	    kj_strv(c, kj_get(lx, "maskedPaths"), "linux.maskedPaths", &s->masked_paths, &s->n_masked_paths) < 0 ||
	    kj_strv(c, kj_get(lx, "readonlyPaths"), "linux.readonlyPaths", &s->readonly_paths, &s->n_readonly_paths) < 0 ||
	    kj_string(c, kj_get(lx, "mountLabel"), "linux.mountLabel", &s->mount_label) < 0)
		return -1;

	_cleanup_free_ char *prop = NULL;
	if ((r = kj_string(c, kj_get(lx, "rootfsPropagation"), "linux.rootfsPropagation", &prop)) < 0)
		return -1;
	if (r && *prop) {
		s->rootfs_propagation = kmountopt_propagation(prop);
		if (!s->rootfs_propagation)
			return kj_fail(c, "linux.rootfsPropagation", "\"%s\" is not a propagation mode", prop);
	}

	if ((s->n_uid_mappings || s->n_gid_mappings) && !(s->ns_new_flags & CLONE_NEWUSER))
		return kj_fail(c, "linux.uidMappings", "id mappings need a new user namespace in linux.namespaces");
	if ((s->ns_new_flags & CLONE_NEWUSER) && (!s->n_uid_mappings || !s->n_gid_mappings))
		return kj_fail(c, "linux.uidMappings", "a new user namespace needs both uidMappings and gidMappings");

	json_object *to = kj_get(lx, "timeOffsets");
	if ((r = kj_object(c, to, "linux.timeOffsets")) < 0)
		return -1;
	if (r) {
		json_object *m = kj_get(to, "monotonic"), *b = kj_get(to, "boottime");
		if (!(s->ns_new_flags & CLONE_NEWTIME))
			return kj_fail(c, "linux.timeOffsets", "time offsets need a new time namespace");
		s->has_time_offsets = 1;
		if (kj_int64(c, kj_get(m, "secs"), "linux.timeOffsets.monotonic.secs", &s->time_offset_mono_secs) < 0 ||
		    kj_uint32(c, kj_get(m, "nanosecs"), "linux.timeOffsets.monotonic.nanosecs", &s->time_offset_mono_nsecs) < 0 ||
		    kj_int64(c, kj_get(b, "secs"), "linux.timeOffsets.boottime.secs", &s->time_offset_boot_secs) < 0 ||
		    kj_uint32(c, kj_get(b, "nanosecs"), "linux.timeOffsets.boottime.nanosecs", &s->time_offset_boot_nsecs) < 0)
			return -1;
	}
	json_object *pers = kj_get(lx, "personality");
	if ((r = kj_object(c, pers, "linux.personality")) < 0)
		return -1;
	if (r) {
		if ((r = kj_string(c, kj_get(pers, "domain"), "linux.personality.domain", &s->personality_domain)) < 0)
			return -1;
		if (!r || (strcmp(s->personality_domain, "LINUX") && strcmp(s->personality_domain, "LINUX32")))
			return kj_fail(c, "linux.personality.domain", "must be \"LINUX\" or \"LINUX32\"");
	}

	s->resources = kj_get(lx, "resources");
	if (kj_object(c, s->resources, "linux.resources") < 0)
		return -1;
	s->seccomp = kj_get(lx, "seccomp");
	if (kj_object(c, s->seccomp, "linux.seccomp") < 0)
		return -1;
	s->intel_rdt = kj_get(lx, "intelRdt");
	return 0;
}

int oci_spec_parse(const char *file, const char *buf, size_t len, struct oci_spec **out, kerr *e)
{
	struct jctx c = { .file = file, .e = e };
	struct oci_spec *s = calloc(1, sizeof(*s));
	json_object *root, *o;
	int r;

	kerr_clear(e);
	if (!s)
		return kerr_set(e, ENOMEM, "%s", file);
	root = kj_parse(file, buf, len, e);
	if (!root)
		goto fail;
	s->root = root;
	if (!json_object_is_type(root, json_type_object)) {
		kerr_msg(e, EINVAL, "%s: the document is not a JSON object", file);
		goto fail;
	}
	if ((r = kj_string(&c, kj_get(root, "ociVersion"), "ociVersion", &s->oci_version)) < 0)
		goto fail;
	if (!r) {
		kj_fail(&c, "ociVersion", "missing");
		goto fail;
	}
	if (strncmp(s->oci_version, "1.", 2)) {
		kj_fail(&c, "ociVersion", "version \"%s\" is not supported (1.x only)", s->oci_version);
		goto fail;
	}
	o = kj_get(root, "root");
	if ((r = kj_object(&c, o, "root")) < 0)
		goto fail;
	if (!r) {
		kj_fail(&c, "root", "missing");
		goto fail;
	}
	if ((r = kj_string(&c, kj_get(o, "path"), "root.path", &s->root_path)) < 0)
		goto fail;
	if (!r || !*s->root_path) {
		kj_fail(&c, "root.path", "missing");
		goto fail;
	}
	if (kj_bool(&c, kj_get(o, "readonly"), "root.readonly", &s->root_readonly) < 0)
		goto fail;
	if (kj_string(&c, kj_get(root, "hostname"), "hostname", &s->hostname) < 0 ||
	    kj_string(&c, kj_get(root, "domainname"), "domainname", &s->domainname) < 0)
		goto fail;
	o = kj_get(root, "process");
	if ((r = kj_object(&c, o, "process")) < 0)
		goto fail;
	if (r) {
		s->has_process = 1;
		if (parse_process(&c, o, &s->process) < 0)
			goto fail;
	}
	if (parse_mounts(&c, kj_get(root, "mounts"), s) < 0 ||
	    parse_hooks(&c, kj_get(root, "hooks"), s) < 0 ||
	    parse_kv(&c, kj_get(root, "annotations"), "annotations", &s->annotations, &s->n_annotations) < 0 ||
	    parse_linux(&c, kj_get(root, "linux"), s) < 0)
		goto fail;
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct oci_mount *m = &s->mounts[i];
		char ip[64];
		if (m->idmap && !m->n_uid_mappings && !(s->ns_new_flags & CLONE_NEWUSER)) {
			snprintf(ip, sizeof(ip), "mounts[%zu].options", i);
			kj_fail(&c, ip, "\"%s\" without uidMappings and gidMappings takes the container's user "
				"namespace mappings, and linux.namespaces has no new user namespace",
				m->idmap == 2 ? "ridmap" : "idmap");
			goto fail;
		}
	}
	if (s->hostname && *s->hostname && !(s->ns_new_flags & CLONE_NEWUTS) && !(s->ns_join_flags & CLONE_NEWUTS)) {
		kj_fail(&c, "hostname", "setting a hostname needs a uts namespace");
		goto fail;
	}
	/* setdomainname() in the host's UTS namespace would rename the host's
	 * NIS domain: refused as the hostname is (runc's rule too) */
	if (s->domainname && *s->domainname && !(s->ns_new_flags & CLONE_NEWUTS) &&
	    !(s->ns_join_flags & CLONE_NEWUTS)) {
		kj_fail(&c, "domainname", "setting a domainname needs a uts namespace");
		goto fail;
	}
	*out = s;
	return 0;
fail:
	oci_spec_free(s);
	return -1;
}

int oci_spec_load(const char *bundle, struct oci_spec **out, kerr *e)
{
	char path[PATH_MAX + 16], abs[PATH_MAX];
	_cleanup_free_ char *buf = NULL;
	size_t len;

	if (!realpath(bundle, abs))
		return kerr_errno(e, "bundle %s", bundle);
	snprintf(path, sizeof(path), "%s/config.json", abs);
	if (kfs_read_file(path, &buf, &len, e) < 0)
		return -1;
	if (oci_spec_parse("config.json", buf, len, out, e) < 0)
		return -1;
	struct oci_spec *s = *out;
	s->bundle = strdup(abs);
	s->raw = steal_ptr(buf);
	s->raw_len = len;
	if (s->root_path[0] != '/') {
		char *p;
		if (asprintf(&p, "%s/%s", abs, s->root_path) < 0) {
			oci_spec_free(s);
			return kerr_set(e, ENOMEM, "config.json");
		}
		free(s->root_path);
		s->root_path = p;
	}
	struct stat st;
	int bad = stat(s->root_path, &st) < 0 ? errno : !S_ISDIR(st.st_mode) ? ENOTDIR : 0;
	if (bad) {
		kerr_set(e, bad, "config.json: root.path: %s", s->root_path);
		oci_spec_free(s);
		*out = NULL;
		return -1;
	}
	return 0;
}

int oci_spec_reparse(struct oci_spec **sp, kerr *e)
{
	struct oci_spec *old = *sp, *s = NULL;
	const char *txt = json_object_to_json_string_ext(old->root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t len = strlen(txt);
	char *copy = strdup(txt);
	if (!copy)
		return kerr_set(e, ENOMEM, "config.json");
	if (oci_spec_parse("config.json (hardened)", copy, len, &s, e) < 0) {
		free(copy);
		return -1;
	}
	s->raw = copy;
	s->raw_len = len;
	s->bundle = old->bundle ? strdup(old->bundle) : NULL;
	free(s->root_path);
	s->root_path = strdup(old->root_path);
	oci_spec_free(old);
	*sp = s;
	return 0;
}

const char *oci_spec_annotation(const struct oci_spec *s, const char *key)
{
	for (size_t i = 0; i < s->n_annotations; i++)
		if (!strcmp(s->annotations[i].key, key))
			return s->annotations[i].value;
	return NULL;
}

const struct oci_ns *oci_spec_ns(const struct oci_spec *s, int type)
{
	for (size_t i = 0; i < s->n_namespaces; i++)
		if (s->namespaces[i].type == type)
			return &s->namespaces[i];
	return NULL;
}

static void strv_free(char **v)
{
	cleanup_strvp(&v);
}

void oci_process_free(struct oci_process *p)
{
	free(p->additional_gids);
	strv_free(p->args);
	strv_free(p->env);
	free(p->cwd);
	free(p->rlimits);
	free(p->apparmor_profile);
	free(p->selinux_label);
	memset(p, 0, sizeof(*p));
}

int oci_process_parse(const char *file, json_object *o, struct oci_process *p, kerr *e)
{
	struct jctx c = { .file = file, .e = e };
	kerr_clear(e);
	memset(p, 0, sizeof(*p));
	if (!o || !json_object_is_type(o, json_type_object))
		return kj_fail(&c, "process", "expected an object");
	if (parse_process(&c, o, p) < 0) {
		oci_process_free(p);
		return -1;
	}
	return 0;
}

static void kv_free(struct oci_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

void oci_spec_free(struct oci_spec *s)
{
	if (!s)
		return;
	free(s->oci_version);
	free(s->root_path);
	free(s->hostname);
	free(s->domainname);
	oci_process_free(&s->process);
	free(s->raw);
	for (size_t i = 0; i < s->n_mounts; i++) {
		free(s->mounts[i].destination);
		free(s->mounts[i].type);
		free(s->mounts[i].source);
		free(s->mounts[i].data);
		free(s->mounts[i].uid_mappings);
		free(s->mounts[i].gid_mappings);
		strv_free(s->mounts[i].options);
	}
	free(s->mounts);
	for (int k = 0; k < OCI_HOOK_KINDS; k++) {
		for (size_t i = 0; i < s->n_hooks[k]; i++) {
			free(s->hooks[k][i].path);
			strv_free(s->hooks[k][i].args);
			strv_free(s->hooks[k][i].env);
		}
		free(s->hooks[k]);
	}
	kv_free(s->annotations, s->n_annotations);
	for (size_t i = 0; i < s->n_namespaces; i++)
		free(s->namespaces[i].path);
	free(s->namespaces);
	free(s->uid_mappings);
	free(s->gid_mappings);
	for (size_t i = 0; i < s->n_devices; i++)
		free(s->devices[i].path);
	free(s->devices);
	kv_free(s->sysctl, s->n_sysctl);
	free(s->cgroups_path);
	strv_free(s->masked_paths);
	strv_free(s->readonly_paths);
	free(s->mount_label);
	free(s->personality_domain);
	free(s->bundle);
	json_object_put(s->root);
	free(s);
}
