/*
 * xpnn_cli_nn.c — the subcommands of the main job: train, compile, load, eval (docs/cli.md).
 *
 * As in xpnn_cli.c: options, then input files, then the board; a model or an image is read
 * and checked completely before the first byte goes to a board. Outputs are written
 * atomically (temporary file, fsync, rename), so a crash or ^C never leaves half a file.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cblas.h>
#include <jansson.h>

#include "cli.h"
#include "compile.h"
#include "dataset.h"
#include "train.h"
#include "util.h"

enum {
	O_DATA = O_NN_BASE,
	O_TRAIN_IMAGES,
	O_TRAIN_LABELS,
	O_TEST_IMAGES,
	O_TEST_LABELS,
	O_IMAGES,
	O_LABELS,
	O_LAYERS,
	O_EPOCHS,
	O_BATCH,
	O_OPT,
	O_LR,
	O_LR_FINAL,
	O_MOMENTUM,
	O_WD,
	O_ACT_CLIP,
	O_ROWS,
	O_COLS,
	O_TILES,
	O_DAC_BITS,
	O_CODE_BITS,
	O_ADC_BITS,
	O_QUANT,
	O_HW_AWARE,
	O_NOISE_SCALE,
	O_SEED,
	O_THREADS,
	O_JSON,
	O_TARGET,
	O_CALIB,
	O_PERCENTILE,
	O_VERIFY,
	O_TOLERANCE,
	O_MAX_BAD,
	O_RESET,
	O_TWIN,
	O_LOAD,
	O_SPLIT,
	O_COUNT,
};

/* ---- shared option handling ---- */

int opt_float(const cli *c, const char *opt, const char *s, double lo, double hi,
		     double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (!*s || *end || errno == ERANGE || !isfinite(v)) {
		cli_err(c, "%s '%s': not a number; legal range %g … %g", opt, s, lo, hi);
		return RC_USAGE;
	}
	if (v < lo || v > hi) {
		cli_err(c, "%s %s: legal range %g … %g", opt, s, lo, hi);
		return RC_USAGE;
	}
	*out = v;
	return RC_OK;
}

int ds_load(const cli *c, const dsrc *s, const char *split, const char *img_opt,
		   xpnn_dataset *d)
{
	char err[768];
	int r;

	if ((s->images != NULL) != (s->labels != NULL)) {
		cli_err(c, "%s needs both an image file and a label file (%s)", split, img_opt);
		return RC_USAGE;
	}
	if (s->images)
		r = xpnn_dataset_load(d, s->images, s->labels, err, sizeof(err));
	else
		r = xpnn_dataset_fashion(d, s->dir, split, err, sizeof(err));
	if (r) {
		cli_err(c, "%s", err);
		return RC_FILE;
	}
	return RC_OK;
}

volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

