/*
 * hil.c — hardware-in-the-loop fine-tuning (hil.h, docs/training.md §3).
 *
 * Every method starts the same way: the image is deployed as it is (CONFIGURE, SET_ADC, every
 * cell programmed), its conductances are read back and the held-out set is evaluated on the
 * board ("before"). Then:
 *   pat          per step: RUN the batch with every layer's S; loss on the board's outputs;
 *                backward through the twin at the board's activations; Adam on the float
 *                shadow weights; requantise; program the cells whose codes changed.
 *   spsa         per step: perturb a random subset of codes by ±c, RUN, perturb by ∓c, RUN
 *                (the same noise streams: common random numbers), estimate the gradient from
 *                the two losses, Adam, program the changed cells. Two forward passes per
 *                vector, no backward pass.
 *   progressive  per layer l < L-1: measure layer l's outputs on the board for the stage's
 *                share of the budget, retrain layers l+1 … in the twin (with device noise) on
 *                them, program layer l+1.
 *   insilico     hardware-aware twin training from the model (no board in the loop), compile
 *                with the image's options, deploy, evaluate.
 *
 * Board state bookkeeping (hil.h): the host numbers the seeds it sends with SET_SEED (K) and
 * counts the pulses under each (P), and records per cell the (K, P) of its last programming.
 * restore() replays exactly those programmings, so a board of the same device seed ends with
 * the same conductances whatever happened to it in between.
 */
#define _GNU_SOURCE /* qsort_r */
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "hil.h"
#include "safetensors.h"
#include "train.h"
#include "util.h"

#define CK_FORMAT "xpnn-hil-checkpoint"
#define CK_VERSION 1
#define EVAL_CHUNK 1000u      /* vectors per xpnn_run call when evaluating */
#define MAX_RESTORES 1000u    /* give up when a board keeps losing its state */
#define STEP_F 10             /* fields of a step in the checkpoint's history */
#define EVAL_F 7

/* seed domains: no two uses of the run's seed share a stream */
enum { D_BOARD = 1, D_EVAL, D_SHUFFLE, D_SPSA, D_PROG, D_INSILICO };

static uint64_t mix(uint64_t seed, uint64_t domain, uint64_t k)
{
	uint64_t s = seed ^ (domain * 0xD1B54A32D192ED03ull);

	xpnn_splitmix64(&s);
	s ^= k * 0x9E3779B97F4A7C15ull;
	return xpnn_splitmix64(&s);
}

const char *xpnn_hil_method_name(int m)
{
	static const char *const names[] = { "pat", "spsa", "progressive", "insilico" };

	return m >= 0 && m < 4 ? names[m] : "?";
}

void xpnn_hil_opts_default(xpnn_hil_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->method = XPNN_HIL_PAT;
	o->epochs = 3;
	o->batch = 64;
	o->lr_final = 0.02f;
	o->seed = 1;
	o->spsa_c = 1.0f;
	o->spsa_density = 0.05f;
	o->noise_scale = 1.0f;
	o->ckpt_every = 100;
	o->tol = 24;
}

void xpnn_hil_result_free(xpnn_hil_result *r)
{
	free(r->steps);
	free(r->evals);
	free(r->confusion0);
	free(r->confusion1);
	free(r->config_json);
	memset(r, 0, sizeof(*r));
}

/* The default peak learning rate of each method (shadow weights in float units). */
static float default_lr(int method)
{
	switch (method) {
	case XPNN_HIL_SPSA:
		return 0.002f;
	case XPNN_HIL_PROGRESSIVE:
		return 0.001f;
	case XPNN_HIL_INSILICO:
		return 0.0005f;
	default:
		return 0.0003f;
	}
}

/* ---- the run ---- */

typedef struct hil {
	xpnn_board *b;
	const xpnn_hil_opts *o;
	xpnn_hil_result *res;
	const xpnn_image *img0;
	xpnn_image cur;          /* the board's codes as programmed */
	xpnn_net net;            /* shadow weights; quantisation of the image */
	xpnn_twin *tw;
	xpnn_opt opt;
	int opt_ok;
	const xpnn_dataset *train, *test;
	xpnn_dataset held;       /* the evaluated part of test */
	unsigned nl, ncls, nall, dac_bits;
	float lr;
	uint64_t budget, total_steps, spe; /* forward passes; steps; steps per epoch */
	/* cells: index c = off[l] + i * n_out + j, i the layer's row (bias row last) */
	uint64_t off[XP_MAX_LAYERS + 1];
	uint16_t *ctile, *crow, *ccol;
	uint32_t *last_k, *last_p, *pulses;
	uint32_t K, P;           /* next seed index; pulses under the seed in force */
	uint32_t kin;            /* the seed index in force (the last board_seed) */
	uint64_t step;           /* steps done */
	unsigned stage;          /* progressive: stages done */
	/* scratch */
	int8_t *ktgt[XP_MAX_LAYERS]; /* target signed codes per layer */
	xpnn_cell *list;
	uint32_t *list_cell;
	size_t list_cap;
	uint32_t *perm;
	int64_t perm_epoch;
	uint8_t *xb, *yb;        /* batch pixels (DAC codes), labels */
	float *xf;               /* batch pixels as twin inputs */
	int16_t *S;              /* (batch, n_all) */
	float *mh[XP_MAX_LAYERS], *ma[XP_MAX_LAYERS];
	size_t cap_steps, cap_evals;
	/* time */
	int64_t t0;
	double sec_base, board_base;
	double board_ms;
	/* the last checkpoint, in memory */
	xpnn_st ck;
	int have_ck;
	char *run_json;          /* what a checkpoint must match to be resumed */
	char *err;
	size_t errlen;
} hil;

static double now_s(const hil *h)
{
	return h->sec_base + (double)(xpnn_now_ms() - h->t0) / 1e3;
}

static void note(hil *h, const char *phase, const char *msg)
{
	xpnn_hil_progress p;

	if (!h->o->progress)
		return;
	memset(&p, 0, sizeof(p));
	p.phase = phase;
	p.loss = p.acc = -1.0f;
	p.seconds = now_s(h);
	p.note = msg;
	h->o->progress(h->o->ctx, &p);
}

static void progress(hil *h, const char *phase, uint64_t done, uint64_t total, unsigned epoch,
		     unsigned epochs, float loss, float acc)
{
	xpnn_hil_progress p;

	if (!h->o->progress)
		return;
	memset(&p, 0, sizeof(p));
	p.phase = phase;
	p.done = done;
	p.total = total;
	p.epoch = epoch;
	p.epochs = epochs;
	p.loss = loss;
	p.acc = acc;
	p.seconds = now_s(h);
	h->o->progress(h->o->ctx, &p);
}

/* A board call failed: the message, unless the board lost its state (the caller restores). */
static int board_fail(hil *h, int rc, const char *what)
{
	xpnn_errf(h->err, h->errlen, "%s: %s", what, xpnn_errmsg(h->b));
	return rc;
}

/* ---- board operations, timed ---- */

#define TIMED(h, call)                                                                         \
	({                                                                                     \
		int64_t t_ = xpnn_now_ms();                                                    \
		int r_ = (call);                                                               \
		(h)->board_ms += (double)(xpnn_now_ms() - t_);                                 \
		r_;                                                                            \
	})

/* SET_SEED with the seed of index k; P counts from 0 again. */
static int board_seed(hil *h, uint32_t k)
{
	int rc = TIMED(h, xpnn_set_seed(h->b, mix(h->o->seed, D_BOARD, k)));

	h->P = 0;
	h->kin = k;
	return rc ? board_fail(h, rc, "SET_SEED") : 0;
}

/* CONFIGURE and SET_ADC of image img. */
static int board_configure(hil *h, const xpnn_image *img)
{
	xp_netcfg cfg;
	xp_layer layers[XP_MAX_LAYERS];
	unsigned C = img->geom.cols;
	int rc;

	xpnn_image_netcfg(img, &cfg, layers);
	if ((rc = TIMED(h, xpnn_configure(h->b, &cfg, NULL))))
		return board_fail(h, rc, "CONFIGURE");
	for (unsigned l = 0; l < img->nlayers; l++) {
		const xpnn_image_layer *L = &img->layer[l];

		for (unsigned rb = 0; rb < L->nrb; rb++)
			for (unsigned cb = 0; cb < L->ncb; cb++) {
				unsigned c0 = cb * C, nc = L->n_out - c0 < C ? L->n_out - c0 : C;
				xp_adc adc[XP_MAX_COLS];

				for (unsigned c = 0; c < nc; c++)
					adc[c] = L->adc[(size_t)rb * L->n_out + c0 + c];
				rc = TIMED(h, xpnn_set_adc(h->b, L->tiles[rb * L->ncb + cb], 0, nc,
							   adc));
				if (rc)
					return board_fail(h, rc, "SET_ADC");
			}
	}
	return 0;
}

static uint8_t *cell_codes(hil *h, uint64_t c)
{
	unsigned l = 0;

	while (c >= h->off[l + 1])
		l++;
	return h->cur.layer[l].codes + (c - h->off[l]) * 2;
}

/* Send the list (n records of one tile) and account for it. restore: the pulses go to
 * restore_pulses and the cells' (K, P) records are already right. */
static int send_list(hil *h, unsigned tile, size_t n, int restore, uint32_t *changed_out)
{
	uint32_t changed = 0;
	int rc;

	if (!n)
		return 0;
	rc = TIMED(h, xpnn_write_list(h->b, tile, h->list, n, &changed));
	if (rc)
		return board_fail(h, rc, "WRITE_LIST");
	for (size_t i = 0; i < n; i++) {
		uint32_t c = h->list_cell[i];

		if (!restore) {
			h->last_k[c] = h->kin;
			h->last_p[c] = h->P;
		}
		h->P += 2;
		h->pulses[c] += 2;
	}
	if (restore) {
		h->res->restore_pulses += 2 * (uint64_t)n;
	} else {
		h->res->cells_written += n;
		h->res->pulses += 2 * (uint64_t)n;
		h->res->devices_changed += changed;
	}
	if (changed_out)
		*changed_out += changed;
	return 0;
}

