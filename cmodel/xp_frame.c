/*
 * xp_frame.c — framing primitives of docs/protocol.md §2: CRC-32C and COBS with delimiter 7E.
 * Shared by the board engine (xp_board.c) and the host's link layer.
 */
#include <string.h>

#include "xp_board.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define XP_CRC_X86 1
#elif defined(__aarch64__) && defined(__ARM_FEATURE_CRC32)
#include <arm_acle.h>
#define XP_CRC_ARM 1
#endif

/* Reflected CRC-32C table: crc32c_tab[i] = the CRC register after shifting in byte i. */
static const uint32_t crc32c_tab[256] = {
	0x00000000, 0xf26b8303, 0xe13b70f7, 0x1350f3f4, 0xc79a971f, 0x35f1141c,
	0x26a1e7e8, 0xd4ca64eb, 0x8ad958cf, 0x78b2dbcc, 0x6be22838, 0x9989ab3b,
	0x4d43cfd0, 0xbf284cd3, 0xac78bf27, 0x5e133c24, 0x105ec76f, 0xe235446c,
	0xf165b798, 0x030e349b, 0xd7c45070, 0x25afd373, 0x36ff2087, 0xc494a384,
	0x9a879fa0, 0x68ec1ca3, 0x7bbcef57, 0x89d76c54, 0x5d1d08bf, 0xaf768bbc,
	0xbc267848, 0x4e4dfb4b, 0x20bd8ede, 0xd2d60ddd, 0xc186fe29, 0x33ed7d2a,
	0xe72719c1, 0x154c9ac2, 0x061c6936, 0xf477ea35, 0xaa64d611, 0x580f5512,
	0x4b5fa6e6, 0xb93425e5, 0x6dfe410e, 0x9f95c20d, 0x8cc531f9, 0x7eaeb2fa,
	0x30e349b1, 0xc288cab2, 0xd1d83946, 0x23b3ba45, 0xf779deae, 0x05125dad,
	0x1642ae59, 0xe4292d5a, 0xba3a117e, 0x4851927d, 0x5b016189, 0xa96ae28a,
	0x7da08661, 0x8fcb0562, 0x9c9bf696, 0x6ef07595, 0x417b1dbc, 0xb3109ebf,
	0xa0406d4b, 0x522bee48, 0x86e18aa3, 0x748a09a0, 0x67dafa54, 0x95b17957,
	0xcba24573, 0x39c9c670, 0x2a993584, 0xd8f2b687, 0x0c38d26c, 0xfe53516f,
	0xed03a29b, 0x1f682198, 0x5125dad3, 0xa34e59d0, 0xb01eaa24, 0x42752927,
	0x96bf4dcc, 0x64d4cecf, 0x77843d3b, 0x85efbe38, 0xdbfc821c, 0x2997011f,
	0x3ac7f2eb, 0xc8ac71e8, 0x1c661503, 0xee0d9600, 0xfd5d65f4, 0x0f36e6f7,
	0x61c69362, 0x93ad1061, 0x80fde395, 0x72966096, 0xa65c047d, 0x5437877e,
	0x4767748a, 0xb50cf789, 0xeb1fcbad, 0x197448ae, 0x0a24bb5a, 0xf84f3859,
	0x2c855cb2, 0xdeeedfb1, 0xcdbe2c45, 0x3fd5af46, 0x7198540d, 0x83f3d70e,
	0x90a324fa, 0x62c8a7f9, 0xb602c312, 0x44694011, 0x5739b3e5, 0xa55230e6,
	0xfb410cc2, 0x092a8fc1, 0x1a7a7c35, 0xe811ff36, 0x3cdb9bdd, 0xceb018de,
	0xdde0eb2a, 0x2f8b6829, 0x82f63b78, 0x709db87b, 0x63cd4b8f, 0x91a6c88c,
	0x456cac67, 0xb7072f64, 0xa457dc90, 0x563c5f93, 0x082f63b7, 0xfa44e0b4,
	0xe9141340, 0x1b7f9043, 0xcfb5f4a8, 0x3dde77ab, 0x2e8e845f, 0xdce5075c,
	0x92a8fc17, 0x60c37f14, 0x73938ce0, 0x81f80fe3, 0x55326b08, 0xa759e80b,
	0xb4091bff, 0x466298fc, 0x1871a4d8, 0xea1a27db, 0xf94ad42f, 0x0b21572c,
	0xdfeb33c7, 0x2d80b0c4, 0x3ed04330, 0xccbbc033, 0xa24bb5a6, 0x502036a5,
	0x4370c551, 0xb11b4652, 0x65d122b9, 0x97baa1ba, 0x84ea524e, 0x7681d14d,
	0x2892ed69, 0xdaf96e6a, 0xc9a99d9e, 0x3bc21e9d, 0xef087a76, 0x1d63f975,
	0x0e330a81, 0xfc588982, 0xb21572c9, 0x407ef1ca, 0x532e023e, 0xa145813d,
	0x758fe5d6, 0x87e466d5, 0x94b49521, 0x66df1622, 0x38cc2a06, 0xcaa7a905,
	0xd9f75af1, 0x2b9cd9f2, 0xff56bd19, 0x0d3d3e1a, 0x1e6dcdee, 0xec064eed,
	0xc38d26c4, 0x31e6a5c7, 0x22b65633, 0xd0ddd530, 0x0417b1db, 0xf67c32d8,
	0xe52cc12c, 0x1747422f, 0x49547e0b, 0xbb3ffd08, 0xa86f0efc, 0x5a048dff,
	0x8ecee914, 0x7ca56a17, 0x6ff599e3, 0x9d9e1ae0, 0xd3d3e1ab, 0x21b862a8,
	0x32e8915c, 0xc083125f, 0x144976b4, 0xe622f5b7, 0xf5720643, 0x07198540,
	0x590ab964, 0xab613a67, 0xb831c993, 0x4a5a4a90, 0x9e902e7b, 0x6cfbad78,
	0x7fab5e8c, 0x8dc0dd8f, 0xe330a81a, 0x115b2b19, 0x020bd8ed, 0xf0605bee,
	0x24aa3f05, 0xd6c1bc06, 0xc5914ff2, 0x37faccf1, 0x69e9f0d5, 0x9b8273d6,
	0x88d28022, 0x7ab90321, 0xae7367ca, 0x5c18e4c9, 0x4f48173d, 0xbd23943e,
	0xf36e6f75, 0x0105ec76, 0x12551f82, 0xe03e9c81, 0x34f4f86a, 0xc69f7b69,
	0xd5cf889d, 0x27a40b9e, 0x79b737ba, 0x8bdcb4b9, 0x988c474d, 0x6ae7c44e,
	0xbe2da0a5, 0x4c4623a6, 0x5f16d052, 0xad7d5351,
};

