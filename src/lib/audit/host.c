/* Host facts: audit rule files, sysctls, the LSM, and the processes in
 * each running container's mount namespace (read from the host's /proc, so
 * no exec into containers). */
#include "internal.h"

#include "common/cleanup.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int audit_read_sysctl(const char *name, long *out)
{
	char path[256], buf[64];
	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	if (!f || !fgets(buf, sizeof(buf), f))
		return 0;
	*out = strtol(buf, NULL, 10);
	return 1;
}

static int read_line(const char *path, char *buf, size_t n)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	if (!f || !fgets(buf, (int)n, f))
		return 0;
	buf[strcspn(buf, "\n")] = '\0';
	return 1;
}

int audit_lsm_state(char *buf, size_t n, int *apparmor, int *selinux_enforcing)
{
	char v[64];
	*apparmor = 0;
	*selinux_enforcing = -1;
	if (!read_line("/sys/kernel/security/lsm", buf, n))
		buf[0] = '\0';
	if (read_line("/sys/module/apparmor/parameters/enabled", v, sizeof(v)))
		*apparmor = v[0] == 'Y' || v[0] == '1';
	else if (strstr(buf, "apparmor"))
		*apparmor = 1;
	if (read_line("/sys/fs/selinux/enforce", v, sizeof(v)))
		*selinux_enforcing = atoi(v) == 1;
	return 0;
}

static void read_rules(struct host_facts *h, const char *path)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	char line[4096];
	if (!f)
		return;
	kstrv_add(&h->audit_files, path);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		char *p = line;
		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			continue;
		kstrv_add(&h->audit_rules, p);
		h->audit_rules_found = 1;
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static unsigned long long mntns_of(const char *pid)
{
	char path[300];
	struct stat st;
	snprintf(path, sizeof(path), "/proc/%s/ns/mnt", pid);
	return stat(path, &st) == 0 ? (unsigned long long)st.st_ino : 0;
}

void audit_host_facts_load(struct host_facts *h, const char *rules_file, pid_t *pids, size_t npids)
{
	h->audit_rules = calloc(1, sizeof(char *));
	h->audit_files = calloc(1, sizeof(char *));
	read_rules(h, rules_file ? rules_file : "/etc/audit/audit.rules");
	_cleanup_closedir_ DIR *rd = rules_file ? NULL : opendir("/etc/audit/rules.d");
	struct dirent *de;
	char *names[256];
	size_t nn = 0;
	while (rd && (de = readdir(rd)) && nn < ARRAY_SIZE(names))
		if (kstr_ends(de->d_name, ".rules"))
			names[nn++] = strdup(de->d_name);
	qsort(names, nn, sizeof(char *), cmp_str);
	for (size_t i = 0; i < nn; i++) {
		char path[512];
		if (names[i]) {
			snprintf(path, sizeof(path), "/etc/audit/rules.d/%s", names[i]);
			read_rules(h, path);
		}
		free(names[i]);
	}

	if (!npids)
		return;
	h->pidns = calloc(npids, sizeof(*h->pidns));
	if (!h->pidns)
		return;
	for (size_t i = 0; i < npids; i++) {
		char p[32];
		snprintf(p, sizeof(p), "%d", (int)pids[i]);
		unsigned long long ns = mntns_of(p);
		if (!ns)
			continue;
		size_t k;
		for (k = 0; k < h->npidns && h->pidns[k].ns != ns; k++)
			;
		if (k == h->npidns)
			h->pidns[h->npidns++].ns = ns;
	}
	_cleanup_closedir_ DIR *d = opendir("/proc");
	while (d && (de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		unsigned long long ns = mntns_of(de->d_name);
		for (size_t k = 0; k < h->npidns; k++) {
			if (h->pidns[k].ns != ns)
				continue;
			char path[300], comm[64];
			snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
			if (!read_line(path, comm, sizeof(comm)))
				break;
			char *old = h->pidns[k].comms;
			h->pidns[k].comms = kstr_printf("%s%s\n", old ? old : "\n", comm);
			free(old);
			break;
		}
	}
}

void audit_host_facts_free(struct host_facts *h)
{
	kstrv_free(h->audit_rules);
	kstrv_free(h->audit_files);
	for (size_t i = 0; i < h->npidns; i++)
		free(h->pidns[i].comms);
	free(h->pidns);
	memset(h, 0, sizeof(*h));
}

const char *audit_host_procs_of(const struct host_facts *h, pid_t pid)
{
	char p[32];
	snprintf(p, sizeof(p), "%d", (int)pid);
	unsigned long long ns = pid > 0 ? mntns_of(p) : 0;
	for (size_t k = 0; ns && k < h->npidns; k++)
		if (h->pidns[k].ns == ns)
			return h->pidns[k].comms;
	return NULL;
}
