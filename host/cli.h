/*
 * cli.h — what the `xpnn` subcommands share (xpnn_cli.c: board commands and the helpers;
 * xpnn_cli_nn.c: train, compile, load, eval). Internal to the CLI.
 */
#ifndef XPNN_CLI_H
#define XPNN_CLI_H

#include <getopt.h>
#include <signal.h>
#include <stdint.h>

#include <jansson.h>

#include "xpnn.h"

enum {
	RC_OK = 0,
	RC_NACK = 1,    /* the board answered with an error status */
	RC_USAGE = 2,   /* bad option or argument */
	RC_PORT = 3,    /* the port cannot be opened */
	RC_TIMEOUT = 4, /* no reply after the last retry */
	RC_FILE = 5,    /* input or output file */
	RC_LINK = 6,    /* link or protocol failure (and out of memory) */
	RC_VERIFY = 7,  /* xpnn load --verify found too many devices out of tolerance */
	RC_INTR = 130,  /* interrupted */
};

typedef struct cli {
	const char *sub;  /* subcommand, for messages; NULL before one is known */
	const char *port;
	int timeout_ms;   /* 0: library default */
	int retries;      /* -1: library default */
	int verbose, quiet;
	xpnn_board *b;
} cli;

/* Messages: "xpnn SUB: …" on stderr. */
void cli_err(const cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int oom(const cli *c);
/* libxpnn rc → exit code; a failed board call → message with hint and exit code. */
int exit_code(int rc);
int board_err(const cli *c, int rc, const char *what);
/* Strict numbers and words for options; usage errors name the option and the legal range. */
int parse_u64(const char *s, uint64_t *out);
int opt_uint(const cli *c, const char *opt, const char *s, uint64_t lo, uint64_t hi,
	     uint64_t *out);
int opt_word(const cli *c, const char *opt, const char *s, const char *const *words, int *out);
int usage_args(const cli *c, int npos, int lo, int hi, char **pos);
void print_sub_help(const char *help);
/* Open / close the board of --port. */
int cli_open(cli *c);
void cli_close(cli *c);
/* Print a JSON object (consumed) on stdout; bad: building it failed. */
void jput(json_t *o, const char *key, json_t *v, int *bad);
int json_print(const cli *c, json_t *o, int bad);
const char *fname(const char *path);

/* Global option ids (GLOBAL_LONGOPTS). */
enum { O_PORT = 256, O_TIMEOUT, O_RETRIES };

/* Option ids of the subcommands in xpnn_cli_nn.c start here. */
#define O_NN_BASE 1024

#define GLOBAL_LONGOPTS                                                                         \
	{ "port", required_argument, NULL, O_PORT },                                            \
	{ "timeout", required_argument, NULL, O_TIMEOUT },                                      \
	{ "retries", required_argument, NULL, O_RETRIES },                                      \
	{ "verbose", no_argument, NULL, 'v' },                                                  \
	{ "quiet", no_argument, NULL, 'q' },                                                    \
	{ "help", no_argument, NULL, 'h' }
#define LONGOPTS_END { NULL, 0, NULL, 0 }

#define OPT_DONE (-1)
#define OPT_EXIT (-2) /* help printed or usage error: return *rc */

/* getopt_long over a subcommand's options, handling the global ones. */
int cli_getopt(cli *c, int argc, char **argv, const char *sopts, const struct option *lo,
	       const char *help, int *rc);

/* ---- shared by the subcommands of xpnn_cli_nn.c and xpnn_cli_hil.c ---- */

/* A finite decimal number in [lo, hi]. */
int opt_float(const cli *c, const char *opt, const char *s, double lo, double hi, double *out);

/* Where a labelled data set comes from: an IDX pair, or a Fashion-MNIST directory's split. */
typedef struct dsrc {
	const char *dir, *images, *labels;
} dsrc;
struct xpnn_dataset;
int ds_load(const cli *c, const dsrc *s, const char *split, const char *img_opt,
	    struct xpnn_dataset *d);

/* SIGINT and SIGTERM set interrupted. */
extern volatile sig_atomic_t interrupted;
void catch_sigint(void);

/* Progress: a bar with rate and ETA on a terminal, plain lines at most every 10 s otherwise. */
typedef struct progress {
	const cli *c;
	int tty;
	int64_t t0, last;
	const char *unit;
	int shown;
} progress;
void progress_init(progress *p, const cli *c, const char *unit);
/* done of total units; extra is appended (may be ""). */
void progress_show(progress *p, uint64_t done, uint64_t total, const char *extra);
void progress_end(progress *p);

/* The subcommands of xpnn_cli_nn.c and xpnn_cli_hil.c. */
int cmd_train(cli *c, int argc, char **argv);
int cmd_compile(cli *c, int argc, char **argv);
int cmd_load(cli *c, int argc, char **argv);
int cmd_eval(cli *c, int argc, char **argv);
int cmd_hil(cli *c, int argc, char **argv);
extern const char help_train[], help_compile[], help_load[], help_eval[], help_hil[];

#endif /* XPNN_CLI_H */
