/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

#include "lib.h"
#include "str.h"
#include "buffer.h"
#include "qp-decoder.h"
#include "test-message.h"

const char *test_header(const char *header, const char *name)
{
	const char *const *lines = t_strsplit(header, "\n");
	string_t *value = NULL;
	unsigned int i;

	for (i = 0; lines[i] != NULL; i++) {
		const char *line = t_strcut(lines[i], '\r');

		if (value != NULL) {
			if (line[0] != ' ' && line[0] != '\t')
				break;
			str_append(value, line + 1);
		} else if (strncasecmp(line, name, strlen(name)) == 0 &&
			   line[strlen(name)] == ':') {
			value = t_str_new(128);
			str_append(value, line + strlen(name) + 1);
		}
	}
	if (value == NULL)
		return NULL;
	return t_str_trim(str_c(value), " \t");
}

bool test_split(const char *msg, const char **header_r, const char **body_r)
{
	const char *p = strstr(msg, "\r\n\r\n");

	if (p == NULL)
		return FALSE;
	*header_r = t_strdup_until(msg, p + 2);
	*body_r = p + 4;
	return TRUE;
}

const char *test_decode_qp(const char *body)
{
	buffer_t *buf = t_buffer_create(256);
	struct qp_decoder *qp = qp_decoder_init(buf);
	const char *error;
	size_t pos;
	int ret;

	ret = qp_decoder_more(qp, (const unsigned char *)body, strlen(body),
			      &pos, &error);
	if (qp_decoder_finish(qp, &error) < 0)
		ret = -1;
	qp_decoder_deinit(&qp);
	return ret < 0 ? NULL : str_c(buf);
}

bool test_crlf_only(const char *text)
{
	const char *p;

	for (p = text; *p != '\0'; p++) {
		if (*p == '\r' && p[1] != '\n')
			return FALSE;
		if (*p == '\n' && (p == text || p[-1] != '\r'))
			return FALSE;
	}
	return TRUE;
}
