/* Registry references and platforms (registry.h): where an image lives and
 * which image of an index this host wants. */
#include "image/registry.h"

#include "common/cleanup.h"
#include "common/sha256.h"
#include "common/str.h"
#include "image/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

void kreg_ref_clear(struct kreg_ref *r)
{
	free(r->registry);
	free(r->repo);
	free(r->tag);
	free(r->digest);
	free(r->name);
	memset(r, 0, sizeof(*r));
}

static int hostlike(const char *s, size_t n)
{
	return memchr(s, '.', n) || memchr(s, ':', n) || (n == 9 && !strncmp(s, "localhost", 9));
}

int kreg_ref_parse(const char *ref, struct kreg_ref *out, kerr *e)
{
	memset(out, 0, sizeof(*out));
	_cleanup_free_ char *name = strdup(ref);
	if (!name)
		return kerr_set(e, ENOMEM, "%s", ref);
	char *at = strchr(name, '@');
	if (at) {
		*at = '\0';
		if (ksha256_parse(at + 1, NULL, "reference digest", e) < 0)
			return kerr_wrap(e, "invalid reference \"%.300s\"", ref);
		out->digest = strdup(at + 1);
	}
	/* the grammar is the store's: a valid store name is a valid remote one */
	_cleanup_free_ char *norm = kstore_norm_name(name, e);
	if (!norm) {
		kreg_ref_clear(out);
		return -1;
	}
	const char *slash = strchr(name, '/');
	const char *path = name;
	if (slash && hostlike(name, (size_t)(slash - name))) {
		out->registry = strndup(name, (size_t)(slash - name));
		path = slash + 1;
	} else {
		out->registry = strdup(KREG_DOCKER_HUB);
	}
	if (!strcmp(out->registry, "index.docker.io")) {
		free(out->registry);
		out->registry = strdup(KREG_DOCKER_HUB);
	}
	const char *last = strrchr(path, '/');
	const char *colon = strchr(last ? last : path, ':');
	size_t plen = colon ? (size_t)(colon - path) : strlen(path);
	int hub = !strcmp(out->registry, KREG_DOCKER_HUB);
	if (hub && !memchr(path, '/', plen)) {
		out->repo = kstr_printf("library/%.*s", (int)plen, path);
	} else {
		out->repo = strndup(path, plen);
	}
	if (colon || !out->digest) {
		out->tag = strdup(colon ? colon + 1 : "latest");
		out->name = steal_ptr(norm);
	}
	if (!out->registry || !out->repo || (!out->tag && !out->digest)) {
		kreg_ref_clear(out);
		return kerr_set(e, ENOMEM, "%s", ref);
	}
	return 0;
}

/* The image-spec's names of this host's architecture (GOARCH values). */
static void host_platform(struct kreg_platform *p)
{
	struct utsname u;
	const char *arch = "amd64", *variant = "";
	if (uname(&u) == 0) {
		if (!strcmp(u.machine, "aarch64")) {
			arch = "arm64";
			variant = "v8";
		} else if (!strncmp(u.machine, "armv7", 5)) {
			arch = "arm";
			variant = "v7";
		} else if (!strncmp(u.machine, "armv6", 5)) {
			arch = "arm";
			variant = "v6";
		} else if (!strcmp(u.machine, "i686") || !strcmp(u.machine, "i386")) {
			arch = "386";
		} else if (!strcmp(u.machine, "ppc64le") || !strcmp(u.machine, "s390x") ||
			   !strcmp(u.machine, "riscv64")) {
			arch = u.machine;
		}
	}
	snprintf(p->os, sizeof(p->os), "linux");
	snprintf(p->arch, sizeof(p->arch), "%.31s", arch);
	snprintf(p->variant, sizeof(p->variant), "%s", variant);
}

static int word(const char *s, size_t n)
{
	if (!n || n >= 32)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

int kreg_platform_parse(const char *s, struct kreg_platform *out, kerr *e)
{
	memset(out, 0, sizeof(*out));
	if (!s || !*s) {
		host_platform(out);
		return 0;
	}
	const char *a = strchr(s, '/');
	const char *v = a ? strchr(a + 1, '/') : NULL;
	size_t on = a ? (size_t)(a - s) : 0;
	size_t an = a ? (v ? (size_t)(v - a - 1) : strlen(a + 1)) : 0;
	if (!a || !word(s, on) || !word(a + 1, an) || (v && !word(v + 1, strlen(v + 1))))
		return kerr_msg(e, EINVAL, "invalid platform \"%.100s\": expected os/arch[/variant] (linux/amd64)", s);
	snprintf(out->os, sizeof(out->os), "%.*s", (int)on, s);
	snprintf(out->arch, sizeof(out->arch), "%.*s", (int)an, a + 1);
	snprintf(out->variant, sizeof(out->variant), "%s", v ? v + 1 : "");
	if (!v && !strcmp(out->arch, "arm64"))
		snprintf(out->variant, sizeof(out->variant), "v8"); /* as containerd: arm64 means arm64/v8 */
	return 0;
}
