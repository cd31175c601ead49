/* dockerd's effective configuration: the process serving the audited
 * socket (found in /proc by its -H flags), its command line, the
 * daemon.json it reads, its open-file limit and its containerd. */
#include "internal.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/json.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <pthread.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* dockerd flags that take no separate value (Go's flag package: a boolean
 * is only ever given a value with '='). */
static const char *const bool_flags[] = {
	"debug", "experimental", "icc", "ip-forward", "ip-masq", "iptables", "ip6tables", "ipv6",
	"live-restore", "no-new-privileges", "raw-logs", "selinux-enabled", "tls", "tlsverify",
	"userland-proxy", "init", "rootless", "validate", "version", "help", "disable-legacy-registry",
	NULL,
};

static const struct { char s; const char *name; int boolean; } short_flags[] = {
	{ 'D', "debug", 1 }, { 'H', "host", 0 }, { 'G', "group", 0 }, { 'l', "log-level", 0 },
	{ 'p', "pidfile", 0 }, { 'b', "bridge", 0 }, { 'g', "data-root", 0 }, { 'v', "version", 1 },
	{ 'h', "help", 1 },
};

static int is_bool_flag(const char *name)
{
	for (size_t i = 0; bool_flags[i]; i++)
		if (!strcmp(bool_flags[i], name))
			return 1;
	return 0;
}

static void add_flag(struct daemon_cfg *c, const char *name, size_t nlen, const char *value)
{
	struct dflag *n = realloc(c->flags, (c->nflags + 1) * sizeof(*n));
	if (!n)
		return;
	c->flags = n;
	n[c->nflags].name = strndup(name, nlen);
	n[c->nflags].value = strdup(value);
	if (n[c->nflags].name && n[c->nflags].value)
		c->nflags++;
}

static void parse_cmdline(struct daemon_cfg *c, char *buf, size_t len)
{
	char *args[512];
	size_t n = 0;
	for (size_t off = 0; off < len && n < ARRAY_SIZE(args); off += strlen(buf + off) + 1)
		args[n++] = buf + off;
	for (size_t i = 1; i < n; i++) {
		char *a = args[i];
		if (!strcmp(a, "--"))
			break;
		if (a[0] != '-' || !a[1])
			continue;
		if (a[1] != '-') {
			/* -H value, -Hvalue, -D */
			for (size_t k = 0; k < ARRAY_SIZE(short_flags); k++) {
				if (short_flags[k].s != a[1])
					continue;
				const char *name = short_flags[k].name;
				if (short_flags[k].boolean)
					add_flag(c, name, strlen(name), a[2] == '=' ? a + 3 : "true");
				else if (a[2])
					add_flag(c, name, strlen(name), a[2] == '=' ? a + 3 : a + 2);
				else if (i + 1 < n)
					add_flag(c, name, strlen(name), args[++i]);
				break;
			}
			continue;
		}
		const char *name = a + 2, *eq = strchr(name, '=');
		size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
		char key[128];
		snprintf(key, sizeof(key), "%.*s", (int)nlen, name);
		if (eq)
			add_flag(c, name, nlen, eq + 1);
		else if (is_bool_flag(key))
			add_flag(c, name, nlen, "true");
		else if (i + 1 < n)
			add_flag(c, name, nlen, args[++i]);
	}
}

/* The last value of --NAME on the command line. */
static const char *flag_value(const struct daemon_cfg *c, const char *name)
{
	const char *v = NULL;
	for (size_t i = 0; i < c->nflags; i++)
		if (!strcmp(c->flags[i].name, name))
			v = c->flags[i].value;
	return v;
}

int audit_dcfg_get(const struct daemon_cfg *c, const char *flag, const char *json_key, struct dsetting *s)
{
	memset(s, 0, sizeof(*s));
	const char *v = flag ? flag_value(c, flag) : NULL;
	if (v) {
		s->value = v;
		snprintf(s->source, sizeof(s->source), "dockerd --%s", flag);
		return 1;
	}
	json_object *j = json_key ? kj_get(c->json, json_key) : NULL;
	if (j && !json_object_is_type(j, json_type_null)) {
		for (size_t i = 0; i < c->njflags; i++)
			if (!strcmp(c->jflags[i].name, json_key))
				s->value = c->jflags[i].value;
		if (!s->value)
			return 0;
		s->jvalue = j;
		snprintf(s->source, sizeof(s->source), "daemon.json \"%s\"", json_key);
		return 1;
	}
	return 0;
}

int audit_dcfg_bool(const struct daemon_cfg *c, const char *flag, const char *json_key, int def, struct dsetting *s)
{
	if (!audit_dcfg_get(c, flag, json_key, s))
		return def;
	if (s->jvalue && json_object_is_type(s->jvalue, json_type_boolean))
		return json_object_get_boolean(s->jvalue);
	return !strcasecmp(s->value, "true") || !strcmp(s->value, "1");
}

