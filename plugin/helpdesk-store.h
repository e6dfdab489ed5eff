#ifndef HELPDESK_STORE_H
#define HELPDESK_STORE_H

/* The helpdesk store: tickets, messages, participants, agents, teams and
   the append-only event ledger, in SQLite (its own API, prepared
   statements) or PostgreSQL (Dovecot's lib-sql), helpdesk-db.h. All SQL
   lives in the store, by table: helpdesk-store-ticket.c (tickets,
   messages), -agent.c (agents, teams), -ledger.c (events). Every
   write is idempotent (keyed by the ticket's origin message or the event's
   message key), so a retried or replayed delivery records nothing twice.
   All functions return 0 on success and -1 with *error_r on failure; the
   caller decides how to log. */

struct helpdesk_store;

#include "helpdesk-state.h"
#include "helpdesk-sla.h"

struct helpdesk_settings;

/* One incoming message as the store records it. */
struct helpdesk_store_message {
	const char *key;		/* Message-ID or content key */
	uint64_t ticket;		/* 0: none (auto mail, no ticket) */
	const char *sender;		/* address, may be NULL */
	const char *subject;		/* decoded, may be NULL */
	const char *kind;		/* "customer" or "auto" */
	/* participants to add (addresses), NULL-terminated, may be NULL */
	const char *const *participants;
	/* events to append: "created", "message", "auto" */
	bool ev_created;
	/* a customer's follow-up: a ticket waiting on the customer is open
	   again, a resolved one is reopened (with a "reopened" event) --
	   decided in the write, by the state the ticket has then */
	bool customer_reply;
	const char *auto_reason;	/* for the "auto" event, or NULL */
	int64_t now;

	/* ev_created: the ticket to open, keyed by this message's key */
	const char *ticket_subject, *ticket_requester;
	const char *ticket_priority, *ticket_team;
	bool ticket_vip;
	/* ev_created: ticket_team hands out its tickets
	   (helpdesk_store_team_routes()): the new ticket goes to an agent
	   in the same transaction */
	bool ticket_route;
};

/* Create a store handle for a "sqlite:PATH" or "pgsql:CONNECT" string.
   Loads the lib-sql driver module from moduledir if needed. Does not
   connect: that happens at the first use. */
int helpdesk_store_init(const char *dsn, const char *moduledir,
			struct event *event_parent,
			struct helpdesk_store **store_r, const char **error_r);
void helpdesk_store_deinit(struct helpdesk_store **store);

/* Unload the lib-sql driver modules this plugin loaded (module deinit). */
void helpdesk_store_drivers_deinit(void);

/* Make sure the store is reachable and has the current schema. A missing
   store (no SQLite file, no tables) is created only when may_create;
   *created_r tells that it was. Cheap after the first success in a
   process. */
int helpdesk_store_check(struct helpdesk_store *store, bool may_create,
			 bool *created_r, const char **error_r);

/* How long an SQLite write waits for another writer (the driver's default
   is 1 s, right for deliveries, which must not be delayed; agents' IMAP
   actions may wait longer under contention). No-op for PostgreSQL. */
void helpdesk_store_set_busy_timeout(struct helpdesk_store *store,
				     unsigned int msecs);

/* TRUE when the SQLite file this handle has open was removed or replaced
   (restored from a backup, rebuilt by reconcile): open it again. */
bool helpdesk_store_replaced(struct helpdesk_store *store);

struct helpdesk_store_lookup {
	/* the message itself was recorded before (a replay): its ticket
	   (known_row.id, 0 for none) */
	bool known;
	struct helpdesk_ticket_row known_row;
	/* the ticket of the first message of ref_ids that has one
	   (ref_row.id, 0 for none) */
	struct helpdesk_ticket_row ref_row;
	/* when any message was found: the agent who writes from sender, and
	   the agent whose reply this message was counted as (NULL: none) */
	const char *sender_agent, *reply_actor;
};

/* Look up a message by its key and the tickets of the messages it refers
   to (Message-IDs, most relevant first), in one query. */
