/*
 * test_link.c — framing primitives (CRC-32C, COBS/7E), the C board engine and libxpnn's link
 * layer: retries through a transport that loses, damages and delays bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testrng.h"
#include "xpnn.h"

static uint64_t seed0 = 1;

/* Bit-serial CRC-32C straight from the definition (protocol §2.2). */
static uint32_t crc_bitwise(const uint8_t *p, size_t n)
{
	uint32_t c = 0xFFFFFFFFu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
	}
	return ~c;
}

static void test_crc_kat(void **state)
{
	(void)state;
	uint8_t z[32], f[32], inc[32], dec[32];
	memset(z, 0, 32);
	memset(f, 0xFF, 32);
	for (int i = 0; i < 32; i++) {
		inc[i] = (uint8_t)i;
		dec[i] = (uint8_t)(31 - i);
	}
	/* check value (protocol §2.2) and the iSCSI test vectors of RFC 3720 B.4 */
	assert_int_equal(xp_crc32c(0, "123456789", 9), 0xE3069283u);
	assert_int_equal(xp_crc32c_sw(0, "123456789", 9), 0xE3069283u);
	assert_int_equal(xp_crc32c(0, "", 0), 0);
	assert_int_equal(xp_crc32c(0, z, 32), 0x8A9136AAu);
	assert_int_equal(xp_crc32c(0, f, 32), 0x62A8AB43u);
	assert_int_equal(xp_crc32c(0, inc, 32), 0x46DD794Eu);
	assert_int_equal(xp_crc32c(0, dec, 32), 0x113FDB5Cu);
	/* the optimised paths against the definition, any length and alignment, and chaining */
	rs = seed0;
	static uint8_t buf[70000];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rnd64();
	/* lengths around the 3 x 256 and 3 x 8192 blocks of the interleaved path, and long ones */
	for (int t = 0; t < 300; t++) {
		const size_t off = rndu(16);
		const size_t n = t < 100 ? rndu(4000) : t < 200 ? 24576 - 20 + rndu(40) : rndu(69000);
		const size_t cut = n ? rndu((uint32_t)n) : 0;
		const uint32_t want = crc_bitwise(buf + off, n);
		assert_int_equal(xp_crc32c(0, buf + off, n), want);
		assert_int_equal(xp_crc32c_sw(0, buf + off, n), want);
		assert_int_equal(xp_crc32c(xp_crc32c(0, buf + off, cut), buf + off + cut, n - cut), want);
	}
}

static size_t enc(const uint8_t *body, size_t n, uint8_t *out)
{
	xp_cobs_enc e;
	xp_cobs_enc_init(&e, out);
	xp_cobs_enc_feed(&e, body, n);
	return xp_cobs_enc_finish(&e, out);
}

static void test_cobs_kat(void **state)
{
	(void)state;
	uint8_t out[600], body[300];
	/* empty body -> COBS(00) = 01 -> 7F; a lone 7E -> 01 01 -> 7F 7F */
	assert_int_equal(enc(body, 0, out), 1);
	assert_int_equal(out[0], 0x7F);
	body[0] = 0x7E;
	assert_int_equal(enc(body, 1, out), 2);
	assert_int_equal(out[0], 0x7F);
	assert_int_equal(out[1], 0x7F);
	/* 11 7E 22 -> code 2, 11, code 2, 22 */
	const uint8_t b3[] = { 0x11, 0x7E, 0x22 }, w3[] = { 0x7C, 0x11, 0x7C, 0x22 };
	assert_int_equal(enc(b3, 3, out), 4);
	assert_memory_equal(out, w3, 4);
	/* 254 bytes without 7E: FF (81 on the wire), the bytes, then the empty final piece 7F */
	memset(body, 0x11, 254);
	assert_int_equal(enc(body, 254, out), 256);
	assert_int_equal(out[0], 0x81);
	assert_int_equal(out[255], 0x7F);
	/* 255 bytes: 81, 254 bytes, then code 2 (7C) and the last byte */
	memset(body, 0x11, 255);
	assert_int_equal(enc(body, 255, out), 257);
	assert_int_equal(out[255], 0x7C);
	assert_int_equal(out[256], 0x11);
}

/* Random bodies (7E rare, frequent or absent), encoded in random pieces, decoded byte by
 * byte and in random chunks. */
static void test_cobs_roundtrip(void **state)
{
	(void)state;
	rs = seed0 + 11;
	static uint8_t body[3000], wire[3100], dec[3100];
	for (int t = 0; t < 2000; t++) {
		const size_t n = rndu(t < 1000 ? 600 : 3000);
		const uint32_t dens = rndu(4);
		for (size_t i = 0; i < n; i++)
			body[i] = dens == 0 ? (uint8_t)(1 + rndu(0x7D)) :
				  rndu(dens == 1 ? 300 : 3) == 0 ? 0x7E : (uint8_t)rnd64();
		xp_cobs_enc e;
		xp_cobs_enc_init(&e, wire + 1);
		for (size_t i = 0; i < n;) {
			const size_t k = 1 + rndu(700);
			const size_t m = k < n - i ? k : n - i;
			xp_cobs_enc_feed(&e, body + i, m);
			i += m;
		}
		const size_t w = xp_cobs_enc_finish(&e, wire + 1);
		assert_true(w <= XP_COBS_MAX(n));
		assert_null(memchr(wire + 1, 0x7E, w));
		assert_int_equal(w, enc(body, n, dec)); /* pieces do not change the encoding */
		assert_memory_equal(wire + 1, dec, w);
		wire[0] = wire[w + 1] = 0x7E;
		xp_cobs_dec d;
		xp_cobs_dec_init(&d, dec, sizeof(dec));
		int done = 0, inc = 0, frames = 0;
		for (size_t i = 0; i < w + 2;) {
			const size_t k = t % 2 ? 1 : 1 + rndu(500);
			const size_t m = k < w + 2 - i ? k : w + 2 - i;
			size_t used = 0;
			while (used < m) {
				used += xp_cobs_dec_feed(&d, wire + i + used, m - used, &done, &inc);
				if (done) {
					frames++;
					assert_false(inc);
					assert_int_equal(d.len, n);
					assert_memory_equal(dec, body, n);
					xp_cobs_dec_next(&d);
				}
			}
			i += m;
		}
		assert_int_equal(frames, 1);
	}
}

