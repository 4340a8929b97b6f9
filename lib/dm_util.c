// SPDX-License-Identifier: GPL-2.0-only
/*
 * libdevmapper helpers shared by ddraidctl and ddraidd (dm_util.h).
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <libdevmapper.h>

#include "dm_util.h"
#include "ddraid_geom.h"

/* Words in a ddraid table: members, their devices, options. */
#define MAX_WORDS	(2 + DDRAID_MAX_MEMBERS + 8)

int ddraid_dm_run_synced(struct dm_task *dmt)
{
	uint32_t cookie = 0;
	int ok;

	if (!dm_task_set_cookie(dmt, &cookie, 0))
		return 0;
	ok = dm_task_run(dmt);
	dm_udev_wait(cookie);
	return ok;
}

bool ddraid_dm_one_target(struct dm_task *dmt, uint64_t *start,
			  uint64_t *length, char **type, char **params)
{
	void *next;

	*type = NULL;
	*params = NULL;
	next = dm_get_next_target(dmt, NULL, start, length, type, params);
	return !next && *type && !strcmp(*type, DDRAID_DM_TARGET) && *params;
}

/* Split @buf (modified) at blanks. Number of words, or -1 if too many. */
static int split_words(char *buf, char **w, int max)
{
	int n = 0;
	char *save = NULL, *t;

	for (t = strtok_r(buf, " \t\n", &save); t;
	     t = strtok_r(NULL, " \t\n", &save)) {
		if (n == max)
			return -1;
		w[n++] = t;
	}
	return n;
}

static bool parse_count(const char *s, unsigned long max, unsigned int *v)
{
	char *end;
	unsigned long x;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	x = strtoul(s, &end, 10);
	if (errno || *end || x > max)
		return false;
	*v = (unsigned int)x;
	return true;
}

/* Append to @out at *@len; false when it does not fit. */
static bool emit(char *out, size_t outlen, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out + *len, outlen - *len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= outlen - *len)
		return false;
	*len += (size_t)n;
	return true;
}

int ddraid_dm_params_replace_member(const char *params, unsigned int m,
				    const char *path, char *out,
				    size_t outlen, const char **why)
{
	char *buf, *w[MAX_WORDS];
	unsigned int n, nopt, i, keep = 0;
	size_t len = 0;
	int nw, ret = -EINVAL;

	*why = NULL;
	if (!path[0] || strpbrk(path, " \t\n") || !strcmp(path, "-")) {
		*why = "the device path must be one word, not -";
		return -EINVAL;
	}
	buf = strdup(params);
	if (!buf)
		return -ENOMEM;
	nw = split_words(buf, w, MAX_WORDS);
	if (nw < 1 || !parse_count(w[0], DDRAID_MAX_MEMBERS, &n) ||
	    ddraid_members_to_k(n) < 0) {
		*why = "not a ddraid table: bad member count";
		goto out;
	}
	if (m >= n) {
		*why = "member index beyond the member count";
		goto out;
	}
	if ((unsigned int)nw < n + 2 || !parse_count(w[n + 1], 8, &nopt) ||
	    (unsigned int)nw != n + 2 + nopt) {
		*why = "not a ddraid table: bad option count";
		goto out;
	}
	/* Options other than "rebuild <i>", which is replaced. */
	for (i = n + 2; i < (unsigned int)nw; i++) {
		if (!strcmp(w[i], "rebuild")) {
			if (++i == (unsigned int)nw) {
				*why = "not a ddraid table: rebuild without a member";
				goto out;
			}
			continue;
		}
		w[n + 2 + keep++] = w[i];
	}
	ret = -ENOSPC;
	if (!emit(out, outlen, &len, "%u", n))
		goto out;
	for (i = 0; i < n; i++)
		if (!emit(out, outlen, &len, " %s", i == m ? path : w[1 + i]))
			goto out;
	if (!emit(out, outlen, &len, " %u", keep + 2))
		goto out;
	for (i = 0; i < keep; i++)
		if (!emit(out, outlen, &len, " %s", w[n + 2 + i]))
			goto out;
	if (!emit(out, outlen, &len, " rebuild %u", m))
		goto out;
	ret = 0;
out:
	free(buf);
	return ret;
}

