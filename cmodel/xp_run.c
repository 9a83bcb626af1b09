/*
 * xp_run.c — inference: tiles, layers, partial sums, activation (docs/numerics.md §7–§9),
 * the deliberately simple _ref path, the optimised path and its thread split.
 */
#include "xp_cmodel_impl.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* ---- kernel selection ---- */

static const xp_kernels k_generic = { "generic", xp_mvm_generic, xp_adc_generic };
#if defined(__x86_64__) && defined(XP_HAVE_X86_KERNELS)
static const xp_kernels k_avx2 = { "avx2", xp_mvm_avx2, xp_adc_avx2 };
static const xp_kernels k_avx512 = { "avx512vnni", xp_mvm_avx512vnni, xp_adc_avx512vnni };
#endif

/* Every kernel this CPU runs, slowest first. The library reads no environment, so the choice
 * is the CPU's alone; tests reach every variant through this list. */
unsigned xp_kernels_all(const xp_kernels *ks[3])
{
	unsigned n = 0;
	ks[n++] = &k_generic;
#if defined(__x86_64__) && defined(XP_HAVE_X86_KERNELS)
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx2"))
		ks[n++] = &k_avx2;
	if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
	    __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni"))
		ks[n++] = &k_avx512;
#endif
	return n;
}

const xp_kernels *xp_kernels_select(void)
{
	const xp_kernels *ks[3] = { &k_generic, &k_generic, &k_generic };
	return ks[xp_kernels_all(ks) - 1]; /* the fastest */
}

const char *xp_kernel_name(void) { return xp_kernels_select()->name; }

#if XP_MUTANT == 6
#define XP_BIAS_DRIVE(chip) ((chip)->xmax - 1)
#else
#define XP_BIAS_DRIVE(chip) ((chip)->xmax) /* numerics §8: the bias row at full scale */
#endif

/* ---- reference path: straight from the spec, no packing, no tricks ---- */

static xp_status check_inputs(const xp_chip *chip, const uint8_t *x, size_t count, char *msg,
			      size_t msglen)
{
	if (chip->xmax == 255)
		return XP_OK; /* every byte is a legal 8-bit DAC code */
	for (size_t i = 0; i < count; i++)
		if (x[i] > chip->xmax)
			return xp_fail(msg, msglen, XP_EINVAL,
				       "input %zu = %u: DAC codes are 0 … %d (dac_bits = %u)", i,
				       x[i], chip->xmax, chip->p.dac_bits);
	return XP_OK;
}


xp_status xp_chip_tile_ref(const xp_chip *chip, unsigned t, uint64_t n, const uint8_t *x,
			   unsigned ncols, int32_t *acc, int16_t *code)
{
	const xp_params *p = &chip->p;
	if (t >= p->tiles || ncols < 1 || ncols > p->cols || check_inputs(chip, x, p->rows, NULL, 0))
		return XP_EINVAL;
	for (unsigned c = 0; c < ncols; c++) {
		int64_t a = 0;
		for (unsigned r = 0; r < p->rows; r++) {
			const size_t d = (((size_t)t * p->rows + r) * p->cols + c) * 2;
			a += (int64_t)x[r] * ((int32_t)chip->g[d] - (int32_t)chip->g[d + 1]);
		}
		if (acc)
			acc[c] = (int32_t)a;
		code[c] = xp_adc_code(chip, t, c, (int32_t)a + xp_read_noise(chip, t, c, n));
	}
	return XP_OK;
}

