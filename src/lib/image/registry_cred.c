/* Docker's credential helpers: an auth file (config.json's shape) that
 * names `credHelpers` {"HOST": "NAME"} or a `credsStore` "NAME" keeps the
 * registry's credentials out of the file, in the program
 * docker-credential-NAME (pass, secretservice, ecr-login, gcloud ...),
 * spoken to as Docker does: one argument (get, store, erase), the server
 * on stdin (a JSON object for store), a JSON object
 * {"ServerURL","Username","Secret"} on stdout.  credHelpers wins over
 * credsStore, as in Docker.  The program is found on PATH by its name,
 * which must be a plain word (no '/'); it gets a minimal environment
 * (PATH, HOME, DBUS_SESSION_BUS_ADDRESS, XDG_RUNTIME_DIR for keyrings). */
#include "image/registry_int.h"

#include "common/cleanup.h"
#include "common/json.h"
#include "common/str.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define HELPER_OUT_MAX (64 * 1024)

static bool name_ok(const char *n)
{
	if (!*n || strlen(n) > 64)
		return false;
	for (const char *c = n; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_' && *c != '.')
			return false;
	return true;
}

const char *kreg_cred_helper(json_object *doc, const char *registry, const char *hub_key)
{
	json_object *h = kj_get(doc, "credHelpers");
	const char *n = kj_get_str(h, registry);
	if (!n && hub_key)
		n = kj_get_str(h, hub_key);
	if (!n)
		n = kj_get_str(doc, "credsStore");
	return n && *n ? n : NULL;
}

/* Run docker-credential-NAME VERB with IN on its stdin; its stdout in *OUT
 * (NUL-terminated), its exit status returned (-1 with E on a failure to
 * run it). */
static int run_helper(const char *name, const char *verb, const char *in, char **out, kerr *e)
{
	*out = NULL;
	if (!name_ok(name))
		return kerr_msg(e, EINVAL, "credential helper \"%.80s\": not a helper name", name);
	char prog[96];
	snprintf(prog, sizeof(prog), "docker-credential-%s", name);
	int pin[2], pout[2];
	if (pipe2(pin, O_CLOEXEC) < 0)
		return kerr_errno(e, "%s: pipe", prog);
	if (pipe2(pout, O_CLOEXEC) < 0) {
		close(pin[0]);
		close(pin[1]);
		return kerr_errno(e, "%s: pipe", prog);
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pin[0], 0);
	posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
	static const char *const keep[] = { "PATH", "HOME", "DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR",
					    "GNUPGHOME", "PASSWORD_STORE_DIR", NULL };
	char *env[ARRAY_SIZE(keep)] = { 0 };
	size_t ne = 0;
	for (const char *const *k = keep; *k; k++)
		for (char **v = environ; v && *v; v++)
			if (!strncmp(*v, *k, strlen(*k)) && (*v)[strlen(*k)] == '=') {
				env[ne++] = *v; /* the first one, as getenv: one slot each */
				break;
			}
	char *argv[] = { prog, (char *)verb, NULL };
	pid_t pid;
	int rc = posix_spawnp(&pid, prog, &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	close(pin[0]);
	close(pout[1]);
	if (rc != 0) {
		close(pin[1]);
		close(pout[0]);
		return kerr_set(e, rc, "%s (a credential helper the auth file names)", prog);
	}
	/* its answer is small: write what it reads, then read it all */
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	size_t len = strlen(in);
	for (size_t off = 0; off < len;) {
		ssize_t w = write(pin[1], in + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break; /* it did not read: its exit status says why */
		off += (size_t)w;
	}
	close(pin[1]);
	signal(SIGPIPE, old);
	char *buf = malloc(HELPER_OUT_MAX + 1);
	size_t n = 0;
	while (buf && n < HELPER_OUT_MAX) {
		ssize_t r = read(pout[0], buf + n, HELPER_OUT_MAX - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(pout[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			free(buf);
			return kerr_errno(e, "wait for %s", prog);
		}
	if (!buf)
		return kerr_set(e, ENOMEM, "%s", prog);
	buf[n] = 0;
	*out = buf;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void trim(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
		s[--n] = 0;
}

int kreg_cred_get(const char *helper, const char *server, char **basic, kerr *e)
{
	*basic = NULL;
	_cleanup_free_ char *out = NULL;
	int st = run_helper(helper, "get", server, &out, e);
	if (st < 0)
		return -1;
	if (st != 0) {
		trim(out);
		/* "credentials not found in native keychain": no credentials, as
		 * an auth file without the registry */
		if (strstr(out, "credentials not found"))
			return 0;
		return kerr_msg(e, EACCES, "docker-credential-%s get %s: exit %d: %.300s", helper, server, st, out);
	}
	_cleanup_json_ json_object *j = kj_parse("credential helper answer", out, strlen(out), e);
	explicit_bzero(out, strlen(out)); /* the secret is in J now, and soon in *BASIC only */
	if (!j)
		return kerr_wrap(e, "docker-credential-%s get %s", helper, server);
	const char *user = kj_get_str(j, "Username"), *secret = kj_get_str(j, "Secret");
	if (!user || !secret || !*secret || strchr(user, ':'))
		return kerr_msg(e, EINVAL, "docker-credential-%s get %s: expected Username and Secret", helper, server);
	if (!strcmp(user, "<token>"))
		return kerr_msg(e, ENOTSUP,
				"docker-credential-%s get %s: an identity token (Username \"<token>\"): kapsel takes a "
				"user name and password",
				helper, server);
	_cleanup_free_ char *pair = kstr_printf("%s:%s", user, secret);
	if (!pair || !(*basic = kstr_base64(pair, strlen(pair))))
		return kerr_set(e, ENOMEM, "credentials");
	explicit_bzero(pair, strlen(pair));
	return 0;
}

int kreg_cred_store(const char *helper, const char *server, const char *user, const char *password, kerr *e)
{
	_cleanup_json_ json_object *j = json_object_new_object();
	json_object_object_add(j, "ServerURL", json_object_new_string(server));
	json_object_object_add(j, "Username", json_object_new_string(user));
	json_object_object_add(j, "Secret", json_object_new_string(password));
	_cleanup_free_ char *in = strdup(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
	_cleanup_free_ char *out = NULL;
	if (!in)
		return kerr_set(e, ENOMEM, "credentials");
	int st = run_helper(helper, "store", in, &out, e);
	explicit_bzero(in, strlen(in));
	if (st < 0)
		return -1;
	if (st != 0) {
		trim(out);
		return kerr_msg(e, EIO, "docker-credential-%s store %s: exit %d: %.300s", helper, server, st, out);
	}
	return 0;
}

int kreg_cred_erase(const char *helper, const char *server, kerr *e)
{
	_cleanup_free_ char *out = NULL;
	int st = run_helper(helper, "erase", server, &out, e);
	if (st < 0)
		return -1;
	if (st != 0) {
		trim(out);
		if (strstr(out, "credentials not found"))
			return kerr_msg(e, ENOENT, "not logged in to %s (docker-credential-%s)", server, helper);
		return kerr_msg(e, EIO, "docker-credential-%s erase %s: exit %d: %.300s", helper, server, st, out);
	}
	return 0;
}
