/*
 * xpnn_cli.c — the `xpnn` command-line tool (docs/cli.md): one subcommand per board operation
 * on top of libxpnn's typed API (xpnn.h).
 *
 * Order of work in every subcommand: options, then input files, then the board. Only INFO and
 * STATUS (which change nothing) may reach the board before everything has been validated, so a
 * typo or a corrupt file never leaves a board half-programmed. The exit codes are an interface
 * (scripts test them); they are listed in help_main and docs/cli.md.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <zlib.h>

#include "xpnn.h"

#include "cli.h"

/* ---- messages ---- */

void cli_err(const cli *c, const char *fmt, ...)
{
	va_list ap;

	if (c->sub)
		fprintf(stderr, "xpnn %s: ", c->sub);
	else
		fputs("xpnn: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int oom(const cli *c)
{
	cli_err(c, "out of memory");
	return RC_LINK;
}

int exit_code(int rc)
{
	switch (rc) {
	case XPNN_OK:
		return RC_OK;
	case XPNN_ENACK:
		return RC_NACK;
	case XPNN_EARG:
		return RC_USAGE;
	case XPNN_EPORT:
		return RC_PORT;
	case XPNN_ETIMEOUT:
		return RC_TIMEOUT;
	default: /* EIO, EPROTO, ENOMEM */
		return RC_LINK;
	}
}

/* The hint after an error message msg of code rc (NULL: none). */
static const char *rc_hint(int rc, const char *msg)
{
	switch (rc) {
	case XPNN_EPORT:
		/* A port that is well formed but cannot be opened (no device, permission, in use):
		 * the transport's message carries its own, more precise hint. */
		if (msg && (strstr(msg, "cannot open") || strstr(msg, "in use") ||
			    strstr(msg, "docs/boards.md")))
			return NULL;
		return "HINT: `xpnn help port` shows the port syntax";
	case XPNN_ETIMEOUT:
		return "HINT: --timeout MS and --retries N wait longer; -v shows every try";
	case XPNN_EIO:
		return "HINT: the connection was lost; check the cable or the server (xpnn serve)";
	case XPNN_EPROTO:
		return "HINT: the board speaks another protocol version or the link corrupts frames; "
		       "-v shows link events";
	default:
		return NULL;
	}
}

/* A board call failed: the handle's message names the command, the field and the limit. */
int board_err(const cli *c, int rc, const char *what)
{
	const char *msg = xpnn_errmsg(c->b);
	const char *hint;

	if (!msg || !*msg)
		msg = xpnn_rc_name(rc);
	hint = rc_hint(rc, msg);
	if (what)
		cli_err(c, "%s: %s", what, msg);
	else
		cli_err(c, "%s", msg);
	if (hint)
		fprintf(stderr, "%s\n", hint);
	return exit_code(rc);
}

/* ---- strict numbers ---- */

/* Unsigned decimal, or hexadecimal after 0x: no sign, no spaces, no junk. 0 ok, -1 junk,
 * -2 overflow of u64. */
int parse_u64(const char *s, uint64_t *out)
{
	const char *p = s;
	int base = 10;
	unsigned long long v;
	char *end;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	if (!*p)
		return -1;
	for (const char *q = p; *q; q++)
		if (base == 16 ? !isxdigit((unsigned char)*q) : !isdigit((unsigned char)*q))
			return -1;
	errno = 0;
	v = strtoull(p, &end, base);
	if (errno == ERANGE)
		return -2;
	if (*end)
		return -1;
	*out = v;
	return 0;
}

/* An option's value in lo … hi; a usage error names the option, the value and the range. */
int opt_uint(const cli *c, const char *opt, const char *s, uint64_t lo, uint64_t hi,
		    uint64_t *out)
{
	uint64_t v;
	int r = parse_u64(s, &v);

	if (r == -1) {
		cli_err(c, "%s '%s': not an unsigned integer (decimal or 0x hex); legal range "
			"%" PRIu64 " … %" PRIu64, opt, s, lo, hi);
		return RC_USAGE;
	}
	if (r == -2 || v < lo || v > hi) {
		cli_err(c, "%s %s: legal range %" PRIu64 " … %" PRIu64, opt, s, lo, hi);
		return RC_USAGE;
	}
	*out = v;
	return RC_OK;
}

/* ---- help texts ---- */

static const char help_global[] =
	"Global options (every subcommand, before or after it):\n"
	"  --port PORT      the board (default: $XPNN_PORT, else \"model\"); `xpnn help port`\n"
	"  --timeout MS     base deadline of one try, 1 … 600000 ms (default 1000)\n"
	"  --retries N      retries after the first try, 0 … 100 (default 3)\n"
	"  -v, --verbose    link events (retries, stale replies, boot id changes) on stderr\n"
	"  -q, --quiet      no progress or summary lines; data output only\n"
	"  -h, --help       this text\n";

static const char help_exit[] =
	"Exit codes:\n"
	"  0  success\n"
	"  1  the board refused the command (an error reply such as ERR_RANGE or ERR_STATE)\n"
	"  2  usage error: a bad option or argument (the message names it and its legal range)\n"
	"  3  the port cannot be opened (bad port string, unknown scheme, nothing listening)\n"
	"  4  no reply from the board after the last retry\n"
	"  5  input or output file error (the message names the file, and the line if any)\n"
	"  6  link or protocol failure (connection lost, malformed reply, version mismatch)\n"
	"  7  xpnn load --verify: more devices outside the tolerance than --max-bad allows\n"
	"  130  interrupted (SIGINT); xpnn train keeps the model of the last finished epoch\n";

static const char help_main[] =
	"usage: xpnn [GLOBAL OPTIONS] SUBCOMMAND [OPTIONS] [ARGS]\n"
	"\n"
	"Drive an xpnn crossbar board (the in-process model, a served board, an FPGA board)\n"
	"through libxpnn. Every board answers the same protocol (docs/protocol.md).\n"
	"\n"
	"Subcommands:\n"
	"  info            the board's identity and limits (INFO)\n"
	"  status          counters, error replies by name, pulses per tile, network (STATUS)\n"
	"  reset           back to the reset state; configuration and conductances are lost\n"
	"  seed N          set the run-time noise seed (SET_SEED)\n"
	"  configure       set the network from a JSON file or --reference (CONFIGURE, SET_ADC)\n"
	"  write           program conductance codes of a rectangle of a tile (WRITE_CELLS)\n"
	"  read            read back stored conductances of a rectangle (READ_CELLS)\n"
	"  run             run input vectors (text, raw bytes, IDX images) through the network\n"
	"  serve           serve a model board on TCP or a pty, so that it outlives one command\n"
	"  train           train the float twin on a data set (Fashion-MNIST by default)\n"
	"  compile         model → board image: tiles, conductance codes, ADC settings\n"
	"  load            program an image onto the board, optionally read back and verify\n"
	"  eval            accuracy and confusion matrix on the board (or of a model/image)\n"
	"  hil             hardware-in-the-loop fine-tuning on the board (pat, spsa, …)\n"
	"  help [SUB|port] this text, one subcommand's options, or the port syntax\n"
	"\n"
	"`xpnn SUB --help` lists a subcommand's options. --version prints the version.\n"
	"\n";

static const char help_info[] =
	"usage: xpnn info [--json] [GLOBAL OPTIONS]\n"
	"\n"
	"Print the board's identity and limits from INFO: protocol and numerics versions, the\n"
	"implementation, the tile geometry, bit widths and frame limits, one \"key: value\" line\n"
	"each.\n"
	"\n"
	"  --json           print one JSON object instead\n";

static const char help_status[] =
	"usage: xpnn status [--json] [GLOBAL OPTIONS]\n"
	"\n"
	"Print the board's counters from STATUS: valid frames, duplicates, error replies by name\n"
	"(ERR_CRC …), the programming counter P, the inference counter N, the noise seed, the\n"
	"configured network's shape and the programming pulses of every tile.\n"
	"\n"
	"  --json           print one JSON object instead (nseed is a decimal string: a u64)\n";

static const char help_reset[] =
	"usage: xpnn reset [GLOBAL OPTIONS]\n"
	"\n"
	"Reset the board (RESET): devices erased (stuck ones keep their value), ADC defaults, no\n"
	"network, seed and counters P, N zero, per-tile pulses cleared. The boot id changes.\n";

static const char help_seed[] =
	"usage: xpnn seed N [GLOBAL OPTIONS]\n"
	"\n"
	"Set the seed of run-time programming and read noise (SET_SEED) and zero the counters\n"
	"P and N, so that what follows is reproducible.\n"
	"\n"
	"  N                0 … 18446744073709551615, decimal or 0x hex\n";

static const char help_configure[] =
	"usage: xpnn configure FILE.json | --reference [GLOBAL OPTIONS]\n"
	"\n"
	"Set the network (CONFIGURE), then the ADC settings listed in the file (SET_ADC), and\n"
	"print the network's shape. FILE '-' reads stdin.\n"
	"\n"
	"  --reference      the reference network 784-64-10 on tiles 0 … 7 (needs 128 x 64 tiles)\n"
	"\n"
	"FILE.json (docs/cli.md; unknown keys are rejected):\n"
	"  {\"layers\": [{\"n_in\": 784, \"n_out\": 64, \"bias\": 1, \"act\": \"relu\", \"amul\": 1,\n"
	"               \"ash\": 0, \"tiles\": [0, 1, 2, 3, 4, 5, 6]}, …],\n"
	"   \"adc\": [{\"tile\": 0, \"c0\": 0, \"nc\": 64, \"gain\": G, \"shift\": S,\n"
	"            \"offset\": O}, …]}\n"
	"  n_in, n_out, tiles are required; bias defaults to 0, act to \"relu\" (hidden layers) or\n"
	"  \"identity\" (the last), amul to 1, ash to 0. \"adc\" is optional; gain, shift, offset\n"
	"  are each one number for all nc columns or an array of nc numbers.\n";

static const char help_write[] =
	"usage: xpnn write --tile T --row R0 --col C0 --rows NR --cols NC [--format text|bin] FILE\n"
	"       xpnn write --tile T --list FILE\n"
	"\n"
	"Program the conductance codes of rows R0 … R0+NR-1, columns C0 … C0+NC-1 of tile T\n"
	"(WRITE_CELLS, split into frames that fit the board) and print how many devices changed.\n"
	"FILE holds NR*NC*2 codes, (k+, k-) per cell, row-major; '-' reads stdin. Codes are\n"
	"0 … 2^code_bits-1 (INFO: 0 … 15 on the reference board).\n"
	"\n"
	"  --tile T         tile, 0 … tiles-1 (INFO)\n"
	"  --row R0         first row, 0 … rows-1\n"
	"  --col C0         first column, 0 … cols-1\n"
	"  --rows NR        number of rows, 1 … rows-R0\n"
	"  --cols NC        number of columns, 1 … cols-C0\n"
	"  --format text    integers separated by whitespace or commas, '#' starts a comment to\n"
	"                   the end of the line (default; `xpnn read` writes this layout)\n"
	"  --format bin     raw bytes k+ k- per cell, exactly NR*NC*2 of them\n"
	"  --list           FILE lists scattered cells instead, one per line: row col k+ k-\n"
	"                   ('#' comments); they are programmed in file order (WRITE_LIST), so\n"
	"                   only the listed cells take a programming pulse\n";

static const char help_read[] =
	"usage: xpnn read --tile T --row R0 --col C0 --rows NR --cols NC [-o FILE]\n"
	"                 [--format text|bin]\n"
	"\n"
	"Read back the stored conductances (G+, G-) of a rectangle (READ_CELLS, split into frames\n"
	"that fit the board). Options as for `xpnn write`, and:\n"
	"\n"
	"  --tile T, --row R0, --col C0, --rows NR, --cols NC   the rectangle\n"
	"  -o, --output FILE  write FILE (atomically: FILE.tmp, fsync, rename); '-' or none:\n"
	"                   stdout\n"
	"  --format text    one line per row: G+ G- of every cell, separated by spaces (default)\n"
	"  --format bin     raw bytes G+ G- per cell, row-major\n";

static const char help_run[] =
	"usage: xpnn run --input FILE [--format text|bin|idx] [--first K] [--count N]\n"
	"                [--all-layers] [--seed S] [-o FILE] [--out-format text|bin]\n"
	"\n"
	"Run input vectors through the configured network (RUN, split into frames of at most\n"
	"Bmax vectors; the results do not depend on the split). n_in comes from the board.\n"
	"\n"
	"  -i, --input FILE   input vectors; '-' reads stdin\n"
	"  --format text    one vector per line, n_in integers 0 … 255 (whitespace or commas,\n"
	"                   '#' comments, blank lines skipped) (default)\n"
	"  --format bin     raw bytes, n_in per vector\n"
	"  --format idx     an IDX3 u8 image file, gzip'd or plain (rows*cols must be n_in), e.g.\n"
	"                   /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz\n"
	"  --first K        skip the first K vectors (default 0)\n"
	"  --count N        run N vectors (default: all after --first)\n"
	"  --all-layers     output every layer's partial sums S (n_all values per vector)\n"
	"                   instead of the network outputs (n_out values)\n"
	"  --seed S         send SET_SEED S first (0 … 2^64-1, decimal or 0x hex)\n"
	"  -o, --output FILE  write FILE (atomically); '-' or none: stdout\n"
	"  --out-format text  one line per vector, space-separated integers (default)\n"
	"  --out-format bin   int16 little-endian, K per vector\n"
	"\n"
	"A progress line (rate, ETA) goes to stderr when it is a terminal and more than one frame\n"
	"is needed.\n";

static const char help_serve[] =
	"usage: xpnn serve [--listen HOST:PORT | --pty] [--port-file F] [--once] [--port model[:…]]\n"
	"\n"
	"Serve a model board (--port model…, the default) on TCP, one client at a time, until\n"
	"SIGINT or SIGTERM; clients reach it with --port tcp://HOST:PORT. The board keeps its\n"
	"state between clients.\n"
	"\n"
	"  --listen HOST:PORT  address to listen on (default 127.0.0.1:0; port 0: any free port)\n"
	"  --pty            serve on a new pseudo-terminal instead of TCP: clients reach it with\n"
	"                   --port tty:/dev/pts/N, through the same serial-port code as an FPGA\n"
	"                   board's UART (the path is logged, and written to --port-file)\n"
	"  --port-file F    write the bound TCP port (--pty: the pty's path) to F (atomically)\n"
	"                   once listening\n"
	"  --once           return after the first client disconnects (--pty: closes the pty)\n"
	"\n"
	"SIGUSR1 simulates a power cycle: before the next request the board returns to its\n"
	"reset state with a new boot id (as after RESET) and forgets its link state, so hosts'\n"
	"recovery (xpnn hil reprograms from its checkpoint) can be tested.\n";

static void print_port_help(void)
{
	const char *h = xpnn_port_help();

	if (h) {
		fputs(h, stdout);
		if (*h && h[strlen(h) - 1] != '\n')
			fputc('\n', stdout);
	}
}

void print_sub_help(const char *help)
{
	fputs(help, stdout);
	fputc('\n', stdout);
	fputs(help_global, stdout);
	fputc('\n', stdout);
	fputs(help_exit, stdout);
}

static void print_main_help(void)
{
	fputs(help_main, stdout);
	fputs(help_global, stdout);
	fputs("      --version    print the version\n\n", stdout);
	fputs(help_exit, stdout);
	fputc('\n', stdout);
	print_port_help();
}

/* ---- options ---- */

enum {
	O_VERSION = O_RETRIES + 1,
	O_JSON,
	O_REFERENCE,
	O_TILE,
	O_ROW,
	O_COL,
	O_ROWS,
	O_COLS,
	O_FORMAT,
	O_FIRST,
	O_COUNT,
	O_ALL_LAYERS,
	O_SEED,
	O_OUT_FORMAT,
	O_LISTEN,
	O_PORT_FILE,
	O_ONCE,
	O_LIST,
	O_PTY,
};


/* getopt_long over a subcommand's options, handling the global ones here. Returns the next
 * subcommand option (optarg set), OPT_DONE, or OPT_EXIT with *rc set. sopts starts with ':'. */
int cli_getopt(cli *c, int argc, char **argv, const char *sopts, const struct option *lo,
		      const char *help, int *rc)
{
	uint64_t v;

	opterr = 0;
	for (;;) {
		int o = getopt_long(argc, argv, sopts, lo, NULL);

		switch (o) {
		case -1:
			return OPT_DONE;
		case 'h':
			print_sub_help(help);
			*rc = RC_OK;
			return OPT_EXIT;
		case 'v':
			c->verbose = 1;
			break;
		case 'q':
			c->quiet = 1;
			break;
		case O_PORT:
			if (!*optarg) {
				cli_err(c, "--port '': empty port (see `xpnn help port`)");
				*rc = RC_USAGE;
				return OPT_EXIT;
			}
			c->port = optarg;
			break;
		case O_TIMEOUT:
			if ((*rc = opt_uint(c, "--timeout", optarg, 1, 600000, &v)))
				return OPT_EXIT;
			c->timeout_ms = (int)v;
			break;
		case O_RETRIES:
			if ((*rc = opt_uint(c, "--retries", optarg, 0, 100, &v)))
				return OPT_EXIT;
			c->retries = (int)v;
			break;
		case ':':
			cli_err(c, "option %s needs a value (see `xpnn %s --help`)", argv[optind - 1],
				c->sub ? c->sub : "");
			*rc = RC_USAGE;
			return OPT_EXIT;
		case '?':
			if (isdigit(optopt))
				cli_err(c, "-%c…: not an option, and negative values are outside every "
					"legal range (see `xpnn %s --help`)", optopt,
					c->sub ? c->sub : "");
			else if (optopt)
				cli_err(c, "unknown option -%c (see `xpnn %s --help`)", optopt,
					c->sub ? c->sub : "");
			else
				cli_err(c, "unknown or ambiguous option %s (see `xpnn %s --help`)",
					argv[optind - 1], c->sub ? c->sub : "");
			*rc = RC_USAGE;
			return OPT_EXIT;
		default:
			return o;
		}
	}
}

int usage_args(const cli *c, int npos, int lo, int hi, char **pos)
{
	if (npos < lo) {
		cli_err(c, "missing argument (see `xpnn %s --help`)", c->sub);
		return RC_USAGE;
	}
	if (npos > hi) {
		cli_err(c, "unexpected argument '%s' (see `xpnn %s --help`)", pos[hi], c->sub);
		return RC_USAGE;
	}
	return RC_OK;
}

/* One of a fixed set of words; the error lists them. */
int opt_word(const cli *c, const char *opt, const char *s, const char *const *words,
		    int *out)
{
	char list[128] = "";

	for (int i = 0; words[i]; i++) {
		if (!strcmp(s, words[i])) {
			*out = i;
			return RC_OK;
		}
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
			 words[i]);
	}
	cli_err(c, "%s '%s': must be one of %s", opt, s, list);
	return RC_USAGE;
}

/* ---- the board ---- */

static void log_line(void *ctx, const char *line)
{
	const cli *c = ctx;

	fprintf(stderr, "xpnn %s: %s\n", c->sub ? c->sub : "", line);
}

/* xpnn_open / xpnn_port_open failed: the message usually names the port already. */
static void port_err(const cli *c, int rc, const char *err)
{
	if (!*err)
		cli_err(c, "--port %s: %s", c->port, xpnn_rc_name(rc));
	else if (strstr(err, c->port))
		cli_err(c, "%s", err);
	else
		cli_err(c, "--port %s: %s", c->port, err);
}

int cli_open(cli *c)
{
	xpnn_opts o;
	char err[XPNN_ERRMSG] = "";
	int rc;

	xpnn_opts_default(&o);
	if (c->timeout_ms > 0)
		o.timeout_ms = c->timeout_ms;
	if (c->retries >= 0)
		o.retries = c->retries;
	if (c->verbose) {
		o.log = log_line;
		o.log_ctx = c;
	}
	rc = xpnn_open(&c->b, c->port, &o, err, sizeof(err));
	if (rc) {
		const char *hint = rc_hint(rc, err);

		c->b = NULL;
		port_err(c, rc, err);
		if (hint)
			fprintf(stderr, "%s\n", hint);
		return exit_code(rc);
	}
	return RC_OK;
}

void cli_close(cli *c)
{
	if (c->b)
		xpnn_close(c->b);
	c->b = NULL;
}

/* ---- files ---- */

const char *fname(const char *path)
{
	return strcmp(path, "-") ? path : "stdin";
}

/* All of path ('-': stdin) into a malloc'd buffer. */
static int slurp(const cli *c, const char *path, uint8_t **buf, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	size_t cap = 1 << 16, n = 0;
	uint8_t *p = NULL;

	*buf = NULL;
	*len = 0;
	if (!f) {
		cli_err(c, "%s: %s", path, strerror(errno));
		return RC_FILE;
	}
	if (!(p = malloc(cap)))
		goto nomem;
	for (;;) {
		size_t got;

		if (n == cap) {
			uint8_t *q = cap > SIZE_MAX / 2 ? NULL : realloc(p, cap * 2);

			if (!q)
				goto nomem;
			p = q;
			cap *= 2;
		}
		got = fread(p + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		cli_err(c, "%s: read error: %s", fname(path), strerror(errno));
		free(p);
		if (f != stdin)
			fclose(f);
		return RC_FILE;
	}
	if (f != stdin)
		fclose(f);
	*buf = p;
	*len = n;
	return RC_OK;
nomem:
	free(p);
	if (f != stdin)
		fclose(f);
	return oom(c);
}

/* An output file written atomically: FILE.tmp, fsync, rename; stdout when path is NULL or '-'.
 * Opened before the board is touched, so an unwritable path fails first. */
typedef struct outf {
	FILE *f;
	const char *path; /* NULL: stdout */
	char *tmp;
} outf;

static int out_open(const cli *c, outf *o, const char *path)
{
	size_t n;
	int fd;

	memset(o, 0, sizeof(*o));
	if (!path || !strcmp(path, "-")) {
		o->f = stdout;
		return RC_OK;
	}
	n = strlen(path) + 5;
	if (!(o->tmp = malloc(n)))
		return oom(c);
	snprintf(o->tmp, n, "%s.tmp", path);
	fd = open(o->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0 || !(o->f = fdopen(fd, "wb"))) {
		cli_err(c, "%s: %s", o->tmp, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(o->tmp);
		}
		free(o->tmp);
		o->tmp = NULL;
		return RC_FILE;
	}
	o->path = path;
	return RC_OK;
}

static void out_abort(outf *o)
{
	if (o->path) {
		fclose(o->f);
		unlink(o->tmp);
	}
	free(o->tmp);
	memset(o, 0, sizeof(*o));
}

static int out_commit(const cli *c, outf *o)
{
	const char *slash, *what = o->tmp;
	int err = 0;

	if (!o->path) {
		if (fflush(stdout) || ferror(stdout)) {
			cli_err(c, "stdout: write error: %s", strerror(errno));
			return RC_FILE;
		}
		return RC_OK;
	}
	errno = 0;
	if (fflush(o->f) || ferror(o->f) || fsync(fileno(o->f)))
		err = errno ? errno : EIO;
	if (fclose(o->f) && !err)
		err = errno ? errno : EIO;
	o->f = NULL;
	if (!err && rename(o->tmp, o->path)) {
		err = errno;
		what = o->path;
	}
	if (err) {
		cli_err(c, "%s: %s", what, strerror(err));
		unlink(o->tmp);
		free(o->tmp);
		o->tmp = NULL;
		return RC_FILE;
	}
	/* The rename itself must reach the disk too. */
	slash = strrchr(o->path, '/');
	if (slash) {
		size_t n = (size_t)(slash - o->path);
		char *dir = malloc(n + 2);

		if (dir) {
			memcpy(dir, o->path, n ? n : 1);
			dir[n ? n : 1] = 0;
			int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

			if (fd >= 0) {
				fsync(fd);
				close(fd);
			}
			free(dir);
		}
	} else {
		int fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd >= 0) {
			fsync(fd);
			close(fd);
		}
	}
	free(o->tmp);
	o->tmp = NULL;
	return RC_OK;
}

/* ---- text files of small integers ---- */

typedef struct u8buf {
	uint8_t *v;
	size_t n, cap;
} u8buf;

/* A line of a text file that holds values: its number and its values' place in the u8buf. */
typedef struct tline {
	unsigned line;
	size_t start, n;
} tline;

typedef struct tlines {
	tline *v;
	size_t n, cap;
} tlines;

static int grow(void **v, size_t *cap, size_t need, size_t elem)
{
	size_t ncap = *cap ? *cap : 256;
	void *p;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	if (!(p = realloc(*v, ncap * elem)))
		return -1;
	*v = p;
	*cap = ncap;
	return 0;
}

static int is_sep(uint8_t ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == ',' || ch == '\f' || ch == '\v';
}

/* Integers 0 … 255 separated by whitespace or commas; '#' starts a comment to the end of the
 * line. Every line that holds values gets a tline (one vector per line for `run`; `write`
 * uses them to name the line of a bad code). More than limit values is an error; limit_desc
 * says where the limit comes from. */
static int text_parse(const cli *c, const char *name, const uint8_t *buf, size_t len,
		      size_t limit, const char *limit_desc, u8buf *vals, tlines *lines)
{
	unsigned line = 1;
	size_t i = 0;

	while (i < len) {
		size_t start = vals->n;

		while (i < len && buf[i] != '\n') {
			size_t t0 = i;
			unsigned v = 0;
			int junk = 0, big = 0;

			if (buf[i] == '#') {
				while (i < len && buf[i] != '\n')
					i++;
				break;
			}
			if (is_sep(buf[i])) {
				i++;
				continue;
			}
			while (i < len && buf[i] != '\n' && buf[i] != '#' && !is_sep(buf[i])) {
				if (buf[i] < '0' || buf[i] > '9')
					junk = 1;
				else if (!big && (v = v * 10 + (buf[i] - '0')) > 255)
					big = 1;
				i++;
			}
			if (junk) {
				for (size_t k = t0; k < i; k++) {
					if (buf[k] < 0x20 || buf[k] >= 0x7f) {
						cli_err(c, "%s:%u: binary data (byte 0x%02x), not text "
							"integers\nHINT: use --format bin (or idx)",
							name, line, buf[k]);
						return RC_FILE;
					}
				}
				cli_err(c, "%s:%u: '%.*s' is not an integer 0 … 255", name, line,
					(int)(i - t0 > 24 ? 24 : i - t0), (const char *)buf + t0);
				return RC_FILE;
			}
			if (big) {
				cli_err(c, "%s:%u: value %.*s: legal range 0 … 255", name, line,
					(int)(i - t0 > 24 ? 24 : i - t0), (const char *)buf + t0);
				return RC_FILE;
			}
			if (vals->n >= limit) {
				cli_err(c, "%s:%u: more than %zu values (%s)", name, line, limit,
					limit_desc);
				return RC_FILE;
			}
			if (grow((void **)&vals->v, &vals->cap, vals->n + 1, 1))
				return oom(c);
			vals->v[vals->n++] = (uint8_t)v;
		}
		if (vals->n > start) {
			if (grow((void **)&lines->v, &lines->cap, lines->n + 1, sizeof(tline)))
				return oom(c);
			lines->v[lines->n++] = (tline){ line, start, vals->n - start };
		}
		if (i < len)
			i++;
		line++;
	}
	return RC_OK;
}

static unsigned line_of(const tlines *lines, size_t idx)
{
	for (size_t i = 0; i < lines->n; i++)
		if (idx >= lines->v[i].start && idx < lines->v[i].start + lines->v[i].n)
			return lines->v[i].line;
	return 0;
}

/* ---- key: value output ---- */

#define KV_W 17

static void kv(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void kv(const char *key, const char *fmt, ...)
{
	char k[64];
	va_list ap;

	snprintf(k, sizeof(k), "%s:", key);
	printf("%-*s ", KV_W, k);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

void jput(json_t *o, const char *key, json_t *v, int *bad)
{
	if (!v || json_object_set_new(o, key, v))
		*bad = 1;
}

int json_print(const cli *c, json_t *o, int bad)
{
	int r;

	if (!o || bad) {
		json_decref(o);
		return oom(c);
	}
	r = json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	putchar('\n');
	if (r) {
		cli_err(c, "stdout: write error");
		return RC_FILE;
	}
	return RC_OK;
}

/* ---- info ---- */

static const char *impl_name(unsigned impl)
{
	return impl == 1 ? "C board engine" : impl == 2 ? "RTL" : "other";
}

static int cmd_info(cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		GLOBAL_LONGOPTS,
		{ "json", no_argument, NULL, O_JSON },
		LONGOPTS_END,
	};
	const xpnn_info *in;
	int json = 0, rc = RC_OK, o;

	while ((o = cli_getopt(c, argc, argv, ":hvq", lo, help_info, &rc)) != OPT_DONE) {
		if (o == OPT_EXIT)
			return rc;
		if (o == O_JSON)
			json = 1;
	}
	if ((rc = usage_args(c, argc - optind, 0, 0, argv + optind)))
		return rc;
	if ((rc = cli_open(c)))
		return rc;
	in = xpnn_board_info(c->b);
	if (json) {
		json_t *j = json_object();
		int bad = !j;

		if (j) {
			jput(j, "port", json_string(c->port), &bad);
			jput(j, "protocol_version", json_integer(in->protocol_version), &bad);
			jput(j, "numerics_version", json_integer(in->numerics_version), &bad);
			jput(j, "impl", json_integer(in->impl), &bad);
			jput(j, "impl_name", json_string(impl_name(in->impl)), &bad);
			jput(j, "impl_version", json_integer(in->impl_version), &bad);
			jput(j, "build_hash", json_integer(in->build_hash), &bad);
			jput(j, "boot_id", json_integer(in->boot_id), &bad);
			jput(j, "rows", json_integer(in->rows), &bad);
			jput(j, "cols", json_integer(in->cols), &bad);
			jput(j, "tiles", json_integer(in->tiles), &bad);
			jput(j, "dac_bits", json_integer(in->dac_bits), &bad);
			jput(j, "code_bits", json_integer(in->code_bits), &bad);
			jput(j, "adc_bits", json_integer(in->adc_bits), &bad);
			jput(j, "g_bits", json_integer(in->g_bits), &bad);
			jput(j, "psum_bits", json_integer(in->psum_bits), &bad);
			jput(j, "max_layers", json_integer(in->max_layers), &bad);
			jput(j, "max_width", json_integer(in->max_width), &bad);
			jput(j, "max_batch", json_integer(in->max_batch), &bad);
			jput(j, "max_request", json_integer(in->max_request), &bad);
			jput(j, "max_reply", json_integer(in->max_reply), &bad);
		}
		rc = json_print(c, j, bad);
	} else {
		kv("port", "%s", c->port);
		kv("protocol_version", "%u", in->protocol_version);
		kv("numerics_version", "%u", in->numerics_version);
		kv("impl", "%u (%s)", in->impl, impl_name(in->impl));
		kv("impl_version", "%u", in->impl_version);
		kv("build_hash", "0x%08" PRIx32, in->build_hash);
		kv("boot_id", "0x%08" PRIx32, in->boot_id);
		kv("rows", "%u", in->rows);
		kv("cols", "%u", in->cols);
		kv("tiles", "%u", in->tiles);
		kv("dac_bits", "%u", in->dac_bits);
		kv("code_bits", "%u", in->code_bits);
		kv("adc_bits", "%u", in->adc_bits);
		kv("g_bits", "%u", in->g_bits);
		kv("psum_bits", "%u", in->psum_bits);
		kv("max_layers", "%u", in->max_layers);
		kv("max_width", "%u", in->max_width);
		kv("max_batch", "%u", in->max_batch);
		kv("max_request", "%" PRIu32, in->max_request);
		kv("max_reply", "%" PRIu32, in->max_reply);
	}
	cli_close(c);
	return rc;
}

/* ---- status ---- */

static int cmd_status(cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		GLOBAL_LONGOPTS,
		{ "json", no_argument, NULL, O_JSON },
		LONGOPTS_END,
	};
	xpnn_status st;
	int json = 0, rc = RC_OK, o;
	unsigned ntiles;

	while ((o = cli_getopt(c, argc, argv, ":hvq", lo, help_status, &rc)) != OPT_DONE) {
		if (o == OPT_EXIT)
			return rc;
		if (o == O_JSON)
			json = 1;
	}
	if ((rc = usage_args(c, argc - optind, 0, 0, argv + optind)))
		return rc;
	if ((rc = cli_open(c)))
		return rc;
	memset(&st, 0, sizeof(st));
	if ((rc = xpnn_status_get(c->b, &st))) {
		rc = board_err(c, rc, NULL);
		cli_close(c);
		return rc;
	}
	ntiles = st.tiles < XP_MAX_TILES ? st.tiles : XP_MAX_TILES;
	if (json) {
		json_t *j = json_object(), *nacks = json_object(), *net = json_object();
		json_t *tp = json_array();
		char seed[24];
		int bad = !j || !nacks || !net || !tp;

		if (!bad) {
			snprintf(seed, sizeof(seed), "%" PRIu64, st.nseed);
			jput(j, "port", json_string(c->port), &bad);
			jput(j, "boot_id", json_integer(xpnn_boot_id(c->b)), &bad);
			jput(j, "frames_ok", json_integer(st.frames_ok), &bad);
			jput(j, "duplicates", json_integer(st.duplicates), &bad);
			for (unsigned k = 1; k <= XP_RSP_MAX; k++)
				jput(nacks, xp_rsp_name(k), json_integer(st.nacks[k]), &bad);
			jput(j, "nacks", json_incref(nacks), &bad);
			jput(j, "pulses", json_integer((json_int_t)st.pulses), &bad);
			jput(j, "inferences", json_integer((json_int_t)st.inferences), &bad);
			jput(j, "nseed", json_string(seed), &bad);
			jput(net, "layers", json_integer(st.nlayers), &bad);
			jput(net, "n_in", json_integer(st.n_in), &bad);
			jput(net, "n_out", json_integer(st.n_out), &bad);
			jput(net, "n_all", json_integer(st.n_all), &bad);
			jput(j, "network", json_incref(net), &bad);
			jput(j, "tiles", json_integer(st.tiles), &bad);
			for (unsigned t = 0; t < ntiles; t++)
				if (json_array_append_new(tp, json_integer(st.tile_pulses[t])))
					bad = 1;
			jput(j, "tile_pulses", json_incref(tp), &bad);
		}
		json_decref(nacks);
		json_decref(net);
		json_decref(tp);
		rc = json_print(c, j, bad);
	} else {
		char buf[512] = "";
		uint64_t total = 0;

		for (unsigned k = 1; k <= XP_RSP_MAX; k++) {
			total += st.nacks[k];
			if (st.nacks[k])
				snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s %" PRIu32,
					 *buf ? ", " : " (", xp_rsp_name(k), st.nacks[k]);
		}
		if (*buf)
			strncat(buf, ")", sizeof(buf) - strlen(buf) - 1);
		kv("port", "%s", c->port);
		kv("boot_id", "0x%08" PRIx32, xpnn_boot_id(c->b));
		kv("frames_ok", "%" PRIu32, st.frames_ok);
		kv("duplicates", "%" PRIu32, st.duplicates);
		kv("nacks", "%" PRIu64 "%s", total, buf);
		kv("pulses", "%" PRIu64 " (programming counter P)", st.pulses);
		kv("inferences", "%" PRIu64 " (inference counter N)", st.inferences);
		kv("nseed", "%" PRIu64 " (0x%" PRIx64 ")", st.nseed, st.nseed);
		if (st.nlayers)
			kv("network", "%u layers, n_in %u, n_out %u, n_all %u", st.nlayers, st.n_in,
			   st.n_out, st.n_all);
		else
			kv("network", "none (`xpnn configure` sets one)");
		kv("tiles", "%u", st.tiles);
		for (unsigned t = 0; t < ntiles; t++) {
			char key[32];

			snprintf(key, sizeof(key), "tile %u pulses", t);
			kv(key, "%" PRIu32, st.tile_pulses[t]);
		}
	}
	cli_close(c);
	return rc;
}

