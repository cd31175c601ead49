#include "supervise/status.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/json.h"
#include "common/jsonw.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const state_table[] = {
	[KSUP_CREATED] = "created", [KSUP_RUNNING] = "running", [KSUP_RESTARTING] = "restarting",
	[KSUP_EXITED] = "exited",   [KSUP_DEAD] = "dead",
};
KAPSEL_DEFINE_NAME_TABLE(ksup_state, enum ksup_state, state_table);

static void key_time(struct jsonw *w, const char *key, const char *t)
{
	jsonw_key(w, key);
	if (*t)
		jsonw_str(w, t);
	else
		jsonw_null(w);
}

int ksup_status_write(const char *dir, const struct ksup_status *st, kerr *e)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/status.json", dir) >= (int)sizeof(path))
		return kerr_set(e, ENAMETOOLONG, "%s", dir);
	struct jsonw w;
	jsonw_init(&w);
	jsonw_obj_open(&w);
	jsonw_key_str(&w, "state", ksup_state_to_name(st->state));
	jsonw_key_int(&w, "pid", st->pid);
	jsonw_key_int(&w, "supervisor_pid", st->supervisor_pid);
	jsonw_key_int(&w, "exit_code", st->exit_code);
	jsonw_key_bool(&w, "oom_killed", st->oom_killed);
	key_time(&w, "started_at", st->started_at);
	key_time(&w, "finished_at", st->finished_at);
	jsonw_key_int(&w, "restart_count", st->restart_count);
	jsonw_key(&w, "health");
	if (st->health == KSUP_HEALTH_NONE) {
		jsonw_null(&w);
	} else {
		static const char *const names[] = { "", "starting", "healthy", "unhealthy" };
		jsonw_obj_open(&w);
		jsonw_key_str(&w, "status", names[st->health]);
		jsonw_key_int(&w, "failing_streak", st->failing_streak);
		jsonw_key(&w, "log");
		jsonw_arr_open(&w);
		for (int i = 0; i < st->health_nlog; i++) {
			const struct ksup_health_result *r = &st->health_log[i];
			jsonw_obj_open(&w);
			key_time(&w, "start", r->start);
			key_time(&w, "end", r->end);
			jsonw_key_int(&w, "exit_code", r->exit_code);
			jsonw_key_str(&w, "output", r->output);
			jsonw_obj_close(&w);
		}
		jsonw_arr_close(&w);
		jsonw_obj_close(&w);
	}
	jsonw_key_int(&w, "log_dropped_lines", (int64_t)st->log_dropped_lines);
	jsonw_key_int(&w, "log_dropped_bytes", (int64_t)st->log_dropped_bytes);
	key_time(&w, "error", st->error);
	key_time(&w, "hint", st->hint);
	jsonw_obj_close(&w);
	jsonw_raw(&w, "\n");
	int r;
	if (w.oom)
		r = kerr_set(e, ENOMEM, "write %s", path);
	else
		r = kfs_write_file(path, w.buf, w.len, 0600, 1, e);
	jsonw_free(&w);
	return r;
}

/* More than a status.json can be: the health log's outputs are bounded */
#define RESERVE_SIZE (64 * 1024)

static void reserve_path(const char *dir, char *path, size_t size)
{
	snprintf(path, size, "%s/status.reserve", dir);
}

int ksup_reserve_make(const char *dir)
{
	char path[PATH_MAX];
	reserve_path(dir, path, sizeof(path));
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= RESERVE_SIZE &&
	    st.st_blocks * 512 >= RESERVE_SIZE)
		return 0;
	/* fallocate(2), not posix_fallocate: no emulation pulled into the
	 * supervisor's pages (its RSS budget is 1 MiB) */
	int r = fallocate(fd, 0, 0, RESERVE_SIZE) < 0 ? errno : 0;
	if (r == EOPNOTSUPP) { /* a filesystem without fallocate: real blocks */
		static const char zero[4096];
		r = 0;
		for (off_t off = 0; off < RESERVE_SIZE && !r; off += (off_t)sizeof(zero))
			if (pwrite(fd, zero, sizeof(zero), off) != (ssize_t)sizeof(zero))
				r = errno ? errno : ENOSPC;
		if (!r && fsync(fd) < 0)
			r = errno;
	}
	if (r) {
		/* half a reserve would be counted as a whole one next time */
		unlink(path);
		return -1;
	}
	return 0;
}

void ksup_reserve_free(const char *dir)
{
	char path[PATH_MAX];
	reserve_path(dir, path, sizeof(path));
	unlink(path);
}

int ksup_status_read(const char *dir, struct ksup_status *st, kerr *e)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/status.json", dir);
	_cleanup_free_ char *buf = NULL;
	size_t len;
	if (kfs_read_file(path, &buf, &len, e) < 0) {
		if (e->errnum == ENOENT)
			return 0;
		return -1;
	}
	_cleanup_json_ json_object *o = kj_parse(path, buf, len, e);
	if (!o)
		return -1;
	st->restart_count = kj_get_i64(o, "restart_count", 0);
	st->supervisor_pid = (pid_t)kj_get_i64(o, "supervisor_pid", 0);
	st->exit_code = (int)kj_get_i64(o, "exit_code", 0);
	const char *t = kj_get_str(o, "started_at");
	snprintf(st->started_at, sizeof(st->started_at), "%s", t ? t : "");
	t = kj_get_str(o, "finished_at");
	snprintf(st->finished_at, sizeof(st->finished_at), "%s", t ? t : "");
	return 1;
}
