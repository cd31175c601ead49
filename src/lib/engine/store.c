/* The container store: ROOT/containers, its lock, the records, names and
 * IDs, create, state and inspect. */
#include "internal.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/json.h"
#include "common/str.h"
#include "common/strv.h"
#include "common/time.h"
#include "image/store.h"
#include "hosts.h"
#include "network.h"
#include "rootfs.h"
#include "spec.h"
#include "volume.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

KAPSEL_DEFINE_CLEANUP(struct kstore *, kstore_close)

static bool is_id(const char *s)
{
	if (strlen(s) != 64)
		return false;
	for (; *s; s++)
		if (!isxdigit((unsigned char)*s) || isupper((unsigned char)*s))
			return false;
	return true;
}

char *keng_netns_path(const struct keng *g, const char *id)
{
	return kstr_printf("%s/netns/%s", g->root, id);
}

void keng_sweep_netns(const struct keng *g)
{
	_cleanup_free_ char *nsdir = kstr_printf("%s/netns", g->root);
	_cleanup_closedir_ DIR *d = nsdir ? opendir(nsdir) : NULL;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (!is_id(de->d_name))
			continue;
		_cleanup_free_ char *cdir = keng_path(g, de->d_name, NULL), *ns = keng_netns_path(g, de->d_name);
		struct stat st;
		if (!cdir || !ns || stat(cdir, &st) == 0 || errno != ENOENT)
			continue;
		kerr ig = { 0 };
		keng_umount(ns, &ig);
		unlink(ns);
	}
	keng_net_sweep(g); /* after: the namespaces are released first */
}

int keng_release_gone(const struct keng *g, struct kstore *s, kerr *e)
{
	_cleanup_strv_ char **h = kstore_holders(s, NULL, e);
	if (!h)
		return -1;
	for (size_t i = 0; h[i]; i++) {
		if (!is_id(h[i]))
			continue; /* not a container's */
		_cleanup_free_ char *cdir = keng_path(g, h[i], NULL);
		struct stat st;
		if (!cdir)
			return kerr_errno(e, "holds");
		if (stat(cdir, &st) < 0 && errno == ENOENT && kstore_release(s, h[i], e) < 0)
			return -1;
	}
	return 0;
}

char *keng_path(const struct keng *g, const char *id, const char *name)
{
	return name ? kstr_printf("%s/%s/%s", g->cdir, id, name) : kstr_printf("%s/%s", g->cdir, id);
}

int keng_open(const char *root, int mode, const char *runtime, const char *supervise, struct keng **out, kerr *e)
{
	struct keng *g = calloc(1, sizeof(*g));
	if (!g)
		return kerr_errno(e, "containers");
	g->lockfd = -1;
	g->mode = -1;
	g->root = strdup(root);
	g->cdir = kstr_printf("%s/containers", root);
	g->runtime = strdup(runtime);
	g->supervise = supervise ? strdup(supervise) : NULL;
	g->runtime_root = strcmp(root, KSTORE_ROOT) ? kstr_printf("%s/run", root) : strdup("/run/kapsel");
	if (!g->root || !g->cdir || !g->runtime || (supervise && !g->supervise) || !g->runtime_root) {
		keng_close(g);
		return kerr_errno(e, "containers");
	}
	_cleanup_free_ char *lock = kstr_printf("%s/lock", g->cdir);
	if (!lock || kfs_mkdir_p(g->cdir, 0700, e) < 0 ||
	    (g->lockfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0 || keng_relock(g, mode, e) < 0) {
		if (!e->msg[0])
			kerr_errno(e, "open %s", lock ? lock : "lock");
		keng_close(g);
		return -1;
	}
	*out = g;
	return 0;
}

int keng_relock(struct keng *g, int mode, kerr *e)
{
	if (mode == g->mode)
		return 0;
	while (flock(g->lockfd, mode == KENG_EXCLUSIVE ? LOCK_EX : mode == KENG_SHARED ? LOCK_SH : LOCK_UN) < 0)
		if (errno != EINTR)
			return kerr_errno(e, "lock %s/lock", g->cdir);
	g->mode = mode;
	return 0;
}

void keng_close(struct keng *g)
{
	if (!g)
		return;
	if (g->lockfd >= 0)
		close(g->lockfd);
	free(g->root);
	free(g->cdir);
	free(g->runtime);
	free(g->supervise);
	free(g->runtime_root);
	free(g);
}

const char *keng_runtime_root(const struct keng *g)
{
	return g->runtime_root;
}

int keng_read_json(const char *path, json_object **out, bool missing_ok, kerr *e)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	*out = NULL;
	if (kfs_read_file(path, &buf, &len, e) < 0) {
		if (missing_ok && e->errnum == ENOENT) {
			kerr_clear(e);
			return 0;
		}
		return -1;
	}
	if (!(*out = kj_parse(path, buf, len, e)))
		return -1;
	return 0;
}

int keng_record(const struct keng *g, const char *id, json_object **out, kerr *e)
{
	_cleanup_free_ char *p = keng_path(g, id, "container.json");
	if (!p)
		return kerr_errno(e, "container %s", id);
	return keng_read_json(p, out, false, e);
}

int keng_status_read(const struct keng *g, const char *id, json_object **out, kerr *e)
{
	_cleanup_free_ char *p = keng_path(g, id, "status.json");
	if (!p)
		return kerr_errno(e, "container %s", id);
	return keng_read_json(p, out, true, e);
}

int keng_status_write(const struct keng *g, const char *id, json_object *st, kerr *e)
{
	_cleanup_free_ char *p = keng_path(g, id, "status.json");
	if (!p)
		return kerr_errno(e, "container %s", id);
	const char *s = json_object_to_json_string_ext(st, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	return kfs_write_file(p, s, strlen(s), 0600, 1, e);
}

/* IDs of the containers, in directory order (no record is read). */
static int ids_unsorted(const struct keng *g, char ***ids, kerr *e)
{
	_cleanup_closedir_ DIR *d = opendir(g->cdir);
	if (!d)
		return kerr_errno(e, "open %s", g->cdir);
	_cleanup_strv_ char **out = calloc(1, sizeof(char *));
	if (!out)
		return kerr_errno(e, "containers");
	struct dirent *de;
	while ((de = readdir(d))) {
		char recpath[80];
		snprintf(recpath, sizeof(recpath), "%.64s/container.json", de->d_name);
		if (!is_id(de->d_name) || faccessat(dirfd(d), recpath, F_OK, 0) < 0)
			continue;
		if (kstrv_add(&out, de->d_name) < 0)
			return kerr_errno(e, "containers");
	}
	*ids = steal_ptr(out);
	return 0;
}

int keng_list(const struct keng *g, char ***ids, kerr *e)
{
	json_object **v;
	size_t n;
	if (keng_ps_all(g, &v, &n, e) < 0)
		return -1;
	char **out = calloc(1, sizeof(char *));
	int rc = out ? 0 : -1;
	for (size_t i = 0; i < n; i++) {
		if (rc == 0)
			rc = kstrv_add(&out, kj_get_str(v[i], "Id") ?: "");
		json_object_put(v[i]);
	}
	free(v);
	if (rc < 0) {
		kstrv_free(out);
		return kerr_errno(e, "containers");
	}
	*ids = out;
	return 0;
}

/* Every record read for NAME: for a store whose name index is not built. */
static int name_scan(const struct keng *g, char *const *ids, const char *name, char id[65])
{
	for (char *const *p = ids; *p; p++) {
		_cleanup_free_ char *n = keng_record_name(g, *p);
		if (n && !strcmp(n, name)) {
			snprintf(id, 65, "%s", *p);
			return 1;
		}
	}
	return 0;
}

int keng_resolve(const struct keng *g, const char *ref, char id[65], kerr *e)
{
	if (is_id(ref)) {
		/* a full ID: no need to read every record */
		_cleanup_free_ char *rec = keng_path(g, ref, "container.json");
		if (rec && access(rec, F_OK) == 0) {
			snprintf(id, 65, "%s", ref);
			return 0;
		}
	}
	const char *r = *ref == '/' ? ref + 1 : ref;
	/* Docker's order: a name before an ID prefix */
	int hit = keng_names_get(g, r, id);
	if (hit > 0)
		return 0;
	_cleanup_strv_ char **ids = NULL;
	if (ids_unsorted(g, &ids, e) < 0)
		return -1;
	if (hit < 0 && name_scan(g, ids, r, id) > 0)
		return 0;
	size_t len = strlen(r), hits = 0;
	bool hex = len > 0;
	for (const char *c = r; *c; c++)
		hex = hex && isxdigit((unsigned char)*c);
	for (char **p = ids; hex && *p; p++)
		if (!strncmp(*p, r, len)) {
			if (hits++ == 0)
				snprintf(id, 65, "%s", *p);
		}
	if (hits == 1)
		return 0;
	if (hits > 1)
		return kerr_msg(e, EINVAL, "%s matches %zu containers: give more of the ID", ref, hits);
	return kerr_msg(e, ENOENT, "no such container: %s", ref);
}

/* ---- create ---- */

static bool name_ok(const char *n)
{
	if (!isalnum((unsigned char)n[0]) || strlen(n) > 200)
		return false;
	for (const char *c = n; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '_' && *c != '.' && *c != '-')
			return false;
	return true;
}

/* 1 when a container has NAME (its ID in OTHER), 0 when none has.  The
 * exclusive lock is held and keng_names_ensure has built the index. */
static int name_taken(const struct keng *g, const char *name, char other[65], kerr *e)
{
	int r = keng_names_get(g, name, other);
	if (r < 0)
		return kerr_errno(e, "the name index of %s", g->root);
	return r;
}

static int make_name(const struct keng *g, const unsigned char *rnd, char *out, size_t n, kerr *e)
{
	static const char *const adj[] = { "brave", "calm",  "eager",  "fair",  "gentle", "keen", "lucid", "noble",
					   "quiet", "sharp", "steady", "swift", "tidy",   "wise", "bold",  "clever" };
	static const char *const noun[] = { "lovelace", "hopper",  "ritchie", "thompson", "torvalds",  "knuth",
					    "dijkstra", "turing",  "liskov",  "hamilton", "kernighan", "perlman",
					    "cerf",     "lamport", "allen",   "wirth" };
	for (int i = 0; i < 32; i++) {
		snprintf(out, n, "%s_%s", adj[rnd[i] & 15], noun[rnd[i] >> 4]);
		if (i >= 16)
			snprintf(out + strlen(out), n - strlen(out), "%d", i);
		char id[65];
		int r = name_taken(g, out, id, e);
		if (r <= 0)
			return r;
	}
	return kerr_msg(e, EEXIST, "no free container name: give one with --name");
}

int keng_write_json(const char *path, json_object *o, kerr *e)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	return kfs_write_file(path, s, strlen(s), 0600, 1, e);
}

