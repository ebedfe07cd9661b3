#ifndef POND_CSQLITE_SHIM_H
#define POND_CSQLITE_SHIM_H
#include <sqlite3.h>

/* SQLITE_TRANSIENT is a macro casting -1 to a function pointer, which Swift does not import: these wrappers
   bind copies of the caller's bytes, so the caller's buffer need not outlive the call. */
static inline int pond_sqlite_bind_blob(sqlite3_stmt *statement, int index, const void *bytes, int count) {
  return sqlite3_bind_blob(statement, index, bytes, count, SQLITE_TRANSIENT);
}
static inline int pond_sqlite_bind_text(sqlite3_stmt *statement, int index, const char *text, int count) {
  return sqlite3_bind_text(statement, index, text, count, SQLITE_TRANSIENT);
}
/* sqlite3_db_config is variadic: leave the WAL as it is when the connection closes (leaveWALOnClose). */
static inline int pond_sqlite_no_checkpoint_on_close(sqlite3 *db) {
  return sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)0);
}

/* Virtual tables: SQLite's structs extended by a pointer to the Swift object that serves them (an unretained
   reference: the table or cursor object outlives its C struct, which the Swift side frees). */
typedef struct pond_vtab {
  sqlite3_vtab base;
  void *owner;
} pond_vtab;

typedef struct pond_vtab_cursor {
  sqlite3_vtab_cursor base;
  void *owner;
} pond_vtab_cursor;

/* Sets a virtual table's error message (sqlite3_mprintf is variadic); SQLite frees it. */
static inline void pond_sqlite_vtab_set_error(sqlite3_vtab *table, const char *message) {
  sqlite3_free(table->zErrMsg);
  table->zErrMsg = sqlite3_mprintf("%s", message);
}
/* A copy of text that SQLite will free (idxStr of xBestIndex). */
static inline char *pond_sqlite_strdup(const char *text) {
  return sqlite3_mprintf("%s", text);
}
static inline void pond_sqlite_result_text(sqlite3_context *context, const char *text, int count) {
  sqlite3_result_text(context, text, count, SQLITE_TRANSIENT);
}
static inline void pond_sqlite_result_blob(sqlite3_context *context, const void *bytes, int count) {
  sqlite3_result_blob(context, bytes, count, SQLITE_TRANSIENT);
}
#endif
