/* The list of cgroup file writes the drivers build from struct kcg_res. */
#include "cgroup/plan.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

uint64_t kcg_shares_to_weight(uint64_t shares)
{
	if (shares == 0)
		return 0;
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return 1 + ((shares - 2) * 9999) / 262142;
}

const char *kcg_v1_name(const char *v2ctl)
{
	return !strcmp(v2ctl, "io") ? "blkio" : v2ctl;
}

void kcg_write_free(struct kcg_write *w)
{
	free(w->ctl);
	free(w->file);
	free(w->value);
	free(w->field);
	free(w->alt);
	free(w->alt_value);
	free(w->path);
}

void kcg_writes_free(struct kcg_write *w, size_t n)
{
	if (!w)
		return;
	for (size_t i = 0; i < n; i++)
		kcg_write_free(&w[i]);
	free(w);
}

struct kcg_write *kcg_plan_next(struct kcg_plan *p)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 32;
		struct kcg_write *nw = realloc(p->w, cap * sizeof(*nw));
		if (!nw)
			return NULL;
		p->w = nw;
		p->cap = cap;
	}
	struct kcg_write *w = &p->w[p->n];
	memset(w, 0, sizeof(*w));
	return w;
}

static int plan_vadd(struct kcg_plan *p, unsigned flags, const char *ctl, const char *file, const char *field,
		     const char *fmt, va_list ap)
{
	struct kcg_write *w = kcg_plan_next(p);
	if (!w)
		return kerr_set(p->e, ENOMEM, "plan cgroup writes");
	w->flags = flags;
	w->ctl = strdup(ctl);
	w->file = file ? strdup(file) : NULL;
	w->field = strdup(field);
	if (vasprintf(&w->value, fmt, ap) < 0)
		w->value = NULL;
	if (!w->ctl || (file && !w->file) || !w->field || !w->value) {
		kcg_write_free(w);
		return kerr_set(p->e, ENOMEM, "plan cgroup writes");
	}
	p->n++;
	return 0;
}

int kcg_plan_add(struct kcg_plan *p, unsigned flags, const char *ctl, const char *file, const char *field,
		 const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = plan_vadd(p, flags, ctl, file, field, fmt, ap);
	va_end(ap);
	return r;
}

int kcg_plan_unsupported(struct kcg_plan *p, const char *ctl, const char *field, const char *why, ...)
{
	va_list ap;
	va_start(ap, why);
	int r = plan_vadd(p, KCG_W_UNSUPPORTED, ctl, NULL, field, why, ap);
	va_end(ap);
	return r;
}

int kcg_plan_alt(struct kcg_plan *p, const char *alt, const char *alt_value)
{
	struct kcg_write *w = &p->w[p->n - 1];
	if (!(w->alt = strdup(alt)) || (alt_value && !(w->alt_value = strdup(alt_value))))
		return kerr_set(p->e, ENOMEM, "plan cgroup writes");
	return 0;
}
