/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ddraidd logging through libqb, to syslog, stderr or both (--log-to).
 * Levels are syslog's (LOG_ERR ...), the same numbers as enum sm_log_level.
 */
#ifndef DDRAIDD_LOG_H
#define DDRAIDD_LOG_H

#include <stdbool.h>
#include <syslog.h>
#include <qb/qblog.h>

enum log_to {
	LOGTO_AUTO,	/* see log_to_resolve() */
	LOGTO_SYSLOG,
	LOGTO_STDERR,
	LOGTO_BOTH,
};

/* "auto", "syslog", "stderr" or "both"; -1 for anything else. */
int log_to_parse(const char *s);

/*
 * Whether @fd is the stream systemd connected to the journal: $JOURNAL_STREAM
 * ("DEVICE:INODE", @journal_stream, may be NULL) names @fd's file.
 */
bool log_fd_is_journal(int fd, const char *journal_stream);

/*
 * What LOGTO_AUTO means: detached, syslog (there is no stderr); in the
 * foreground, both, except when stderr is the journal's stream (a systemd
 * service): then syslog alone, because journald also receives syslog and
 * every line would be there twice. Other values are returned as they are.
 */
enum log_to log_to_resolve(enum log_to want, bool foreground,
			   bool stderr_is_journal);

/* @ident names the volume ("ddraidd/NAME"); @debug enables LOG_DEBUG. */
void log_setup(const char *ident, enum log_to to, bool debug);
/* Whether log lines go to stderr (log_setup() decided). */
bool log_to_stderr(void);
void log_teardown(void);

#define log_msg(level, fmt, ...) qb_log(level, fmt, ##__VA_ARGS__)
#define log_err(fmt, ...) qb_log(LOG_ERR, fmt, ##__VA_ARGS__)
#define log_warn(fmt, ...) qb_log(LOG_WARNING, fmt, ##__VA_ARGS__)
#define log_notice(fmt, ...) qb_log(LOG_NOTICE, fmt, ##__VA_ARGS__)
#define log_info(fmt, ...) qb_log(LOG_INFO, fmt, ##__VA_ARGS__)
#define log_debug(fmt, ...) qb_log(LOG_DEBUG, fmt, ##__VA_ARGS__)

#endif /* DDRAIDD_LOG_H */
