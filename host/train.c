/*
 * train.c — mini-batch training of the twin (train.h).
 *
 * Deterministic: the shuffles and the noise come from the seed; OpenBLAS computes each output
 * element on one thread in a fixed order, so a run repeats bit for bit on the same machine.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train.h"
#include "util.h"

void xpnn_train_opts_default(xpnn_train_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->epochs = 10;
	o->batch = 64;
	o->opt = XPNN_OPT_ADAM;
	o->lr = 2e-3f;
	o->lr_final = 0.02f;
	o->momentum = 0.9f;
	o->seed = 1;
	o->noise_scale = 1.0f;
	o->calib_n = 1024;
	o->calib_pct = 99.99;
}

int xpnn_dataset_check(const xpnn_dataset *d, const xpnn_net *n, const char *what, char *err,
		       size_t errlen)
{
	unsigned K = n->width[n->nlayers];

	if ((uint64_t)d->rows * d->cols != n->width[0]) {
		xpnn_errf(err, errlen, "%s: examples of %ux%u = %u features, but the network takes "
			  "%u inputs", what, d->rows, d->cols, d->rows * d->cols, n->width[0]);
		return -1;
	}
	if (d->nclasses > K) {
		xpnn_errf(err, errlen, "%s: %u classes (labels 0 … %u), but the network has %u "
			  "outputs", what, d->nclasses, d->nclasses - 1, K);
		return -1;
	}
	return 0;
}

float xpnn_twin_accuracy(xpnn_net *n, const xpnn_dataset *d, uint32_t *confusion)
{
	unsigned chunk = 500, K = n->width[n->nlayers];
	xpnn_twin *t = xpnn_twin_create(n, chunk);
	uint64_t hits = 0;

	if (!t)
		return -1.0f;
	if (confusion)
		memset(confusion, 0, sizeof(uint32_t) * K * K);
	for (uint32_t s = 0; s < d->n; s += chunk) {
		unsigned B = d->n - s < chunk ? d->n - s : chunk;
		const float *z = xpnn_twin_forward_u8(t, d->images + (size_t)s * n->width[0], B, 0);

		for (unsigned i = 0; i < B; i++) {
			unsigned p = xpnn_argmax_f(z + (size_t)i * K, K), y = d->labels[s + i];

			hits += p == y;
			if (confusion && y < K)
				confusion[y * K + p]++;
		}
	}
	xpnn_twin_destroy(t);
	return d->n ? (float)hits / (float)d->n : 0.0f;
}

int xpnn_train(xpnn_net *n, const xpnn_dataset *d, const xpnn_dataset *test,
	       const xpnn_train_opts *o, xpnn_train_result *res, char *err, size_t errlen)
{
	unsigned B = o->batch, F = n->width[0];
	uint32_t *perm = NULL;
	uint8_t *xb = NULL, *yb = NULL, *cal = NULL;
	xpnn_twin *t = NULL;
	xpnn_opt opt = { 0 };
	xpnn_noise nz;
	uint64_t rs = o->seed * 0x2545F4914F6CDD1Dull + 1, total, done = 0, steps, step = 0;
	int64_t t0 = xpnn_now_ms(), last = t0;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	res->test_acc = -1.0f;
	if (!B || B > 65536 || !o->epochs || o->epochs > 100000) {
		xpnn_errf(err, errlen, "batch %u (legal 1 … 65536) or epochs %u (legal 1 … 100000)",
			  B, o->epochs);
		return -1;
	}
	if (!(o->lr > 0.0f && o->lr < 100.0f)) {
		xpnn_errf(err, errlen, "learning rate %g: legal range (0, 100)", (double)o->lr);
		return -1;
	}
	if (xpnn_dataset_check(d, n, "training set", err, errlen) ||
	    (test && xpnn_dataset_check(test, n, "test set", err, errlen)))
		return -1;
	perm = malloc(sizeof(uint32_t) * d->n);
	xb = malloc((size_t)B * F);
	yb = malloc(B);
	t = xpnn_twin_create(n, B);
	if (!perm || !xb || !yb || !t) {
		xpnn_errf(err, errlen, "out of memory");
		goto fail;
	}
	if (xpnn_opt_init(&opt, n, o->opt, o->lr, err, errlen))
		goto fail;
	opt.momentum = o->momentum;
	opt.weight_decay = o->weight_decay;
	if (o->hw_aware) {
		xpnn_noise_default(&nz, o->noise_scale);
		xpnn_twin_set_noise(t, &nz, o->seed);
	}
	for (uint32_t i = 0; i < d->n; i++)
		perm[i] = i;
	total = (uint64_t)o->epochs * d->n;
	steps = (uint64_t)o->epochs * ((d->n + B - 1) / B);
	for (unsigned ep = 0; ep < o->epochs; ep++) {
		double lsum = 0.0;
		uint64_t hits = 0, seen = 0;

		if (o->quant && (ep > 0 || o->epochs == 1) && !n->quant) {
			/* quantisation-aware from here: calibrate the ADC scales on the current
			 * weights with a fixed sample of the training set */
			unsigned nc = o->calib_n < d->n ? o->calib_n : d->n;

			cal = malloc((size_t)nc * F);
			if (!cal) {
				xpnn_errf(err, errlen, "out of memory");
				goto fail;
			}
			for (unsigned i = 0; i < nc; i++)
				memcpy(cal + (size_t)i * F, d->images + (size_t)i * F, F);
			if (xpnn_net_calibrate(n, cal, nc, o->calib_pct, err, errlen))
				goto fail;
		}
		for (uint32_t i = d->n; i > 1; i--) {
			uint32_t j = (uint32_t)(xpnn_splitmix64(&rs) % i), tmp = perm[i - 1];

			perm[i - 1] = perm[j];
			perm[j] = tmp;
		}
		for (uint32_t s = 0; s < d->n; s += B) {
			unsigned nb = d->n - s < B ? d->n - s : B, hit;
			/* cosine decay from lr to lr * lr_final over the run */
			double frac = steps > 1 ? (double)step / (double)(steps - 1) : 0.0;
			float lr = o->lr * (float)(o->lr_final + (1.0 - o->lr_final) * 0.5 *
						   (1.0 + cos(3.141592653589793 * frac)));

			if (o->stop && *o->stop) {
				xpnn_errf(err, errlen, "interrupted in epoch %u", ep + 1);
				goto fail;
			}
			for (unsigned i = 0; i < nb; i++) {
				memcpy(xb + (size_t)i * F, d->images + (size_t)perm[s + i] * F, F);
				yb[i] = d->labels[perm[s + i]];
			}
			xpnn_twin_forward_u8(t, xb, nb, 1);
			lsum += (double)xpnn_twin_loss(t, yb, nb, &hit) * nb;
			hits += hit;
			seen += nb;
			xpnn_twin_backward(t);
			xpnn_opt_step(&opt, n, t, lr);
			done += nb;
			step++;
			if (!isfinite(lsum)) {
				xpnn_errf(err, errlen, "the loss diverged (NaN or infinity) in epoch %u "
					  "at learning rate %g; HINT: lower --lr", ep + 1, (double)lr);
				goto fail;
			}
			if (o->progress && xpnn_now_ms() - last >= 250) {
				xpnn_train_progress p = { ep + 1, o->epochs, done, total,
							  (double)(xpnn_now_ms() - t0) / 1e3,
							  (float)(lsum / seen), (float)hits / seen, 0,
							  -1.0f };

				last = xpnn_now_ms();
				o->progress(o->ctx, &p);
			}
		}
		res->epochs_done = ep + 1;
		res->loss = (float)(lsum / seen);
		res->train_acc = (float)hits / (float)seen;
		if (test)
			res->test_acc = xpnn_twin_accuracy(n, test, NULL);
		if (o->progress) {
			xpnn_train_progress p = { ep + 1, o->epochs, done, total,
						  (double)(xpnn_now_ms() - t0) / 1e3, res->loss,
						  res->train_acc, 1, res->test_acc };

			o->progress(o->ctx, &p);
		}
	}
	res->seconds = (double)(xpnn_now_ms() - t0) / 1e3;
	res->samples_per_s = res->seconds > 0 ? (double)done / res->seconds : 0.0;
	rc = 0;
fail:
	free(perm);
	free(xb);
	free(yb);
	free(cal);
	xpnn_opt_free(&opt);
	xpnn_twin_destroy(t);
	return rc;
}
