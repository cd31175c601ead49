/* Runtime log: one line per message to the --log file (or stderr), either
 * plain text or runc-compatible JSON ({"level","msg","time"}) which
 * containerd and Docker read back to show errors to the user. */
#ifndef KAPSEL_LOG_H
#define KAPSEL_LOG_H

enum klog_level { KLOG_ERROR, KLOG_WARN, KLOG_INFO, KLOG_DEBUG };
enum klog_format { KLOG_TEXT, KLOG_JSON };

/* path NULL keeps stderr.  Returns -1 with errno if the file cannot be opened. */
/* The program's name, set once by main: the prefix of the lines on stderr,
 * the syslog tag, the prefix of errors a child process prints ("kapsel"
 * until set; the string must outlive the process's use of the log). */
void klog_set_ident(const char *ident);
const char *klog_ident(void);
int klog_open(const char *path, enum klog_format fmt, int debug);
void klog_close(void);
int klog_debug_enabled(void);
int klog_fd(void);

void klog(enum klog_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define klog_error(...) klog(KLOG_ERROR, __VA_ARGS__)
#define klog_warn(...) klog(KLOG_WARN, __VA_ARGS__)
#define klog_info(...) klog(KLOG_INFO, __VA_ARGS__)
#define klog_debug(...) do { if (klog_debug_enabled()) klog(KLOG_DEBUG, __VA_ARGS__); } while (0)

#endif
