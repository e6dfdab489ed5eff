/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "istream.h"
#include "hex-binary.h"
#include "sha2.h"
#include "unichar.h"
#include "ioloop.h"
#include "message-id.h"
#include "message-address.h"
#include "message-size.h"
#include "message-header-parser.h"
#include "message-header-decode.h"
#include "istream-header-filter.h"
#include "mail-storage.h"
#include "helpdesk-plugin.h"
#include "helpdesk-store.h"
#include "helpdesk-tag.h"
#include "helpdesk-intake.h"

/* Longest Message-ID kept as it is; longer ones are hashed. */
#define HELPDESK_MAX_ID_LEN 250
/* Longest subject or address kept in the store (bytes, valid UTF-8). */
#define HELPDESK_MAX_TEXT_LEN 400
/* References beyond this many (newest first) are not looked up. */
#define HELPDESK_MAX_REFS 64
#define HELPDESK_MAX_PARTICIPANTS 20

struct intake_headers {
	const char *message_id, *in_reply_to, *references;
	const char *subject;	/* decoded UTF-8 */
	const char *from, *sender, *reply_to, *cc;
	struct helpdesk_auto_headers auto_hdr;
	const char *from_addr;	/* lower-cased local@domain or NULL */
};

/* Trace headers that the MTA and LMTP add on the way, sorted for the
   header filter. */
static const char *const content_key_skip_headers[] = {
	"Delivered-To", "Received", "Return-Path", "X-Original-To"
};

/* Protocol keywords owned by the plugin: Sieve or a customer must not
   deliver a message that already carries them. */
static const char *const owned_keywords[] = {
	HELPDESK_KW_NEW, HELPDESK_KW_OPEN, HELPDESK_KW_WAITING,
	HELPDESK_KW_RESOLVED, HELPDESK_KW_PENDING, HELPDESK_KW_AUTO,
	"claim", "escalate", "sla-warn", "sla-breach", NULL
};
static const char *const owned_keyword_prefixes[] = {
	"owner-", "tier-", NULL
};

const char *helpdesk_message_key_from_id(const char *id)
{
	unsigned char digest[SHA256_RESULTLEN];

	if (strlen(id) <= HELPDESK_MAX_ID_LEN &&
	    uni_utf8_data_is_valid((const unsigned char *)id, strlen(id)))
		return id;
	sha256_get_digest(id, strlen(id), digest);
	return t_strconcat("sha256:", binary_to_hex(digest, sizeof(digest)),
			   NULL);
}

/* Valid UTF-8, at most HELPDESK_MAX_TEXT_LEN bytes, from the data stack. */
static const char *store_text(const char *value)
{
	string_t *str;
	size_t len;

	if (value == NULL)
		return NULL;
	len = strlen(value);
	if (len > HELPDESK_MAX_TEXT_LEN) {
		len = HELPDESK_MAX_TEXT_LEN;
		/* don't cut a UTF-8 sequence */
		while (len > 0 && (value[len] & 0xc0) == 0x80)
			len--;
	}
	str = t_str_new(len + 8);
	if (uni_utf8_get_valid_data((const unsigned char *)value, len, str))
		return t_strndup(value, len);
	return str_c(str);
}

static const char *addr_to_string(const struct message_address *addr)
{
	if (addr == NULL || addr->mailbox == NULL || *addr->mailbox == '\0' ||
	    addr->domain == NULL || *addr->domain == '\0')
		return NULL;
	return t_str_lcase(t_strconcat(addr->mailbox, "@", addr->domain,
				       NULL));
}

static struct message_address *parse_addresses(const char *value,
					       unsigned int max)
{
	if (value == NULL)
		return NULL;
	return message_address_parse(pool_datastack_create(),
				     (const unsigned char *)value,
				     strlen(value), max, 0);
}

static const char *first_localpart(const char *value)
{
	struct message_address *addr = parse_addresses(value, 1);

	if (addr == NULL || addr->mailbox == NULL || *addr->mailbox == '\0')
		return NULL;
	return addr->mailbox;
}

/* The headers the decision reads, in one pass over the header block (a
   mail_get_first_header() per field would parse it again and again). */
enum intake_field {
	FIELD_MESSAGE_ID, FIELD_IN_REPLY_TO, FIELD_REFERENCES, FIELD_FROM,
	FIELD_SENDER, FIELD_REPLY_TO, FIELD_CC, FIELD_AUTO_SUBMITTED,
	FIELD_PRECEDENCE, FIELD_LIST_ID, FIELD_RETURN_PATH,
	FIELD_CONTENT_TYPE, FIELD_X_AUTOREPLY, FIELD_X_AUTORESPOND,
	FIELD_X_FAILED_RECIPIENTS, FIELD_SUBJECT,