void catch_sigint(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* ---- progress: a bar with rate and ETA on a terminal, plain lines otherwise ---- */

void progress_init(progress *p, const cli *c, const char *unit)
{
	memset(p, 0, sizeof(*p));
	p->c = c;
	p->tty = !c->quiet && isatty(STDERR_FILENO);
	p->t0 = p->last = xpnn_now_ms();
	p->unit = unit;
}

static void fmt_eta(char *buf, size_t len, double s)
{
	if (!(s >= 0) || s > 359999)
		snprintf(buf, len, "--:--");
	else if (s >= 3600)
		snprintf(buf, len, "%d:%02d:%02d", (int)s / 3600, (int)s / 60 % 60, (int)s % 60);
	else
		snprintf(buf, len, "%d:%02d", (int)s / 60, (int)s % 60);
}

/* done of total units; extra is appended (may be ""). Plain lines at most every 10 s. */
void progress_show(progress *p, uint64_t done, uint64_t total, const char *extra)
{
	int64_t now = xpnn_now_ms();
	double el = (double)(now - p->t0) / 1e3, rate = el > 0 ? (double)done / el : 0;
	char eta[32];
	int w = 24, fill = total ? (int)((double)done / (double)total * w) : 0;

	if (p->c->quiet)
		return;
	fmt_eta(eta, sizeof(eta), rate > 0 ? (double)(total - done) / rate : -1);
	if (p->tty) {
		char bar[32];

		for (int i = 0; i < w; i++)
			bar[i] = i < fill ? '#' : '.';
		bar[w] = 0;
		fprintf(stderr, "\r\033[K[%s] %3d%%  %.0f %s/s  ETA %s%s%s", bar,
			total ? (int)(100.0 * (double)done / (double)total) : 100, rate, p->unit, eta,
			*extra ? "  " : "", extra);
		p->shown = 1;
	} else if (now - p->last >= 10000) {
		fprintf(stderr, "xpnn %s: %" PRIu64 "/%" PRIu64 " %s, %.0f %s/s, ETA %s%s%s\n",
			p->c->sub, done, total, p->unit, rate, p->unit, eta, *extra ? ", " : "",
			extra);
		p->last = now;
	}
}

/* A progress callback of the library (done of total, in p's unit). */
static void count_progress(void *ctx, unsigned done, unsigned total)
{
	progress_show(ctx, done, total, "");
}

void progress_end(progress *p)
{
	if (p->shown)
		fputs("\r\033[K", stderr);
	p->shown = 0;
}

/* ---- train ---- */

const char help_train[] =
	"usage: xpnn train -o MODEL [DATA OPTIONS] [--layers 784,64,10] [--epochs N] [--batch B]\n"
	"                  [--opt adam|sgd] [--lr X] [--seed S] [--quant] [--hw-aware] [--json]\n"
	"\n"
	"Train the float digital twin (docs/training.md) and write it as a safetensors model\n"
	"file. The model is written atomically after every epoch, so an interrupted run keeps\n"
	"the last finished epoch. The run is determined by --seed (and the machine).\n"
	"\n"
	"  -o, --output MODEL  the model file to write (safetensors, docs/formats.md)\n"
	"  --data DIR       Fashion-MNIST directory (default " XPNN_FASHION_DIR ")\n"
	"  --train-images F --train-labels F   any IDX pair instead (gzip'd or plain)\n"
	"  --test-images F --test-labels F     test set for the per-epoch accuracy (default:\n"
	"                   the directory's t10k files when no IDX training pair is given)\n"
	"  --layers W0,W1,…  widths: inputs, then each layer's outputs (default 784,64,10;\n"
	"                   2 … 9 entries of 1 … 4096; the inputs must equal rows*cols)\n"
	"  --epochs N       1 … 100000 (default 10)\n"
	"  --batch B        1 … 65536 (default 64)\n"
	"  --opt adam|sgd   optimiser (default adam; sgd uses --momentum)\n"
	"  --lr X           peak learning rate, cosine decay to X * --lr-final (default 0.002)\n"
	"  --lr-final F     0 … 1 (default 0.02)\n"
	"  --momentum M     SGD momentum 0 … 0.999 (default 0.9)\n"
	"  --weight-decay W 0 … 1 (default 0)\n"
	"  --act-clip X     hidden ReLU clip = the next DAC's full scale, 0.01 … 1000 (default 4)\n"
	"  --rows R         tile rows: ADC saturation acts per block of R rows (default 128)\n"
	"  --quant          quantisation-aware: after the first epoch, calibrate the ADC scales\n"
	"                   and train through the board's quantisation (straight-through)\n"
	"  --hw-aware       inject device noise of the model board's default magnitude\n"
	"                   (variation, programming noise, stuck devices, read noise, ADC errors)\n"
	"  --noise-scale S  multiply that noise, 0 … 10 (default 1)\n"
	"  --seed S         initialisation, shuffles and noise (default 1)\n"
	"  --threads N      OpenBLAS threads, 1 … 64 (default 1: fastest at small batches)\n"
	"  --json           print a JSON summary on stdout\n";

typedef struct train_ctx {
	const cli *c;
	progress pr;
	xpnn_net *n;
	const char *out;
	const char *summary; /* JSON of the options, for the model's metadata */
	int save_failed;
	char err[768];
} train_ctx;

static void train_progress(void *ctx, const xpnn_train_progress *p)
{
	train_ctx *t = ctx;
	char extra[96];

	if (!p->epoch_end) {
		snprintf(extra, sizeof(extra), "epoch %u/%u  loss %.4f  acc %.2f%%", p->epoch,
			 p->epochs, (double)p->loss, 100.0 * p->acc);
		progress_show(&t->pr, p->done, p->total, extra);
		return;
	}
	/* save the epoch's model first: an interruption from here on keeps it */
	if (!t->save_failed &&
	    xpnn_net_save(t->n, t->out, t->summary, t->err, sizeof(t->err)))
		t->save_failed = 1;
	progress_end(&t->pr);
	if (!t->c->quiet) {
		fprintf(stderr, "xpnn train: epoch %u/%u: loss %.4f, train %.2f%%", p->epoch,
			p->epochs, (double)p->loss, 100.0 * p->acc);
		if (p->test_acc >= 0)
			fprintf(stderr, ", test %.2f%%", 100.0 * p->test_acc);
		fprintf(stderr, " (%.1f s, %.0f samples/s)\n", p->seconds,
			p->seconds > 0 ? (double)p->done / p->seconds : 0.0);
	}
}

static int parse_layers(const cli *c, const char *s, unsigned *width, unsigned *nl)
{
	unsigned k = 0;
	const char *p = s;

	while (*p) {
		char num[16];
		size_t len = strcspn(p, ",");
		uint64_t v;

		if (k > XP_MAX_LAYERS || len == 0 || len >= sizeof(num)) {
			cli_err(c, "--layers '%s': a comma-separated list of 2 … %d widths 1 … %d, "
				"e.g. 784,64,10", s, XP_MAX_LAYERS + 1, XP_MAX_WIDTH);
			return RC_USAGE;
		}
		memcpy(num, p, len);
		num[len] = 0;
		if (parse_u64(num, &v) || v < 1 || v > XP_MAX_WIDTH) {
			cli_err(c, "--layers '%s': width '%s': legal range 1 … %d", s, num,
				XP_MAX_WIDTH);
			return RC_USAGE;
		}
		width[k++] = (unsigned)v;
		p += len;
		if (*p == ',' && *++p == 0)
			k = XP_MAX_LAYERS + 2; /* trailing comma */
	}
	if (k < 2 || k > XP_MAX_LAYERS + 1) {
		cli_err(c, "--layers '%s': a comma-separated list of 2 … %d widths 1 … %d, e.g. "
			"784,64,10", s, XP_MAX_LAYERS + 1, XP_MAX_WIDTH);
		return RC_USAGE;
	}
	*nl = k - 1;
	return RC_OK;
}

int cmd_train(cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		GLOBAL_LONGOPTS,
		{ "output", required_argument, NULL, 'o' },
		{ "data", required_argument, NULL, O_DATA },
		{ "train-images", required_argument, NULL, O_TRAIN_IMAGES },
		{ "train-labels", required_argument, NULL, O_TRAIN_LABELS },
		{ "test-images", required_argument, NULL, O_TEST_IMAGES },
		{ "test-labels", required_argument, NULL, O_TEST_LABELS },
		{ "layers", required_argument, NULL, O_LAYERS },
		{ "epochs", required_argument, NULL, O_EPOCHS },
		{ "batch", required_argument, NULL, O_BATCH },
		{ "opt", required_argument, NULL, O_OPT },
		{ "lr", required_argument, NULL, O_LR },
		{ "lr-final", required_argument, NULL, O_LR_FINAL },
		{ "momentum", required_argument, NULL, O_MOMENTUM },
		{ "weight-decay", required_argument, NULL, O_WD },
		{ "act-clip", required_argument, NULL, O_ACT_CLIP },
		{ "rows", required_argument, NULL, O_ROWS },
		{ "quant", no_argument, NULL, O_QUANT },
		{ "hw-aware", no_argument, NULL, O_HW_AWARE },
		{ "noise-scale", required_argument, NULL, O_NOISE_SCALE },
		{ "seed", required_argument, NULL, O_SEED },
		{ "threads", required_argument, NULL, O_THREADS },
		{ "json", no_argument, NULL, O_JSON },
		LONGOPTS_END,
	};
	static const char *const opts[] = { "sgd", "adam", NULL };
	xpnn_train_opts o;
	dsrc tr = { 0 }, te = { 0 };
	unsigned width[XP_MAX_LAYERS + 1] = { 784, 64, 10 }, nl = 2, rows = 128, threads = 1;
	double act_clip = 4.0, v;
	int rc = RC_OK, oc, json = 0, k;
	uint64_t u;
	const char *out = NULL;
	xpnn_dataset dtr = { 0 }, dte = { 0 };
	xpnn_net n = { 0 };
	xpnn_train_result res;
	train_ctx tc = { .c = c };
	char err[768], summary[512];

	xpnn_train_opts_default(&o);
	while ((oc = cli_getopt(c, argc, argv, ":o:hvq", lo, help_train, &rc)) != OPT_DONE) {
		if (oc == OPT_EXIT)
			return rc;
		switch (oc) {
		case 'o':
			out = optarg;
			break;
		case O_DATA:
			tr.dir = te.dir = optarg;
			break;
		case O_TRAIN_IMAGES:
			tr.images = optarg;
			break;
		case O_TRAIN_LABELS:
			tr.labels = optarg;
			break;
		case O_TEST_IMAGES:
			te.images = optarg;
			break;
		case O_TEST_LABELS:
			te.labels = optarg;
			break;
		case O_LAYERS:
			rc = parse_layers(c, optarg, width, &nl);
			break;
		case O_EPOCHS:
			if (!(rc = opt_uint(c, "--epochs", optarg, 1, 100000, &u)))
				o.epochs = (unsigned)u;
			break;
		case O_BATCH:
			if (!(rc = opt_uint(c, "--batch", optarg, 1, 65536, &u)))
				o.batch = (unsigned)u;
			break;
		case O_OPT:
			if (!(rc = opt_word(c, "--opt", optarg, opts, &k)))
				o.opt = k;
			break;
		case O_LR:
			if (!(rc = opt_float(c, "--lr", optarg, 1e-9, 10, &v)))
				o.lr = (float)v;
			break;
		case O_LR_FINAL:
			if (!(rc = opt_float(c, "--lr-final", optarg, 0, 1, &v)))
				o.lr_final = (float)v;
			break;
		case O_MOMENTUM:
			if (!(rc = opt_float(c, "--momentum", optarg, 0, 0.999, &v)))
				o.momentum = (float)v;
			break;
		case O_WD:
			if (!(rc = opt_float(c, "--weight-decay", optarg, 0, 1, &v)))
				o.weight_decay = (float)v;
			break;
		case O_ACT_CLIP:
			rc = opt_float(c, "--act-clip", optarg, 0.01, 1000, &act_clip);
			break;
		case O_ROWS:
			if (!(rc = opt_uint(c, "--rows", optarg, 1, XP_MAX_ROWS, &u)))
				rows = (unsigned)u;
			break;
		case O_QUANT:
			o.quant = 1;
			break;
		case O_HW_AWARE:
			o.hw_aware = 1;
			break;
		case O_NOISE_SCALE:
			if (!(rc = opt_float(c, "--noise-scale", optarg, 0, 10, &v)))
				o.noise_scale = (float)v;
			break;
		case O_SEED:
			if (!(rc = opt_uint(c, "--seed", optarg, 0, UINT64_MAX, &u)))
				o.seed = u;
			break;
		case O_THREADS:
			if (!(rc = opt_uint(c, "--threads", optarg, 1, 64, &u)))
				threads = (unsigned)u;
			break;
		case O_JSON:
			json = 1;
			break;
		default:
			return RC_USAGE;
		}
		if (rc)
			return rc;
	}
	if ((rc = usage_args(c, argc - optind, 0, 0, argv + optind)))
		return rc;
	if (!out) {
		cli_err(c, "-o MODEL is required: the model file to write (see `xpnn train --help`)");
		return RC_USAGE;
	}
	if ((rc = ds_load(c, &tr, "train", "--train-images/--train-labels", &dtr)))
		return rc;
	/* an explicit training pair without a test pair trains without a test set */
	if (te.images || !tr.images)
		if ((rc = ds_load(c, &te, "test", "--test-images/--test-labels", &dte)))
			goto out;
	if (xpnn_net_init(&n, nl, width, rows, (float)act_clip, o.seed, err, sizeof(err))) {
		cli_err(c, "%s", err);
		rc = RC_USAGE;
		goto out;
	}
	if (xpnn_dataset_check(&dtr, &n, "training set", err, sizeof(err)) ||
	    (dte.n && xpnn_dataset_check(&dte, &n, "test set", err, sizeof(err)))) {
		cli_err(c, "%s; HINT: --layers sets the widths", err);
		rc = RC_USAGE;
		goto out;
	}
	openblas_set_num_threads((int)threads);
	snprintf(summary, sizeof(summary),
		 "{\"epochs\":%u,\"batch\":%u,\"opt\":\"%s\",\"lr\":%g,\"lr_final\":%g,"
		 "\"seed\":%" PRIu64 ",\"quant\":%d,\"hw_aware\":%d,\"noise_scale\":%g,"
		 "\"examples\":%u}", o.epochs, o.batch, opts[o.opt], (double)o.lr,
		 (double)o.lr_final, o.seed, o.quant, o.hw_aware, (double)o.noise_scale, dtr.n);
	tc.n = &n;
	tc.out = out;
	tc.summary = summary;
	progress_init(&tc.pr, c, "samples");
	o.progress = train_progress;
	o.ctx = &tc;
	o.stop = (volatile int *)&interrupted;
	catch_sigint();
	if (!c->quiet) {
		fprintf(stderr, "xpnn train: %u training examples, ", dtr.n);
		if (dte.n)
			fprintf(stderr, "%u test examples, ", dte.n);
		fprintf(stderr, "network");
		for (unsigned l = 0; l <= nl; l++)
			fprintf(stderr, "%s%u", l ? "-" : " ", width[l]);
		fprintf(stderr, ", %u epochs of batch %u, %s\n", o.epochs, o.batch, opts[o.opt]);
	}
	if (xpnn_train(&n, &dtr, dte.n ? &dte : NULL, &o, &res, err, sizeof(err))) {
		progress_end(&tc.pr);
		if (interrupted) {
			cli_err(c, "interrupted%s%s", res.epochs_done ? "; the model of the last "
				"finished epoch is in " : " before the first epoch ended; nothing "
				"written", res.epochs_done ? out : "");
			rc = RC_INTR;
		} else {
			cli_err(c, "%s", err);
			rc = RC_USAGE;
		}
		goto out;
	}
	if (tc.save_failed) {
		cli_err(c, "%s", tc.err);
		rc = RC_FILE;
		goto out;
	}
	if (!c->quiet)
		fprintf(stderr, "xpnn train: wrote %s (%.1f s, %.0f samples/s)\n", out, res.seconds,
			res.samples_per_s);
	if (json) {
		json_t *j = json_object();
		int bad = 0;

		jput(j, "model", json_string(out), &bad);
		jput(j, "epochs", json_integer(res.epochs_done), &bad);
		jput(j, "loss", json_real(res.loss), &bad);
		jput(j, "train_accuracy", json_real(res.train_acc), &bad);
		jput(j, "test_accuracy", res.test_acc >= 0 ? json_real(res.test_acc) : json_null(),
		     &bad);
		jput(j, "seconds", json_real(res.seconds), &bad);
		jput(j, "samples_per_s", json_real(res.samples_per_s), &bad);
		rc = json_print(c, j, bad);
	}
out:
	xpnn_net_free(&n);
	xpnn_dataset_free(&dtr);
	xpnn_dataset_free(&dte);
	return rc;
}

