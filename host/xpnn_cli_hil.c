/*
 * xpnn_cli_hil.c — `xpnn hil`: hardware-in-the-loop fine-tuning of a deployed network
 * (hil.h, docs/training.md §3, docs/cli.md).
 *
 * As everywhere in the CLI: options, then files (model, image, data sets) read and checked
 * completely, then the board. Outputs (model, image, report, CSV, checkpoint) are written
 * atomically. SIGINT/SIGTERM write a checkpoint and exit 130; --resume continues.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <jansson.h>

#include "cli.h"
#include "compile.h"
#include "dataset.h"
#include "hil.h"
#include "train.h"
#include "util.h"

enum {
	H_MODEL = O_NN_BASE + 512,
	H_IMAGE,
	H_METHOD,
	H_EPOCHS,
	H_BATCH,
	H_LR,
	H_LR_FINAL,
	H_SEED,
	H_BUDGET,
	H_SPSA_C,
	H_SPSA_DENSITY,
	H_NOISE_SCALE,
	H_CHECKPOINT,
	H_CKPT_EVERY,
	H_RESUME,
	H_VERIFY,
	H_TOLERANCE,
	H_EVAL_COUNT,
	H_DATA,
	H_TRAIN_IMAGES,
	H_TRAIN_LABELS,
	H_TEST_IMAGES,
	H_TEST_LABELS,
	H_OUTPUT,
	H_SAVE_IMAGE,
	H_REPORT,
	H_CSV,
	H_JSON,
	H_THREADS,
	H_MAX_STEPS,
};

const char help_hil[] =
	"usage: xpnn hil --port PORT --model MODEL --image IMAGE [--method pat|spsa|progressive|\n"
	"                insilico] [--epochs N] [--checkpoint F [--resume]] [--report run.html]\n"
	"\n"
	"Fine-tune a network on a board with the hardware in the loop (docs/training.md §3).\n"
	"The image is deployed as it is first (every cell programmed) and the held-out set is\n"
	"evaluated on the board; then the method runs, with the held-out set evaluated on the\n"
	"board after every epoch (stage). The run is determined by --seed: the board's noise\n"
	"streams are re-seeded (SET_SEED) at every step, so a killed and resumed run, or one\n"
	"whose board lost power (boot id changed: the board is reprogrammed from the last\n"
	"checkpoint), ends bit-identical to an uninterrupted one on a board of the same device\n"
	"seed.\n"
	"\n"
	"  --model MODEL    the float model the image was compiled from: the shadow weights\n"
	"                   start there (safetensors, xpnn train / docs/formats.md)\n"
	"  --image IMAGE    the deployed image (xpnn compile): tile mapping, ADC settings and\n"
	"                   requantisation stay; the codes change\n"
	"  --method M       pat (default): physics-aware training, forward pass on the board,\n"
	"                   backward pass through the twin at the board's activations;\n"
	"                   spsa: simultaneous perturbation of the codes, forward passes only;\n"
	"                   progressive: per layer, measure its outputs on the board and retrain\n"
	"                   the layers above in the twin (NeuRRAM); insilico: hardware-aware\n"
	"                   twin training, then deploy (no board in the loop: the baseline)\n"
	"  --epochs N       pat: passes over the training set; progressive, insilico: twin\n"
	"                   epochs (1 … 1000, default 3)\n"
	"  --budget N       training forward passes on the board (vectors through RUN;\n"
	"                   default epochs × training set); spsa uses two per vector\n"
	"  --batch B        vectors per step, 1 … 4096 (default 64)\n"
	"  --lr X           Adam peak learning rate, cosine decay (default: pat 0.0003,\n"
	"                   spsa 0.002, progressive 0.001, insilico 0.0005)\n"
	"  --lr-final F     0 … 1 (default 0.02)\n"
	"  --seed S         shuffles, perturbations, the board's noise streams (default 1)\n"
	"  --spsa-c C       spsa: perturbation in code steps, 1 … 15 (default 1)\n"
	"  --spsa-density D spsa: fraction of cells perturbed per step, 0.0001 … 1 (default 0.05)\n"
	"  --noise-scale S  progressive, insilico: device noise in the twin, 0 … 10 (default 1)\n"
	"  --checkpoint F   write the run's state to F (atomically) every --checkpoint-every\n"
	"                   steps, at every epoch end, and on SIGINT\n"
	"  --checkpoint-every N  steps, 1 … 1000000 (default 100)\n"
	"  --resume         continue from --checkpoint if it exists (the run's options and files\n"
	"                   must be those of the checkpoint); the board is reprogrammed to the\n"
	"                   checkpoint's conductances first\n"
	"  --verify         read every written cell back (READ_CELLS) and count devices more than\n"
	"                   --tolerance LSB (default 24) from nominal\n"
	"  --eval-count N   held-out vectors per evaluation (default: the whole test set)\n"
	"  --data DIR       Fashion-MNIST directory (default " XPNN_FASHION_DIR ")\n"
	"  --train-images F --train-labels F   training IDX pair instead\n"
	"  --test-images F --test-labels F     held-out IDX pair instead\n"
	"  -o, --output MODEL     write the fine-tuned shadow weights (a model file)\n"
	"  --save-image IMAGE     write the image of the final codes\n"
	"  --report FILE    one self-contained HTML report with inline SVG plots\n"
	"  --csv FILE       one row per step (and the held-out evaluations)\n"
	"  --json           print a JSON summary on stdout\n"
	"  --threads N      OpenBLAS threads, 1 … 64 (default 1)\n"
	"  --max-steps N    stop after N steps of this process (checkpoint written, exit 130):\n"
	"                   time-boxed sessions and tests\n";

typedef struct hil_ctx {
	const cli *c;
	progress pr;
	int method;
} hil_ctx;

static void on_progress(void *ctx, const xpnn_hil_progress *p)
{
	hil_ctx *h = ctx;
	char extra[128];

	if (h->c->quiet)
		return;
	if (p->note) {
		progress_end(&h->pr);
		fprintf(stderr, "xpnn hil: %s\n", p->note);
		return;
	}
	if (p->eval) {
		progress_end(&h->pr);
		fprintf(stderr, "xpnn hil: %s %u: held-out accuracy on the board %.2f %%, ideal twin "
			"of the codes %.2f %% (step %u, %" PRIu64 " training forward passes, %.1f s)\n",
			h->method == XPNN_HIL_PROGRESSIVE ? "stage" : "epoch", p->eval->epoch,
			100.0 * p->eval->board_acc, 100.0 * p->eval->twin_acc, p->eval->step,
			p->eval->forwards, p->eval->seconds);
		return;
	}
	if (!strcmp(p->phase, "train") && p->acc >= 0)
		snprintf(extra, sizeof(extra), "epoch %u/%u  board loss %.4f  acc %.2f%%", p->epoch,
			 p->epochs, (double)p->loss, 100.0 * p->acc);
	else
		snprintf(extra, sizeof(extra), "%s", p->phase);
	h->pr.unit = !strcmp(p->phase, "eval") || !strcmp(p->phase, "measure") ? "vectors" :
									    "steps";
	progress_show(&h->pr, p->done, p->total, extra);
}

/* The run's options as JSON, for the report and --json. */
static json_t *config_json(const cli *c, const xpnn_hil_opts *o, const char *model,
			   const char *image, const dsrc *tr, const dsrc *te, const xpnn_info *in,
			   uint32_t ntrain, uint32_t ntest)
{
	json_t *j = json_object();
	char geom[128];

	json_object_set_new(j, "method", json_string(xpnn_hil_method_name(o->method)));
	json_object_set_new(j, "port", json_string(c->port));
	json_object_set_new(j, "model", model ? json_string(model) : json_null());
	json_object_set_new(j, "image", json_string(image));
	json_object_set_new(j, "train", json_string(tr->images ? tr->images :
					 tr->dir ? tr->dir : XPNN_FASHION_DIR));
	json_object_set_new(j, "test", json_string(te->images ? te->images :
					te->dir ? te->dir : XPNN_FASHION_DIR));
	json_object_set_new(j, "train_count", json_integer(ntrain));
	json_object_set_new(j, "heldout_count", json_integer(ntest));
	json_object_set_new(j, "epochs", json_integer(o->epochs));
	json_object_set_new(j, "batch", json_integer(o->batch));
	json_object_set_new(j, "budget", json_integer((json_int_t)o->budget));
	json_object_set_new(j, "lr", o->lr > 0 ? json_real(o->lr) : json_string("default"));
	json_object_set_new(j, "lr_final", json_real(o->lr_final));
	json_object_set_new(j, "seed", json_integer((json_int_t)o->seed));
	if (o->method == XPNN_HIL_SPSA) {
		json_object_set_new(j, "spsa_c", json_real(o->spsa_c));
		json_object_set_new(j, "spsa_density", json_real(o->spsa_density));
	}
	if (o->method == XPNN_HIL_PROGRESSIVE || o->method == XPNN_HIL_INSILICO)
		json_object_set_new(j, "noise_scale", json_real(o->noise_scale));
	json_object_set_new(j, "checkpoint", o->checkpoint ? json_string(o->checkpoint) :
							   json_null());
	json_object_set_new(j, "checkpoint_every", json_integer(o->ckpt_every));
	json_object_set_new(j, "verify", json_boolean(o->verify));
	snprintf(geom, sizeof(geom), "%u tiles of %u x %u, DAC %u, codes %u, ADC %u bits",
		 in->tiles, in->rows, in->cols, in->dac_bits, in->code_bits, in->adc_bits);
	json_object_set_new(j, "board", json_string(geom));
	json_object_set_new(j, "board_boot_id", json_integer(in->boot_id));
	return j;
}

