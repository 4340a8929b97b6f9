// SPDX-License-Identifier: GPL-2.0-only
/* ddraidd logging (log.h): libqb's syslog and stderr targets. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"

static bool to_stderr;

int log_to_parse(const char *s)
{
	static const char *const names[] = {
		[LOGTO_AUTO] = "auto", [LOGTO_SYSLOG] = "syslog",
		[LOGTO_STDERR] = "stderr", [LOGTO_BOTH] = "both",
	};
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i]))
			return (int)i;
	return -1;
}

bool log_fd_is_journal(int fd, const char *journal_stream)
{
	uintmax_t dev, ino;
	struct stat st;
	char tail;

	if (!journal_stream ||
	    sscanf(journal_stream, "%ju:%ju%c", &dev, &ino, &tail) != 2)
		return false;
	/* An inherited variable whose stream was redirected since no
	 * longer applies: compare with the file @fd is now. */
	if (fstat(fd, &st))
		return false;
	return (uintmax_t)st.st_dev == dev && (uintmax_t)st.st_ino == ino;
}

enum log_to log_to_resolve(enum log_to want, bool foreground,
			   bool stderr_is_journal)
{
	if (want != LOGTO_AUTO)
		return want;
	if (!foreground || stderr_is_journal)
		return LOGTO_SYSLOG;
	return LOGTO_BOTH;
}

void log_setup(const char *ident, enum log_to to, bool debug)
{
	int prio = debug ? LOG_DEBUG : LOG_INFO;

	qb_log_init(ident, LOG_DAEMON, prio);
	/* qb_log_init enables the syslog target with its own filter. */
	if (to == LOGTO_STDERR)
		qb_log_ctl(QB_LOG_SYSLOG, QB_LOG_CONF_ENABLED, QB_FALSE);
	else
		qb_log_filter_ctl(QB_LOG_SYSLOG, QB_LOG_FILTER_ADD,
				  QB_LOG_FILTER_FILE, "*", prio);
	to_stderr = to == LOGTO_STDERR || to == LOGTO_BOTH;
	if (to_stderr) {
		qb_log_filter_ctl(QB_LOG_STDERR, QB_LOG_FILTER_ADD,
				  QB_LOG_FILTER_FILE, "*", prio);
		/* Timestamps let multi-node test logs be merged. */
		qb_log_format_set(QB_LOG_STDERR, "%t %N[%P] %p: %b");
		qb_log_ctl(QB_LOG_STDERR, QB_LOG_CONF_ENABLED, QB_TRUE);
	}
}

bool log_to_stderr(void)
{
	return to_stderr;
}

void log_teardown(void)
{
	qb_log_fini();
}