/* json-c serialises into a buffer inside the object: one at a time */
static pthread_mutex_t serialise_m = PTHREAD_MUTEX_INITIALIZER;

char **audit_dcfg_list(const struct daemon_cfg *c, const char *flag, const char *short_flag, const char *json_key)
{
	char **v = calloc(1, sizeof(char *));
	if (!v)
		return NULL;
	for (size_t i = 0; i < c->nflags; i++)
		if ((flag && !strcmp(c->flags[i].name, flag)) || (short_flag && !strcmp(c->flags[i].name, short_flag)))
			kstrv_add(&v, c->flags[i].value);
	json_object *j = json_key ? kj_get(c->json, json_key) : NULL;
	pthread_mutex_lock(&serialise_m);
	if (j && json_object_is_type(j, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(j); i++) {
			json_object *x = json_object_array_get_idx(j, i);
			kstrv_add(&v, json_object_is_type(x, json_type_string) ? json_object_get_string(x)
					: json_object_to_json_string_ext(x, JSON_C_TO_STRING_PLAIN));
		}
	} else if (j && json_object_is_type(j, json_type_object)) {
		json_object_object_foreach(j, k, val) {
			char *s = kstr_printf("%s=%s", k, json_object_is_type(val, json_type_string) ? json_object_get_string(val)
						: json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN));
			if (s)
				kstrv_add(&v, s);
			free(s);
		}
	}
	pthread_mutex_unlock(&serialise_m);
	return v;
}

void audit_daemon_cfg_free(struct daemon_cfg *c)
{
	for (size_t i = 0; i < c->nflags; i++) {
		free(c->flags[i].name);
		free(c->flags[i].value);
	}
	free(c->flags);
	for (size_t i = 0; i < c->njflags; i++) {
		free(c->jflags[i].name);
		free(c->jflags[i].value);
	}
	free(c->jflags);
	free(c->exe);
	free(c->json_path);
	free(c->json_error);
	free(c->containerd_exe);
	json_object_put(c->json);
	memset(c, 0, sizeof(*c));
}

static void read_daemon_json(struct daemon_cfg *c, const char *path)
{
	struct stat st;
	for (size_t i = 0; i < c->njflags; i++) {
		free(c->jflags[i].name);
		free(c->jflags[i].value);
	}
	free(c->jflags);
	c->jflags = NULL;
	c->njflags = 0;
	free(c->json_path);
	c->json_path = strdup(path);
	c->json_exists = stat(path, &st) == 0;
	if (!c->json_exists)
		return;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	kerr e;
	if (kfs_read_file(path, &buf, &len, &e) < 0) {
		c->json_error = strdup(e.msg);
		return;
	}
	if (len == 0)
		return;
	c->json = kj_parse(path, buf, len, &e);
	if (!c->json)
		c->json_error = strdup(e.msg);
	else if (!json_object_is_type(c->json, json_type_object)) {
		c->json_error = kstr_printf("%s: expected a JSON object", path);
		json_object_put(c->json);
		c->json = NULL;
	}
	if (!c->json)
		return;
	json_object_object_foreach(c->json, k, val) {
		struct dflag *n = realloc(c->jflags, (c->njflags + 1) * sizeof(*n));
		if (!n)
			break;
		c->jflags = n;
		n[c->njflags].name = strdup(k);
		n[c->njflags].value = strdup(json_object_is_type(val, json_type_string) ? json_object_get_string(val)
					     : json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		if (n[c->njflags].name && n[c->njflags].value)
			c->njflags++;
	}
}

/* /var/run/x.sock and /run/x.sock are the same socket: compare by the real
 * directory. */
static void canon(const char *path, char *out, size_t n)
{
	char dir[PATH_MAX], real[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash) {
		snprintf(out, n, "%s", path);
		return;
	}
	*slash = '\0';
	const char *base = path + (slash - dir) + 1;
	if (realpath(dir[0] ? dir : "/", real) && strlen(real) + strlen(base) + 2 <= n) {
		size_t a = strcmp(real, "/") ? strlen(real) : 0;
		memcpy(out, real, a);
		out[a] = '/';
		memcpy(out + a + 1, base, strlen(base) + 1);
	}
	else
		snprintf(out, n, "%s", path);
}

static int serves(const struct daemon_cfg *c, const char *socket)
{
	char want[PATH_MAX], have[PATH_MAX];
	canon(socket, want, sizeof(want));
	_cleanup_strv_ char **hosts = audit_dcfg_list(c, "host", NULL, "hosts");
	if (!hosts || !hosts[0]) {
		canon("/var/run/docker.sock", have, sizeof(have));
		return !strcmp(want, have);
	}
	for (size_t i = 0; hosts[i]; i++) {
		const char *h = hosts[i];
		if (kstr_starts(h, "fd://")) {
			canon("/run/docker.sock", have, sizeof(have));
		} else if (kstr_starts(h, "unix://")) {
			canon(h[7] ? h + 7 : "/var/run/docker.sock", have, sizeof(have));
		} else if (h[0] == '/') {
			canon(h, have, sizeof(have));
		} else {
			continue;
		}
		if (!strcmp(want, have))
			return 1;
	}
	return 0;
}

static void read_limits(struct daemon_cfg *c)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/limits", (int)c->pid);
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!kstr_starts(line, "Max open files"))
			continue;
		char soft[32], hard[32];
		if (sscanf(line + 14, "%31s %31s", soft, hard) == 2) {
			c->nofile_soft = strcmp(soft, "unlimited") ? strtoull(soft, NULL, 10) : ~0ull;
			c->nofile_hard = strcmp(hard, "unlimited") ? strtoull(hard, NULL, 10) : ~0ull;
			c->limits_known = 1;
		}
	}
}

