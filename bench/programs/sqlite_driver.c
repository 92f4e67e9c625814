/* SQLite benchmark driver (links the sqlite3 amalgamation generated from
 * Debian's sqlite3 source package, built with SQLITE_OS_OTHER=1).
 *
 * SQLite without an OS layer needs a VFS: this file provides a small one that
 * keeps every file (database, rollback journal, temp files) in memory, with a
 * deterministic xRandomness and a fixed clock, so the wasm build has no
 * imports. run() builds a database in it (tables, inserts in one
 * transaction, indexes) and runs a query workload: aggregates with GROUP BY
 * and ORDER BY, joins, LIKE, a subquery, a window function, updates, deletes
 * and many prepared point queries. Every result row is folded into the
 * checksum. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "sqlite3.h"

/* ---------------------------------------------------------------- VFS --- */

typedef struct memdata {
  char name[128];
  unsigned char *bytes;
  sqlite3_int64 size;
  sqlite3_int64 cap;
  int open_count;
  int unlinked; /* deleted while open: free on last close */
  struct memdata *next;
} memdata;

typedef struct {
  sqlite3_file base;
  memdata *data;
  int delete_on_close;
} memfile;

static memdata *mem_files;
static unsigned temp_counter;

static memdata *memdata_find(const char *name) {
  for (memdata *d = mem_files; d; d = d->next)
    if (!d->unlinked && strcmp(d->name, name) == 0) return d;
  return NULL;
}

static void memdata_unlink(memdata *d) {
  memdata **pp = &mem_files;
  while (*pp && *pp != d) pp = &(*pp)->next;
  if (*pp) *pp = d->next;
  free(d->bytes);
  free(d);
}

static int mem_close(sqlite3_file *f) {
  memfile *mf = (memfile *)f;
  memdata *d = mf->data;
  if (d && --d->open_count == 0 && (d->unlinked || mf->delete_on_close)) memdata_unlink(d);
  mf->data = NULL;
  return SQLITE_OK;
}

static int mem_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off) {
  memdata *d = ((memfile *)f)->data;
  if (off >= d->size) {
    memset(buf, 0, (size_t)amt);
    return SQLITE_IOERR_SHORT_READ;
  }
  sqlite3_int64 avail = d->size - off;
  if (avail < amt) {
    memcpy(buf, d->bytes + off, (size_t)avail);
    memset((char *)buf + avail, 0, (size_t)(amt - avail));
    return SQLITE_IOERR_SHORT_READ;
  }
  memcpy(buf, d->bytes + off, (size_t)amt);
  return SQLITE_OK;
}

static int mem_reserve(memdata *d, sqlite3_int64 need) {
  if (need <= d->cap) return SQLITE_OK;
  sqlite3_int64 cap = d->cap ? d->cap : 65536;
  while (cap < need) cap *= 2;
  unsigned char *p = (unsigned char *)realloc(d->bytes, (size_t)cap);
  if (!p) return SQLITE_IOERR_NOMEM;
  d->bytes = p;
  d->cap = cap;
  return SQLITE_OK;
}

static int mem_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off) {
  memdata *d = ((memfile *)f)->data;
  int rc = mem_reserve(d, off + amt);
  if (rc != SQLITE_OK) return rc;
  if (off > d->size) memset(d->bytes + d->size, 0, (size_t)(off - d->size));
  memcpy(d->bytes + off, buf, (size_t)amt);
  if (off + amt > d->size) d->size = off + amt;
  return SQLITE_OK;
}

static int mem_truncate(sqlite3_file *f, sqlite3_int64 size) {
  memdata *d = ((memfile *)f)->data;
  if (size < d->size) d->size = size;
  return SQLITE_OK;
}

static int mem_sync(sqlite3_file *f, int flags) {
  (void)f;
  (void)flags;
  return SQLITE_OK;
}

static int mem_file_size(sqlite3_file *f, sqlite3_int64 *size) {
  *size = ((memfile *)f)->data->size;
  return SQLITE_OK;
}

static int mem_lock(sqlite3_file *f, int level) {
  (void)f;
  (void)level;
  return SQLITE_OK; /* one connection, one thread */
}

static int mem_check_reserved(sqlite3_file *f, int *out) {
  (void)f;
  *out = 0;
  return SQLITE_OK;
}

static int mem_file_control(sqlite3_file *f, int op, void *arg) {
  (void)f;
  (void)op;
  (void)arg;
  return SQLITE_NOTFOUND;
}

static int mem_sector_size(sqlite3_file *f) {
  (void)f;
  return 512;
}