/* Empty frames are ignored, a cut block is reported, an overlong frame keeps counting. */
static void test_cobs_malformed(void **state)
{
	(void)state;
	uint8_t buf[8];
	xp_cobs_dec d;
	int done = 0, inc = 0;
	const uint8_t empties[] = { 0x7E, 0x7E, 0x7E };
	xp_cobs_dec_init(&d, buf, sizeof(buf));
	assert_int_equal(xp_cobs_dec_feed(&d, empties, 3, &done, &inc), 3);
	assert_false(done);
	const uint8_t cut[] = { 0x79, 0x01, 0x02, 0x7E }; /* k = 7, 2 of 6 bytes */
	assert_int_equal(xp_cobs_dec_feed(&d, cut, 4, &done, &inc), 4);
	assert_true(done);
	assert_true(inc);
	assert_int_equal(d.len, 2);
	xp_cobs_dec_next(&d);
	uint8_t lng[40];
	memset(lng, 0x33, sizeof(lng));
	lng[0] = 0x7E ^ 30; /* a block of 29 bytes into an 8-byte buffer */
	lng[30] = 0x7E;
	assert_int_equal(xp_cobs_dec_feed(&d, lng, 31, &done, &inc), 31);
	assert_true(done);
	assert_false(inc);
	assert_int_equal(d.len, 29);
	assert_memory_equal(buf, lng + 1, 8);
}

/* ---- a transport that loses, damages and pollutes bytes, around the model ---- */

typedef struct faulty {
	xpnn_transport inner;
	int drop_req, drop_rsp, corrupt_req, garbage_rsp, dup_rsp;
} faulty;

static int f_write(xpnn_transport *t, const uint8_t *buf, size_t n, int to, char *err, size_t el)
{
	faulty *f = t->ctx;
	if (f->drop_req > 0) {
		f->drop_req--;
		return XPNN_OK; /* lost on the line */
	}
	if (f->corrupt_req > 0 && n > 4) {
		uint8_t *c = malloc(n);
		assert_non_null(c);
		memcpy(c, buf, n);
		size_t i = 1 + rndu((uint32_t)n - 2);
		c[i] ^= (uint8_t)(1u << rndu(8));
		if (c[i] == 0x7E)
			c[i] ^= 0x81; /* keep the frame in one piece: still a bad CRC */
		f->corrupt_req--;
		int rc = f->inner.ops->write(&f->inner, c, n, to, err, el);
		free(c);
		return rc;
	}
	return f->inner.ops->write(&f->inner, buf, n, to, err, el);
}

static long f_read(xpnn_transport *t, uint8_t *buf, size_t cap, int to, char *err, size_t el)
{
	faulty *f = t->ctx;
	if (f->garbage_rsp > 0 && cap > 64) {
		f->garbage_rsp--;
		for (int i = 0; i < 40; i++)
			buf[i] = (uint8_t)rnd64();
		buf[10] = 0x7E;
		return 40;
	}
	long n = f->inner.ops->read(&f->inner, buf, cap, to, err, el);
	if (n > 0 && f->drop_rsp > 0) {
		f->drop_rsp--;
		return 0;
	}
	if (n > 0 && f->dup_rsp > 0 && (size_t)n * 2 <= cap) {
		f->dup_rsp--;
		memcpy(buf + n, buf, (size_t)n); /* a stale copy follows */
		n *= 2;
	}
	return n;
}

static void f_close(xpnn_transport *t)
{
	faulty *f = t->ctx;
	xpnn_port_close(&f->inner);
}

static const xpnn_transport_ops faulty_ops = { "faulty", "faulty", NULL, f_write, f_read, f_close };

static xpnn_board *open_faulty(faulty *f, const char *port, int retries)
{
	char err[XPNN_ERRMSG];
	xpnn_transport t = { &faulty_ops, f, 0 };
	xpnn_opts o;
	xpnn_board *b;
	memset(f, 0, sizeof(*f));
	assert_int_equal(xpnn_port_open(&f->inner, port, err, sizeof(err)), XPNN_OK);
	xpnn_opts_default(&o);
	o.timeout_ms = 50;
	o.retries = retries;
	if (xpnn_open_transport(&b, &t, &o, err, sizeof(err)) != XPNN_OK)
		fail_msg("%s", err);
	return b;
}

static const uint8_t codes4[8] = { 15, 0, 3, 7, 0, 15, 9, 9 };

/* A lost reply: the host retries with the same seq, the board answers from memory, the cells
 * are programmed once. */