/* ---- reset, seed ---- */

static int cmd_reset(cli *c, int argc, char **argv)
{
	static const struct option lo[] = { GLOBAL_LONGOPTS, LONGOPTS_END };
	uint32_t before;
	int rc = RC_OK, o;

	while ((o = cli_getopt(c, argc, argv, ":hvq", lo, help_reset, &rc)) != OPT_DONE)
		if (o == OPT_EXIT)
			return rc;
	if ((rc = usage_args(c, argc - optind, 0, 0, argv + optind)))
		return rc;
	if ((rc = cli_open(c)))
		return rc;
	before = xpnn_boot_id(c->b);
	if ((rc = xpnn_reset(c->b)))
		rc = board_err(c, rc, NULL);
	else if (!c->quiet)
		printf("reset: boot id 0x%08" PRIx32 " -> 0x%08" PRIx32 "\n", before,
		       xpnn_boot_id(c->b));
	cli_close(c);
	return rc;
}

static int cmd_seed(cli *c, int argc, char **argv)
{
	static const struct option lo[] = { GLOBAL_LONGOPTS, LONGOPTS_END };
	uint64_t seed;
	int rc = RC_OK, o;

	while ((o = cli_getopt(c, argc, argv, ":hvq", lo, help_seed, &rc)) != OPT_DONE)
		if (o == OPT_EXIT)
			return rc;
	if ((rc = usage_args(c, argc - optind, 1, 1, argv + optind)))
		return rc;
	if ((rc = opt_uint(c, "seed", argv[optind], 0, UINT64_MAX, &seed)))
		return rc;
	if ((rc = cli_open(c)))
		return rc;
	if ((rc = xpnn_set_seed(c->b, seed)))
		rc = board_err(c, rc, NULL);
	else if (!c->quiet)
		printf("seed: %" PRIu64 " (0x%016" PRIx64 ")\n", seed, seed);
	cli_close(c);
	return rc;
}

