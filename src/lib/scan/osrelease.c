/* os-release(5): newline-separated VAR=value, the value maybe quoted
 * ("..." with \" \\ \$ \` escapes, or '...'); comments and blank lines
 * ignored.  Only ID, VERSION_ID, VERSION_CODENAME and PRETTY_NAME are kept. */
#include "scan/inventory.h"

#include "common/cleanup.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static char *unquote(const char *s, size_t n)
{
	char *out = malloc(n + 1), *o = out;
	if (!out)
		return NULL;
	if (n >= 2 && (s[0] == '"' || s[0] == '\'') && s[n - 1] == s[0]) {
		char q = s[0];
		for (size_t i = 1; i + 1 < n; i++) {
			if (q == '"' && s[i] == '\\' && i + 2 < n && strchr("\"\\$`", s[i + 1]))
				i++;
			*o++ = s[i];
		}
	} else {
		memcpy(o, s, n);
		o += n;
	}
	*o = 0;
	return out;
}

int kscan_osrelease_parse(const char *buf, size_t len, struct kscan_inventory *inv, kerr *e)
{
	static const char *const keys[] = { "ID", "VERSION_ID", "VERSION_CODENAME", "PRETTY_NAME" };
	char **slots[] = { &inv->os_id, &inv->os_version_id, &inv->os_codename, &inv->os_pretty };
	const char *p = buf, *end = buf + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\r' || p[n - 1] == '\t'))
			n--;
		const char *eq = memchr(p, '=', n);
		if (n && p[0] != '#' && eq) {
			size_t kl = (size_t)(eq - p);
			for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
				if (strlen(keys[i]) != kl || strncmp(keys[i], p, kl))
					continue;
				char *v = unquote(eq + 1, n - kl - 1);
				if (!v)
					return kerr_set(e, ENOMEM, "os-release");
				free(*slots[i]);
				*slots[i] = v;
			}
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}