xp_status xp_chip_run_ref(xp_chip *chip, const uint8_t *x, uint32_t batch, int16_t *out,
			  int16_t *layer_s, char *msg, size_t msglen)
{
	const xp_params *p = &chip->p;
	uint8_t in[XP_MAX_WIDTH + XP_MAX_ROWS], xt[XP_MAX_ROWS];
	int32_t s[XP_MAX_WIDTH];
	int16_t code[XP_MAX_COLS];
	if (!chip->nlayers)
		return xp_fail(msg, msglen, XP_ESTATE, "no network configured");
	xp_status st = check_inputs(chip, x, (size_t)batch * chip->layers[0].n_in, msg, msglen);
	if (st != XP_OK)
		return st;
	for (uint32_t i = 0; i < batch; i++) {
		const uint64_t n = (chip->N + i) & ((1ull << 40) - 1);
		int16_t *ls = layer_s ? layer_s + (size_t)i * chip->n_all_out : NULL;
		memcpy(in, x + (size_t)i * chip->layers[0].n_in, chip->layers[0].n_in);
		for (unsigned li = 0; li < chip->nlayers; li++) {
			const xp_layer *l = &chip->layers[li];
			const uint32_t nrb = xp_layer_row_blocks(p, l), ncb = xp_layer_col_blocks(p, l);
			const uint32_t nrows = (uint32_t)l->n_in + l->bias;
			if (l->bias)
				in[l->n_in] = (uint8_t)XP_BIAS_DRIVE(chip);
			for (unsigned j = 0; j < l->n_out; j++)
				s[j] = 0;
			for (uint32_t rb = 0; rb < nrb; rb++) {
				for (unsigned r = 0; r < p->rows; r++)
					xt[r] = rb * p->rows + r < nrows ? in[rb * p->rows + r] : 0;
				for (uint32_t cb = 0; cb < ncb; cb++) {
					const unsigned t = l->tiles[rb * ncb + cb];
					const unsigned nc = l->n_out - cb * p->cols < p->cols ? l->n_out - cb * p->cols : p->cols;
					xp_chip_tile_ref(chip, t, n, xt, nc, NULL, code);
					for (unsigned c = 0; c < nc; c++)
						s[cb * p->cols + c] += code[c];
				}
			}
			for (unsigned j = 0; j < l->n_out; j++) {
				if (ls)
					*ls++ = (int16_t)s[j];
				if (l->act == XP_ACT_RELU)
					s[j] = xp_clamp32(xp_rnd_inl((int64_t)s[j] * l->amul, l->ash), 0, chip->xmax);
				if (li + 1 < chip->nlayers)
					in[j] = (uint8_t)s[j];
				else
					out[(size_t)i * l->n_out + j] = (int16_t)s[j];
			}
		}
	}
	xp_chip_advance(chip, batch);
	return XP_OK;
}

/* ---- optimised path ---- */

xp_status xp_chip_tile(const xp_chip *chip, unsigned t, uint64_t n, const uint8_t *x,
		       unsigned ncols, int32_t *acc, int16_t *code)
{
	const xp_params *p = &chip->p;
	const xp_kernels *k = chip->k;
	int32_t a[XP_MAX_COLS];
	uint8_t xp[XP_MAX_ROWS + 1];
	if (t >= p->tiles || ncols < 1 || ncols > p->cols || check_inputs(chip, x, p->rows, NULL, 0))
		return XP_EINVAL;
	memcpy(xp, x, p->rows);
	xp[p->rows] = 0;
	k->mvm(chip->wpk + (size_t)t * chip->rpairs * chip->cpad * 2, chip->cpad, xp, chip->rpairs,
	       ncols, a);
	if (acc)
		memcpy(acc, a, ncols * sizeof(int32_t));
	k->adc(chip, t, n, ncols, a, code);
	return XP_OK;
}

/* clamp(rnd(s * amul, ash), 0, xmax) of numerics §9 in 32-bit arithmetic that vectorises:
 * floor division through an unsigned shift of the value biased by 2^30. */
static inline int32_t relu_requant(int32_t s, int32_t amul, int32_t half, unsigned ash, int32_t xmax)
{
	int32_t a = (int32_t)((((uint32_t)(s * amul + half)) + 0x40000000u) >> ash) - (int32_t)(0x40000000u >> ash);
#if XP_MUTANT == 1
	if (ash && ((s * amul + half) & ((1 << ash) - 1)) == 0)
		a -= 1; /* ties down */
#endif
	a = a < 0 ? 0 : a;
	return a > xmax ? xmax : a;
}