/* ---- configure ---- */

typedef struct adc_ent {
	unsigned tile, c0, nc;
	xp_adc *col; /* (nc) */
} adc_ent;

typedef struct net {
	unsigned nlayers;
	xp_layer *layers; /* (nlayers) */
	uint16_t *tiles;  /* every layer's tiles, concatenated */
	unsigned nadc;
	adc_ent *adc;     /* (nadc) */
} net;

static void net_free(net *n)
{
	for (unsigned i = 0; i < n->nadc; i++)
		free(n->adc[i].col);
	free(n->adc);
	free(n->layers);
	free(n->tiles);
	memset(n, 0, sizeof(*n));
}

static const char *jtype(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a real number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

static int j_int(const cli *c, const char *file, const char *path, const json_t *v, long long lo,
		 long long hi, long long *out)
{
	long long x;

	if (!json_is_integer(v)) {
		cli_err(c, "%s: %s: must be an integer in %lld … %lld, not %s", file, path, lo, hi,
			jtype(v));
		return RC_FILE;
	}
	x = json_integer_value(v);
	if (x < lo || x > hi) {
		cli_err(c, "%s: %s = %lld: legal range %lld … %lld", file, path, x, lo, hi);
		return RC_FILE;
	}
	*out = x;
	return RC_OK;
}

/* obj's keys must all be in known (NULL-terminated). */
static int j_keys(const cli *c, const char *file, const char *path, json_t *obj,
		  const char *const *known)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		char list[160] = "";
		int ok = 0;

		for (int i = 0; known[i]; i++) {
			ok |= !strcmp(key, known[i]);
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 i ? ", " : "", known[i]);
		}
		if (!ok) {
			cli_err(c, "%s: %s%s%s: unknown key (known: %s)", file, path,
				*path ? "." : "", key, list);
			return RC_FILE;
		}
	}
	return RC_OK;
}

