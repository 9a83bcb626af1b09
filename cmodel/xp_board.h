/*
 * xp_board.h — the C board engine: docs/protocol.md on top of the C model.
 *
 * A board is a byte-in/byte-out state machine: xp_board_rx() takes the bytes the host sent,
 * executes every frame they complete and queues the reply bytes, which xp_board_tx() hands
 * out. It is the golden reference for the RTL's controller: for the same configuration and
 * the same input bytes, every board answers with the same output bytes.
 *
 * The framing primitives (CRC-32C, COBS with delimiter 7E) are exported for the host's link
 * layer, so both ends share one implementation of protocol §2.
 *
 * C11, no I/O, no globals, deterministic; a board is used from one thread at a time.
 */
#ifndef XP_BOARD_H
#define XP_BOARD_H

#include <stddef.h>
#include <stdint.h>

#include "xp_cmodel.h"

#ifdef __cplusplus
extern "C" {
#endif

#define XP_PROTOCOL_VERSION 1 /* docs/protocol.md "Protocol version" */

#define XP_DELIM 0x7E /* frame delimiter (protocol §2.3) */

/* Command codes (protocol §4). */
enum xp_cmd {
	XP_CMD_INFO = 0x01,
	XP_CMD_STATUS = 0x02,
	XP_CMD_RESET = 0x03,
	XP_CMD_SET_SEED = 0x04,
	XP_CMD_CONFIGURE = 0x05,
	XP_CMD_SET_ADC = 0x06,
	XP_CMD_WRITE_CELLS = 0x07,
	XP_CMD_READ_CELLS = 0x08,
	XP_CMD_RUN = 0x09,
	XP_CMD_WRITE_LIST = 0x0A,
};
#define XP_REPLY_BIT 0x80

/* Reply status codes (protocol §5). */
enum xp_rsp {
	XP_RSP_OK = 0x00,
	XP_RSP_CRC = 0x01,
	XP_RSP_FRAME = 0x02,
	XP_RSP_CMD = 0x03,
	XP_RSP_LEN = 0x04,
	XP_RSP_RANGE = 0x05,
	XP_RSP_BATCH = 0x06,
	XP_RSP_STATE = 0x07,
	XP_RSP_CONFLICT = 0x08,
};
#define XP_RSP_MAX 8

/* ERR_FRAME reasons. */
enum { XP_FRAME_COBS = 1, XP_FRAME_SHORT = 2, XP_FRAME_LONG = 3 };

#define XP_MAX_PAYLOAD 65536u /* max_request, max_reply at most (u16 field offsets) */
#define XP_REQ_HDR 2   /* cmd, seq */
#define XP_RSP_HDR 7   /* cmd, seq, status, boot_id */
#define XP_CRC_LEN 4
#define XP_INFO_LEN 44
#define XP_STATUS_LEN(T) (74u + 4u * (T))
#define XP_RUN_HDR 3       /* request: batch, flags */
#define XP_RUN_RSP_HDR 11  /* reply: batch, flags, n0 */
#define XP_RUN_ALL_LAYERS 0x01
#define XP_LIST_HDR 4   /* WRITE_LIST: tile, count */
#define XP_LIST_REC 6   /* WRITE_LIST: row, col, k+, k- */

/* Little-endian fields (protocol §1). */
static inline void xp_put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}
static inline void xp_put32(uint8_t *p, uint32_t v)
{
	xp_put16(p, v);
	xp_put16(p + 2, v >> 16);
}
static inline void xp_put64(uint8_t *p, uint64_t v)
{
	xp_put32(p, (uint32_t)v);
	xp_put32(p + 4, (uint32_t)(v >> 32));
}
static inline uint32_t xp_get16(const uint8_t *p) { return p[0] | (uint32_t)p[1] << 8; }
static inline uint32_t xp_get32(const uint8_t *p) { return xp_get16(p) | xp_get16(p + 2) << 16; }
static inline uint64_t xp_get64(const uint8_t *p)
{
	return xp_get32(p) | (uint64_t)xp_get32(p + 4) << 32;
}

const char *xp_cmd_name(unsigned cmd);    /* "INFO", …; "?" for unknown codes */
const char *xp_rsp_name(unsigned status); /* "OK", "ERR_CRC", …; "?" */

/* ---- framing primitives (protocol §2) ---- */

/* CRC-32C of buf, continuing from crc (start with 0). xp_crc32c(0, "123456789", 9) ==
 * 0xE3069283. On x86 it folds with carry-less multiplication (PCLMULQDQ; VPCLMULQDQ on
 * AVX-512) and uses the SSE4.2 crc32 instruction for short buffers; ARMv8 CRC instructions;
 * a table elsewhere. */
