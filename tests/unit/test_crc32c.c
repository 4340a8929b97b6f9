// SPDX-License-Identifier: GPL-2.0-only
/*
 * CRC-32C against published check values (RFC 3720 appendix B.4 and the
 * "123456789" check value), so the on-disk checksum is the standard one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "ddraid_crc32c.h"

static void test_check_value(void **state)
{
	assert_int_equal(ddraid_crc32c("123456789", 9), 0xe3069283u);
	assert_int_equal(ddraid_crc32c("", 0), 0);
}

static void test_rfc3720_vectors(void **state)
{
	u8 buf[32];
	int i;

	memset(buf, 0, sizeof(buf));
	assert_int_equal(ddraid_crc32c(buf, 32), 0x8a9136aau);
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(ddraid_crc32c(buf, 32), 0x62a8ab43u);
	for (i = 0; i < 32; i++)
		buf[i] = (u8)i;
	assert_int_equal(ddraid_crc32c(buf, 32), 0x46dd794eu);
	for (i = 0; i < 32; i++)
		buf[i] = (u8)(31 - i);
	assert_int_equal(ddraid_crc32c(buf, 32), 0x113fdb5cu);
}

static void test_single_bit_flip_detected(void **state)
{
	u8 buf[4096];
	u32 good;
	size_t i;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (u8)(i * 7);
	good = ddraid_crc32c(buf, sizeof(buf));
	for (i = 0; i < sizeof(buf) * 8; i += 97) {
		buf[i / 8] ^= (u8)(1u << (i % 8));
		assert_int_not_equal(ddraid_crc32c(buf, sizeof(buf)), good);
		buf[i / 8] ^= (u8)(1u << (i % 8));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_value),
		cmocka_unit_test(test_rfc3720_vectors),
		cmocka_unit_test(test_single_bit_flip_detected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