static json_t *j_req(const cli *c, const char *file, const char *path, json_t *obj,
		     const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (!v)
		cli_err(c, "%s: %s: missing key \"%s\"", file, path, key);
	return v;
}

static int parse_layer(const cli *c, const char *file, json_t *jl, unsigned li, unsigned nl,
		       xp_layer *l, uint16_t *tiles, size_t *ntiles_used, size_t tiles_cap)
{
	static const char *const keys[] = { "n_in", "n_out", "bias", "act", "amul", "ash", "tiles",
					    NULL };
	char path[64], p2[80];
	json_t *v, *jt;
	long long x;
	int rc;

	snprintf(path, sizeof(path), "layers[%u]", li);
	if (!json_is_object(jl)) {
		cli_err(c, "%s: %s: must be an object, not %s", file, path, jtype(jl));
		return RC_FILE;
	}
	if ((rc = j_keys(c, file, path, jl, keys)))
		return rc;
	memset(l, 0, sizeof(*l));
	l->amul = 1;
	l->act = li + 1 < nl ? XP_ACT_RELU : XP_ACT_IDENTITY;
	if (!(v = j_req(c, file, path, jl, "n_in")))
		return RC_FILE;
	snprintf(p2, sizeof(p2), "%s.n_in", path);
	if ((rc = j_int(c, file, p2, v, 1, 65535, &x)))
		return rc;
	l->n_in = (uint16_t)x;
	if (!(v = j_req(c, file, path, jl, "n_out")))
		return RC_FILE;
	snprintf(p2, sizeof(p2), "%s.n_out", path);
	if ((rc = j_int(c, file, p2, v, 1, 65535, &x)))
		return rc;
	l->n_out = (uint16_t)x;
	if ((v = json_object_get(jl, "bias"))) {
		snprintf(p2, sizeof(p2), "%s.bias", path);
		if ((rc = j_int(c, file, p2, v, 0, 1, &x)))
			return rc;
		l->bias = (uint8_t)x;
	}
	if ((v = json_object_get(jl, "amul"))) {
		snprintf(p2, sizeof(p2), "%s.amul", path);
		if ((rc = j_int(c, file, p2, v, 0, 255, &x)))
			return rc;
		l->amul = (uint8_t)x;
	}
	if ((v = json_object_get(jl, "ash"))) {
		snprintf(p2, sizeof(p2), "%s.ash", path);
		if ((rc = j_int(c, file, p2, v, 0, XP_ACT_SHIFT_MAX, &x)))
			return rc;
		l->ash = (uint8_t)x;
	}
	if ((v = json_object_get(jl, "act"))) {
		const char *s = json_string_value(v);

		if (!s || (strcmp(s, "relu") && strcmp(s, "identity"))) {
			if (s)
				cli_err(c, "%s: %s.act = \"%s\": must be \"relu\" or \"identity\"",
					file, path, s);
			else
				cli_err(c, "%s: %s.act: must be \"relu\" or \"identity\", not %s", file,
					path, jtype(v));
			return RC_FILE;
		}
		l->act = strcmp(s, "relu") ? XP_ACT_IDENTITY : XP_ACT_RELU;
		if (l->act == XP_ACT_IDENTITY && li + 1 < nl) {
			cli_err(c, "%s: %s.act = \"identity\": hidden layers must be \"relu\"; only "
				"the last layer may be \"identity\" (protocol §4.5)", file, path);
			return RC_FILE;
		}
	}
	if (!(jt = j_req(c, file, path, jl, "tiles")))
		return RC_FILE;
	if (!json_is_array(jt) || json_array_size(jt) == 0 || json_array_size(jt) > 65535) {
		cli_err(c, "%s: %s.tiles: must be an array of 1 … 65535 tile numbers%s%s", file, path,
			json_is_array(jt) ? "" : ", not ", json_is_array(jt) ? "" : jtype(jt));
		return RC_FILE;
	}
	l->ntiles = (uint16_t)json_array_size(jt);
	if (*ntiles_used + l->ntiles > tiles_cap)
		return oom(c);
	for (size_t i = 0; i < l->ntiles; i++) {
		snprintf(p2, sizeof(p2), "%s.tiles[%zu]", path, i);
		if ((rc = j_int(c, file, p2, json_array_get(jt, i), 0, 65535, &x)))
			return rc;
		tiles[*ntiles_used + i] = (uint16_t)x;
	}
	l->tiles = tiles + *ntiles_used;
	*ntiles_used += l->ntiles;
	return RC_OK;
}

/* gain, shift or offset: one number for every column, or an array of nc numbers. */
static int parse_adc_field(const cli *c, const char *file, const char *path, json_t *v,
			   unsigned nc, long long lo, long long hi, long long *out)
{
	char p2[96];
	int rc;

	if (json_is_array(v)) {
		if (json_array_size(v) != nc) {
			cli_err(c, "%s: %s: %zu values, want nc = %u (or one number for all columns)",
				file, path, json_array_size(v), nc);
			return RC_FILE;
		}
		for (unsigned i = 0; i < nc; i++) {
			snprintf(p2, sizeof(p2), "%s[%u]", path, i);
			if ((rc = j_int(c, file, p2, json_array_get(v, i), lo, hi, &out[i])))
				return rc;
		}
		return RC_OK;
	}
	if ((rc = j_int(c, file, path, v, lo, hi, &out[0])))
		return rc;
	for (unsigned i = 1; i < nc; i++)
		out[i] = out[0];
	return RC_OK;
}

static int parse_adc(const cli *c, const char *file, json_t *ja, unsigned ai, adc_ent *e)
{
	static const char *const keys[] = { "tile", "c0", "nc", "gain", "shift", "offset", NULL };
	static const char *const fields[] = { "gain", "shift", "offset" };
	static const long long lo[] = { 0, 0, XP_ADC_OFF_MIN };
	static const long long hi[] = { 255, XP_ADC_SHIFT_MAX, XP_ADC_OFF_MAX };
	char path[48], p2[80];
	long long x, *vals = NULL;
	json_t *v;
	int rc;

	snprintf(path, sizeof(path), "adc[%u]", ai);
	if (!json_is_object(ja)) {
		cli_err(c, "%s: %s: must be an object, not %s", file, path, jtype(ja));
		return RC_FILE;
	}
	if ((rc = j_keys(c, file, path, ja, keys)))
		return rc;
	for (int k = 0; k < 3; k++) {
		if (!(v = j_req(c, file, path, ja, keys[k])))
			return RC_FILE;
		snprintf(p2, sizeof(p2), "%s.%s", path, keys[k]);
		if ((rc = j_int(c, file, p2, v, k == 2 ? 1 : 0, 65535, &x)))
			return rc;
		if (k == 0)
			e->tile = (unsigned)x;
		else if (k == 1)
			e->c0 = (unsigned)x;
		else
			e->nc = (unsigned)x;
	}
	if (!(e->col = calloc(e->nc, sizeof(xp_adc))) ||
	    !(vals = malloc(e->nc * sizeof(long long)))) {
		free(vals);
		return oom(c);
	}
	for (int f = 0; f < 3; f++) {
		if (!(v = j_req(c, file, path, ja, fields[f]))) {
			free(vals);
			return RC_FILE;
		}
		snprintf(p2, sizeof(p2), "%s.%s", path, fields[f]);
		if ((rc = parse_adc_field(c, file, p2, v, e->nc, lo[f], hi[f], vals))) {
			free(vals);
			return rc;
		}
		for (unsigned i = 0; i < e->nc; i++) {
			if (f == 0)
				e->col[i].gain = (uint8_t)vals[i];
			else if (f == 1)
				e->col[i].shift = (uint8_t)vals[i];
			else
				e->col[i].offset = (int16_t)vals[i];
		}
	}
	free(vals);
	return RC_OK;
}

/* The network file: syntax, types, u8/u16 ranges and the rules that need no board limits
 * (chained widths, hidden layers RELU, each tile used once). */