static void test_link_lost_reply(void **state)
{
	(void)state;
	faulty f = { 0 };
	xpnn_board *b = open_faulty(&f, "model:boot=5", 3);
	uint32_t changed;
	xpnn_status st;
	f.drop_rsp = 2;
	assert_int_equal(xpnn_write_cells(b, 0, 0, 0, 2, 2, codes4, &changed), XPNN_OK);
	assert_int_equal(xpnn_status_get(b, &st), XPNN_OK);
	assert_int_equal(st.pulses, 8);
	assert_int_equal(st.tile_pulses[0], 8);
	assert_int_equal(st.duplicates, 2);
	assert_int_equal(xpnn_link_stats(b).retries, 2);
	xpnn_close(b);
}

/* A damaged request: the board says ERR_CRC, the host retransmits at once. A lost request:
 * the host retries after the deadline. */
static void test_link_damaged_and_lost_request(void **state)
{
	(void)state;
	faulty f = { 0 };
	xpnn_board *b = open_faulty(&f, "model:boot=5", 3);
	xpnn_status st;
	f.corrupt_req = 2;
	assert_int_equal(xpnn_set_seed(b, 99), XPNN_OK);
	f.drop_req = 1;
	assert_int_equal(xpnn_status_get(b, &st), XPNN_OK);
	assert_int_equal(st.nseed, 99);
	assert_true(st.nacks[XP_RSP_CRC] + st.nacks[XP_RSP_FRAME] >= 1);
	assert_int_equal(st.duplicates, 0);
	const xpnn_linkstats ls = xpnn_link_stats(b);
	assert_int_equal(ls.retries, 3);
	/* the lost request times out; a damaged one too if the damage hit its cmd or seq byte
	 * (the board's ERR_CRC then does not name this request) */
	assert_true(ls.timeouts >= 1 && ls.timeouts <= 3);
	xpnn_close(b);
}

/* Garbage and stale copies among the replies are skipped. */
static void test_link_garbage_and_stale(void **state)
{
	(void)state;
	faulty f = { 0 };
	xpnn_board *b = open_faulty(&f, "model:boot=5", 3);
	xpnn_status st;
	f.garbage_rsp = 1;
	f.dup_rsp = 1;
	assert_int_equal(xpnn_set_seed(b, 7), XPNN_OK);
	assert_int_equal(xpnn_status_get(b, &st), XPNN_OK); /* the stale SET_SEED copy comes first */
	assert_int_equal(st.nseed, 7);
	assert_true(xpnn_link_stats(b).stale_frames >= 1);
	assert_true(xpnn_link_stats(b).bad_frames >= 1);
	/* runts on the line are answered with ERR_FRAME for cmd FF, seq 00: not this INFO's */
	static const uint8_t runts[] = { 0x7E, 0x41, 0x7E, 0x42, 0x7E, 0x43, 0x7E, 0x44, 0x7E };
	xpnn_info info;
	xpnn_set_next_seq(b, 0);
	assert_int_equal(xpnn_raw_write(b, runts, sizeof(runts)), XPNN_OK);
	assert_int_equal(xpnn_info_get(b, &info), XPNN_OK);
	assert_int_equal(xpnn_link_stats(b).retries, 0);
	xpnn_close(b);
}

/* After the last retry: a clear error naming the command, and the tries. */
static void test_link_gives_up(void **state)
{
	(void)state;
	faulty f = { 0 };
	xpnn_board *b = open_faulty(&f, "model:boot=5", 2);
	f.drop_req = 3;
	assert_int_equal(xpnn_set_seed(b, 1), XPNN_ETIMEOUT);
	assert_non_null(strstr(xpnn_errmsg(b), "SET_SEED"));
	assert_non_null(strstr(xpnn_errmsg(b), "3 tries"));
	assert_int_equal(xpnn_link_stats(b).tries, 1 + 3);
	xpnn_close(b);
}

/* ---- the engine through the link ---- */

static xpnn_board *open_port(const char *port)
{
	char err[XPNN_ERRMSG];
	xpnn_board *b;
	if (xpnn_open(&b, port, NULL, err, sizeof(err)) != XPNN_OK)
		fail_msg("%s", err);
	return b;
}

/* RUN through the protocol equals xp_chip_run on a chip with the same parameters, writes and
 * seed; and a board with small frames (split writes and runs) gives the same bits. */
