/* The game's METADATA entries: parsing (json-glib), --status text and
   the news between two readings. */

#include "helpdesk-notifier-game.h"

#include <json-glib/json-glib.h>
#include <string.h>

static gchar *obj_str(JsonObject *obj, const gchar *name)
{
	JsonNode *node = json_object_get_member(obj, name);
	const gchar *str;

	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_STRING)
		return g_strdup("");
	str = json_node_get_string(node);
	return g_utf8_make_valid(str != NULL ? str : "", -1);
}

static gint64 obj_int(JsonObject *obj, const gchar *name)
{
	JsonNode *node = json_object_get_member(obj, name);

	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_INT64)
		return 0;
	return json_node_get_int(node);
}

static guint obj_uint(JsonObject *obj, const gchar *name)
{
	gint64 value = obj_int(obj, name);

	return value < 0 ? 0 : value > G_MAXUINT ? G_MAXUINT : (guint)value;
}

/* The document's object, if its version is one we read. */
static JsonObject *game_parse(JsonParser *parser, const gchar *json,
			      const gchar *what, GError **error)
{
	JsonNode *root;
	JsonObject *obj;

	if (!json_parser_load_from_data(parser, json, -1, error)) {
		g_prefix_error(error, "%s: ", what);
		return NULL;
	}
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		g_set_error(error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
			    "%s: not a JSON object", what);
		return NULL;
	}
	obj = json_node_get_object(root);
	if (obj_int(obj, "version") != 1) {
		g_set_error(error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
			    "%s: version %" G_GINT64_FORMAT " is not one this "
			    "notifier reads (1)", what,
			    obj_int(obj, "version"));
		return NULL;
	}
	return obj;
}

/* Each object in the array member name, parsed by parse into out
   (what isn't an object is skipped). */
static void obj_objects(JsonObject *obj, const gchar *name,
			gpointer (*parse)(JsonObject *elem), GPtrArray *out)
{
	JsonNode *node = json_object_get_member(obj, name);
	JsonArray *array;
	guint i;

	if (node == NULL || !JSON_NODE_HOLDS_ARRAY(node))
		return;
	array = json_node_get_array(node);
	for (i = 0; i < json_array_get_length(array); i++) {
		JsonNode *elem = json_array_get_element(array, i);

		if (JSON_NODE_HOLDS_OBJECT(elem))
			g_ptr_array_add(out, parse(json_node_get_object(elem)));
	}
}

static gpointer badge_parse(JsonObject *b)
{
	HelpdeskGameBadge *badge = g_new0(HelpdeskGameBadge, 1);

	badge->badge = obj_str(b, "badge");
	badge->title = obj_str(b, "title");
	badge->earned = obj_str(b, "earned");
	badge->period = obj_str(b, "period");
	badge->ticket = (guint64)MAX(obj_int(b, "ticket"), 0);
	return badge;
}

static gpointer row_parse(JsonObject *r)
{
	HelpdeskGameRow *row = g_new0(HelpdeskGameRow, 1);

	row->rank = obj_uint(r, "rank");
	row->level = obj_uint(r, "level");
	row->resolved = obj_uint(r, "resolved");
	row->points = obj_int(r, "points");
	row->agent = obj_str(r, "agent");
	row->team = obj_str(r, "team");
	row->level_name = obj_str(r, "level_name");
	return row;
}

static void badge_free(HelpdeskGameBadge *badge)
{
	g_free(badge->badge);
	g_free(badge->title);
	g_free(badge->earned);
	g_free(badge->period);
	g_free(badge);
}

void helpdesk_game_stats_free(HelpdeskGameStats *stats)
{
	if (stats == NULL)
		return;
	g_free(stats->agent);
	g_free(stats->team);
	g_free(stats->level_name);
	g_ptr_array_unref(stats->badges);
	g_free(stats);
}