static int list_grow(hil *h, size_t need)
{
	if (need <= h->list_cap)
		return 0;
	size_t cap = h->list_cap ? h->list_cap : 4096;

	while (cap < need)
		cap *= 2;
	xpnn_cell *l = realloc(h->list, cap * sizeof(*l));
	if (!l)
		return -1;
	h->list = l;
	uint32_t *lc = realloc(h->list_cell, cap * sizeof(*lc));
	if (!lc)
		return -1;
	h->list_cell = lc;
	h->list_cap = cap;
	return 0;
}

/* Program layers [lo, hi) to the target codes h->ktgt[l] (signed, (rows, n_out)): every cell
 * whose codes differ from the board's (all cells with force), tile by tile in the image's
 * order, row-major within a tile, under the seed in force. *cells, *changed accumulate. */
static int program_layers(hil *h, unsigned lo, unsigned hi, int force, uint32_t *cells,
			  uint32_t *changed)
{
	unsigned R = h->cur.geom.rows, C = h->cur.geom.cols;
	int rc;

	for (unsigned l = lo; l < hi; l++) {
		xpnn_image_layer *L = &h->cur.layer[l];
		unsigned rows = L->n_in + L->bias, no = L->n_out;
		const int8_t *k = h->ktgt[l];

		for (unsigned rb = 0; rb < L->nrb; rb++)
			for (unsigned cb = 0; cb < L->ncb; cb++) {
				unsigned r0 = rb * R, r1 = r0 + R < rows ? r0 + R : rows;
				unsigned c0 = cb * C, c1 = c0 + C < no ? c0 + C : no;
				size_t n = 0;

				if (list_grow(h, (size_t)R * C)) {
					xpnn_errf(h->err, h->errlen, "out of memory");
					return XPNN_ENOMEM;
				}
				for (unsigned i = r0; i < r1; i++)
					for (unsigned j = c0; j < c1; j++) {
						size_t idx = (size_t)i * no + j;
						int v = k[idx];
						uint8_t kp = (uint8_t)(v > 0 ? v : 0);
						uint8_t km = (uint8_t)(v < 0 ? -v : 0);
						uint8_t *cc = L->codes + idx * 2;

						if (!force && cc[0] == kp && cc[1] == km)
							continue;
						cc[0] = kp;
						cc[1] = km;
						h->list[n].row = (uint16_t)(i - r0);
						h->list[n].col = (uint16_t)(j - c0);
						h->list[n].kp = kp;
						h->list[n].km = km;
						h->list_cell[n] = (uint32_t)(h->off[l] + idx);
						n++;
					}
				if ((rc = send_list(h, L->tiles[rb * L->ncb + cb], n, 0, changed)))
					return rc;
				if (cells)
					*cells += (uint32_t)n;
			}
	}
	return 0;
}

/* The board's current codes as signed codes, into ktgt[l]. */
static void codes_of_image(hil *h, unsigned l)
{
	const xpnn_image_layer *L = &h->cur.layer[l];
	size_t n = (size_t)(L->n_in + L->bias) * L->n_out;

	for (size_t i = 0; i < n; i++)
		h->ktgt[l][i] = (int8_t)(L->codes[2 * i] - L->codes[2 * i + 1]);
}

/* The shadow weights' codes into ktgt[l] (the bias row only if the layer has one). */
static void codes_of_net(hil *h, unsigned l)
{
	xpnn_net_codes(&h->net, l, h->ktgt[l]);
}