static void test_engine_equals_cmodel(void **state)
{
	(void)state;
	xpnn_board *big = open_port("model:seed=9,threads=2");
	xpnn_board *small = open_port("model:seed=9,max_request=1000,max_reply=400,max_batch=3");
	xp_params p;
	xp_chip *chip;
	char msg[XP_ERRMSG];
	xp_netcfg cfg;
	xp_layer L[2];
	uint16_t tl[8];
	rs = seed0 + 3;
	xp_params_default(&p);
	p.dseed = 9;
	assert_int_equal(xp_chip_create(&chip, &p, msg, sizeof(msg)), XP_OK);
	xp_netcfg_reference(&cfg, L, tl);
	L[0].amul = 3;
	L[0].ash = 4;
	static uint8_t codes[128 * 64 * 2], g1[128 * 64 * 2], g2[128 * 64 * 2];
	xp_adc adc[64];
	for (unsigned c = 0; c < 64; c++)
		adc[c] = (xp_adc){ (uint8_t)(1 + rndu(4)), (uint8_t)(8 + rndu(3)), (int16_t)(rndu(9) - 4) };
	assert_int_equal(xpnn_set_seed(big, 77), XPNN_OK);
	assert_int_equal(xpnn_set_seed(small, 77), XPNN_OK);
	xp_chip_set_seed(chip, 77);
	for (unsigned t = 0; t < 8; t++) {
		for (size_t i = 0; i < sizeof(codes); i++)
			codes[i] = (uint8_t)rndu(16);
		uint32_t c1, c2, c3;
		assert_int_equal(xpnn_write_cells(big, t, 0, 0, 128, 64, codes, &c1), XPNN_OK);
		assert_int_equal(xpnn_write_cells(small, t, 0, 0, 128, 64, codes, &c2), XPNN_OK);
		assert_int_equal(xp_chip_write(chip, t, 0, 0, 128, 64, codes, &c3, msg, sizeof(msg)), XP_OK);
		assert_int_equal(c1, c3);
		assert_int_equal(c2, c3);
		assert_int_equal(xpnn_read_cells(big, t, 0, 0, 128, 64, g1), XPNN_OK);
		assert_int_equal(xpnn_read_cells(small, t, 0, 0, 128, 64, g2), XPNN_OK);
		assert_memory_equal(g1, g2, sizeof(g1));
		assert_int_equal(xpnn_set_adc(big, t, 0, 64, adc), XPNN_OK);
		assert_int_equal(xpnn_set_adc(small, t, 0, 64, adc), XPNN_OK);
		assert_int_equal(xp_chip_set_adc(chip, t, 0, 64, adc, msg, sizeof(msg)), XP_OK);
	}
	xpnn_shape sh;
	assert_int_equal(xpnn_configure(big, &cfg, &sh), XPNN_OK);
	assert_int_equal(sh.n_in, 784);
	assert_int_equal(sh.n_out, 10);
	assert_int_equal(sh.n_all, 74);
	assert_int_equal(xpnn_configure(small, &cfg, NULL), XPNN_OK);
	assert_int_equal(xp_chip_configure(chip, &cfg, msg, sizeof(msg)), XP_OK);
	enum { B = 100 };
	static uint8_t x[B * 784];
	static int16_t o1[B * 74], o2[B * 74], o3[B * 74], s3[B * 74];
	for (size_t i = 0; i < sizeof(x); i++)
		x[i] = rndu(2) ? 0 : (uint8_t)rnd64();
	uint64_t n0 = 99;
	assert_int_equal(xpnn_run(big, x, B, 0, o1, &n0), XPNN_OK);
	assert_int_equal(n0, 0);
	assert_int_equal(xpnn_run(small, x, B, 0, o2, NULL), XPNN_OK);
	assert_int_equal(xp_chip_run(chip, x, B, o3, s3, 1, msg, sizeof(msg)), XP_OK);
	assert_memory_equal(o1, o3, sizeof(int16_t) * B * 10);
	assert_memory_equal(o2, o3, sizeof(int16_t) * B * 10);
	assert_int_equal(xpnn_run(big, x, B, XP_RUN_ALL_LAYERS, o1, &n0), XPNN_OK);
	assert_int_equal(n0, B);
	assert_int_equal(xpnn_run(small, x, B, XP_RUN_ALL_LAYERS, o2, NULL), XPNN_OK);
	assert_int_equal(xp_chip_run(chip, x, B, o3, s3, 1, msg, sizeof(msg)), XP_OK);
	assert_memory_equal(o1, s3, sizeof(int16_t) * B * 74);
	assert_memory_equal(o2, s3, sizeof(int16_t) * B * 74);
	xp_chip_destroy(chip);
	xpnn_close(big);
	xpnn_close(small);
}

/* WRITE_LIST through the library: split into frames in order on a board with small frames, the
 * same stored conductances as 1 x 1 writes in list order; a bad record refuses the frame. */
static void test_write_list(void **state)
{
	(void)state;
	xpnn_board *big = open_port("model:seed=4");
	xpnn_board *small = open_port("model:seed=4,max_request=64");
	enum { NC = 500 };
	static xpnn_cell cells[NC];
	uint8_t g1[2], g2[2], g3[2];
	uint32_t c1, c2, c3 = 0;
	rs = seed0 + 31;
	for (unsigned i = 0; i < NC; i++)
		cells[i] = (xpnn_cell){ (uint16_t)rndu(128), (uint16_t)rndu(64), (uint8_t)rndu(16),
					(uint8_t)rndu(16) };
	cells[NC - 1] = cells[3];
	assert_int_equal(xpnn_set_seed(big, 5), XPNN_OK);
	assert_int_equal(xpnn_set_seed(small, 5), XPNN_OK);
	assert_int_equal(xpnn_write_list(big, 2, cells, NC, &c1), XPNN_OK);
	assert_int_equal(xpnn_link_stats(small).commands, 2); /* INFO, SET_SEED */
	assert_int_equal(xpnn_write_list(small, 2, cells, NC, &c2), XPNN_OK);
	assert_int_equal(xpnn_link_stats(small).commands, 2 + (NC + 9) / 10); /* 10 per frame */
	assert_int_equal(c1, c2);
	xpnn_board *one = open_port("model:seed=4");
	assert_int_equal(xpnn_set_seed(one, 5), XPNN_OK);
	for (unsigned i = 0; i < NC; i++) {
		uint32_t ch;
		const uint8_t k[2] = { cells[i].kp, cells[i].km };
		assert_int_equal(xpnn_write_cells(one, 2, cells[i].row, cells[i].col, 1, 1, k, &ch), XPNN_OK);
		c3 += ch;
	}
	assert_int_equal(c1, c3);
	for (unsigned i = 0; i < NC; i++) {
		assert_int_equal(xpnn_read_cells(big, 2, cells[i].row, cells[i].col, 1, 1, g1), XPNN_OK);
		assert_int_equal(xpnn_read_cells(small, 2, cells[i].row, cells[i].col, 1, 1, g2), XPNN_OK);
		assert_int_equal(xpnn_read_cells(one, 2, cells[i].row, cells[i].col, 1, 1, g3), XPNN_OK);
		assert_memory_equal(g1, g3, 2);
		assert_memory_equal(g2, g3, 2);
	}
	xpnn_status s1, s2;
	assert_int_equal(xpnn_status_get(big, &s1), XPNN_OK);
	assert_int_equal(s1.tile_pulses[2], 2 * NC);
	cells[7].km = 16;
	assert_int_equal(xpnn_write_list(big, 2, cells, 8, NULL), XPNN_ENACK);
	assert_non_null(strstr(xpnn_errmsg(big), "WRITE_LIST refused by the board: ERR_RANGE: cell[7] k- = 16: legal range 0 … 15"));
	assert_int_equal(xpnn_status_get(big, &s2), XPNN_OK);
	assert_int_equal(s1.pulses, s2.pulses);
	xpnn_close(big);
	xpnn_close(small);
	xpnn_close(one);
}