static int mem_device_characteristics(sqlite3_file *f) {
  (void)f;
  return SQLITE_IOCAP_SAFE_APPEND | SQLITE_IOCAP_SEQUENTIAL;
}

static const sqlite3_io_methods mem_io = {
    1, /* iVersion: no shared memory, no mmap */
    mem_close, mem_read, mem_write, mem_truncate, mem_sync, mem_file_size, mem_lock,
    mem_lock,  /* xUnlock */
    mem_check_reserved, mem_file_control, mem_sector_size, mem_device_characteristics,
    0, 0, 0, 0, 0, 0,
};

static int mem_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out_flags) {
  (void)vfs;
  memfile *mf = (memfile *)f;
  memset(mf, 0, sizeof *mf);
  char temp_name[32];
  if (!name) { /* temporary file: give it a unique private name */
    unsigned n = ++temp_counter;
    memcpy(temp_name, "temp-", 5);
    int len = 5;
    do {
      temp_name[len++] = (char)('0' + n % 10);
      n /= 10;
    } while (n);
    temp_name[len] = 0;
    name = temp_name;
    flags |= SQLITE_OPEN_DELETEONCLOSE;
  }
  memdata *d = memdata_find(name);
  if (!d) {
    if (!(flags & SQLITE_OPEN_CREATE) || strlen(name) >= sizeof d->name) return SQLITE_CANTOPEN;
    d = (memdata *)calloc(1, sizeof *d);
    if (!d) return SQLITE_NOMEM;
    strcpy(d->name, name);
    d->next = mem_files;
    mem_files = d;
  }
  d->open_count++;
  mf->data = d;
  mf->delete_on_close = (flags & SQLITE_OPEN_DELETEONCLOSE) != 0;
  mf->base.pMethods = &mem_io;
  if (out_flags) *out_flags = flags;
  return SQLITE_OK;
}

static int mem_delete(sqlite3_vfs *vfs, const char *name, int sync_dir) {
  (void)vfs;
  (void)sync_dir;
  memdata *d = memdata_find(name);
  if (!d) return SQLITE_IOERR_DELETE_NOENT;
  if (d->open_count) d->unlinked = 1;
  else memdata_unlink(d);
  return SQLITE_OK;
}

static int mem_access(sqlite3_vfs *vfs, const char *name, int flags, int *out) {
  (void)vfs;
  (void)flags;
  memdata *d = memdata_find(name);
  *out = d != NULL && d->size > 0;
  return SQLITE_OK;
}

static int mem_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out) {
  (void)vfs;
  size_t len = strlen(name);
  if ((int)len >= n) return SQLITE_CANTOPEN;
  memcpy(out, name, len + 1);
  return SQLITE_OK;
}

static uint64_t random_state = 0x5EED;
static int mem_randomness(sqlite3_vfs *vfs, int n, char *out) {
  (void)vfs;
  bench_rng r = {random_state};
  for (int i = 0; i < n; i++) out[i] = (char)bench_next64(&r);
  random_state = r.s;
  return n;
}

static int mem_sleep(sqlite3_vfs *vfs, int us) {
  (void)vfs;
  return us;
}

/* A fixed clock keeps date('now') and friends deterministic. */
static int mem_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *ms) {
  (void)vfs;
  *ms = (sqlite3_int64)2460311 * 86400000; /* 2024-01-01T12:00:00Z as julian ms */
  return SQLITE_OK;
}

static int mem_current_time(sqlite3_vfs *vfs, double *day) {
  sqlite3_int64 ms;
  mem_current_time_int64(vfs, &ms);
  *day = (double)ms / 86400000.0;
  return SQLITE_OK;
}

static int mem_get_last_error(sqlite3_vfs *vfs, int n, char *out) {
  (void)vfs;
  if (n > 0) out[0] = 0;
  return 0;
}

static sqlite3_vfs mem_vfs = {
    2, sizeof(memfile), 128, NULL, "isola-mem", NULL,
    mem_open, mem_delete, mem_access, mem_full_pathname,
    NULL, NULL, NULL, NULL, /* no dynamic loading */
    mem_randomness, mem_sleep, mem_current_time, mem_get_last_error,
    mem_current_time_int64,
    NULL, NULL, NULL,
};

/* With SQLITE_OS_OTHER the application supplies these two. */
int sqlite3_os_init(void) { return sqlite3_vfs_register(&mem_vfs, 1); }
int sqlite3_os_end(void) { return SQLITE_OK; }

/* ----------------------------------------------------------- workload --- */

static uint64_t checksum;
static int failed;