	FIELD_COUNT
};
static const char *const intake_field_names[FIELD_COUNT] = {
	"Message-ID", "In-Reply-To", "References", "From", "Sender",
	"Reply-To", "Cc", "Auto-Submitted", "Precedence", "List-Id",
	"Return-Path", "Content-Type", "X-Autoreply", "X-Autorespond",
	"X-Failed-Recipients", "Subject"
};

static int intake_read_fields(struct mail *mail, const char **values)
{
	struct message_header_parser_ctx *parser;
	struct message_header_line *hdr;
	struct istream *input;
	unsigned int i, field = FIELD_COUNT;
	int ret;

	if (mail_get_hdr_stream(mail, NULL, &input) < 0)
		return -1;
	parser = message_parse_header_init(input, NULL,
		MESSAGE_HEADER_PARSER_FLAG_CLEAN_ONELINE |
		MESSAGE_HEADER_PARSER_FLAG_SKIP_INITIAL_LWSP);
	while ((ret = message_parse_header_next(parser, &hdr)) > 0) {
		if (hdr->eoh)
			break;
		if (!hdr->continued) {
			field = FIELD_COUNT;
			for (i = 0; i < FIELD_COUNT; i++) {
				if (values[i] == NULL &&
				    strcasecmp(hdr->name,
					       intake_field_names[i]) == 0) {
					field = i;
					break;
				}
			}
		}
		if (field == FIELD_COUNT)
			continue;
		if (hdr->continues) {
			hdr->use_full_value = TRUE;
			continue;
		}
		values[field] = t_strndup(hdr->full_value,
					  hdr->full_value_len);
		field = FIELD_COUNT;
	}
	message_parse_header_deinit(&parser);
	return input->stream_errno != 0 ? -1 : 0;
}

static int intake_read_headers(struct mail *mail, struct intake_headers *h)
{
	struct helpdesk_auto_headers *a = &h->auto_hdr;
	const char *v[FIELD_COUNT];

	i_zero(h);
	memset(v, 0, sizeof(v));
	if (intake_read_fields(mail, v) < 0)
		return -1;
	h->message_id = v[FIELD_MESSAGE_ID];
	h->in_reply_to = v[FIELD_IN_REPLY_TO];
	h->references = v[FIELD_REFERENCES];
	h->from = v[FIELD_FROM];
	h->sender = v[FIELD_SENDER];
	h->reply_to = v[FIELD_REPLY_TO];
	h->cc = v[FIELD_CC];
	a->auto_submitted = v[FIELD_AUTO_SUBMITTED];
	a->precedence = v[FIELD_PRECEDENCE];
	a->list_id = v[FIELD_LIST_ID];
	a->return_path = v[FIELD_RETURN_PATH];
	a->content_type = v[FIELD_CONTENT_TYPE];
	a->x_autoreply = v[FIELD_X_AUTOREPLY] != NULL ?
		v[FIELD_X_AUTOREPLY] : v[FIELD_X_AUTORESPOND];
	a->x_failed_recipients = v[FIELD_X_FAILED_RECIPIENTS];
	if (v[FIELD_SUBJECT] != NULL) {
		string_t *str = t_str_new(128);

		message_header_decode_utf8(
			(const unsigned char *)v[FIELD_SUBJECT],
			strlen(v[FIELD_SUBJECT]), str, NULL);
		h->subject = str_c(str);
	}
	a->subject = h->subject;
	a->from_localpart = first_localpart(h->from);
	a->sender_localpart = first_localpart(h->sender);
	if (a->return_path != NULL) {
		struct message_address *addr;

		if (message_address_parse_path(pool_datastack_create(),
				(const unsigned char *)a->return_path,
				strlen(a->return_path), &addr) == 0 &&
		    addr != NULL && addr->mailbox != NULL &&
		    *addr->mailbox != '\0')
			a->return_path_localpart = addr->mailbox;
	}
	h->from_addr = addr_to_string(parse_addresses(h->from, 1));
	if (h->from_addr == NULL)
		h->from_addr = addr_to_string(parse_addresses(h->sender, 1));
	return 0;
}

/* A key for a message without a usable Message-ID: the hash of the whole
   message as the sender wrote it, without the trace headers that the MTA
   and LMTP add on the way (a replayed delivery differs only in those). */
