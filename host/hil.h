/*
 * hil.h — hardware-in-the-loop fine-tuning of a network deployed on a board (docs/training.md
 * §3): physics-aware training (pat), two comparison methods on the same board and budget
 * (spsa, progressive), and the hardware-aware in-silico baseline (insilico).
 *
 * A run is a function of its seeds. The host re-seeds the board's noise streams (SET_SEED)
 * at every step from the run's seed, and remembers for every device the seed index and pulse
 * index of its last programming. Because a stored conductance is a function of (device,
 * code, seed, pulse) only (numerics §6.2), the host can bring any board of the same device
 * seed — a fresh one, a reset one, or one that ran ahead of the checkpoint — back to the
 * exact conductances of a checkpoint by replaying the last programming of every device
 * (restore). That is what makes a killed and resumed run, or a run whose board lost power,
 * end bit-identical to an uninterrupted one.
 */
#ifndef XPNN_HIL_H
#define XPNN_HIL_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "compile.h"
#include "dataset.h"
#include "twin.h"
#include "xpnn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* xpnn_hil_run's return when *o->stop was set (or o->max_steps reached): the state is in the
 * checkpoint, and a run with resume continues it. */
#define XPNN_HIL_STOPPED 1

enum xpnn_hil_method {
	XPNN_HIL_PAT = 0,         /* physics-aware training: board forward, twin backward */
	XPNN_HIL_SPSA = 1,        /* simultaneous perturbation on the codes, forward passes only */
	XPNN_HIL_PROGRESSIVE = 2, /* chip-in-the-loop progressive fine-tuning (NeuRRAM) */
	XPNN_HIL_INSILICO = 3,    /* hardware-aware twin training, then deploy (baseline) */
};
/* "pat", "spsa", "progressive", "insilico" */
const char *xpnn_hil_method_name(int method);

typedef struct xpnn_hil_progress {
	const char *phase;   /* "program", "train", "measure", "twin", "eval", "restore" */
	uint64_t done, total; /* in the phase's unit: steps, or vectors for eval/measure */
	unsigned epoch, epochs;
	float loss, acc;     /* running mean over the current epoch (board), or -1 */
	double seconds;      /* since the start of this process's run */
	const char *note;    /* a one-off message (restore, resume), else NULL */
	const struct xpnn_hil_eval *eval; /* set once when a held-out evaluation finishes */
} xpnn_hil_progress;

typedef struct xpnn_hil_opts {
	int method;
	unsigned epochs;     /* pat: passes over the training set (default 3); progressive and
			      * insilico: twin epochs per stage */
	unsigned batch;      /* vectors per step (default 64) */
	float lr;            /* Adam peak learning rate; cosine decay to lr * lr_final */
	float lr_final;      /* default 0.02 */
	uint64_t seed;       /* shuffles, perturbations and the board's noise streams */
	uint64_t budget;     /* training forward passes on the board; 0: epochs × training set */
	float spsa_c;        /* spsa: perturbation in code steps (default 1) */
	float spsa_density;  /* spsa: fraction of cells perturbed per step (default 0.05) */
	float noise_scale;   /* progressive, insilico: twin noise scale (default 1) */
	const char *checkpoint; /* file, or NULL: checkpoints in memory only */
	unsigned ckpt_every; /* steps between checkpoints (default 100) */
	int resume;          /* continue from checkpoint if the file exists */
	int verify;          /* READ_CELLS every written cell back */
	unsigned tol;        /* verify tolerance, conductance LSB (default 24) */
	uint32_t eval_n;     /* held-out vectors per evaluation (0: all) */
	void (*progress)(void *ctx, const xpnn_hil_progress *p);
	void *ctx;
	volatile sig_atomic_t *stop; /* set: checkpoint and return XPNN_HIL_STOPPED */
	const char *config_json; /* JSON object of the run's options, for the report; may be NULL */
	uint64_t max_steps;  /* tests: stop after this many steps of this process (0: no limit) */
} xpnn_hil_opts;

void xpnn_hil_opts_default(xpnn_hil_opts *o);

