/* Named volumes: ROOT/volumes/NAME/{volume.json,_data}.
 *
 * Every change happens under the container store's exclusive lock, so
 * "in use" (a container record that mounts the volume) cannot change
 * under a remove.  A volume is populated once, at its first use by a
 * container no other container shares it with: the image's content at
 * the target is copied in through the file tree (openat, never following
 * a symlink; the source resolved inside the container's root), and its
 * top directory is given to the container's user. */
#include "internal.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/json.h"
#include "common/str.h"
#include "common/strv.h"
#include "common/time.h"
#include "mounts.h"
#include "rootfs.h"
#include "volume.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define ANON_LABEL "com.docker.volume.anonymous"

char *keng_volume_path(const struct keng *g, const char *name, const char *sub)
{
	return sub ? kstr_printf("%s/volumes/%s/%s", g->root, name, sub) : kstr_printf("%s/volumes/%s", g->root, name);
}

static int read_record(const struct keng *g, const char *name, json_object **out, kerr *e)
{
	_cleanup_free_ char *p = keng_volume_path(g, name, "volume.json"), *buf = NULL;
	size_t len;
	if (!p)
		return kerr_errno(e, "volume %s", name);
	if (kfs_read_file(p, &buf, &len, e) < 0) {
		if (e->errnum == ENOENT)
			return kerr_msg(e, ENOENT, "get %s: no such volume", name);
		return -1;
	}
	return (*out = kj_parse(p, buf, len, e)) ? 0 : -1;
}

static int write_record(const struct keng *g, const char *name, json_object *rec, kerr *e)
{
	_cleanup_free_ char *p = keng_volume_path(g, name, "volume.json");
	if (!p)
		return kerr_errno(e, "volume %s", name);
	const char *s = json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	return kfs_write_file(p, s, strlen(s), 0600, 1, e);
}

bool keng_volume_exists(const struct keng *g, const char *name)
{
	_cleanup_free_ char *p = keng_volume_path(g, name, "volume.json");
	return p && access(p, F_OK) == 0;
}

int keng_volume_anon_name(char name[65], kerr *e)
{
	unsigned char rnd[32];
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		return kerr_errno(e, "getrandom");
	for (int i = 0; i < 32; i++)
		snprintf(name + 2 * i, 3, "%02x", rnd[i]);
	return 0;
}

static int labels_obj(char *const *labels, bool anonymous, json_object **out, kerr *e)
{
	_cleanup_json_ json_object *l = json_object_new_object();
	for (char *const *p = labels; p && *p; p++) {
		const char *eq = strchr(*p, '=');
		_cleanup_free_ char *k = strndup(*p, eq ? (size_t)(eq - *p) : strlen(*p));
		if (!k || !*k)
			return kerr_msg(e, EINVAL, "--label %s: expected KEY=VALUE", *p);
		json_object_object_add(l, k, json_object_new_string(eq ? eq + 1 : ""));
	}
	if (anonymous)
		json_object_object_add(l, ANON_LABEL, json_object_new_string(""));
	*out = steal_ptr(l);
	return 0;
}

int keng_volume_make(struct keng *g, const char *name, char *const *labels, bool anonymous, bool *created, kerr *e)
{
	*created = false;
	if (!keng_volume_name_ok(name))
		return kerr_msg(e, EINVAL,
				"create %s: \"%s\" includes invalid characters for a local volume name, only "
				"\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed",
				name, name);
	if (keng_volume_exists(g, name))
		return 0; /* Docker's create of an existing name is that volume */
	_cleanup_json_ json_object *l = NULL;
	if (labels_obj(labels, anonymous, &l, e) < 0)
		return -1;
	_cleanup_free_ char *top = kstr_printf("%s/volumes", g->root), *dir = keng_volume_path(g, name, NULL),
			    *data = keng_volume_path(g, name, "_data");
	if (!top || !dir || !data)
		return kerr_errno(e, "volume %s", name);
	/* 0700 above _data: no host user reaches a volume's setuid files */
	if (kfs_mkdir_p(top, 0700, e) < 0)
		return -1;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return kerr_errno(e, "mkdir %s", dir);
	if (mkdir(data, 0755) < 0 && errno != EEXIST)
		return kerr_errno(e, "mkdir %s", data);
	char now[KTIME_BUFSZ];
	ktime_now(now, sizeof(now), KTIME_SECONDS);
	_cleanup_json_ json_object *rec = json_object_new_object();
	json_object_object_add(rec, "CreatedAt", json_object_new_string(now));
	json_object_object_add(rec, "Driver", json_object_new_string("local"));
	json_object_object_add(rec, "Labels", steal_ptr(l));
	json_object_object_add(rec, "Mountpoint", json_object_new_string(data));
	json_object_object_add(rec, "Name", json_object_new_string(name));
	json_object_object_add(rec, "Options", json_object_new_object());
	json_object_object_add(rec, "Scope", json_object_new_string("local"));
	json_object_object_add(rec, "Populated", json_object_new_boolean(0));
	if (write_record(g, name, rec, e) < 0) {
		kerr ig = { 0 };
		keng_rm_tree(dir, &ig);
		return -1;
	}
	*created = true;
	return 0;
}

