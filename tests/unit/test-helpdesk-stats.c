/* Copyright (c) 2026 dovecot-helpdesk authors, see the included COPYING file */

#include "lib.h"
#include "test-common.h"
#include "helpdesk-stats.h"

#define SAMPLES_MAX 10

static void test_helpdesk_stats_percentile(void)
{
	static const struct {
		int64_t sorted[SAMPLES_MAX];
		unsigned int count, percent;
		bool found;
		int64_t value;
	} tests[] = {
		/* no samples: no value */
		{ { 0 }, 0, 50, FALSE, 0 },
		{ { 0 }, 0, 90, FALSE, 0 },
		/* one sample is every percentile */
		{ { 42 }, 1, 1, TRUE, 42 },
		{ { 42 }, 1, 50, TRUE, 42 },
		{ { 42 }, 1, 90, TRUE, 42 },
		{ { 42 }, 1, 100, TRUE, 42 },
		/* two: the median is the lower one (rank ceil(1.0) = 1) */
		{ { 10, 20 }, 2, 50, TRUE, 10 },
		{ { 10, 20 }, 2, 51, TRUE, 20 },
		{ { 10, 20 }, 2, 90, TRUE, 20 },
		/* odd count: the middle one */
		{ { 1, 2, 3 }, 3, 50, TRUE, 2 },
		{ { 1, 2, 3 }, 3, 90, TRUE, 3 },
		{ { 1, 2, 3 }, 3, 33, TRUE, 1 },
		{ { 1, 2, 3 }, 3, 34, TRUE, 2 },
		/* four: median rank 2, p90 rank ceil(3.6) = 4 */
		{ { 5, 7, 9, 11 }, 4, 50, TRUE, 7 },
		{ { 5, 7, 9, 11 }, 4, 75, TRUE, 9 },
		{ { 5, 7, 9, 11 }, 4, 76, TRUE, 11 },
		{ { 5, 7, 9, 11 }, 4, 90, TRUE, 11 },
		/* ten: p90 rank exactly 9, p91 rank 10 */
		{ { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }, 10, 50, TRUE, 5 },
		{ { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }, 10, 90, TRUE, 9 },
		{ { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }, 10, 91, TRUE, 10 },
		{ { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }, 10, 1, TRUE, 1 },
		{ { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }, 10, 100, TRUE, 10 },
		/* equal samples, zeros and large values */
		{ { 0, 0, 0, 60 }, 4, 50, TRUE, 0 },
		{ { 3, 3, 3 }, 3, 90, TRUE, 3 },
		{ { 1, 4000000000LL, 9000000000LL }, 3, 50, TRUE,
		  4000000000LL },
		/* fewer samples than the array holds: only count counts */
		{ { 1, 2, 3, 99, 99 }, 3, 100, TRUE, 3 },
	};
	unsigned int i;
	int64_t value;
	bool found;

	test_begin("helpdesk stats percentile");
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		value = -1;
		found = helpdesk_stats_percentile(tests[i].sorted,
						  tests[i].count,
						  tests[i].percent, &value);
		test_assert_idx(found == tests[i].found, i);
		test_assert_idx(value == tests[i].value, i);
	}
	test_end();
}

static void test_helpdesk_stats_compliance(void)
{
	static const struct {
		unsigned int met, breached;
		const char *text;
	} tests[] = {
		{ 0, 0, "" },
		{ 1, 0, "100.0" },
		{ 0, 1, "0.0" },
		{ 7, 1, "87.5" },
		{ 1, 2, "33.3" },
		{ 2, 1, "66.7" },
		/* half up: 1/16 = 6.25 */
		{ 1, 15, "6.3" },
		{ 999, 1, "99.9" },
		{ 1999, 1, "100.0" },
		{ 4000000000U, 4000000000U, "50.0" },
	};
	unsigned int i;

	test_begin("helpdesk stats compliance");
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		test_assert_idx(strcmp(helpdesk_stats_compliance(
			tests[i].met, tests[i].breached), tests[i].text) == 0,
			i);
	}
	test_end();
}

static void test_helpdesk_stats_average(void)
{
	static const struct {
		unsigned int sum, count;
		const char *text;
	} tests[] = {
		/* no ratings: no average */
		{ 0, 0, "" },
		{ 7, 0, "" },
		{ 5, 1, "5.00" },
		{ 1, 1, "1.00" },
		{ 0, 3, "0.00" },
		{ 9, 2, "4.50" },
		/* 13 / 3 = 4.333..., 14 / 3 = 4.666... */
		{ 13, 3, "4.33" },
		{ 14, 3, "4.67" },
		{ 2, 3, "0.67" },
		/* half up: 1 / 8 = 0.125, 33 / 8 = 4.125 */
		{ 1, 8, "0.13" },
		{ 33, 8, "4.13" },
		/* exactly half and just below: 1 / 200 = 0.005, 1 / 201 */
		{ 1, 200, "0.01" },
		{ 1, 201, "0.00" },
		{ 19999, 4000, "5.00" },
		{ 4 * 7 + 5, 8, "4.13" },
		/* no overflow */
		{ 4294967295U, 1, "4294967295.00" },
		{ 4294967295U, 4294967295U, "1.00" },
		{ 4294967294U, 4294967295U, "1.00" },
		{ 1, 4294967295U, "0.00" },
	};
	unsigned int i;

	test_begin("helpdesk stats average");
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		test_assert_strcmp_idx(helpdesk_stats_average(
			tests[i].sum, tests[i].count), tests[i].text, i);
	}
	test_end();
}

int main(void)
{
	static void (*const test_functions[])(void) = {
		test_helpdesk_stats_percentile,
		test_helpdesk_stats_compliance,
		test_helpdesk_stats_average,
		NULL
	};
	return test_run(test_functions);
}
