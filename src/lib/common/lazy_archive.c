/* libarchive, loaded at its first use (lazy.h): the functions kapsel
 * calls. */
#include "common/lazy.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

static struct klazy_lib la = { .soname = "libarchive.so.13", .package = "libarchive13" };

#define A(ret, name, params, args) KLAZY_FN(la, ret, name, params, args)
#define V(name, params, args) KLAZY_VOID(la, name, params, args)
typedef struct archive ar;
typedef struct archive_entry ae;

A(ar *, archive_read_new, (void), ())
A(ar *, archive_write_disk_new, (void), ())
A(int, archive_write_disk_set_options, (ar * a, int flags), (a, flags))
A(int, archive_read_data_block, (ar * a, const void **buf, size_t *len, la_int64_t *off), (a, buf, len, off))
A(la_ssize_t, archive_write_data_block, (ar * a, const void *buf, size_t len, la_int64_t off), (a, buf, len, off))
A(int, archive_write_finish_entry, (ar * a), (a))
V(archive_entry_copy_stat, (ae * e, const struct stat *st), (e, st))
A(ar *, archive_write_new, (void), ())
A(int, archive_read_free, (ar * a), (a))
A(int, archive_write_free, (ar * a), (a))
A(int, archive_write_close, (ar * a), (a))
A(const char *, archive_error_string, (ar * a), (a))
A(int, archive_read_support_format_tar, (ar * a), (a))
A(int, archive_read_support_format_gnutar, (ar * a), (a))
A(int, archive_read_support_format_raw, (ar * a), (a))
A(int, archive_read_support_format_zip, (ar * a), (a))
A(int, archive_read_support_filter_gzip, (ar * a), (a))
A(int, archive_read_support_filter_zstd, (ar * a), (a))
A(int, archive_read_support_filter_xz, (ar * a), (a))
A(int, archive_read_support_filter_bzip2, (ar * a), (a))
A(int, archive_write_add_filter_gzip, (ar * a), (a))
A(int, archive_write_add_filter_zstd, (ar * a), (a))
A(int, archive_write_set_format_pax_restricted, (ar * a), (a))
A(int, archive_write_set_bytes_in_last_block, (ar * a, int n), (a, n))
A(int, archive_read_open,
  (ar * a, void *data, archive_open_callback *o, archive_read_callback *r, archive_close_callback *c),
  (a, data, o, r, c))
A(int, archive_read_open_fd, (ar * a, int fd, size_t block), (a, fd, block))
A(int, archive_read_open_filename, (ar * a, const char *file, size_t block), (a, file, block))
A(int, archive_read_open_memory, (ar * a, const void *buf, size_t n), (a, buf, n))
A(int, archive_write_open_fd, (ar * a, int fd), (a, fd))
A(int, archive_write_open_memory, (ar * a, void *buf, size_t n, size_t *used), (a, buf, n, used))
A(int, archive_read_next_header, (ar * a, ae **e), (a, e))
A(la_ssize_t, archive_read_data, (ar * a, void *buf, size_t n), (a, buf, n))
A(int, archive_write_header, (ar * a, ae *e), (a, e))
A(la_ssize_t, archive_write_data, (ar * a, const void *buf, size_t n), (a, buf, n))

A(ae *, archive_entry_new, (void), ())
V(archive_entry_free, (ae * e), (e))
A(const char *, archive_entry_pathname, (ae * e), (e))
A(const char *, archive_entry_hardlink, (ae * e), (e))
A(const char *, archive_entry_symlink, (ae * e), (e))
A(__LA_MODE_T, archive_entry_filetype, (ae * e), (e))
A(__LA_MODE_T, archive_entry_mode, (ae * e), (e))
A(la_int64_t, archive_entry_uid, (ae * e), (e))
A(la_int64_t, archive_entry_gid, (ae * e), (e))
A(la_int64_t, archive_entry_size, (ae * e), (e))
A(time_t, archive_entry_mtime, (ae * e), (e))
A(dev_t, archive_entry_rdev, (ae * e), (e))
V(archive_entry_set_pathname, (ae * e, const char *s), (e, s))
V(archive_entry_set_hardlink, (ae * e, const char *s), (e, s))
V(archive_entry_set_symlink, (ae * e, const char *s), (e, s))
V(archive_entry_set_mode, (ae * e, __LA_MODE_T m), (e, m))
V(archive_entry_set_uid, (ae * e, la_int64_t v), (e, v))
V(archive_entry_set_gid, (ae * e, la_int64_t v), (e, v))
V(archive_entry_set_size, (ae * e, la_int64_t v), (e, v))
V(archive_entry_set_mtime, (ae * e, time_t t, long ns), (e, t, ns))
A(int, archive_entry_xattr_reset, (ae * e), (e))
A(int, archive_entry_xattr_next, (ae * e, const char **name, const void **value, size_t *n), (e, name, value, n))
V(archive_entry_xattr_add_entry, (ae * e, const char *name, const void *value, size_t n), (e, name, value, n))