uint32_t xp_crc32c(uint32_t crc, const void *buf, size_t n);
/* The same by table lookup only: what CPUs without CRC instructions run (exported for tests). */
uint32_t xp_crc32c_sw(uint32_t crc, const void *buf, size_t n);

/* Largest encoding of an n-byte body, without the two delimiters. */
#define XP_COBS_MAX(n) ((n) + ((n) + 1) / 254 + 1)

/* Streaming encoder of E(body) (protocol §2.3): feed the body in any pieces, then finish.
 * out must hold XP_COBS_MAX(total body length) bytes. */
typedef struct xp_cobs_enc {
	uint8_t *out, *code;
	unsigned run;
} xp_cobs_enc;
void xp_cobs_enc_init(xp_cobs_enc *e, uint8_t *out);
void xp_cobs_enc_feed(xp_cobs_enc *e, const uint8_t *in, size_t n);
/* Writes the last code byte; returns the number of bytes written since init. */
size_t xp_cobs_enc_finish(xp_cobs_enc *e, const uint8_t *out_start);

/* Streaming decoder: feed wire bytes; every delimiter that ends a non-empty frame stops the
 * feed and reports the frame. The decoded body is stored up to cap bytes (longer frames keep
 * counting in len and are reported as too long by the caller). */
typedef struct xp_cobs_dec {
	uint8_t *buf;
	size_t cap;
	uint32_t len;     /* decoded bytes of the current frame (saturating) */
	int nonempty;     /* the current frame has a byte other than the delimiter */
	unsigned blk;     /* data bytes left in the current block; 0: a code byte comes next */
	int zero_pending; /* the current block ends in an implied 7E if another block follows */
} xp_cobs_dec;
void xp_cobs_dec_init(xp_cobs_dec *d, uint8_t *buf, size_t cap);
/* Consumes bytes of in until a non-empty frame ends (returns the number consumed, the
 * delimiter included, and sets *done = 1; then *incomplete says whether the last COBS block was
 * cut short, and d->len is the frame's decoded length) or until in is exhausted (*done = 0).
 * Call xp_cobs_dec_next() before feeding the rest. */
size_t xp_cobs_dec_feed(xp_cobs_dec *d, const uint8_t *in, size_t n, int *done, int *incomplete);
void xp_cobs_dec_next(xp_cobs_dec *d);

/* ---- the board engine ---- */

typedef struct xp_board_config {
	xp_params params;      /* geometry and the board-private device model (numerics §2) */
	uint32_t max_request;  /* request payload bytes, 16 … 65536 */
	uint32_t max_reply;    /* reply payload bytes, STATUS reply … 65536 */
	uint16_t max_batch;    /* vectors per RUN frame, 1 … 65535 */
	uint16_t max_width;    /* widest layer (n_in, n_out) CONFIGURE accepts, 1 … XP_MAX_WIDTH:
				* an FPGA board sizes its layer-input buffers by it */
	uint32_t boot_id;      /* power-up boot id (protocol §3.3) */
	uint32_t build_hash;   /* reported by INFO */
	uint16_t impl_version; /* reported by INFO */
	uint8_t impl;          /* INFO's implementation code: 1 (default) this engine, 2 RTL; the
				* RTL co-simulation sets 2 so that both answer the same bytes */
	unsigned nthreads;     /* threads of RUN, 1 … 64 (results do not depend on it) */
} xp_board_config;

/* The reference board: xp_params_default(), 64 KiB frames, max_batch 1024, max_width 4096
 * (XP_MAX_WIDTH), boot_id 0, build_hash 0, impl 1, impl_version 1, one thread. */
void xp_board_config_default(xp_board_config *c);

typedef struct xp_board xp_board;

/* Create a board at power-up. XP_EINVAL with msg naming the field for a bad configuration. */
xp_status xp_board_create(xp_board **out, const xp_board_config *c, char *msg, size_t msglen);
void xp_board_destroy(xp_board *b);

/* Simulate a power cycle (fault injection for hosts' recovery tests): the board comes back
 * in its reset state (numerics §3) with the boot id a RESET would give, and its link forgets
 * everything (remembered reply, partial frame, queued reply bytes, counters). */
void xp_board_power_cycle(xp_board *b);

/* Bytes from the host: every frame completed is executed at once and its reply queued. Never
 * fails: bad input is answered on the wire as protocol §5 says. */
void xp_board_rx(xp_board *b, const uint8_t *in, size_t n);

/* Queued reply bytes: how many, and take up to cap of them (returns the number taken). */
size_t xp_board_tx_pending(const xp_board *b);
size_t xp_board_tx(xp_board *b, uint8_t *out, size_t cap);

/* The geometry and limits the board reports in INFO (device block zeroed). */
xp_board_config xp_board_public_config(const xp_board *b);

#ifdef __cplusplus
}
#endif
#endif /* XP_BOARD_H */
