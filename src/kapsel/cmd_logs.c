/* kapsel logs [-f] [--since T] [--until T] [-n N|all] [-t] [--details]
 * CONTAINER: the container's json-file or k8s-file log (logs/read.h), as
 * `docker logs` shows it: what the container wrote to stdout on stdout,
 * to stderr on stderr; -f follows it until the container is done. */
#include "kapsel.h"

#include "common/json.h"
#include "common/time.h"
#include "logs/read.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct logs_args {
	int follow, timestamps, details;
	const char *since, *until, *tail;
};

static const struct logs_args logs_defaults = { .tail = "all" };

static const struct cli_option logs_options[] = {
	CLI_OPT_FLAG('f', "follow", struct logs_args, follow, "follow the log until the container is done"),
	CLI_OPT_STRING(0, "since", struct logs_args, since, "TIME",
		       "from TIME on (RFC 3339, unix seconds, or a duration before now: 10m, 1h30m)"),
	CLI_OPT_STRING(0, "until", struct logs_args, until, "TIME", "up to TIME (as --since)"),
	CLI_OPT_STRING('n', "tail", struct logs_args, tail, "N", "the last N lines only (default all)"),
	CLI_OPT_FLAG('t', "timestamps", struct logs_args, timestamps, "each line after its time (RFC 3339, ns)"),
	CLI_OPT_FLAG(0, "details", struct logs_args, details, "each line after the attributes its log kept"),
	CLI_OPT_END,
};

static char outbuf[64 * 1024], errbuf[64 * 1024];

struct printer {
	const struct logs_args *a;
	FILE *last;
};

static int print_entry(const struct klogs_entry *en, void *data, kerr *e)
{
	struct printer *p = data;
	FILE *f = en->stream == KLOGS_STDERR ? stderr : stdout;
	/* the order between the two streams is kept for a reader of both */
	if (p->last && p->last != f)
		fflush(p->last);
	p->last = f;
	if (p->a->timestamps) {
		char t[KTIME_BUFSZ];
		if (ktime_format(t, sizeof(t), &en->time, KTIME_NANO) > 0)
			fprintf(f, "%s ", t);
	}
	if (p->a->details) {
		fputs(en->attrs, f);
		putc(' ', f);
	}
	fwrite(en->text, 1, en->len, f);
	if (!en->partial)
		putc('\n', f);
	if (ferror(f))
		return kerr_errno(e, "write the log");
	return 0;
}

static int flush_out(void *data, kerr *e)
{
	(void)data;
	if (fflush(stdout) || fflush(stderr))
		return kerr_errno(e, "write the log");
	return 0;
}