HelpdeskGameStats *helpdesk_game_stats_parse(const gchar *json,
					     GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	HelpdeskGameStats *stats;
	JsonObject *obj;

	obj = game_parse(parser, json, "the stats entry", error);
	if (obj == NULL)
		return NULL;
	stats = g_new0(HelpdeskGameStats, 1);
	stats->agent = obj_str(obj, "agent");
	stats->team = obj_str(obj, "team");
	stats->level_name = obj_str(obj, "level_name");
	stats->points = obj_int(obj, "points");
	stats->points_to_next = obj_int(obj, "points_to_next_level");
	stats->week_points = obj_int(obj, "week_points");
	stats->level = obj_uint(obj, "level");
	stats->progress = obj_uint(obj, "progress");
	stats->rank = obj_uint(obj, "rank_in_team");
	stats->team_size = obj_uint(obj, "team_size");
	stats->resolved = obj_uint(obj, "resolved");
	stats->badges = g_ptr_array_new_with_free_func(
		(GDestroyNotify)badge_free);
	obj_objects(obj, "badges", badge_parse, stats->badges);
	return stats;
}

static void row_free(HelpdeskGameRow *row)
{
	g_free(row->agent);
	g_free(row->team);
	g_free(row->level_name);
	g_free(row);
}

void helpdesk_game_board_free(HelpdeskGameBoard *board)
{
	if (board == NULL)
		return;
	g_free(board->team);
	g_free(board->period);
	g_free(board->key);
	g_ptr_array_unref(board->rows);
	g_free(board);
}

HelpdeskGameBoard *helpdesk_game_board_parse(const gchar *json,
					     GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	HelpdeskGameBoard *board;
	JsonObject *obj;

	obj = game_parse(parser, json, "the leaderboard entry", error);
	if (obj == NULL)
		return NULL;
	board = g_new0(HelpdeskGameBoard, 1);
	board->team = obj_str(obj, "team");
	board->period = obj_str(obj, "period");
	board->key = obj_str(obj, "key");
	board->rows = g_ptr_array_new_with_free_func((GDestroyNotify)row_free);
	obj_objects(obj, "rows", row_parse, board->rows);
	return board;
}

gchar *helpdesk_game_format_status(const HelpdeskGameStats *stats,
				   const HelpdeskGameBoard *board)
{
	GString *str = g_string_new(NULL);
	guint i;

	if (stats != NULL) {
		g_string_append_printf(str, "%s%s%s%s\n", stats->agent,
				       *stats->team != '\0' ? " (team " : "",
				       stats->team,
				       *stats->team != '\0' ? ")" : "");
		g_string_append_printf(str, "Level %u, %s: %" G_GINT64_FORMAT
				       " points", stats->level,
				       stats->level_name, stats->points);
		if (stats->points_to_next > 0) {
			g_string_append_printf(str, ", %" G_GINT64_FORMAT
					       " to level %u (%u%%)",
					       stats->points_to_next,
					       stats->level + 1,
					       stats->progress);
		} else {
			g_string_append(str, " (the highest level)");
		}
		g_string_append_printf(str, "\nThis week: %" G_GINT64_FORMAT
				       " points", stats->week_points);
		if (stats->rank > 0) {
			g_string_append_printf(str, ", rank %u of %u",
					       stats->rank, stats->team_size);
		}
		g_string_append_printf(str, "; %u resolved in all\n",
				       stats->resolved);
		g_string_append_printf(str, "Badges (%u):%s\n",
				       stats->badges->len,
				       stats->badges->len == 0 ? " none yet" :
				       "");
		for (i = 0; i < stats->badges->len; i++) {
			const HelpdeskGameBadge *b =
				g_ptr_array_index(stats->badges, i);

			g_string_append_printf(str, "  %s, %.10s", b->title,
					       b->earned);
			if (b->ticket != 0) {
				g_string_append_printf(str, ", ticket #%"
						       G_GUINT64_FORMAT,
						       b->ticket);
			}
			if (*b->period != '\0')
				g_string_append_printf(str, " (%s)", b->period);
			g_string_append_c(str, '\n');
		}
	}
	if (board != NULL) {
		g_string_append_printf(str, "%sLeaderboard%s%s, %s %s:\n",
				       str->len > 0 ? "\n" : "",
				       *board->team != '\0' ? " " : "",
				       board->team, board->period,
				       board->key);
		if (board->rows->len == 0)
			g_string_append(str, "  nobody has points yet\n");
		for (i = 0; i < board->rows->len; i++) {
			const HelpdeskGameRow *r =
				g_ptr_array_index(board->rows, i);

			g_string_append_printf(str, "  %3u  %-20s %6"
					       G_GINT64_FORMAT "  %-12s %u "
					       "resolved\n", r->rank, r->agent,
					       r->points, r->level_name,
					       r->resolved);
		}
	}
	return g_string_free(str, FALSE);
}

