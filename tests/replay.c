/*
 * replay.c — xpnn-replay: replays golden vector files (docs/formats.md) on the C model.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "xpv.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xpnn-replay [--ref] [--threads N] [--quiet] FILE...\n"
		"Replay golden vector files on the C model (kernel: %s) and compare every expected\n"
		"value. Prints one line per file and a closing 'replay: N passed, N failed'.\n"
		"  --ref          use the deliberately simple _ref kernels instead of the optimised ones\n"
		"  --threads N    threads for RUN operations (1 … 64, default 2)\n"
		"  -q, --quiet    print only failures and the closing line\n"
		"  -h, --help     this help\n"
		"Exit status: 0 all passed, 1 a mismatch or a malformed file, 2 usage error.\n",
		xp_kernel_name());
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "ref", no_argument, NULL, 'r' },
					      { "threads", required_argument, NULL, 't' },
					      { "quiet", no_argument, NULL, 'q' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	int c, use_ref = 0, quiet = 0;
	unsigned threads = 2, passed = 0, failed = 0;
	while ((c = getopt_long(argc, argv, "rt:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'r': use_ref = 1; break;
		case 'q': quiet = 1; break;
		case 't': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 64) {
				fprintf(stderr, "xpnn-replay: --threads %s: must be an integer 1 … 64\n", optarg);
				return 2;
			}
			threads = (unsigned)v;
			break;
		}
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "xpnn-replay: no vector files given\nHINT: xpnn-replay tests/vectors/*.xpv\n");
		return 2;
	}
	for (int i = optind; i < argc; i++) {
		char msg[1024];
		size_t len = 0;
		xpv_stats st;
		uint8_t *buf = xpv_load(argv[i], &len, msg, sizeof(msg));
		if (!buf) {
			fprintf(stderr, "%s\n", msg);
			failed++;
			continue;
		}
		xpv_result r = xpv_replay_mem(buf, len, argv[i], use_ref, threads, &st, msg, sizeof(msg));
		free(buf);
		if (r == XPV_PASS) {
			passed++;
			if (!quiet)
				printf("OK %s (%s): %u ops, %llu values checked\n", st.name, argv[i], st.nops,
				       (unsigned long long)st.checked);
		} else {
			failed++;
			printf("FAIL %s\n", msg);
		}
	}
	printf("replay: %u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