/* Refused commands change nothing and the message names the field. */
static void test_engine_refusals(void **state)
{
	(void)state;
	xpnn_board *b = open_port("model:seed=2");
	uint8_t codes[8], before[8], after[8];
	xpnn_status s1, s2;
	memcpy(codes, codes4, 8);
	assert_int_equal(xpnn_write_cells(b, 3, 5, 6, 2, 2, codes, NULL), XPNN_OK);
	assert_int_equal(xpnn_read_cells(b, 3, 5, 6, 2, 2, before), XPNN_OK);
	assert_int_equal(xpnn_status_get(b, &s1), XPNN_OK);
	codes[7] = 16; /* the last code is out of range: nothing may be programmed */
	memset(codes, 0, 7);
	assert_int_equal(xpnn_write_cells(b, 3, 5, 6, 2, 2, codes, NULL), XPNN_ENACK);
	assert_non_null(strstr(xpnn_errmsg(b), "ERR_RANGE: code of cell (tile 3, row 6, col 7) k- = 16: legal range 0 … 15"));
	assert_int_equal(xpnn_last_nack(b)->status, XP_RSP_RANGE);
	assert_int_equal(xpnn_read_cells(b, 3, 5, 6, 2, 2, after), XPNN_OK);
	assert_memory_equal(before, after, 8);
	assert_int_equal(xpnn_status_get(b, &s2), XPNN_OK);
	assert_int_equal(s1.pulses, s2.pulses);
	assert_int_equal(s2.nacks[XP_RSP_RANGE], 1);
	/* RUN before CONFIGURE; a configuration with a tile twice */
	uint8_t x[784] = { 0 };
	int16_t out[10];
	assert_int_equal(xpnn_run(b, x, 1, 0, out, NULL), XPNN_ENACK);
	assert_non_null(strstr(xpnn_errmsg(b), "no network"));
	xp_netcfg cfg;
	xp_layer L[2];
	uint16_t tl[8];
	xp_netcfg_reference(&cfg, L, tl);
	tl[7] = 3;
	assert_int_equal(xpnn_configure(b, &cfg, NULL), XPNN_ENACK);
	assert_non_null(strstr(xpnn_errmsg(b), "ERR_CONFLICT: layer 1 tiles[0] = 3: tile already used by layer 0 tiles[3]"));
	tl[7] = 8;
	assert_int_equal(xpnn_configure(b, &cfg, NULL), XPNN_ENACK);
	assert_non_null(strstr(xpnn_errmsg(b), "ERR_RANGE: layer 1 tiles[0] = 8: legal range 0 … 7"));
	assert_int_equal(xpnn_status_get(b, &s2), XPNN_OK);
	assert_int_equal(s2.nlayers, 0);
	xpnn_close(b);
}

/* max_width, a board's widest layer: validated at creation, reported by INFO (offset 32),
 * and the limit of CONFIGURE's n_in and n_out (protocol §4.1, §4.5). */