/* Vectors i0 … i1-1 of a batch; chip is only read. */
static void run_range(const xp_chip *chip, const uint8_t *x, uint32_t i0, uint32_t i1,
		      int16_t *out, int16_t *layer_s)
{
	const xp_params *p = &chip->p;
	const xp_kernels *k = chip->k;
	const size_t tstride = (size_t)chip->rpairs * chip->cpad * 2;
	uint8_t in[XP_MAX_WIDTH + 2 * XP_MAX_ROWS];
	int32_t s[XP_MAX_WIDTH], acc[XP_MAX_COLS];
	int16_t code[XP_MAX_COLS];

	for (uint32_t i = i0; i < i1; i++) {
		const uint64_t n = (chip->N + i) & ((1ull << 40) - 1);
		int16_t *ls = layer_s ? layer_s + (size_t)i * chip->n_all_out : NULL;
		memcpy(in, x + (size_t)i * chip->layers[0].n_in, chip->layers[0].n_in);
		for (unsigned li = 0; li < chip->nlayers; li++) {
			const xp_layer *l = &chip->layers[li];
			const uint32_t nrb = xp_layer_row_blocks(p, l), ncb = xp_layer_col_blocks(p, l);
			const uint32_t nrows = (uint32_t)l->n_in + l->bias;
			if (l->bias)
				in[l->n_in] = (uint8_t)XP_BIAS_DRIVE(chip);
			memset(in + nrows, 0, nrb * p->rows + 1 - nrows);
			memset(s, 0, l->n_out * sizeof(int32_t));
			for (uint32_t rb = 0; rb < nrb; rb++) {
				const uint32_t used = nrows - rb * p->rows < p->rows ? nrows - rb * p->rows : p->rows;
				for (uint32_t cb = 0; cb < ncb; cb++) {
					const unsigned t = l->tiles[rb * ncb + cb];
					const uint32_t nc = l->n_out - cb * p->cols < p->cols ? l->n_out - cb * p->cols : p->cols;
					k->mvm(chip->wpk + t * tstride, chip->cpad, in + rb * p->rows,
					       (used + 1) / 2, nc, acc);
					k->adc(chip, t, n, nc, acc, code);
					int32_t *sc = s + cb * p->cols;
					for (uint32_t c = 0; c < nc; c++)
						sc[c] += code[c];
				}
			}
			if (ls) {
				for (unsigned j = 0; j < l->n_out; j++)
					ls[j] = (int16_t)s[j];
				ls += l->n_out;
			}
			/* requantisation in 32 bits: |S * amul| + 2^14 < 2^23 (numerics §10) */
			const int32_t amul = l->amul, half = l->ash ? 1 << (l->ash - 1) : 0, xmax = chip->xmax;
			const unsigned ash = l->ash;
			if (li + 1 < chip->nlayers) {
				for (unsigned j = 0; j < l->n_out; j++) {
					const int32_t a = relu_requant(s[j], amul, half, ash, xmax);
					in[j] = (uint8_t)a;
				}
			} else {
				int16_t *o = out + (size_t)i * l->n_out;
				for (unsigned j = 0; j < l->n_out; j++)
					o[j] = (int16_t)(l->act == XP_ACT_RELU ? relu_requant(s[j], amul, half, ash, xmax) : s[j]);
			}
		}
	}
}

typedef struct run_job {
	const xp_chip *chip;
	const uint8_t *x;
	uint32_t i0, i1;
	int16_t *out, *layer_s;
} run_job;

static void run_job_do(const run_job *j)
{
	run_range(j->chip, j->x, j->i0, j->i1, j->out, j->layer_s);
}

/*
 * The board's worker threads, started by the first multi-threaded run and kept until the board
 * is destroyed (creating threads per call costs a fifth of a batch-256 run). A worker spins a
 * little while for the next round before it sleeps on the condition variable, so back-to-back
 * runs do not pay a wake-up either. Worker w runs jobs[w + 1] if w < njobs; the caller runs
 * jobs[0]. Every worker acknowledges every round (pending counts all of them), so no worker can
 * still be reading a round's jobs when the caller writes the next one's.
 */
#define XP_SPIN 2000 /* pause instructions, about 50 us here: long enough for back-to-back runs,
			  * short enough not to steal a core from other work between runs */

struct xp_pool {
	pthread_mutex_t mu;
	pthread_cond_t go;
	pthread_t th[XP_MAX_THREADS - 1];
	unsigned nworkers;           /* started; only the caller's thread changes it */
	unsigned njobs;              /* workers with a job this round, published by round */
	run_job jobs[XP_MAX_THREADS];
	atomic_uint_fast64_t round;  /* incremented (release) after jobs/njobs are written */
	atomic_uint pending;         /* workers that have not acknowledged this round yet */
	atomic_int quit;
};

typedef struct worker_arg {
	struct xp_pool *pool;
	unsigned w;
	uint64_t seen; /* the round when the worker was created: it serves the rounds after it */
} worker_arg;

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static void *worker(void *arg)
{
	struct xp_pool *pool = ((worker_arg *)arg)->pool;
	const unsigned w = ((worker_arg *)arg)->w;
	uint64_t seen = ((worker_arg *)arg)->seen;
	free(arg);
	for (;;) {
		uint64_t r = atomic_load_explicit(&pool->round, memory_order_acquire);
		for (int i = 0; r == seen && i < XP_SPIN && !atomic_load(&pool->quit); i++) {
			cpu_relax();
			r = atomic_load_explicit(&pool->round, memory_order_acquire);
		}
		if (r == seen) {
			pthread_mutex_lock(&pool->mu);
			while ((r = atomic_load_explicit(&pool->round, memory_order_acquire)) == seen &&
			       !atomic_load(&pool->quit))
				pthread_cond_wait(&pool->go, &pool->mu);
			pthread_mutex_unlock(&pool->mu);
		}
		if (atomic_load(&pool->quit))
			return NULL;
		seen = r;
		if (w < pool->njobs)
			run_job_do(&pool->jobs[w + 1]);
		atomic_fetch_sub_explicit(&pool->pending, 1, memory_order_release);
	}
}