/* overlayfs leaves WORK/work/incompat/volatile behind a volatile mount and
 * refuses to mount the upper again while it is there */
static void volatile_clear(const char *work)
{
	_cleanup_free_ char *m = kstr_printf("%s/work/incompat/volatile", work),
			    *inc = kstr_printf("%s/work/incompat", work),
			    *dirty = kstr_printf("%s/work/incompat/volatile/dirty", work);
	if (m && inc && dirty) {
		unlink(dirty);
		rmdir(m);
		rmdir(inc);
	}
}

/* ---- ps.json: what `kapsel ps` shows of container.json ----
 *
 * A copy of the few fields of the record ps reads (Id, Name, Created,
 * Path, Args, Config.Image, Config.Labels, HostConfig.NetworkMode, the
 * Mounts' Type/Name/Source, NetworkSettings.Ports), in the record's own
 * shape, written (temp + rename) after each write of container.json, with
 * the record's stamp (inode, size, mtime): ps believes it only while
 * container.json still has that stamp, and reads the record itself
 * otherwise (a crash between the two writes, a store of an older kapsel). */

static void stamp_of(const struct stat *st, char buf[96])
{
	snprintf(buf, 96, "%llu:%lld:%lld.%09ld", (unsigned long long)st->st_ino, (long long)st->st_size,
		 (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
}

static void copy_key(json_object *to, json_object *from, const char *key)
{
	json_object *v = kj_get(from, key);
	if (v)
		json_object_object_add(to, key, json_object_get(v));
}

static json_object *ps_summary(json_object *rec)
{
	json_object *o = json_object_new_object(), *cfg = json_object_new_object(), *hc = json_object_new_object();
	static const char *const top[] = { "Id", "Name", "Created", "Path", "Args", NULL };
	for (const char *const *k = top; *k; k++)
		copy_key(o, rec, *k);
	copy_key(cfg, kj_get(rec, "Config"), "Image");
	copy_key(cfg, kj_get(rec, "Config"), "Labels");
	json_object_object_add(o, "Config", cfg);
	copy_key(hc, kj_get(rec, "HostConfig"), "NetworkMode");
	json_object_object_add(o, "HostConfig", hc);
	json_object *ms = kj_get(rec, "Mounts"), *om = json_object_new_array();
	for (size_t i = 0; json_object_is_type(ms, json_type_array) && i < json_object_array_length(ms); i++) {
		json_object *m = json_object_array_get_idx(ms, i), *c = json_object_new_object();
		copy_key(c, m, "Type");
		copy_key(c, m, "Name");
		copy_key(c, m, "Source");
		json_object_array_add(om, c);
	}
	json_object_object_add(o, "Mounts", om);
	json_object *ports = kj_get(kj_get(rec, "NetworkSettings"), "Ports");
	if (ports) {
		json_object *ns = json_object_new_object();
		json_object_object_add(ns, "Ports", json_object_get(ports));
		json_object_object_add(o, "NetworkSettings", ns);
	}
	return o;
}

/* container.json of ID is REC now: ps.json follows (or goes, so that ps
 * reads the record) */
static void ps_write(const struct keng *g, const char *id, json_object *rec)
{
	_cleanup_free_ char *rj = keng_path(g, id, "container.json"), *pj = keng_path(g, id, "ps.json");
	struct stat st;
	char stamp[96];
	kerr ig = { 0 };
	if (!rj || !pj)
		return;
	if (stat(rj, &st) < 0) {
		unlink(pj);
		return;
	}
	stamp_of(&st, stamp);
	json_object *o = ps_summary(rec);
	json_object_object_add(o, "Stamp", json_object_new_string(stamp));
	const char *txt = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (kfs_write_file(pj, txt, strlen(txt), 0600, 1, &ig) < 0)
		unlink(pj);
	json_object_put(o);
}

/* write container.json of ID, then its ps.json */
static int record_write(const struct keng *g, const char *id, const char *rj, json_object *rec, kerr *e)
{
	if (keng_write_json(rj, rec, e) < 0)
		return -1;
	ps_write(g, id, rec);
	return 0;
}

int keng_record_write(const struct keng *g, const char *id, json_object *rec, kerr *e)
{
	_cleanup_free_ char *rj = keng_path(g, id, "container.json");
	return rj ? record_write(g, id, rj, rec, e) : kerr_errno(e, "container.json");
}

static json_object *supervise_json(const struct keng *g, const char *id, const char *dir, json_object *rec)
{
	json_object *c = kj_get(rec, "Config"), *h = kj_get(rec, "HostConfig");
	json_object *s = json_object_new_object();
	const char *name = kj_get_str(rec, "Name");
	json_object_object_add(s, "id", json_object_new_string(id));
	json_object_object_add(s, "name", json_object_new_string(name && *name == '/' ? name + 1 : name ?: ""));
	json_object_object_add(s, "image", json_object_new_string(kj_get_str(c, "Image") ?: ""));
	json_object_object_add(s, "image_id", json_object_new_string(kj_get_str(rec, "Image") ?: ""));
	char *b = kstr_printf("%s/bundle", dir);
	json_object_object_add(s, "bundle", json_object_new_string(b ? b : ""));
	free(b);
	json_object_object_add(s, "runtime", json_object_new_string(g->runtime));
	json_object_object_add(s, "runtime_root", json_object_new_string(g->runtime_root));
	json_object_object_add(s, "tty", json_object_new_boolean(kj_get_bool(c, "Tty")));
	json_object_object_add(s, "stdin", json_object_new_boolean(kj_get_bool(c, "OpenStdin")));
	json_object *log = json_object_new_object(), *lc = kj_get(h, "LogConfig"), *opts = NULL;
	json_object_object_add(log, "driver", json_object_new_string(kj_get_str(lc, "Type") ?: "json-file"));
	json_object_deep_copy(kj_get(lc, "Config"), &opts, NULL);
	json_object_object_add(log, "opts", opts ? opts : json_object_new_object());
	json_object_object_add(s, "log", log);
	/* what the log drivers' labels and env options pick fields from: only
	 * when they are asked for (env holds the container's secrets too) */
	if (kj_get(opts, "labels") || kj_get(opts, "labels-regex"))
		json_object_object_add(s, "labels", json_object_get(kj_get(c, "Labels")));
	if (kj_get(opts, "env") || kj_get(opts, "env-regex"))
		json_object_object_add(s, "env", json_object_get(kj_get(c, "Env")));
	json_object *rp = kj_get(h, "RestartPolicy"), *r = json_object_new_object();
	json_object_object_add(r, "policy", json_object_new_string(kj_get_str(rp, "Name") ?: "no"));
	json_object_object_add(r, "max_retries", json_object_new_int64(kj_get_i64(rp, "MaximumRetryCount", 0)));
	json_object_object_add(s, "restart", r);
	json_object_object_add(s, "stop_signal", json_object_new_string(kj_get_str(c, "StopSignal") ?: "SIGTERM"));
	json_object_object_add(s, "stop_timeout", json_object_new_int64(kj_get_i64(c, "StopTimeout", 10)));
	json_object *hc = kj_get(c, "Healthcheck"), *sh = NULL;
	json_object *test = kj_get(hc, "Test");
	if (test && strcmp(kj_str(json_object_array_get_idx(test, 0)), "NONE")) {
		sh = json_object_new_object();
		json_object *t = NULL;
		json_object_deep_copy(test, &t, NULL);
		json_object_object_add(sh, "test", t);
		/* Docker's defaults where the image says 0 */
		int64_t iv = kj_get_i64(hc, "Interval", 0), to = kj_get_i64(hc, "Timeout", 0);
		int64_t rt = kj_get_i64(hc, "Retries", 0), sp = kj_get_i64(hc, "StartPeriod", 0);
		json_object_object_add(sh, "interval_ns", json_object_new_int64(iv > 0 ? iv : 30000000000LL));
		json_object_object_add(sh, "timeout_ns", json_object_new_int64(to > 0 ? to : 30000000000LL));
		json_object_object_add(sh, "retries", json_object_new_int64(rt > 0 ? rt : 3));
		json_object_object_add(sh, "start_period_ns", json_object_new_int64(sp));
		/* Docker's 5 s between checks while starting in a start period */
		int64_t si = kj_get_i64(hc, "StartInterval", 0);
		json_object_object_add(sh, "start_interval_ns",
				       json_object_new_int64(si > 0   ? si
							     : sp > 0 ? 5000000000LL
								      : 0));
		const char *of = kj_get_str(c, "HealthcheckOnFailureAction");
		if (of)
			json_object_object_add(sh, "on_failure", json_object_new_string(of));
	}
	json_object_object_add(s, "healthcheck", sh);
	json_object_object_add(s, "auto_remove", json_object_new_boolean(kj_get_bool(h, "AutoRemove")));
	/* --pid/--ipc/--network container:X: X's directory, where the
	 * supervisor's restarts look for X's init (keng_joins_refresh is
	 * kapsel start's) */
	static const char *const keys[][2] = { { "PidMode", "pid" }, { "IpcMode", "ipc" }, { "NetworkMode", "network" } };
	json_object *joins = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const char *m = kj_get_str(h, keys[i][0]) ?: "";
		char xid[65];
		kerr ig = { 0 };
		if (!kstr_starts(m, "container:") || keng_resolve(g, m + 10, xid, &ig) < 0)
			continue;
		_cleanup_free_ char *xdir = keng_path(g, xid, NULL), *xname = keng_record_name(g, xid);
		json_object *j = json_object_new_object();
		json_object_object_add(j, "type", json_object_new_string(keys[i][1]));
		json_object_object_add(j, "dir", json_object_new_string(xdir ? xdir : ""));
		json_object_object_add(j, "name", json_object_new_string(xname ? xname : xid));
		if (!joins)
			joins = json_object_new_array();
		json_object_array_add(joins, j);
	}
	if (joins)
		json_object_object_add(s, "joins", joins);
	return s;
}

int keng_supervise_json_write(const struct keng *g, const char *id, json_object *rec, kerr *e)
{
	_cleanup_free_ char *dir = keng_path(g, id, NULL), *sj = keng_path(g, id, "supervise.json");
	_cleanup_json_ json_object *sup = dir ? supervise_json(g, id, dir, rec) : NULL;
	if (!sup || !sj)
		return kerr_errno(e, "supervise.json");
	return keng_write_json(sj, sup, e);
}

static char *join(char *const *v, char sep)
{
	size_t len = 1;
	for (char *const *p = v; *p; p++)
		len += strlen(*p) + 1;
	char *s = calloc(1, len);
	for (char *const *p = v; s && *p; p++) {
		size_t at = strlen(s);
		if (p != v)
			s[at++] = sep;
		strcpy(s + at, *p);
	}
	return s;
}

struct create_job {
	char *tmp, *rootfs, *netns;
	int mfd;
	bool mounted;
	char **new_volumes; /* ROOT/volumes/NAME made by this create */
	const struct keng *g;
	const char *id;
	bool attached; /* to a CNI network: DEL it */
	bool shm;      /* --ipc shareable's tmpfs on tmp/shm */
};

static void create_undo(struct create_job *j)
{
	kerr ig = { 0 };
	for (char **v = j->new_volumes; v && *v; v++)
		keng_rm_tree(*v, &ig);
	if (j->mounted)
		keng_umount(j->rootfs, &ig);
	if (j->shm && j->tmp) {
		_cleanup_free_ char *shm = kstr_printf("%s/shm", j->tmp);
		if (shm)
			keng_umount(shm, &ig);
	}
	if (j->netns) {
		keng_umount(j->netns, &ig);
		unlink(j->netns);
	}
	if (j->attached)
		keng_net_detach(j->g, j->id, &ig);
	if (j->mfd >= 0)
		close(j->mfd);
	if (j->tmp)
		keng_rm_tree(j->tmp, &ig);
}

/* After keng_build: the root again over idmapped layers for a user
 * namespace, then the named volumes (made, populated from the image at
 * their first use, given to the container's user). */
static int create_mounted(struct keng *g, const struct keng_defaults *d, const struct keng_build *b, char **layers,
			  const char *upper, const char *work, struct create_job *j, kerr *e)
{
	if (b->userns) {
		/* root in a user namespace: the same root again over idmapped
		 * layers, so the namespace's root owns what the host's root owns
		 * in the image; the container's own upper layer (what keng_build
		 * made in it included) is shifted to match */
		_cleanup_close_ int ns = keng_userns_fd(d->userns_host_uid, d->userns_size, e);
		if (ns < 0)
			return -1;
		close(j->mfd);
		j->mfd = -1;
		if (b->o->auto_remove) /* the first mount's volatile marker */
			volatile_clear(work);
		if (keng_shift_tree(upper, d->userns_host_uid, d->userns_size, e) < 0 ||
		    (j->mfd = keng_overlay_open(layers, upper, work, ns, b->o->auto_remove, e)) < 0)
			return -1;
		/* the runtime makes the user namespace's own network namespace
		 * (a CNI network's is joined) */
		if (j->netns && !b->cni) {
			kerr ig = { 0 };
			keng_umount(j->netns, &ig);
			unlink(j->netns);
			free(j->netns);
			j->netns = NULL;
		}
	}
	uid_t vu = b->userns ? (uid_t)d->userns_host_uid : b->uid;
	gid_t vg = b->userns ? (gid_t)d->userns_host_uid : b->gid;
	for (size_t i = 0; i < b->n_umounts; i++) {
		const struct keng_mount *m = &b->umounts[i];
		bool created = false;
		if (m->type != KENG_MOUNT_VOLUME)
			continue;
		int r = keng_volume_prepare(g, m->source, m->anonymous, !m->nocopy, j->mfd, m->target, vu, vg, &created,
					    e);
		if (created) {
			_cleanup_free_ char *vp = keng_volume_path(g, m->source, NULL);
			if (!vp || kstrv_add(&j->new_volumes, vp) < 0)
				return kerr_errno(e, "create");
		}
		if (r < 0)
			return -1;
	}
	return 0;
}

/* The container's own /etc/hosts or /etc/resolv.conf (FILE "hosts" or
 * "resolv.conf"): ROOT/containers/<id>/FILE with TEXT, bind-mounted
 * read-only on /etc/FILE (its mount point made inside the root); KEY is
 * the record's HostsPath or ResolvConfPath. */
/* SRC read-only at DST (a file of /etc) in config.json's mounts */
static void etc_bind(json_object *spec, const char *src, const char *dst)
{
	json_object *m = json_object_new_object(), *mo = json_object_new_array();
	json_object_object_add(m, "destination", json_object_new_string(dst));
	json_object_object_add(m, "type", json_object_new_string("bind"));
	json_object_object_add(m, "source", json_object_new_string(src));
	static const char *const hopts[] = { "rbind", "ro", "nosuid", "nodev", "noexec" };
	for (size_t i = 0; i < ARRAY_SIZE(hopts); i++)
		json_object_array_add(mo, json_object_new_string(hopts[i]));
	json_object_object_add(m, "options", mo);
	json_object_array_add(kj_get(spec, "mounts"), m);
}

static int etc_mount(struct create_job *j, json_object *spec, json_object *rec, const char *file, const char *key,
		     const char *text, kerr *e)
{
	_cleanup_free_ char *src = kstr_printf("%s/%s", j->tmp, file), *dst = kstr_printf("/etc/%s", file);
	if (!src || !dst)
		return kerr_errno(e, "%s", file);
	int hfd = kfs_mkpath_in_root(j->mfd, dst, 0, 0644);
	if (hfd < 0)
		return kerr_errno(e, "create the mount point %s", dst);
	close(hfd);
	if (kfs_write_file(src, text, strlen(text), 0644, 0, e) < 0)
		return -1;
	etc_bind(spec, src, dst);
	json_object_object_add(rec, key, json_object_new_string(src));
	return 0;
}

/* --network container:X: X's own /etc/hosts and resolv.conf (it has them
 * on a CNI network, with --add-host or --dns*), read-only, as Docker
 * shares them; none: the image's, as X sees them too. */
static int etc_share(json_object *spec, json_object *rec, json_object *other, kerr *e)
{
	static const struct {
		const char *key, *dst;
	} f[] = { { "HostsPath", "/etc/hosts" }, { "ResolvConfPath", "/etc/resolv.conf" } };
	for (size_t i = 0; i < ARRAY_SIZE(f); i++) {
		const char *src = kj_get_str(other, f[i].key);
		if (!src || !*src)
			continue;
		if (access(src, F_OK) < 0)
			return kerr_errno(e, "--network container: its %s %s", f[i].dst, src);
		etc_bind(spec, src, f[i].dst);
		json_object_object_add(rec, f[i].key, json_object_new_string(src));
	}
	return 0;
}

static void add_line(char **buf, size_t *n, const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *t = *buf ? realloc(*buf, *n + la + lb + 1) : NULL;
	if (!t) {
		free(*buf);
		*buf = NULL;
		return;
	}
	memcpy(t + *n, a, la);
	memcpy(t + *n + la, b, lb + 1);
	*n += la + lb;
	*buf = t;
}

/* --dns, --dns-search, --dns-option: the container's resolv.conf.  Without
 * --dns the nameservers are the image's own (its /etc/resolv.conf read
 * inside the root), the search and options lines are the flags'. */
static int resolv_mount(struct create_job *j, const struct keng_opts *o, json_object *spec, json_object *rec,
			kerr *e)
{
	size_t n = 0;
	char *text = strdup("");
	if (o->dns && *o->dns) {
		for (char **p = o->dns; *p && text; p++) {
			add_line(&text, &n, "nameserver ", *p);
			add_line(&text, &n, "\n", "");
		}
	} else {
		_cleanup_free_ char *img = NULL;
		_cleanup_close_ int fd = kfs_open_in_root(j->mfd, "/etc/resolv.conf", O_RDONLY | O_CLOEXEC, 0);
		kerr ig = { 0 };
		struct stat st;
		if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && kfs_read_fd(fd, &img, NULL, &ig) == 0)
			for (char *l = strtok(img, "\n"); l && text; l = strtok(NULL, "\n"))
				if (!strncmp(l, "nameserver", 10) && (l[10] == ' ' || l[10] == '\t')) {
					add_line(&text, &n, l, "\n");
				}
	}
	if (o->dns_search && *o->dns_search && text) {
		add_line(&text, &n, "search", "");
		for (char **p = o->dns_search; *p && text; p++)
			add_line(&text, &n, " ", *p);
		add_line(&text, &n, "\n", "");
	}
	if (o->dns_options && *o->dns_options && text) {
		add_line(&text, &n, "options", "");
		for (char **p = o->dns_options; *p && text; p++)
			add_line(&text, &n, " ", *p);
		add_line(&text, &n, "\n", "");
	}
	if (!text)
		return kerr_errno(e, "resolv.conf");
	int rc = etc_mount(j, spec, rec, "resolv.conf", "ResolvConfPath", text, e);
	free(text);
	return rc;
}

