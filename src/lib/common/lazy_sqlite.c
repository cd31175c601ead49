/* libsqlite3, loaded at its first use (lazy.h): the functions kapsel calls
 * (reading an RPM database for `kapsel scan`).  Its ~1600 symbol
 * relocations would be bound at every start otherwise. */
#include "common/lazy.h"

#include <sqlite3.h>

static struct klazy_lib sq = { .soname = "libsqlite3.so.0", .package = "libsqlite3-0" };

KLAZY_FN(sq, int, sqlite3_open_v2, (const char *file, sqlite3 **db, int flags, const char *vfs),
	 (file, db, flags, vfs))
KLAZY_FN(sq, int, sqlite3_close, (sqlite3 * db), (db))
KLAZY_FN(sq, const char *, sqlite3_errmsg, (sqlite3 * db), (db))
KLAZY_FN(sq, void *, sqlite3_malloc64, (sqlite3_uint64 n), (n))
KLAZY_FN(sq, int, sqlite3_deserialize,
	 (sqlite3 * db, const char *schema, unsigned char *data, sqlite3_int64 sz, sqlite3_int64 buf, unsigned flags),
	 (db, schema, data, sz, buf, flags))
KLAZY_FN(sq, int, sqlite3_prepare_v2,
	 (sqlite3 * db, const char *sql, int n, sqlite3_stmt **st, const char **tail), (db, sql, n, st, tail))
KLAZY_FN(sq, int, sqlite3_step, (sqlite3_stmt * st), (st))
KLAZY_FN(sq, int, sqlite3_finalize, (sqlite3_stmt * st), (st))
KLAZY_FN(sq, const void *, sqlite3_column_blob, (sqlite3_stmt * st, int i), (st, i))
KLAZY_FN(sq, int, sqlite3_column_bytes, (sqlite3_stmt * st, int i), (st, i))
KLAZY_FN(sq, sqlite3_int64, sqlite3_column_int64, (sqlite3_stmt * st, int i), (st, i))