void helpdesk_game_news_free(HelpdeskGameNews *news)
{
	g_free(news->key);
	g_free(news->summary);
	g_free(news->body);
	g_free(news);
}

static void game_news_add(GPtrArray *news, gchar *key, gchar *summary,
			  gchar *body)
{
	HelpdeskGameNews *n = g_new0(HelpdeskGameNews, 1);

	n->key = key;
	n->summary = summary;
	n->body = body;
	g_ptr_array_add(news, n);
}

static gboolean stats_has_badge(const HelpdeskGameStats *stats,
				const HelpdeskGameBadge *badge)
{
	guint i;

	for (i = 0; i < stats->badges->len; i++) {
		const HelpdeskGameBadge *b = g_ptr_array_index(stats->badges,
							       i);

		if (strcmp(b->badge, badge->badge) == 0 &&
		    strcmp(b->period, badge->period) == 0)
			return TRUE;
	}
	return FALSE;
}

void helpdesk_game_news(const HelpdeskGameStats *old,
			const HelpdeskGameStats *cur, const gchar *today,
			guint *rank_r, gchar **rank_day_r, GPtrArray *news)
{
	guint i;

	if (old == NULL) {
		*rank_r = cur->rank;
		return;
	}
	if (cur->level > old->level) {
		game_news_add(news, g_strdup("level"),
			g_strdup_printf("Level up: you are now level %u, %s",
					cur->level, cur->level_name),
			cur->points_to_next > 0 ?
			g_strdup_printf("%" G_GINT64_FORMAT " points; %"
					G_GINT64_FORMAT " more to level %u",
					cur->points, cur->points_to_next,
					cur->level + 1) :
			g_strdup_printf("%" G_GINT64_FORMAT " points: the "
					"highest level", cur->points));
	}
	for (i = 0; i < cur->badges->len; i++) {
		const HelpdeskGameBadge *b = g_ptr_array_index(cur->badges, i);

		if (stats_has_badge(old, b))
			continue;
		game_news_add(news, g_strdup_printf("badge:%s", b->badge),
			g_strdup_printf("New badge: %s", b->title),
			b->ticket != 0 ?
			g_strdup_printf("Earned with ticket #%"
					G_GUINT64_FORMAT, b->ticket) :
			g_strdup("Earned this week"));
	}
	if (cur->rank != 0 && cur->rank != *rank_r &&
	    g_strcmp0(*rank_day_r, today) != 0) {
		game_news_add(news, g_strdup("rank"),
			g_strdup_printf("You are #%u of %u in %s this week",
					cur->rank, cur->team_size,
					*cur->team != '\0' ? cur->team :
					"the team"),
			*rank_r == 0 ? g_strdup("") :
			g_strdup_printf("%s from #%u",
					cur->rank < *rank_r ? "Up" : "Down",
					*rank_r));
		*rank_r = cur->rank;
		g_free(*rank_day_r);
		*rank_day_r = g_strdup(today);
	}
}
