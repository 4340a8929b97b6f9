/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef TEST_UTIL_H
#define TEST_UTIL_H
#endif