/* FLAG container:X (MODE; anything else: nothing to do): X running, *ID
 * its full ID, PATH its init's /proc/PID/ns/TYPE. */
static int join_container(const struct keng *g, const char *flag, const char *mode, const char *type, char id[65],
			  char path[64], kerr *e)
{
	if (!mode || !kstr_starts(mode, "container:"))
		return 0;
	struct keng_state st;
	_cleanup_json_ json_object *rec = NULL;
	if (keng_resolve(g, mode + 10, id, e) < 0 || keng_state(g, id, &st, e) < 0 || keng_record(g, id, &rec, e) < 0)
		return kerr_wrap(e, "%s %s", flag, mode);
	if (!st.pid)
		return kerr_msg(e, EINVAL, "%s %s: it is not running (%s): start it first", flag, mode, st.status);
	/* its /dev/shm is shared too: one the host can reach (Docker's rule) */
	if (!strcmp(type, "ipc") &&
	    strcmp(kj_get_str(kj_get(rec, "HostConfig"), "IpcMode") ?: "", "shareable"))
		return kerr_msg(e, EINVAL, "%s %s: its IPC is not shareable: create it with --ipc shareable", flag,
				mode);
	snprintf(path, 64, "/proc/%d/ns/%s", (int)st.pid, type);
	return 0;
}