static uint64_t fnv(const unsigned char *p, int n) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (int i = 0; i < n; i++) {
    h ^= p[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

static void mix_row(sqlite3_stmt *st) {
  int n = sqlite3_column_count(st);
  for (int i = 0; i < n; i++) {
    switch (sqlite3_column_type(st, i)) {
      case SQLITE_INTEGER:
        checksum = bench_mix(checksum, (uint64_t)sqlite3_column_int64(st, i));
        break;
      case SQLITE_FLOAT:
        checksum = bench_mix_double(checksum, sqlite3_column_double(st, i));
        break;
      case SQLITE_TEXT:
        checksum = bench_mix(checksum, fnv(sqlite3_column_text(st, i), sqlite3_column_bytes(st, i)));
        break;
      case SQLITE_BLOB:
        checksum = bench_mix(checksum, fnv(sqlite3_column_blob(st, i), sqlite3_column_bytes(st, i)));
        break;
      default:
        checksum = bench_mix(checksum, 0x4E554C4C);
    }
  }
}

/* Runs every statement in sql, folding each result row into the checksum. */
static void exec(sqlite3 *db, const char *sql) {
  while (sql && *sql && !failed) {
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, &tail) != SQLITE_OK) {
      failed = 1;
      break;
    }
    if (st) {
      int rc;
      while ((rc = sqlite3_step(st)) == SQLITE_ROW) mix_row(st);
      if (rc != SQLITE_DONE) failed = 1;
      sqlite3_finalize(st);
    }
    sql = tail;
  }
}

static void make_name(bench_rng *r, char *out, int *len) {
  static const char *const syll[16] = {"ka", "lo", "mi", "ne", "ru", "sa", "to", "vi",
                                       "an", "er", "is", "on", "ul", "st", "pr", "th"};
  int n = 2 + (int)(bench_next32(r) % 3), l = 0;
  for (int i = 0; i < n; i++) {
    const char *s = syll[bench_next32(r) % 16];
    out[l++] = s[0];
    out[l++] = s[1];
  }
  out[l] = 0;
  *len = l;
}