static uint32_t crc32c_table(uint32_t c, const uint8_t *p, size_t n)
{
	while (n--)
		c = crc32c_tab[(c ^ *p++) & 0xff] ^ (c >> 8);
	return c;
}

uint32_t xp_crc32c_sw(uint32_t crc, const void *buf, size_t n)
{
	return ~crc32c_table(~crc, buf, n);
}

#if XP_CRC_X86
#include "xp_crc_tables.h"

/* One stream of the crc32 instruction: short buffers and CPUs without PCLMULQDQ. */
__attribute__((target("sse4.2"))) static uint32_t crc32c_sse42(uint32_t c, const uint8_t *p,
								 size_t n)
{
	uint64_t c64 = c;
	while (n >= 8) {
		uint64_t v;
		memcpy(&v, p, 8);
		c64 = _mm_crc32_u64(c64, v);
		p += 8;
		n -= 8;
	}
	c = (uint32_t)c64;
	while (n--)
		c = _mm_crc32_u8(c, *p++);
	return c;
}

/* ---- carry-less multiply folding (Gopal et al., Intel 2009), bit-reflected domain ----
 * A 128-bit lane x of the message is moved forward by D bits and added to the data there:
 * x.lo * k(D + 32) ^ x.hi * k(D - 32) has the same CRC as x followed by D / 8 zero bytes. Four
 * 128-bit lanes (SSE) or four 512-bit registers of four lanes (AVX-512) run independently,
 * then are folded together, reduced to 64 and 32 bits, and a Barrett step gives the register. */

#define CLMUL_TARGET "sse4.2,pclmul"
#define ZMM_TARGET "sse4.2,pclmul,avx512f,vpclmulqdq"

__attribute__((target(CLMUL_TARGET))) static inline __m128i fold128(__m128i x, __m128i k,
								    __m128i data)
{
	return _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00),
					   _mm_clmulepi64_si128(x, k, 0x11)),
			     data);
}

/* The register after a 128-bit state x and then n (< 16) bytes at p. */
__attribute__((target(CLMUL_TARGET))) static uint32_t clmul_finish(__m128i x, const uint8_t *p,
								    size_t n)
{
	const __m128i k128 = _mm_set_epi64x((long long)XP_CRC_K128_HIQ, (long long)XP_CRC_K128_LOQ);
	const __m128i mask32 = _mm_set_epi32(0, 0, 0, -1);
	const __m128i pmu = _mm_set_epi64x((long long)XP_CRC_MU, (long long)XP_CRC_POLY);
	/* 128 -> 96 bits: the low qword moved forward by 64 bits */
	x = _mm_xor_si128(_mm_clmulepi64_si128(x, k128, 0x10), _mm_srli_si128(x, 8));
	/* 96 -> 64 bits */
	__m128i t = _mm_clmulepi64_si128(_mm_and_si128(x, mask32),
					 _mm_set_epi64x(0, (long long)XP_CRC_K64), 0x00);
	x = _mm_xor_si128(_mm_srli_si128(x, 4), t);
	/* Barrett reduction to the 32-bit register */
	t = _mm_clmulepi64_si128(_mm_and_si128(x, mask32), pmu, 0x10);
	t = _mm_clmulepi64_si128(_mm_and_si128(t, mask32), pmu, 0x00);
	uint32_t c = (uint32_t)_mm_extract_epi32(_mm_xor_si128(x, t), 1);
	while (n--)
		c = _mm_crc32_u8(c, *p++);
	return c;
}

