#include "runtime.h"

#include "common/cleanup.h"
#include "common/jsonw.h"
#include "container/container.h"

#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct list_args {
	int format; /* 0 table, 1 json */
	int quiet;
};

static const char *const formats[] = { "table", "json", NULL };

static const struct cli_option list_options[] = {
	CLI_OPT_CHOICE('f', "format", struct list_args, format, formats, "output format (default table)"),
	CLI_OPT_FLAG('q', "quiet", struct list_args, quiet, "print the ids only"),
	CLI_OPT_END,
};

static int list_run(const struct cli_call *c)
{
	const struct globals *g = c->globals;
	const struct list_args *args = c->opts;
	int json = args->format == 1, quiet = args->quiet;

	struct jsonw w;
	jsonw_init(&w);
	jsonw_arr_open(&w);
	if (!json && !quiet)
		printf("%-20s %-8s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
	_cleanup_closedir_ DIR *d = opendir(g->root);
	if (!d && errno != ENOENT) {
		kerr e;
		kerr_errno(&e, "open %s", g->root);
		return fail(&e);
	}
	/* sorted by id for a stable output */
	struct dirent **names = NULL;
	int n = d ? scandir(g->root, &names, NULL, alphasort) : 0;
	for (int i = 0; i < n; i++) {
		const char *id = names[i]->d_name;
		struct kstate st;
		enum kstatus status;
		kerr e;
		if (id[0] == '.' || names[i]->d_type != DT_DIR || kid_validate(id, &e) < 0 ||
		    kcontainer_state(g->root, id, &st, &status, &e) < 0) {
			free(names[i]);
			continue;
		}
		struct passwd *pw = getpwuid(st.owner);
		const char *owner = pw ? pw->pw_name : "";
		pid_t pid = status == KSTATUS_STOPPED ? 0 : st.pid;
		if (json) {
			jsonw_obj_open(&w);
			jsonw_key_str(&w, "ociVersion", "1.2.0");
			jsonw_key_str(&w, "id", id);
			jsonw_key_int(&w, "pid", pid);
			jsonw_key_str(&w, "status", kstatus_to_name(status));
			jsonw_key_str(&w, "bundle", st.bundle ? st.bundle : "");
			jsonw_key_str(&w, "rootfs", st.rootfs ? st.rootfs : "");
			jsonw_key_str(&w, "created", st.created ? st.created : "");
			jsonw_key_str(&w, "owner", owner);
			jsonw_key(&w, "annotations");
			jsonw_obj_open(&w);
			for (char **a = st.annotations; a && a[0] && a[1]; a += 2)
				jsonw_key_str(&w, a[0], a[1]);
			jsonw_obj_close(&w);
			jsonw_obj_close(&w);
		} else if (quiet) {
			printf("%s\n", id);
		} else {
			printf("%-20s %-8d %-10s %-40s %-30s %s\n", id, pid, kstatus_to_name(status),
			       st.bundle ? st.bundle : "", st.created ? st.created : "", owner);
		}
		kstate_free(&st);
		free(names[i]);
	}
	free(names);
	jsonw_arr_close(&w);
	if (json)
		printf("%s\n", w.buf);
	jsonw_free(&w);
	return 0;
}

const struct cli_command cmd_list = {
	.name = "list",
	.run = list_run,
	.min_args = 0,
	.max_args = 0,
	.summary = "list the containers",
	.description = "The containers under --root, sorted by id.\n",
	CLI_CMD_OPTIONS(struct list_args, list_options),
};
