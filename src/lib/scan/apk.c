/* apk's installed database (lib/apk/db/installed): one package per
 * paragraph, one "K:value" per line (apk-tools' apk_db_index_read
 * letters): P name, V version, A arch, o origin (the source package the
 * security data names), F a directory, R a file in the last F. */
#include "scan/inventory.h"

#include "common/cleanup.h"
#include "common/str.h"
#include "common/strv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct para {
	char *name, *version, *arch, *origin;
	size_t line;
};

static void para_done(struct para *p)
{
	free(p->name);
	free(p->version);
	free(p->arch);
	free(p->origin);
	memset(p, 0, sizeof(*p));
}

static int flush(struct para *a, const char *file, struct kscan_pkgs *out, kerr *e)
{
	if (!a->name || !a->version) {
		kerr_msg(e, EINVAL, "%s: line %zu: package without %s", file, a->line,
			 a->name ? "V: (version)" : "P: (name)");
		para_done(a);
		return -1;
	}
	struct kscan_pkg p = { .eco = KSCAN_APK, .layer = KSCAN_NO_LAYER };
	p.name = steal_ptr(a->name);
	p.version = steal_ptr(a->version);
	p.arch = a->arch ? steal_ptr(a->arch) : strdup("");
	p.source = a->origin ? steal_ptr(a->origin) : strdup(p.name);
	p.source_version = strdup(p.version);
	para_done(a);
	if (!p.arch || !p.source || !p.source_version) {
		kscan_pkg_done(&p);
		return kerr_set(e, ENOMEM, "%s", file);
	}
	return kscan_pkgs_add(out, &p, e);
}

int kscan_apk_parse(const char *buf, size_t len, const char *file, struct kscan_pkgs *out, char **files, size_t *nfiles,
		    kerr *e)
{
	struct para a = { 0 };
	_cleanup_free_ char *dir = NULL;
	size_t line = 0, start = out->n;
	int open = 0;
	const char *p = buf, *end = buf + len;
	/* FILES: one growing buffer of "path\tpackage\n" lines */
	size_t flen = files && *files ? strlen(*files) : 0, fcap = flen;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		size_t n = (size_t)(le - p);
		line++;
		if (memchr(p, '\0', n)) {
			kerr_msg(e, EINVAL, "%s: line %zu: NUL byte", file, line);
			goto fail;
		}
		if (!n) {
			if (open && flush(&a, file, out, e) < 0)
				goto fail;
			open = 0;
			free(dir);
			dir = NULL;
		} else {
			if (n < 2 || p[1] != ':') {
				kerr_msg(e, EINVAL, "%s: line %zu: not a \"K:value\" line", file, line);
				goto fail;
			}
			if (!open)
				a.line = line;
			open = 1;
			char **slot = NULL;
			switch (p[0]) {
			case 'P': slot = &a.name; break;
			case 'V': slot = &a.version; break;
			case 'A': slot = &a.arch; break;
			case 'o': slot = &a.origin; break;
			case 'F':
				free(dir);
				if (!(dir = strndup(p + 2, n - 2)))
					goto oom;
				break;
			case 'R':
				if (files && a.name) {
					size_t need = (dir ? strlen(dir) + 1 : 0) + (n - 2) + 1 + strlen(a.name) + 2;
					if (flen + need >= fcap) {
						size_t cap = (fcap + need) * 2;
						char *nb = realloc(*files, cap);
						if (!nb)
							goto oom;
						*files = nb;
						fcap = cap;
					}
					flen += (size_t)snprintf(*files + flen, fcap - flen, "%s%s%.*s\t%s\n",
								 dir ? dir : "", dir ? "/" : "", (int)(n - 2), p + 2,
								 a.name);
					(*nfiles)++;
				}
				break;
			default: break;
			}
			if (slot) {
				if (*slot) {
					kerr_msg(e, EINVAL, "%s: line %zu: %c: repeated in one package", file, line,
						 p[0]);
					goto fail;
				}
				if (!(*slot = strndup(p + 2, n - 2)))
					goto oom;
			}
		}
		p = nl ? nl + 1 : end;
	}
	if (open && flush(&a, file, out, e) < 0)
		goto fail;
	return 0;
oom:
	kerr_set(e, ENOMEM, "%s", file);
fail:
	para_done(&a);
	while (out->n > start)
		kscan_pkg_done(&out->v[--out->n]);
	return -1;
}