static int fail(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return ret;
}

/* A task of @type on the device @devt. */
static struct dm_task *task_on(int type, dev_t devt)
{
	struct dm_task *dmt = dm_task_create(type);

	if (dmt && (!dm_task_set_major(dmt, major(devt)) ||
		    !dm_task_set_minor(dmt, minor(devt)))) {
		dm_task_destroy(dmt);
		return NULL;
	}
	return dmt;
}

int ddraid_dm_reload_member(dev_t devt, unsigned int m, const char *path,
			    char *err, size_t errlen)
{
	char params[4096];
	struct dm_task *dmt;
	uint64_t start, length;
	char *type, *cur;
	const char *why;
	int ret;

	/* The live table: one ddraid target. */
	dmt = task_on(DM_DEVICE_TABLE, devt);
	if (!dmt || !dm_task_run(dmt)) {
		if (dmt)
			dm_task_destroy(dmt);
		return fail(err, errlen, -ENODEV,
			    "cannot read the table of device %u:%u",
			    major(devt), minor(devt));
	}
	if (!ddraid_dm_one_target(dmt, &start, &length, &type, &cur)) {
		dm_task_destroy(dmt);
		return fail(err, errlen, -EINVAL,
			    "device %u:%u is not one ddraid target",
			    major(devt), minor(devt));
	}
	ret = ddraid_dm_params_replace_member(cur, m, path, params,
					      sizeof(params), &why);
	dm_task_destroy(dmt);
	if (ret)
		return fail(err, errlen, ret, "cannot make the new table: %s",
			    why ? why : strerror(-ret));

	dmt = task_on(DM_DEVICE_RELOAD, devt);
	if (!dmt || !dm_task_add_target(dmt, start, length, DDRAID_DM_TARGET,
					params) || !dm_task_run(dmt)) {
		if (dmt)
			dm_task_destroy(dmt);
		return fail(err, errlen, -EINVAL,
			    "the kernel refused the table \"%s\" (see the kernel log)",
			    params);
	}
	dm_task_destroy(dmt);

	/* noflush: waiting IO goes to the new table, none fails. */
	dmt = task_on(DM_DEVICE_SUSPEND, devt);
	if (!dmt || !dm_task_no_flush(dmt) || !dm_task_run(dmt)) {
		if (dmt)
			dm_task_destroy(dmt);
		/* Leave no inactive table behind. */
		dmt = task_on(DM_DEVICE_CLEAR, devt);
		if (dmt) {
			dm_task_run(dmt);
			dm_task_destroy(dmt);
		}
		return fail(err, errlen, -EIO, "cannot suspend the device");
	}
	dm_task_destroy(dmt);
	dmt = task_on(DM_DEVICE_RESUME, devt);
	if (!dmt || !ddraid_dm_run_synced(dmt)) {
		if (dmt)
			dm_task_destroy(dmt);
		return fail(err, errlen, -EIO,
			    "cannot resume the device with the new table");
	}
	dm_task_destroy(dmt);
	return 0;
}

static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!*s || *s == '-')
		return false;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return !errno && !*end;
}

const char *ddraid_dm_health_name(char h)
{
	return h == 'A' ? "active" : h == 'D' ? "failed" :
	       h == 'R' ? "rebuilding" : "absent";
}

int ddraid_dm_parse_status(const char *params, struct ddraid_dm_status *st)
{
	char buf[512], *w[24];
	uint64_t *ctr[] = { &st->reads, &st->writes, &st->reconstructs,
			    &st->member_errors, &st->mismatches };
	uint64_t *cl[] = { &st->granted, &st->locked, &st->inflight,
			   &st->waiting, &st->held };
	unsigned int i;
	int n;

	memset(st, 0, sizeof(*st));
	if (strlen(params) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, params);
	n = split_words(buf, w, 24);
	if (n != 8 && n != 16)
		return -EINVAL;
	if (!parse_count(w[0], DDRAID_MAX_MEMBERS, &st->members) ||
	    st->members < 2 || strlen(w[1]) != st->members ||
	    strspn(w[1], "ADR-") != st->members || strlen(w[2]) >= 16)
		return -EINVAL;
	strcpy(st->health, w[1]);
	strcpy(st->state, w[2]);
	for (i = 0; i < 5; i++)
		if (!parse_u64(w[3 + i], ctr[i]))
			return -EINVAL;
	if (n == 8)
		return 0;
	if (strcmp(w[8], "cluster") || strlen(w[15]) >= 16 ||
	    (strcmp(w[9], "attached") && strcmp(w[9], "detached")))
		return -EINVAL;
	st->cluster = true;
	st->attached = !strcmp(w[9], "attached");
	for (i = 0; i < 5; i++)
		if (!parse_u64(w[10 + i], cl[i]))
			return -EINVAL;
	strcpy(st->frozen, w[15]);
	return 0;
}