static int net_parse(const cli *c, const char *path, net *n)
{
	static const char *const keys[] = { "layers", "adc", NULL };
	const char *file = fname(path);
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	json_error_t je;
	json_t *root = NULL, *jl, *ja;
	size_t tiles_cap = 0, used = 0;
	int rc = RC_FILE;

	memset(n, 0, sizeof(*n));
	if (!f) {
		cli_err(c, "%s: %s", path, strerror(errno));
		return RC_FILE;
	}
	root = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
	if (f != stdin)
		fclose(f);
	if (!root) {
		if (je.line > 0)
			cli_err(c, "%s:%d:%d: %s", file, je.line, je.column, je.text);
		else
			cli_err(c, "%s: %s", file, je.text);
		return RC_FILE;
	}
	if (!json_is_object(root)) {
		cli_err(c, "%s: the top level must be an object {\"layers\": […], \"adc\": […]}, not %s",
			file, jtype(root));
		goto fail;
	}
	if ((rc = j_keys(c, file, "", root, keys)))
		goto fail;
	rc = RC_FILE;
	if (!(jl = j_req(c, file, "(top level)", root, "layers")))
		goto fail;
	if (!json_is_array(jl) || json_array_size(jl) < 1 || json_array_size(jl) > 255) {
		cli_err(c, "%s: layers: must be an array of 1 … 255 layers%s%s", file,
			json_is_array(jl) ? "" : ", not ", json_is_array(jl) ? "" : jtype(jl));
		goto fail;
	}
	n->nlayers = (unsigned)json_array_size(jl);
	for (unsigned i = 0; i < n->nlayers; i++) {
		json_t *t = json_is_object(json_array_get(jl, i)) ?
				    json_object_get(json_array_get(jl, i), "tiles") : NULL;

		tiles_cap += json_is_array(t) ? json_array_size(t) : 0;
	}
	if (!(n->layers = calloc(n->nlayers, sizeof(xp_layer))) ||
	    !(n->tiles = calloc(tiles_cap ? tiles_cap : 1, sizeof(uint16_t)))) {
		rc = oom(c);
		goto fail;
	}
	for (unsigned i = 0; i < n->nlayers; i++) {
		xp_layer *l = &n->layers[i];

		if ((rc = parse_layer(c, file, json_array_get(jl, i), i, n->nlayers, l, n->tiles,
				      &used, tiles_cap)))
			goto fail;
		rc = RC_FILE;
		if (i > 0 && l->n_in != n->layers[i - 1].n_out) {
			cli_err(c, "%s: layers[%u].n_in = %u: must equal layers[%u].n_out = %u", file,
				i, l->n_in, i - 1, n->layers[i - 1].n_out);
			goto fail;
		}
	}
	/* Each tile once: the board answers ERR_CONFLICT, but a path is easier to fix. */
	for (unsigned i = 0, k = 0; i < n->nlayers; i++) {
		for (unsigned t = 0; t < n->layers[i].ntiles; t++, k++) {
			for (unsigned j = 0, m = 0; m < k; j++) {
				for (unsigned u = 0; u < n->layers[j].ntiles && m < k; u++, m++) {
					if (n->layers[j].tiles[u] != n->tiles[k])
						continue;
					cli_err(c, "%s: layers[%u].tiles[%u] = %u: already used by "
						"layers[%u].tiles[%u]; each tile holds one block",
						file, i, t, n->tiles[k], j, u);
					goto fail;
				}
			}
		}
	}
	if ((ja = json_object_get(root, "adc"))) {
		if (!json_is_array(ja)) {
			cli_err(c, "%s: adc: must be an array, not %s", file, jtype(ja));
			goto fail;
		}
		n->nadc = (unsigned)json_array_size(ja);
		if (n->nadc && !(n->adc = calloc(n->nadc, sizeof(adc_ent)))) {
			n->nadc = 0;
			rc = oom(c);
			goto fail;
		}
		for (unsigned i = 0; i < n->nadc; i++)
			if ((rc = parse_adc(c, file, json_array_get(ja, i), i, &n->adc[i])))
				goto fail;
	}
	json_decref(root);
	return RC_OK;
fail:
	json_decref(root);
	net_free(n);
	return rc;
}

/* The network against the board's limits (INFO), with the JSON path of the first bad field. */
static int net_check(const cli *c, const char *src, const xp_netcfg *cfg, const net *n,
		     const xpnn_info *in)
{
	unsigned nrb_max = in->adc_bits >= 1 && in->adc_bits <= 16 ?
				   32768u >> (in->adc_bits - 1) : 0;

	if (cfg->nlayers < 1 || cfg->nlayers > in->max_layers) {
		cli_err(c, "%s: layers: %u layers: legal range 1 … %u (the board's max_layers)", src,
			cfg->nlayers, in->max_layers);
		return RC_FILE;
	}
	for (unsigned i = 0; i < cfg->nlayers; i++) {
		const xp_layer *l = &cfg->layers[i];
		unsigned hi_in = in->max_width, nrb, ncb;

		if (nrb_max && nrb_max * in->rows - l->bias < hi_in)
			hi_in = nrb_max * in->rows - l->bias;
		if (l->n_in > hi_in) {
			cli_err(c, "%s: layers[%u].n_in = %u: legal range 1 … %u (max_width %u; "
				"partial sums of at most %u row blocks of %u rows fit %u bits)", src,
				i, l->n_in, hi_in, in->max_width, nrb_max, in->rows, in->psum_bits);
			return RC_FILE;
		}
		if (l->n_out > in->max_width) {
			cli_err(c, "%s: layers[%u].n_out = %u: legal range 1 … %u (the board's "
				"max_width)", src, i, l->n_out, in->max_width);
			return RC_FILE;
		}
		if (!in->rows || !in->cols)
			continue;
		nrb = (l->n_in + l->bias + in->rows - 1) / in->rows;
		ncb = (l->n_out + in->cols - 1u) / in->cols;
		if (l->ntiles != nrb * ncb) {
			cli_err(c, "%s: layers[%u].tiles: %u tiles, want %u x %u = %u: %u+%u rows x %u "
				"columns on tiles of %u x %u (row-block-major)", src, i, l->ntiles,
				nrb, ncb, nrb * ncb, l->n_in, l->bias, l->n_out, in->rows, in->cols);
			return RC_FILE;
		}
		for (unsigned t = 0; t < l->ntiles; t++) {
			if (l->tiles[t] >= in->tiles) {
				cli_err(c, "%s: layers[%u].tiles[%u] = %u: legal range 0 … %u (the board "
					"has %u tiles)", src, i, t, l->tiles[t], in->tiles - 1u,
					in->tiles);
				return RC_FILE;
			}
		}
	}
	for (unsigned i = 0; n && i < n->nadc; i++) {
		const adc_ent *e = &n->adc[i];

		if (e->tile >= in->tiles) {
			cli_err(c, "%s: adc[%u].tile = %u: legal range 0 … %u (the board has %u tiles)",
				src, i, e->tile, in->tiles - 1u, in->tiles);
			return RC_FILE;
		}
		if (e->c0 >= in->cols) {
			cli_err(c, "%s: adc[%u].c0 = %u: legal range 0 … %u (tiles have %u columns)",
				src, i, e->c0, in->cols - 1u, in->cols);
			return RC_FILE;
		}
		if (e->nc > in->cols - e->c0) {
			cli_err(c, "%s: adc[%u].nc = %u: legal range 1 … %u (columns %u … %u)", src, i,
				e->nc, in->cols - e->c0, e->c0, in->cols - 1u);
			return RC_FILE;
		}
	}
	return RC_OK;
}

static int cmd_configure(cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		GLOBAL_LONGOPTS,
		{ "reference", no_argument, NULL, O_REFERENCE },
		LONGOPTS_END,
	};
	xp_layer ref_layers[2];
	uint16_t ref_tiles[8];
	xp_netcfg cfg;
	xpnn_shape shape;
	net n;
	const char *path = NULL, *src;
	int reference = 0, rc = RC_OK, o;
	unsigned tiles_used = 0;
	char widths[256] = "";

	memset(&n, 0, sizeof(n));
	while ((o = cli_getopt(c, argc, argv, ":hvq", lo, help_configure, &rc)) != OPT_DONE) {
		if (o == OPT_EXIT)
			return rc;
		if (o == O_REFERENCE)
			reference = 1;
	}
	if (reference && argc - optind > 0) {
		cli_err(c, "give FILE.json or --reference, not both (see `xpnn configure --help`)");
		return RC_USAGE;
	}
	if (!reference && argc - optind == 0) {
		cli_err(c, "give FILE.json or --reference (see `xpnn configure --help`)");
		return RC_USAGE;
	}
	if ((rc = usage_args(c, argc - optind, 0, 1, argv + optind)))
		return rc;
	if (reference) {
		xp_netcfg_reference(&cfg, ref_layers, ref_tiles);
		src = "--reference";
	} else {
		path = argv[optind];
		if ((rc = net_parse(c, path, &n)))
			return rc;
		cfg.nlayers = (uint8_t)n.nlayers;
		cfg.layers = n.layers;
		src = fname(path);
	}
	if ((rc = cli_open(c)))
		goto out;
	if ((rc = net_check(c, src, &cfg, reference ? NULL : &n, xpnn_board_info(c->b)))) {
		if (reference) {
			const xpnn_info *in = xpnn_board_info(c->b);

			fprintf(stderr, "HINT: --reference needs the reference geometry (at least 8 "
					"tiles of 128 x 64); this board has %u tiles of %u x %u\n",
				in->tiles, in->rows, in->cols);
			rc = RC_USAGE;
		}
		goto out;
	}
	if ((rc = xpnn_configure(c->b, &cfg, &shape))) {
		rc = board_err(c, rc, src);
		goto out;
	}
	for (unsigned i = 0; i < n.nadc; i++) {
		const adc_ent *e = &n.adc[i];

		if ((rc = xpnn_set_adc(c->b, e->tile, e->c0, e->nc, e->col))) {
			char what[300];

			snprintf(what, sizeof(what), "%s: adc[%u] (the network is configured and the "
				 "%u entries before this one are set)", src, i, i);
			rc = board_err(c, rc, what);
			goto out;
		}
	}
	for (unsigned i = 0; i < cfg.nlayers; i++) {
		snprintf(widths + strlen(widths), sizeof(widths) - strlen(widths), "%s%u",
			 i ? "-" : "", cfg.layers[i].n_in);
		tiles_used += cfg.layers[i].ntiles;
	}
	snprintf(widths + strlen(widths), sizeof(widths) - strlen(widths), "-%u",
		 cfg.layers[cfg.nlayers - 1].n_out);
	if (!c->quiet) {
		printf("network: %s, %u layers on %u tiles: n_in %u, n_out %u, n_all %u\n", widths,
		       cfg.nlayers, tiles_used, shape.n_in, shape.n_out, shape.n_all);
		if (n.nadc)
			printf("adc: %u %s set\n", n.nadc, n.nadc == 1 ? "entry" : "entries");
	}
out:
	cli_close(c);
	net_free(&n);
	return rc;
}

/* ---- write, read ---- */

typedef struct rect {
	uint64_t tile, row, col, rows, cols;
	unsigned have; /* bit per option given */
} rect;

static const char *const rect_opt[] = { "--tile", "--row", "--col", "--rows", "--cols" };

static int rect_opt_parse(const cli *c, rect *r, int o, const char *arg)
{
	uint64_t *f[] = { &r->tile, &r->row, &r->col, &r->rows, &r->cols };
	int k = o - O_TILE;

	r->have |= 1u << k;
	return opt_uint(c, rect_opt[k], arg, k >= 3 ? 1 : 0, 65535, f[k]);
}

static int rect_need(const cli *c, const rect *r)
{
	for (int k = 0; k < 5; k++) {
		if (!(r->have & (1u << k))) {
			cli_err(c, "%s is required (see `xpnn %s --help`)", rect_opt[k], c->sub);
			return RC_USAGE;
		}
	}
	return RC_OK;
}

