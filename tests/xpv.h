/*
 * xpv.h — golden vector files (docs/formats.md): writing them from the C model, and replaying
 * them against it. Shared by xpnn-genvec, xpnn-replay and tests/test_vectors.c.
 */
#ifndef XPV_H
#define XPV_H

#include <stddef.h>
#include <stdint.h>

#include "xp_cmodel.h"

#define XPV_MAGIC "XPNNVEC"   /* 8 bytes with the NUL */
#define XPV_FORMAT_VERSION 1

/* Opcodes: values are part of the file format, never renumber. */
enum xpv_op {
	XPV_SEED = 0x01,
	XPV_WRITE = 0x02,
	XPV_ADC = 0x03,
	XPV_CONFIG = 0x04,
	XPV_RUN = 0x05,
	XPV_TILE = 0x06,
	XPV_READ = 0x07,
	XPV_RESET = 0x08,
};

const char *xpv_op_name(unsigned op);

/* CRC-32 (IEEE 802.3, reflected 0xEDB88320, init/xorout 0xFFFFFFFF). */
uint32_t xpv_crc32(const uint8_t *p, size_t n);

/* ---- writer: every operation is applied to chip and its results recorded ---- */
typedef struct xpv_writer {
	uint8_t *buf;
	size_t len, cap;
	uint32_t nops;
	size_t nops_at;  /* offset of the op count in buf */
	int oom;
} xpv_writer;

int xpv_begin(xpv_writer *w, const xp_params *p, const char *name);
void xpv_seed(xpv_writer *w, xp_chip *chip, uint64_t seed);
void xpv_write(xpv_writer *w, xp_chip *chip, unsigned t, unsigned r0, unsigned c0, unsigned nr,
	       unsigned nc, const uint8_t *codes);
void xpv_adc(xpv_writer *w, xp_chip *chip, unsigned t, unsigned c0, unsigned nc, const xp_adc *adc);
void xpv_config(xpv_writer *w, xp_chip *chip, const xp_netcfg *cfg);
void xpv_run(xpv_writer *w, xp_chip *chip, const uint8_t *x, uint32_t batch);
/* TILE: vector i at inference index n0 + i (mod 2^40); the board's N is not touched. */
void xpv_tile(xpv_writer *w, xp_chip *chip, unsigned t, unsigned ncols, const uint8_t *x,
	      uint32_t batch, uint64_t n0);
void xpv_read(xpv_writer *w, xp_chip *chip, unsigned t, unsigned r0, unsigned c0, unsigned nr,
	      unsigned nc);
void xpv_reset(xpv_writer *w, xp_chip *chip);
/* Append the trailer and write path atomically (temporary file, fsync, rename).
 * Returns 0, or -1 with msg filled. Frees the buffer either way. */
int xpv_finish(xpv_writer *w, const char *path, char *msg, size_t msglen);

/* ---- replay ---- */
typedef enum xpv_result { XPV_PASS = 0, XPV_MISMATCH = 1, XPV_MALFORMED = 2 } xpv_result;

typedef struct xpv_stats {
	char name[256];
	uint32_t nops;
	uint64_t checked; /* expected values compared */
} xpv_stats;

/* Replay a file held in memory. use_ref: 1 = the _ref kernels, 0 = the optimised ones with
 * nthreads threads. On a mismatch or a malformed file, msg says where and what (file label,
 * op index and name, vector, field, expected, actual, byte offset). */
xpv_result xpv_replay_mem(const uint8_t *buf, size_t len, const char *label, int use_ref,
			  unsigned nthreads, xpv_stats *stats, char *msg, size_t msglen);
/* Read a whole file; returns NULL with msg on failure. Caller frees. */
uint8_t *xpv_load(const char *path, size_t *len, char *msg, size_t msglen);

#endif /* XPV_H */