static int intake_content_key(struct mail *mail, const char **key_r)
{
	struct sha256_ctx ctx;
	unsigned char digest[SHA256_RESULTLEN];
	struct istream *input, *filter;
	const unsigned char *data;
	size_t size;
	int ret;

	if (mail_get_stream(mail, NULL, NULL, &input) < 0)
		return -1;
	filter = i_stream_create_header_filter(input,
		HEADER_FILTER_EXCLUDE | HEADER_FILTER_CRLF_PRESERVE,
		content_key_skip_headers, N_ELEMENTS(content_key_skip_headers),
		*null_header_filter_callback, NULL);
	sha256_init(&ctx);
	while ((ret = i_stream_read_more(filter, &data, &size)) > 0) {
		sha256_loop(&ctx, data, size);
		i_stream_skip(filter, size);
	}
	ret = filter->stream_errno != 0 ? -1 : 0;
	i_stream_unref(&filter);
	if (ret < 0)
		return -1;
	sha256_result(&ctx, digest);
	*key_r = t_strconcat("content:", binary_to_hex(digest, sizeof(digest)),
			     NULL);
	return 0;
}

static bool string_array_contains(const ARRAY_TYPE(const_string) *list,
				  const char *str)
{
	const char *item;

	array_foreach_elem(list, item) {
		if (strcmp(item, str) == 0)
			return TRUE;
	}
	return FALSE;
}

static int intake_message_key(struct mail *mail, const char *message_id,
			      const char **key_r)
{
	const char *p = message_id, *id;

	if (p != NULL && (id = message_id_get_next(&p)) != NULL) {
		*key_r = helpdesk_message_key_from_id(id);
		return 0;
	}
	return intake_content_key(mail, key_r);
}

int helpdesk_message_key(struct mail *mail, const char **key_r)
{
	const char *message_id;

	if (mail_get_first_header(mail, "Message-ID", &message_id) < 0)
		return -1;
	return intake_message_key(mail, message_id, key_r);
}

/* Message-IDs named by In-Reply-To, then References newest first. */
static const char *const *
intake_ref_keys(const struct intake_headers *h, unsigned int *count_r)
{
	ARRAY_TYPE(const_string) ids;
	ARRAY_TYPE(const_string) refs;
	const char *p, *id, *const *ref;
	unsigned int i, count;

	t_array_init(&ids, 16);
	if (h->in_reply_to != NULL) {
		p = h->in_reply_to;
		while ((id = message_id_get_next(&p)) != NULL &&
		       array_count(&ids) < 4) {
			id = helpdesk_message_key_from_id(id);
			array_push_back(&ids, &id);
		}
	}
	if (h->references != NULL) {
		t_array_init(&refs, 32);
		p = h->references;
		while ((id = message_id_get_next(&p)) != NULL) {
			array_push_back(&refs, &id);
			/* keep only the newest ones of a hostile chain */
			if (array_count(&refs) > HELPDESK_MAX_REFS * 2)
				array_delete(&refs, 0, HELPDESK_MAX_REFS);
		}
		ref = array_get(&refs, &count);
		for (i = count; i > 0 && array_count(&ids) < HELPDESK_MAX_REFS;
		     i--) {
			id = helpdesk_message_key_from_id(ref[i - 1]);
			if (!string_array_contains(&ids, id))
				array_push_back(&ids, &id);
		}
	}
	*count_r = array_count(&ids);
	array_append_zero(&ids);
	return array_front(&ids);
}

static bool keyword_is_owned(const struct helpdesk_settings *set,
			     const char *keyword)
{
	const char *name;
	unsigned int i;

	if (!str_begins(keyword, set->keyword_prefix))
		return FALSE;
	name = keyword + strlen(set->keyword_prefix);
	if (str_array_find(owned_keywords, name))
		return TRUE;
	for (i = 0; owned_keyword_prefixes[i] != NULL; i++) {
		if (str_begins(name, owned_keyword_prefixes[i]))
			return TRUE;
	}
	return FALSE;
}

static const char *
find_prefixed(const struct helpdesk_settings *set,
	      const char *const *keywords, const char *what)
{
	const char *prefix = helpdesk_keyword(set, what);

	for (; keywords != NULL && *keywords != NULL; keywords++) {
		if (str_begins(*keywords, prefix))
			return *keywords + strlen(prefix);
	}
	return NULL;
}