int helpdesk_store_lookup_message(struct helpdesk_store *store,
				  const char *key, const char *sender,
				  const char *const *ref_ids,
				  unsigned int ref_count, pool_t pool,
				  struct helpdesk_store_lookup *lookup_r,
				  const char **error_r);
int helpdesk_store_get_ticket(struct helpdesk_store *store, uint64_t id,
			      pool_t pool, struct helpdesk_ticket_row *row_r,
			      bool *found_r, const char **error_r);
int helpdesk_store_is_participant(struct helpdesk_store *store,
				  uint64_t ticket, const char *address,
				  bool *result_r, const char **error_r);
/* An agent claims a ticket: it becomes the owner only when the ticket
   has none (*won_r), atomically, so concurrent claims from several
   processes leave exactly one owner; the "claimed" event is recorded for
   the winner. *owner_r is the owner afterwards (NULL: no such ticket). */
int helpdesk_store_claim(struct helpdesk_store *store, uint64_t ticket,
			 const char *user, int64_t now, bool *won_r,
			 const char **owner_r, const char **error_r);

/* The ledger's name for the action's event ("resolved", ...). */
const char *helpdesk_action_event_name(enum helpdesk_action_kind kind);

/* Apply an agent's action with its event, in one transaction. *changed_r
   is FALSE when there was nothing to do: no such ticket, it already was
   so (nothing is written), or the reply was counted before. */
int helpdesk_store_ticket_action(struct helpdesk_store *store,
				 uint64_t ticket,
				 enum helpdesk_action_kind kind,
				 const char *actor, const char *arg,
				 int64_t now, bool *changed_r,
				 const char **error_r);

/* The agent whose reply this message is (counted before, e.g. from the
   agent's Sent folder), or *actor_r = NULL. */
int helpdesk_store_reply_actor(struct helpdesk_store *store,
			       const char *message_key, const char **actor_r,
			       const char **error_r);

/* Agents: *role_r is "agent" or "lead", NULL when username is not
   registered; *any_r tells whether any agent is registered at all (none:
   every user with rights on the queue acts as an agent). */
int helpdesk_store_agent_get(struct helpdesk_store *store,
			     const char *username, const char **role_r,
			     bool *any_r, const char **error_r);
/* Before agents' actions: helpdesk_store_agent_get() for username, and
   *missing_r = the first of tickets that is not in the store (0: all
   are), in one query. */
int helpdesk_store_check_actor(struct helpdesk_store *store,
			       const char *username,
			       const ARRAY_TYPE(uint64_t) *tickets,
			       const char **role_r, bool *any_r,
			       uint64_t *missing_r, const char **error_r);
/* The agent who writes from address, or *username_r = NULL. */
int helpdesk_store_agent_by_address(struct helpdesk_store *store,
				    const char *address,
				    const char **username_r,
				    const char **error_r);
/* Add or update an agent. */
int helpdesk_store_agent_set(struct helpdesk_store *store,
			     const char *username, const char *address,
			     const char *team, bool lead, int64_t now,
			     const char **error_r);
int helpdesk_store_agent_remove(struct helpdesk_store *store,
				const char *username, bool *removed_r,
				const char **error_r);
/* The registered agents' user names and the teams' names, sorted, appended
   to names (allocated from pool). */
int helpdesk_store_agent_names(struct helpdesk_store *store, pool_t pool,
			       ARRAY_TYPE(const_string) *names,
			       const char **error_r);
int helpdesk_store_team_names(struct helpdesk_store *store, pool_t pool,
			      ARRAY_TYPE(const_string) *names,
			      const char **error_r);
/* Teams: *any_r tells whether any team is registered at all. */
int helpdesk_store_team_get(struct helpdesk_store *store, const char *name,
			    bool *found_r, bool *any_r, const char **error_r);
/* How a team hands out its new tickets. */
#define HELPDESK_ROUTING_MANUAL "manual"
#define HELPDESK_ROUTING_ROUND_ROBIN "round-robin"
#define HELPDESK_ROUTING_LEAST_OPEN "least-open"
bool helpdesk_routing_is_valid(const char *mode);