/* The rectangle against the board's geometry (INFO). */
static int rect_check(const cli *c, const rect *r, const xpnn_info *in)
{
	if (r->tile >= in->tiles) {
		cli_err(c, "--tile %" PRIu64 ": legal range 0 … %d (the board has %u tiles)", r->tile,
			in->tiles - 1, in->tiles);
		return RC_USAGE;
	}
	if (r->row >= in->rows) {
		cli_err(c, "--row %" PRIu64 ": legal range 0 … %d (tiles have %u rows)", r->row,
			in->rows - 1, in->rows);
		return RC_USAGE;
	}
	if (r->col >= in->cols) {
		cli_err(c, "--col %" PRIu64 ": legal range 0 … %d (tiles have %u columns)", r->col,
			in->cols - 1, in->cols);
		return RC_USAGE;
	}
	if (r->rows > in->rows - r->row) {
		cli_err(c, "--rows %" PRIu64 ": legal range 1 … %" PRIu64 " (--row %" PRIu64
			", tiles have %u rows)", r->rows, in->rows - r->row, r->row, in->rows);
		return RC_USAGE;
	}
	if (r->cols > in->cols - r->col) {
		cli_err(c, "--cols %" PRIu64 ": legal range 1 … %" PRIu64 " (--col %" PRIu64
			", tiles have %u columns)", r->cols, in->cols - r->col, r->col, in->cols);
		return RC_USAGE;
	}
	return RC_OK;
}

/* `write --list`: "row col k+ k-" per line, checked against the board's INFO. */
static int write_list(cli *c, uint64_t tile, const char *path)
{
	const char *file = fname(path);
	uint8_t *buf = NULL;
	xpnn_cell *cells = NULL;
	size_t len, n = 0, cap = 0;
	uint32_t changed = 0;
	int rc;

	if ((rc = slurp(c, path, &buf, &len)))
		return rc;
	if ((rc = cli_open(c)))
		goto out;
	const xpnn_info *in = xpnn_board_info(c->b);
	if (tile >= in->tiles) {
		cli_err(c, "--tile %" PRIu64 ": legal range 0 … %d (the board has %u tiles)", tile,
			in->tiles - 1, in->tiles);
		rc = RC_USAGE;
		goto out;
	}
	const unsigned long hi[4] = { in->rows - 1u, in->cols - 1u, (1ul << in->code_bits) - 1,
				      (1ul << in->code_bits) - 1 };
	static const char *const what[4] = { "row", "col", "k+", "k-" };
	unsigned line = 1;
	for (size_t i = 0; i < len; line++) {
		unsigned long v[4];
		int k = 0;
		size_t e = i;
		while (e < len && buf[e] != '\n')
			e++;
		char text[256];
		const size_t tl = e - i;
		if (tl >= sizeof(text)) {
			cli_err(c, "%s:%u: line longer than %zu characters", file, line, sizeof(text) - 1);
			rc = RC_FILE;
			goto out;
		}
		memcpy(text, buf + i, tl);
		text[tl] = 0;
		char *hash = strchr(text, '#');
		if (hash)
			*hash = 0;
		for (char *save = NULL, *tok = strtok_r(text, " \t\r,", &save); tok;
		     tok = strtok_r(NULL, " \t\r,", &save)) {
			char *end;
			errno = 0;
			const unsigned long x = strtoul(tok, &end, 10);
			if (k == 4 || *end || errno || *tok == '-' || x > hi[k]) {
				if (k == 4)
					cli_err(c, "%s:%u: more than 4 values: want row col k+ k-", file, line);
				else
					cli_err(c, "%s:%u: %s '%s': legal range 0 … %lu", file, line, what[k],
						tok, hi[k]);
				rc = RC_FILE;
				goto out;
			}
			v[k++] = x;
		}
		if (k != 0 && k != 4) {
			cli_err(c, "%s:%u: %d values: want row col k+ k-", file, line, k);
			rc = RC_FILE;
			goto out;
		}
		if (k == 4) {
			if (n == cap) {
				cap = cap ? 2 * cap : 256;
				xpnn_cell *t = realloc(cells, cap * sizeof(*cells));
				if (!t) {
					cli_err(c, "out of memory for %zu cells", cap);
					rc = RC_LINK;
					goto out;
				}
				cells = t;
			}
			cells[n++] = (xpnn_cell){ (uint16_t)v[0], (uint16_t)v[1], (uint8_t)v[2],
						  (uint8_t)v[3] };
		}
		i = e + 1;
	}
	if (n == 0) {
		cli_err(c, "%s: no cells listed (want lines: row col k+ k-)", file);
		rc = RC_FILE;
		goto out;
	}
	if ((rc = xpnn_write_list(c->b, (unsigned)tile, cells, n, &changed))) {
		rc = board_err(c, rc, NULL);
		goto out;
	}
	if (!c->quiet)
		printf("write: tile %" PRIu64 ", %zu listed cells: %" PRIu32 " of %zu devices changed\n",
		       tile, n, changed, 2 * n);
out:
	cli_close(c);
	free(buf);
	free(cells);
	return rc;
}

static int cmd_write(cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		GLOBAL_LONGOPTS,
		{ "tile", required_argument, NULL, O_TILE },
		{ "row", required_argument, NULL, O_ROW },
		{ "col", required_argument, NULL, O_COL },
		{ "rows", required_argument, NULL, O_ROWS },
		{ "cols", required_argument, NULL, O_COLS },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "list", no_argument, NULL, O_LIST },
		LONGOPTS_END,
	};
	static const char *const formats[] = { "text", "bin", NULL };
	int list = 0;
	rect r = { 0 };
	u8buf vals = { 0 };
	tlines lines = { 0 };
	uint8_t *buf = NULL;
	size_t len, want;
	const char *path, *file;
	const xpnn_info *in;
	uint32_t changed = 0;
	int fmt = 0, rc = RC_OK, o;
	char desc[96];

	while ((o = cli_getopt(c, argc, argv, ":hvq", lo, help_write, &rc)) != OPT_DONE) {
		if (o == OPT_EXIT)
			return rc;
		if (o >= O_TILE && o <= O_COLS)
			rc = rect_opt_parse(c, &r, o, optarg);
		else if (o == O_FORMAT)
			rc = opt_word(c, "--format", optarg, formats, &fmt);
		else if (o == O_LIST)
			list = 1;
		if (rc)
			return rc;
	}
	if (list) {
		if (r.have & ~1u || fmt) {
			cli_err(c, "--list takes --tile only: the cells and codes come from the file");
			return RC_USAGE;
		}
		if (!(r.have & 1u)) {
			cli_err(c, "--tile is required (see `xpnn write --help`)");
			return RC_USAGE;
		}
		if ((rc = usage_args(c, argc - optind, 1, 1, argv + optind)))
			return rc;
		return write_list(c, r.tile, argv[optind]);
	}
	if ((rc = rect_need(c, &r)) || (rc = usage_args(c, argc - optind, 1, 1, argv + optind)))
		return rc;
	path = argv[optind];
	file = fname(path);
	want = (size_t)(r.rows * r.cols * 2);
	snprintf(desc, sizeof(desc), "--rows %" PRIu64 " x --cols %" PRIu64 " x 2: k+ k- per cell",
		 r.rows, r.cols);
	if ((rc = slurp(c, path, &buf, &len)))
		return rc;
	if (fmt == 0) {
		if ((rc = text_parse(c, file, buf, len, want, desc, &vals, &lines)))
			goto out;
		if (vals.n != want) {
			cli_err(c, "%s: %zu values, want %zu (%s)", file, vals.n, want, desc);
			rc = RC_FILE;
			goto out;
		}
	} else {
		if (len != want) {
			cli_err(c, "%s: %zu bytes, want %zu (%s)", file, len, want, desc);
			rc = RC_FILE;
			goto out;
		}
		vals.v = buf;
		vals.n = len;
		buf = NULL;
	}
	if ((rc = cli_open(c)))
		goto out;
	in = xpnn_board_info(c->b);
	if ((rc = rect_check(c, &r, in)))
		goto out;
	if (in->code_bits < 8) {
		unsigned max = (1u << in->code_bits) - 1;

		for (size_t i = 0; i < vals.n; i++) {
			size_t cell = i / 2;

			if (vals.v[i] <= max)
				continue;
			if (fmt == 0)
				cli_err(c, "%s:%u: %s of cell (row %" PRIu64 ", col %" PRIu64 ") = %u: "
					"legal range 0 … %u (code_bits %u)", file,
					line_of(&lines, i), i % 2 ? "k-" : "k+",
					r.row + cell / r.cols, r.col + cell % r.cols, vals.v[i], max,
					in->code_bits);
			else
				cli_err(c, "%s: byte %zu: %s of cell (row %" PRIu64 ", col %" PRIu64
					") = %u: legal range 0 … %u (code_bits %u)", file, i,
					i % 2 ? "k-" : "k+", r.row + cell / r.cols,
					r.col + cell % r.cols, vals.v[i], max, in->code_bits);
			rc = RC_FILE;
			goto out;
		}
	}
	if ((rc = xpnn_write_cells(c->b, (unsigned)r.tile, (unsigned)r.row, (unsigned)r.col,
				   (unsigned)r.rows, (unsigned)r.cols, vals.v, &changed))) {
		rc = board_err(c, rc, NULL);
		goto out;
	}
	if (!c->quiet)
		printf("write: tile %" PRIu64 " rows %" PRIu64 " … %" PRIu64 ", cols %" PRIu64
		       " … %" PRIu64 ": %" PRIu32 " of %zu devices changed\n", r.tile, r.row,
		       r.row + r.rows - 1, r.col, r.col + r.cols - 1, changed, want);
out:
	cli_close(c);
	free(buf);
	free(vals.v);
	free(lines.v);
	return rc;
}

static int cmd_read(cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		GLOBAL_LONGOPTS,
		{ "tile", required_argument, NULL, O_TILE },
		{ "row", required_argument, NULL, O_ROW },
		{ "col", required_argument, NULL, O_COL },
		{ "rows", required_argument, NULL, O_ROWS },
		{ "cols", required_argument, NULL, O_COLS },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "output", required_argument, NULL, 'o' },
		LONGOPTS_END,
	};
	static const char *const formats[] = { "text", "bin", NULL };
	rect r = { 0 };
	outf out = { 0 };
	uint8_t *g = NULL;
	const char *opath = NULL;
	size_t n;
	int fmt = 0, rc = RC_OK, o, opened = 0;

	while ((o = cli_getopt(c, argc, argv, ":hvqo:", lo, help_read, &rc)) != OPT_DONE) {
		if (o == OPT_EXIT)
			return rc;
		if (o >= O_TILE && o <= O_COLS)
			rc = rect_opt_parse(c, &r, o, optarg);
		else if (o == O_FORMAT)
			rc = opt_word(c, "--format", optarg, formats, &fmt);
		else if (o == 'o')
			opath = optarg;
		if (rc)
			return rc;
	}
	if ((rc = rect_need(c, &r)) || (rc = usage_args(c, argc - optind, 0, 0, argv + optind)))
		return rc;
	if ((rc = out_open(c, &out, opath)))
		return rc;
	opened = 1;
	if ((rc = cli_open(c)) || (rc = rect_check(c, &r, xpnn_board_info(c->b))))
		goto out;
	n = (size_t)(r.rows * r.cols * 2);
	if (!(g = malloc(n))) {
		rc = oom(c);
		goto out;
	}
	if ((rc = xpnn_read_cells(c->b, (unsigned)r.tile, (unsigned)r.row, (unsigned)r.col,
				  (unsigned)r.rows, (unsigned)r.cols, g))) {
		rc = board_err(c, rc, NULL);
		goto out;
	}
	if (fmt == 1) {
		fwrite(g, 1, n, out.f);
	} else {
		for (uint64_t i = 0; i < r.rows; i++) {
			const uint8_t *p = g + i * r.cols * 2;

			for (uint64_t k = 0; k < r.cols * 2; k++)
				fprintf(out.f, k ? " %u" : "%u", p[k]);
			fputc('\n', out.f);
		}
	}
	rc = out_commit(c, &out);
	opened = 0;
out:
	if (opened)
		out_abort(&out);
	cli_close(c);
	free(g);
	return rc;
}

/* ---- run ---- */

enum { IN_TEXT, IN_BIN, IN_IDX };

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

