// SPDX-License-Identifier: GPL-2.0-only
/*
 * The volume-name rule (lib/volname.c) on the names of
 * tests/cli/names.list, the same list tests/cli/t-names.sh passes through
 * ddraidctl, ddraidd and the OCF agent; and ddraid_create() applying it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ddraid.h"

/* printf %b escapes, as the list is written: \t \n \\ \0NNN. */
static size_t decode(const char *s, char *out, size_t len)
{
	size_t n = 0;
	int i, v;

	while (*s && *s != '\n' && n + 1 < len) {
		if (*s != '\\') {
			out[n++] = *s++;
			continue;
		}
		s++;
		if (*s == 't') {
			out[n++] = '\t';
			s++;
		} else if (*s == 'n') {
			out[n++] = '\n';
			s++;
		} else if (*s == '0') {
			for (s++, v = 0, i = 0; i < 3 && *s >= '0' && *s <= '7';
			     i++, s++)
				v = v * 8 + (*s - '0');
			out[n++] = (char)v;
		} else {
			out[n++] = *s++;
		}
	}
	out[n] = '\0';
	return n;
}

static void test_names_list(void **state)
{
	const char *dir = getenv("TESTS_SRCDIR");
	char path[4096], line[512], name[256], why[128];
	unsigned int good = 0, bad = 0;
	FILE *f;
	int r;

	if (!dir)
		skip();
	snprintf(path, sizeof(path), "%s/cli/names.list", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		bool want_good = !strncmp(line, "good\t", 5);

		if (!want_good && strncmp(line, "bad\t", 4))
			continue;
		decode(strchr(line, '\t') + 1, name, sizeof(name));
		why[0] = '\0';
		r = ddraid_check_volume_name(name, why, sizeof(why));
		if (want_good) {
			if (r)
				fail_msg("good name '%s' refused: %s", name, why);
			good++;
		} else {
			if (!r)
				fail_msg("bad name '%s' accepted", name);
			assert_true(r == -EINVAL || r == -ENAMETOOLONG);
			assert_true(why[0] != '\0');
			bad++;
		}
	}
	fclose(f);
	assert_true(good >= 10);
	assert_true(bad >= 10);
}

/* The edges of the rule, with the reasons the messages rely on. */
static void test_edges(void **state)
{
	char name[80], why[128];

	memset(name, 'a', 63);
	name[63] = '\0';
	assert_int_equal(ddraid_check_volume_name(name, why, sizeof(why)), 0);
	name[63] = 'a';
	name[64] = '\0';
	assert_int_equal(ddraid_check_volume_name(name, why, sizeof(why)),
			 -ENAMETOOLONG);
	assert_non_null(strstr(why, "longer than 63 bytes"));
	assert_int_equal(ddraid_check_volume_name("a/b", why, sizeof(why)),
			 -EINVAL);
	assert_non_null(strstr(why, "'/' at byte 1"));
	assert_int_equal(ddraid_check_volume_name("-x", why, sizeof(why)),
			 -EINVAL);
	assert_non_null(strstr(why, "not '-' first"));
	assert_int_equal(ddraid_check_volume_name("", why, sizeof(why)),
			 -EINVAL);
	assert_non_null(strstr(why, "empty"));
	/* A short buffer is cut, never overrun. */
	memset(why, 'X', sizeof(why));
	assert_int_equal(ddraid_check_volume_name("a b", why, 8), -EINVAL);
	assert_int_equal(strlen(why), 7);
	assert_int_equal(why[8], 'X');
}

/* ddraid_create() refuses a bad name before it looks at any member. */
static void test_create_applies_rule(void **state)
{
	const char *paths[] = { "/nonexistent/m0", "/nonexistent/m1" };
	struct ddraid_create_opts o = { .name = "a b" };
	char err[DDRAID_ERRMSG_MAX];

	assert_int_equal(ddraid_create(paths, 2, &o, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "volume name 'a b'"));
	/* A good name gets past the rule: the complaint is the member. */
	o.name = "good";
	assert_int_not_equal(ddraid_create(paths, 2, &o, err, sizeof(err)), 0);
	assert_null(strstr(err, "volume name"));
	assert_non_null(strstr(err, "/nonexistent/m0"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_list),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_create_applies_rule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