int keng_volume_create(struct keng *g, const char *name, char *const *labels, char name_out[256], kerr *e)
{
	char anon[65];
	if (keng_relock(g, KENG_EXCLUSIVE, e) < 0)
		return -1;
	if (!name && keng_volume_anon_name(anon, e) < 0)
		return -1;
	bool created;
	if (keng_volume_make(g, name ? name : anon, labels, false, &created, e) < 0)
		return -1;
	snprintf(name_out, 256, "%s", name ? name : anon);
	return 0;
}

int keng_volume_list(const struct keng *g, char ***names, kerr *e)
{
	_cleanup_free_ char *top = kstr_printf("%s/volumes", g->root);
	if (!top)
		return kerr_errno(e, "volumes");
	_cleanup_strv_ char **out = calloc(1, sizeof(char *));
	_cleanup_closedir_ DIR *d = opendir(top);
	if (!out)
		return kerr_errno(e, "volumes");
	if (!d && errno != ENOENT)
		return kerr_errno(e, "open %s", top);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		char rec[300];
		snprintf(rec, sizeof(rec), "%s/volume.json", de->d_name);
		if (keng_volume_name_ok(de->d_name) && faccessat(dirfd(d), rec, F_OK, 0) == 0 &&
		    kstrv_add(&out, de->d_name) < 0)
			return kerr_errno(e, "volumes");
	}
	/* by name, as Docker's ls */
	size_t n = kstrv_len(out);
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(out[j - 1], out[j]) > 0; j--) {
			char *t = out[j];
			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	*names = steal_ptr(out);
	return 0;
}

int keng_volume_inspect(const struct keng *g, const char *name, json_object **out, kerr *e)
{
	json_object *rec;
	if (!keng_volume_name_ok(name))
		return kerr_msg(e, ENOENT, "get %s: no such volume", name);
	if (read_record(g, name, &rec, e) < 0)
		return -1;
	json_object_object_del(rec, "Populated");
	*out = rec;
	return 0;
}

int keng_volume_users(const struct keng *g, const char *name, char ***ids, kerr *e)
{
	_cleanup_strv_ char **all = NULL, **out = calloc(1, sizeof(char *));
	if (!out)
		return kerr_errno(e, "volume %s", name);
	if (keng_list(g, &all, e) < 0)
		return -1;
	for (char **id = all; *id; id++) {
		_cleanup_json_ json_object *rec = NULL;
		kerr ig = { 0 };
		if (keng_record(g, *id, &rec, &ig) < 0)
			continue; /* removed meanwhile */
		json_object *ms = kj_get(rec, "Mounts");
		for (size_t i = 0; ms && i < json_object_array_length(ms); i++) {
			json_object *m = json_object_array_get_idx(ms, i);
			if (!strcmp(kj_get_str(m, "Type") ?: "", "volume") &&
			    !strcmp(kj_get_str(m, "Name") ?: "", name)) {
				if (kstrv_add(&out, *id) < 0)
					return kerr_errno(e, "volume %s", name);
				break;
			}
		}
	}
	*ids = steal_ptr(out);
	return 0;
}

/* Remove NAME's directory (the lock held, not in use). */
static int drop(const struct keng *g, const char *name, kerr *e)
{
	_cleanup_free_ char *top = kstr_printf("%s/volumes", g->root);
	_cleanup_close_ int fd = top ? open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (fd < 0)
		return kerr_errno(e, "open %s/volumes", g->root);
	return kfs_remove_at(fd, name, e);
}