typedef struct idxf {
	gzFile gz;
	uint32_t n, rows, cols;
} idxf;

static int gz_fail(const cli *c, const char *file, gzFile gz, const char *what)
{
	int errnum = 0;
	const char *m = gzerror(gz, &errnum);

	cli_err(c, "%s: %s: %s", file, what,
		errnum == Z_ERRNO ? strerror(errno) : (m && *m ? m : "read error"));
	return RC_FILE;
}

/* Header of an IDX3 u8 image file (gzip'd or plain: gzread passes plain files through). */
static int idx_open(const cli *c, const char *path, idxf *x)
{
	const char *file = fname(path);
	uint8_t h[16];
	int got;

	memset(x, 0, sizeof(*x));
	errno = 0;
	x->gz = strcmp(path, "-") ? gzopen(path, "rb") : gzdopen(dup(STDIN_FILENO), "rb");
	if (!x->gz) {
		cli_err(c, "%s: %s", file, errno ? strerror(errno) : "cannot open");
		return RC_FILE;
	}
	got = gzread(x->gz, h, sizeof(h));
	if (got < 0)
		return gz_fail(c, file, x->gz, "reading the IDX header");
	if (got >= 4 && be32(h) == 0x00000801) {
		cli_err(c, "%s: an IDX1 label file, not images (magic 0x00000801, want "
			"0x00000803)", file);
		return RC_FILE;
	}
	if (got < 4 || be32(h) != 0x00000803) {
		cli_err(c, "%s: not an IDX3 u8 image file (magic 0x%08" PRIx32 ", want 0x00000803)"
			"\nHINT: --format text or bin for other files", file,
			got >= 4 ? be32(h) : 0);
		return RC_FILE;
	}
	if (got < 16) {
		cli_err(c, "%s: truncated IDX header (%d of 16 bytes)", file, got);
		return RC_FILE;
	}
	x->n = be32(h + 4);
	x->rows = be32(h + 8);
	x->cols = be32(h + 12);
	if (!x->rows || !x->cols || x->rows > 65535 || x->cols > 65535) {
		cli_err(c, "%s: images of %" PRIu32 " x %" PRIu32 " pixels: not a usable size", file,
			x->rows, x->cols);
		return RC_FILE;
	}
	return RC_OK;
}

static int idx_read(const cli *c, const char *path, idxf *x, size_t first, size_t count,
		    uint8_t *out)
{
	const char *file = fname(path);
	size_t img = (size_t)x->rows * x->cols, skip = first * img, want = count * img, done = 0;
	uint8_t scratch[1 << 16];

	while (skip) {
		int got = gzread(x->gz, scratch, skip < sizeof(scratch) ? (unsigned)skip :
								  (unsigned)sizeof(scratch));

		if (got < 0)
			return gz_fail(c, file, x->gz, "reading images");
		if (got == 0)
			goto truncated;
		skip -= (size_t)got;
		done += (size_t)got;
	}
	for (size_t off = 0; off < want;) {
		size_t n = want - off > (1u << 24) ? (1u << 24) : want - off;
		int got = gzread(x->gz, out + off, (unsigned)n);

		if (got < 0)
			return gz_fail(c, file, x->gz, "reading images");
		if (got == 0)
			goto truncated;
		off += (size_t)got;
		done += (size_t)got;
	}
	return RC_OK;
truncated:
	cli_err(c, "%s: truncated: the header says %" PRIu32 " images of %" PRIu32 " x %" PRIu32
		", the data ends in image %zu", file, x->n, x->rows, x->cols, done / img);
	return RC_FILE;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void put_le16(FILE *f, const int16_t *v, size_t n)
{
	uint8_t b[512] = { 0 };

	while (n) {
		size_t k = n > sizeof(b) / 2 ? sizeof(b) / 2 : n;

		for (size_t i = 0; i < k; i++) {
			b[2 * i] = (uint8_t)((uint16_t)v[i] & 0xff);
			b[2 * i + 1] = (uint8_t)((uint16_t)v[i] >> 8);
		}
		fwrite(b, 1, 2 * k, f);
		v += k;
		n -= k;
	}
}

static void put_text(FILE *f, const int16_t *v, size_t nvec, size_t k)
{
	char line[8 * 4096 + 2];

	for (size_t i = 0; i < nvec; i++) {
		size_t pos = 0;

		for (size_t j = 0; j < k; j++) {
			if (pos + 8 > sizeof(line)) {
				fwrite(line, 1, pos, f);
				pos = 0;
			}
			pos += (size_t)snprintf(line + pos, sizeof(line) - pos, j ? " %d" : "%d",
						v[i * k + j]);
		}
		line[pos++] = '\n';
		fwrite(line, 1, pos, f);
	}
}

static int cmd_run(cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		GLOBAL_LONGOPTS,
		{ "input", required_argument, NULL, 'i' },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "first", required_argument, NULL, O_FIRST },
		{ "count", required_argument, NULL, O_COUNT },
		{ "all-layers", no_argument, NULL, O_ALL_LAYERS },
		{ "seed", required_argument, NULL, O_SEED },
		{ "output", required_argument, NULL, 'o' },
		{ "out-format", required_argument, NULL, O_OUT_FORMAT },
		LONGOPTS_END,
	};
	static const char *const formats[] = { "text", "bin", "idx", NULL };
	static const char *const oformats[] = { "text", "bin", NULL };
	const char *ipath = NULL, *opath = NULL, *file;
	uint64_t first = 0, count = 0, seed = 0, nvec = 0, bmax;
	int fmt = IN_TEXT, ofmt = 0, all = 0, have_count = 0, have_seed = 0;
	int rc = RC_OK, o, opened = 0;
	u8buf vals = { 0 };
	tlines lines = { 0 };
	uint8_t *buf = NULL, *x = NULL;
	int16_t *y = NULL;
	size_t len = 0;
	idxf ix = { 0 };
	outf out = { 0 };
	xpnn_shape shape;
	const xpnn_info *in;
	unsigned k, flags;

	while ((o = cli_getopt(c, argc, argv, ":hvqi:o:", lo, help_run, &rc)) != OPT_DONE) {
		switch (o) {
		case OPT_EXIT:
			return rc;
		case 'i':
			ipath = optarg;
			break;
		case 'o':
			opath = optarg;
			break;
		case O_FORMAT:
			rc = opt_word(c, "--format", optarg, formats, &fmt);
			break;
		case O_OUT_FORMAT:
			rc = opt_word(c, "--out-format", optarg, oformats, &ofmt);
			break;
		case O_FIRST:
			rc = opt_uint(c, "--first", optarg, 0, UINT32_MAX, &first);
			break;
		case O_COUNT:
			rc = opt_uint(c, "--count", optarg, 1, UINT32_MAX, &count);
			have_count = 1;
			break;
		case O_ALL_LAYERS:
			all = 1;
			break;
		case O_SEED:
			rc = opt_uint(c, "--seed", optarg, 0, UINT64_MAX, &seed);
			have_seed = 1;
			break;
		}
		if (rc)
			return rc;
	}
	if ((rc = usage_args(c, argc - optind, 0, 0, argv + optind)))
		return rc;
	if (!ipath) {
		cli_err(c, "--input FILE is required (see `xpnn run --help`)");
		return RC_USAGE;
	}
	file = fname(ipath);

	/* The input's syntax, before the board. */
	if (fmt == IN_IDX) {
		if ((rc = idx_open(c, ipath, &ix)))
			goto out;
	} else {
		if ((rc = slurp(c, ipath, &buf, &len)))
			goto out;
		if (fmt == IN_TEXT &&
		    (rc = text_parse(c, file, buf, len, SIZE_MAX, "", &vals, &lines)))
			goto out;
	}
	if ((rc = out_open(c, &out, opath)))
		goto out;
	opened = 1;

	/* The network's shape (INFO, STATUS: nothing changes on the board). */
	if ((rc = cli_open(c)))
		goto out;
	in = xpnn_board_info(c->b);
	rc = xpnn_shape_get(c->b, &shape);
	if (rc == XPNN_ENACK && xpnn_last_nack(c->b)->status == XP_RSP_STATE)
		shape.n_in = 0;
	else if (rc) {
		rc = board_err(c, rc, NULL);
		goto out;
	}
	if (!shape.n_in) {
		cli_err(c, "the board on %s has no network configured\nHINT: run `xpnn configure "
			   "FILE.json` (or `xpnn configure --reference`) on this port first; a "
			   "model port lives only as long as one command, `xpnn serve` keeps one",
			c->port);
		rc = RC_NACK;
		goto out;
	}
	k = all ? shape.n_all : shape.n_out;
	flags = all ? XP_RUN_ALL_LAYERS : 0;

	/* The input against the shape. */
	switch (fmt) {
	case IN_TEXT:
		for (size_t i = 0; i < lines.n; i++) {
			if (lines.v[i].n != shape.n_in) {
				cli_err(c, "%s:%u: %zu values, want n_in = %u (one vector per line)",
					file, lines.v[i].line, lines.v[i].n, shape.n_in);
				rc = RC_FILE;
				goto out;
			}
		}
		nvec = lines.n;
		break;
	case IN_BIN:
		if (len % shape.n_in) {
			cli_err(c, "%s: %zu bytes is not a multiple of n_in = %u (raw u8 vectors)",
				file, len, shape.n_in);
			rc = RC_FILE;
			goto out;
		}
		nvec = len / shape.n_in;
		break;
	case IN_IDX:
		if ((size_t)ix.rows * ix.cols != shape.n_in) {
			cli_err(c, "%s: images of %" PRIu32 " x %" PRIu32 " = %zu pixels, but the "
				"network's n_in is %u", file, ix.rows, ix.cols,
				(size_t)ix.rows * ix.cols, shape.n_in);
			rc = RC_FILE;
			goto out;
		}
		nvec = ix.n;
		break;
	}
	if (!nvec) {
		cli_err(c, "%s: no input vectors", file);
		rc = RC_FILE;
		goto out;
	}
	if (first >= nvec) {
		cli_err(c, "--first %" PRIu64 ": legal range 0 … %" PRIu64 " (%s has %" PRIu64
			" vectors)", first, nvec - 1, file, nvec);
		rc = RC_USAGE;
		goto out;
	}
	if (!have_count)
		count = nvec - first;
	if (count > nvec - first) {
		cli_err(c, "--count %" PRIu64 ": legal range 1 … %" PRIu64 " (%s has %" PRIu64
			" vectors, --first %" PRIu64 ")", count, nvec - first, file, nvec, first);
		rc = RC_USAGE;
		goto out;
	}
	if (fmt == IN_IDX) {
		if (!(x = malloc((size_t)count * shape.n_in))) {
			rc = oom(c);
			goto out;
		}
		if ((rc = idx_read(c, ipath, &ix, (size_t)first, (size_t)count, x)))
			goto out;
	} else {
		x = (fmt == IN_TEXT ? vals.v : buf) + (size_t)first * shape.n_in;
	}
	if (in->dac_bits < 8) {
		unsigned max = (1u << in->dac_bits) - 1;

		for (size_t i = 0; i < (size_t)count * shape.n_in; i++) {
			size_t v = (size_t)first + i / shape.n_in;

			if (x[i] <= max)
				continue;
			if (fmt == IN_TEXT)
				cli_err(c, "%s:%u: value %zu = %u: legal range 0 … %u (dac_bits %u)",
					file, lines.v[v].line, i % shape.n_in, x[i], max, in->dac_bits);
			else
				cli_err(c, "%s: vector %zu, value %zu = %u: legal range 0 … %u "
					"(dac_bits %u)", file, v, i % shape.n_in, x[i], max,
					in->dac_bits);
			rc = RC_FILE;
			goto out;
		}
	}

	/* Frames of Bmax vectors (protocol §4.9), for the progress line. */
	bmax = in->max_batch;
	if (in->max_request > 3 && (in->max_request - 3) / shape.n_in < bmax)
		bmax = (in->max_request - 3) / shape.n_in;
	if (k && in->max_reply > 11 && (in->max_reply - 11) / (2u * k) < bmax)
		bmax = (in->max_reply - 11) / (2u * k);
	if (!bmax)
		bmax = 1; /* the board will say why */
	if (!(y = malloc((size_t)bmax * (k ? k : 1) * sizeof(int16_t)))) {
		rc = oom(c);
		goto out;
	}

	if (have_seed && (rc = xpnn_set_seed(c->b, seed))) {
		rc = board_err(c, rc, "--seed");
		goto out;
	}
	{
		int show = !c->quiet && count > bmax && isatty(STDERR_FILENO);
		double t0 = now_s(), last = 0;

		for (uint64_t i = 0; i < count; i += bmax) {
			uint32_t nb = (uint32_t)(count - i < bmax ? count - i : bmax);

			if ((rc = xpnn_run(c->b, x + (size_t)i * shape.n_in, nb, flags, y, NULL))) {
				if (show)
					fputc('\n', stderr);
				rc = board_err(c, rc, NULL);
				goto out;
			}
			if (ofmt == 1)
				put_le16(out.f, y, (size_t)nb * k);
			else
				put_text(out.f, y, nb, k);
			if (show) {
				double t = now_s() - t0;
				uint64_t done = i + nb;

				if (t - last >= 0.1 || done == count) {
					double rate = t > 0 ? done / t : 0;

					last = t;
					fprintf(stderr, "\rxpnn run: %" PRIu64 "/%" PRIu64 " vectors, "
							"%.0f/s, ETA %.0f s   ", done, count, rate,
						rate > 0 ? (count - done) / rate : 0.0);
				}
			}
		}
		if (show)
			fputc('\n', stderr);
	}
	rc = out_commit(c, &out);
	opened = 0;