/* ---- compile ---- */

const char help_compile[] =
	"usage: xpnn compile MODEL -o IMAGE [--target PORT | --rows R --cols C --tiles T …]\n"
	"                    [--calib N] [--percentile P] [DATA OPTIONS] [--json]\n"
	"\n"
	"Compile a float model (xpnn train, or PyTorch as in docs/formats.md) into a board\n"
	"image: layers split across tiles, weights as differential conductance codes with one\n"
	"scale per column, ADC gain/shift/offset per tile column from a calibration batch (the\n"
	"ADC range used without saturating), requantisation of the hidden activations\n"
	"(docs/training.md). A network that does not fit the target is refused with the layer\n"
	"and the limit.\n"
	"\n"
	"  -o, --output IMAGE  the image file to write (safetensors, docs/formats.md)\n"
	"  --target PORT    take the geometry and the widest layer (max_width) from that\n"
	"                   board's INFO (else the options below, whose defaults are the\n"
	"                   reference board, 4096 wide)\n"
	"  --rows R --cols C --tiles T    tile geometry (default 128, 64, 8)\n"
	"  --dac-bits B --code-bits B --adc-bits B   bit widths (default 8, 4, 8)\n"
	"  --calib N        calibration vectors: the first N training examples, 1 … 60000\n"
	"                   (default 1024)\n"
	"  --percentile P   percentile of |block partial sum| put at ADC full scale, 50 … 100\n"
	"                   (default 99.99)\n"
	"  --data DIR       Fashion-MNIST directory for the calibration batch (default\n"
	"                   " XPNN_FASHION_DIR ")\n"
	"  --images F --labels F   any IDX pair instead\n"
	"  --json           print a JSON summary on stdout\n";