static int create_steps(struct keng *g, const struct keng_opts *o, const struct keng_defaults *d, const char *id,
			const char *name, struct create_job *j, kerr *e)
{
	_cleanup_(kstore_closep) struct kstore *s = NULL;
	const struct kstore_image *img;
	_cleanup_json_ json_object *icfg = NULL, *spec = NULL, *rec = NULL, *sup = NULL;
	_cleanup_strv_ char **layers = NULL;
	_cleanup_free_ char *vdir = kstr_printf("%s/volumes", g->root);
	if (!vdir)
		return kerr_errno(e, "create");
	/* exclusive: an image loaded by an older kapsel has its layers unpacked
	 * here, and the hold taken at the end keeps rmi off them */
	if (kstore_open(g->root, KSTORE_EXCLUSIVE, &s, e) < 0 || keng_release_gone(g, s, e) < 0 ||
	    kstore_resolve(s, o->image, &img, NULL, e) < 0 || kstore_config(s, img, &icfg, e) < 0 ||
	    kstore_layer_dirs(s, img, &layers, e) < 0)
		return -1;
	if (!layers[0])
		return kerr_msg(e, EINVAL, "image %s has no layers", o->image);
	/* the directory has its final name from the start; container.json,
	 * written last, is what makes it a container (keng_list) */
	if (!(j->tmp = kstr_printf("%s/%s", g->cdir, id)) || !(j->rootfs = kstr_printf("%s/bundle/rootfs", j->tmp)))
		return kerr_errno(e, "create");
	_cleanup_free_ char *upper = kstr_printf("%s/upper", j->tmp), *work = kstr_printf("%s/work", j->tmp);
	if (!upper || !work)
		return kerr_errno(e, "create");
	if (mkdir(j->tmp, 0700) < 0)
		return kerr_errno(e, "mkdir %s", j->tmp);
	if (kfs_mkdir_p(j->rootfs, 0755, e) < 0 || kfs_mkdir_p(upper, 0755, e) < 0 || kfs_mkdir_p(work, 0700, e) < 0)
		return -1;
	const char *net = o->network ? o->network : d->network;
	bool cni = keng_net_is_cni(net);
	_cleanup_json_ json_object *conflist = NULL, *mappings = NULL;
	if (cni &&
	    (keng_net_conflist(g, d, net, &conflist, e) < 0 || keng_ports_parse(o->publish, d, &mappings, e) < 0))
		return -1;
	/* -P: every exposed port -p does not publish, each on a picked host port */
	if (o->publish_all) {
		_cleanup_strv_ char **exposed = NULL;
		_cleanup_json_ json_object *more = NULL;
		if (!cni)
			return kerr_msg(e, EINVAL, "-P: --network %s publishes no ports (--network bridge does)", net);
		if (keng_exposed(kj_get(icfg, "config"), o->expose, &exposed, e) < 0)
			return -1;
		/* each exposed port is one mapping of the merged list (its own,
		 * or the -p one it matches): more than the cap is refused here,
		 * as -P, not as a -p that was never given */
		if (kstrv_len(exposed) > KENG_MAX_PORT_MAPPINGS)
			return kerr_msg(e, EINVAL, "-P: %zu exposed ports, more than %d published ports for one container",
					kstrv_len(exposed), KENG_MAX_PORT_MAPPINGS);
		if (keng_ports_parse(exposed, d, &more, e) < 0)
			return -1;
		if (!mappings)
			mappings = json_object_new_array();
		size_t n_publish = json_object_array_length(mappings);
		for (size_t i = 0; more && i < json_object_array_length(more); i++) {
			json_object *m = json_object_array_get_idx(more, i);
			bool have = false;
			for (size_t k = 0; k < json_object_array_length(mappings) && !have; k++) {
				json_object *x = json_object_array_get_idx(mappings, k);
				have = kj_get_i64(x, "containerPort", 0) == kj_get_i64(m, "containerPort", -1) &&
				       !strcmp(kj_get_str(x, "protocol") ?: "", kj_get_str(m, "protocol") ?: "");
			}
			if (have)
				continue;
			/* -p's list and -P's were each within the cap: together
			 * they must be too (the portmap plugin gets them all) */
			if (json_object_array_length(mappings) >= KENG_MAX_PORT_MAPPINGS)
				return kerr_msg(e, EINVAL,
						"-p and -P: more than %d published ports for one container (%zu from -p, "
						"%zu exposed)",
						KENG_MAX_PORT_MAPPINGS, n_publish, json_object_array_length(more));
			json_object_array_add(mappings, json_object_get(m));
		}
	}
	if (keng_net_aliases_check(net, o->network_aliases, e) < 0 || keng_net_ip_check(g, d, net, o->ip, e) < 0)
		return -1;
	/* more networks: each a CNI one, each once, there (before anything is made) */
	for (size_t i = 0; i < o->n_networks_more; i++) {
		const struct keng_net_more *m = &o->networks_more[i];
		_cleanup_json_ json_object *l = NULL;
		if (!cni || !keng_net_is_cni(m->name))
			return kerr_msg(e, EINVAL,
					"--network %s --network %s: only bridge and user networks go together", net,
					m->name);
		bool twice = !strcmp(m->name, net);
		for (size_t k = i + 1; k < o->n_networks_more; k++)
			twice |= !strcmp(o->networks_more[k].name, m->name);
		if (twice)
			return kerr_msg(e, EINVAL, "--network %s: given twice", m->name);
		if (keng_net_conflist(g, d, m->name, &l, e) < 0 || keng_net_aliases_check(m->name, m->aliases, e) < 0 ||
		    keng_net_ip_check(g, d, m->name, m->ip, e) < 0)
			return -1;
	}
	if (!cni && o->publish && o->publish[0])
		return kerr_msg(e, EINVAL, "-p %s: --network %s publishes no ports (--network bridge does)",
				o->publish[0], net);
	/* --network container:X: X's network namespace, /etc/hosts and
	 * resolv.conf (X running, as Docker wants it) */
	char join_ns[PATH_MAX] = "", join_id[65] = "";
	_cleanup_json_ json_object *join_rec = NULL;
	if (kstr_starts(net, "container:")) {
		struct keng_state jst;
		if (keng_resolve(g, net + 10, join_id, e) < 0 || keng_record(g, join_id, &join_rec, e) < 0 ||
		    keng_state(g, join_id, &jst, e) < 0)
			return kerr_wrap(e, "--network %s", net);
		if (!jst.pid)
			return kerr_msg(e, EINVAL, "--network %s: it is not running (%s): start it first", net,
					jst.status);
		const char *jmode = kj_get_str(kj_get(join_rec, "HostConfig"), "NetworkMode") ?: "";
		if (!strcmp(jmode, "host"))
			return kerr_msg(e, EPERM, "--network %s: it is on the host's network (--network host)", net);
		_cleanup_free_ char *nsf = keng_netns_path(g, join_id);
		struct stat nst;
		if (nsf && stat(nsf, &nst) == 0) /* its namespace file (none, a CNI network): outlives its restarts */
			snprintf(join_ns, sizeof(join_ns), "%s", nsf);
		else /* the namespace its runtime made (a user namespace's) */
			snprintf(join_ns, sizeof(join_ns), "/proc/%d/ns/net", (int)jst.pid);
	}
	/* --pid/--ipc container:X: the namespaces of X's init (running) */
	char pid_ns[64] = "", ipc_ns[64] = "", pid_id[65] = "", ipc_id[65] = "";
	if (join_container(g, "--pid", o->pid_mode, "pid", pid_id, pid_ns, e) < 0 ||
	    join_container(g, "--ipc", o->ipc_mode, "ipc", ipc_id, ipc_ns, e) < 0)
		return -1;
	/* --ipc shareable: its /dev/shm a tmpfs of ROOT/containers/<id>/shm,
	 * which container:X binds */
	_cleanup_free_ char *shm_dir = NULL;
	if (o->ipc_mode && !strcmp(o->ipc_mode, "shareable")) {
		if (!(shm_dir = kstr_printf("%s/shm", j->tmp)))
			return kerr_errno(e, "create");
		if (keng_shm_mount(shm_dir, o->shm_size != KENG_UNSET ? o->shm_size : 64 << 20, e) < 0)
			return -1;
		j->shm = true;
	} else if (ipc_ns[0] && !(shm_dir = keng_path(g, ipc_id, "shm"))) {
		return kerr_errno(e, "create");
	}
	if (!strcmp(net, "none") || cni) {
		_cleanup_free_ char *nsdir = kstr_printf("%s/netns", g->root);
		if (!nsdir || !(j->netns = keng_netns_path(g, id)))
			return kerr_errno(e, "create");
		if (kfs_mkdir_p(nsdir, 0700, e) < 0)
			return -1;
		if (keng_netns_create(j->netns, e) < 0) {
			free(j->netns);
			j->netns = NULL;
			return -1;
		}
	}
	if ((j->mfd = keng_overlay_open(layers, upper, work, -1, o->auto_remove, e)) < 0)
		return -1;
	char created[KTIME_BUFSZ];
	ktime_now(created, sizeof(created), KTIME_NANO_TRIM);
	/* --volumes-from: the other containers' volumes and binds, their mode
	 * or the one given (":ro", ":rw") */
	_cleanup_json_ json_object *from = json_object_new_array();
	for (char **p = o->volumes_from; p && *p; p++) {
		char ref[256], fid[65];
		snprintf(ref, sizeof(ref), "%s", *p);
		char *colon = strrchr(ref, ':');
		const char *mode = NULL;
		if (colon && (!strcmp(colon + 1, "ro") || !strcmp(colon + 1, "rw"))) {
			mode = colon + 1;
			*colon = 0;
		} else if (colon) {
			return kerr_msg(e, EINVAL, "--volumes-from %s: the mode is ro or rw, not \"%s\"", *p, colon + 1);
		}
		_cleanup_json_ json_object *frec = NULL;
		if (keng_resolve(g, ref, fid, e) < 0 || keng_record(g, fid, &frec, e) < 0)
			return kerr_wrap(e, "--volumes-from %s", *p);
		json_object *fm = kj_get(frec, "Mounts");
		for (size_t i = 0; json_object_is_type(fm, json_type_array) && i < json_object_array_length(fm); i++) {
			json_object *m = json_object_array_get_idx(fm, i), *c = NULL;
			const char *t = kj_get_str(m, "Type") ?: "";
			if (strcmp(t, "volume") && strcmp(t, "bind"))
				continue; /* a tmpfs is the container's own */
			json_object_deep_copy(m, &c, NULL);
			if (mode)
				json_object_object_add(c, "RW", json_object_new_boolean(!strcmp(mode, "rw")));
			json_object_array_add(from, c);
		}
	}
	struct keng_build b = { .o = o,
				.d = d,
				.volumes_from = from,
				.image = icfg,
				.id = id,
				.name = name,
				.image_id = img->id,
				.created = created,
				.rootfd = j->mfd,
				.netns = j->netns,
				.netns_join = join_ns[0] ? join_ns : NULL,
				.pidns_join = pid_ns[0] ? pid_ns : NULL,
				.ipcns_join = ipc_ns[0] ? ipc_ns : NULL,
				.pid_join_id = pid_id,
				.ipc_join_id = ipc_id,
				.shm_dir = shm_dir,
				.volumes_dir = vdir,
				.cni = cni };
	if (keng_build(&b, &spec, &rec, e) < 0) {
		keng_build_clear(&b);
		return -1;
	}
	/* its own /etc/hosts on a CNI network (keng_net_hosts fills it once the
	 * network gave the address) or with --add-host; resolv.conf with --dns* */
	bool own_hosts = cni || (o->add_hosts && *o->add_hosts);
	bool own_resolv = (o->dns && *o->dns) || (o->dns_search && *o->dns_search) ||
			  (o->dns_options && *o->dns_options);
	int rc = 0;
	if (join_ns[0]) {
		char mode[80];
		snprintf(mode, sizeof(mode), "container:%s", join_id);
		json_object_object_add(kj_get(rec, "HostConfig"), "NetworkMode", json_object_new_string(mode));
		rc = etc_share(spec, rec, join_rec, e);
	}
	if (rc < 0)
		;
	else if (own_hosts && etc_mount(j, spec, rec, "hosts", "HostsPath", "", e) < 0)
		rc = -1;
	else if (own_hosts && !cni &&
		 keng_net_hosts(g, id, "", kj_get(kj_get(rec, "HostConfig"), "ExtraHosts"), e) < 0)
		rc = -1;
	else if (own_resolv && resolv_mount(j, o, spec, rec, e) < 0)
		rc = -1;
	if (rc == 0)
		rc = create_mounted(g, d, &b, layers, upper, work, j, e);
	keng_build_clear(&b);
	if (rc < 0)
		return -1;
	_cleanup_free_ char *dir = keng_path(g, id, NULL);
	_cleanup_free_ char *mdir = kstr_printf("%s/bundle/rootfs", dir ? dir : "");
	_cleanup_free_ char *cj = kstr_printf("%s/bundle/config.json", j->tmp);
	_cleanup_free_ char *rj = kstr_printf("%s/container.json", j->tmp);
	_cleanup_free_ char *sj = kstr_printf("%s/supervise.json", j->tmp);
	_cleanup_free_ char *lower = join(layers, ':');
	if (!dir || !mdir || !cj || !rj || !sj || !lower)
		return kerr_errno(e, "create");
	json_object *gd = json_object_new_object(), *gdd = json_object_new_object();
	json_object_object_add(gd, "Name", json_object_new_string("overlay"));
	json_object_object_add(gdd, "LowerDir", json_object_new_string(lower));
	char *x;
	json_object_object_add(gdd, "UpperDir", json_object_new_string((x = kstr_printf("%s/upper", dir)) ? x : ""));
	free(x);
	json_object_object_add(gdd, "WorkDir", json_object_new_string((x = kstr_printf("%s/work", dir)) ? x : ""));
	free(x);
	json_object_object_add(gdd, "MergedDir", json_object_new_string(mdir));
	json_object_object_add(gd, "Data", gdd);
	json_object_object_add(rec, "GraphDriver", gd);
	json_object_object_add(rec, "Driver", json_object_new_string("overlay"));
	json_object_object_add(rec, "Runtime", json_object_new_string(g->runtime));
	if (!(sup = supervise_json(g, id, dir, rec)))
		return kerr_errno(e, "supervise.json");
	if (keng_write_json(cj, spec, e) < 0 || keng_write_json(sj, sup, e) < 0)
		return -1;
	if (keng_overlay_attach(j->mfd, b.read_only, j->rootfs, e) < 0)
		return -1;
	j->mounted = true;
	if (cni) {
		json_object *settings = NULL;
		j->g = g;
		j->id = id;
		if (keng_net_attach(g, d, id, name, net, conflist, j->netns, mappings, o->network_aliases, o->ip,
				    &settings, e) < 0)
			return -1;
		j->attached = true;
		for (size_t i = 0; i < o->n_networks_more; i++) {
			const struct keng_net_more *m = &o->networks_more[i];
			if (keng_net_connect(g, d, id, name, m->name, m->aliases, m->ip, j->netns, e) < 0)
				return kerr_wrap(e, "network %s", m->name);
		}
		if (o->n_networks_more) {
			json_object_put(settings);
			keng_net_settings(g, id, j->netns, &settings);
		}
		json_object_object_add(rec, "NetworkSettings", settings);
		if (keng_net_hosts(g, id, kj_get_str(kj_get(rec, "Config"), "Hostname") ?: id,
				   kj_get(kj_get(rec, "HostConfig"), "ExtraHosts"), e) < 0)
			return -1;
		/* Docker's PortBindings, with the host ports picked */
		json_object *pb = json_object_new_object();
		json_object_object_foreach(kj_get(settings, "Ports"), pk, pv)
			json_object_object_add(pb, pk, json_object_get(pv));
		json_object_object_add(kj_get(rec, "HostConfig"), "PortBindings", pb);
	}
	/* the store is still locked: nothing removed the layers since; the
	 * name's link comes before the record that makes the container */
	if (kstore_hold(s, img, id, e) < 0)
		return -1;
	if (keng_names_set(g, name, id, e) < 0 || record_write(g, id, rj, rec, e) < 0) {
		kerr ig = { 0 };
		kstore_release(s, id, &ig);
		return -1;
	}
	return 0;
}

