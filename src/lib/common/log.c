#include "log.h"

#include "jsonw.h"
#include "time.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int log_fd = 2;
static enum klog_format log_format = KLOG_TEXT;
static int log_debug;
static const char *log_ident = "kapsel";

static const char *const level_names[] = { "error", "warning", "info", "debug" };

void klog_set_ident(const char *ident)
{
	if (ident && *ident)
		log_ident = ident;
}

const char *klog_ident(void)
{
	return log_ident;
}

int klog_open(const char *path, enum klog_format fmt, int debug)
{
	log_format = fmt;
	log_debug = debug;
	if (path && *path) {
		int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0)
			return -1;
		log_fd = fd;
	}
	return 0;
}

void klog_close(void)
{
	if (log_fd > 2)
		close(log_fd);
	log_fd = 2;
}

int klog_debug_enabled(void)
{
	return log_debug;
}

int klog_fd(void)
{
	return log_fd;
}

void klog(enum klog_level lvl, const char *fmt, ...)
{
	char msg[4096], ts[KTIME_BUFSZ];
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	if (ktime_now(ts, sizeof(ts), KTIME_NANO) < 0)
		ts[0] = '\0';

	if (log_format == KLOG_JSON) {
		struct jsonw w;
		jsonw_init(&w);
		jsonw_obj_open(&w);
		jsonw_key_str(&w, "level", level_names[lvl]);
		jsonw_key_str(&w, "msg", msg);
		jsonw_key_str(&w, "time", ts);
		jsonw_obj_close(&w);
		jsonw_raw(&w, "\n");
		if (w.buf)
			(void)!write(log_fd, w.buf, w.len);
		jsonw_free(&w);
	} else {
		/* one message, one line: control characters (a newline in an id
		 * or a config string) are escaped, never written raw */
		char clean[4096 * 4];
		size_t o = 0;
		for (const unsigned char *p = (const unsigned char *)msg; *p && o < sizeof(clean) - 5; p++) {
			if (*p == '\n') {
				clean[o++] = '\\';
				clean[o++] = 'n';
			} else if (*p < 0x20 || *p == 0x7f) {
				o += snprintf(clean + o, sizeof(clean) - o, "\\x%02x", *p);
			} else {
				clean[o++] = *p;
			}
		}
		clean[o] = '\0';
		char line[4096 * 4 + 200];
		int len = snprintf(line, sizeof(line), "%s %s: %s\n", ts, level_names[lvl], clean);
		if (log_fd == 2) /* on a terminal keep it short */
			len = snprintf(line, sizeof(line), "%s: %s%s%s\n", log_ident,
				       lvl == KLOG_ERROR ? "" : level_names[lvl],
				       lvl == KLOG_ERROR ? "" : ": ", clean);
		if (len > (int)sizeof(line) - 1)
			len = sizeof(line) - 1;
		(void)!write(log_fd, line, len);
	}
	errno = saved;
}