static void compile_warn(void *ctx, const char *line)
{
	const cli *c = ctx;

	if (!c->quiet)
		fprintf(stderr, "xpnn compile: warning: %s\n", line);
}

/* The geometry and the widest layer of the board at c->port (INFO). */
static int target_geom(cli *c, xp_params *g, unsigned *max_width)
{
	int rc;

	if ((rc = cli_open(c)))
		return rc;
	xpnn_info_geometry(xpnn_board_info(c->b), g);
	*max_width = xpnn_board_info(c->b)->max_width;
	cli_close(c);
	return RC_OK;
}

int cmd_compile(cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		GLOBAL_LONGOPTS,
		{ "output", required_argument, NULL, 'o' },
		{ "target", required_argument, NULL, O_TARGET },
		{ "rows", required_argument, NULL, O_ROWS },
		{ "cols", required_argument, NULL, O_COLS },
		{ "tiles", required_argument, NULL, O_TILES },
		{ "dac-bits", required_argument, NULL, O_DAC_BITS },
		{ "code-bits", required_argument, NULL, O_CODE_BITS },
		{ "adc-bits", required_argument, NULL, O_ADC_BITS },
		{ "calib", required_argument, NULL, O_CALIB },
		{ "percentile", required_argument, NULL, O_PERCENTILE },
		{ "data", required_argument, NULL, O_DATA },
		{ "images", required_argument, NULL, O_IMAGES },
		{ "labels", required_argument, NULL, O_LABELS },
		{ "json", no_argument, NULL, O_JSON },
		LONGOPTS_END,
	};
	xp_params g;
	xpnn_compile_opts co = { .calib_pct = 99.99, .warn = compile_warn, .ctx = c };
	dsrc src = { 0 };
	const char *out = NULL, *target = NULL;
	uint64_t u, ncal = 1024;
	int rc = RC_OK, oc, json = 0, geom_opt = 0;
	xpnn_dataset d = { 0 };
	xpnn_net n = { 0 };
	xpnn_image img = { 0 };
	char err[768], msg[XP_ERRMSG], source[1024];

	xp_params_default(&g);
	while ((oc = cli_getopt(c, argc, argv, ":o:hvq", lo, help_compile, &rc)) != OPT_DONE) {
		if (oc == OPT_EXIT)
			return rc;
		switch (oc) {
		case 'o':
			out = optarg;
			break;
		case O_TARGET:
			target = optarg;
			break;
		case O_ROWS:
			if (!(rc = opt_uint(c, "--rows", optarg, 1, XP_MAX_ROWS, &u)))
				g.rows = (uint16_t)u;
			geom_opt = 1;
			break;
		case O_COLS:
			if (!(rc = opt_uint(c, "--cols", optarg, 1, XP_MAX_COLS, &u)))
				g.cols = (uint16_t)u;
			geom_opt = 1;
			break;
		case O_TILES:
			if (!(rc = opt_uint(c, "--tiles", optarg, 1, XP_MAX_TILES, &u)))
				g.tiles = (uint16_t)u;
			geom_opt = 1;
			break;
		case O_DAC_BITS:
			if (!(rc = opt_uint(c, "--dac-bits", optarg, 1, 8, &u)))
				g.dac_bits = (uint8_t)u;
			geom_opt = 1;
			break;
		case O_CODE_BITS:
			if (!(rc = opt_uint(c, "--code-bits", optarg, 1, 8, &u)))
				g.code_bits = (uint8_t)u;
			geom_opt = 1;
			break;
		case O_ADC_BITS:
			if (!(rc = opt_uint(c, "--adc-bits", optarg, 2, 12, &u)))
				g.adc_bits = (uint8_t)u;
			geom_opt = 1;
			break;
		case O_CALIB:
			rc = opt_uint(c, "--calib", optarg, 1, 60000, &ncal);
			break;
		case O_PERCENTILE:
			rc = opt_float(c, "--percentile", optarg, 50, 100, &co.calib_pct);
			break;
		case O_DATA:
			src.dir = optarg;
			break;
		case O_IMAGES:
			src.images = optarg;
			break;
		case O_LABELS:
			src.labels = optarg;
			break;
		case O_JSON:
			json = 1;
			break;
		default:
			return RC_USAGE;
		}
		if (rc)
			return rc;
	}
	if ((rc = usage_args(c, argc - optind, 1, 1, argv + optind)))
		return rc;
	if (!out) {
		cli_err(c, "-o IMAGE is required: the image file to write (see `xpnn compile --help`)");
		return RC_USAGE;
	}
	if (target && geom_opt) {
		cli_err(c, "--target takes the geometry from the board: give it or --rows/--cols/"
			"--tiles/--*-bits, not both");
		return RC_USAGE;
	}
	if (xpnn_net_load(&n, argv[optind], err, sizeof(err))) {
		cli_err(c, "%s", err);
		return RC_FILE;
	}
	if (target) {
		c->port = target;
		if ((rc = target_geom(c, &g, &co.max_width)))
			goto out;
	} else if (xp_params_check(&g, msg, sizeof(msg))) {
		cli_err(c, "geometry: %s", msg);
		rc = RC_USAGE;
		goto out;
	}
	if ((rc = ds_load(c, &src, "train", "--images/--labels", &d)))
		goto out;
	if ((uint64_t)d.rows * d.cols != n.width[0]) {
		cli_err(c, "calibration set: %ux%u = %u features, but the model takes %u inputs",
			d.rows, d.cols, d.rows * d.cols, n.width[0]);
		rc = RC_USAGE;
		goto out;
	}
	if (ncal > d.n)
		ncal = d.n;
	if (xpnn_compile(&img, &n, &g, d.images, (unsigned)ncal, &co, err, sizeof(err))) {
		cli_err(c, "%s: %s", argv[optind], err);
		rc = RC_USAGE;
		goto out;
	}
	source[0] = 0;
	{
		json_t *sj = json_pack("{s:s}", "model", argv[optind]);
		char *ss = sj ? json_dumps(sj, JSON_COMPACT) : NULL;

		if (ss)
			snprintf(source, sizeof(source), "%s", ss);
		free(ss);
		json_decref(sj);
	}
	if (xpnn_image_save(&img, out, *source ? source : NULL, err, sizeof(err))) {
		cli_err(c, "%s", err);
		rc = RC_FILE;
		goto out;
	}
	if (!c->quiet) {
		unsigned used = 0;

		for (unsigned l = 0; l < img.nlayers; l++) {
			const xpnn_image_layer *L = &img.layer[l];
			float smin = L->w_scale[0], smax = L->w_scale[0];
			unsigned gmin = 255, gmax = 0;

			for (unsigned j = 0; j < L->n_out; j++) {
				smin = fminf(smin, L->w_scale[j]);
				smax = fmaxf(smax, L->w_scale[j]);
			}
			for (size_t k = 0; k < (size_t)L->nrb * L->n_out; k++) {
				gmin = L->adc[k].gain < gmin ? L->adc[k].gain : gmin;
				gmax = L->adc[k].gain > gmax ? L->adc[k].gain : gmax;
			}
			fprintf(stderr, "xpnn compile: layer %u: %u+%u rows x %u columns on tiles %u … "
				"%u (%u x %u); weight step %.3g … %.3g; ADC gain %u … %u; %s\n", l,
				L->n_in, L->bias, L->n_out, L->tiles[0], L->tiles[L->ntiles - 1],
				L->nrb, L->ncb, (double)smin, (double)smax, gmin, gmax,
				L->act == XP_ACT_RELU ? "ReLU, requantisation" : "identity");
			if (L->act == XP_ACT_RELU)
				fprintf(stderr, "xpnn compile:   S * %u / 2^%u → next DAC code\n",
					L->amul, L->ash);
			used += L->ntiles;
		}
		fprintf(stderr, "xpnn compile: wrote %s: %u of %u tiles of %u x %u, calibrated on "
			"%u vectors at the %g-th percentile\n", out, used, g.tiles, g.rows, g.cols,
			(unsigned)ncal, co.calib_pct);
	}
	if (json) {
		json_t *j = json_object(), *ls = json_array();
		int bad = !ls;

		jput(j, "image", json_string(out), &bad);
		for (unsigned l = 0; l < img.nlayers && ls; l++) {
			json_t *t = json_array();

			for (unsigned k = 0; k < img.layer[l].ntiles; k++)
				json_array_append_new(t, json_integer(img.layer[l].tiles[k]));
			json_array_append_new(ls, json_pack("{s:i,s:i,s:o,s:i,s:i,s:f}", "n_in",
							    img.layer[l].n_in, "n_out",
							    img.layer[l].n_out, "tiles", t, "amul",
							    img.layer[l].amul, "ash", img.layer[l].ash,
							    "out_scale", img.layer[l].out_scale));
		}
		jput(j, "layers", ls, &bad);
		rc = json_print(c, j, bad);
	}
