/* What every container command shares: the store, the programs beside
 * kapsel, the config file, resolving a container reference. */
#include "kapsel.h"

#include "common/str.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int kapsel_run_failed(const struct cli_call *c)
{
	return c->cmd == &cmd_run ? KAPSEL_RUN_FAILED : CLI_EXIT_FAILURE;
}

const char *kapsel_conf_path(const struct cli_call *c)
{
	return ((const struct kapsel_globals *)c->globals)->config;
}

/* PROG beside /proc/self/exe, or in the build tree's SUBDIR; NULL if
 * neither exists. */
static char *find_beside(const char *prog, const char *subdir)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return NULL;
	self[n] = 0;
	char *slash = strrchr(self, '/');
	if (!slash)
		return NULL;
	*slash = 0;
	char *p = kstr_printf("%s/%s", self, prog);
	if (p && access(p, X_OK) == 0)
		return p;
	free(p);
	p = kstr_printf("%s/../%s/%s", self, subdir, prog);
	if (p && access(p, X_OK) == 0)
		return p;
	free(p);
	return NULL;
}

int kapsel_engine(const struct cli_call *c, int mode, struct keng **out)
{
	const struct kapsel_globals *gl = c->globals;
	const char *rt_env = getenv("KAPSEL_RUNTIME"), *sup_env = getenv("KAPSEL_SUPERVISE");
	char *rt = rt_env && *rt_env ? strdup(rt_env) : find_beside("kapsel-runtime", "runtime");
	char *sup = sup_env && *sup_env ? strdup(sup_env) : find_beside("kapsel-supervise", "supervise");
	if (!rt) {
		free(sup);
		return cli_error(c, kapsel_run_failed(c),
				 "kapsel-runtime not found beside kapsel (install it there, or set KAPSEL_RUNTIME)");
	}
	char abs[PATH_MAX];
	kerr e = { 0 };
	int rc = keng_open(gl->root, mode, realpath(rt, abs) ? abs : rt, sup, out, &e);
	free(rt);
	free(sup);
	if (rc < 0)
		return cli_error(c, kapsel_run_failed(c), "%s", e.msg);
	return 0;
}

int kapsel_container(const struct cli_call *c, struct keng *g, const char *ref, char id[65])
{
	kerr e = { 0 };
	if (keng_resolve(g, ref, id, &e) < 0)
		return cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
	return 0;
}
