/* kapsel events [--since T] [--until T] [--filter K=V]... [--format json|TEMPLATE]:
 * the event journal ROOT/events.log (common/events.h) as `docker events`
 * prints it: the past ones from --since, then the new ones as they come
 * (inotify, no polling) until --until or an interrupt; without --since
 * only new ones. */
#include "kapsel.h"

#include "common/cleanup.h"
#include "common/events.h"
#include "common/json.h"
#include "common/loop.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct events_args {
	const char *since, *until, *format;
	char **filters;
};

static const struct cli_option events_options[] = {
	CLI_OPT_STRING(0, "since", struct events_args, since, "TIME",
		       "show the events from TIME on (RFC 3339, Unix seconds, or a duration ago: 10m)"),
	CLI_OPT_STRING(0, "until", struct events_args, until, "TIME", "stop at TIME"),
	CLI_OPT_STRV('f', "filter", struct events_args, filters, "KEY=VALUE",
		     "container=, event=, type=, image=, label=KEY[=VALUE] (repeatable)"),
	CLI_OPT_STRING(0, "format", struct events_args, format, "json|TEMPLATE", "one line per event"),
	CLI_OPT_END,
};

struct events_run {
	const struct cli_call *c;
	const struct events_args *a;
	struct kevent_filter f;
	int64_t since, until; /* ns; INT64_MIN / INT64_MAX: none */
	struct kloop *loop;
	int rc;
	bool done; /* past --until, or nobody reads any more */
};

static int on_line(const char *line, size_t len, void *data, kerr *e)
{
	(void)e;
	struct events_run *r = data;
	_cleanup_json_ json_object *ev = json_tokener_parse(line);
	(void)len;
	if (!ev || !json_object_is_type(ev, json_type_object))
		return 0; /* not a line of ours (a torn file): skipped */
	int64_t t = kj_get_i64(ev, "timeNano", 0);
	if (t < r->since)
		return 0;
	if (t > r->until) {
		r->done = true;
		kloop_exit(r->loop, 0);
		return 0;
	}
	if (!kevent_match(&r->f, ev))
		return 0;
	if (!r->a->format) {
		_cleanup_free_ char *s = kevent_text(ev);
		if (s)
			printf("%s\n", s);
	} else {
		int fr = kapsel_format_print(r->c, r->a->format, ev);
		if (fr)
			r->rc = fr;
	}
	if (fflush(stdout) != 0) {
		if (errno != EPIPE)
			return kerr_errno(e, "stdout");
		r->done = true; /* the reader went away (| head): done */
		kloop_exit(r->loop, 0);
	}
	return 0;
}

static int on_signal(struct kloop_source *s, const struct signalfd_siginfo *si, void *data, kerr *e)
{
	(void)si, (void)data, (void)e;
	kloop_exit(kloop_source_loop(s), 0);
	return 0;
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int events_run(const struct cli_call *c)
{
	const struct events_args *a = c->opts;
	const struct kapsel_globals *gl = c->globals;
	struct events_run r = { .c = c, .a = a, .since = INT64_MIN, .until = INT64_MAX };
	kerr e = { 0 };
	int rc = kapsel_format_check(c, a->format);
	if (rc)
		return rc;
	int64_t now = now_ns();
	if ((a->since && kevent_parse_time("--since", a->since, now, &r.since, &e) < 0) ||
	    (a->until && kevent_parse_time("--until", a->until, now, &r.until, &e) < 0)) {
		return cli_usage_error(c, "%s", e.msg);
	}
	for (char **f = a->filters; f && *f; f++)
		if (kevent_filter_add(&r.f, *f, &e) < 0) {
			kevent_filter_done(&r.f);
			return cli_usage_error(c, "%s", e.msg);
		}
	if (!a->since)
		r.since = now;
	_cleanup_(kloop_freep) struct kloop *l = NULL;
	struct kevent_reader *rd = NULL;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGPIPE);
	rc = CLI_EXIT_FAILURE;
	if (kloop_new(&l, &e) < 0 || !kloop_add_signals(l, &set, on_signal, &r, &e))
		goto out;
	r.loop = l;
	if (kevent_reader_open(&rd, gl->root, l, a->since != NULL, on_line, &r, &e) < 0)
		goto out;
	int64_t t = now_ns();
	if (r.until <= t || r.done) {
		rc = r.rc; /* the past only: done once it is printed */
		goto out;
	}
	if (r.until != INT64_MAX && !kloop_add_timer(l, 0, (uint64_t)(r.until - t), 0, kloop_stop_timer, NULL, &e))
		goto out;
	if (kloop_run(l, &e) < 0)
		goto out;
	rc = r.rc;
out:
	if (rc == CLI_EXIT_FAILURE && e.msg[0])
		cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
	kevent_reader_free(rd);
	kevent_filter_done(&r.f);
	return rc;
}

const struct cli_command cmd_events = {
	.name = "events",
	.run = events_run,
	.min_args = 0,
	.max_args = 0,
	.summary = "show the events of containers and images (docs/supervise.md)",
	CLI_CMD_OPTIONS(struct events_args, events_options),
};