out:
	xpnn_image_free(&img);
	xpnn_net_free(&n);
	xpnn_dataset_free(&d);
	return rc;
}

/* ---- load ---- */

const char help_load[] =
	"usage: xpnn load IMAGE [--verify] [--tolerance LSB] [--max-bad PCT] [--reset]\n"
	"                 [--seed S] [--json] [GLOBAL OPTIONS]\n"
	"\n"
	"Program a board image (xpnn compile) onto the board: CONFIGURE, SET_ADC of every used\n"
	"tile column, WRITE_CELLS of every used cell (tile by tile, rows in order). The image is\n"
	"checked against the board's INFO first: an image for another geometry, or with a\n"
	"layer wider than the board's max_width, is refused before anything is sent.\n"
	"\n"
	"  --verify         read every written cell back (READ_CELLS) and compare each device\n"
	"                   with its nominal conductance k << (8 - code_bits)\n"
	"  --tolerance LSB  a device farther than this from nominal is out of tolerance,\n"
	"                   0 … 255 (default 32: two code steps; variation and programming\n"
	"                   noise stay inside, stuck devices do not)\n"
	"  --max-bad PCT    exit 7 if more than PCT %% of the devices are out of tolerance,\n"
	"                   0 … 100 (default 2)\n"
	"  --reset          RESET the board first (erases it; the boot id changes)\n"
	"  --seed S         SET_SEED S before programming: the programming noise repeats\n"
	"  --json           print a JSON summary on stdout\n";

