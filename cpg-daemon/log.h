/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ddraidd logging through libqb: syslog always, stderr in --foreground.
 * Levels are syslog's (LOG_ERR ...), the same numbers as enum sm_log_level.
 */
#ifndef DDRAIDD_LOG_H
#define DDRAIDD_LOG_H

#include <stdbool.h>
#include <syslog.h>
#include <qb/qblog.h>

/* @ident names the volume ("ddraidd/NAME"); @debug enables LOG_DEBUG. */
void log_setup(const char *ident, bool foreground, bool debug);
void log_teardown(void);

#define log_msg(level, fmt, ...) qb_log(level, fmt, ##__VA_ARGS__)
#define log_err(fmt, ...) qb_log(LOG_ERR, fmt, ##__VA_ARGS__)
#define log_warn(fmt, ...) qb_log(LOG_WARNING, fmt, ##__VA_ARGS__)
#define log_notice(fmt, ...) qb_log(LOG_NOTICE, fmt, ##__VA_ARGS__)
#define log_info(fmt, ...) qb_log(LOG_INFO, fmt, ##__VA_ARGS__)
#define log_debug(fmt, ...) qb_log(LOG_DEBUG, fmt, ##__VA_ARGS__)

#endif /* DDRAIDD_LOG_H */