static char *read_cmdline(pid_t pid, size_t *len)
{
	char path[64];
	char *buf = NULL;
	kerr e;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if (kfs_read_file(path, &buf, len, &e) < 0)
		return NULL;
	return buf;
}

static char *exe_of(pid_t pid)
{
	char path[64], target[PATH_MAX];
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return NULL;
	target[n] = '\0';
	char *del = strstr(target, " (deleted)");
	if (del)
		*del = '\0';
	return strdup(target);
}

static pid_t ppid_of(pid_t pid, uid_t *uid)
{
	char path[64], line[256];
	pid_t pp = 0;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		if (kstr_starts(line, "PPid:"))
			pp = (pid_t)atoi(line + 5);
		else if (uid && kstr_starts(line, "Uid:"))
			*uid = (uid_t)strtoul(line + 4, NULL, 10);
	}
	return pp;
}

void audit_daemon_cfg_load(struct daemon_cfg *c, const char *socket, const char *daemon_json, json_object *info)
{
	pid_t cand[64];
	size_t ncand = 0;
	_cleanup_closedir_ DIR *d = opendir("/proc");
	struct dirent *de;
	while (d && (de = readdir(d)) && ncand < ARRAY_SIZE(cand)) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		char path[300], comm[64] = "";
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		_cleanup_fclose_ FILE *f = fopen(path, "re");
		if (!f || !fgets(comm, sizeof(comm), f))
			continue;
		comm[strcspn(comm, "\n")] = '\0';
		if (!strcmp(comm, "dockerd"))
			cand[ncand++] = (pid_t)atoi(de->d_name);
	}

	const char *want_root = info ? kj_get_str(info, "DockerRootDir") : NULL;
	struct daemon_cfg best = { 0 };
	int best_score = 0;
	for (size_t i = 0; i < ncand; i++) {
		struct daemon_cfg t = { 0 };
		size_t len = 0;
		_cleanup_free_ char *cmd = read_cmdline(cand[i], &len);
		if (!cmd)
			continue;
		t.pid = cand[i];
		parse_cmdline(&t, cmd, len);
		const char *cf = flag_value(&t, "config-file");
		read_daemon_json(&t, cf ? cf : "/etc/docker/daemon.json");
		int score = 0;
		if (socket && serves(&t, socket))
			score = 2;
		else if (want_root) {
			struct dsetting s;
			const char *root = audit_dcfg_get(&t, "data-root", "data-root", &s) ? s.value : "/var/lib/docker";
			if (!strcmp(root, want_root))
				score = 1;
		}
		if (score > best_score) {
			audit_daemon_cfg_free(&best);
			best = t;
			best_score = score;
		} else {
			audit_daemon_cfg_free(&t);
		}
	}
	*c = best;
	if (best_score) {
		c->found = 1;
		c->exe = exe_of(c->pid);
		ppid_of(c->pid, &c->uid);
		read_limits(c);
		/* the containerd this dockerd started, if any */
		for (size_t i = 0; d && i < 1; i++) {
			rewinddir(d);
			while ((de = readdir(d))) {
				if (!isdigit((unsigned char)de->d_name[0]))
					continue;
				pid_t p = (pid_t)atoi(de->d_name);
				if (ppid_of(p, NULL) != c->pid)
					continue;
				char *exe = exe_of(p);
				if (exe && kstr_ends(exe, "/containerd")) {
					c->containerd_pid = p;
					c->containerd_exe = exe;
					break;
				}
				free(exe);
			}
		}
	}
	if (daemon_json) {
		json_object_put(c->json);
		c->json = NULL;
		free(c->json_error);
		c->json_error = NULL;
		read_daemon_json(c, daemon_json);
	} else if (!c->found) {
		read_daemon_json(c, "/etc/docker/daemon.json");
	}
}
