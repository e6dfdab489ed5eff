/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

/* bench-fill -- fill a helpdesk store with N tickets through the store's
   own API (plugin/libhelpdesk_store.la), as a queue that has been worked
   for a while would have them, for the scale benchmarks (bench-scale.py,
   bench-memory.py) and, with -s, an open queue with SLA clocks for the
   sweep's (bench-sweep.py).

   usage: bench-fill [-g MAILBOX-GUID] [-u FIRST-UID] [-s DUE [-a AGE]] [-q] DSN N
     DSN   sqlite:/absolute/path.db (created with the schema when missing)
           or pgsql:CONNECT
     N     tickets to record
     -g    where the messages are (hd_messages.mailbox_guid; default
           a GUID of no real mailbox: the messages count as moved away,
           e.g. resolved and archived, and a delivery's ticket update
           finds no UID of them in the queue)
     -u    UID of the first message (default 1); the messages get UIDs
           one after another in the order below (bench-memory puts the
           same messages into the queue mailbox)
     -s    SLA clocks on (the shipped default policy, built by
           helpdesk_settings_parse() as the plugin builds it), every
           ticket open with a running clock, and DUE of them due for
           the sweep (bench-sweep.py); see below
     -q    no progress lines

   Message keys are what the plugin makes of a Message-ID header (the
   id without its angle brackets, helpdesk_message_key_from_id()): the
   message <fill-i@bench.example> has the key fill-i@bench.example.
   Ticket i (1..N) is opened by <fill-i@bench.example> from
   cust(i % 5000)@customer.example (participants: the sender and, for
   every fourth ticket, a Cc). Then, as a real queue:
     i % 2 == 0  a customer follow-up <fill-i-f@bench.example>
     i % 3 == 0  claimed by alice, bob or carol; the agent's reply
                 <fill-i-a@bench.example> (recorded as kind "agent",
                 "replied" event: the ticket waits on the customer)
     i % 5 == 0  resolved by its owner (or by alice)
   so tickets with i % 30 == 1 are "new" with one message: the scale
   benchmark's follow-ups go to those. The agents alice, bob and carol
   are registered (alice is a lead).

   With -s DUE the queue is an open one instead, each ticket with its
   two SLA clocks running (a response clock and the resolution clock):
     all         opened by the customer (the first response is owed)
     i % 3 == 0  claimed by alice, bob or carol, the agent's reply, then
                 the customer's follow-up (the next response is owed)
     i % 2 == 0  (the others) the customer's follow-up
   nothing resolved. DUE tickets, spread evenly over 1..N (ticket i is
   due when i * DUE / N != (i - 1) * DUE / N, integer division), are
   recorded 30 days in the past: their deadlines (at most 5 days with
   the default policy) have passed, their sla_next is in the past and a
   sweep gives each two warnings and two breaches (sla_warned and
   sla_breached of the response and the resolution clock). The others
   are recorded 30 days from now: not due before then, so a filled store
   can be kept that long (bench-sweep.py caches the big ones). Ticket i
   is ticket number i in a new store. -a AGE records the due tickets AGE
   seconds in the past instead (the steady state of a sweep run every
   minute: e.g. 7h50m, just past the default normal first response's
   warning point at 7h45m, before its deadline).

   Prints, with -g/-u, one line per message to stdout when BENCH_FILL_MAP
   is set in the environment: "UID TICKET KEY KIND" (for building the
   mailbox). Progress goes to stderr. */

#include "lib.h"
#include "ioloop.h"
#include "array.h"
#include "str.h"
#include "strnum.h"
#include "helpdesk-settings.h"
#include "helpdesk-store.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <time.h>

#define DEFAULT_GUID "b0000000000000000000000000000bec"
#define MODULEDIR "/usr/lib/dovecot/modules"
/* -s: where due and not-due tickets' clocks start, from now */
#define SLA_DUE_OFFSET (-30 * 24 * 3600)
#define SLA_LATER_OFFSET (30 * 24 * 3600)
/* -s: the steps of a ticket's life, apart (seconds) */
#define SLA_STEP_SECS 600

