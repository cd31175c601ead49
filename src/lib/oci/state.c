#include "state.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/json.h"
#include "common/jsonw.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const kstatus_table[] = {
	[KSTATUS_CREATING] = "creating", [KSTATUS_CREATED] = "created", [KSTATUS_RUNNING] = "running",
	[KSTATUS_PAUSED] = "paused",     [KSTATUS_STOPPED] = "stopped",
};
KAPSEL_DEFINE_NAME_TABLE(kstatus, enum kstatus, kstatus_table);

int kid_validate(const char *id, kerr *e)
{
	size_t n = id ? strlen(id) : 0;
	if (n == 0)
		return kerr_msg(e, EINVAL, "container id is empty");
	if (n > KID_MAX)
		return kerr_msg(e, EINVAL, "container id is longer than %d bytes (it names a directory)", KID_MAX);
	if (!strcmp(id, ".") || !strcmp(id, ".."))
		return kerr_msg(e, EINVAL, "invalid container id \"%s\"", id);
	for (const char *p = id; *p; p++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.' || c == '+'))
			return kerr_msg(e, EINVAL, "invalid container id \"%s\": only letters, digits and _ - . + are allowed", id);
	}
	return 0;
}

int kstate_dir(const char *root, const char *id, char *out, size_t n, kerr *e)
{
	if (kid_validate(id, e) < 0)
		return -1;
	if ((size_t)snprintf(out, n, "%s/%s", root, id) >= n)
		return kerr_set(e, ENAMETOOLONG, "state directory for \"%s\"", id);
	return 0;
}

static void write_annotations(struct jsonw *w, char **a)
{
	jsonw_key(w, "annotations");
	jsonw_obj_open(w);
	for (; a && a[0] && a[1]; a += 2)
		jsonw_key_str(w, a[0], a[1]);
	jsonw_obj_close(w);
}

int kstate_write_pid_file(const char *path, pid_t pid, kerr *e)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d", pid);
	if (kfs_write_file(path, buf, n, 0644, 1, e) < 0)
		return kerr_wrap(e, "--pid-file");
	return 0;
}

int kstate_write(const char *root, const struct kstate *st, kerr *e)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];
	struct jsonw w;

	if (kstate_dir(root, st->id, dir, sizeof(dir), e) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/state.json", dir);
	jsonw_init(&w);
	jsonw_obj_open(&w);
	jsonw_key_str(&w, "id", st->id);
	jsonw_key_int(&w, "pid", st->pid);
	jsonw_key_int(&w, "pid_start", (int64_t)st->pid_start);
	jsonw_key_str(&w, "bundle", st->bundle);
	jsonw_key_str(&w, "rootfs", st->rootfs);
	jsonw_key_str(&w, "created", st->created);
	jsonw_key_int(&w, "owner", st->owner);
	jsonw_key_bool(&w, "started", st->started);
	jsonw_key_bool(&w, "creating", st->creating);
	jsonw_key_bool(&w, "systemd", st->use_systemd);
	jsonw_key_int(&w, "later_hooks", st->later_hooks);
	jsonw_key_str(&w, "cgroup_path", st->cgroup_path);
	write_annotations(&w, st->annotations);
	jsonw_obj_close(&w);
	if (w.oom) {
		jsonw_free(&w);
		return kerr_set(e, ENOMEM, "state.json");
	}
	int r = kfs_write_file(path, w.buf, w.len, 0600, 1, e);
	jsonw_free(&w);
	return r;
}

int kstate_remove(const char *root, const char *id, kerr *e)
{
	char dir[PATH_MAX];
	if (kstate_dir(root, id, dir, sizeof(dir), e) < 0)
		return -1;
	_cleanup_closedir_ DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : kerr_errno(e, "open %s", dir);
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT)
			return kerr_errno(e, "remove %s/%s", dir, de->d_name);
	if (rmdir(dir) < 0 && errno != ENOENT)
		return kerr_errno(e, "remove %s", dir);
	return 0;
}

static char *dupstr(json_object *o, const char *key)
{
	json_object *v = kj_get(o, key);
	return v && json_object_is_type(v, json_type_string) ? strdup(json_object_get_string(v)) : NULL;
}

