/*
 * train.h — training and evaluation of the digital twin on a dataset.
 */
#ifndef XPNN_TRAIN_H
#define XPNN_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "dataset.h"
#include "twin.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct xpnn_train_progress {
	unsigned epoch, epochs;   /* epoch counts from 1 */
	uint64_t done, total;     /* samples done in this run, and in all */
	double seconds;           /* wall time since the start */
	float loss, acc;          /* running mean over the current epoch */
	int epoch_end;            /* 1 at the end of an epoch: test_acc is set */
	float test_acc;           /* < 0 if there is no test set */
} xpnn_train_progress;

typedef struct xpnn_train_opts {
	unsigned epochs;     /* default 10 */
	unsigned batch;      /* default 64 */
	int opt;             /* XPNN_OPT_ADAM (default) or XPNN_OPT_SGD */
	float lr;            /* peak learning rate; cosine decay to lr * lr_final */
	float lr_final;      /* default 0.02 */
	float momentum;      /* SGD (default 0.9) */
	float weight_decay;  /* default 0 */
	uint64_t seed;       /* shuffles and noise */
	int quant;           /* quantisation-aware from the epoch after calibrating (0: off) */
	int hw_aware;        /* inject device noise of the model board's magnitude */
	float noise_scale;   /* multiplies the noise (default 1) */
	unsigned calib_n;    /* calibration vectors for quant (default 1024) */
	double calib_pct;    /* default 99.99 */
	void (*progress)(void *ctx, const xpnn_train_progress *p); /* ≈ every 0.25 s, and per epoch */
	void *ctx;
	volatile int *stop;  /* non-NULL and set: stop after the current batch */
} xpnn_train_opts;

void xpnn_train_opts_default(xpnn_train_opts *o);

typedef struct xpnn_train_result {
	unsigned epochs_done;
	float loss, train_acc, test_acc; /* last epoch; test_acc < 0 without a test set */
	double seconds, samples_per_s;
} xpnn_train_result;

/* Train n on d (features must equal n->width[0], labels < n_out). test may be NULL. */
int xpnn_train(xpnn_net *n, const xpnn_dataset *d, const xpnn_dataset *test,
	       const xpnn_train_opts *o, xpnn_train_result *res, char *err, size_t errlen);

/* Accuracy of the twin (as configured: float, or quantised) on d; confusion (K*K, row = true
 * label, column = predicted) may be NULL. */
float xpnn_twin_accuracy(xpnn_net *n, const xpnn_dataset *d, uint32_t *confusion);

/* The dataset fits the network: features = width[0], every label < n_out. */
int xpnn_dataset_check(const xpnn_dataset *d, const xpnn_net *n, const char *what, char *err,
		       size_t errlen);

#ifdef __cplusplus
}
#endif
#endif /* XPNN_TRAIN_H */
