/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* bench-sqlite-floor -- what one SQLite write transaction of one row costs
   on this machine, as the helpdesk store writes it: WAL journal,
   synchronous=NORMAL, statements prepared once (BEGIN IMMEDIATE, one
   INSERT, COMMIT), a fresh database file in a temporary directory.

   usage: bench-sqlite-floor [ITERATIONS [DIR]]
     ITERATIONS  timed transactions (default 2000; 100 more warm up first)
     DIR         where the temporary database goes (default /tmp)

   Prints one line:
     floor: n=N median_ms=M mean_ms=A p10_ms=L p90_ms=H
   (bench-store.py reads it) and removes the database. */

#include <sqlite3.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WARMUP 100

static void die(sqlite3 *db, const char *what)
{
	fprintf(stderr, "bench-sqlite-floor: %s: %s\n", what,
		db == NULL ? "out of memory" : sqlite3_errmsg(db));
	exit(1);
}

static void exec_sql(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "bench-sqlite-floor: %s: %s\n", sql,
			err == NULL ? sqlite3_errmsg(db) : err);
		exit(1);
	}
}

static void step_reset(sqlite3 *db, sqlite3_stmt *stmt, const char *what)
{
	if (sqlite3_step(stmt) != SQLITE_DONE)
		die(db, what);
	sqlite3_reset(stmt);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y ? 1 : 0;
}

int main(int argc, char *argv[])
{
	unsigned int n = argc > 1 ? (unsigned int)strtoul(argv[1], NULL, 10) : 2000;
	const char *dir = argc > 2 ? argv[2] : "/tmp";
	char tmpl[4096], path[4200], key[128];
	sqlite3 *db;
	sqlite3_stmt *begin, *insert, *commit;
	double *times, t0, sum = 0;
	unsigned int i;

	if (n == 0)
		n = 1;
	snprintf(tmpl, sizeof(tmpl), "%s/hdfloor-XXXXXX", dir);
	if (mkdtemp(tmpl) == NULL) {
		fprintf(stderr, "bench-sqlite-floor: mkdtemp(%s): %s\n",
			tmpl, strerror(errno));
		return 1;
	}
	snprintf(path, sizeof(path), "%s/floor.db", tmpl);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
			    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK)
		die(db, "open");
	sqlite3_busy_timeout(db, 1000);
	/* the store's settings (helpdesk-store.c) */
	exec_sql(db, "PRAGMA journal_mode=WAL");
	exec_sql(db, "PRAGMA synchronous=NORMAL");
	/* a row like a ledger event: a unique text key and a few columns */
	exec_sql(db, "CREATE TABLE ev (id INTEGER PRIMARY KEY AUTOINCREMENT,"
		 " event_key TEXT NOT NULL UNIQUE, ticket_id BIGINT NOT NULL,"
		 " kind TEXT NOT NULL, actor TEXT NOT NULL DEFAULT '',"
		 " created BIGINT NOT NULL)");

	if (sqlite3_prepare_v3(db, "BEGIN IMMEDIATE", -1,
			       SQLITE_PREPARE_PERSISTENT, &begin, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(db, "INSERT INTO ev (event_key, ticket_id, "
			       "kind, actor, created) VALUES (?, ?, 'claimed', "
			       "'alice', ?)", -1, SQLITE_PREPARE_PERSISTENT,
			       &insert, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(db, "COMMIT", -1, SQLITE_PREPARE_PERSISTENT,
			       &commit, NULL) != SQLITE_OK)
		die(db, "prepare");

	times = calloc(n, sizeof(*times));
	if (times == NULL)
		die(NULL, "calloc");
	for (i = 0; i < WARMUP + n; i++) {
		snprintf(key, sizeof(key), "claimed:%u:alice:%08x%08x", i,
			 (unsigned int)rand(), (unsigned int)rand());
		t0 = now_ms();
		step_reset(db, begin, "BEGIN IMMEDIATE");
		sqlite3_bind_text(insert, 1, key, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(insert, 2, (sqlite3_int64)i + 1);
		sqlite3_bind_int64(insert, 3, (sqlite3_int64)time(NULL));
		step_reset(db, insert, "INSERT");
		sqlite3_clear_bindings(insert);
		step_reset(db, commit, "COMMIT");
		if (i >= WARMUP)
			times[i - WARMUP] = now_ms() - t0;
	}
	sqlite3_finalize(begin);
	sqlite3_finalize(insert);
	sqlite3_finalize(commit);
	sqlite3_close(db);
	unlink(path);
	snprintf(path, sizeof(path), "%s/floor.db-wal", tmpl);
	unlink(path);
	snprintf(path, sizeof(path), "%s/floor.db-shm", tmpl);
	unlink(path);
	rmdir(tmpl);

	for (i = 0; i < n; i++)
		sum += times[i];
	qsort(times, n, sizeof(*times), cmp_double);
	printf("floor: n=%u median_ms=%.4f mean_ms=%.4f p10_ms=%.4f p90_ms=%.4f\n",
	       n, n % 2 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2,
	       sum / n, times[n / 10], times[n * 9 / 10]);
	free(times);
	return 0;
}