int keng_volume_remove(struct keng *g, const char *name, kerr *e)
{
	if (keng_relock(g, KENG_EXCLUSIVE, e) < 0)
		return -1;
	if (!keng_volume_name_ok(name) || !keng_volume_exists(g, name))
		return kerr_msg(e, ENOENT, "get %s: no such volume", name);
	_cleanup_strv_ char **users = NULL;
	if (keng_volume_users(g, name, &users, e) < 0)
		return -1;
	if (users[0]) {
		char list[1024] = "";
		for (char **u = users; *u && strlen(list) < sizeof(list) - 80; u++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", u == users ? "" : ", ", *u);
		return kerr_msg(e, EBUSY, "remove %s: volume is in use - [%s]", name, list);
	}
	return drop(g, name, e) < 0 ? kerr_wrap(e, "remove %s", name) : 0;
}

int keng_volume_prune(struct keng *g, bool all, char ***removed, kerr *e)
{
	if (keng_relock(g, KENG_EXCLUSIVE, e) < 0)
		return -1;
	_cleanup_strv_ char **names = NULL, **out = calloc(1, sizeof(char *));
	if (!out)
		return kerr_errno(e, "prune");
	if (keng_volume_list(g, &names, e) < 0)
		return -1;
	for (char **n = names; *n; n++) {
		_cleanup_json_ json_object *rec = NULL;
		_cleanup_strv_ char **users = NULL;
		if (read_record(g, *n, &rec, e) < 0 || keng_volume_users(g, *n, &users, e) < 0)
			return -1;
		if (users[0] || (!all && !kj_get(kj_get(rec, "Labels"), ANON_LABEL)))
			continue;
		if (drop(g, *n, e) < 0)
			return kerr_wrap(e, "remove %s", *n);
		if (kstrv_add(&out, *n) < 0)
			return kerr_errno(e, "prune");
	}
	*removed = steal_ptr(out);
	return 0;
}

int keng_volume_remove_anonymous(struct keng *g, char *const *names, kerr *e)
{
	for (char *const *n = names; n && *n; n++) {
		_cleanup_json_ json_object *rec = NULL;
		_cleanup_strv_ char **users = NULL;
		kerr ig = { 0 };
		if (read_record(g, *n, &rec, &ig) < 0 || !kj_get(kj_get(rec, "Labels"), ANON_LABEL))
			continue; /* gone, or named: kept */
		if (keng_volume_users(g, *n, &users, e) < 0)
			return -1;
		if (!users[0] && drop(g, *n, e) < 0)
			return kerr_wrap(e, "remove volume %s", *n);
	}
	return 0;
}

/* The directory DIRFD has no entry. */
static bool dir_empty(int dirfd)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	struct dirent *de;
	bool empty = true;
	while (empty && (de = readdir(d)))
		empty = !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..");
	closedir(d);
	return empty;
}

int keng_volume_prepare(struct keng *g, const char *name, bool anonymous, bool copy, int rootfd, const char *target,
			uid_t uid, gid_t gid, bool *created, kerr *e)
{
	if (keng_volume_make(g, name, NULL, anonymous, created, e) < 0)
		return -1;
	_cleanup_json_ json_object *rec = NULL;
	_cleanup_strv_ char **users = NULL;
	if (read_record(g, name, &rec, e) < 0 || keng_volume_users(g, name, &users, e) < 0)
		return -1;
	/* once, and never while another container holds it: it could have
	 * planted symlinks in it meanwhile (the copy would not follow them,
	 * but the owner change of the top would be its to race) */
	if (kj_get_bool(rec, "Populated") || users[0])
		return 0;
	_cleanup_free_ char *data = keng_volume_path(g, name, "_data");
	if (!data)
		return kerr_errno(e, "volume %s", name);
	_cleanup_close_ int dst = open(data, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dst < 0)
		return kerr_errno(e, "open %s", data);
	copy = copy && dir_empty(dst); /* Docker's: only into an empty volume */
	_cleanup_close_ int src = copy ? kfs_open_in_root(rootfd, target, O_RDONLY | O_DIRECTORY, 0) : -1;
	if (copy && src < 0 && errno != ENOENT && errno != ENOTDIR)
		return kerr_errno(e, "volume %s: open %s in the image", name, target);
	struct stat st;
	if (src >= 0) {
		if (fstat(src, &st) < 0)
			return kerr_errno(e, "stat %s in the image", target);
		if (kfs_copy_tree(src, dst, e) < 0)
			return kerr_wrap(e, "volume %s: copy the image's %s", name, target);
		if (fchmod(dst, st.st_mode & 07777) < 0)
			return kerr_errno(e, "chmod %s", data);
	}
	if (fchown(dst, uid, gid) < 0)
		return kerr_errno(e, "chown %s to %u:%u", data, (unsigned)uid, (unsigned)gid);
	json_object_object_add(rec, "Populated", json_object_new_boolean(1));
	return write_record(g, name, rec, e);
}
