/* dpkg's status database (deb-control(5) stanzas): var/lib/dpkg/status,
 * or the one-package files of var/lib/dpkg/status.d/ in distroless
 * images.  Field names are case-insensitive; continuation lines (a
 * leading space or tab) belong to the field before and are skipped, as
 * none of the fields read here is multi-line. */
#include "scan/inventory.h"

#include "common/cleanup.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct stanza {
	const char *f[6]; /* Package Version Architecture Source Status Essential-free slot */
	size_t n[6];
	size_t line; /* where it starts */
};

enum { F_PACKAGE, F_VERSION, F_ARCH, F_SOURCE, F_STATUS };
static const char *const field_names[] = { "Package", "Version", "Architecture", "Source", "Status" };

static char *trimmed(const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	return strndup(s, n);
}

/* The package state: the third word of Status ("install ok installed"). */
static int installed(const char *s, size_t n)
{
	_cleanup_free_ char *v = trimmed(s, n);
	if (!v)
		return -1;
	const char *w = strrchr(v, ' ');
	w = w ? w + 1 : v;
	return !strcmp(w, "installed") || !strcmp(w, "triggers-awaited") || !strcmp(w, "triggers-pending");
}

static int add_stanza(const struct stanza *st, const char *file, int no_status_ok, struct kscan_pkgs *out, kerr *e)
{
	if (!st->f[F_PACKAGE])
		return kerr_msg(e, EINVAL, "%s: line %zu: stanza without a Package field", file, st->line);
	if (st->f[F_STATUS]) {
		int r = installed(st->f[F_STATUS], st->n[F_STATUS]);
		if (r < 0)
			return kerr_set(e, ENOMEM, "%s", file);
		if (!r)
			return 0;
	} else if (!no_status_ok) {
		return kerr_msg(e, EINVAL, "%s: line %zu: package without a Status field", file, st->line);
	}
	if (!st->f[F_VERSION])
		return kerr_msg(e, EINVAL, "%s: line %zu: installed package without a Version field", file, st->line);
	struct kscan_pkg p = { .eco = KSCAN_DEB, .layer = KSCAN_NO_LAYER };
	p.name = trimmed(st->f[F_PACKAGE], st->n[F_PACKAGE]);
	p.version = trimmed(st->f[F_VERSION], st->n[F_VERSION]);
	p.arch = st->f[F_ARCH] ? trimmed(st->f[F_ARCH], st->n[F_ARCH]) : strdup("");
	if (!p.name || !p.version || !p.arch)
		goto oom;
	if (!*p.name || !*p.version) {
		kscan_pkg_done(&p);
		return kerr_msg(e, EINVAL, "%s: line %zu: empty Package or Version", file, st->line);
	}
	if (st->f[F_SOURCE]) {
		/* "name" or "name (version)" */
		_cleanup_free_ char *src = trimmed(st->f[F_SOURCE], st->n[F_SOURCE]);
		if (!src)
			goto oom;
		char *paren = strchr(src, '(');
		if (paren) {
			char *close = strchr(paren, ')');
			if (!close || close[1]) {
				kscan_pkg_done(&p);
				return kerr_msg(e, EINVAL, "%s: line %zu: Source \"%s\": want NAME or NAME (VERSION)",
						file, st->line, src);
			}
			p.source_version = trimmed(paren + 1, (size_t)(close - paren - 1));
			p.source = trimmed(src, (size_t)(paren - src));
		} else {
			p.source = strdup(src);
		}
	} else {
		p.source = strdup(p.name);
	}
	if (!p.source_version)
		p.source_version = kscan_deb_strip_binnmu(p.version);
	if (!p.source || !p.source_version)
		goto oom;
	if (!*p.source || strchr(p.source, ' ')) {
		kerr_msg(e, EINVAL, "%s: line %zu: Source \"%s\" is not a package name", file, st->line, p.source);
		kscan_pkg_done(&p);
		return -1;
	}
	return kscan_pkgs_add(out, &p, e);
oom:
	kscan_pkg_done(&p);
	return kerr_set(e, ENOMEM, "%s", file);
}

int kscan_dpkg_parse(const char *buf, size_t len, const char *file, int no_status_ok, struct kscan_pkgs *out, kerr *e)
{
	struct stanza st = { 0 };
	size_t line = 0, start = out->n;
	int open = 0;
	const char *p = buf, *end = buf + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		line++;
		size_t n = (size_t)(le - p);
		if (n && p[n - 1] == '\r')
			n--;
		if (memchr(p, '\0', n)) {
			kerr_msg(e, EINVAL, "%s: line %zu: NUL byte", file, line);
			goto fail;
		}
		if (!n) {
			if (open && add_stanza(&st, file, no_status_ok, out, e) < 0)
				goto fail;
			memset(&st, 0, sizeof(st));
			open = 0;
		} else if (p[0] == ' ' || p[0] == '\t') {
			if (!open) {
				kerr_msg(e, EINVAL, "%s: line %zu: continuation line outside a stanza", file, line);
				goto fail;
			}
		} else if (p[0] == '#') {
			/* deb822 comment */
		} else {
			const char *colon = memchr(p, ':', n);
			if (!colon || colon == p) {
				kerr_msg(e, EINVAL, "%s: line %zu: not a \"Field: value\" line", file, line);
				goto fail;
			}
			if (!open)
				st.line = line;
			open = 1;
			size_t fl = (size_t)(colon - p);
			for (size_t i = 0; i < ARRAY_SIZE(field_names); i++) {
				if (strlen(field_names[i]) == fl && !strncasecmp(field_names[i], p, fl)) {
					if (st.f[i]) {
						kerr_msg(e, EINVAL, "%s: line %zu: field %s repeated", file, line,
							 field_names[i]);
						goto fail;
					}
					st.f[i] = colon + 1;
					st.n[i] = (size_t)(p + n - colon - 1);
				}
			}
		}
		p = nl ? nl + 1 : end;
	}
	if (open && add_stanza(&st, file, no_status_ok, out, e) < 0)
		goto fail;
	return 0;
fail:
	while (out->n > start)
		kscan_pkg_done(&out->v[--out->n]);
	return -1;
}
