/* Image config -> runtime config, per the image-spec's conversion rules
 * (config.md, "Properties" and conversion.md): pure functions over text and
 * vectors, so every rule is unit-tested without a container.
 *
 *   env        --env-file's and --env's entries (a later KEY replaces an
 *              earlier one in place), then the image's Env entries they did
 *              not set, in Docker's order; PATH and HOME added when absent
 *              (HOME from the user's passwd entry, else "/")
 *   args       Entrypoint + Cmd; --entrypoint replaces the Entrypoint and
 *              drops the image's Cmd; arguments after the image replace Cmd
 *   user       "name|uid[:group|gid]" looked up in the image's own
 *              /etc/passwd and /etc/group (text handed in by the caller,
 *              who opened them inside the root); a name that is not there
 *              is an error; an unknown numeric uid gets gid = uid; the
 *              primary gid is always in the additional gids, with the
 *              groups that list the user and --group-add's */
#ifndef KAPSEL_ENGINE_CONVERT_H
#define KAPSEL_ENGINE_CONVERT_H

#include "common/err.h"

#include <stddef.h>
#include <sys/types.h>

#define KENG_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Merge environments (each NULL-terminated, NULL = none): OVER in order,
 * then the entries of BASE whose KEY OVER does not set.  An entry without '=' is refused (EINVAL naming
 * it): the program layer resolves Docker's "-e KEY" from its own
 * environment before calling.  PATH and HOME are added when absent. */
int keng_env_merge(char *const *base, char *const *over, const char *home, char ***out, kerr *e);

/* Parse an --env-file's text (Docker's format: KEY=VALUE lines, '#'
 * comments and blank lines skipped, a bare KEY kept as "KEY" for the
 * caller to resolve).  NAME is the file for errors (a line with blanks in
 * the key, or an empty key). */
int keng_env_file_parse(const char *name, const char *text, char ***out, kerr *e);

/* The process args.  ENTRYPOINT: NULL when --entrypoint was not given, ""
 * to clear the image's, else the new one (a single word, as Docker's
 * flag).  ARGS: after the image (NULL or empty: the image's Cmd, unless
 * --entrypoint was given).  An empty result is EINVAL. */
int keng_args(char *const *img_entrypoint, char *const *img_cmd, const char *entrypoint, char *const *args, char ***out,
	      kerr *e);

struct keng_user {
	uid_t uid;
	gid_t gid;
	gid_t *gids; /* additional gids, the primary one first; ngids >= 1 */
	size_t ngids;
	char *name; /* from passwd, or NULL */
	char *home; /* from passwd, else "/" */
};

void keng_user_clear(struct keng_user *u);

/* Resolve SPEC against the image's PASSWD and GROUP texts (NULL: the file
 * is absent).  GROUP_ADD: --group-add's names or numbers. */
int keng_user_resolve(const char *spec, const char *passwd, const char *group, char *const *group_add,
		      struct keng_user *out, kerr *e);

/* Read the image's /etc/passwd and /etc/group from the root ROOTFD
 * (opened with RESOLVE_IN_ROOT: a symlink there cannot reach the host's
 * files) and resolve SPEC. */
int keng_user_in_root(int rootfd, const char *spec, char *const *group_add, struct keng_user *out, kerr *e);

/* A working directory must be absolute and clean of ".." (EINVAL). */
int keng_workdir_check(const char *dir, kerr *e);

#endif