static void test_engine_max_width(void **state)
{
	(void)state;
	xp_board_config c;
	xp_board *eb;
	char msg[XP_ERRMSG];
	xp_board_config_default(&c);
	assert_int_equal(c.max_width, XP_MAX_WIDTH);
	c.max_width = 0;
	assert_int_equal(xp_board_create(&eb, &c, msg, sizeof(msg)), XP_EINVAL);
	assert_null(eb);
	assert_non_null(strstr(msg, "max_width = 0: legal range 1 … 4096"));
	c.max_width = XP_MAX_WIDTH + 1;
	assert_int_equal(xp_board_create(&eb, &c, msg, sizeof(msg)), XP_EINVAL);
	assert_non_null(strstr(msg, "max_width = 4097: legal range 1 … 4096"));
	c.max_width = 1;
	assert_int_equal(xp_board_create(&eb, &c, msg, sizeof(msg)), XP_OK);
	assert_int_equal(xp_board_public_config(eb).max_width, 1);
	xp_board_destroy(eb);

	/* INFO: the default board's 4096, a model board's max_width= */
	xpnn_board *b = open_port("model:seed=3");
	assert_int_equal(xpnn_board_info(b)->max_width, 4096);
	xpnn_close(b);
	b = open_port("model:seed=3,max_width=784");
	assert_int_equal(xpnn_board_info(b)->max_width, 784);
	/* the reference network's 784 inputs are at the limit: accepted */
	xp_netcfg cfg;
	xp_layer L[2];
	uint16_t tl[8];
	xpnn_shape sh;
	xp_netcfg_reference(&cfg, L, tl);
	assert_int_equal(xpnn_configure(b, &cfg, &sh), XPNN_OK);
	assert_int_equal(sh.n_in, 784);
	xpnn_close(b);
	/* one narrower: refused at n_in (ERR_RANGE with the board's limit) */
	b = open_port("model:seed=3,max_width=783");
	assert_int_equal(xpnn_configure(b, &cfg, NULL), XPNN_ENACK);
	assert_int_equal(xpnn_last_nack(b)->status, XP_RSP_RANGE);
	assert_non_null(strstr(xpnn_errmsg(b), "n_in = 784: legal range 1 … 783"));
	xpnn_close(b);
	/* n_out: 64 outputs on a board 64 wide, then 65 */
	b = open_port("model:seed=3,max_width=64");
	uint16_t t2[2] = { 0, 1 };
	xp_layer one = { .n_in = 10, .n_out = 64, .bias = 1, .act = XP_ACT_IDENTITY, .ntiles = 1,
			 .tiles = t2 };
	xp_netcfg c1 = { 1, &one };
	assert_int_equal(xpnn_configure(b, &c1, NULL), XPNN_OK);
	one.n_out = 65;
	one.ntiles = 2;
	assert_int_equal(xpnn_configure(b, &c1, NULL), XPNN_ENACK);
	assert_non_null(strstr(xpnn_errmsg(b), "n_out = 65: legal range 1 … 64"));
	xpnn_close(b);
	/* n_in's limit is min(max_width, NRB·R − bias): here NRB·R − 1 = 16·16 − 1 = 255 */
	b = open_port("model:seed=3,adc_bits=12,rows=16,max_width=300");
	one.n_in = 256;
	one.n_out = 8;
	one.ntiles = 1;
	assert_int_equal(xpnn_configure(b, &c1, NULL), XPNN_ENACK);
	assert_non_null(strstr(xpnn_errmsg(b), "n_in = 256: legal range 1 … 255"));
	xpnn_close(b);
}

/* ---- the engine under random byte streams: every valid request gets exactly one reply with
 * a good CRC, a repeated frame gets the same bytes, garbage never crashes it (run under ASan
 * and UBSan by make sanitize) ---- */

static size_t drain(xp_board *b, uint8_t *buf, size_t cap, uint8_t bodies[][64], size_t *lens,
		    int maxf, int *nf)
{
	const size_t n = xp_board_tx(b, buf, cap);
	xp_cobs_dec d;
	uint8_t tmp[1 << 17];
	xp_cobs_dec_init(&d, tmp, sizeof(tmp));
	*nf = 0;
	for (size_t i = 0; i < n;) {
		int done = 0, inc = 0;
		i += xp_cobs_dec_feed(&d, buf + i, n - i, &done, &inc);
		if (!done)
			break;
		assert_false(inc);
		assert_true(d.len >= 11);
		assert_int_equal(xp_crc32c(0, tmp, d.len - 4),
				 tmp[d.len - 4] | tmp[d.len - 3] << 8 | tmp[d.len - 2] << 16 |
					 (uint32_t)tmp[d.len - 1] << 24);
		if (*nf < maxf) {
			memcpy(bodies[*nf], tmp, d.len < 64 ? d.len : 64);
			lens[*nf] = d.len;
		}
		(*nf)++;
		xp_cobs_dec_next(&d);
	}
	return n;
}

/* A well-formed payload for cmd on the fuzz board (4 tiles of 32 x 16), else n unchanged;
 * now and then one byte is damaged afterwards. */