int32_t run(void) {
  BENCH_PARAM(n_customers, 4000);
  BENCH_PARAM(n_orders, 60000);
  BENCH_PARAM(n_lookups, 30000);

  checksum = 0;
  failed = 0;
  random_state = 0x5EED;
  sqlite3 *db = NULL;
  if (sqlite3_open_v2("bench.db", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "isola-mem") !=
      SQLITE_OK)
    return -1;

  exec(db,
       "PRAGMA cache_size = 500;"
       "CREATE TABLE regions(id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
       "CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT NOT NULL, region INTEGER "
       "NOT NULL REFERENCES regions(id), score REAL);"
       "CREATE TABLE orders(id INTEGER PRIMARY KEY, customer INTEGER NOT NULL REFERENCES "
       "customers(id), amount INTEGER NOT NULL, day INTEGER NOT NULL, note TEXT);");

  bench_rng rng = {2718281828u};
  exec(db, "BEGIN");
  sqlite3_stmt *ins = NULL;
  char name[16];
  int len;
  sqlite3_prepare_v2(db, "INSERT INTO regions(id, name) VALUES(?1, ?2)", -1, &ins, NULL);
  for (int i = 1; i <= 16 && ins; i++) {
    make_name(&rng, name, &len);
    sqlite3_bind_int(ins, 1, i);
    sqlite3_bind_text(ins, 2, name, len, SQLITE_TRANSIENT);
    if (sqlite3_step(ins) != SQLITE_DONE) failed = 1;
    sqlite3_reset(ins);
  }
  sqlite3_finalize(ins);
  sqlite3_prepare_v2(db, "INSERT INTO customers(id, name, region, score) VALUES(?1, ?2, ?3, ?4)",
                     -1, &ins, NULL);
  for (uint32_t i = 1; i <= n_customers && ins; i++) {
    make_name(&rng, name, &len);
    sqlite3_bind_int(ins, 1, (int)i);
    sqlite3_bind_text(ins, 2, name, len, SQLITE_TRANSIENT);
    sqlite3_bind_int(ins, 3, 1 + (int)(bench_next32(&rng) % 16));
    sqlite3_bind_double(ins, 4, (double)(bench_next32(&rng) % 100000) / 64.0);
    if (sqlite3_step(ins) != SQLITE_DONE) failed = 1;
    sqlite3_reset(ins);
  }
  sqlite3_finalize(ins);
  sqlite3_prepare_v2(db, "INSERT INTO orders(customer, amount, day, note) VALUES(?1, ?2, ?3, ?4)",
                     -1, &ins, NULL);
  for (uint32_t i = 1; i <= n_orders && ins; i++) {
    uint32_t r = bench_next32(&rng);
    /* Skewed: some customers order far more often than others. */
    uint32_t c = 1 + (uint32_t)(((uint64_t)(r & 0xFFFF) * ((r >> 16) & 0xFFFF)) % n_customers);
    sqlite3_bind_int(ins, 1, (int)c);
    sqlite3_bind_int(ins, 2, 1 + (int)(bench_next32(&rng) % 5000));
    sqlite3_bind_int(ins, 3, (int)(bench_next32(&rng) % 365));
    if (i % 3 == 0) {
      make_name(&rng, name, &len);
      sqlite3_bind_text(ins, 4, name, len, SQLITE_TRANSIENT);
    } else {
      sqlite3_bind_null(ins, 4);
    }
    if (sqlite3_step(ins) != SQLITE_DONE) failed = 1;
    sqlite3_reset(ins);
  }
  sqlite3_finalize(ins);
  exec(db, "COMMIT");

  exec(db,
       "CREATE INDEX orders_by_customer ON orders(customer, day);"
       "CREATE INDEX customers_by_region ON customers(region);"
       "CREATE INDEX orders_by_day ON orders(day);"
       /* Aggregates over a join, grouped and ordered. */
       "SELECT r.name, count(*), sum(c.score), max(c.score) FROM customers c "
       "  JOIN regions r ON r.id = c.region GROUP BY r.name ORDER BY r.name;"
       "SELECT customer, count(*), sum(amount) AS total FROM orders GROUP BY customer "
       "  ORDER BY total DESC, customer LIMIT 50;"
       "SELECT r.name, sum(o.amount), count(DISTINCT o.customer) FROM orders o "
       "  JOIN customers c ON c.id = o.customer JOIN regions r ON r.id = c.region "
       "  WHERE o.day BETWEEN 100 AND 200 GROUP BY r.id ORDER BY 2 DESC, 1;"
       "SELECT day % 7, avg(amount), min(amount), max(amount), count(note) FROM orders "
       "  GROUP BY 1 ORDER BY 1;"
       "SELECT c.name, o.day, o.amount FROM customers c JOIN orders o ON o.customer = c.id "
       "  WHERE c.name LIKE 'ka%' ORDER BY o.amount DESC, o.id LIMIT 200;"
       "SELECT name FROM customers WHERE id IN (SELECT customer FROM orders GROUP BY customer "
       "  HAVING sum(amount) > 100000) ORDER BY name, id LIMIT 100;"
       "SELECT customer, amount, rank() OVER (PARTITION BY customer ORDER BY amount DESC) "
       "  FROM orders WHERE customer <= 300 ORDER BY customer, 3, id;"
       "SELECT upper(substr(name, 1, 3)), count(*), group_concat(id % 10, '') FROM customers "
       "  GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 20;"
       "SELECT date('now'), date('now', '+100 days'), strftime('%j', 'now');");

  /* Many small prepared queries that use the (customer, day) index. */
  sqlite3_stmt *q = NULL;
  sqlite3_prepare_v2(db, "SELECT sum(amount), count(*) FROM orders WHERE customer = ?1 AND day < ?2",
                     -1, &q, NULL);
  for (uint32_t i = 0; i < n_lookups && q; i++) {
    sqlite3_bind_int(q, 1, 1 + (int)(bench_next32(&rng) % n_customers));
    sqlite3_bind_int(q, 2, (int)(bench_next32(&rng) % 365));
    while (sqlite3_step(q) == SQLITE_ROW) mix_row(q);
    sqlite3_reset(q);
  }
  if (!q) failed = 1;
  sqlite3_finalize(q);

  exec(db,
       "BEGIN;"
       "UPDATE orders SET amount = amount * 2 WHERE day % 10 = 3;"
       "DELETE FROM orders WHERE amount < 50;"
       "UPDATE customers SET score = score + 1.0 WHERE region IN (2, 3, 5, 7, 11, 13);"
       "COMMIT;"
       "SELECT count(*), sum(amount), total(length(note)) FROM orders;"
       "SELECT c.region, count(*), sum(o.amount) FROM customers c "
       "  LEFT JOIN orders o ON o.customer = c.id GROUP BY c.region ORDER BY c.region;"
       "PRAGMA integrity_check;");

  checksum = bench_mix(checksum, (uint64_t)failed);
  sqlite3_close(db);
  while (mem_files) memdata_unlink(mem_files);
  if (failed) return -2;
  return bench_result(checksum);
}