int ddraid_dm_status(const char *name, struct ddraid_dm_status *st,
		     char *err, size_t errlen)
{
	struct dm_task *dmt = dm_task_create(DM_DEVICE_STATUS);
	uint64_t start, length;
	struct dm_info info;
	char *type, *params;
	int r;

	if (!dmt)
		return fail(err, errlen, -ENOMEM, "cannot talk to device-mapper");
	if (!dm_task_set_name(dmt, name) || !dm_task_run(dmt) ||
	    !dm_task_get_info(dmt, &info) || !info.exists) {
		dm_task_destroy(dmt);
		return fail(err, errlen, -ENODEV, "no device-mapper device '%s'",
			    name);
	}
	if (!ddraid_dm_one_target(dmt, &start, &length, &type, &params)) {
		dm_task_destroy(dmt);
		return fail(err, errlen, -ENODEV, "'%s' is not a ddraid device",
			    name);
	}
	r = ddraid_dm_parse_status(params, st);
	st->event_nr = info.event_nr;
	dm_task_destroy(dmt);
	if (r)
		return fail(err, errlen, r, "'%s': unexpected status '%s'",
			    name, params);
	return 0;
}

/* Is @name one ddraid target? (its table, not its status: cheaper to
 * tell apart from other targets, and no counters move) */
static bool is_ddraid(const char *name)
{
	struct dm_task *dmt = dm_task_create(DM_DEVICE_TABLE);
	uint64_t start, length;
	char *type, *params;
	bool yes;

	if (!dmt)
		return false;
	yes = dm_task_set_name(dmt, name) && dm_task_run(dmt) &&
	      ddraid_dm_one_target(dmt, &start, &length, &type, &params);
	dm_task_destroy(dmt);
	return yes;
}

static void quiet_log(int level, const char *file, int line, int dm_errno,
		      const char *fmt, ...)
{
	(void)level; (void)file; (void)line; (void)dm_errno; (void)fmt;
}

bool ddraid_dm_available(void)
{
	static int known = -1;
	char version[64];

	if (known < 0) {
		/* A host without the dm driver (a container, a kernel without
		 * it) would make libdevmapper complain on stderr: ask quietly. */
		dm_log_with_errno_init(quiet_log);
		known = !access("/dev/mapper/control", F_OK) &&
			dm_driver_version(version, sizeof(version));
		dm_log_with_errno_init(NULL);
	}
	return known;
}

int ddraid_dm_list(char ***names, unsigned int *n)
{
	struct dm_task *dmt;
	struct dm_names *nm;
	unsigned int next;
	char **v = NULL, **p;

	*names = NULL;
	*n = 0;
	if (!ddraid_dm_available())
		return 0;
	dmt = dm_task_create(DM_DEVICE_LIST);
	if (!dmt || !dm_task_run(dmt) || !(nm = dm_task_get_names(dmt))) {
		if (dmt)
			dm_task_destroy(dmt);
		return -EIO;
	}
	if (nm->dev) {
		do {
			if (is_ddraid(nm->name)) {
				p = realloc(v, (*n + 1) * sizeof(*v));
				if (!p)
					break;
				v = p;
				v[*n] = strdup(nm->name);
				if (v[*n])
					(*n)++;
			}
			next = nm->next;
			nm = (struct dm_names *)((char *)nm + next);
		} while (next);
	}
	dm_task_destroy(dmt);
	*names = v;
	return 0;
}