static const char *status_keyword(enum helpdesk_ticket_status status)
{
	switch (status) {
	case HELPDESK_STATUS_NEW:
		return HELPDESK_KW_NEW;
	case HELPDESK_STATUS_OPEN:
		return HELPDESK_KW_OPEN;
	case HELPDESK_STATUS_WAITING:
		return HELPDESK_KW_WAITING;
	case HELPDESK_STATUS_RESOLVED:
		return HELPDESK_KW_RESOLVED;
	}
	i_unreached();
}

static const char *const *
intake_participants(const struct intake_headers *h)
{
	ARRAY_TYPE(const_string) list;
	const char *const values[] = { h->from, h->reply_to, h->cc };
	struct message_address *addr;
	const char *str;
	unsigned int i;

	t_array_init(&list, 8);
	for (i = 0; i < N_ELEMENTS(values); i++) {
		addr = parse_addresses(values[i], HELPDESK_MAX_PARTICIPANTS);
		for (; addr != NULL; addr = addr->next) {
			if (array_count(&list) >= HELPDESK_MAX_PARTICIPANTS)
				break;
			str = addr_to_string(addr);
			if (str == NULL)
				continue;
			str = store_text(str);
			if (!string_array_contains(&list, str))
				array_push_back(&list, &str);
		}
	}
	array_append_zero(&list);
	return array_front(&list);
}

/* Look everything up, decide and record. Returns -1 with *error_r when
   the store failed; the caller then delivers the message as pending. */
static int
intake_decide(struct helpdesk_user *huser, struct helpdesk_store *store,
	      const struct intake_headers *h, const char *key,
	      const char *prio, const char *team,
	      struct helpdesk_intake *intake,
	      enum helpdesk_ticket_status *status_r, const char **prio_r,
	      const char **error_r)
{
	struct helpdesk_thread_input in;
	struct helpdesk_thread_decision decision;
	struct helpdesk_store_lookup lookup;
	struct helpdesk_ticket_row tag_row;
	struct helpdesk_store_message msg;
	const char *const *ref_keys;
	unsigned int ref_count;
	uint64_t tag;
	bool found;
	int64_t now = ioloop_time;

	i_zero(&in);
	i_zero(&tag_row);
	in.is_auto = intake->auto_reason != HELPDESK_AUTO_NONE;
	ref_keys = intake_ref_keys(h, &ref_count);
	if (helpdesk_store_lookup_message(store, key, ref_keys, ref_count,
					  pool_datastack_create(), &lookup,
					  error_r) < 0)
		return -1;
	in.known_message = lookup.known;
	in.known_ticket = lookup.known_ticket;
	if (!in.known_message) {
		in.ref_ticket = lookup.ref_ticket;
		in.ref_ticket_resolved =
			lookup.ref_status == HELPDESK_STATUS_RESOLVED;
		if (h->subject != NULL && in.ref_ticket == 0 &&
		    helpdesk_tag_parse(h->subject, &tag)) {
			if (helpdesk_store_get_ticket(store, tag,
					pool_datastack_create(), &tag_row,
					&found, error_r) < 0)
				return -1;
			if (found) {
				in.tag_ticket = tag;
				in.tag_ticket_resolved =
					tag_row.status ==
					HELPDESK_STATUS_RESOLVED;
				if (h->from_addr != NULL &&
				    helpdesk_store_is_participant(store, tag,
						h->from_addr,
						&in.tag_sender_is_participant,
						error_r) < 0)
					return -1;
			}
		}
	}
	helpdesk_thread_decide(&in, &decision);
	intake->action = decision.action;
	intake->ticket = decision.ticket;
	intake->reopen = decision.reopen;
	if (decision.action != HELPDESK_THREAD_REPLAY) {
		/* one write transaction per delivery */
		i_zero(&msg);
		msg.key = key;
		msg.ticket = intake->ticket;
		msg.sender = h->from_addr;
		msg.subject = store_text(h->subject);
		msg.kind = in.is_auto ? "auto" : "customer";
		msg.participants = in.is_auto ? NULL : intake_participants(h);
		msg.ev_created = decision.action == HELPDESK_THREAD_NEW;
		msg.ev_reopened = decision.reopen;
		msg.auto_reason = in.is_auto ?
			helpdesk_auto_reason_name(intake->auto_reason) : NULL;
		msg.now = now;
		msg.ticket_subject = msg.subject;
		msg.ticket_requester = h->from_addr;
		msg.ticket_priority = prio;
		msg.ticket_team = team;
		if (helpdesk_store_record_message(store, &msg, &intake->ticket,
						  error_r) < 0)
			return -1;
	}

	/* the state the ticket's keywords show */
	*status_r = HELPDESK_STATUS_NEW;
	*prio_r = prio;
	if (decision.action == HELPDESK_THREAD_REPLAY) {
		*status_r = lookup.known_status;
		*prio_r = lookup.known_priority;
	} else if (decision.action == HELPDESK_THREAD_FOLLOWUP) {
		bool by_ref = decision.ticket == in.ref_ticket;

		*status_r = decision.reopen ? HELPDESK_STATUS_OPEN :
			by_ref ? lookup.ref_status : tag_row.status;
		*prio_r = by_ref ? lookup.ref_priority : tag_row.priority;
	}
	e_debug(huser->event, "message %s: %s ticket %llu (%s)", key,
		helpdesk_thread_action_name(decision.action),
		(unsigned long long)intake->ticket, decision.reason);
	return 0;
}