struct helpdesk_store_team_settings {
	/* each NULL: kept as it is (for a new team: the default: no tier,
	   no description, manual routing, no SLA overrides); "" for an
	   override: the global setting counts again */
	/* 0 = serves no particular tier */
	const unsigned int *tier;
	const char *description;
	const char *routing;
	struct helpdesk_sla_overrides sla;
};
/* Add or update a team (the caller has checked the values). */
int helpdesk_store_team_set(struct helpdesk_store *store, const char *name,
			    const struct helpdesk_store_team_settings *set,
			    int64_t now, const char **error_r);

/* An agent is away (gets no tickets by routing) or back. *found_r: the
   agent is registered. */
int helpdesk_store_agent_set_away(struct helpdesk_store *store,
				  const char *username, bool away,
				  bool *found_r, const char **error_r);

/* Is the agent away? *found_r: the agent is registered. */
int helpdesk_store_agent_get_away(struct helpdesk_store *store,
				  const char *username, bool *away_r,
				  bool *found_r, const char **error_r);

/* Does team hand out its tickets automatically (round-robin,
   least-open)? FALSE for "" and unknown teams. */
int helpdesk_store_team_routes(struct helpdesk_store *store, const char *team,
			       bool *automatic_r, const char **error_r);

/* Routing (helpdesk-store-route.c): when the ticket's team hands out its
   tickets (round-robin or least-open), give the ticket to the next
   available agent of that team, with an "assigned" event by "auto" --
   only when it has no owner, unless replace_owner (an escalation to that
   team). Concurrent routings of one team are serialized, so that no agent
   gets two in a row from a race. *owner_r: the agent it went to, NULL
   when it went to nobody (manual team, nobody available). */
int helpdesk_store_route_ticket(struct helpdesk_store *store, uint64_t ticket,
				int64_t now, bool replace_owner,
				const char **owner_r, const char **error_r);

/* Rebuild: insert ticket row->id as it was (from a queue message's
   header) unless it exists. Then helpdesk_store_sync_sequence() makes new
   numbers continue after the highest one. */
int helpdesk_store_adopt_ticket(struct helpdesk_store *store,
				const struct helpdesk_ticket_row *row,
				const char *origin_key, const char **error_r);
int helpdesk_store_sync_sequence(struct helpdesk_store *store,
				 const char **error_r);
/* Record a message, its participants and its events in one transaction.
   With ev_created the ticket is opened in the same transaction (or found,
   when this message opened it before: a replay or a concurrent delivery)
   and *ticket_r is its number; otherwise *ticket_r = msg->ticket.
   *reopened_r (may be NULL): this customer reply reopened a resolved
   ticket. *owner_r (may be NULL): with ticket_route, the agent the new
   ticket went to, NULL for nobody. */
int helpdesk_store_record_message(struct helpdesk_store *store,
				  const struct helpdesk_store_message *msg,
				  uint64_t *ticket_r, bool *reopened_r,
				  const char **owner_r, const char **error_r);
/* Remember where the message was saved (after the mail commit). Written
   with the next write transaction, or by helpdesk_store_flush(): a
   delivery costs one write transaction, not two. */
void helpdesk_store_set_location(struct helpdesk_store *store,
				 const char *key, const char *mailbox_guid,
				 uint32_t uid);
/* Remember another copy of a message that was recorded before (a replayed
   delivery saved it again), so that the copy follows the ticket's state
   too. Such rows have kind 'copy'. */
int helpdesk_store_add_copy(struct helpdesk_store *store, const char *key,
			    uint64_t ticket, const char *mailbox_guid,
			    uint32_t uid, int64_t now, const char **error_r);
/* The message was moved: it is now at mailbox_guid/uid. */
int helpdesk_store_move_location(struct helpdesk_store *store,
				 const char *key, const char *mailbox_guid,
				 uint32_t uid, const char **error_r);
/* TRUE when locations wait to be written. */
bool helpdesk_store_have_pending(struct helpdesk_store *store);
/* Write the pending locations now. */
int helpdesk_store_flush(struct helpdesk_store *store, const char **error_r);
/* The ticket (row_r->id = 0: no such ticket), the UIDs of its messages
   in the given mailbox (by GUID), and how many of its messages have no
   location yet (*unknown_r: another process has not written it yet, or
   it was lost in a crash), in one query. */