static const char *const agents[] = { "alice", "bob", "carol" };

struct fill_ctx {
	struct helpdesk_store *store;
	const char *guid;
	uint32_t next_uid;
	bool map;
	int64_t now;
	unsigned long long transactions;

	/* -s */
	bool sla;
	unsigned long n, due, due_count;
	/* -a: how long ago the due tickets were opened */
	int64_t due_age;
	const char *dsn;
};

static void fail(const char *what, const char *error)
{
	i_fatal("bench-fill: %s: %s", what, error);
}

static void fill_location(struct fill_ctx *ctx, const char *key,
			  uint64_t ticket, const char *kind)
{
	uint32_t uid = ctx->next_uid++;

	helpdesk_store_set_location(ctx->store, key, ctx->guid, uid);
	if (ctx->map) {
		printf("%u %llu %s %s\n", uid, (unsigned long long)ticket,
		       key, kind);
	}
}

/* The customer opens ticket i at time t: *ticket_r; participants (three
   entries) and *sender_r are the ticket's. */
static uint64_t
fill_open(struct fill_ctx *ctx, unsigned long i, int64_t t,
	  const char *participants[3], const char **sender_r)
{
	struct helpdesk_store_message msg;
	const char *key, *sender, *error;
	uint64_t ticket;

	sender = t_strdup_printf("cust%lu@customer.example", i % 5000);
	participants[0] = sender;
	participants[1] = i % 4 == 0 ?
		t_strdup_printf("boss%lu@customer.example", i % 700) : NULL;
	participants[2] = NULL;

	key = t_strdup_printf("fill-%lu@bench.example", i);
	i_zero(&msg);
	msg.key = key;
	msg.sender = sender;
	msg.subject = t_strdup_printf("Printer %lu on fire", i);
	msg.kind = "customer";
	msg.participants = participants;
	msg.ev_created = TRUE;
	msg.now = t;
	msg.ticket_subject = msg.subject;
	msg.ticket_requester = sender;
	msg.ticket_priority = i % 7 == 0 ? "high" : "normal";
	msg.ticket_team = i % 11 == 0 ? "billing" : "";
	msg.ticket_vip = i % 13 == 0;
	if (helpdesk_store_record_message(ctx->store, &msg, &ticket,
					  NULL, NULL, &error) < 0)
		fail("record a new ticket", error);
	ctx->transactions++;
	fill_location(ctx, key, ticket, "new");
	*sender_r = sender;
	return ticket;
}

/* The customer writes again at time t. */
static void
fill_followup(struct fill_ctx *ctx, unsigned long i, uint64_t ticket,
	      int64_t t, const char *sender, const char *const *participants)
{
	struct helpdesk_store_message msg;
	const char *key, *error;

	key = t_strdup_printf("fill-%lu-f@bench.example", i);
	i_zero(&msg);
	msg.key = key;
	msg.ticket = ticket;
	msg.sender = sender;
	msg.subject = t_strdup_printf("Re: Printer %lu on fire", i);
	msg.kind = "customer";
	msg.participants = participants;
	msg.customer_reply = TRUE;
	msg.now = t;
	if (helpdesk_store_record_message(ctx->store, &msg, &ticket,
					  NULL, NULL, &error) < 0)
		fail("record a follow-up", error);
	ctx->transactions++;
	fill_location(ctx, key, ticket, "followup");
}

/* agent claims the ticket at time t and answers: it waits on the
   customer. */