/* One training step. */
typedef struct xpnn_hil_step {
	uint32_t step, epoch;          /* step counts from 1; epoch from 1 */
	float board_loss, board_acc;   /* the step's batch, from the board's outputs */
	float twin_loss, twin_acc;     /* the same batch through the ideal twin of the codes */
	uint32_t cells;                /* cells written in this step */
	uint32_t changed;              /* devices whose conductance changed */
	uint64_t forwards;             /* training forward passes on the board so far */
	double seconds;                /* run time so far (all processes of a resumed run) */
} xpnn_hil_step;

/* One evaluation of the held-out set. */
typedef struct xpnn_hil_eval {
	uint32_t epoch;                /* 0: before training */
	uint32_t step;                 /* steps done */
	float board_acc, twin_acc;     /* on the board; through the ideal twin of the codes */
	float board_loss;              /* cross-entropy of the board's outputs */
	uint64_t forwards;             /* training forward passes so far */
	double seconds;
} xpnn_hil_eval;

typedef struct xpnn_hil_result {
	int method;
	unsigned nclasses;
	xpnn_hil_step *steps;          /* nsteps entries */
	size_t nsteps;
	xpnn_hil_eval *evals;          /* nevals entries: before, after every epoch / stage */
	size_t nevals;
	uint32_t *confusion0, *confusion1; /* held-out confusion before and after (K*K; row =
					    * label, column = predicted) */
	uint32_t hist0[256], hist1[256];   /* stored conductances of the used devices, read
					    * back before and after */
	/* budget */
	uint64_t train_forwards;       /* vectors through RUN for training */
	uint64_t eval_forwards;        /* vectors through RUN for evaluation */
	uint64_t cells_written;        /* cell records programmed (training; restores apart) */
	uint64_t devices_changed;
	uint64_t pulses;               /* programming pulses (2 per cell record), restores apart */
	uint64_t restore_pulses;       /* pulses spent restoring the board from checkpoints */
	uint32_t max_cell_pulses;      /* the most-programmed cell's pulses, all included */
	double mean_cell_pulses;
	uint64_t cells;                /* cells the network uses */
	unsigned restores;             /* board reprogrammed after its boot id changed */
	unsigned resumed_at;           /* step the run resumed from (0: fresh) */
	uint64_t verified, out_of_tol; /* verify: devices read back, beyond tol */
	double seconds;                /* wall time (all processes of a resumed run) */
	double board_seconds;          /* of which in board exchanges */
	char *config_json;             /* the run's options (copied) */
} xpnn_hil_result;

void xpnn_hil_result_free(xpnn_hil_result *r);

/*
 * Fine-tune on board b, which must hold nothing the run needs (the run programs it):
 * model is the float network the image was compiled from (the shadow weights start there;
 * NULL: the image's code grid), img the deployed image (its tile mapping, ADC settings and
 * requantisation stay fixed; the codes change). train and test are labelled sets with
 * pixel codes. On success *out_net gets the fine-tuned shadow network (float, image scales)
 * and out_img (if not NULL) the image of the final codes. Returns 0 or an xpnn_rc with err.
 */
int xpnn_hil_run(xpnn_board *b, const xpnn_net *model, const xpnn_image *img,
		 const xpnn_dataset *train, const xpnn_dataset *test, const xpnn_hil_opts *o,
		 xpnn_hil_result *res, xpnn_net *out_net, xpnn_image *out_img, char *err,
		 size_t errlen);

/* The report (hil_report.c). Both write atomically. */
/* One self-contained HTML file with inline SVG plots: board and twin accuracy and loss per
 * step, cells written per step, conductance histograms before and after, per-class accuracy
 * before and after, the budget and the run's configuration. */
int xpnn_hil_report_html(const xpnn_hil_result *r, const char *path, char *err, size_t errlen);
/* CSV, one row per step; held-out columns filled at the steps where an evaluation ran. */
int xpnn_hil_report_csv(const xpnn_hil_result *r, const char *path, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif /* XPNN_HIL_H */
