// SPDX-License-Identifier: GPL-2.0-only
/* Writes a fuzz target's generated seeds into a corpus directory. */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"

int main(int argc, char **argv)
{
	static uint8_t buf[1 << 20];
	unsigned int i;
	size_t n;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	for (i = 0; (n = fuzz_make_seed(i, buf, sizeof(buf))); i++) {
		char path[4096];
		FILE *f;

		snprintf(path, sizeof(path), "%s/seed-%03u", argv[1], i);
		f = fopen(path, "wb");
		if (!f || fwrite(buf, 1, n, f) != n || fclose(f)) {
			perror(path);
			return 1;
		}
	}
	return 0;
}
