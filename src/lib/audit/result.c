/* Recording a check's outcome: evidence items and the overall level. */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *vfmt(const char *fmt, va_list ap)
{
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		return NULL;
	kstr_utf8_sanitize(s);
	return s;
}

static void ev_addv(struct audit_result *r, enum audit_level lvl, const char *kind, const char *object, int line,
		    const char *fmt, va_list ap)
{
	if (r->nev == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 8;
		struct audit_evidence *n = realloc(r->ev, cap * sizeof(*n));
		if (!n)
			return;
		r->ev = n;
		r->cap = cap;
	}
	struct audit_evidence *e = &r->ev[r->nev];
	e->level = lvl;
	e->kind = kstr_dup(kind ? kind : "host");
	e->object = kstr_dup(object ? object : "");
	if (e->object)
		kstr_utf8_sanitize(e->object);
	e->line = line;
	e->message = vfmt(fmt, ap);
	if (!e->kind || !e->object || !e->message) {
		free(e->kind);
		free(e->object);
		free(e->message);
		return;
	}
	r->nev++;
}

void audit_ev_add(struct audit_result *r, enum audit_level lvl, const char *kind, const char *object, int line,
	    const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ev_addv(r, lvl, kind, object, line, fmt, ap);
	va_end(ap);
}

void audit_ev_cont(struct audit_result *r, const struct kcont *c, enum audit_level lvl, const char *fmt, ...)
{
	for (size_t i = 0; c->ignore && c->ignore[i]; i++) {
		if (audit_id_matches(c->ignore[i], r->check->id)) {
			if (lvl == AUDIT_WARN || lvl == AUDIT_INFO)
				r->suppressed++;
			return;
		}
	}
	va_list ap;
	va_start(ap, fmt);
	ev_addv(r, lvl, c->kind, c->name, 0, fmt, ap);
	va_end(ap);
}

void audit_res_set(struct audit_result *r, enum audit_level lvl, const char *fmt, ...)
{
	r->level = lvl;
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		free(r->reason);
		r->reason = vfmt(fmt, ap);
		va_end(ap);
	}
}

void audit_res_skip(struct audit_result *r, const char *fmt, ...)
{
	if (r->level >= 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	free(r->reason);
	r->reason = vfmt(fmt, ap);
	va_end(ap);
	r->level = AUDIT_SKIP;
}

void audit_res_finish(struct audit_result *r)
{
	if (r->level >= 0)
		return;
	int warn = 0, info = 0;
	for (size_t i = 0; i < r->nev; i++) {
		warn |= r->ev[i].level == AUDIT_WARN;
		info |= r->ev[i].level == AUDIT_INFO;
	}
	r->level = warn ? AUDIT_WARN : info ? AUDIT_INFO : AUDIT_PASS;
}

void audit_res_clear(struct audit_result *r)
{
	for (size_t i = 0; i < r->nev; i++) {
		free(r->ev[i].kind);
		free(r->ev[i].object);
		free(r->ev[i].message);
	}
	free(r->ev);
	free(r->reason);
	r->ev = NULL;
	r->nev = r->cap = 0;
	r->reason = NULL;
}
