/* kapsel cp [-a] [-L] CONTAINER:SRC DEST|-   and   kapsel cp [-a] [-L] SRC|- CONTAINER:DEST
 * Files between a container and the host, with docker cp's rules and its
 * way of telling the sides apart: an argument whose first ':' comes
 * before any '/' names a container (a host path with a ':' in it is
 * written ./a:b or absolute). */
#include "kapsel.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct cp_args {
	int archive, follow;
};

static const struct cli_option cp_options[] = {
	CLI_OPT_FLAG('a', "archive", struct cp_args, archive, "keep owners and modes (uid/gid, setuid bits)"),
	CLI_OPT_FLAG('L', "follow-link", struct cp_args, follow, "follow the last symlinks of SRC"),
	CLI_OPT_END,
};

/* The container part of "CONTAINER:PATH" (into REF), PATH returned; NULL
 * when ARG is a host path. */
static const char *container_path(const char *arg, char *ref, size_t n)
{
	const char *colon = strchr(arg, ':'), *slash = strchr(arg, '/');
	if (!colon || colon == arg || (slash && slash < colon))
		return NULL;
	snprintf(ref, n, "%.*s", (int)(colon - arg), arg);
	return colon + 1;
}

static int cp_run(const struct cli_call *c)
{
	const struct cp_args *a = c->opts;
	char sref[256], dref[256];
	const char *src = container_path(c->argv[0], sref, sizeof(sref));
	const char *dst = container_path(c->argv[1], dref, sizeof(dref));
	if (src && dst)
		return cli_usage_error(c, "copying between two containers is not supported: copy out, then in");
	if (!src && !dst)
		return cli_usage_error(c, "one of SRC and DEST must be CONTAINER:PATH");
	const char *path = src ? src : dst;
	if (!*path)
		return cli_usage_error(c, "%s: give a path in the container after the ':'", src ? sref : dref);
	struct keng *g;
	int rc = kapsel_engine(c, KENG_SHARED, &g);
	if (rc)
		return rc;
	char id[65];
	kerr e = { 0 };
	struct keng_cp o = { .archive = a->archive, .follow = a->follow };
	if (kapsel_container(c, g, src ? sref : dref, id))
		rc = CLI_EXIT_FAILURE;
	else if (src && !strcmp(c->argv[1], "-") && isatty(1))
		rc = cli_usage_error(c, "refusing to write a tar to a terminal: redirect stdout");
	else if (src ? keng_cp_out(g, id, src, strcmp(c->argv[1], "-") ? c->argv[1] : NULL, 1, &o, &e)
		     : keng_cp_in(g, id, strcmp(c->argv[0], "-") ? c->argv[0] : NULL, 0, dst, &o, &e))
		rc = cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
	keng_close(g);
	return rc;
}

const struct cli_command cmd_cp = {
	.name = "cp",
	.run = cp_run,
	.min_args = 2,
	.max_args = 2,
	.args = "CONTAINER:SRC DEST|-  or  SRC|- CONTAINER:DEST",
	.summary = "copy files between a container and the host",
	CLI_CMD_OPTIONS(struct cp_args, cp_options),
};