int kstate_read(const char *root, const char *id, struct kstate *st, kerr *e)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];
	_cleanup_free_ char *buf = NULL;
	size_t len;

	memset(st, 0, sizeof(*st));
	if (kstate_dir(root, id, dir, sizeof(dir), e) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/state.json", dir);
	if (kfs_read_file(path, &buf, &len, e) < 0) {
		if (e->errnum == ENOENT) {
			struct stat sb;
			/* a directory without state.json is a container being created */
			if (stat(dir, &sb) == 0) {
				st->id = strdup(id);
				st->creating = 1;
				return 0;
			}
			return kerr_msg(e, ENOENT, "container \"%s\" does not exist", id);
		}
		return -1;
	}
	json_object *o = kj_parse(path, buf, len, e);
	if (!o)
		return -1;
	st->id = dupstr(o, "id");
	st->pid = json_object_get_int(kj_get(o, "pid"));
	st->pid_start = json_object_get_uint64(kj_get(o, "pid_start"));
	st->bundle = dupstr(o, "bundle");
	st->rootfs = dupstr(o, "rootfs");
	st->created = dupstr(o, "created");
	st->owner = json_object_get_int(kj_get(o, "owner"));
	st->started = json_object_get_boolean(kj_get(o, "started"));
	st->creating = json_object_get_boolean(kj_get(o, "creating"));
	st->use_systemd = json_object_get_boolean(kj_get(o, "systemd"));
	st->later_hooks = json_object_get_int(kj_get(o, "later_hooks"));
	st->cgroup_path = dupstr(o, "cgroup_path");
	json_object *ann = kj_get(o, "annotations");
	if (ann && !json_object_is_type(ann, json_type_object))
		ann = NULL;
	size_t n = ann ? json_object_object_length(ann) : 0, i = 0;
	st->annotations = calloc(2 * n + 1, sizeof(char *));
	if (ann && st->annotations) {
		json_object_object_foreach(ann, k, v) {
			st->annotations[i++] = strdup(k);
			st->annotations[i++] = strdup(json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "");
		}
	}
	json_object_put(o);
	if (!st->id) {
		kstate_free(st);
		return kerr_msg(e, EINVAL, "%s: corrupt state (no id)", path);
	}
	return 0;
}

void kstate_free(struct kstate *st)
{
	free(st->id);
	free(st->bundle);
	free(st->rootfs);
	free(st->created);
	free(st->cgroup_path);
	free(st->config_json);
	cleanup_strvp(&st->annotations);
	memset(st, 0, sizeof(*st));
}

uint64_t kproc_start_time(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* comm may hold spaces and parens: parse from the last ')' */
	char *p = strrchr(buf, ')');
	if (!p)
		return 0;
	p += 2; /* state */
	if (*p == 'Z' || *p == 'X')
		return 0;
	for (int field = 3; field < 22 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	return p ? strtoull(p, NULL, 10) : 0;
}

int kstate_alive(const struct kstate *st)
{
	if (st->pid <= 0)
		return 0;
	uint64_t t = kproc_start_time(st->pid);
	return t != 0 && t == st->pid_start;
}

enum kstatus kstate_status(const struct kstate *st)
{
	if (st->creating)
		return KSTATUS_CREATING;
	if (!kstate_alive(st))
		return KSTATUS_STOPPED;
	if (!st->started)
		return KSTATUS_CREATED;
	return KSTATUS_RUNNING;
}

char *kstate_oci_json(const struct kstate *st, enum kstatus status, int pretty)
{
	struct jsonw w;
	jsonw_init(&w);
	jsonw_obj_open(&w);
	jsonw_key_str(&w, "ociVersion", "1.2.0");
	jsonw_key_str(&w, "id", st->id);
	jsonw_key_str(&w, "status", kstatus_to_name(status));
	jsonw_key_int(&w, "pid", status == KSTATUS_STOPPED ? 0 : st->pid);
	jsonw_key_str(&w, "bundle", st->bundle ? st->bundle : "");
	jsonw_key_str(&w, "rootfs", st->rootfs ? st->rootfs : "");
	jsonw_key_str(&w, "created", st->created ? st->created : "");
	jsonw_key_int(&w, "owner", st->owner);
	write_annotations(&w, st->annotations);
	if (st->oom_killed) /* an extension: clients ignore keys they do not know */
		jsonw_key_bool(&w, "oomKilled", 1);
	jsonw_obj_close(&w);
	if (w.oom) {
		jsonw_free(&w);
		return NULL;
	}
	if (!pretty)
		return w.buf;
	json_object *o = json_tokener_parse(w.buf);
	jsonw_free(&w);
	if (!o)
		return NULL;
	char *s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return s;
}