int cmd_load(cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		GLOBAL_LONGOPTS,
		{ "verify", no_argument, NULL, O_VERIFY },
		{ "tolerance", required_argument, NULL, O_TOLERANCE },
		{ "max-bad", required_argument, NULL, O_MAX_BAD },
		{ "reset", no_argument, NULL, O_RESET },
		{ "seed", required_argument, NULL, O_SEED },
		{ "json", no_argument, NULL, O_JSON },
		LONGOPTS_END,
	};
	int rc = RC_OK, oc, verify = 0, reset = 0, json = 0, seeded = 0;
	uint64_t tol = 32, seed = 0;
	double max_bad = 2.0;
	xpnn_image img;
	xpnn_load_stats st;
	progress pr;
	char err[768];

	while ((oc = cli_getopt(c, argc, argv, ":hvq", lo, help_load, &rc)) != OPT_DONE) {
		if (oc == OPT_EXIT)
			return rc;
		switch (oc) {
		case O_VERIFY:
			verify = 1;
			break;
		case O_TOLERANCE:
			rc = opt_uint(c, "--tolerance", optarg, 0, 255, &tol);
			break;
		case O_MAX_BAD:
			rc = opt_float(c, "--max-bad", optarg, 0, 100, &max_bad);
			break;
		case O_RESET:
			reset = 1;
			break;
		case O_SEED:
			rc = opt_uint(c, "--seed", optarg, 0, UINT64_MAX, &seed);
			seeded = 1;
			break;
		case O_JSON:
			json = 1;
			break;
		default:
			return RC_USAGE;
		}
		if (rc)
			return rc;
	}
	if ((rc = usage_args(c, argc - optind, 1, 1, argv + optind)))
		return rc;
	if (xpnn_image_load(&img, argv[optind], err, sizeof(err))) {
		cli_err(c, "%s", err);
		return RC_FILE;
	}
	if ((rc = cli_open(c)))
		goto out;
	if (xpnn_image_fits_info(&img, xpnn_board_info(c->b), err, sizeof(err))) {
		cli_err(c, "%s: %s", argv[optind], err);
		rc = RC_USAGE;
		goto out;
	}
	if (reset && (rc = xpnn_reset(c->b))) {
		rc = board_err(c, rc, "RESET");
		goto out;
	}
	if (seeded && (rc = xpnn_set_seed(c->b, seed))) {
		rc = board_err(c, rc, "SET_SEED");
		goto out;
	}
	progress_init(&pr, c, "tiles");
	rc = xpnn_image_program(c->b, &img, verify, (unsigned)tol, &st, count_progress, &pr, err,
				sizeof(err));
	progress_end(&pr);
	if (rc) {
		cli_err(c, "%s: %s", argv[optind], err);
		rc = exit_code(rc);
		goto out;
	}
	if (!c->quiet) {
		fprintf(stderr, "xpnn load: %s: %" PRIu64 " cells on %u layers, %" PRIu64
			" devices changed, %" PRIu64 " programming pulses, %.3f s\n", argv[optind],
			st.cells, img.nlayers, st.devices_changed, st.pulses, st.seconds);
		if (verify) {
			fprintf(stderr, "xpnn load: verify: %" PRIu64 " devices read back, mean |G - "
				"nominal| %.2f LSB, %" PRIu64 " (%.2f %%) farther than %" PRIu64
				" LSB", st.verified, st.mean_abs_err, st.out_of_tol,
				st.verified ? 100.0 * (double)st.out_of_tol / (double)st.verified : 0.0,
				tol);
			if (st.out_of_tol)
				fprintf(stderr, " (first: tile %d row %d column %d: G %d, nominal %d)",
					st.first_bad_tile, st.first_bad_row, st.first_bad_col,
					st.first_bad_g, st.first_bad_nominal);
			fputc('\n', stderr);
		}
	}
	if (json) {
		json_t *j = json_object();
		int bad = 0;

		jput(j, "image", json_string(argv[optind]), &bad);
		jput(j, "cells", json_integer((json_int_t)st.cells), &bad);
		jput(j, "devices_changed", json_integer((json_int_t)st.devices_changed), &bad);
		jput(j, "pulses", json_integer((json_int_t)st.pulses), &bad);
		jput(j, "seconds", json_real(st.seconds), &bad);
		if (verify) {
			jput(j, "verified", json_integer((json_int_t)st.verified), &bad);
			jput(j, "out_of_tolerance", json_integer((json_int_t)st.out_of_tol), &bad);
			jput(j, "mean_abs_error", json_real(st.mean_abs_err), &bad);
		}
		if ((rc = json_print(c, j, bad)))
			goto out;
	}
	if (verify && (double)st.out_of_tol > max_bad / 100.0 * (double)st.verified) {
		cli_err(c, "verify failed: %" PRIu64 " of %" PRIu64 " devices (%.2f %%) are farther "
			"than %" PRIu64 " LSB from nominal, more than --max-bad %g %%; HINT: stuck "
			"devices and failed programming show here; `xpnn read` shows the cells",
			st.out_of_tol, st.verified, 100.0 * (double)st.out_of_tol / (double)st.verified,
			tol, max_bad);
		rc = RC_VERIFY;
	}
