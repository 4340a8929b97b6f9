// SPDX-License-Identifier: GPL-2.0-only
/* ddraidd logging (log.h): libqb's syslog and stderr targets. */
#include "config.h"

#include "log.h"

void log_setup(const char *ident, bool foreground, bool debug)
{
	int prio = debug ? LOG_DEBUG : LOG_INFO;

	qb_log_init(ident, LOG_DAEMON, prio);
	qb_log_filter_ctl(QB_LOG_SYSLOG, QB_LOG_FILTER_ADD,
			  QB_LOG_FILTER_FILE, "*", prio);
	if (foreground) {
		qb_log_filter_ctl(QB_LOG_STDERR, QB_LOG_FILTER_ADD,
				  QB_LOG_FILTER_FILE, "*", prio);
		/* Timestamps let multi-node test logs be merged. */
		qb_log_format_set(QB_LOG_STDERR, "%t %N[%P] %p: %b");
		qb_log_ctl(QB_LOG_STDERR, QB_LOG_CONF_ENABLED, QB_TRUE);
	}
}

void log_teardown(void)
{
	qb_log_fini();
}