int helpdesk_store_ticket_uids(struct helpdesk_store *store, uint64_t ticket,
			       const char *mailbox_guid, pool_t pool,
			       struct helpdesk_ticket_row *row_r,
			       ARRAY_TYPE(uint32_t) *uids,
			       unsigned int *unknown_r, const char **error_r);

/* What doveadm lists: typed rows, no SQL outside the store. */

/* A ticket with the number of its messages (copies not counted). */
struct helpdesk_store_ticket_summary {
	struct helpdesk_ticket_row row;
	unsigned int messages;
};
ARRAY_DEFINE_TYPE(helpdesk_store_ticket_summary,
		  struct helpdesk_store_ticket_summary);
/* The tickets by number: all, or those with status (not NULL), or only
   ticket id (not 0), at most limit of them. */
int helpdesk_store_ticket_list(struct helpdesk_store *store,
			       const char *status, uint64_t id,
			       unsigned int limit, pool_t pool,
			       ARRAY_TYPE(helpdesk_store_ticket_summary) *list,
			       const char **error_r);

/* A ticket's history: its events, oldest first. */
struct helpdesk_store_event {
	int64_t created;
	const char *kind, *actor, *detail;
};
ARRAY_DEFINE_TYPE(helpdesk_store_event, struct helpdesk_store_event);
int helpdesk_store_ticket_events(struct helpdesk_store *store,
				 uint64_t ticket, pool_t pool,
				 ARRAY_TYPE(helpdesk_store_event) *events,
				 const char **error_r);

/* The agents by user name, with the unresolved tickets they own. */
struct helpdesk_store_agent {
	const char *username, *address, *team, *role;
	unsigned int open_tickets;
	int64_t created;
	bool away;
};
ARRAY_DEFINE_TYPE(helpdesk_store_agent, struct helpdesk_store_agent);
int helpdesk_store_agent_list(struct helpdesk_store *store, pool_t pool,
			      ARRAY_TYPE(helpdesk_store_agent) *agents,
			      const char **error_r);

/* The teams by name, with their agents and unresolved tickets. */
struct helpdesk_store_team {
	const char *name, *description, *routing;
	unsigned int tier, agents, open_tickets;
	struct helpdesk_sla_overrides sla;
};
ARRAY_DEFINE_TYPE(helpdesk_store_team, struct helpdesk_store_team);
int helpdesk_store_team_list(struct helpdesk_store *store, pool_t pool,
			     ARRAY_TYPE(helpdesk_store_team) *teams,
			     const char **error_r);

/* SLA clocks (helpdesk-store-sla.c) */

/* The settings whose SLA policy counts (the team overrides are read from
   hd_teams); NULL or SLA off: no clocks are kept. set must outlive the
   store or be replaced. */
void helpdesk_store_set_sla(struct helpdesk_store *store,
			    const struct helpdesk_settings *set);
/* The SLA terms of a ticket of team with priority and VIP flag under the
   policy set (the team's overrides included). FALSE: no clocks are kept
   (no policy set, or SLA off). */
bool helpdesk_store_sla_terms(struct helpdesk_store *store, const char *team,
			      const char *priority, bool vip,
			      struct helpdesk_sla_terms *terms_r);
/* TRUE when clocks are kept. */
bool helpdesk_store_sla_enabled(struct helpdesk_store *store);
/* Bring the ticket's clocks up to date with its events and the time now:
   writes its warnings, breaches and met deadlines to the ledger (once
   each) and its SLA tag. *tag_changed_r: the tag (hd-sla-warn,
   hd-sla-breach) changed, its messages need the new keywords. Called by
   the store itself after each change of a ticket that moves the clocks;
   the sweep calls it for the tickets time has moved. */
int helpdesk_store_sla_refresh(struct helpdesk_store *store, uint64_t ticket,
			       int64_t now, bool *tag_changed_r,
			       const char **error_r);
