/* kapsel login / logout: registry credentials in the auth file (Docker's
 * config.json shape, 0600), and the registry settings every registry
 * command shares (kapsel.conf [registries], --authfile, --certs-dir). */
#include "kapsel.h"

#include "common/cleanup.h"
#include "common/conf.h"
#include "common/str.h"
#include "common/strv.h"
#include "image/registry.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static char *default_auth_file(void)
{
	const char *env = getenv("REGISTRY_AUTH_FILE"), *home = getenv("HOME");
	if (env && *env)
		return strdup(env);
	return kstr_printf("%s/.config/kapsel/auth.json", home && *home ? home : "/root");
}

int kapsel_registry_setup(const struct cli_call *c, const struct kapsel_registry_args *a, struct kapsel_registry *out)
{
	const struct kapsel_globals *g = c->globals;
	static const char *const known[] = { "insecure", "certs-dir", NULL };
	struct kconf *conf = NULL;
	kerr e = { 0 };
	memset(out, 0, sizeof(*out));
	if (kconf_load(g->config, true, &conf, &e) < 0 || kconf_check(conf, "registries", known, &e) < 0 ||
	    kconf_get_list(conf, "registries", "insecure", &out->insecure, &e) < 0) {
		kconf_free(conf);
		return cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
	}
	const char *certs = a->certs_dir ? a->certs_dir : kconf_get(conf, "registries", "certs-dir");
	out->certs_dir = certs ? strdup(certs) : NULL;
	kconf_free(conf);
	out->auth_file = a->auth_file ? strdup(a->auth_file) : default_auth_file();
	if (!out->auth_file || (certs && !out->certs_dir)) {
		kapsel_registry_done(out);
		return cli_error(c, CLI_EXIT_FAILURE, "out of memory");
	}
	out->o.auth_file = out->auth_file;
	out->o.certs_dir = out->certs_dir;
	out->o.insecure = out->insecure;
	return 0;
}

void kapsel_registry_done(struct kapsel_registry *r)
{
	free(r->auth_file);
	free(r->certs_dir);
	kstrv_free(r->insecure);
	memset(r, 0, sizeof(*r));
}

/* Every kapsel_registry_args is the first member of its command's struct. */
const struct cli_option kapsel_registry_options[] = {
	CLI_OPT_STRING(0, "authfile", struct kapsel_registry_args, auth_file, "FILE",
		       "the credentials file (default $REGISTRY_AUTH_FILE or ~/.config/kapsel/auth.json)"),
	CLI_OPT_STRING(0, "certs-dir", struct kapsel_registry_args, certs_dir, "DIR",
		       "per-registry CA directories DIR/HOST:PORT/ca.crt (default /etc/kapsel/certs.d)"),
	CLI_OPT_END,
};

struct login_args {
	struct kapsel_registry_args reg;
	const char *user;
	const char *password;
	int password_stdin;
};

static const struct cli_option login_options[] = {
	CLI_OPT_STRING('u', "username", struct login_args, user, "USER", "the user name"),
	CLI_OPT_STRING('p', "password", struct login_args, password, "PASSWORD",
		       "the password (visible to other users in ps: prefer --password-stdin)"),
	CLI_OPT_FLAG(0, "password-stdin", struct login_args, password_stdin, "read the password from stdin"),
	CLI_OPT_INCLUDE(kapsel_registry_options),
	CLI_OPT_END,
};

/* One line from F without its newline; NULL at EOF. */
static char *read_line(FILE *f)
{
	char *line = NULL;
	size_t n = 0;
	ssize_t len = getline(&line, &n, f);
	if (len < 0) {
		free(line);
		return NULL;
	}
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	return line;
}

static char *prompt(const char *what, int echo)
{
	struct termios old, quiet;
	int tty = isatty(0) && tcgetattr(0, &old) == 0;
	fprintf(stderr, "%s: ", what);
	fflush(stderr);
	if (tty && !echo) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(0, TCSAFLUSH, &quiet);
	}
	char *line = read_line(stdin);
	if (tty && !echo) {
		tcsetattr(0, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	return line;
}

static int login_run(const struct cli_call *c)
{
	struct login_args *a = c->opts;
	const char *registry = c->argv[0];
	if (a->password && a->password_stdin)
		return cli_usage_error(c, "--password and --password-stdin exclude each other");
	if (a->password_stdin && !a->user)
		return cli_usage_error(c, "--password-stdin needs --username");
	if ((!a->user || (!a->password && !a->password_stdin)) && !isatty(0))
		return cli_usage_error(c, "no terminal to ask for the %s: give --username and --password-stdin",
				       a->user ? "password" : "user name");
	if (strchr(registry, '/'))
		return cli_usage_error(c, "\"%s\": give the registry as HOST[:PORT], without a path or scheme",
				       registry);
	struct kapsel_registry reg;
	int rc = kapsel_registry_setup(c, &a->reg, &reg);
	if (rc)
		return rc;
	_cleanup_free_ char *user = a->user ? strdup(a->user) : prompt("Username", 1);
	_cleanup_free_ char *pass = a->password         ? strdup(a->password)
				    : a->password_stdin ? read_line(stdin)
							: prompt("Password", 0);
	kerr e = { 0 };
	if (!user || !pass)
		rc = cli_error(c, CLI_EXIT_FAILURE, "login %s: no %s given", registry, user ? "password" : "user name");
	else if (kreg_login(registry, user, pass, &reg.o, &e) < 0)
		rc = cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
	else
		printf("Login Succeeded\n");
	if (pass)
		explicit_bzero(pass, strlen(pass));
	kapsel_registry_done(&reg);
	return rc ? rc : fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

const struct cli_command cmd_login = {
	.name = "login",
	.run = login_run,
	.min_args = 1,
	.max_args = 1,
	.args = "REGISTRY",
	.summary = "log in to a registry",
	.description =
		"Checks the credentials against REGISTRY (HOST[:PORT]; docker.io for Docker Hub) and stores\n"
		"them in the auth file, in the shape of Docker's config.json, mode 0600 (docs/images.md).\n",
	CLI_CMD_OPTIONS(struct login_args, login_options),
};

struct logout_args {
	struct kapsel_registry_args reg;
};

static const struct cli_option logout_options[] = {
	CLI_OPT_STRING(0, "authfile", struct logout_args, reg.auth_file, "FILE",
		       "the credentials file (default $REGISTRY_AUTH_FILE or ~/.config/kapsel/auth.json)"),
	CLI_OPT_END,
};

static int logout_run(const struct cli_call *c)
{
	struct logout_args *a = c->opts;
	_cleanup_free_ char *file = a->reg.auth_file ? strdup(a->reg.auth_file) : default_auth_file();
	kerr e = { 0 };
	if (!file)
		return cli_error(c, CLI_EXIT_FAILURE, "out of memory");
	if (kreg_logout(c->argv[0], file, &e) < 0)
		return cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
	printf("Removed login credentials for %s\n", c->argv[0]);
	return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

const struct cli_command cmd_logout = {
	.name = "logout",
	.run = logout_run,
	.min_args = 1,
	.max_args = 1,
	.args = "REGISTRY",
	.summary = "remove a registry's stored credentials",
	CLI_CMD_OPTIONS(struct logout_args, logout_options),
};