static size_t plausible(uint8_t cmd, uint8_t *pl, size_t n, unsigned *n_in)
{
	const unsigned t = rndu(4), r0 = rndu(32), c0 = rndu(16);
	const unsigned nr = 1 + rndu(32 - r0 < 4 ? 32 - r0 : 4), nc = 1 + rndu(16 - c0);
	switch (cmd) {
	case XP_CMD_INFO:
	case XP_CMD_STATUS:
	case XP_CMD_RESET:
		n = 0;
		break;
	case XP_CMD_SET_SEED:
		n = 8;
		break;
	case XP_CMD_CONFIGURE: {
		const unsigned ni = 1 + rndu(40), bias = rndu(2);
		const unsigned nt = (ni + bias + 31) / 32;
		const uint8_t net[] = { 1, (uint8_t)rndu(2), (uint8_t)bias, 1, 0, (uint8_t)ni, 0,
					(uint8_t)(1 + rndu(16)), 0, (uint8_t)nt, 0, 0, 0, 1, 0 };
		n = 11 + 2 * (size_t)nt;
		memcpy(pl, net, n);
		*n_in = ni;
		break;
	}
	case XP_CMD_SET_ADC:
		pl[0] = (uint8_t)t, pl[1] = 0, pl[2] = (uint8_t)c0, pl[3] = 0, pl[4] = (uint8_t)nc, pl[5] = 0;
		for (unsigned i = 0; i < nc; i++) {
			pl[6 + 4 * i] = (uint8_t)rnd64();
			pl[7 + 4 * i] = (uint8_t)rndu(32);
			pl[8 + 4 * i] = (uint8_t)rnd64();
			pl[9 + 4 * i] = (uint8_t)(rndu(2) ? 0 : 0xFF);
		}
		n = 6 + 4 * (size_t)nc;
		break;
	case XP_CMD_WRITE_CELLS:
	case XP_CMD_READ_CELLS: {
		const uint8_t h[] = { (uint8_t)t, 0, (uint8_t)r0, 0, (uint8_t)c0, 0, (uint8_t)nr, 0, (uint8_t)nc, 0 };
		memcpy(pl, h, 10);
		n = 10;
		if (cmd == XP_CMD_WRITE_CELLS) {
			for (unsigned i = 0; i < 2 * nr * nc; i++)
				pl[10 + i] = (uint8_t)rndu(16);
			n += 2 * (size_t)nr * nc;
		}
		break;
	}
	case XP_CMD_WRITE_LIST: {
		const unsigned cnt = 1 + rndu(6);
		pl[0] = (uint8_t)t, pl[1] = 0, pl[2] = (uint8_t)cnt, pl[3] = 0;
		for (unsigned i = 0; i < cnt; i++) {
			uint8_t *q = pl + 4 + 6 * i;
			q[0] = (uint8_t)rndu(32), q[1] = 0, q[2] = (uint8_t)rndu(16), q[3] = 0;
			q[4] = (uint8_t)rndu(16), q[5] = (uint8_t)rndu(16);
		}
		n = 4 + 6 * (size_t)cnt;
		break;
	}
	case XP_CMD_RUN: {
		const unsigned batch = 1 + rndu(3);
		pl[0] = (uint8_t)batch, pl[1] = 0, pl[2] = (uint8_t)rndu(2);
		for (unsigned i = 0; i < batch * *n_in; i++)
			pl[3 + i] = (uint8_t)rnd64();
		n = 3 + (size_t)batch * *n_in;
		break;
	}
	default:
		break;
	}
	if (n > 0 && rndu(8) == 0)
		pl[rndu((uint32_t)n)] ^= (uint8_t)(1u << rndu(8));
	return n;
}

static void test_engine_fuzz(void **state)
{
	(void)state;
	xp_board_config c;
	xp_board *b;
	char msg[XP_ERRMSG];
	static uint8_t pl[4096], wire[8192], out[1 << 18], prev[1 << 18];
	uint8_t bodies[4][64];
	size_t lens[4], prev_n = 0;
	int nf;
	xp_board_config_default(&c);
	c.params.tiles = 4;
	c.params.rows = 32;
	c.params.cols = 16;
	c.max_request = 2048;
	c.max_reply = 2048;
	c.max_batch = 8;
	assert_int_equal(xp_board_create(&b, &c, msg, sizeof(msg)), XP_OK);
	rs = seed0 + 21;
	uint8_t seq = 0;
	unsigned n_in = 1;
	unsigned seen[XP_RSP_MAX + 2] = { 0 }, kinds = 0;
	for (int it = 0; it < 6000; it++) {
		const unsigned kind = rndu(10);
		if (kind == 0) { /* garbage */
			const size_t n = 1 + rndu(300);
			for (size_t i = 0; i < n; i++)
				wire[i] = (uint8_t)rnd64();
			xp_board_rx(b, wire, n);
			xp_board_rx(b, (const uint8_t *)"\x7e", 1); /* ends a partial frame */
			drain(b, out, sizeof(out), bodies, lens, 4, &nf);
			continue;
		}
		/* a request: a mostly plausible payload for a random command */
		const uint8_t cmd = rndu(12) == 0 ? (uint8_t)rnd64() : (uint8_t)(1 + rndu(10));
		size_t n = rndu(4) == 0 ? rndu(2100) : rndu(40);
		for (size_t i = 0; i < n; i++)
			pl[i] = (uint8_t)(rndu(3) ? rndu(20) : rnd64());
		if (rndu(2))
			n = plausible(cmd, pl, n, &n_in);
		const size_t w = xpnn_encode_request(cmd, seq, pl, n, wire);
		if (kind == 1) { /* truncated, then the next request arrives */
			xp_board_rx(b, wire, rndu((uint32_t)w));
			xp_board_rx(b, (const uint8_t *)"\x7e", 1);
			drain(b, out, sizeof(out), bodies, lens, 4, &nf);
			assert_true(nf <= 1); /* the cut frame gets ERR_FRAME or ERR_CRC, or nothing if empty */
			continue;
		}
		xp_board_rx(b, wire, w);
		const size_t got = drain(b, out, sizeof(out), bodies, lens, 4, &nf);
		assert_int_equal(nf, 1);
		assert_int_equal(bodies[0][1], seq);
		assert_int_equal(bodies[0][0], cmd | 0x80);
		seen[bodies[0][2] <= XP_RSP_MAX ? bodies[0][2] : XP_RSP_MAX + 1]++;
		if (kind == 2) { /* the same frame again: a duplicate, answered byte for byte */
			memcpy(prev, out, got);
			prev_n = got;
			xp_board_rx(b, wire, w);
			assert_int_equal(xp_board_tx(b, out, sizeof(out)), prev_n);
			assert_memory_equal(out, prev, prev_n);
		}
		seq++;
	}
	/* the stream reached OK replies and most error kinds, not just one refusal */
	for (int k = 0; k <= XP_RSP_MAX; k++)
		kinds += seen[k] > 0;
	assert_true(seen[XP_RSP_OK] > 100);
	assert_true(kinds >= 6);
	assert_int_equal(seen[XP_RSP_MAX + 1], 0);
	xp_board_destroy(b);
}