static json_t *per_class(const uint32_t *conf, unsigned K)
{
	json_t *a = json_array();

	for (unsigned y = 0; y < K && conf; y++) {
		uint64_t tot = 0;

		for (unsigned p = 0; p < K; p++)
			tot += conf[y * K + p];
		json_array_append_new(a, tot ? json_real((double)conf[y * K + y] / tot) :
					       json_null());
	}
	return a;
}

static int print_summary(const cli *c, const xpnn_hil_result *r, int json)
{
	float a0 = r->nevals ? r->evals[0].board_acc : -1;
	float a1 = r->nevals ? r->evals[r->nevals - 1].board_acc : -1;
	float t1 = r->nevals ? r->evals[r->nevals - 1].twin_acc : -1;

	if (json) {
		json_t *j = json_object(), *ev = json_array();
		int bad = !ev;

		jput(j, "method", json_string(xpnn_hil_method_name(r->method)), &bad);
		jput(j, "accuracy_before", json_real(a0), &bad);
		jput(j, "accuracy_after", json_real(a1), &bad);
		jput(j, "twin_accuracy_after", json_real(t1), &bad);
		jput(j, "steps", json_integer((json_int_t)r->nsteps), &bad);
		jput(j, "train_forwards", json_integer((json_int_t)r->train_forwards), &bad);
		jput(j, "eval_forwards", json_integer((json_int_t)r->eval_forwards), &bad);
		jput(j, "cells", json_integer((json_int_t)r->cells), &bad);
		jput(j, "cells_written", json_integer((json_int_t)r->cells_written), &bad);
		jput(j, "devices_changed", json_integer((json_int_t)r->devices_changed), &bad);
		jput(j, "pulses", json_integer((json_int_t)r->pulses), &bad);
		jput(j, "restore_pulses", json_integer((json_int_t)r->restore_pulses), &bad);
		jput(j, "max_cell_pulses", json_integer(r->max_cell_pulses), &bad);
		jput(j, "mean_cell_pulses", json_real(r->mean_cell_pulses), &bad);
		jput(j, "restores", json_integer(r->restores), &bad);
		jput(j, "resumed_at", json_integer(r->resumed_at), &bad);
		jput(j, "verified", json_integer((json_int_t)r->verified), &bad);
		jput(j, "out_of_tolerance", json_integer((json_int_t)r->out_of_tol), &bad);
		jput(j, "seconds", json_real(r->seconds), &bad);
		jput(j, "board_seconds", json_real(r->board_seconds), &bad);
		for (size_t i = 0; i < r->nevals && ev; i++) {
			const xpnn_hil_eval *e = &r->evals[i];
			json_t *o = json_object();

			json_object_set_new(o, "epoch", json_integer(e->epoch));
			json_object_set_new(o, "step", json_integer(e->step));
			json_object_set_new(o, "board_accuracy", json_real(e->board_acc));
			json_object_set_new(o, "twin_accuracy", json_real(e->twin_acc));
			json_object_set_new(o, "board_loss", json_real(e->board_loss));
			json_object_set_new(o, "forwards", json_integer((json_int_t)e->forwards));
			json_object_set_new(o, "seconds", json_real(e->seconds));
			json_array_append_new(ev, o);
		}
		jput(j, "evaluations", ev, &bad);
		jput(j, "per_class_before", per_class(r->confusion0, r->nclasses), &bad);
		jput(j, "per_class_after", per_class(r->confusion1, r->nclasses), &bad);
		if (r->config_json)
			jput(j, "config", json_loads(r->config_json, 0, NULL), &bad);
		return json_print(c, j, bad);
	}
	printf("%s: held-out accuracy on the board %.2f %% -> %.2f %% (ideal twin of the final "
	       "codes %.2f %%)\n", xpnn_hil_method_name(r->method), 100.0 * a0, 100.0 * a1,
	       100.0 * t1);
	printf("budget: %" PRIu64 " training + %" PRIu64 " evaluation forward passes, %" PRIu64
	       " cells written (%" PRIu64 " devices changed, %" PRIu64 " pulses; the most-"
	       "programmed cell %u pulses, mean %.2f), %.1f s (board %.1f s)\n",
	       r->train_forwards, r->eval_forwards, r->cells_written, r->devices_changed,
	       r->pulses, r->max_cell_pulses, r->mean_cell_pulses, r->seconds, r->board_seconds);
	if (r->restores || r->resumed_at)
		printf("resumed at step %u; %u restores after a board reset (%" PRIu64
		       " pulses)\n", r->resumed_at, r->restores, r->restore_pulses);
	if (r->verified)
		printf("verify: %" PRIu64 " of %" PRIu64 " devices read back beyond tolerance\n",
		       r->out_of_tol, r->verified);
	return RC_OK;
}