/* The sweep: refresh every ticket whose next SLA moment is due by now
   (at most limit of them, found by an index: the cost follows the number
   due, not the number open). *due_r of them were due; the tickets whose
   tag changed are appended to changed. */
int helpdesk_store_sla_sweep(struct helpdesk_store *store, int64_t now,
			     unsigned int limit,
			     ARRAY_TYPE(uint64_t) *changed,
			     unsigned int *due_r, const char **error_r);
/* What ticket show prints. */
struct helpdesk_store_sla_info {
	enum helpdesk_sla_status status;
	/* the running clocks' deadlines, 0: not running */
	int64_t due[HELPDESK_SLA_CLOCK_COUNT];
	int64_t first_response_at;
};
int helpdesk_store_ticket_sla(struct helpdesk_store *store, uint64_t ticket,
			      int64_t now, struct helpdesk_store_sla_info *info_r,
			      const char **error_r);


/* Customers (helpdesk-store-customer.c): VIPs, acknowledgements,
   satisfaction ratings. Addresses and entries are kept in lower case. */

struct helpdesk_customer_facts;

/* A VIP entry is an address (user@domain) or a domain, which also
   covers its subdomains. *added_r: it was not listed before (else its
   note is replaced). */
int helpdesk_store_vip_add(struct helpdesk_store *store, const char *entry,
			   const char *note, int64_t now, bool *added_r,
			   const char **error_r);
int helpdesk_store_vip_remove(struct helpdesk_store *store,
			      const char *entry, bool *removed_r,
			      const char **error_r);
struct helpdesk_store_vip {
	const char *entry, *note;
	int64_t created;
};
ARRAY_DEFINE_TYPE(helpdesk_store_vip, struct helpdesk_store_vip);
int helpdesk_store_vip_list(struct helpdesk_store *store, pool_t pool,
			    ARRAY_TYPE(helpdesk_store_vip) *vips,
			    const char **error_r);
/* What the store knows of a customer's address (helpdesk-customer.h). */
int helpdesk_store_customer(struct helpdesk_store *store,
			    const char *address, pool_t pool,
			    struct helpdesk_customer_facts *facts_r,
			    const char **error_r);

/* An acknowledgement to address may go out now: fewer than limit were
   sent to it in the window before now. When *allowed_r, this one is
   counted (the same transaction), so the limit holds across processes. */
int helpdesk_store_ack_allow(struct helpdesk_store *store,
			     const char *address, int64_t now,
			     unsigned int window_secs, unsigned int limit,
			     bool *allowed_r, const char **error_r);

/* A resolved ticket's rating request: its latest resolution (the id of
   its "resolved" event, 0: never resolved), recorded with the owner then
   as a "csat-requested" event. *first_r: this resolution's request was
   not recorded before (send it only then). */
int helpdesk_store_csat_request(struct helpdesk_store *store,
				uint64_t ticket, int64_t now,
				uint64_t *resolution_r, bool *first_r,
				const char **error_r);

enum helpdesk_csat_result {
	/* the score is the resolution's rating now */
	HELPDESK_CSAT_RECORDED,
	/* it replaced an earlier score of the same resolution */
	HELPDESK_CSAT_REPLACED,
	/* this message was recorded before (a replayed delivery) */
	HELPDESK_CSAT_DUPLICATE,
	/* not the ticket's latest resolution (it was reopened since) */
	HELPDESK_CSAT_STALE,
	/* no rating was asked for this resolution */
	HELPDESK_CSAT_UNKNOWN,
};
const char *helpdesk_csat_result_name(enum helpdesk_csat_result result);

/* Record a verified rating (score 1..5) of a ticket's resolution, keyed
   by the rating message, with the "rated" event. */
int helpdesk_store_csat_record(struct helpdesk_store *store, uint64_t ticket,
			       uint64_t resolution, unsigned int score,
			       const char *message_key, int64_t now,
			       enum helpdesk_csat_result *result_r,
			       const char **error_r);
/* The score of the ticket's latest rated resolution (0: none). */
int helpdesk_store_csat_score(struct helpdesk_store *store, uint64_t ticket,
			      unsigned int *score_r, const char **error_r);

#endif
