/* Network counters of a container: /proc/PID/net/dev shows the interfaces
 * of PID's network namespace, so the container's init pid gives its own. */
#include "monitor/monitor.h"

#include "common/cleanup.h"
#include "common/fs.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int kmon_net_parse(const char *text, struct kmon_netif **out, kerr *e)
{
	*out = NULL;
	/* "Inter-|   Receive ..." and " face |bytes packets errs drop ..." */
	const char *p = text;
	for (int i = 0; i < 2; i++) {
		p = strchr(p, '\n');
		if (!p)
			return kerr_msg(e, EINVAL, "net/dev: no header lines");
		p++;
	}
	if (strncmp(text, "Inter-|", 7))
		return kerr_msg(e, EINVAL, "net/dev: the first line is not \"Inter-|...\"");
	size_t cap = 4, n = 0;
	_cleanup_free_ struct kmon_netif *v = calloc(cap, sizeof(*v));
	if (!v)
		return kerr_set(e, ENOMEM, "net/dev");
	for (int line = 3; *p; line++) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char buf[512];
		if (len >= sizeof(buf))
			return kerr_msg(e, EINVAL, "net/dev: line %d is too long", line);
		memcpy(buf, p, len);
		buf[len] = '\0';
		p = nl ? nl + 1 : p + len;
		char *colon = strchr(buf, ':');
		if (!colon)
			return kerr_msg(e, EINVAL, "net/dev: line %d has no \"name:\"", line);
		*colon = '\0';
		char *name = buf;
		while (*name == ' ')
			name++;
		if (!*name || strlen(name) >= sizeof(v[0].name))
			return kerr_msg(e, EINVAL, "net/dev: line %d: bad interface name", line);
		unsigned long long f[16];
		if (sscanf(colon + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
			   &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7], &f[8], &f[9], &f[10], &f[11], &f[12],
			   &f[13], &f[14], &f[15]) != 16)
			return kerr_msg(e, EINVAL, "net/dev: line %d (%s) does not have 16 counters", line, name);
		if (!strcmp(name, "lo"))
			continue;
		if (n == cap) {
			struct kmon_netif *nv = reallocarray(v, cap * 2, sizeof(*v));
			if (!nv)
				return kerr_set(e, ENOMEM, "net/dev");
			v = nv;
			cap *= 2;
		}
		struct kmon_netif *it = &v[n++];
		memset(it, 0, sizeof(*it));
		memcpy(it->name, name, strlen(name) + 1); /* fits: checked above */
		it->rx_bytes = f[0];
		it->rx_packets = f[1];
		it->rx_errors = f[2];
		it->rx_dropped = f[3];
		it->tx_bytes = f[8];
		it->tx_packets = f[9];
		it->tx_errors = f[10];
		it->tx_dropped = f[11];
	}
	*out = steal_ptr(v);
	return (int)n;
}

int kmon_net_read(const char *proc, pid_t pid, struct kmon_netif **out, kerr *e)
{
	char path[PATH_MAX];
	_cleanup_free_ char *text = NULL;
	*out = NULL;
	if (snprintf(path, sizeof(path), "%s/%d/net/dev", proc, (int)pid) >= (int)sizeof(path))
		return kerr_msg(e, ENAMETOOLONG, "net of pid %d: path too long", (int)pid);
	if (kfs_read_file(path, &text, NULL, e) < 0)
		return -1;
	int n = kmon_net_parse(text, out, e);
	if (n < 0)
		kerr_wrap(e, "%s", path);
	return n;
}