/* Four SSE lanes; n >= 64. */
__attribute__((target(CLMUL_TARGET))) static uint32_t crc32c_clmul(uint32_t c, const uint8_t *p,
								    size_t n)
{
	const __m128i k512 = _mm_set_epi64x((long long)XP_CRC_K512_HIQ, (long long)XP_CRC_K512_LOQ);
	const __m128i k128 = _mm_set_epi64x((long long)XP_CRC_K128_HIQ, (long long)XP_CRC_K128_LOQ);
	__m128i x0 = _mm_xor_si128(_mm_loadu_si128((const __m128i *)p), _mm_cvtsi32_si128((int)c));
	__m128i x1 = _mm_loadu_si128((const __m128i *)(p + 16));
	__m128i x2 = _mm_loadu_si128((const __m128i *)(p + 32));
	__m128i x3 = _mm_loadu_si128((const __m128i *)(p + 48));
	for (p += 64, n -= 64; n >= 64; p += 64, n -= 64) {
		x0 = fold128(x0, k512, _mm_loadu_si128((const __m128i *)p));
		x1 = fold128(x1, k512, _mm_loadu_si128((const __m128i *)(p + 16)));
		x2 = fold128(x2, k512, _mm_loadu_si128((const __m128i *)(p + 32)));
		x3 = fold128(x3, k512, _mm_loadu_si128((const __m128i *)(p + 48)));
	}
	x0 = fold128(fold128(fold128(x0, k128, x1), k128, x2), k128, x3);
	for (; n >= 16; p += 16, n -= 16)
		x0 = fold128(x0, k128, _mm_loadu_si128((const __m128i *)p));
	return clmul_finish(x0, p, n);
}

__attribute__((target(ZMM_TARGET))) static inline __m512i fold512(__m512i x, __m512i k,
								   __m512i data)
{
	return _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(x, k, 0x00),
					 _mm512_clmulepi64_epi128(x, k, 0x11), data, 0x96);
}

/* Four 512-bit registers over 256-byte strides; n >= 256. */
__attribute__((target(ZMM_TARGET))) static uint32_t crc32c_vpclmul(uint32_t c, const uint8_t *p,
								    size_t n)
{
	const __m512i k2048 = _mm512_broadcast_i32x4(
		_mm_set_epi64x((long long)XP_CRC_K2048_HIQ, (long long)XP_CRC_K2048_LOQ));
	const __m512i k512 = _mm512_broadcast_i32x4(
		_mm_set_epi64x((long long)XP_CRC_K512_HIQ, (long long)XP_CRC_K512_LOQ));
	__m512i z0 = _mm512_xor_si512(_mm512_loadu_si512(p), _mm512_castsi128_si512(_mm_cvtsi32_si128((int)c)));
	__m512i z1 = _mm512_loadu_si512(p + 64);
	__m512i z2 = _mm512_loadu_si512(p + 128);
	__m512i z3 = _mm512_loadu_si512(p + 192);
	for (p += 256, n -= 256; n >= 256; p += 256, n -= 256) {
		z0 = fold512(z0, k2048, _mm512_loadu_si512(p));
		z1 = fold512(z1, k2048, _mm512_loadu_si512(p + 64));
		z2 = fold512(z2, k2048, _mm512_loadu_si512(p + 128));
		z3 = fold512(z3, k2048, _mm512_loadu_si512(p + 192));
	}
	z3 = fold512(fold512(fold512(z0, k512, z1), k512, z2), k512, z3);
	/* the four lanes of z3 are consecutive 16-byte pieces: move each to the last */
	const __m128i k384 = _mm_set_epi64x((long long)XP_CRC_K384_HIQ, (long long)XP_CRC_K384_LOQ);
	const __m128i k256 = _mm_set_epi64x((long long)XP_CRC_K256_HIQ, (long long)XP_CRC_K256_LOQ);
	const __m128i k128 = _mm_set_epi64x((long long)XP_CRC_K128_HIQ, (long long)XP_CRC_K128_LOQ);
	__m128i x = _mm512_extracti32x4_epi32(z3, 3);
	x = fold128(_mm512_extracti32x4_epi32(z3, 0), k384, x);
	x = fold128(_mm512_extracti32x4_epi32(z3, 1), k256, x);
	x = fold128(_mm512_extracti32x4_epi32(z3, 2), k128, x);
	for (; n >= 16; p += 16, n -= 16)
		x = fold128(x, k128, _mm_loadu_si128((const __m128i *)p));
	return clmul_finish(x, p, n);
}