void xp_pool_destroy(struct xp_pool *pool)
{
	if (!pool)
		return;
	pthread_mutex_lock(&pool->mu);
	atomic_store(&pool->quit, 1);
	pthread_cond_broadcast(&pool->go);
	pthread_mutex_unlock(&pool->mu);
	for (unsigned i = 0; i < pool->nworkers; i++)
		pthread_join(pool->th[i], NULL);
	pthread_cond_destroy(&pool->go);
	pthread_mutex_destroy(&pool->mu);
	free(pool);
}

/* Start workers until `want` run; returns how many do (fewer if the system refuses). */
static unsigned pool_grow(xp_chip *chip, unsigned want)
{
	struct xp_pool *pool = chip->pool;
	if (!pool) {
		pool = calloc(1, sizeof(*pool));
		if (!pool)
			return 0;
		if (pthread_mutex_init(&pool->mu, NULL) != 0) {
			free(pool);
			return 0;
		}
		if (pthread_cond_init(&pool->go, NULL) != 0) {
			pthread_mutex_destroy(&pool->mu);
			free(pool);
			return 0;
		}
		atomic_init(&pool->round, 0);
		atomic_init(&pool->pending, 0);
		atomic_init(&pool->quit, 0);
		chip->pool = pool;
	}
	while (pool->nworkers < want) {
		worker_arg *a = malloc(sizeof(*a));
		if (!a)
			break;
		*a = (worker_arg){ pool, pool->nworkers, atomic_load(&pool->round) };
		if (pthread_create(&pool->th[pool->nworkers], NULL, worker, a) != 0) {
			free(a);
			break;
		}
		pool->nworkers++;
	}
	return pool->nworkers;
}

xp_status xp_chip_run(xp_chip *chip, const uint8_t *x, uint32_t batch, int16_t *out,
		      int16_t *layer_s, unsigned nthreads, char *msg, size_t msglen)
{
	run_job jobs[XP_MAX_THREADS];
	if (!chip->nlayers)
		return xp_fail(msg, msglen, XP_ESTATE, "no network configured");
	xp_status st = check_inputs(chip, x, (size_t)batch * chip->layers[0].n_in, msg, msglen);
	if (st != XP_OK)
		return st;
	if (nthreads < 1)
		nthreads = 1;
	if (nthreads > XP_MAX_THREADS)
		nthreads = XP_MAX_THREADS;
	if (nthreads > batch)
		nthreads = batch ? batch : 1;
	for (unsigned j = 0; j < nthreads; j++)
		jobs[j] = (run_job){ chip, x, (uint32_t)((uint64_t)batch * j / nthreads),
				     (uint32_t)((uint64_t)batch * (j + 1) / nthreads), out, layer_s };
	const unsigned nw = nthreads > 1 ? pool_grow(chip, nthreads - 1) : 0;
	const unsigned given = nw < nthreads - 1 ? nw : nthreads - 1;
	struct xp_pool *pool = chip->pool;
	if (given) {
		memcpy(pool->jobs, jobs, nthreads * sizeof(run_job));
		pool->njobs = given;
		atomic_store_explicit(&pool->pending, nw, memory_order_relaxed);
		atomic_fetch_add_explicit(&pool->round, 1, memory_order_release);
		pthread_mutex_lock(&pool->mu);  /* wake the workers that went to sleep */
		pthread_cond_broadcast(&pool->go);
		pthread_mutex_unlock(&pool->mu);
	}
	/* the caller's share, and the shares of workers the system refused to start */
	run_job_do(&jobs[0]);
	for (unsigned j = given + 1; j < nthreads; j++)
		run_job_do(&jobs[j]);
	/* the workers finish about when the caller does; if they don't (more threads than cores),
	 * yield the core to them instead of spinning on it */
	for (unsigned i = 0; given && atomic_load_explicit(&pool->pending, memory_order_acquire); i++) {
		if (i < XP_SPIN)
			cpu_relax();
		else
			sched_yield();
	}
	xp_chip_advance(chip, batch);
	return XP_OK;
}