static int logs_run(const struct cli_call *c)
{
	const struct logs_args *a = c->opts;
	struct timespec now, since, until;
	kerr e = { 0 };
	clock_gettime(CLOCK_REALTIME, &now);
	if (a->since && klogs_time_arg("--since", a->since, &now, &since, &e) < 0)
		return cli_usage_error(c, "%s", e.msg);
	if (a->until && klogs_time_arg("--until", a->until, &now, &until, &e) < 0)
		return cli_usage_error(c, "%s", e.msg);
	int64_t tail = -1;
	if (strcmp(a->tail, "all")) {
		char *end;
		errno = 0;
		long long v = strtoll(a->tail, &end, 10);
		if (errno || end == a->tail || *end)
			return cli_usage_error(c, "--tail: \"%s\" is not a number of lines (or all)", a->tail);
		tail = v < 0 ? -1 : v; /* Docker: a negative number is all */
	}

	struct keng *g;
	int rc = kapsel_engine(c, KENG_SHARED, &g);
	if (rc)
		return rc;
	const char *ref = c->argv[0];
	char id[65];
	json_object *ins = NULL;
	struct keng_state st;
	if ((rc = kapsel_container(c, g, ref, id))) {
		keng_close(g);
		return rc;
	}
	if (keng_inspect(g, id, &ins, &e) < 0 || keng_state(g, id, &st, &e) < 0) {
		json_object_put(ins);
		keng_close(g);
		return cli_error(c, CLI_EXIT_FAILURE, "%s: %s", ref, e.msg);
	}
	/* the log is read without the store's lock (a follow can take long) */
	keng_relock(g, -1, &e);
	keng_close(g);
	const char *type = kj_get_str(kj_get(kj_get(ins, "HostConfig"), "LogConfig"), "Type");
	const char *logpath = kj_get_str(ins, "LogPath");
	bool started = strcmp(st.started_at, "") && strcmp(st.started_at, "0001-01-01T00:00:00Z");
	int drv = klogs_driver_from_name(type ? type : "json-file");
	if (drv == KLOGS_SYSLOG || drv == KLOGS_JOURNALD || drv == KLOGS_FLUENTD) {
		/* what went out, read from the local copy it keeps */
		if ((!logpath || !*logpath) && !started) { /* its copy is made at the first start */
			json_object_put(ins);
			return CLI_EXIT_OK;
		}
		if (!logpath || !*logpath) {
			rc = cli_error(c, CLI_EXIT_FAILURE,
				       "%s: its log driver is %s and it keeps no local copy (cache-disabled): its "
				       "lines are with the receiver",
				       ref, type);
			json_object_put(ins);
			return rc;
		}
		drv = KLOGS_JSON_FILE;
	} else if (drv != KLOGS_JSON_FILE && drv != KLOGS_K8S_FILE) {
		rc = cli_error(c, CLI_EXIT_FAILURE, "%s: its log driver is %s: nothing is logged (kapsel logs reads the json-file and "
			       "k8s-file drivers' files and a remote driver's local copy)",
			       ref,
			       type ? type : "unknown");
		json_object_put(ins);
		return rc;
	}
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", logpath ? logpath : "");
	char *slash = strrchr(dir, '/');
	if (!slash) {
		json_object_put(ins);
		return cli_error(c, CLI_EXIT_FAILURE, "%s: no LogPath in its record", ref);
	}
	*slash = 0;
	json_object_put(ins);

	bool up = !strcmp(st.status, "running") || !strcmp(st.status, "restarting") || !strcmp(st.status, "paused");
	/* a running container without a supervisor's socket is held by a
	 * foreground kapsel run: nothing is logged, nothing to follow */
	char sock[PATH_MAX + 16];
	snprintf(sock, sizeof(sock), "%s/ctl.sock", dir);
	bool foreground = up && access(sock, F_OK) != 0;
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	setvbuf(stderr, errbuf, _IOFBF, sizeof(errbuf));
	struct printer p = { a, NULL };
	struct klogs_read_opts o = {
		.driver = drv,
		.since = a->since ? &since : NULL,
		.until = a->until ? &until : NULL,
		.tail = tail,
		.follow_pid = a->follow && up && !foreground ? st.holder : 0,
		.fn = print_entry,
		.idle = flush_out,
		.data = &p,
	};
	struct klogs_read_counts n;
	int r = klogs_read(dir, id, &o, &n, &e);
	fflush(stdout);
	fflush(stderr);
	setvbuf(stderr, NULL, _IONBF, 0);
	if (r < 0)
		return cli_error(c, CLI_EXIT_FAILURE, "%s: %s", ref, e.msg);
	if (n.corrupt)
		cli_error(c, 0, "%s: %" PRIu64 " line%s of the log could not be read (corrupt or cut short): skipped",
			  ref, n.corrupt, n.corrupt == 1 ? "" : "s");
	if (!n.files && ((started && !up) || foreground))
		cli_error(c, 0,
			  "%s: no log: a container run in the foreground (kapsel run without -d) is not logged, its "
			  "output went to that terminal",
			  ref);
	return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

const struct cli_command cmd_logs = {
	.name = "logs",
	.run = logs_run,
	.min_args = 1,
	.max_args = 1,
	.args = "CONTAINER",
	.summary = "show a container's log (json-file or k8s-file)",
	.defaults = &logs_defaults,
	CLI_CMD_OPTIONS(struct logs_args, logs_options),
};