static int cmp_cells(const void *a, const void *b, void *ctx)
{
	const hil *h = ctx;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	if (h->last_k[x] != h->last_k[y])
		return h->last_k[x] < h->last_k[y] ? -1 : 1;
	if (h->last_p[x] != h->last_p[y])
		return h->last_p[x] < h->last_p[y] ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* Bring the board to the state the bookkeeping describes: CONFIGURE, SET_ADC, then every
 * cell's last programming replayed at its seed and pulse. Pulses between two live cells of
 * one seed are spent on the later cell itself (a cell listed twice is programmed twice:
 * only its last programming stays), and a cell due at an earlier pulse than the counter
 * gets the seed sent again. */
static int restore(hil *h)
{
	uint32_t *ord = malloc(h->off[h->nl] * sizeof(*ord));
	uint64_t n = h->off[h->nl];
	uint32_t kcur = UINT32_MAX;
	unsigned tile = UINT_MAX;
	size_t m = 0;
	int rc;

	if (!ord) {
		xpnn_errf(h->err, h->errlen, "out of memory");
		return XPNN_ENOMEM;
	}
	note(h, "restore", "reprogramming the board from the checkpoint");
	if ((rc = board_configure(h, &h->cur)))
		goto out;
	for (uint64_t c = 0; c < n; c++)
		ord[c] = (uint32_t)c;
	qsort_r(ord, n, sizeof(*ord), cmp_cells, h);
	for (uint64_t i = 0; i < n; i++) {
		uint32_t c = ord[i], k = h->last_k[c], p = h->last_p[c];
		const uint8_t *cc = cell_codes(h, c);
		uint64_t reps;

		if (k != kcur || p < h->P + 2 * m) {
			if ((rc = send_list(h, tile, m, 1, NULL)))
				goto out;
			m = 0;
			if ((rc = board_seed(h, k)))
				goto out;
			kcur = k;
		}
		if (h->ctile[c] != tile) {
			if ((rc = send_list(h, tile, m, 1, NULL)))
				goto out;
			m = 0;
			tile = h->ctile[c];
		}
#ifndef XPNN_HIL_MUTANT_RESTORE
		reps = (p - (h->P + 2 * m)) / 2 + 1;
#else
		reps = 1; /* deliberately wrong (tests/test_hil.sh): no pulses between live cells */
#endif
		if (list_grow(h, m + reps)) {
			rc = XPNN_ENOMEM;
			xpnn_errf(h->err, h->errlen, "out of memory");
			goto out;
		}
		for (uint64_t r = 0; r < reps; r++, m++) {
			h->list[m] = (xpnn_cell){ h->crow[c], h->ccol[c], cc[0], cc[1] };
			h->list_cell[m] = c;
		}
	}
	rc = send_list(h, tile, m, 1, NULL);
out:
	free(ord);
	return rc;
}

/* ---- data ---- */

static void shuffle(hil *h, uint64_t epoch)
{
	uint32_t n = h->train->n;
	uint64_t s = mix(h->o->seed, D_SHUFFLE, epoch);

	if ((int64_t)epoch == h->perm_epoch)
		return;
	for (uint32_t i = 0; i < n; i++)
		h->perm[i] = i;
	for (uint32_t i = n - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(xpnn_splitmix64(&s) % ((uint64_t)i + 1));
		uint32_t t = h->perm[i];

		h->perm[i] = h->perm[j];
		h->perm[j] = t;
	}
	h->perm_epoch = (int64_t)epoch;
}

/* The batch of step s (0-based): B vectors of the epoch's order. */
static void gather(hil *h, uint64_t s, unsigned B)
{
	unsigned F = h->net.width[0];
	uint64_t e = s / h->spe, i0 = (s % h->spe) * B;

	shuffle(h, e);
	for (unsigned i = 0; i < B; i++) {
		uint32_t k = h->perm[(i0 + i) % h->train->n];

		memcpy(h->xb + (size_t)i * F, h->train->images + (size_t)k * F, F);
		h->yb[i] = h->train->labels[k];
		for (unsigned f = 0; f < F; f++)
			h->xf[(size_t)i * F + f] = (float)h->xb[(size_t)i * F + f] * (1.0f / 255.0f);
	}
	xpnn_dac_codes(h->dac_bits, h->xb, h->xb, (size_t)B * F);
}

/* Cross-entropy and hit of one vector's logits. */
static float xent(const float *z, unsigned K, unsigned y, int *hit)
{
	float m = z[0], s = 0.0f;

	for (unsigned j = 1; j < K; j++)
		m = fmaxf(m, z[j]);
	for (unsigned j = 0; j < K; j++)
		s += expf(z[j] - m);
	*hit = xpnn_argmax_f(z, K) == y;
	return logf(fmaxf(s, 1.0f)) + m - z[y < K ? y : K - 1]; /* s ≥ 1: exp(0) is in it */
}

/* The board's outputs of the last layer as logits: S · s_out. */
static void board_logits(hil *h, const int16_t *S, unsigned stride, unsigned B, float *z)
{
	unsigned K = h->ncls, off = stride - K;
	float so = h->net.q[h->nl - 1].s_out;

	for (unsigned i = 0; i < B; i++)
		for (unsigned j = 0; j < K; j++)
			z[(size_t)i * K + j] = (float)S[(size_t)i * stride + off + j] * so;
}

/* ---- history ---- */

/* Room for one more element of *arr (n used, *cap allocated, elem bytes each). */
static int grow(void *arr, size_t n, size_t *cap, size_t elem, size_t first)
{
	void **a = arr;

	if (n < *cap)
		return 0;
	size_t c = *cap ? 2 * *cap : first;
	void *p = realloc(*a, c * elem);

	if (!p)
		return -1;
	*a = p;
	*cap = c;
	return 0;
}

static int push_step(hil *h, const xpnn_hil_step *st)
{
	xpnn_hil_result *r = h->res;

	if (grow(&r->steps, r->nsteps, &h->cap_steps, sizeof(*st), 1024))
		return -1;
	r->steps[r->nsteps++] = *st;
	return 0;
}

static int push_eval(hil *h, const xpnn_hil_eval *ev)
{
	xpnn_hil_result *r = h->res;

	if (grow(&r->evals, r->nevals, &h->cap_evals, sizeof(*ev), 16))
		return -1;
	r->evals[r->nevals++] = *ev;
	return 0;
}

/* ---- evaluation ---- */

/* The held-out set on the board (its own noise seed per evaluation) and through the ideal
 * twin of the codes; confusion (K*K) may be NULL. */
static int evaluate(hil *h, uint32_t epoch, uint32_t *confusion)
{
	const xpnn_dataset *d = &h->held;
	unsigned F = h->net.width[0], K = h->ncls;
	int16_t *out = malloc(sizeof(int16_t) * EVAL_CHUNK * K);
	uint8_t *x = malloc((size_t)EVAL_CHUNK * F);
	float *z = malloc(sizeof(float) * EVAL_CHUNK * K);
	uint64_t hits = 0;
	double loss = 0.0;
	xpnn_hil_eval ev;
	int rc;

	if (!out || !x || !z) {
		rc = XPNN_ENOMEM;
		xpnn_errf(h->err, h->errlen, "out of memory");
		goto out;
	}
	if (confusion)
		memset(confusion, 0, sizeof(uint32_t) * K * K);
	rc = TIMED(h, xpnn_set_seed(h->b, mix(h->o->seed, D_EVAL, h->res->nevals)));
	if (rc) {
		rc = board_fail(h, rc, "SET_SEED");
		goto out;
	}
	h->P = 0;
	for (uint32_t s = 0; s < d->n; s += EVAL_CHUNK) {
		unsigned B = d->n - s < EVAL_CHUNK ? d->n - s : EVAL_CHUNK;

		xpnn_dac_codes(h->dac_bits, d->images + (size_t)s * F, x, (size_t)B * F);
		rc = TIMED(h, xpnn_run(h->b, x, B, 0, out, NULL));
		if (rc) {
			rc = board_fail(h, rc, "RUN");
			goto out;
		}
		board_logits(h, out, K, B, z);
		for (unsigned i = 0; i < B; i++) {
			unsigned y = d->labels[s + i];
			unsigned p = xpnn_argmax_i16(out + (size_t)i * K, K);
			int hit;

			loss += xent(z + (size_t)i * K, K, y, &hit);
			hits += p == y;
			if (confusion && y < K)
				confusion[y * K + p]++;
		}
		h->res->eval_forwards += B;
		progress(h, "eval", s + B, d->n, 0, 0, -1.0f, -1.0f);
	}
	memset(&ev, 0, sizeof(ev));
	ev.epoch = epoch;
	ev.step = (uint32_t)h->step;
	ev.board_acc = d->n ? (float)hits / (float)d->n : 0.0f;
	ev.board_loss = d->n ? (float)(loss / d->n) : 0.0f;
	ev.twin_acc = xpnn_twin_accuracy(&h->net, d, NULL);
	ev.forwards = h->res->train_forwards;
	ev.seconds = now_s(h);
	if (push_eval(h, &ev)) {
		rc = XPNN_ENOMEM;
		xpnn_errf(h->err, h->errlen, "out of memory");
	} else if (h->o->progress) {
		xpnn_hil_progress p;

		memset(&p, 0, sizeof(p));
		p.phase = "eval";
		p.done = p.total = d->n;
		p.loss = p.acc = -1.0f;
		p.seconds = ev.seconds;
		p.eval = &h->res->evals[h->res->nevals - 1];
		h->o->progress(h->o->ctx, &p);
	}
out:
	free(out);
	free(x);
	free(z);
	return rc;
}

/* Histogram of the stored conductances of every used device. */
static int read_hist(hil *h, uint32_t *hist)
{
	unsigned R = h->cur.geom.rows, C = h->cur.geom.cols;
	uint8_t *g = malloc((size_t)R * C * 2);
	int rc = 0;

	if (!g) {
		xpnn_errf(h->err, h->errlen, "out of memory");
		return XPNN_ENOMEM;
	}
	memset(hist, 0, 256 * sizeof(uint32_t));
	for (unsigned l = 0; l < h->nl && !rc; l++) {
		const xpnn_image_layer *L = &h->cur.layer[l];
		unsigned rows = L->n_in + L->bias;

		for (unsigned rb = 0; rb < L->nrb && !rc; rb++)
			for (unsigned cb = 0; cb < L->ncb && !rc; cb++) {
				unsigned nr = rows - rb * R < R ? rows - rb * R : R;
				unsigned nc = L->n_out - cb * C < C ? L->n_out - cb * C : C;

				rc = TIMED(h, xpnn_read_cells(h->b, L->tiles[rb * L->ncb + cb], 0, 0,
							      nr, nc, g));
				if (rc) {
					rc = board_fail(h, rc, "READ_CELLS");
					break;
				}
				for (size_t k = 0; k < (size_t)nr * nc * 2; k++)
					hist[g[k]]++;
			}
	}
	free(g);
	return rc;
}

/* verify: read back the rows of every tile that the last programming touched and compare
 * the written cells with nominal. */
static int verify_written(hil *h, uint32_t kstep)
{
	unsigned R = h->cur.geom.rows, C = h->cur.geom.cols, shift = 8 - h->cur.geom.code_bits;
	uint8_t *g = malloc((size_t)R * C * 2);
	int rc = 0;

	if (!g) {
		xpnn_errf(h->err, h->errlen, "out of memory");
		return XPNN_ENOMEM;
	}
	for (unsigned l = 0; l < h->nl && !rc; l++) {
		const xpnn_image_layer *L = &h->cur.layer[l];
		unsigned rows = L->n_in + L->bias;

		for (unsigned rb = 0; rb < L->nrb && !rc; rb++)
			for (unsigned cb = 0; cb < L->ncb && !rc; cb++) {
				unsigned r0 = rb * R, nr = rows - r0 < R ? rows - r0 : R;
				unsigned c0 = cb * C, nc = L->n_out - c0 < C ? L->n_out - c0 : C;
				int lo = -1, hi = -1;

				for (unsigned r = 0; r < nr; r++)
					for (unsigned c = 0; c < nc; c++) {
						uint64_t cell = h->off[l] + (uint64_t)(r0 + r) * L->n_out +
								c0 + c;

						if (h->last_k[cell] == kstep) {
							lo = lo < 0 ? (int)r : lo;
							hi = (int)r;
						}
					}
				if (lo < 0)
					continue;
				rc = TIMED(h, xpnn_read_cells(h->b, L->tiles[rb * L->ncb + cb],
							      (unsigned)lo, 0, (unsigned)(hi - lo + 1),
							      nc, g));
				if (rc) {
					rc = board_fail(h, rc, "READ_CELLS");
					break;
				}
				for (int r = lo; r <= hi; r++)
					for (unsigned c = 0; c < nc; c++) {
						uint64_t cell = h->off[l] +
								(uint64_t)(r0 + (unsigned)r) *
									L->n_out + c0 + c;
						const uint8_t *cc = L->codes +
								    (cell - h->off[l]) * 2;
						const uint8_t *gv = g + ((size_t)(r - lo) * nc + c) * 2;

						if (h->last_k[cell] != kstep)
							continue;
						for (int d = 0; d < 2; d++) {
							int nom = cc[d] << shift, e = gv[d] - nom;

							h->res->verified++;
							if ((unsigned)abs(e) > h->o->tol)
								h->res->out_of_tol++;
						}
					}
			}
	}
	free(g);
	return rc;
}

/* ---- checkpoints ---- */

static uint64_t fnv(uint64_t hsh, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		hsh = (hsh ^ b[i]) * 0x100000001B3ull;
	return hsh;
}

static uint64_t fp_image(const xpnn_image *img)
{
	uint64_t f = 0xCBF29CE484222325ull;

	for (unsigned l = 0; l < img->nlayers; l++) {
		const xpnn_image_layer *L = &img->layer[l];

		f = fnv(f, L->codes, (size_t)(L->n_in + L->bias) * L->n_out * 2);
		f = fnv(f, L->adc, (size_t)L->nrb * L->n_out * sizeof(xp_adc));
		f = fnv(f, L->w_scale, L->n_out * sizeof(float));
		f = fnv(f, L->tiles, L->ntiles * sizeof(L->tiles[0]));
		f = fnv(f, &L->out_scale, sizeof(float));
	}
	return f;
}

static uint64_t fp_data(const xpnn_dataset *d)
{
	uint64_t f = fnv(0xCBF29CE484222325ull, &d->n, sizeof(d->n));

	f = fnv(f, d->images, (size_t)d->n * d->rows * d->cols);
	return fnv(f, d->labels, d->n);
}

static uint64_t fp_net(const xpnn_net *n)
{
	uint64_t f = 0xCBF29CE484222325ull;

	for (unsigned l = 0; l < n->nlayers; l++) {
		f = fnv(f, n->w[l], sizeof(float) * n->width[l] * n->width[l + 1]);
		f = fnv(f, n->b[l], sizeof(float) * n->width[l + 1]);
	}
	return f;
}

static char *hex64(char *buf, uint64_t v)
{
	sprintf(buf, "%016" PRIx64, v);
	return buf;
}

/* What determines the run: a checkpoint resumes only a run with the same. */
static char *run_identity(hil *h, const xpnn_net *model)
{
	const xpnn_hil_opts *o = h->o;
	json_t *j = json_object();
	char b[4][24], *s;

	json_object_set_new(j, "method", json_string(xpnn_hil_method_name(o->method)));
	json_object_set_new(j, "seed", json_integer((json_int_t)o->seed));
	json_object_set_new(j, "epochs", json_integer(o->epochs));
	json_object_set_new(j, "batch", json_integer(o->batch));
	json_object_set_new(j, "lr", json_real(h->lr));
	json_object_set_new(j, "lr_final", json_real(o->lr_final));
	json_object_set_new(j, "budget", json_integer((json_int_t)h->budget));
	json_object_set_new(j, "spsa_c", json_real(o->spsa_c));
	json_object_set_new(j, "spsa_density", json_real(o->spsa_density));
	json_object_set_new(j, "noise_scale", json_real(o->noise_scale));
	json_object_set_new(j, "eval_n", json_integer(h->held.n));
	json_object_set_new(j, "image", json_string(hex64(b[0], fp_image(h->img0))));
	json_object_set_new(j, "model", json_string(model ? hex64(b[1], fp_net(model)) : "none"));
	json_object_set_new(j, "train", json_string(hex64(b[2], fp_data(h->train))));
	json_object_set_new(j, "test", json_string(hex64(b[3], fp_data(&h->held))));
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	return s;
}

/* The run's state as tensors pointing at the live data (names in tn, 64 bytes each). */
static size_t ck_tensors(hil *h, xpnn_tensor *t, char (*tn)[64], uint64_t *state,
			 double *tm, double **hs, double **he)
{
	size_t n = 0;
	xpnn_hil_result *r = h->res;
	uint64_t nc = h->off[h->nl];

#define T(nm, dt, nd, s0, s1, s2, ptr, bytes)                                                  \
	do {                                                                                   \
		snprintf(tn[n], 64, "%s", nm);                                                 \
		t[n] = (xpnn_tensor){ .name = tn[n], .dtype = dt, .ndim = nd,                  \
				      .shape = { s0, s1, s2, 0 }, .nbytes = bytes,             \
				      .data = (void *)(ptr) };                                 \
		n++;                                                                           \
	} while (0)
	for (unsigned l = 0; l < h->nl; l++) {
		unsigned ni = h->net.width[l], no = h->net.width[l + 1];
		const xpnn_image_layer *L = &h->cur.layer[l];
		char nm[64];

		snprintf(nm, sizeof(nm), "net.%u.weight", l);
		T(nm, XPNN_F32, 2, no, ni, 0, h->net.w[l], sizeof(float) * ni * no);
		snprintf(nm, sizeof(nm), "net.%u.bias", l);
		T(nm, XPNN_F32, 1, no, 0, 0, h->net.b[l], sizeof(float) * no);
		for (int k = 0; k < 2; k++) {
			size_t sz = k ? no : (size_t)ni * no;

			snprintf(nm, sizeof(nm), "opt.%u.%s.m", l, k ? "bias" : "weight");
			T(nm, XPNN_F32, 1, sz, 0, 0, h->opt.m[l][k], sizeof(float) * sz);
			snprintf(nm, sizeof(nm), "opt.%u.%s.v", l, k ? "bias" : "weight");
			T(nm, XPNN_F32, 1, sz, 0, 0, h->opt.v[l][k], sizeof(float) * sz);
		}
		snprintf(nm, sizeof(nm), "codes.%u", l);
		T(nm, XPNN_U8, 3, L->n_in + L->bias, no, 2, L->codes,
		  (size_t)(L->n_in + L->bias) * no * 2);
	}
	T("cells.last_seed", XPNN_U32, 1, nc, 0, 0, h->last_k, nc * 4);
	T("cells.last_pulse", XPNN_U32, 1, nc, 0, 0, h->last_p, nc * 4);
	T("cells.pulses", XPNN_U32, 1, nc, 0, 0, h->pulses, nc * 4);
	state[0] = h->step;
	state[1] = h->K;
	state[2] = h->stage;
	state[3] = h->opt.step;
	state[4] = r->train_forwards;
	state[5] = r->eval_forwards;
	state[6] = r->cells_written;
	state[7] = r->devices_changed;
	state[8] = r->pulses;
	state[9] = r->restore_pulses;
	state[10] = r->restores;
	state[11] = r->verified;
	state[12] = r->out_of_tol;
	T("state", XPNN_I64, 1, 13, 0, 0, state, 13 * 8);
	tm[0] = now_s(h);
	tm[1] = h->board_base + h->board_ms / 1e3;
	T("time", XPNN_F64, 1, 2, 0, 0, tm, 16);
	*hs = calloc(r->nsteps * STEP_F + 1, sizeof(double));
	*he = calloc(r->nevals * EVAL_F + 1, sizeof(double));
	if (*hs)
		for (size_t i = 0; i < r->nsteps; i++) {
			const xpnn_hil_step *s = &r->steps[i];
			double *v = *hs + i * STEP_F;

			v[0] = s->step, v[1] = s->epoch, v[2] = s->board_loss, v[3] = s->board_acc;
			v[4] = s->twin_loss, v[5] = s->twin_acc, v[6] = s->cells, v[7] = s->changed;
			v[8] = (double)s->forwards, v[9] = s->seconds;
		}
	if (*he)
		for (size_t i = 0; i < r->nevals; i++) {
			const xpnn_hil_eval *e = &r->evals[i];
			double *v = *he + i * EVAL_F;

			v[0] = e->epoch, v[1] = e->step, v[2] = e->board_acc, v[3] = e->twin_acc;
			v[4] = e->board_loss, v[5] = (double)e->forwards, v[6] = e->seconds;
		}
	T("history.steps", XPNN_F64, 2, r->nsteps, STEP_F, 0, *hs,
	  r->nsteps * STEP_F * sizeof(double));
	T("history.evals", XPNN_F64, 2, r->nevals, EVAL_F, 0, *he,
	  r->nevals * EVAL_F * sizeof(double));
	T("confusion0", XPNN_U32, 2, h->ncls, h->ncls, 0, r->confusion0,
	  sizeof(uint32_t) * h->ncls * h->ncls);
	T("hist0", XPNN_U32, 1, 256, 0, 0, r->hist0, sizeof(r->hist0));
#undef T
	return n;
}

#define CK_MAXT (XP_MAX_LAYERS * 7 + 16)

/* Write the checkpoint: in memory always, to the file if there is one. */
static int checkpoint(hil *h)
{
	xpnn_tensor t[CK_MAXT];
	char tn[CK_MAXT][64];
	uint64_t state[13];
	double tm[2], *hs = NULL, *he = NULL;
	size_t n = ck_tensors(h, t, tn, state, tm, &hs, &he);
	xpnn_st mem;
	int rc = 0;

	if (!hs || !he)
		goto oom;
	/* in memory: a deep copy in the reader's layout */
	xpnn_st_free(&h->ck);
	h->have_ck = 0;
	memset(&mem, 0, sizeof(mem));
	mem.t = calloc(n, sizeof(*mem.t));
	mem.path = strdup("(checkpoint in memory)");
	if (!mem.t || !mem.path)
		goto oom_mem;
	for (size_t i = 0; i < n; i++) {
		mem.t[i] = t[i];
		mem.t[i].name = strdup(t[i].name);
		mem.t[i].data = malloc(t[i].nbytes + 1);
		mem.n = i + 1;
		if (!mem.t[i].name || !mem.t[i].data)
			goto oom_mem;
		if (t[i].nbytes)
			memcpy(mem.t[i].data, t[i].data, t[i].nbytes);
	}
	h->ck = mem;
	h->have_ck = 1;
	if (h->o->checkpoint) {
		json_t *meta = json_object();
		char v[16];

		snprintf(v, sizeof(v), "%d", CK_VERSION);
		json_object_set_new(meta, "format", json_string(CK_FORMAT));
		json_object_set_new(meta, "version", json_string(v));
		json_object_set_new(meta, "run", json_string(h->run_json));
		rc = xpnn_st_write(h->o->checkpoint, t, n, meta, h->err, h->errlen) ? XPNN_EARG : 0;
		json_decref(meta);
	}
	free(hs);
	free(he);
	return rc;
oom_mem:
	xpnn_st_free(&mem);
oom:
	free(hs);
	free(he);
	xpnn_errf(h->err, h->errlen, "out of memory");
	return XPNN_ENOMEM;
}

/* Copy a tensor of the checkpoint into dst (shape checked). */
static int ck_get(hil *h, const xpnn_st *st, const char *name, xpnn_dtype dt, size_t nbytes,
		  void *dst)
{
	const xpnn_tensor *t = xpnn_st_get(st, name, dt, -1, NULL, h->err, h->errlen);

	if (!t)
		return -1;
	if (t->nbytes != nbytes) {
		xpnn_errf(h->err, h->errlen, "%s: tensor '%s' has %zu bytes, this run needs %zu: "
			  "the checkpoint is of another network", st->path, name, t->nbytes,
			  nbytes);
		return -1;
	}
	if (nbytes)
		memcpy(dst, t->data, nbytes);
	return 0;
}

/* Load the run's state from st (a file's or the memory copy). */
static int ck_apply(hil *h, const xpnn_st *st)
{
	xpnn_hil_result *r = h->res;
	uint64_t state[13], nc = h->off[h->nl];
	double tm[2];
	const xpnn_tensor *ts, *te;
	char nm[64];

	for (unsigned l = 0; l < h->nl; l++) {
		unsigned ni = h->net.width[l], no = h->net.width[l + 1];
		const xpnn_image_layer *L = &h->cur.layer[l];

		snprintf(nm, sizeof(nm), "net.%u.weight", l);
		if (ck_get(h, st, nm, XPNN_F32, sizeof(float) * ni * no, h->net.w[l]))
			return -1;
		snprintf(nm, sizeof(nm), "net.%u.bias", l);
		if (ck_get(h, st, nm, XPNN_F32, sizeof(float) * no, h->net.b[l]))
			return -1;
		for (int k = 0; k < 2; k++) {
			size_t sz = k ? no : (size_t)ni * no;

			snprintf(nm, sizeof(nm), "opt.%u.%s.m", l, k ? "bias" : "weight");
			if (ck_get(h, st, nm, XPNN_F32, sizeof(float) * sz, h->opt.m[l][k]))
				return -1;
			snprintf(nm, sizeof(nm), "opt.%u.%s.v", l, k ? "bias" : "weight");
			if (ck_get(h, st, nm, XPNN_F32, sizeof(float) * sz, h->opt.v[l][k]))
				return -1;
		}
		snprintf(nm, sizeof(nm), "codes.%u", l);
		if (ck_get(h, st, nm, XPNN_U8, (size_t)(L->n_in + L->bias) * no * 2, L->codes))
			return -1;
	}
	if (ck_get(h, st, "cells.last_seed", XPNN_U32, nc * 4, h->last_k) ||
	    ck_get(h, st, "cells.last_pulse", XPNN_U32, nc * 4, h->last_p) ||
	    ck_get(h, st, "cells.pulses", XPNN_U32, nc * 4, h->pulses) ||
	    ck_get(h, st, "state", XPNN_I64, sizeof(state), state) ||
	    ck_get(h, st, "time", XPNN_F64, sizeof(tm), tm) ||
	    ck_get(h, st, "confusion0", XPNN_U32, sizeof(uint32_t) * h->ncls * h->ncls,
		   r->confusion0) ||
	    ck_get(h, st, "hist0", XPNN_U32, sizeof(r->hist0), r->hist0))
		return -1;
	ts = xpnn_st_get(st, "history.steps", XPNN_F64, 2, (uint64_t[]){ 0, STEP_F }, h->err,
			 h->errlen);
	te = xpnn_st_get(st, "history.evals", XPNN_F64, 2, (uint64_t[]){ 0, EVAL_F }, h->err,
			 h->errlen);
	if (!ts || !te)
		return -1;
	if (state[0] > h->total_steps || state[1] > UINT32_MAX || ts->shape[0] != state[0]) {
		xpnn_errf(h->err, h->errlen, "%s: inconsistent state (step %" PRIu64 " of %" PRIu64
			  ", %" PRIu64 " history rows)", st->path, state[0], h->total_steps,
			  ts->shape[0]);
		return -1;
	}
	h->step = state[0];
	h->K = (uint32_t)state[1];
	h->stage = (unsigned)state[2];
	h->opt.step = state[3];
	r->train_forwards = state[4];
	r->eval_forwards = state[5];
	r->cells_written = state[6];
	r->devices_changed = state[7];
	r->pulses = state[8];
	r->restore_pulses = state[9];
	r->restores = (unsigned)state[10];
	r->verified = state[11];
	r->out_of_tol = state[12];
	r->nsteps = r->nevals = 0;
	for (uint64_t i = 0; i < ts->shape[0]; i++) {
		const double *v = (const double *)ts->data + i * STEP_F;
		xpnn_hil_step s = { (uint32_t)v[0], (uint32_t)v[1], (float)v[2], (float)v[3],
				    (float)v[4], (float)v[5], (uint32_t)v[6], (uint32_t)v[7],
				    (uint64_t)v[8], v[9] };

		if (push_step(h, &s))
			goto oom;
	}
	for (uint64_t i = 0; i < te->shape[0]; i++) {
		const double *v = (const double *)te->data + i * EVAL_F;
		xpnn_hil_eval e = { (uint32_t)v[0], (uint32_t)v[1], (float)v[2], (float)v[3],
				    (float)v[4], (uint64_t)v[5], v[6] };

		if (push_eval(h, &e))
			goto oom;
	}
	return 0;
oom:
	xpnn_errf(h->err, h->errlen, "out of memory");
	return -1;
}

/* Resume from the checkpoint file: its run must be this run. */
static int ck_load_file(hil *h, int *found)
{
	xpnn_st st;
	const char *fmt, *run;
	double tm[2];
	int rc = -1;

	*found = 0;
	if (access(h->o->checkpoint, F_OK) != 0)
		return 0;
	*found = 1;
	if (xpnn_st_read(&st, h->o->checkpoint, h->err, h->errlen))
		return XPNN_EARG;
	fmt = xpnn_st_meta(&st, "format");
	run = xpnn_st_meta(&st, "run");
	if (!fmt || strcmp(fmt, CK_FORMAT) || !run) {
		xpnn_errf(h->err, h->errlen, "%s: not an xpnn hil checkpoint (metadata format "
			  "'%s', expected '%s')", h->o->checkpoint, fmt ? fmt : "", CK_FORMAT);
		goto out;
	}
	if (strcmp(run, h->run_json)) {
		json_t *a = json_loads(run, 0, NULL), *b = json_loads(h->run_json, 0, NULL);
		const char *key;
		json_t *v;

		xpnn_errf(h->err, h->errlen, "%s: written by a different run", h->o->checkpoint);
		json_object_foreach(b, key, v) {
			json_t *w = a ? json_object_get(a, key) : NULL;
			char *x = w ? json_dumps(w, JSON_ENCODE_ANY) : NULL;
			char *y = json_dumps(v, JSON_ENCODE_ANY);

			if (!w || !json_equal(v, w)) {
				xpnn_errf(h->err, h->errlen, "%s: written by a different run: "
					  "%s was %s there, %s here; resume with the options and "
					  "files of that run, or use a new checkpoint file",
					  h->o->checkpoint, key, x ? x : "absent", y ? y : "?");
				free(x);
				free(y);
				break;
			}
			free(x);
			free(y);
		}
		json_decref(a);
		json_decref(b);
		goto out;
	}
	if (ck_apply(h, &st))
		goto out;
	memcpy(tm, xpnn_st_get(&st, "time", XPNN_F64, 1, NULL, NULL, 0)->data, sizeof(tm));
	h->sec_base = tm[0];
	h->board_base = tm[1];
	rc = 0;
out:
	xpnn_st_free(&st);
	return rc ? XPNN_EARG : 0;
}

/* The board lost its state (boot id changed): back to the last checkpoint, board included. */
static int rollback(hil *h)
{
	char msg[160];
	double keep_sec = now_s(h), keep_board = h->board_base + h->board_ms / 1e3;
	uint64_t rp = h->res->restore_pulses;
	unsigned restores = h->res->restores;
	int rc;

	if (!h->have_ck) {
		xpnn_errf(h->err, h->errlen, "the board was reset (boot id changed) before the "
			  "first checkpoint");
		return XPNN_EPROTO;
	}
	if (restores >= MAX_RESTORES) {
		xpnn_errf(h->err, h->errlen, "the board was reset %u times: giving up; check its "
			  "power and connection", restores);
		return XPNN_EIO;
	}
	if (ck_apply(h, &h->ck))
		return XPNN_EARG;
	/* time and the pulses spent on restores are real: they are not rolled back */
	h->sec_base = keep_sec;
	h->t0 = xpnn_now_ms();
	h->board_base = keep_board;
	h->board_ms = 0;
	h->res->restore_pulses = rp;
	h->res->restores = restores + 1;
	snprintf(msg, sizeof(msg), "the board's boot id changed (reset or power loss): "
		 "reprogramming it from the checkpoint of step %" PRIu64, h->step);
	note(h, "restore", msg);
	if ((rc = restore(h)))
		return rc;
	xpnn_boot_changed(h->b);
	return 0;
}

/* ---- steps ---- */

static float lr_at(hil *h, uint64_t s)
{
	double f = h->total_steps > 1 ? (double)s / (double)(h->total_steps - 1) : 1.0;
	double lf = h->o->lr_final;

	return (float)(h->lr * (lf + (1.0 - lf) * 0.5 * (1.0 + cos(M_PI * f))));
}

/* Measured per-layer outputs from the board's S (B, n_all). */
static void measured(hil *h, const int16_t *S, unsigned B, xpnn_measured *m)
{
	unsigned off = 0, xmax = (1u << h->dac_bits) - 1;

	memset(m, 0, sizeof(*m));
	for (unsigned l = 0; l < h->nl; l++) {
		const xpnn_image_layer *L = &h->cur.layer[l];
		unsigned no = L->n_out;
		float so = h->net.q[l].s_out;
		float sxn = l + 1 < h->nl ? h->net.act_clip[l] / (float)xmax : 0.0f;

		for (unsigned i = 0; i < B; i++)
			for (unsigned j = 0; j < no; j++) {
				int s = S[(size_t)i * h->nall + off + j];
				size_t k = (size_t)i * no + j;

				h->mh[l][k] = (float)s * so;
				if (l + 1 < h->nl) {
					int64_t a = xp_rnd((int64_t)s * L->amul, L->ash);

					a = a < 0 ? 0 : a > xmax ? xmax : a;
					h->ma[l][k] = (float)a * sxn;
				}
			}
		m->h[l] = h->mh[l];
		m->a[l] = l + 1 < h->nl ? h->ma[l] : NULL;
		off += no;
	}
}

/* The ideal twin of the board's codes on the batch: loss and accuracy. */
static void twin_batch(hil *h, unsigned B, float *loss, float *acc)
{
	unsigned hits = 0;

	xpnn_twin_forward(h->tw, h->xf, B, 0);
	*loss = xpnn_twin_loss(h->tw, h->yb, B, &hits);
	*acc = (float)hits / (float)B;
}

static int step_pat(hil *h, xpnn_hil_step *st)
{
	unsigned B = h->o->batch, hits = 0;
	uint32_t cells = 0, changed = 0;
	xpnn_measured m;
	int rc;

	gather(h, h->step, B);
	twin_batch(h, B, &st->twin_loss, &st->twin_acc);
	if ((rc = board_seed(h, h->K++)))
		return rc;
	if ((rc = TIMED(h, xpnn_run(h->b, h->xb, B, XP_RUN_ALL_LAYERS, h->S, NULL))))
		return board_fail(h, rc, "RUN");
	h->res->train_forwards += B;
	measured(h, h->S, B, &m);
	xpnn_twin_forward_ex(h->tw, 0, h->xf, B, 1, &m);
	st->board_loss = xpnn_twin_loss(h->tw, h->yb, B, &hits);
	st->board_acc = (float)hits / (float)B;
	xpnn_twin_backward(h->tw);
	xpnn_opt_step(&h->opt, &h->net, h->tw, lr_at(h, h->step));
	for (unsigned l = 0; l < h->nl; l++)
		codes_of_net(h, l);
	if ((rc = program_layers(h, 0, h->nl, 0, &cells, &changed)))
		return rc;
	st->cells = cells;
	st->changed = changed;
	return 0;
}

/* Board loss and hits of the batch with the codes programmed now (RUN, outputs only). */
static int board_batch(hil *h, unsigned B, double *loss, unsigned *hits)
{
	unsigned K = h->ncls;
	float *z = (float *)h->mh[0]; /* scratch: (B, n_out of layer 0) ≥ (B, K)? see alloc */
	int rc = TIMED(h, xpnn_run(h->b, h->xb, B, 0, h->S, NULL));

	if (rc)
		return board_fail(h, rc, "RUN");
	h->res->train_forwards += B;
	board_logits(h, h->S, K, B, z);
	*loss = 0.0;
	*hits = 0;
	for (unsigned i = 0; i < B; i++) {
		int hit;

		*loss += xent(z + (size_t)i * K, K, h->yb[i], &hit);
		*hits += (unsigned)hit;
	}
	*loss /= B;
	return 0;
}

static int step_spsa(hil *h, xpnn_hil_step *st)
{
	unsigned B = h->o->batch, hp = 0, hm = 0;
	int c = (int)lrintf(h->o->spsa_c), cmax = (1 << h->cur.geom.code_bits) - 1;
	uint32_t cells = 0, changed = 0, kstep;
	uint64_t s = mix(h->o->seed, D_SPSA, h->step);
	uint64_t thr = (uint64_t)((double)h->o->spsa_density * 18446744073709551615.0);
	double lp, lm;
	int rc;

	c = c < 1 ? 1 : c;
	gather(h, h->step, B);
	twin_batch(h, B, &st->twin_loss, &st->twin_acc);
	/* the perturbation: Δ = ±1 on a random subset, the rest 0; the base is the codes */
	for (unsigned l = 0; l < h->nl; l++) {
		const xpnn_image_layer *L = &h->cur.layer[l];
		size_t n = (size_t)(L->n_in + L->bias) * L->n_out;
		float *dw = xpnn_twin_dw(h->tw, l), *db = xpnn_twin_db(h->tw, l);
		unsigned ni = L->n_in, no = L->n_out;

		memset(dw, 0, sizeof(float) * ni * no);
		memset(db, 0, sizeof(float) * no);
		for (size_t i = 0; i < n; i++) {
			uint64_t u = xpnn_splitmix64(&s);

			/* dw holds Δ for now (weights (n_out, n_in), the bias row in db) */
			if (u < thr) {
				float d = (u & 1) ? 1.0f : -1.0f;
				unsigned r = (unsigned)(i / no), j = (unsigned)(i % no);

				if (r < ni)
					dw[(size_t)j * ni + r] = d;
				else
					db[j] = d;
			}
		}
	}
	/* +: base + cΔ */
	kstep = h->K++;
	if ((rc = board_seed(h, kstep)))
		return rc;
	for (int sign = 1; sign >= -1; sign -= 2) {
		for (unsigned l = 0; l < h->nl; l++) {
			const xpnn_image_layer *L = &h->cur.layer[l];
			unsigned ni = L->n_in, no = L->n_out;
			const float *dw = xpnn_twin_dw(h->tw, l), *db = xpnn_twin_db(h->tw, l);

			codes_of_net(h, l);
			for (unsigned r = 0; r < ni + L->bias; r++)
				for (unsigned j = 0; j < no; j++) {
					float d = r < ni ? dw[(size_t)j * ni + r] : db[j];
					int v = h->ktgt[l][(size_t)r * no + j] + sign * c * (int)d;

					v = v < -cmax ? -cmax : v > cmax ? cmax : v;
					h->ktgt[l][(size_t)r * no + j] = (int8_t)v;
				}
		}
		/* the same noise streams for both sides: common random numbers */
		if (sign < 0 && (rc = board_seed(h, kstep)))
			return rc;
		if ((rc = program_layers(h, 0, h->nl, 0, &cells, &changed)))
			return rc;
		if ((rc = board_batch(h, B, sign > 0 ? &lp : &lm, sign > 0 ? &hp : &hm)))
			return rc;
	}
	st->board_loss = (float)((lp + lm) / 2);
	st->board_acc = (float)(hp + hm) / (float)(2 * B);
	/* gradient estimate, in float units of each weight: Δ → (L+ - L-) / (2 c Δ step) */
	for (unsigned l = 0; l < h->nl; l++) {
		unsigned ni = h->net.width[l], no = h->net.width[l + 1];
		float *dw = xpnn_twin_dw(h->tw, l), *db = xpnn_twin_db(h->tw, l);
		float fs = xpnn_net_in_fs(&h->net, l);

		for (unsigned j = 0; j < no; j++) {
			float sw = h->net.q[l].sw[j];
			float g = (float)((lp - lm) / (2.0 * c));

			for (unsigned i = 0; i < ni; i++) {
				float *d = &dw[(size_t)j * ni + i];

				*d = *d != 0.0f ? g / (*d * sw) : 0.0f;
			}
			db[j] = db[j] != 0.0f ? g / (db[j] * sw * fs) : 0.0f;
		}
	}
	xpnn_opt_step(&h->opt, &h->net, h->tw, lr_at(h, h->step));
	for (unsigned l = 0; l < h->nl; l++)
		codes_of_net(h, l);
	if ((rc = program_layers(h, 0, h->nl, 0, &cells, &changed)))
		return rc;
	st->cells = cells;
	st->changed = changed;
	return 0;
}

/* ---- the step loop (pat, spsa) ---- */

static int is_epoch_end(hil *h, uint64_t done)
{
	return done % h->spe == 0 || done == h->total_steps;
}

static int step_loop(hil *h)
{
	uint64_t ran = 0;
	unsigned hits_run = 0;
	double loss_run = 0;
	uint64_t n_run = 0;
	int rc;

	while (h->step < h->total_steps) {
		xpnn_hil_step st;
		uint64_t done;

		if ((h->o->stop && *h->o->stop) || (h->o->max_steps && ran >= h->o->max_steps)) {
			if ((rc = checkpoint(h)))
				return rc;
			return XPNN_HIL_STOPPED;
		}
		memset(&st, 0, sizeof(st));
		rc = h->o->method == XPNN_HIL_SPSA ? step_spsa(h, &st) : step_pat(h, &st);
		if (xpnn_boot_changed(h->b)) {
			if ((rc = rollback(h)))
				return rc;
			continue;
		}
		if (rc)
			return rc;
		if (h->o->verify && (rc = verify_written(h, h->kin))) {
			if (xpnn_boot_changed(h->b) && !(rc = rollback(h)))
				continue;
			return rc;
		}
		done = ++h->step;
		ran++;
		st.step = (uint32_t)done;
		st.epoch = (uint32_t)((done - 1) / h->spe + 1);
		st.forwards = h->res->train_forwards;
		st.seconds = now_s(h);
		if (push_step(h, &st)) {
			xpnn_errf(h->err, h->errlen, "out of memory");
			return XPNN_ENOMEM;
		}
		if ((done - 1) % h->spe == 0)
			loss_run = 0, hits_run = 0, n_run = 0;
		loss_run += st.board_loss;
		hits_run += (unsigned)lrintf(st.board_acc * (float)h->o->batch);
		n_run++;
		progress(h, "train", done, h->total_steps, st.epoch,
			 (unsigned)((h->total_steps + h->spe - 1) / h->spe),
			 (float)(loss_run / (double)n_run),
			 (float)hits_run / (float)(n_run * h->o->batch));
		if (is_epoch_end(h, done)) {
			rc = evaluate(h, st.epoch, done == h->total_steps ? h->res->confusion1 : NULL);
			if (xpnn_boot_changed(h->b)) {
				if ((rc = rollback(h)))
					return rc;
				continue;
			}
			if (rc)
				return rc;
		}
		if (done % h->o->ckpt_every == 0 || is_epoch_end(h, done))
			if ((rc = checkpoint(h)))
				return rc;
	}
	return 0;
}

/* ---- progressive ---- */

/* Stage l: measure layer l's outputs on the board for nmeas vectors, retrain the layers
 * above in the twin on them, program layer l+1. */
static int stage_progressive(hil *h, unsigned l, uint64_t nmeas)
{
	unsigned B = h->o->batch, W = h->net.width[l + 1];
	unsigned xmax = (1u << h->dac_bits) - 1, off = 0;
	uint8_t *acts = malloc(nmeas * W), *lab = malloc(nmeas);
	float *xin = malloc(sizeof(float) * B * W);
	uint32_t *perm = malloc(sizeof(uint32_t) * (nmeas ? nmeas : 1));
	float sxn = h->net.act_clip[l] / (float)xmax;
	uint32_t cells = 0, changed = 0;
	xpnn_noise nz;
	xpnn_opt opt;
	int rc = 0;

	memset(&opt, 0, sizeof(opt));
	if (!acts || !lab || !xin || !perm) {
		rc = XPNN_ENOMEM;
		xpnn_errf(h->err, h->errlen, "out of memory");
		goto out;
	}
	for (unsigned k = 0; k < l; k++)
		off += h->net.width[k + 1];
	/* measure: batches of the training set in shuffled order, each under its own seed */
	for (uint64_t s = 0, done = 0; done < nmeas; s++) {
		unsigned b = nmeas - done < B ? (unsigned)(nmeas - done) : B;
		xpnn_hil_step st;
		xpnn_measured m;
		unsigned hits = 0;

		memset(&st, 0, sizeof(st));
		gather(h, h->step, b);
		twin_batch(h, b, &st.twin_loss, &st.twin_acc);
		if ((rc = board_seed(h, h->K++)))
			goto out;
		if ((rc = TIMED(h, xpnn_run(h->b, h->xb, b, XP_RUN_ALL_LAYERS, h->S, NULL)))) {
			rc = board_fail(h, rc, "RUN");
			goto out;
		}
		h->res->train_forwards += b;
		measured(h, h->S, b, &m);
		for (unsigned i = 0; i < b; i++) {
			for (unsigned j = 0; j < W; j++)
				acts[(done + i) * W + j] =
					(uint8_t)lrintf(m.a[l][(size_t)i * W + j] / sxn);
			lab[done + i] = h->yb[i];
		}
		/* the board's own loss on the batch, for the history */
		board_logits(h, h->S, h->nall, b, h->xf);
		{
			double ls = 0;

			for (unsigned i = 0; i < b; i++) {
				int hit;

				ls += xent(h->xf + (size_t)i * h->ncls, h->ncls, h->yb[i], &hit);
				hits += (unsigned)hit;
			}
			st.board_loss = (float)(ls / b);
			st.board_acc = (float)hits / (float)b;
		}
		done += b;
		h->step++;
		st.step = (uint32_t)h->step;
		st.epoch = l + 1;
		st.forwards = h->res->train_forwards;
		st.seconds = now_s(h);
		if (push_step(h, &st)) {
			rc = XPNN_ENOMEM;
			xpnn_errf(h->err, h->errlen, "out of memory");
			goto out;
		}
		progress(h, "measure", done, nmeas, l + 1, h->nl - 1, st.board_loss, st.board_acc);
		if (h->o->stop && *h->o->stop) {
			rc = XPNN_HIL_STOPPED;
			goto out;
		}
	}
	/* retrain layers l+1 … in the twin on the measured activations, with device noise */
	if (xpnn_opt_init(&opt, &h->net, XPNN_OPT_ADAM, h->lr, h->err, h->errlen)) {
		rc = XPNN_ENOMEM;
		goto out;
	}
	opt.first = l + 1;
	xpnn_noise_default(&nz, h->o->noise_scale);
	xpnn_twin_set_noise(h->tw, &nz, mix(h->o->seed, D_PROG, l));
	{
		uint64_t s = mix(h->o->seed, D_PROG, 1000 + l), tsteps, t = 0;
		uint64_t per = (nmeas + B - 1) / B;

		tsteps = per * h->o->epochs;
		for (unsigned e = 0; e < h->o->epochs; e++) {
			for (uint64_t i = 0; i < nmeas; i++)
				perm[i] = (uint32_t)i;
			for (uint64_t i = nmeas; i-- > 1;) {
				uint64_t j = xpnn_splitmix64(&s) % (i + 1);
				uint32_t tmp = perm[i];

				perm[i] = perm[j];
				perm[j] = tmp;
			}
			for (uint64_t i0 = 0; i0 < nmeas; i0 += B, t++) {
				unsigned b = nmeas - i0 < B ? (unsigned)(nmeas - i0) : B;
				double f = tsteps > 1 ? (double)t / (double)(tsteps - 1) : 1.0;
				float lr = (float)(h->lr * (h->o->lr_final + (1.0 - h->o->lr_final) *
							   0.5 * (1.0 + cos(M_PI * f))));

				for (unsigned i = 0; i < b; i++) {
					for (unsigned j = 0; j < W; j++)
						xin[(size_t)i * W + j] =
							(float)acts[(size_t)perm[i0 + i] * W + j] * sxn;
					h->yb[i] = lab[perm[i0 + i]];
				}
				xpnn_twin_forward_ex(h->tw, l + 1, xin, b, 1, NULL);
				xpnn_twin_loss(h->tw, h->yb, b, NULL);
				xpnn_twin_backward(h->tw);
				xpnn_opt_step(&opt, &h->net, h->tw, lr);
				if ((t & 63) == 0)
					progress(h, "twin", t, tsteps, e + 1, h->o->epochs, -1.0f,
						 -1.0f);
				if (h->o->stop && *h->o->stop) {
					rc = XPNN_HIL_STOPPED;
					goto out;
				}
			}
		}
	}
	xpnn_twin_set_noise(h->tw, NULL, 0);
	/* program layer l+1 */
	codes_of_net(h, l + 1);
	if ((rc = board_seed(h, h->K++)))
		goto out;
	if ((rc = program_layers(h, l + 1, l + 2, 0, &cells, &changed)))
		goto out;
	if (h->res->nsteps) {
		h->res->steps[h->res->nsteps - 1].cells += cells;
		h->res->steps[h->res->nsteps - 1].changed += changed;
	}
out:
	xpnn_opt_free(&opt);
	free(acts);
	free(lab);
	free(xin);
	free(perm);
	return rc;
}

static int run_progressive(hil *h)
{
	unsigned stages = h->nl - 1;
	int rc;

	if (!stages) {
		xpnn_errf(h->err, h->errlen, "progressive needs at least two layers; the network "
			  "has one");
		return XPNN_EARG;
	}
	while (h->stage < stages) {
		unsigned l = h->stage;
		uint64_t nmeas = h->budget / stages + (l < h->budget % stages);

		if (h->o->stop && *h->o->stop) {
			if ((rc = checkpoint(h)))
				return rc;
			return XPNN_HIL_STOPPED;
		}
		rc = stage_progressive(h, l, nmeas);
		if (rc == XPNN_HIL_STOPPED) {
			/* stopped inside a stage: the checkpoint is the stage's start */
			if (ck_apply(h, &h->ck))
				return XPNN_EARG;
			return (rc = checkpoint(h)) ? rc : XPNN_HIL_STOPPED;
		}
		if (!rc)
			rc = evaluate(h, l + 1, l + 1 == stages ? h->res->confusion1 : NULL);
		if (xpnn_boot_changed(h->b)) {
			if ((rc = rollback(h)))
				return rc;
			continue;
		}
		if (rc)
			return rc;
		h->stage++;
		if ((rc = checkpoint(h)))
			return rc;
	}
	return 0;
}

/* ---- insilico ---- */

static int run_insilico(hil *h, const xpnn_net *model)
{
	xpnn_train_opts to;
	xpnn_train_result tr;
	xpnn_compile_opts co;
	xpnn_image img;
	xpnn_net n;
	unsigned ncal = h->img0->calib_n ? h->img0->calib_n : 1024;
	int rc;

	memset(&img, 0, sizeof(img));
	memset(&n, 0, sizeof(n));
	if (!model) {
		xpnn_errf(h->err, h->errlen, "insilico trains the float model: give --model");
		return XPNN_EARG;
	}
	if (xpnn_net_copy(&n, model, h->err, h->errlen))
		return XPNN_ENOMEM;
	xpnn_train_opts_default(&to);
	to.epochs = h->o->epochs;
	to.batch = h->o->batch;
	to.lr = h->lr;
	to.lr_final = h->o->lr_final;
	to.seed = mix(h->o->seed, D_INSILICO, 0);
	to.hw_aware = 1;
	to.noise_scale = h->o->noise_scale;
	to.stop = (volatile int *)h->o->stop;
	note(h, "twin", "hardware-aware training of the twin (no board in the loop)");
	if (xpnn_train(&n, h->train, NULL, &to, &tr, h->err, h->errlen)) {
		rc = XPNN_EARG;
		goto out;
	}
	if (h->o->stop && *h->o->stop) {
		rc = XPNN_HIL_STOPPED; /* nothing to resume: insilico has no board state yet */
		goto out;
	}
	memset(&co, 0, sizeof(co));
	co.calib_pct = h->img0->calib_pct > 0 ? h->img0->calib_pct : 99.99;
	ncal = ncal < h->train->n ? ncal : h->train->n;
	if (xpnn_compile(&img, &n, &h->img0->geom, h->train->images, ncal, &co, h->err,
			 h->errlen)) {
		rc = XPNN_EARG;
		goto out;
	}
	/* deploy the new image in place of the old: same tiles, new codes, ADCs, scales */
	xpnn_image_free(&h->cur);
	if (xpnn_image_copy(&h->cur, &img)) {
		rc = XPNN_ENOMEM;
		xpnn_errf(h->err, h->errlen, "out of memory");
		goto out;
	}
	xpnn_net_free(&h->net);
	if (xpnn_image_twin(&h->cur, &h->net, h->err, h->errlen)) {
		rc = XPNN_EARG;
		goto out;
	}
	for (unsigned l = 0; l < h->nl; l++) {
		memcpy(h->net.w[l], n.w[l], sizeof(float) * n.width[l] * n.width[l + 1]);
		memcpy(h->net.b[l], n.b[l], sizeof(float) * n.width[l + 1]);
	}
	for (int attempt = 0;; attempt++) {
		uint32_t cells = 0, changed = 0;

		rc = board_configure(h, &h->cur);
		if (!rc)
			rc = board_seed(h, h->K++);
		for (unsigned l = 0; l < h->nl && !rc; l++)
			codes_of_image(h, l);
		if (!rc)
			rc = program_layers(h, 0, h->nl, 1, &cells, &changed);
		if (!rc)
			rc = evaluate(h, 1, h->res->confusion1);
		if (!xpnn_boot_changed(h->b) || attempt >= 3)
			break;
		note(h, "restore", "the board's boot id changed: deploying the image again");
		h->res->nevals = h->res->nevals > 1 ? 1 : h->res->nevals;
	}
out:
	xpnn_image_free(&img);
	xpnn_net_free(&n);
	return rc;
}

/* ---- setup ---- */

static int setup(hil *h, const xpnn_net *model)
{
	const xpnn_image *img = h->img0;
	unsigned R = img->geom.rows, C = img->geom.cols, B = h->o->batch;
	uint64_t nc = 0;

	h->nl = img->nlayers;
	h->dac_bits = img->geom.dac_bits;
	if (xpnn_image_copy(&h->cur, img))
		goto oom;
	if (xpnn_image_twin(img, &h->net, h->err, h->errlen))
		return XPNN_EARG;
	h->ncls = h->net.width[h->nl];
	if (model) {
		if (model->nlayers != h->nl) {
			xpnn_errf(h->err, h->errlen, "the model has %u layers, the image %u: give "
				  "the model the image was compiled from", model->nlayers, h->nl);
			return XPNN_EARG;
		}
		for (unsigned l = 0; l <= h->nl; l++)
			if (model->width[l] != h->net.width[l]) {
				xpnn_errf(h->err, h->errlen, "the model's layer widths differ from "
					  "the image's (width %u: %u vs %u): give the model the image "
					  "was compiled from", l, model->width[l], h->net.width[l]);
				return XPNN_EARG;
			}
		for (unsigned l = 0; l < h->nl; l++) {
			memcpy(h->net.w[l], model->w[l],
			       sizeof(float) * model->width[l] * model->width[l + 1]);
			memcpy(h->net.b[l], model->b[l], sizeof(float) * model->width[l + 1]);
		}
	}
	for (unsigned l = 0; l < h->nl; l++) {
		const xpnn_image_layer *L = &img->layer[l];

		h->off[l] = nc;
		nc += (uint64_t)(L->n_in + L->bias) * L->n_out;
		h->nall += L->n_out;
		if (!(h->ktgt[l] = malloc((size_t)(L->n_in + 1) * L->n_out)))
			goto oom;
	}
	h->off[h->nl] = nc;
	h->res->cells = nc;
	h->ctile = malloc(nc * sizeof(uint16_t));
	h->crow = malloc(nc * sizeof(uint16_t));
	h->ccol = malloc(nc * sizeof(uint16_t));
	h->last_k = calloc(nc, sizeof(uint32_t));
	h->last_p = calloc(nc, sizeof(uint32_t));
	h->pulses = calloc(nc, sizeof(uint32_t));
	h->perm = malloc(sizeof(uint32_t) * h->train->n);
	h->xb = malloc((size_t)B * h->net.width[0]);
	h->yb = malloc(B > 1024 ? B : 1024);
	h->xf = malloc(sizeof(float) * B * (h->net.width[0] > h->ncls ? h->net.width[0] :
									h->ncls));
	h->S = malloc(sizeof(int16_t) * B * h->nall);
	if (!h->ctile || !h->crow || !h->ccol || !h->last_k || !h->last_p || !h->pulses ||
	    !h->perm || !h->xb || !h->yb || !h->xf || !h->S)
		goto oom;
	for (unsigned l = 0; l < h->nl; l++) {
		size_t sz = sizeof(float) * B * (h->net.width[l + 1] > h->ncls ?
							  h->net.width[l + 1] : h->ncls);

		if (!(h->mh[l] = malloc(sz)) || !(h->ma[l] = malloc(sz)))
			goto oom;
	}
	for (unsigned l = 0; l < h->nl; l++) {
		const xpnn_image_layer *L = &img->layer[l];

		for (unsigned i = 0; i < L->n_in + L->bias; i++)
			for (unsigned j = 0; j < L->n_out; j++) {
				uint64_t c = h->off[l] + (uint64_t)i * L->n_out + j;

				h->ctile[c] = L->tiles[(i / R) * L->ncb + j / C];
				h->crow[c] = (uint16_t)(i % R);
				h->ccol[c] = (uint16_t)(j % C);
			}
	}
	h->perm_epoch = -1;
	if (!(h->tw = xpnn_twin_create(&h->net, B)))
		goto oom;
	if (xpnn_opt_init(&h->opt, &h->net, XPNN_OPT_ADAM, h->lr, h->err, h->errlen))
		return XPNN_ENOMEM;
	h->opt_ok = 1;
	if (!(h->res->confusion0 = calloc((size_t)h->ncls * h->ncls, sizeof(uint32_t))) ||
	    !(h->res->confusion1 = calloc((size_t)h->ncls * h->ncls, sizeof(uint32_t))))
		goto oom;
	return 0;
oom:
	xpnn_errf(h->err, h->errlen, "out of memory");
	return XPNN_ENOMEM;
}

static void teardown(hil *h)
{
	xpnn_image_free(&h->cur);
	xpnn_twin_destroy(h->tw);
	xpnn_net_free(&h->net);
	if (h->opt_ok)
		xpnn_opt_free(&h->opt);
	for (unsigned l = 0; l < XP_MAX_LAYERS; l++) {
		free(h->ktgt[l]);
		free(h->mh[l]);
		free(h->ma[l]);
	}
	free(h->ctile);
	free(h->crow);
	free(h->ccol);
	free(h->last_k);
	free(h->last_p);
	free(h->pulses);
	free(h->list);
	free(h->list_cell);
	free(h->perm);
	free(h->xb);
	free(h->yb);
	free(h->xf);
	free(h->S);
	xpnn_st_free(&h->ck);
	free(h->run_json);
}

/* Deploy the image as it is, read it back, evaluate: the common start of every method. */
static int start(hil *h)
{
	uint32_t cells = 0, changed = 0;
	int rc;

	note(h, "program", "deploying the image");
	if ((rc = board_configure(h, &h->cur)) || (rc = board_seed(h, h->K++)))
		return rc;
	for (unsigned l = 0; l < h->nl; l++)
		codes_of_image(h, l);
	if ((rc = program_layers(h, 0, h->nl, 1, &cells, &changed)))
		return rc;
	if ((rc = read_hist(h, h->res->hist0)))
		return rc;
	return evaluate(h, 0, h->res->confusion0);
}

int xpnn_hil_run(xpnn_board *b, const xpnn_net *model, const xpnn_image *img,
		 const xpnn_dataset *train, const xpnn_dataset *test, const xpnn_hil_opts *o,
		 xpnn_hil_result *res, xpnn_net *out_net, xpnn_image *out_img, char *err,
		 size_t errlen)
{
	hil h;
	int rc, found = 0;

	memset(res, 0, sizeof(*res));
	memset(&h, 0, sizeof(h));
	h.b = b;
	h.o = o;
	h.res = res;
	h.img0 = img;
	h.train = train;
	h.test = test;
	h.err = err;
	h.errlen = errlen;
	h.t0 = xpnn_now_ms();
	res->method = o->method;
	if (o->method < 0 || o->method > XPNN_HIL_INSILICO || !o->batch || !o->epochs ||
	    !o->ckpt_every || !train || !train->n || !test || !test->n) {
		xpnn_errf(err, errlen, "xpnn_hil_run: bad options");
		return XPNN_EARG;
	}
	if (xpnn_image_fits_info(img, xpnn_board_info(b), err, errlen))
		return XPNN_EARG;
	h.lr = o->lr > 0 ? o->lr : default_lr(o->method);
	h.held = *test;
	if (o->eval_n && o->eval_n < test->n)
		h.held.n = o->eval_n;
	/* an epoch is the whole batches of the training set; the default budget is epochs of
	 * them, and spsa spends two forward passes per vector and step */
	h.spe = train->n / o->batch ? train->n / o->batch : 1;
	h.budget = o->budget ? o->budget : (uint64_t)o->epochs * h.spe * o->batch;
	h.total_steps = h.budget / (o->method == XPNN_HIL_SPSA ? 2ull * o->batch : o->batch);
	if (h.total_steps == 0 && o->method != XPNN_HIL_INSILICO &&
	    o->method != XPNN_HIL_PROGRESSIVE) {
		xpnn_errf(err, errlen, "the budget of %" PRIu64 " forward passes is less than one "
			  "step of batch %u", h.budget, o->batch);
		return XPNN_EARG;
	}
	res->nclasses = 0;
	if ((rc = setup(&h, model)))
		goto out;
	res->nclasses = h.ncls;
	if (o->config_json && !(res->config_json = strdup(o->config_json))) {
		rc = XPNN_ENOMEM;
		goto out;
	}
	if (!(h.run_json = run_identity(&h, model))) {
		rc = XPNN_ENOMEM;
		xpnn_errf(err, errlen, "out of memory");
		goto out;
	}
	xpnn_boot_changed(b);
	if (o->checkpoint && o->resume && (rc = ck_load_file(&h, &found)))
		goto out;
	if (found) {
		char msg[200];

		res->resumed_at = (unsigned)h.step;
		snprintf(msg, sizeof(msg), "resuming from %s at step %" PRIu64 " of %" PRIu64,
			 o->checkpoint, h.step, h.total_steps);
		note(&h, "restore", msg);
		if ((rc = checkpoint(&h)) || (rc = restore(&h)))
			goto out;
		xpnn_boot_changed(b);
	} else {
		if (o->checkpoint && o->resume) {
			char msg[200];

			snprintf(msg, sizeof(msg), "no checkpoint at %s: starting from step 0",
				 o->checkpoint);
			note(&h, "restore", msg);
		}
		for (int attempt = 0;; attempt++) {
			rc = start(&h);
			if (!xpnn_boot_changed(b))
				break;
			if (attempt >= 3) {
				xpnn_errf(err, errlen, "the board keeps resetting during the initial "
					  "programming");
				rc = XPNN_EIO;
				goto out;
			}
			/* lost power while being programmed: start over */
			h.K = 0;
			res->nevals = 0;
			res->cells_written = res->pulses = res->devices_changed = 0;
			res->eval_forwards = 0;
			memset(h.last_k, 0, h.off[h.nl] * 4);
			memset(h.last_p, 0, h.off[h.nl] * 4);
		}
		if (rc)
			goto out;
		if (o->method != XPNN_HIL_INSILICO && (rc = checkpoint(&h)))
			goto out;
	}
	switch (o->method) {
	case XPNN_HIL_PAT:
	case XPNN_HIL_SPSA:
		rc = step_loop(&h);
		break;
	case XPNN_HIL_PROGRESSIVE:
		rc = run_progressive(&h);
		break;
	default:
		rc = run_insilico(&h, model);
		break;
	}
	if (rc)
		goto out;
	if ((rc = read_hist(&h, res->hist1)))
		goto out;
	if (xpnn_boot_changed(b)) {
		xpnn_errf(err, errlen, "the board was reset while its conductances were read back "
			  "at the end; run again with --resume to finish");
		rc = XPNN_EIO;
		goto out;
	}
	{
		uint64_t sum = 0;

		for (uint64_t c = 0; c < h.off[h.nl]; c++) {
			sum += h.pulses[c];
			if (h.pulses[c] > res->max_cell_pulses)
				res->max_cell_pulses = h.pulses[c];
		}
		res->mean_cell_pulses = h.off[h.nl] ? (double)sum / (double)h.off[h.nl] : 0.0;
	}
	if (out_net && xpnn_net_copy(out_net, &h.net, err, errlen)) {
		rc = XPNN_ENOMEM;
		goto out;
	}
	if (out_img && xpnn_image_copy(out_img, &h.cur)) {
		rc = XPNN_ENOMEM;
		xpnn_errf(err, errlen, "out of memory");
		if (out_net)
			xpnn_net_free(out_net);
		goto out;
	}
out:
	res->seconds = now_s(&h);
	res->board_seconds = h.board_base + h.board_ms / 1e3;
	teardown(&h);
	return rc;
}