out:
	if (opened)
		out_abort(&out);
	if (ix.gz)
		gzclose(ix.gz);
	cli_close(c);
	if (fmt == IN_IDX)
		free(x);
	free(y);
	free(buf);
	free(vals.v);
	free(lines.v);
	return rc;
}

/* ---- serve ---- */

static volatile int serve_stop;

static void on_signal(int sig)
{
	(void)sig;
	serve_stop = 1;
}

/* SIGUSR1: the served board loses power before the next bytes arrive (fault injection). */
static volatile sig_atomic_t serve_power_cycle;
static int serve_quiet; /* -q: not even the power-cycle line */

static void on_sigusr1(int sig)
{
	(void)sig;
	serve_power_cycle = 1;
}

static void serve_rx(void *ctx, const uint8_t *in, size_t n)
{
	if (serve_power_cycle) {
		serve_power_cycle = 0;
		xp_board_power_cycle(ctx);
		if (!serve_quiet)
			fputs("xpnn serve: power cycle (SIGUSR1): the board is in its reset state\n", stderr);
	}
	xp_board_rx(ctx, in, n);
}

static size_t serve_tx(void *ctx, uint8_t *out, size_t cap)
{
	return xp_board_tx(ctx, out, cap);
}

static void serve_log(void *ctx, const char *line)
{
	const cli *c = ctx;

	if (!c->quiet)
		fprintf(stderr, "xpnn serve: %s\n", line);
}

/* HOST:PORT, [IPv6]:PORT or :PORT. */
static int parse_listen(const cli *c, const char *s, char *host, size_t hostlen, int *port)
{
	const char *colon = strrchr(s, ':'), *h = s;
	size_t hl;
	uint64_t p;

	if (!colon) {
		cli_err(c, "--listen '%s': want HOST:PORT (e.g. 127.0.0.1:0; port 0: any free port)",
			s);
		return RC_USAGE;
	}
	hl = (size_t)(colon - s);
	if (hl >= 2 && s[0] == '[' && s[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	if (hl >= hostlen) {
		cli_err(c, "--listen '%s': host name too long", s);
		return RC_USAGE;
	}
	memcpy(host, h, hl);
	host[hl] = 0;
	if (!hl)
		snprintf(host, hostlen, "127.0.0.1");
	if (opt_uint(c, "--listen port", colon + 1, 0, 65535, &p))
		return RC_USAGE;
	*port = (int)p;
	return RC_OK;
}

/* The server writes the port file once listening; a bad path is a file error (exit 5), found
 * before the board is created. */
static int port_file_check(const cli *c, const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (access(dir, W_OK | X_OK)) {
		cli_err(c, "--port-file %s: %s: %s", path, dir, strerror(errno));
		return RC_FILE;
	}
	return RC_OK;
}

static int cmd_serve(cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		GLOBAL_LONGOPTS,
		{ "listen", required_argument, NULL, O_LISTEN },
		{ "port-file", required_argument, NULL, O_PORT_FILE },
		{ "once", no_argument, NULL, O_ONCE },
		{ "pty", no_argument, NULL, O_PTY },
		LONGOPTS_END,
	};
	static char host[256];
	const char *listen = "127.0.0.1:0";
	int listen_given = 0;
	xpnn_serve_opts so;
	xpnn_served sv;
	xpnn_transport t;
	struct sigaction sa;
	char err[XPNN_ERRMSG] = "";
	int rc = RC_OK, o;

	memset(&so, 0, sizeof(so));
	while ((o = cli_getopt(c, argc, argv, ":hvq", lo, help_serve, &rc)) != OPT_DONE) {
		switch (o) {
		case OPT_EXIT:
			return rc;
		case O_LISTEN:
			listen = optarg;
			listen_given = 1;
			break;
		case O_PTY:
			so.pty = 1;
			break;
		case O_PORT_FILE:
			so.port_file = optarg;
			break;
		case O_ONCE:
			so.once = 1;
			break;
		}
	}
	if ((rc = usage_args(c, argc - optind, 0, 0, argv + optind)))
		return rc;
	if (strcmp(c->port, "model") && strncmp(c->port, "model:", 6)) {
		cli_err(c, "--port %s: only model ports can be served (model[:key=value,…])\n"
			   "HINT: a tcp:// port is already a served board; an FPGA board is used "
			   "directly with --port", c->port);
		return RC_USAGE;
	}
	if (so.pty && listen_given) {
		cli_err(c, "--pty and --listen %s: serve on a pty or on TCP, not both\n"
			   "HINT: drop --listen to serve on a pty (clients use --port tty:/dev/pts/N)",
			listen);
		return RC_USAGE;
	}
	if ((rc = parse_listen(c, listen, host, sizeof(host), &so.port)))
		return rc;
	if (so.port_file && (rc = port_file_check(c, so.port_file)))
		return rc;
	so.host = host;
	so.log = serve_log;
	so.log_ctx = c;
	so.stop = &serve_stop;

	memset(&t, 0, sizeof(t));
	if ((rc = xpnn_port_open(&t, c->port, err, sizeof(err)))) {
		port_err(c, rc, err);
		if (rc_hint(rc, err))
			fprintf(stderr, "%s\n", rc_hint(rc, err));
		return exit_code(rc);
	}
	if (!(sv.ctx = xpnn_model_board(&t))) {
		cli_err(c, "--port %s: not a model port; only model ports can be served", c->port);
		xpnn_port_close(&t);
		return RC_USAGE;
	}
	sv.rx = serve_rx;
	sv.tx = serve_tx;
	serve_quiet = c->quiet;

	/* No SA_RESTART: the server's blocking calls must return so that it sees the flag. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_sigusr1;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);

	err[0] = 0;
	rc = xpnn_serve(&sv, &so, err, sizeof(err));
	xpnn_port_close(&t);
	if (rc && !serve_stop) {
		if (*err)
			cli_err(c, "%s", err);
		else
			cli_err(c, "%s%s: %s", so.pty ? "--pty" : "--listen ", so.pty ? "" : listen,
				xpnn_rc_name(rc));
		return exit_code(rc);
	}
	return RC_OK;
}

/* ---- main ---- */

typedef struct cmd {
	const char *name;
	int (*run)(cli *c, int argc, char **argv);
	const char *help;
} cmd;

static const cmd cmds[] = {
	{ "info", cmd_info, help_info },
	{ "status", cmd_status, help_status },
	{ "reset", cmd_reset, help_reset },
	{ "seed", cmd_seed, help_seed },
	{ "configure", cmd_configure, help_configure },
	{ "write", cmd_write, help_write },
	{ "read", cmd_read, help_read },
	{ "run", cmd_run, help_run },
	{ "serve", cmd_serve, help_serve },
	{ "train", cmd_train, help_train },
	{ "compile", cmd_compile, help_compile },
	{ "load", cmd_load, help_load },
	{ "eval", cmd_eval, help_eval },
	{ "hil", cmd_hil, help_hil },
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static const cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < NCMDS; i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

static int unknown_cmd(const cli *c, const char *name)
{
	char list[160] = "";

	for (size_t i = 0; i < NCMDS; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
			 cmds[i].name);
	cli_err(c, "unknown subcommand '%s' (subcommands: %s, help)", name, list);
	return RC_USAGE;
}

static int cmd_help(cli *c, int argc, char **argv)
{
	const cmd *k;

	if (argc < 2) {
		print_main_help();
		return RC_OK;
	}
	if (argc > 2) {
		cli_err(c, "unexpected argument '%s' (usage: xpnn help [SUBCOMMAND|port])", argv[2]);
		return RC_USAGE;
	}
	if (!strcmp(argv[1], "port") || !strcmp(argv[1], "ports")) {
		print_port_help();
		return RC_OK;
	}
	if (!strcmp(argv[1], "help")) {
		print_main_help();
		return RC_OK;
	}
	if (!(k = find_cmd(argv[1])))
		return unknown_cmd(c, argv[1]);
	print_sub_help(k->help);
	return RC_OK;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		GLOBAL_LONGOPTS,
		{ "version", no_argument, NULL, O_VERSION },
		LONGOPTS_END,
	};
	const char *env = getenv("XPNN_PORT");
	cli c = { .port = env && *env ? env : "model", .retries = -1 };
	const cmd *k;
	int rc = RC_OK, o;

	/* Global options before the subcommand ('+': stop at the first non-option). */
	opterr = 0;
	while ((o = getopt_long(argc, argv, "+:hvq", lo, NULL)) != -1) {
		uint64_t v;

		switch (o) {
		case 'h':
			print_main_help();
			return RC_OK;
		case O_VERSION:
			printf("xpnn %s (protocol %d, numerics %d)\n", XPNN_VERSION,
			       XP_PROTOCOL_VERSION, XP_NUMERICS_VERSION);
			return RC_OK;
		case 'v':
			c.verbose = 1;
			break;
		case 'q':
			c.quiet = 1;
			break;
		case O_PORT:
			c.port = optarg;
			break;
		case O_TIMEOUT:
			if ((rc = opt_uint(&c, "--timeout", optarg, 1, 600000, &v)))
				return rc;
			c.timeout_ms = (int)v;
			break;
		case O_RETRIES:
			if ((rc = opt_uint(&c, "--retries", optarg, 0, 100, &v)))
				return rc;
			c.retries = (int)v;
			break;
		case ':':
			cli_err(&c, "option %s needs a value (see `xpnn --help`)", argv[optind - 1]);
			return RC_USAGE;
		default:
			if (optopt)
				cli_err(&c, "unknown option -%c (see `xpnn --help`)", optopt);
			else
				cli_err(&c, "unknown or ambiguous option %s (see `xpnn --help`)",
					argv[optind - 1]);
			return RC_USAGE;
		}
	}
	if (optind >= argc) {
		fputs("usage: xpnn [GLOBAL OPTIONS] SUBCOMMAND [OPTIONS] [ARGS]\n"
		      "`xpnn --help` lists the subcommands.\n", stderr);
		return RC_USAGE;
	}
	if (!strcmp(argv[optind], "help"))
		return cmd_help(&c, argc - optind, argv + optind);
	if (!(k = find_cmd(argv[optind])))
		return unknown_cmd(&c, argv[optind]);
	c.sub = k->name;
	argc -= optind;
	argv += optind;
	optind = 0; /* glibc: start over on the subcommand's arguments */
	rc = k->run(&c, argc, argv);
	if (fflush(stdout) && !rc) {
		cli_err(&c, "stdout: %s", strerror(errno));
		rc = RC_FILE;
	}
	return rc;
}