#endif

uint32_t xp_crc32c(uint32_t crc, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	uint32_t c = ~crc;
#if XP_CRC_X86
	if (n >= 256 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("vpclmulqdq"))
		return ~crc32c_vpclmul(c, p, n);
	if (n >= 64 && __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.2"))
		return ~crc32c_clmul(c, p, n);
	if (__builtin_cpu_supports("sse4.2"))
		return ~crc32c_sse42(c, p, n);
#elif XP_CRC_ARM
	while (n >= 8) {
		uint64_t v;
		memcpy(&v, p, 8);
		c = __crc32cd(c, v);
		p += 8;
		n -= 8;
	}
#endif
	return ~crc32c_table(c, p, n);
}

/* ---- COBS with delimiter 7E: data bytes other than 7E pass unchanged, code bytes are
 * (run length + 1) ^ 7E, a 7E in the body ends a run. ---- */

void xp_cobs_enc_init(xp_cobs_enc *e, uint8_t *out)
{
	e->code = out;
	e->out = out + 1;
	e->run = 0;
}

void xp_cobs_enc_feed(xp_cobs_enc *e, const uint8_t *in, size_t n)
{
	/* One scan to the next 7E, then whole blocks by memcpy: 7E is rare in typical payloads,
	 * so this is close to one copy. */
	while (n > 0) {
		const uint8_t *q = memchr(in, XP_DELIM, n);
		size_t span = q ? (size_t)(q - in) : n;
		n -= span;
		while (span > 0) {
			const size_t m = span < 254 - e->run ? span : 254 - e->run;
			memcpy(e->out, in, m);
			e->out += m;
			e->run += (unsigned)m;
			in += m;
			span -= m;
			if (e->run == 254) { /* a full run: code FF, no implied 7E */
				*e->code = 0xFF ^ XP_DELIM;
				e->code = e->out++;
				e->run = 0;
			}
		}
		if (q) { /* a 7E closes the run */
			*e->code = (uint8_t)((e->run + 1) ^ XP_DELIM);
			e->code = e->out++;
			e->run = 0;
			in++;
			n--;
		}
	}
}

size_t xp_cobs_enc_finish(xp_cobs_enc *e, const uint8_t *out_start)
{
	*e->code = (uint8_t)((e->run + 1) ^ XP_DELIM);
	return (size_t)(e->out - out_start);
}

void xp_cobs_dec_init(xp_cobs_dec *d, uint8_t *buf, size_t cap)
{
	d->buf = buf;
	d->cap = cap;
	xp_cobs_dec_next(d);
}

void xp_cobs_dec_next(xp_cobs_dec *d)
{
	d->len = 0;
	d->nonempty = 0;
	d->blk = 0;
	d->zero_pending = 0;
}

static void dec_put(xp_cobs_dec *d, const uint8_t *p, size_t k)
{
	if (d->len < d->cap) {
		const size_t room = d->cap - d->len;
		memcpy(d->buf + d->len, p, k < room ? k : room);
	}
	d->len = (uint64_t)d->len + k > UINT32_MAX ? UINT32_MAX : d->len + (uint32_t)k;
}

size_t xp_cobs_dec_feed(xp_cobs_dec *d, const uint8_t *in, size_t n, int *done, int *incomplete)
{
	static const uint8_t delim = XP_DELIM;
	const uint8_t *stop = NULL; /* the next 7E at or after in + i, or in + n: found once */
	size_t i = 0;
	*done = 0;
	while (i < n) {
		if (!stop || stop < in + i) {
			stop = memchr(in + i, XP_DELIM, n - i);
			if (!stop)
				stop = in + n;
		}
		if (in + i == stop) {
			i++;
			if (!d->nonempty)
				continue; /* empty frame: ignored */
			*done = 1;
			*incomplete = d->blk != 0;
			return i;
		}
		d->nonempty = 1;
		if (d->blk == 0) { /* code byte */
			const unsigned k = in[i++] ^ XP_DELIM; /* 1 … 255: in[i] != 7E */
			if (d->zero_pending)
				dec_put(d, &delim, 1);
			d->blk = k - 1;
			d->zero_pending = k < 0xFF;
			continue;
		}
		const size_t avail = (size_t)(stop - (in + i));
		const size_t m = d->blk < avail ? d->blk : avail;
		dec_put(d, in + i, m);
		d->blk -= (unsigned)m;
		i += m;
	}
	return i;
}