static void test_ports(void **state)
{
	(void)state;
	xpnn_transport t;
	char err[XPNN_ERRMSG];
	assert_int_equal(xpnn_port_open(&t, "serial:/dev/x", err, sizeof(err)), XPNN_EPORT);
	assert_non_null(strstr(err, "model"));
	assert_non_null(strstr(err, "tcp://"));
	/* ftdi: a malformed spec names the field and the legal values; a well-formed one reaches
	 * libftdi1, which finds no such board (rc -3; -4 if one is plugged in but not ours to open) */
	assert_int_equal(xpnn_port_open(&t, "ftdi://0403/B", err, sizeof(err)), XPNN_EPORT);
	assert_non_null(strstr(err, "VID:PID '0403'"));
	assert_int_equal(xpnn_port_open(&t, "ftdi://0403:6010/Z", err, sizeof(err)), XPNN_EPORT);
	assert_non_null(strstr(err, "IFACE 'Z': legal values A, B, C, D or 1 … 4"));
	assert_int_equal(xpnn_port_open(&t, "ftdi://0403:6010:XPNNTEST0/2", err, sizeof(err)), XPNN_EPORT);
	assert_non_null(strstr(err, "FT2232H (0403:6010) channel B, serial XPNNTEST0"));
	if (strstr(err, "(rc -4)"))
		assert_non_null(strstr(err, "99-xpnn-ftdi.rules"));
	else
		assert_true(strstr(err, "device not found (rc -3)") && strstr(err, "lsusb"));
	int trc = xpnn_port_open(&t, "tty:/dev/ttyUSB1@3000000", err, sizeof(err));
	if (trc == XPNN_OK) /* a board is plugged in */
		xpnn_port_close(&t);
	else /* no such device, or in use: the message names it */
		assert_true(trc == XPNN_EPORT && strstr(err, "/dev/ttyUSB1"));
	assert_int_equal(xpnn_port_open(&t, "tty:/dev/ttyUSB1@abc", err, sizeof(err)), XPNN_EPORT);
	assert_non_null(strstr(err, "'abc'"));
	assert_non_null(strstr(err, "300 … 12000000"));
	assert_int_equal(xpnn_port_open(&t, "tty:/dev/ttyUSB1@99999999", err, sizeof(err)), XPNN_EPORT);
	assert_non_null(strstr(err, "legal range 300 … 12000000"));
	assert_int_equal(xpnn_port_open(&t, "tty:/dev/ttyUSB1@9600,xon", err, sizeof(err)), XPNN_EPORT);
	assert_non_null(strstr(err, "unknown option 'xon'"));
	assert_int_equal(xpnn_port_open(&t, "tty:", err, sizeof(err)), XPNN_EPORT);
	assert_non_null(strstr(err, "the device is missing"));
	assert_int_equal(xpnn_port_open(&t, "tty:/dev/null", err, sizeof(err)), XPNN_EPORT);
	assert_non_null(strstr(err, "/dev/null is not a serial port"));
	assert_int_equal(xpnn_port_open(&t, "model:seed=abc", err, sizeof(err)), XPNN_EPORT);
	assert_non_null(strstr(err, "seed = 'abc'"));
	assert_int_equal(xpnn_port_open(&t, "model:tiles=300", err, sizeof(err)), XPNN_EPORT);
	assert_non_null(strstr(err, "legal range 1 … 256"));
	assert_int_equal(xpnn_port_open(&t, "model:max_width=4097", err, sizeof(err)), XPNN_EPORT);
	assert_non_null(strstr(err, "max_width = '4097': legal range 1 … 4096"));
	assert_int_equal(xpnn_port_open(&t, "model:colour=red", err, sizeof(err)), XPNN_EPORT);
	assert_non_null(strstr(err, "unknown option 'colour'"));
	assert_int_equal(xpnn_port_open(&t, "model:max_reply=100,tiles=200", err, sizeof(err)), XPNN_EPORT);
	assert_non_null(strstr(err, "max_reply = 100"));
	assert_int_equal(xpnn_port_open(&t, "model:ideal,seed=0x10,boot=7", err, sizeof(err)), XPNN_OK);
	xpnn_port_close(&t);
}

int main(void)
{
	const char *e = getenv("XP_SEED");
	if (e)
		seed0 = strtoull(e, NULL, 0);
	fprintf(stderr, "test_link: XP_SEED=%llu\n", (unsigned long long)seed0);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc_kat),
		cmocka_unit_test(test_cobs_kat),
		cmocka_unit_test(test_cobs_roundtrip),
		cmocka_unit_test(test_cobs_malformed),
		cmocka_unit_test(test_link_lost_reply),
		cmocka_unit_test(test_link_damaged_and_lost_request),
		cmocka_unit_test(test_link_garbage_and_stale),
		cmocka_unit_test(test_link_gives_up),
		cmocka_unit_test(test_engine_equals_cmodel),
		cmocka_unit_test(test_write_list),
		cmocka_unit_test(test_engine_refusals),
		cmocka_unit_test(test_engine_max_width),
		cmocka_unit_test(test_engine_fuzz),
		cmocka_unit_test(test_ports),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