static void
fill_agent_reply(struct fill_ctx *ctx, unsigned long i, uint64_t ticket,
		 const char *agent, int64_t t)
{
	struct helpdesk_store_message msg;
	const char *key, *error, *owner;
	bool changed, won;

	if (helpdesk_store_claim(ctx->store, ticket, agent, t, &won, &owner,
				 &error) < 0)
		fail("claim", error);
	key = t_strdup_printf("fill-%lu-a@bench.example", i);
	i_zero(&msg);
	msg.key = key;
	msg.ticket = ticket;
	msg.sender = t_strdup_printf("%s@example.com", agent);
	msg.subject = t_strdup_printf("Re: Printer %lu on fire", i);
	msg.kind = "agent";
	msg.now = t;
	if (helpdesk_store_record_message(ctx->store, &msg, &ticket, NULL,
					  NULL, &error) < 0)
		fail("record an agent's reply", error);
	fill_location(ctx, key, ticket, "agent");
	if (helpdesk_store_ticket_action(ctx->store, ticket,
					 HELPDESK_ACTION_REPLY, agent, key, t,
					 &changed, &error) < 0)
		fail("reply action", error);
	ctx->transactions += 3;
}

static void fill_ticket(struct fill_ctx *ctx, unsigned long i)
{
	const char *participants[3], *sender, *error;
	const char *agent = agents[i % N_ELEMENTS(agents)];
	uint64_t ticket;
	bool changed;

	ticket = fill_open(ctx, i, ctx->now, participants, &sender);
	if (i % 2 == 0)
		fill_followup(ctx, i, ticket, ctx->now, sender, participants);
	if (i % 3 == 0)
		fill_agent_reply(ctx, i, ticket, agent, ctx->now);
	if (i % 5 == 0) {
		if (helpdesk_store_ticket_action(ctx->store, ticket,
						 HELPDESK_ACTION_RESOLVE,
						 i % 3 == 0 ? agent : "alice",
						 "", ctx->now, &changed,
						 &error) < 0)
			fail("resolve", error);
		ctx->transactions++;
	}
}

static const char *fill_sla_getenv(const char *name, void *context)
{
	struct fill_ctx *ctx = context;

	/* the rest of the SLA settings: the shipped defaults */
	if (strcmp(name, "helpdesk_queue") == 0)
		return "Public/Queue";
	if (strcmp(name, "helpdesk_db") == 0)
		return ctx->dsn;
	return NULL;
}

static bool fill_sla_is_due(const struct fill_ctx *ctx, unsigned long i)
{
	unsigned long long a = (unsigned long long)i * ctx->due / ctx->n;
	unsigned long long b = (unsigned long long)(i - 1) * ctx->due / ctx->n;

	return a != b;
}

/* -s: ticket i of an open queue, its clocks running (see the top). */
static void fill_sla_ticket(struct fill_ctx *ctx, unsigned long i)
{
	const char *participants[3], *sender;
	const char *agent = agents[i % N_ELEMENTS(agents)];
	bool due = fill_sla_is_due(ctx, i);
	int64_t t = due ? ctx->now - ctx->due_age :
		ctx->now + SLA_LATER_OFFSET + (int64_t)(i % 86400);
	uint64_t ticket;

	if (due)
		ctx->due_count++;
	ticket = fill_open(ctx, i, t, participants, &sender);
	if (i % 3 == 0) {
		/* an agent claims it and answers: it waits on the customer */
		t += SLA_STEP_SECS;
		fill_agent_reply(ctx, i, ticket, agent, t);
	}
	if (i % 2 == 0 || i % 3 == 0) {
		/* the customer writes (again): open, the agent's turn */
		t += SLA_STEP_SECS;
		fill_followup(ctx, i, ticket, t, sender, participants);
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: bench-fill [-g MAILBOX-GUID] [-u FIRST-UID] "
		"[-s DUE [-a AGE]] [-q] sqlite:/path.db N\n");
	exit(2);
}

