#include "runtime.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "oci/defaults.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int cmd_spec(struct globals *g, int argc, char **argv)
{
	struct oci_default_opts o = { .host_uid = geteuid(), .host_gid = getegid() };
	const char *bundle = ".";
	int c;
	static const struct option opts[] = {
		{ "bundle", required_argument, NULL, 'b' },
		{ "rootless", no_argument, NULL, 'r' },
		{ 0 },
	};
	(void)g;
	while ((c = getopt_long_only(argc, argv, "+b:", opts, NULL)) != -1) {
		if (c == 'b')
			bundle = optarg;
		else if (c == 'r')
			o.rootless = 1;
		else
			return usage_error("spec", "unknown option %s", argv[optind - 1]);
	}
	if (optind != argc)
		return usage_error("spec", "takes no arguments");
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