out:
	cli_close(c);
	xpnn_image_free(&img);
	return rc;
}

/* ---- eval ---- */

const char help_eval[] =
	"usage: xpnn eval [--load IMAGE] [DATA OPTIONS] [--split test|train] [--count N]\n"
	"                 [--json] [GLOBAL OPTIONS]\n"
	"       xpnn eval --twin MODEL|IMAGE [DATA OPTIONS] …\n"
	"\n"
	"Accuracy and confusion matrix on a labelled set, computed by the board through the port\n"
	"(RUN; the prediction is the largest output, the first on ties). Pixels go to the\n"
	"board's DAC as codes (scaled to dac_bits).\n"
	"\n"
	"  --load IMAGE     program IMAGE first (as `xpnn load IMAGE`): needed for the in-process\n"
	"                   model board, which lives as long as this command\n"
	"  --twin FILE      evaluate in the twin instead of on a board: a model file gives the\n"
	"                   float twin, an image file what an ideal board computes for it\n"
	"  --data DIR       Fashion-MNIST directory (default " XPNN_FASHION_DIR ")\n"
	"  --images F --labels F   any IDX pair instead\n"
	"  --split S        test (default) or train, with --data\n"
	"  --count N        the first N examples only\n"
	"  --json           print a JSON summary (accuracy, per-class accuracy, confusion\n"
	"                   matrix) on stdout instead of the text report\n";