/* The container's user namespace range (size 0: none) from its config.json. */
int keng_userns_range(const struct keng *g, const char *id, int64_t *host, int64_t *size, kerr *e)
{
	_cleanup_free_ char *cfg = keng_path(g, id, "bundle/config.json");
	_cleanup_json_ json_object *spec = NULL;
	if (!cfg)
		return kerr_errno(e, "config.json");
	if (keng_read_json(cfg, &spec, false, e) < 0)
		return -1;
	json_object *uml = kj_get(kj_get(spec, "linux"), "uidMappings");
	json_object *um = json_object_is_type(uml, json_type_array) ? json_object_array_get_idx(uml, 0) : NULL;
	*host = um ? kj_get_i64(um, "hostID", 0) : 0;
	*size = um ? kj_get_i64(um, "size", 0) : 0;
	return 0;
}

/* ---- after a reboot ---- */

#define NSFS_MAGIC_ 0x6e736673

static bool fs_is(const char *path, long magic)
{
	struct statfs sf;
	return statfs(path, &sf) == 0 && sf.f_type == magic;
}

/* Something is mounted on ROOTFS: another device than bundle/'s (statfs's
 * overlayfs magic would say yes for a state root that is itself on
 * overlayfs, as in a container or a CI runner). */
static bool rootfs_mounted(const char *rootfs)
{
	char parent[PATH_MAX];
	snprintf(parent, sizeof(parent), "%s/..", rootfs);
	struct stat a, b;
	return stat(rootfs, &a) == 0 && stat(parent, &b) == 0 && a.st_dev != b.st_dev;
}

/* --pid, --ipc, --network container:X (KEY of the record): the namespace
 * is X's init's now, not the pid create saw (X restarted since, or the
 * host rebooted: that pid is anyone's).  X running, as Docker wants it;
 * for --ipc its /dev/shm tmpfs mounted first (B binds it).  *NEW_PATH
 * "" when MODE joins nothing or the path is not a /proc one (--network
 * with X's namespace file: that outlives X's restarts). */
