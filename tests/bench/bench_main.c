// SPDX-License-Identifier: GPL-2.0-only
/*
 * ddraid-bench [--json FILE] [--dir DIR] [--seconds S] [--quick]
 *              [--only parity|engine]
 *
 * Runs the parity part, then the engine part; each prints a table. With
 * --json, one JSON object is written holding every number: "host" (what
 * the numbers were measured on), "parity" and "engine". A benchmark, not a
 * test: it asserts nothing about speed; the exit status says only whether
 * every part ran.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "ddraid.h"
#include "bench.h"

double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/*
 * Stands in until tests/bench/bench_engine.c defines the real one, which
 * then takes precedence at link time.
 */
__attribute__((weak)) int bench_engine(const struct bench_opts *o,
				       json_object *out)
{
	fprintf(stderr, "ddraid-bench: the engine benchmark is not built in\n");
	return 1;
}

/* The "model name" line of /proc/cpuinfo, or "unknown". */
static void cpu_model(char *buf, size_t len)
{
	char line[512], *v;
	FILE *f = fopen("/proc/cpuinfo", "r");

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "model name", 10))
			continue;
		v = strchr(line, ':');
		if (!v)
			break;
		v += 1 + strspn(v + 1, " \t");
		v[strcspn(v, "\n")] = 0;
		snprintf(buf, len, "%s", v);
		break;
	}
	fclose(f);
}

static json_object *host_facts(void)
{
	json_object *h = json_object_new_object(), *impls;
	const struct ddraid_xor_impl *i;
	char model[256];
	struct utsname u;
	long llc = sysconf(_SC_LEVEL3_CACHE_SIZE);
	double load = -1;

	cpu_model(model, sizeof(model));
	json_object_object_add(h, "cpu_model", json_object_new_string(model));
	json_object_object_add(h, "cpus",
			       json_object_new_int64(sysconf(_SC_NPROCESSORS_ONLN)));
	if (llc > 0)
		json_object_object_add(h, "llc_bytes",
				       json_object_new_int64(llc));
	if (!uname(&u)) {
		json_object_object_add(h, "kernel",
				       json_object_new_string(u.release));
		json_object_object_add(h, "machine",
				       json_object_new_string(u.machine));
	}
	json_object_object_add(h, "xor_selected",
			       json_object_new_string(ddraid_xor_selected()));
	impls = json_object_new_array();
	for (i = ddraid_xor_impls; i->name; i++)
		if (i->usable())
			json_object_array_add(impls,
					      json_object_new_string(i->name));
	json_object_object_add(h, "xor_usable", impls);
	json_object_object_add(h, "time", json_object_new_int64(time(NULL)));
	if (getloadavg(&load, 1) == 1)
		json_object_object_add(h, "loadavg_1min",
				       json_object_new_double(load));

	printf("host: %s, %ld cpus, xor %s, load average %.2f\n", model,
	       sysconf(_SC_NPROCESSORS_ONLN), ddraid_xor_selected(), load);
	if (load > 0.5 * (double)sysconf(_SC_NPROCESSORS_ONLN))
		printf("note: the machine is busy; numbers are timed by CPU time but memory is shared\n");
	return h;
}

/* Refuse a JSON path we could not write before spending minutes on it. */
static int json_path_ok(const char *path)
{
	char *copy = strdup(path);
	int ok;

	if (!copy)
		return 0;
	ok = !access(dirname(copy), W_OK);
	if (!ok)
		fprintf(stderr, "ddraid-bench: cannot write %s: %s\n", path,
			strerror(errno));
	free(copy);
	return ok;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ddraid-bench [--json FILE] [--dir DIR] [--seconds S] [--quick]\n"
		"                    [--only parity|engine]\n"
		"  --json FILE     write every number as one JSON object to FILE\n"
		"  --dir DIR       where the engine part puts member files (default /var/tmp)\n"
		"  --seconds S     duration of each measurement (default 1; 0.05 with --quick)\n"
		"  --quick         small sizes and short runs: a smoke run, numbers are rough\n"
		"  --only PART     run only the parity or only the engine part\n"
		"DDRAID_XOR=portable|avx2|avx512 chooses the XOR behind ddraid_xor().\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "json", required_argument, NULL, 'j' },
		{ "dir", required_argument, NULL, 'd' },
		{ "seconds", required_argument, NULL, 's' },
		{ "quick", no_argument, NULL, 'q' },
		{ "only", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bench_opts o = { .dir = "/var/tmp", .seconds = 0 };
	const char *json_path = NULL, *only = NULL;
	json_object *root;
	int c, ret = 0;
	char *end;

	while ((c = getopt_long(argc, argv, "j:d:s:qo:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json_path = optarg;
			break;
		case 'd':
			o.dir = optarg;
			break;
		case 's':
			errno = 0;
			o.seconds = strtod(optarg, &end);
			if (errno || *end || !(o.seconds > 0) ||
			    o.seconds > 3600) {
				fprintf(stderr,
					"ddraid-bench: --seconds wants a number of seconds in (0, 3600], not \"%s\"\n",
					optarg);
				return 2;
			}
			break;
		case 'q':
			o.quick = true;
			break;
		case 'o':
			if (strcmp(optarg, "parity") && strcmp(optarg, "engine")) {
				fprintf(stderr,
					"ddraid-bench: --only wants parity or engine, not \"%s\"\n",
					optarg);
				return 2;
			}
			only = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ddraid-bench: unexpected argument \"%s\"\n",
			argv[optind]);
		usage(stderr);
		return 2;
	}
	if (json_path && !json_path_ok(json_path))
		return 2;
	if (!o.seconds)
		o.seconds = o.quick ? 0.05 : 1.0;

	root = json_object_new_object();
	json_object_object_add(root, "host", host_facts());
	json_object_object_add(root, "quick", json_object_new_boolean(o.quick));
	json_object_object_add(root, "seconds",
			       json_object_new_double(o.seconds));

	if (!only || !strcmp(only, "parity")) {
		if (bench_parity(&o, root)) {
			fprintf(stderr, "ddraid-bench: the parity part failed\n");
			ret = 1;
		}
	}
	if (!only || !strcmp(only, "engine")) {
		if (bench_engine(&o, root)) {
			fprintf(stderr, "ddraid-bench: the engine part failed\n");
			ret = 1;
		}
	}

	if (json_path &&
	    json_object_to_file_ext(json_path, root,
				    JSON_C_TO_STRING_PRETTY |
				    JSON_C_TO_STRING_NOSLASHESCAPE)) {
		fprintf(stderr, "ddraid-bench: cannot write %s: %s\n",
			json_path, json_util_get_last_err());
		ret = 1;
	}
	json_object_put(root);
	return ret;
}