int cmd_eval(cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		GLOBAL_LONGOPTS,
		{ "load", required_argument, NULL, O_LOAD },
		{ "twin", required_argument, NULL, O_TWIN },
		{ "data", required_argument, NULL, O_DATA },
		{ "images", required_argument, NULL, O_IMAGES },
		{ "labels", required_argument, NULL, O_LABELS },
		{ "split", required_argument, NULL, O_SPLIT },
		{ "count", required_argument, NULL, O_COUNT },
		{ "json", no_argument, NULL, O_JSON },
		LONGOPTS_END,
	};
	static const char *const splits[] = { "test", "train", NULL };
	const char *load = NULL, *twin = NULL, *what;
	int rc = RC_OK, oc, json = 0, split = 0;
	uint64_t count = 0;
	dsrc src = { 0 };
	xpnn_dataset d = { 0 };
	xpnn_image img = { 0 };
	xpnn_net n = { 0 };
	uint32_t *conf = NULL;
	unsigned K = 0;
	float acc = 0;
	double secs;
	int64_t t0;
	progress pr;
	char err[768];

	while ((oc = cli_getopt(c, argc, argv, ":hvq", lo, help_eval, &rc)) != OPT_DONE) {
		if (oc == OPT_EXIT)
			return rc;
		switch (oc) {
		case O_LOAD:
			load = optarg;
			break;
		case O_TWIN:
			twin = optarg;
			break;
		case O_DATA:
			src.dir = optarg;
			break;
		case O_IMAGES:
			src.images = optarg;
			break;
		case O_LABELS:
			src.labels = optarg;
			break;
		case O_SPLIT:
			rc = opt_word(c, "--split", optarg, splits, &split);
			break;
		case O_COUNT:
			rc = opt_uint(c, "--count", optarg, 1, UINT32_MAX, &count);
			break;
		case O_JSON:
			json = 1;
			break;
		default:
			return RC_USAGE;
		}
		if (rc)
			return rc;
	}
	if ((rc = usage_args(c, argc - optind, 0, 0, argv + optind)))
		return rc;
	if (twin && load) {
		cli_err(c, "--twin evaluates a file without a board; --load programs a board: give "
			"one of them");
		return RC_USAGE;
	}
	/* files first: a bad image or data set never reaches the board */
	if (twin) {
		char err2[768];

		if (xpnn_net_load(&n, twin, err, sizeof(err))) {
			if (xpnn_image_load(&img, twin, err2, sizeof(err2))) {
				cli_err(c, "--twin %s: neither a model (%s) nor an image (%s)", twin, err,
					err2);
				return RC_FILE;
			}
			if (xpnn_image_twin(&img, &n, err, sizeof(err))) {
				cli_err(c, "%s", err);
				rc = RC_FILE;
				goto out;
			}
		}
	} else if (load && xpnn_image_load(&img, load, err, sizeof(err))) {
		cli_err(c, "%s", err);
		return RC_FILE;
	}
	if ((rc = ds_load(c, &src, splits[split], "--images/--labels", &d)))
		goto out;
	if (count && count < d.n)
		d.n = (uint32_t)count;
	progress_init(&pr, c, "vectors");
	t0 = xpnn_now_ms();
	if (twin) {
		what = img.nlayers ? "twin of the image (ideal board)" : "float twin";
		K = n.width[n.nlayers];
		if (xpnn_dataset_check(&d, &n, "data set", err, sizeof(err))) {
			cli_err(c, "%s", err);
			rc = RC_USAGE;
			goto out;
		}
		if (!(conf = calloc((size_t)K * K, sizeof(uint32_t)))) {
			rc = oom(c);
			goto out;
		}
		acc = xpnn_twin_accuracy(&n, &d, conf);
	} else {
		xpnn_shape sh;
		xpnn_load_stats st;

		what = "board";
		if ((rc = cli_open(c)))
			goto out;
		if (load) {
			if ((rc = xpnn_image_program(c->b, &img, 0, 0, &st, NULL, NULL, err,
						     sizeof(err)))) {
				cli_err(c, "--load %s: %s", load, err);
				rc = exit_code(rc);
				goto out;
			}
			if (!c->quiet)
				fprintf(stderr, "xpnn eval: loaded %s: %" PRIu64 " cells, %.3f s\n",
					load, st.cells, st.seconds);
		}
		if ((rc = xpnn_shape_get(c->b, &sh))) {
			rc = board_err(c, rc, "the board's network");
			if (xpnn_last_nack(c->b)->status == XP_RSP_STATE)
				fprintf(stderr, "HINT: the board has no network: `xpnn load IMAGE`, "
					"or --load IMAGE here\n");
			goto out;
		}
		K = sh.n_out;
		if (!(conf = calloc((size_t)K * K, sizeof(uint32_t)))) {
			rc = oom(c);
			goto out;
		}
		t0 = xpnn_now_ms();
		if ((rc = xpnn_board_eval(c->b, d.images, d.rows * d.cols, d.labels, d.n,
					  d.nclasses, conf, &acc, count_progress, &pr, err,
					  sizeof(err)))) {
			progress_end(&pr);
			cli_err(c, "%s", err);
			rc = exit_code(rc);
			goto out;
		}
	}
	secs = (double)(xpnn_now_ms() - t0) / 1e3;
	progress_end(&pr);
	if (json) {
		json_t *j = json_object(), *cm = json_array(), *pc = json_array();
		int bad = !cm || !pc;

		jput(j, "source", json_string(what), &bad);
		jput(j, "count", json_integer(d.n), &bad);
		{
			uint64_t hits = 0;

			for (unsigned y = 0; y < K; y++)
				hits += conf[y * K + y];
			jput(j, "accuracy", json_real(d.n ? (double)hits / d.n : 0.0), &bad);
		}
		jput(j, "seconds", json_real(secs), &bad);
		for (unsigned y = 0; y < K && cm && pc; y++) {
			json_t *row = json_array();
			uint64_t tot = 0;

			for (unsigned p = 0; p < K; p++) {
				json_array_append_new(row, json_integer(conf[y * K + p]));
				tot += conf[y * K + p];
			}
			json_array_append_new(cm, row);
			json_array_append_new(pc, tot ? json_real((double)conf[y * K + y] / tot) :
						       json_null());
		}
		jput(j, "per_class_accuracy", pc, &bad);
		jput(j, "confusion", cm, &bad);
		rc = json_print(c, j, bad);
		goto out;
	}
	printf("accuracy: %.2f %% (%u examples, %s, %.3f s)\n", 100.0 * acc, d.n, what, secs);
	if (!c->quiet) {
		printf("confusion matrix (rows: label, columns: prediction):\n      ");
		for (unsigned p = 0; p < K; p++)
			printf(" %5u", p);
		printf("   acc %%\n");
		for (unsigned y = 0; y < K; y++) {
			uint64_t tot = 0;

			printf("  %3u:", y);
			for (unsigned p = 0; p < K; p++) {
				printf(" %5u", conf[y * K + p]);
				tot += conf[y * K + p];
			}
			if (tot)
				printf("  %6.2f\n", 100.0 * conf[y * K + y] / (double)tot);
			else
				printf("       -\n");
		}
	}
out:
	cli_close(c);
	free(conf);
	xpnn_net_free(&n);
	xpnn_image_free(&img);
	xpnn_dataset_free(&d);
	return rc;
}
