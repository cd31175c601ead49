#include "runtime.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "oci/defaults.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct spec_args {
	const char *bundle;
	int rootless;
};

static const struct spec_args spec_defaults = { .bundle = "." };

static const struct cli_option spec_options[] = {
	CLI_OPT_STRING('b', "bundle", struct spec_args, bundle, "DIR", "write DIR/config.json (default .)"),
	CLI_OPT_FLAG(0, "rootless", struct spec_args, rootless, "add a user namespace mapping the caller to root"),
	CLI_OPT_END,
};

static int spec_run(const struct cli_call *c)
{
	const struct spec_args *a = c->opts;
	struct oci_default_opts o = { .host_uid = geteuid(), .host_gid = getegid(), .rootless = a->rootless };
	const char *bundle = a->bundle;
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/config.json", bundle);
	json_object *s = oci_default_spec(&o);
	const char *txt = json_object_to_json_string_ext(s, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	kerr e = { 0 };
	/* never overwrite a config someone wrote */
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		if (errno == EEXIST)
			kerr_set(&e, EEXIST, "%s already exists: remove it first", path);
		else
			kerr_errno(&e, "create %s", path);
		json_object_put(s);
		return fail(&e);
	}
	size_t len = strlen(txt);
	if (write(fd, txt, len) != (ssize_t)len || write(fd, "\n", 1) != 1) {
		kerr_errno(&e, "write %s", path);
		json_object_put(s);
		return fail(&e);
	}
	json_object_put(s);
	return 0;
}

const struct cli_command cmd_spec = {
	.name = "spec",
	.run = spec_run,
	.min_args = 0,
	.max_args = 0,
	.summary = "write kapsel's hardened default config.json",
	.description = "Never overwrites a config.json that exists.\n",
	CLI_CMD_OPTIONS(struct spec_args, spec_options),
	.defaults = &spec_defaults,
};
