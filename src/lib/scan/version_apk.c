/* Alpine version comparison: apk-tools 2's tokeniser over
 * digits{.digits}[letter]{_suffix[N]}[-rN], written from its rules;
 * the reference is apk-tools' test/version.data (tests/unit/data/apk.vec).
 *
 * A version is read as a sequence of (kind, value) tokens.  Two versions
 * are compared token by token while the kinds agree; the first different
 * value decides; if one ends first, the other is newer unless what it has
 * next is a pre-release suffix.  A malformed tail reads as an "invalid"
 * token, which stops the comparison where it is. */
#include "scan/version.h"

#include <string.h>

enum tok { T_INVALID = -1, T_DIGIT_OR_ZERO, T_DIGIT, T_LETTER, T_SUFFIX, T_SUFFIX_NO, T_REVISION_NO, T_END };

struct cur {
	const char *p;
	size_t n;
};

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static void advance(struct cur *c, size_t k)
{
	c->p += k;
	c->n -= k;
}

/* What the separator at C's position starts, given the previous kind T. */
static enum tok next_kind(enum tok t, struct cur *c)
{
	enum tok n = T_INVALID;
	if (!c->n || !c->p[0])
		n = T_END;
	else if ((t == T_DIGIT || t == T_DIGIT_OR_ZERO) && c->p[0] >= 'a' && c->p[0] <= 'z')
		n = T_LETTER;
	else if (t == T_LETTER && is_digit(c->p[0]))
		n = T_DIGIT;
	else if (t == T_SUFFIX && is_digit(c->p[0]))
		n = T_SUFFIX_NO;
	else {
		if (c->p[0] == '.')
			n = T_DIGIT_OR_ZERO;
		else if (c->p[0] == '_')
			n = T_SUFFIX;
		else if (c->p[0] == '-' && c->n > 1 && c->p[1] == 'r') {
			n = T_REVISION_NO;
			advance(c, 1);
		}
		advance(c, 1);
	}
	/* kinds only move forward, except for a new number after a
	 * letter or a dot, and another suffix after a suffix number */
	if (n < t && !((n == T_DIGIT_OR_ZERO && t == T_DIGIT) || (n == T_SUFFIX && t == T_SUFFIX_NO) ||
		       (n == T_DIGIT && t == T_LETTER)))
		n = T_INVALID;
	return n;
}

static const char *const pre[] = { "alpha", "beta", "pre", "rc" };
static const char *const post[] = { "cvs", "svn", "git", "hg", "p" };

static int prefix_in(const char *const *v, int n, const struct cur *c, size_t *len)
{
	for (int k = 0; k < n; k++) {
		*len = strlen(v[k]);
		if (*len <= c->n && !strncmp(v[k], c->p, *len))
			return k;
	}
	return -1;
}

/* The value of the token of kind *T at C; *T becomes the next kind. */
static long token(enum tok *t, struct cur *c)
{
	long v = 0;
	size_t i = 0;
	enum tok forced = T_INVALID;
	if (!c->n) {
		*t = T_END;
		return 0;
	}
	switch (*t) {
	case T_DIGIT_OR_ZERO:
		if (c->p[0] == '0') {
			/* after a dot, leading zeros make a fraction: .05 < .5 */
			while (i < c->n && c->p[i] == '0')
				i++;
			forced = T_DIGIT;
			v = -(long)i;
			break;
		}
		/* fall through */
	case T_DIGIT:
	case T_SUFFIX_NO:
	case T_REVISION_NO:
		while (i < c->n && is_digit(c->p[i])) {
			if (v < 100000000000000000L)
				v = v * 10 + (c->p[i] - '0');
			i++;
		}
		break;
	case T_LETTER: v = (unsigned char)c->p[i++]; break;
	case T_SUFFIX: {
		int k = prefix_in(pre, 4, c, &i);
		if (k >= 0) {
			v = k - 4;
			break;
		}
		k = prefix_in(post, 5, c, &i);
		if (k >= 0) {
			v = k;
			break;
		}
		*t = T_INVALID;
		return -1;
	}
	default: *t = T_INVALID; return -1;
	}
	advance(c, i);
	if (!c->n)
		*t = T_END;
	else if (forced != T_INVALID)
		*t = forced;
	else
		*t = next_kind(*t, c);
	return v;
}

int kver_apk_cmp(const char *a, const char *b)
{
	struct cur x = { a ? a : "", strlen(a ? a : "") }, y = { b ? b : "", strlen(b ? b : "") };
	enum tok at = T_DIGIT, bt = T_DIGIT;
	long av = 0, bv = 0;
	while (at == bt && at != T_END && at != T_INVALID && av == bv) {
		av = token(&at, &x);
		bv = token(&bt, &y);
	}
	if (av != bv)
		return av < bv ? -1 : 1;
	if (at == bt)
		return 0;
	enum tok tt = at;
	struct cur peek = x;
	if (at == T_SUFFIX && token(&tt, &peek) < 0)
		return -1;
	tt = bt;
	peek = y;
	if (bt == T_SUFFIX && token(&tt, &peek) < 0)
		return 1;
	if (at > bt)
		return -1;
	if (bt > at)
		return 1;
	return 0;
}

int kver_apk_valid(const char *v)
{
	struct cur c = { v ? v : "", strlen(v ? v : "") };
	enum tok t = T_DIGIT;
	if (!c.n)
		return 0;
	while (t != T_END && t != T_INVALID)
		token(&t, &c);
	return t == T_END;
}