static int join_now(struct keng *g, const char *mode, const char *type, const char *what, const char *old,
		    char new_path[64], kerr *e)
{
	new_path[0] = 0;
	if (!mode || !kstr_starts(mode, "container:"))
		return 0;
	if (!strcmp(type, "net") && (!old || !kstr_starts(old, "/proc/")))
		return 0;
	char xid[65];
	struct keng_state st;
	_cleanup_json_ json_object *xrec = NULL;
	if (keng_resolve(g, mode + 10, xid, e) < 0 || keng_state(g, xid, &st, e) < 0 ||
	    keng_record(g, xid, &xrec, e) < 0)
		return kerr_wrap(e, "cannot join %s namespace of container %.12s", what, mode + 10);
	_cleanup_free_ char *xname = keng_record_name(g, xid);
	if (!st.pid)
		return kerr_msg(e, EINVAL, "cannot join %s namespace of a non running container: %s (%s): start it first",
				what, xname ? xname : xid, st.status);
	if (!strcmp(type, "ipc")) {
		json_object *xh = kj_get(xrec, "HostConfig");
		_cleanup_free_ char *shm = keng_path(g, xid, "shm");
		if (!shm)
			return kerr_errno(e, "join");
		if (keng_shm_mount(shm, kj_get_i64(xh, "ShmSize", 64 << 20), e) < 0)
			return kerr_wrap(e, "--ipc %s", mode);
	}
	snprintf(new_path, 64, "/proc/%d/ns/%s", (int)st.pid, type);
	return 0;
}

int keng_joins_refresh(struct keng *g, const char *id, json_object *rec, kerr *e)
{
	static const struct {
		const char *key, *type, *spec_type, *what;
	} joins[] = {
		{ "PidMode", "pid", "pid", "PID" },
		{ "IpcMode", "ipc", "ipc", "IPC" },
		{ "NetworkMode", "net", "network", "network" },
	};
	_cleanup_free_ char *cfgp = keng_path(g, id, "bundle/config.json");
	_cleanup_json_ json_object *own = NULL, *spec = NULL;
	if (!cfgp)
		return kerr_errno(e, "config.json");
	if (!rec && keng_record(g, id, &own, e) < 0)
		return -1;
	json_object *hc = kj_get(rec ? rec : own, "HostConfig");
	bool any = false;
	for (size_t i = 0; i < ARRAY_SIZE(joins); i++)
		any |= kstr_starts(kj_get_str(hc, joins[i].key) ?: "", "container:");
	if (!any)
		return 0;
	/* X's shm mounted once, config.json written once: two starts at a time
	 * take turns */
	if (keng_relock(g, KENG_EXCLUSIVE, e) < 0 || keng_read_json(cfgp, &spec, false, e) < 0)
		return -1;
	json_object *nss = kj_get(kj_get(spec, "linux"), "namespaces");
	bool changed = false;
	for (size_t i = 0; i < ARRAY_SIZE(joins); i++) {
		for (size_t k = 0; json_object_is_type(nss, json_type_array) && k < json_object_array_length(nss); k++) {
			json_object *ns = json_object_array_get_idx(nss, k);
			if (strcmp(kj_get_str(ns, "type") ?: "", joins[i].spec_type))
				continue;
			const char *old = kj_get_str(ns, "path");
			char now[64];
			if (join_now(g, kj_get_str(hc, joins[i].key), joins[i].type, joins[i].what, old, now, e) < 0)
				return -1;
			if (now[0] && (!old || strcmp(old, now))) {
				json_object_object_add(ns, "path", json_object_new_string(now));
				changed = true;
			}
		}
	}
	return changed ? keng_write_json(cfgp, spec, e) : 0;
}

int keng_mounts_ensure(struct keng *g, const char *id, kerr *e)
{
	return keng_mounts_ensure_rec(g, id, NULL, e);
}

int keng_mounts_ensure_rec(struct keng *g, const char *id, json_object *rec, kerr *e)
{
	_cleanup_free_ char *rootfs = keng_path(g, id, "bundle/rootfs"), *cfgp = keng_path(g, id, "bundle/config.json");
	_cleanup_free_ char *upper = keng_path(g, id, "upper"), *work = keng_path(g, id, "work");
	_cleanup_free_ char *netns = keng_netns_path(g, id);
	if (!rootfs || !cfgp || !upper || !work || !netns)
		return kerr_errno(e, "mounts");
	_cleanup_json_ json_object *own = NULL, *spec = NULL;
	if ((!rec && keng_record(g, id, &own, e) < 0) || keng_read_json(cfgp, &spec, false, e) < 0)
		return -1;
	if (!rec)
		rec = own;
	/* the user namespace and the network namespace the container was made with */
	json_object *lx = kj_get(spec, "linux"), *uml = kj_get(lx, "uidMappings"), *nss = kj_get(lx, "namespaces");
	json_object *um = json_object_is_type(uml, json_type_array) ? json_object_array_get_idx(uml, 0) : NULL;
	bool userns = um != NULL;
	bool want_netns = false;
	for (size_t i = 0; json_object_is_type(nss, json_type_array) && i < json_object_array_length(nss); i++) {
		json_object *ns = json_object_array_get_idx(nss, i);
		const char *path = kj_get_str(ns, "path");
		if (!strcmp(kj_get_str(ns, "type") ?: "", "network") && path && !strcmp(path, netns))
			want_netns = true;
	}
	if (want_netns && !fs_is(netns, NSFS_MAGIC_)) {
		/* looked at again under the exclusive lock: two commands after a
		 * reboot must not both make it (a flock's conversion lets another
		 * in between) */
		if (keng_relock(g, KENG_EXCLUSIVE, e) < 0)
			return -1;
	}
	if (want_netns && !fs_is(netns, NSFS_MAGIC_)) {
		_cleanup_free_ char *nsdir = kstr_printf("%s/netns", g->root);
		if (!nsdir || kfs_mkdir_p(nsdir, 0700, e) < 0)
			return -1;
		if (unlink(netns) < 0 && errno != ENOENT)
			return kerr_errno(e, "unlink %s", netns);
		if (keng_netns_create(netns, e) < 0)
			return -1;
		/* a CNI network: ADD the new namespace (same network and ports) */
		_cleanup_json_ json_object *settings = NULL;
		if (keng_net_reattach(g, id, netns, &settings, e) < 0)
			return -1;
		_cleanup_free_ char *rj = keng_path(g, id, "container.json");
		if (settings && rj) {
			json_object_object_add(rec, "NetworkSettings", json_object_get(settings));
			if (record_write(g, id, rj, rec, e) < 0 ||
			    keng_net_hosts(g, id, kj_get_str(kj_get(rec, "Config"), "Hostname") ?: id,
				   kj_get(kj_get(rec, "HostConfig"), "ExtraHosts"), e) < 0)
				return -1;
		}
	}
	/* an --ipc shareable container's /dev/shm (a reboot took it) */
	json_object *hc = kj_get(rec, "HostConfig");
	if (!strcmp(kj_get_str(hc, "IpcMode") ?: "", "shareable")) {
		_cleanup_free_ char *shm = keng_path(g, id, "shm");
		if (!shm || keng_shm_mount(shm, kj_get_i64(hc, "ShmSize", 64 << 20), e) < 0)
			return shm ? -1 : kerr_errno(e, "mounts");
	}
	if (rootfs_mounted(rootfs))
		return 0;
	/* the image is held for the container (kstore_hold): its layers are
	 * there, and the store's lock keeps rmi off them meanwhile; looked at
	 * again once the lock is ours */
	if (keng_relock(g, KENG_EXCLUSIVE, e) < 0)
		return -1;
	if (rootfs_mounted(rootfs))
		return 0;
	_cleanup_(kstore_closep) struct kstore *s = NULL;
	const struct kstore_image *img;
	_cleanup_strv_ char **layers = NULL;
	const char *image = kj_get_str(rec, "Image") ?: "";
	if (kstore_open(g->root, KSTORE_EXCLUSIVE, &s, e) < 0 || kstore_resolve(s, image, &img, NULL, e) < 0 ||
	    kstore_layer_dirs(s, img, &layers, e) < 0)
		return -1;
	_cleanup_close_ int ns = -1;
	if (userns && (ns = keng_userns_fd(kj_get_i64(um, "hostID", -1), kj_get_i64(um, "size", 0), e)) < 0)
		return -1;
	/* a --rm container's upper was volatile: after a crash overlayfs wants
	 * its marker gone first (what it lost goes with the container anyway) */
	bool vol = kj_get_bool(kj_get(rec, "HostConfig"), "AutoRemove");
	if (vol)
		volatile_clear(work);
	_cleanup_close_ int mfd = keng_overlay_open(layers, upper, work, ns, vol, e);
	if (mfd < 0)
		return -1;
	bool ro = kj_get_bool(kj_get(rec, "HostConfig"), "ReadonlyRootfs");
	return keng_overlay_attach(mfd, ro, rootfs, e);
}

/* Directories without container.json: creates that were killed (no
 * create runs while we hold the exclusive lock). */
static void sweep(struct keng *g)
{
	_cleanup_closedir_ DIR *d = opendir(g->cdir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		char rec[80];
		snprintf(rec, sizeof(rec), "%.64s/container.json", de->d_name);
		if (!is_id(de->d_name) || faccessat(dirfd(d), rec, F_OK, 0) == 0)
			continue;
		struct create_job j = { .mfd = -1,
					.mounted = true,
					.g = g,
					.id = de->d_name,
					.attached = true,
					.tmp = keng_path(g, de->d_name, NULL),
					.rootfs = keng_path(g, de->d_name, "bundle/rootfs"),
					.netns = keng_netns_path(g, de->d_name) };
		create_undo(&j);
		free(j.tmp);
		free(j.rootfs);
		free(j.netns);
	}
}