int main(int argc, char *argv[])
{
	struct fill_ctx ctx;
	struct ioloop *ioloop;
	const char *error, *dsn;
	unsigned long n, i, step;
	bool created, quiet = FALSE;
	struct timespec t0, t1, tl;
	struct helpdesk_settings set;
	pool_t set_pool = NULL;
	const char *due_arg = NULL;
	double secs;
	int c;

	i_zero(&ctx);
	ctx.guid = DEFAULT_GUID;
	ctx.next_uid = 1;
	ctx.map = getenv("BENCH_FILL_MAP") != NULL;
	ctx.due_age = -(SLA_DUE_OFFSET);
	while ((c = getopt(argc, argv, "g:u:s:a:q")) > 0) {
		switch (c) {
		case 'g':
			ctx.guid = optarg;
			break;
		case 'u':
			if (str_to_uint32(optarg, &ctx.next_uid) < 0)
				usage();
			break;
		case 's':
			ctx.sla = TRUE;
			due_arg = optarg;
			break;
		case 'a':
			if (str_to_int64(optarg, &ctx.due_age) < 0 ||
			    ctx.due_age < 0)
				usage();
			break;
		case 'q':
			quiet = TRUE;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2)
		usage();
	dsn = argv[optind];
	n = strtoul(argv[optind + 1], NULL, 10);
	ctx.dsn = dsn;
	ctx.n = n;
	if (ctx.sla) {
		if (str_to_ulong(due_arg, &ctx.due) < 0 || ctx.due > n)
			usage();
	}

	lib_init();
	ioloop = io_loop_create();
	ctx.now = ioloop_time;
	if (helpdesk_store_init(dsn, MODULEDIR, NULL, &ctx.store,
				&error) < 0)
		fail("init", error);
	if (helpdesk_store_check(ctx.store, TRUE, &created, &error) < 0)
		fail("open", error);
	if (ctx.sla) {
		/* the policy as the plugin builds it from its settings */
		set_pool = pool_alloconly_create("bench-fill settings", 1024);
		if (helpdesk_settings_parse(set_pool, fill_sla_getenv, &ctx,
					    &set, &error) <= 0)
			fail("settings", error);
		if (!set.sla_enabled)
			fail("settings", set.sla_error);
		helpdesk_store_set_sla(ctx.store, &set);
		if (!helpdesk_store_sla_enabled(ctx.store))
			fail("settings", "SLA clocks are off");
	}
	/* the filler is the only writer: no need to wait long */
	for (i = 0; i < N_ELEMENTS(agents); i++) {
		if (helpdesk_store_agent_set(ctx.store, agents[i],
				t_strdup_printf("%s@example.com", agents[i]),
				"", i == 0, ctx.now, &error) < 0)
			fail("agent add", error);
	}

	step = n >= 100000 ? n / 100 : n >= 10000 ? n / 10 : n;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	tl = t0;
	for (i = 1; i <= n; i++) {
		T_BEGIN {
			if (ctx.sla)
				fill_sla_ticket(&ctx, i);
			else
				fill_ticket(&ctx, i);
		} T_END;
		if (!quiet && (i % step == 0 || i == n)) {
			clock_gettime(CLOCK_MONOTONIC, &t1);
			secs = (t1.tv_sec - t0.tv_sec) +
				(t1.tv_nsec - t0.tv_nsec) / 1e9;
			fprintf(stderr, "bench-fill: %lu/%lu tickets (%.0f%%), "
				"%llu transactions, %.1f s, %.0f tickets/s "
				"(last step %.0f/s)\n", i, n, 100.0 * i / n,
				ctx.transactions, secs, i / secs,
				step / ((t1.tv_sec - tl.tv_sec) +
					(t1.tv_nsec - tl.tv_nsec) / 1e9));
			tl = t1;
		}
	}
	if (helpdesk_store_flush(ctx.store, &error) < 0)
		fail("flush", error);
	if (ctx.sla && !quiet) {
		fprintf(stderr, "bench-fill: %lu of %lu tickets due for the "
			"SLA sweep\n", ctx.due_count, n);
	}
	helpdesk_store_deinit(&ctx.store);
	helpdesk_store_drivers_deinit();
	pool_unref(&set_pool);
	io_loop_destroy(&ioloop);
	lib_deinit();
	if (ctx.map)
		fflush(stdout);
	return 0;
}
