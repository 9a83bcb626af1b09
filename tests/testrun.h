/*
 * testrun.h — run a shell command from a test and capture its stdout (tests that check
 * interoperability with the scripts in tests/indep/). Each test program includes it once.
 */
#ifndef XP_TESTRUN_H
#define XP_TESTRUN_H

#include <stdio.h>
#include <stdlib.h>

/* Run cmd; *out gets its stdout (malloc'd, NUL-terminated; empty if the command cannot be
 * started). Returns pclose's status, or -1 if the command cannot be started or memory runs
 * out. */
static int run(const char *cmd, char **out)
{
	FILE *f = popen(cmd, "r");
	size_t n = 0, cap = 4096;
	char *b = malloc(cap);

	*out = NULL;
	if (!f || !b) {
		if (f)
			pclose(f);
		free(b);
		*out = calloc(1, 1);
		return -1;
	}
	for (;;) {
		const size_t k = fread(b + n, 1, cap - n - 1, f);

		n += k;
		if (k == 0)
			break;
		if (cap - n < 2) {
			char *g = realloc(b, 2 * cap);

			if (!g) {
				b[n] = 0;
				*out = b;
				pclose(f);
				return -1;
			}
			b = g;
			cap *= 2;
		}
	}
	b[n] = 0;
	*out = b;
	return pclose(f);
}

#endif /* XP_TESTRUN_H */
