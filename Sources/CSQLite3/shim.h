#ifndef TRIBUTARY_CSQLITE3_SHIM_H
#define TRIBUTARY_CSQLITE3_SHIM_H
// SQLite with FTS5, the baseline of `scripts/bench search`; only TributaryBench imports it.
#include <sqlite3.h>
// SQLITE_TRANSIENT is a cast macro Swift cannot import: bound text is copied by SQLite.
static inline void (*tributary_sqlite_transient(void))(void *) { return SQLITE_TRANSIENT; }
#endif
