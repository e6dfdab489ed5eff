#ifndef HELPDESK_STATE_H
#define HELPDESK_STATE_H

/* A ticket's state and the keywords that show it: pure logic, shared by
   the save path, the agents' keyword actions, reconcile and the tests. */

/* Keyword names without the prefix (the whole vocabulary is
   helpdesk_keyword_classify() and helpdesk_keyword_vocabulary). */
#define HELPDESK_KW_NEW "new"
#define HELPDESK_KW_OPEN "open"
#define HELPDESK_KW_WAITING "waiting"
#define HELPDESK_KW_RESOLVED "resolved"
#define HELPDESK_KW_PENDING "pending"
#define HELPDESK_KW_AUTO "auto"
/* a customer's satisfaction rating (helpdesk-csat.c): no ticket, in the
   class of automatic mail */
#define HELPDESK_KW_RATING "rating"
#define HELPDESK_KW_VIP "vip"
#define HELPDESK_KW_CLAIM "claim"
#define HELPDESK_KW_ESCALATE "escalate"
#define HELPDESK_KW_OWNER_PREFIX "owner-"
#define HELPDESK_KW_TEAM_PREFIX "team-"
#define HELPDESK_KW_PRIO_PREFIX "prio-"
#define HELPDESK_KW_SLA_WARN "sla-warn"
#define HELPDESK_KW_SLA_BREACH "sla-breach"

enum helpdesk_ticket_status {
	HELPDESK_STATUS_NEW = 0,
	HELPDESK_STATUS_OPEN,
	HELPDESK_STATUS_WAITING,
	HELPDESK_STATUS_RESOLVED,
};

/* What a ticket's SLA tags show (written by the plugin and the sweep):
   a running deadline is near, or has passed. */
enum helpdesk_sla_tag {
	HELPDESK_SLA_TAG_NONE = 0,
	HELPDESK_SLA_TAG_WARN,
	HELPDESK_SLA_TAG_BREACH,
};

/* Support tiers: first to fourth line. */
#define HELPDESK_TIER_MIN 1
#define HELPDESK_TIER_MAX 4

/* What agents do to a ticket (besides claiming it). */
enum helpdesk_action_kind {
	/* arg: the owner who is removed */
	HELPDESK_ACTION_UNCLAIM = 0,
	/* arg: the new owner */
	HELPDESK_ACTION_ASSIGN,
	HELPDESK_ACTION_RESOLVE,
	HELPDESK_ACTION_REOPEN,
	/* one tier up (to the team of that tier, if there is one) */
	HELPDESK_ACTION_ESCALATE,
	/* arg: urgent, high, normal or low */
	HELPDESK_ACTION_PRIORITY,
	HELPDESK_ACTION_VIP,
	HELPDESK_ACTION_UNVIP,
	/* arg: the team */
	HELPDESK_ACTION_TEAM,
	/* an agent's reply; arg: its message key (counted once) */
	HELPDESK_ACTION_REPLY,
};

struct helpdesk_ticket_row {
	uint64_t id;
	enum helpdesk_ticket_status status;
	const char *subject, *requester, *priority, *team;
	/* owner: "" or NULL = nobody */
	const char *owner;
	unsigned int tier;
	bool vip;
	enum helpdesk_sla_tag sla;
	int64_t created, updated;
};

/* What a keyword with the helpdesk prefix means. */
enum helpdesk_kw_class {
	/* not the helpdesk's (no prefix) */
	HELPDESK_KW_CLASS_FOREIGN = 0,
	/* has the prefix but is no protocol keyword */
	HELPDESK_KW_CLASS_UNKNOWN,
	/* plugin-owned state */
	HELPDESK_KW_CLASS_STATUS,	/* arg: new, open, waiting, resolved */
	HELPDESK_KW_CLASS_PENDING,
	HELPDESK_KW_CLASS_AUTO,
	HELPDESK_KW_CLASS_SLA,		/* arg: warn, breach */
	HELPDESK_KW_CLASS_TIER,		/* arg: 1..4 */
	/* agents' actions and state they may set */
	HELPDESK_KW_CLASS_CLAIM,
	HELPDESK_KW_CLASS_ESCALATE,
	HELPDESK_KW_CLASS_OWNER,	/* arg: user name */
	HELPDESK_KW_CLASS_PRIORITY,	/* arg: urgent, high, normal, low */
	HELPDESK_KW_CLASS_VIP,
	HELPDESK_KW_CLASS_TEAM,		/* arg: team name */
};

const char *helpdesk_status_name(enum helpdesk_ticket_status status);
bool helpdesk_status_parse(const char *name,
			   enum helpdesk_ticket_status *status_r);

/* TRUE for a user or team name that may appear in a keyword
   (owner-NAME, team-NAME): letters, digits and -_.@+, at most 64. */
bool helpdesk_keyword_name_is_valid(const char *name);

/* TRUE for urgent, high, normal and low. */
bool helpdesk_priority_is_valid(const char *name);

/* Classify keyword (a full name) for the prefix; *arg_r is the part after
   the class's own prefix (owner-, prio-, team-, tier-, sla-, or the status
   name), pointing into keyword, or "" when none. An owner-, team- or prio-
   keyword with an invalid rest is UNKNOWN. */
enum helpdesk_kw_class
helpdesk_keyword_classify(const char *prefix, const char *keyword,
			  const char **arg_r);

/* TRUE for the classes only the plugin writes on incoming mail: status,
   owner, tier, pending, auto, sla, the requests (claim, escalate), and
   prefixed names that are no protocol keyword. Priority, team and VIP
   may come from Sieve. */
bool helpdesk_keyword_class_is_plugin_owned(enum helpdesk_kw_class kw_class);

/* TRUE for the classes whose keywords mirror the ticket's state on every
   message and are rewritten from the store (status, tier, owner,
   priority, VIP, team, SLA) and for the one-shot actions (claim, escalate). */
bool helpdesk_keyword_class_is_state(enum helpdesk_kw_class kw_class);

/* The protocol's fixed keywords (without the prefix), each with the name a
   mail client shows for it, in the order an agent needs them: the
   requests first (claim, resolve, escalate), then priorities, status,
   tiers and the rest. Owner and team keywords come from the registered
   agents and teams. Ends with a NULL name. */
struct helpdesk_keyword_info {
	const char *name;
	const char *label;
	/* a colour for clients' tags ("#rrggbb") */
	const char *color;
	/* set by agents (claim, resolve, escalate, priority, VIP) */
	bool agent_sets;
};
extern const struct helpdesk_keyword_info helpdesk_keyword_vocabulary[];
/* The colours of the owner and team tags */
#define HELPDESK_KW_OWNER_COLOR "#3366cc"
#define HELPDESK_KW_TEAM_COLOR "#8c564b"

/* The state keywords (full names, data stack, NULL-terminated) every
   message of the ticket carries: status, owner, tier, priority, VIP,
   team and the SLA tag. */
const char *const *
helpdesk_ticket_state_keywords(const char *prefix,
			       const struct helpdesk_ticket_row *row);

#endif