int keng_create(struct keng *g, const struct keng_opts *o, const struct keng_defaults *d, char id_out[65], kerr *e)
{
	unsigned char rnd[32];
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		return kerr_errno(e, "getrandom");
	char id[65], name[256];
	for (int i = 0; i < 32; i++)
		snprintf(id + 2 * i, 3, "%02x", rnd[i]);
	if (keng_relock(g, KENG_EXCLUSIVE, e) < 0)
		return -1;
	sweep(g);
	keng_sweep_netns(g);
	if (keng_names_ensure(g, e) < 0)
		return -1;
	if (o->name) {
		if (!name_ok(o->name))
			return kerr_msg(e, EINVAL, "--name %s: a name is [a-zA-Z0-9][a-zA-Z0-9_.-]*", o->name);
		char other[65];
		int r = name_taken(g, o->name, other, e);
		if (r < 0)
			return -1;
		if (r)
			return kerr_msg(e, EEXIST,
					"the container name \"%s\" is in use by container %.12s: remove it or "
					"pick another name",
					o->name, other);
		snprintf(name, sizeof(name), "%s", o->name);
	} else if (make_name(g, rnd, name, sizeof(name), e) < 0)
		return -1;
	struct create_job j = { .mfd = -1 };
	int rc = create_steps(g, o, d, id, name, &j, e);
	if (rc < 0) {
		create_undo(&j);
		kerr_wrap(e, "create %s", name);
	} else {
		if (j.mfd >= 0)
			close(j.mfd);
		snprintf(id_out, 65, "%s", id);
		keng_event(g, id, "create", NULL, NULL);
	}
	free(j.tmp);
	free(j.rootfs);
	free(j.netns);
	kstrv_free(j.new_volumes);
	return rc;
}

int keng_rename(struct keng *g, const char *id, const char *name, kerr *e)
{
	if (!name_ok(name))
		return kerr_msg(e, EINVAL, "rename: \"%s\": a name is [a-zA-Z0-9][a-zA-Z0-9_.-]*", name);
	if (keng_relock(g, KENG_EXCLUSIVE, e) < 0 || keng_names_ensure(g, e) < 0)
		return -1;
	char other[65];
	int r = name_taken(g, name, other, e);
	if (r < 0)
		return -1;
	if (r)
		return kerr_msg(e, EEXIST, "rename: the container name \"%s\" is in use by container %.12s", name,
				other);
	_cleanup_free_ char *old = keng_record_name(g, id);
	if (keng_names_set(g, name, id, e) < 0)
		return -1;
	/* the record, the supervisor's copy and the annotation the policy reads */
	static const char *const files[] = { "container.json", "supervise.json", "bundle/config.json" };
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *p = keng_path(g, id, files[i]), *slashed = kstr_printf("/%s", name);
		_cleanup_json_ json_object *o = NULL;
		if (!p || !slashed)
			return kerr_errno(e, "rename");
		if (keng_read_json(p, &o, false, e) < 0)
			return -1;
		if (i == 0)
			json_object_object_add(o, "Name", json_object_new_string(slashed));
		else if (i == 1)
			json_object_object_add(o, "name", json_object_new_string(name));
		else if (kj_get(o, "annotations"))
			json_object_object_add(kj_get(o, "annotations"), "io.kapsel.name",
					       json_object_new_string(name));
		if (i == 0 ? record_write(g, id, p, o, e) < 0 : keng_write_json(p, o, e) < 0)
			return -1;
	}
	if (old && strcmp(old, name))
		keng_names_drop(g, old, id);
	_cleanup_json_ json_object *rec = NULL;
	if (keng_record(g, id, &rec, e) < 0 ||
	    keng_net_renamed(g, id, name, kj_get_str(kj_get(rec, "Config"), "Hostname") ?: id,
			     kj_get(kj_get(rec, "HostConfig"), "ExtraHosts"), e) < 0)
		return kerr_wrap(e, "rename %.12s", id);
	/* Docker's oldName has the '/' */
	_cleanup_free_ char *slashed_old = kstr_printf("/%s", old ? old : "");
	keng_event(g, id, "rename", "oldName", slashed_old ? slashed_old : "");
	return 0;
}

/* ---- state and inspect ---- */

static bool alive(pid_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

/* The boot's time (/proc/stat btime), 0 when unknown. */
static time_t boot_time(void)
{
	static time_t bt = -1;
	if (bt >= 0)
		return bt;
	bt = 0;
	_cleanup_fclose_ FILE *f = fopen("/proc/stat", "re");
	char line[256];
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "btime ", 6)) {
			bt = (time_t)strtoll(line + 6, NULL, 10);
			break;
		}
	return bt;
}

/* A pid status.json recorded may be alive only if it was recorded since
 * this boot: after a reboot the number may be any other process's. */
static bool alive_since(pid_t pid, const char *started_at)
{
	struct timespec t;
	if (started_at && *started_at && ktime_parse(started_at, &t) == 0 && boot_time() > 0 &&
	    t.tv_sec < boot_time())
		return false;
	return alive(pid);
}

/* The state of status.json S (NULL: never started). */
static void state_of(json_object *s, struct keng_state *st)
{
	memset(st, 0, sizeof(*st));
	snprintf(st->status, sizeof(st->status), "%s", s ? kj_get_str(s, "state") ?: "created" : "created");
	st->pid = (pid_t)kj_get_i64(s, "pid", 0);
	st->holder = (pid_t)kj_get_i64(s, "supervisor_pid", 0);
	st->exit_code = (int)kj_get_i64(s, "exit_code", 0);
	st->oom_killed = kj_get_bool(s, "oom_killed");
	st->restart_count = (int)kj_get_i64(s, "restart_count", 0);
	snprintf(st->started_at, sizeof(st->started_at), "%s", kj_get_str(s, "started_at") ?: "");
	snprintf(st->finished_at, sizeof(st->finished_at), "%s", kj_get_str(s, "finished_at") ?: "");
	snprintf(st->error, sizeof(st->error), "%s", kj_get_str(s, "error") ?: "");
	snprintf(st->hint, sizeof(st->hint), "%s", kj_get_str(s, "hint") ?: "");
	bool up = !strcmp(st->status, "running") || !strcmp(st->status, "restarting");
	if (up && !alive_since(st->holder, st->started_at)) {
		if (alive_since(st->pid, st->started_at))
			snprintf(st->error, sizeof(st->error),
				 "its supervisor (pid %d) is gone; the container still runs", (int)st->holder);
		else {
			snprintf(st->status, sizeof(st->status), "dead");
			snprintf(st->error, sizeof(st->error),
				 "its supervisor (pid %d) and the container are gone; the exit code is unknown",
				 (int)st->holder);
		}
	}
	if (strcmp(st->status, "running"))
		st->pid = 0;
}

/* A running container that `kapsel pause` froze: DIRFD/ID/paused. */
static void paused_of(int dirfd, const char *id, struct keng_state *st)
{
	char p[96];
	snprintf(p, sizeof(p), "%.64s/" KENG_PAUSED_MARK, id);
	struct stat sb;
	if (!strcmp(st->status, "running") && fstatat(dirfd, p, &sb, AT_SYMLINK_NOFOLLOW) == 0)
		snprintf(st->status, sizeof(st->status), "paused");
}

int keng_state(const struct keng *g, const char *id, struct keng_state *st, kerr *e)
{
	_cleanup_json_ json_object *s = NULL;
	if (keng_status_read(g, id, &s, e) < 0)
		return -1;
	state_of(s, st);
	_cleanup_close_ int cfd = open(g->cdir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cfd >= 0)
		paused_of(cfd, id, st);
	return 0;
}

static const char *docker_time(const char *t)
{
	return t && *t ? t : "0001-01-01T00:00:00Z";
}