int cmd_hil(cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		GLOBAL_LONGOPTS,
		{ "model", required_argument, NULL, H_MODEL },
		{ "image", required_argument, NULL, H_IMAGE },
		{ "method", required_argument, NULL, H_METHOD },
		{ "epochs", required_argument, NULL, H_EPOCHS },
		{ "batch", required_argument, NULL, H_BATCH },
		{ "lr", required_argument, NULL, H_LR },
		{ "lr-final", required_argument, NULL, H_LR_FINAL },
		{ "seed", required_argument, NULL, H_SEED },
		{ "budget", required_argument, NULL, H_BUDGET },
		{ "spsa-c", required_argument, NULL, H_SPSA_C },
		{ "spsa-density", required_argument, NULL, H_SPSA_DENSITY },
		{ "noise-scale", required_argument, NULL, H_NOISE_SCALE },
		{ "checkpoint", required_argument, NULL, H_CHECKPOINT },
		{ "checkpoint-every", required_argument, NULL, H_CKPT_EVERY },
		{ "resume", no_argument, NULL, H_RESUME },
		{ "verify", no_argument, NULL, H_VERIFY },
		{ "tolerance", required_argument, NULL, H_TOLERANCE },
		{ "eval-count", required_argument, NULL, H_EVAL_COUNT },
		{ "data", required_argument, NULL, H_DATA },
		{ "train-images", required_argument, NULL, H_TRAIN_IMAGES },
		{ "train-labels", required_argument, NULL, H_TRAIN_LABELS },
		{ "test-images", required_argument, NULL, H_TEST_IMAGES },
		{ "test-labels", required_argument, NULL, H_TEST_LABELS },
		{ "output", required_argument, NULL, H_OUTPUT },
		{ "save-image", required_argument, NULL, H_SAVE_IMAGE },
		{ "report", required_argument, NULL, H_REPORT },
		{ "csv", required_argument, NULL, H_CSV },
		{ "json", no_argument, NULL, H_JSON },
		{ "threads", required_argument, NULL, H_THREADS },
		{ "max-steps", required_argument, NULL, H_MAX_STEPS },
		LONGOPTS_END,
	};
	static const char *const methods[] = { "pat", "spsa", "progressive", "insilico", NULL };
	const char *model_path = NULL, *image_path = NULL, *out = NULL, *save_image = NULL;
	const char *report = NULL, *csv = NULL;
	xpnn_hil_opts o;
	xpnn_hil_result r;
	dsrc tr = { 0 }, te = { 0 };
	xpnn_dataset dtr = { 0 }, dte = { 0 };
	xpnn_net model = { 0 }, fin = { 0 };
	xpnn_image img = { 0 }, fimg = { 0 };
	uint64_t v, threads = 1;
	double d;
	int rc = RC_OK, oc, json = 0, have_model = 0, hrc;
	char err[1024];
	char *cfg = NULL;
	hil_ctx hc;

	xpnn_hil_opts_default(&o);
	memset(&r, 0, sizeof(r));
	while ((oc = cli_getopt(c, argc, argv, ":hvqo:", lo, help_hil, &rc)) != OPT_DONE) {
		if (oc == OPT_EXIT)
			return rc;
		switch (oc) {
		case H_MODEL:
			model_path = optarg;
			break;
		case H_IMAGE:
			image_path = optarg;
			break;
		case H_METHOD:
			rc = opt_word(c, "--method", optarg, methods, &o.method);
			break;
		case H_EPOCHS:
			if (!(rc = opt_uint(c, "--epochs", optarg, 1, 1000, &v)))
				o.epochs = (unsigned)v;
			break;
		case H_BATCH:
			if (!(rc = opt_uint(c, "--batch", optarg, 1, 4096, &v)))
				o.batch = (unsigned)v;
			break;
		case H_LR:
			if (!(rc = opt_float(c, "--lr", optarg, 1e-9, 10, &d)))
				o.lr = (float)d;
			break;
		case H_LR_FINAL:
			if (!(rc = opt_float(c, "--lr-final", optarg, 0, 1, &d)))
				o.lr_final = (float)d;
			break;
		case H_SEED:
			rc = opt_uint(c, "--seed", optarg, 0, UINT64_MAX, &o.seed);
			break;
		case H_BUDGET:
			rc = opt_uint(c, "--budget", optarg, 1, UINT32_MAX * 16ull, &o.budget);
			break;
		case H_SPSA_C:
			if (!(rc = opt_uint(c, "--spsa-c", optarg, 1, 15, &v)))
				o.spsa_c = (float)v;
			break;
		case H_SPSA_DENSITY:
			if (!(rc = opt_float(c, "--spsa-density", optarg, 0.0001, 1, &d)))
				o.spsa_density = (float)d;
			break;
		case H_NOISE_SCALE:
			if (!(rc = opt_float(c, "--noise-scale", optarg, 0, 10, &d)))
				o.noise_scale = (float)d;
			break;
		case H_CHECKPOINT:
			o.checkpoint = optarg;
			break;
		case H_CKPT_EVERY:
			if (!(rc = opt_uint(c, "--checkpoint-every", optarg, 1, 1000000, &v)))
				o.ckpt_every = (unsigned)v;
			break;
		case H_RESUME:
			o.resume = 1;
			break;
		case H_VERIFY:
			o.verify = 1;
			break;
		case H_TOLERANCE:
			if (!(rc = opt_uint(c, "--tolerance", optarg, 0, 255, &v)))
				o.tol = (unsigned)v;
			break;
		case H_EVAL_COUNT:
			if (!(rc = opt_uint(c, "--eval-count", optarg, 1, UINT32_MAX, &v)))
				o.eval_n = (uint32_t)v;
			break;
		case H_DATA:
			tr.dir = te.dir = optarg;
			break;
		case H_TRAIN_IMAGES:
			tr.images = optarg;
			break;
		case H_TRAIN_LABELS:
			tr.labels = optarg;
			break;
		case H_TEST_IMAGES:
			te.images = optarg;
			break;
		case H_TEST_LABELS:
			te.labels = optarg;
			break;
		case 'o':
		case H_OUTPUT:
			out = optarg;
			break;
		case H_SAVE_IMAGE:
			save_image = optarg;
			break;
		case H_REPORT:
			report = optarg;
			break;
		case H_CSV:
			csv = optarg;
			break;
		case H_JSON:
			json = 1;
			break;
		case H_THREADS:
			rc = opt_uint(c, "--threads", optarg, 1, 64, &threads);
			break;
		case H_MAX_STEPS:
			rc = opt_uint(c, "--max-steps", optarg, 1, UINT32_MAX, &o.max_steps);
			break;
		default:
			return RC_USAGE;
		}
		if (rc)
			return rc;
	}
	if ((rc = usage_args(c, argc - optind, 0, 0, argv + optind)))
		return rc;
	if (!image_path) {
		cli_err(c, "--image IMAGE is required: the deployed image (xpnn compile)");
		return RC_USAGE;
	}
	if (!model_path && o.method == XPNN_HIL_INSILICO) {
		cli_err(c, "--method insilico trains the float model: --model MODEL is required");
		return RC_USAGE;
	}
	if (o.resume && !o.checkpoint) {
		cli_err(c, "--resume continues from a checkpoint file: give --checkpoint F");
		return RC_USAGE;
	}
	/* files first: nothing reaches the board before everything is read and checked */
	if (xpnn_image_load(&img, image_path, err, sizeof(err))) {
		cli_err(c, "%s", err);
		return RC_FILE;
	}
	if (model_path) {
		if (xpnn_net_load(&model, model_path, err, sizeof(err))) {
			cli_err(c, "%s", err);
			rc = RC_FILE;
			goto out;
		}
		have_model = 1;
	}
	if ((rc = ds_load(c, &tr, "train", "--train-images/--train-labels", &dtr)) ||
	    (rc = ds_load(c, &te, "test", "--test-images/--test-labels", &dte)))
		goto out;
	{
		xpnn_net shape = { 0 };

		if (xpnn_image_twin(&img, &shape, err, sizeof(err))) {
			cli_err(c, "%s: %s", image_path, err);
			rc = RC_FILE;
			goto out;
		}
		if (xpnn_dataset_check(&dtr, &shape, "training set", err, sizeof(err)) ||
		    xpnn_dataset_check(&dte, &shape, "held-out set", err, sizeof(err))) {
			xpnn_net_free(&shape);
			cli_err(c, "%s", err);
			rc = RC_USAGE;
			goto out;
		}
		xpnn_net_free(&shape);
	}
	openblas_set_num_threads((int)threads);
	if ((rc = cli_open(c)))
		goto out;
	{
		json_t *j = config_json(c, &o, model_path, image_path, &tr, &te,
					xpnn_board_info(c->b), dtr.n,
					o.eval_n && o.eval_n < dte.n ? o.eval_n : dte.n);

		cfg = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		json_decref(j);
		if (!cfg) {
			rc = oom(c);
			goto out;
		}
	}
	o.config_json = cfg;
	hc.c = c;
	hc.method = o.method;
	progress_init(&hc.pr, c, "steps");
	o.progress = on_progress;
	o.ctx = &hc;
	o.stop = &interrupted;
	catch_sigint();
	hrc = xpnn_hil_run(c->b, have_model ? &model : NULL, &img, &dtr, &dte, &o, &r, &fin,
			   &fimg, err, sizeof(err));
	progress_end(&hc.pr);
	if (hrc == XPNN_HIL_STOPPED) {
		if (!c->quiet && o.method == XPNN_HIL_INSILICO)
			fprintf(stderr, "xpnn hil: stopped (insilico has no checkpoints: run it "
				"again)\n");
		else if (!c->quiet)
			fprintf(stderr, "xpnn hil: stopped%s\n", o.checkpoint ?
				", checkpoint written; continue with --resume" :
				" (no --checkpoint: the state is lost)");
		rc = RC_INTR;
		goto report;
	}
	if (hrc) {
		cli_err(c, "%s", err);
		if (o.checkpoint && hrc != XPNN_EARG)
			fprintf(stderr, "HINT: the last checkpoint is in %s: --resume continues "
				"from it\n", o.checkpoint);
		rc = hrc == XPNN_EARG ? RC_USAGE : exit_code(hrc);
		goto out;
	}
	if (out && xpnn_net_save(&fin, out, cfg, err, sizeof(err))) {
		cli_err(c, "%s", err);
		rc = RC_FILE;
		goto out;
	}
	if (save_image && xpnn_image_save(&fimg, save_image, cfg, err, sizeof(err))) {
		cli_err(c, "%s", err);
		rc = RC_FILE;
		goto out;
	}
report:
	if (report && xpnn_hil_report_html(&r, report, err, sizeof(err))) {
		cli_err(c, "%s", err);
		rc = RC_FILE;
		goto out;
	}
	if (csv && xpnn_hil_report_csv(&r, csv, err, sizeof(err))) {
		cli_err(c, "%s", err);
		rc = RC_FILE;
		goto out;
	}
	if (rc == RC_OK)
		rc = print_summary(c, &r, json);
out:
	cli_close(c);
	free(cfg);
	xpnn_hil_result_free(&r);
	xpnn_net_free(&model);
	xpnn_net_free(&fin);
	xpnn_image_free(&img);
	xpnn_image_free(&fimg);
	xpnn_dataset_free(&dtr);
	xpnn_dataset_free(&dte);
	return rc;
}