static bool queue_is_empty(struct mailbox *box)
{
	struct mailbox_status status;

	if (mailbox_get_status(box, STATUS_MESSAGES, &status) < 0)
		return FALSE;
	return status.messages == 0;
}

struct helpdesk_intake *
helpdesk_intake_run(struct helpdesk_user *huser, struct mailbox *queue_box,
		    struct mail *mail, const char *const *existing_keywords,
		    pool_t pool)
{
	const struct helpdesk_settings *set = &huser->set;
	struct helpdesk_intake *intake;
	struct helpdesk_store *store;
	struct intake_headers h;
	ARRAY_TYPE(const_string) keywords;
	enum helpdesk_ticket_status status = HELPDESK_STATUS_NEW;
	const char *key, *prio, *team, *ticket_prio = NULL, *error, *kw;
	const char *const *kwp;
	int ret = 0;

	intake = p_new(pool, struct helpdesk_intake, 1);
	T_BEGIN {
		if (intake_read_headers(mail, &h) < 0) {
			error = t_strdup_printf("cannot read the headers: %s",
				mailbox_get_last_internal_error(mail->box,
								NULL));
			ret = -1;
		} else {
			intake->auto_reason =
				helpdesk_auto_detect(&h.auto_hdr);
			if (intake_message_key(mail, h.message_id, &key) < 0) {
				error = "cannot read the message body";
				ret = -1;
			}
		}
		prio = find_prefixed(set, existing_keywords, "prio-");
		team = find_prefixed(set, existing_keywords, "team-");
		if (ret == 0 &&
		    (store = helpdesk_user_store(huser,
				queue_is_empty(queue_box), NULL,
				&error)) == NULL)
			ret = -1;
		if (ret == 0) {
			intake->key = p_strdup(pool, key);
			ret = intake_decide(huser, store, &h, key, prio, team,
					    intake, &status, &ticket_prio,
					    &error);
		}
		if (ret < 0) {
			intake->pending = TRUE;
			intake->action = HELPDESK_THREAD_NONE;
			intake->ticket = 0;
			helpdesk_store_failed(huser, error);
		} else {
			(void)helpdesk_store_succeeded(huser);
		}

		/* keywords: keep Sieve's, drop forged state, add ours */
		t_array_init(&keywords, 8);
		for (kwp = existing_keywords; kwp != NULL && *kwp != NULL;
		     kwp++) {
			if (!keyword_is_owned(set, *kwp)) {
				kw = p_strdup(pool, *kwp);
				array_push_back(&keywords, &kw);
			}
		}
		if (intake->pending) {
			kw = p_strdup(pool, helpdesk_keyword(set,
							HELPDESK_KW_PENDING));
			array_push_back(&keywords, &kw);
		} else if (intake->ticket != 0) {
			kw = p_strdup(pool, helpdesk_keyword(set,
							status_keyword(status)));
			array_push_back(&keywords, &kw);
			if (prio == NULL) {
				kw = p_strdup(pool, helpdesk_keyword(set,
					t_strconcat("prio-", ticket_prio == NULL ||
						    *ticket_prio == '\0' ?
						    "normal" : ticket_prio,
						    NULL)));
				array_push_back(&keywords, &kw);
			}
		}
		if (intake->auto_reason != HELPDESK_AUTO_NONE) {
			kw = p_strdup(pool, helpdesk_keyword(set,
							HELPDESK_KW_AUTO));
			array_push_back(&keywords, &kw);
		}
		array_append_zero(&keywords);
		intake->keywords = p_memdup(pool, array_front(&keywords),
			sizeof(const char *) * array_count(&keywords));

		intake->tag_subject = intake->ticket != 0 && set->subject_tag &&
			(h.subject == NULL ||
			 !helpdesk_tag_has(h.subject, intake->ticket));
	} T_END;
	return intake;
}