/* The inspect object of ID from its record REC (taken). */
static int inspect_of(const struct keng *g, const char *id, json_object *rec, json_object **out, kerr *e)
{
	struct keng_state st;
	_cleanup_json_ json_object *raw = NULL;
	if (keng_status_read(g, id, &raw, e) < 0) {
		json_object_put(rec);
		return -1;
	}
	state_of(raw, &st);
	_cleanup_close_ int cfd = open(g->cdir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cfd >= 0)
		paused_of(cfd, id, &st);
	bool paused = !strcmp(st.status, "paused");
	json_object *s = json_object_new_object();
	json_object_object_add(s, "Status", json_object_new_string(st.status));
	json_object_object_add(s, "Running", json_object_new_boolean(!strcmp(st.status, "running") || paused));
	json_object_object_add(s, "Paused", json_object_new_boolean(paused));
	json_object_object_add(s, "Restarting", json_object_new_boolean(!strcmp(st.status, "restarting")));
	json_object_object_add(s, "OOMKilled", json_object_new_boolean(st.oom_killed));
	json_object_object_add(s, "Dead", json_object_new_boolean(!strcmp(st.status, "dead")));
	json_object_object_add(s, "Pid", json_object_new_int(st.pid));
	json_object_object_add(s, "ExitCode", json_object_new_int(st.exit_code));
	json_object_object_add(s, "Error", json_object_new_string(st.error));
	json_object_object_add(s, "StartedAt", json_object_new_string(docker_time(st.started_at)));
	json_object_object_add(s, "FinishedAt", json_object_new_string(docker_time(st.finished_at)));
	if (st.hint[0]) /* kapsel's own: the flag behind the error it exited on */
		json_object_object_add(s, "Hint", json_object_new_string(st.hint));
	/* kapsel's: log lines the supervisor could not deliver (a full disk, a
	 * remote log's receiver not keeping up with mode=non-blocking) */
	json_object *ld = json_object_new_object();
	json_object_object_add(ld, "Lines", json_object_new_int64(kj_get_i64(raw, "log_dropped_lines", 0)));
	json_object_object_add(ld, "Bytes", json_object_new_int64(kj_get_i64(raw, "log_dropped_bytes", 0)));
	json_object_object_add(s, "LogDropped", ld);
	if (kj_get(raw, "health")) {
		json_object *h = kj_get(raw, "health"), *dh = json_object_new_object(), *lg = NULL;
		json_object_object_add(dh, "Status", json_object_new_string(kj_get_str(h, "status") ?: "starting"));
		json_object_object_add(dh, "FailingStreak", json_object_new_int64(kj_get_i64(h, "failing_streak", 0)));
		json_object_deep_copy(kj_get(h, "log"), &lg, NULL);
		json_object_object_add(dh, "Log", lg ? lg : json_object_new_array());
		json_object_object_add(s, "Health", dh);
	}
	/* Docker's order: Id, Created, Path, Args, State, Image ... */
	json_object *o = json_object_new_object();
	static const char *const head[] = { "Id", "Created", "Path", "Args", NULL };
	for (const char *const *k = head; *k; k++) {
		json_object *v = kj_get(rec, *k);
		json_object_object_add(o, *k, v ? json_object_get(v) : NULL);
	}
	json_object_object_add(o, "State", s);
	json_object_object_foreach(rec, k, v)
	{
		if (!kj_get(o, k))
			json_object_object_add(o, k, json_object_get(v));
	}
	json_object_object_add(o, "RestartCount", json_object_new_int(st.restart_count));
	char *lp = keng_path(g, id, NULL);
	const char *ldrv = kj_get_str(kj_get(kj_get(rec, "HostConfig"), "LogConfig"), "Type") ?: "json-file";
	bool remote = strcmp(ldrv, "json-file") && strcmp(ldrv, "k8s-file") && strcmp(ldrv, "none");
	const char *lsuf = !strcmp(ldrv, "k8s-file") ? "-k8s.log" : strcmp(ldrv, "none") ? "-json.log" : NULL;
	char *log = lp && lsuf ? kstr_printf("%s/%s%s", lp, id, lsuf) : NULL;
	if (log && remote && access(log, F_OK) != 0) { /* a remote driver's local copy, if it keeps one */
		free(log);
		log = NULL;
	}
	json_object_object_add(o, "LogPath", json_object_new_string(log ? log : ""));
	free(log);
	free(lp);
	json_object_object_add(o, "ResolvConfPath", json_object_new_string(kj_get_str(rec, "ResolvConfPath") ?: ""));
	json_object_object_add(o, "HostnamePath", json_object_new_string(""));
	json_object_object_add(o, "HostsPath", json_object_new_string(kj_get_str(rec, "HostsPath") ?: ""));
	json_object *saved = kj_get(rec, "NetworkSettings");
	if (saved) { /* a CNI network's, from create */
		json_object_object_add(o, "NetworkSettings", json_object_get(saved));
		json_object_put(rec);
		*out = o;
		return 0;
	}
	json_object *ns = json_object_new_object(), *nets = json_object_new_object(), *n = json_object_new_object();
	const char *mode = kj_get_str(kj_get(rec, "HostConfig"), "NetworkMode") ?: "none";
	static const char *const empty[] = { "NetworkID",   "EndpointID",        "Gateway",    "IPAddress",
					     "IPv6Gateway", "GlobalIPv6Address", "MacAddress", NULL };
	for (const char *const *f = empty; *f; f++)
		json_object_object_add(n, *f, json_object_new_string(""));
	json_object_object_add(n, "IPPrefixLen", json_object_new_int(0));
	json_object_object_add(nets, mode, n);
	json_object_object_add(ns, "Bridge", json_object_new_string(""));
	json_object_object_add(ns, "SandboxKey", json_object_new_string(""));
	json_object_object_add(ns, "Ports", json_object_new_object());
	json_object_object_add(ns, "IPAddress", json_object_new_string(""));
	json_object_object_add(ns, "Gateway", json_object_new_string(""));
	json_object_object_add(ns, "MacAddress", json_object_new_string(""));
	json_object_object_add(ns, "Networks", nets);
	json_object_object_add(o, "NetworkSettings", ns);
	json_object_put(rec);
	*out = o;
	return 0;
}

int keng_inspect(const struct keng *g, const char *id, json_object **out, kerr *e)
{
	json_object *rec;
	if (keng_record(g, id, &rec, e) < 0)
		return -1;
	return inspect_of(g, id, rec, out, e);
}

static int by_created(const void *a, const void *b)
{
	const char *ca = kj_get_str(*(json_object *const *)a, "Created") ?: "";
	const char *cb = kj_get_str(*(json_object *const *)b, "Created") ?: "";
	return strcmp(cb, ca);
}

/* read DIRFD/NAME whole into *OUT (NUL-terminated); -1 with errno */
static int read_at(int dirfd, const char *name, char **out, size_t *len)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	kerr ig = { 0 };
	if (fd < 0)
		return -1;
	if (kfs_read_fd(fd, out, len, &ig) < 0) {
		errno = ig.errnum ? ig.errnum : EIO;
		return -1;
	}
	return 0;
}

/* the ps object of ID: its ps.json when the stamp is container.json's
 * (RST), else the record's summary; NULL when it is gone meanwhile */
static json_object *ps_of(int cfd, const char *id, const struct stat *rst)
{
	char name[96], stamp[96];
	_cleanup_free_ char *buf = NULL;
	size_t len;
	json_object *o = NULL;
	kerr ig = { 0 };
	stamp_of(rst, stamp);
	snprintf(name, sizeof(name), "%s/ps.json", id);
	if (read_at(cfd, name, &buf, &len) == 0) {
		o = json_tokener_parse(buf);
		if (o && strcmp(kj_get_str(o, "Stamp") ?: "", stamp)) {
			json_object_put(o);
			o = NULL;
		}
	}
	if (!o) {
		free(buf);
		buf = NULL;
		snprintf(name, sizeof(name), "%s/container.json", id);
		json_object *rec;
		if (read_at(cfd, name, &buf, &len) < 0 || !(rec = kj_parse(name, buf, len, &ig)))
			return NULL;
		o = ps_summary(rec);
		json_object_put(rec);
	}
	free(buf);
	buf = NULL;
	/* the state, as inspect's */
	struct keng_state st;
	json_object *raw = NULL;
	snprintf(name, sizeof(name), "%s/status.json", id);
	if (read_at(cfd, name, &buf, &len) == 0)
		raw = kj_parse(name, buf, len, &ig);
	state_of(raw, &st);
	json_object_put(raw);
	paused_of(cfd, id, &st);
	json_object *so = json_object_new_object();
	json_object_object_add(so, "Status", json_object_new_string(st.status));
	json_object_object_add(so, "ExitCode", json_object_new_int(st.exit_code));
	json_object_object_add(so, "Error", json_object_new_string(st.error));
	json_object_object_add(so, "StartedAt", json_object_new_string(docker_time(st.started_at)));
	json_object_object_add(so, "FinishedAt", json_object_new_string(docker_time(st.finished_at)));
	json_object_object_add(o, "State", so);
	return o;
}

int keng_ps_all(const struct keng *g, json_object ***out, size_t *n, kerr *e)
{
	_cleanup_closedir_ DIR *d = opendir(g->cdir);
	if (!d)
		return kerr_errno(e, "open %s", g->cdir);
	size_t cap = 64, k = 0;
	json_object **v = calloc(cap + 1, sizeof(*v));
	if (!v)
		return kerr_errno(e, "containers");
	struct dirent *de;
	while ((de = readdir(d))) {
		char rp[96];
		struct stat rst;
		snprintf(rp, sizeof(rp), "%.64s/container.json", de->d_name);
		/* a directory without its record is not a container (yet) */
		if (!is_id(de->d_name) || fstatat(dirfd(d), rp, &rst, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		json_object *o = ps_of(dirfd(d), de->d_name, &rst);
		if (!o)
			continue; /* removed meanwhile */
		if (k == cap) {
			json_object **t = realloc(v, (2 * cap + 1) * sizeof(*v));
			if (!t) {
				json_object_put(o);
				for (size_t i = 0; i < k; i++)
					json_object_put(v[i]);
				free(v);
				return kerr_errno(e, "containers");
			}
			v = t;
			cap *= 2;
		}
		v[k++] = o;
		v[k] = NULL;
	}
	qsort(v, k, sizeof(*v), by_created);
	*out = v;
	*n = k;
	return 0;
}

int keng_rootfs_open(const struct keng *g, const char *id, kerr *e)
{
	_cleanup_free_ char *bundle = keng_path(g, id, "bundle"), *upper = keng_path(g, id, "upper");
	if (!bundle || !upper)
		return kerr_errno(e, "container %s", id);
	_cleanup_close_ int bfd = open(bundle, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (bfd < 0)
		return kerr_errno(e, "container %s: open %s", id, bundle);
	int rfd = openat(bfd, "rootfs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rfd < 0)
		return kerr_errno(e, "container %s: open %s/rootfs", id, bundle);
	struct stat bs, rs;
	if (fstat(bfd, &bs) < 0 || fstat(rfd, &rs) < 0) {
		kerr_errno(e, "container %s: stat %s/rootfs", id, bundle);
		close(rfd);
		return -1;
	}
	if (bs.st_dev != rs.st_dev)
		return rfd; /* the overlay is mounted there */
	close(rfd);
	/* unmounted: the same tree again, read-only, with the upper directory
	 * as the topmost lower layer (its whiteouts and opaque directories
	 * hide what they hid) */
	_cleanup_json_ json_object *rec = NULL;
	_cleanup_(kstore_closep) struct kstore *s = NULL;
	const struct kstore_image *img;
	_cleanup_strv_ char **layers = NULL;
	const char *image;
	if (keng_record(g, id, &rec, e) < 0)
		return kerr_wrap(e, "container %s", id);
	if (!(image = kj_get_str(rec, "Image")))
		return kerr_msg(e, EINVAL, "container %s: container.json has no Image", id);
	if (kstore_open(g->root, KSTORE_SHARED, &s, e) < 0 || kstore_resolve(s, image, &img, NULL, e) < 0 ||
	    kstore_layer_dirs(s, img, &layers, e) < 0)
		return kerr_wrap(e, "container %s", id);
	if (kstrv_add(&layers, upper) < 0)
		return kerr_errno(e, "container %s", id);
	int mfd = keng_overlay_open(layers, NULL, NULL, -1, false, e);
	if (mfd < 0)
		return kerr_wrap(e, "container %s: its root, from %zu layers and its upper directory", id,
				 kstrv_len(layers) - 1);
	return mfd;
}
