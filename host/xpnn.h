/*
 * xpnn.h — libxpnn: talk to an xpnn board through any transport.
 *
 * Layers, bottom up (docs/protocol.md is the normative spec of what goes over the wire):
 *   transport  a struct of function pointers (open, write, read with timeout, close):
 *              model (the C board engine in-process), tcp (a served board), … (xpnn_port_open)
 *   link       framing (COBS/7E + CRC-32C), sequence numbers, deadlines, bounded retries with
 *              the same sequence number, a clear error after the last retry (xpnn_transact)
 *   board API  typed commands that hide framing and split large transfers into frames that fit
 *              the board's limits (xpnn_info_get … xpnn_run)
 *
 * Every function returns XPNN_OK (0) or a negative xpnn_rc; the board handle then holds a
 * message naming the command, the field, the value and the limit (xpnn_errmsg).
 * A handle is used from one thread at a time.
 */
#ifndef XPNN_H
#define XPNN_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "xp_board.h"
#include "xp_cmodel.h"

#ifdef __cplusplus
extern "C" {
#endif

#define XPNN_VERSION "0.3.0"
#define XPNN_ERRMSG 512

typedef enum xpnn_rc {
	XPNN_OK = 0,
	XPNN_EARG = -1,     /* bad argument on the host side: nothing was sent */
	XPNN_ENACK = -2,    /* the board answered with an error status (xpnn_last_nack) */
	XPNN_ETIMEOUT = -3, /* no valid reply after the last retry */
	XPNN_EIO = -4,      /* the transport failed (connection lost, device error) */
	XPNN_EPROTO = -5,   /* the board's reply is malformed (length, magic, version) */
	XPNN_ENOMEM = -6,
	XPNN_EPORT = -7,    /* bad port string, unknown or not-yet-built scheme, cannot open */
} xpnn_rc;

const char *xpnn_rc_name(int rc); /* "OK", "EARG", … */

/* ---- transports ---- */

typedef struct xpnn_transport xpnn_transport;

typedef struct xpnn_transport_ops {
	const char *scheme; /* "model", "tcp", "ftdi", "tty" */
	const char *usage;  /* e.g. "model[:seed=N,threads=N,…]" */
	/* Open from the port string after "scheme:" (after "tcp://" for tcp); set t->ctx and
	 * t->byte_ns (xpnn_port_open has set t->ops). Returns XPNN_OK or XPNN_EPORT with err
	 * filled. timeout_ms < 0 in write/read means no deadline. */
	int (*open)(xpnn_transport *t, const char *spec, char *err, size_t errlen);
	/* Write all n bytes within timeout_ms. XPNN_OK, XPNN_ETIMEOUT or XPNN_EIO. */
	int (*write)(xpnn_transport *t, const uint8_t *buf, size_t n, int timeout_ms, char *err,
		     size_t errlen);
	/* Read up to cap bytes, waiting at most timeout_ms for the first one. Returns the number
	 * of bytes read (> 0), 0 when the timeout passed (or no byte can ever come, e.g. the
	 * in-process model has no reply pending), or XPNN_EIO. */
	long (*read)(xpnn_transport *t, uint8_t *buf, size_t cap, int timeout_ms, char *err,
		     size_t errlen);
	void (*close)(xpnn_transport *t);
} xpnn_transport_ops;

struct xpnn_transport {
	const xpnn_transport_ops *ops;
	void *ctx;
	uint32_t byte_ns; /* wire time per byte for deadlines (0: negligible; UART: 10 bits) */
};

extern const xpnn_transport_ops xpnn_transport_model;
extern const xpnn_transport_ops xpnn_transport_tcp;
extern const xpnn_transport_ops xpnn_transport_ftdi; /* host/tr_ftdi.c, libftdi1 */
extern const xpnn_transport_ops xpnn_transport_tty;  /* host/tr_tty.c, termios */

/* Open a transport from a port string:
 *   model[:key=value,…]            the C board engine in this process (keys: xpnn help port)
 *   tcp://HOST:PORT                a board served on TCP (xpnn serve, xpnn-vboard)
 *   ftdi://[VID:PID][:SERIAL]/IFACE an FPGA board's FT2232H through libftdi1 (docs/boards.md)
 *   tty:/dev/ttyUSBn[@BAUD]         an FPGA board (or a pty) through a serial port
 * Unknown schemes get an error naming the supported ones. */
int xpnn_port_open(xpnn_transport *t, const char *port, char *err, size_t errlen);
void xpnn_port_close(xpnn_transport *t);
/* Multi-line description of the port syntax and every scheme's options (for --help). */
const char *xpnn_port_help(void);

/* The C board engine behind a model transport (NULL for other transports): lets a server
 * (xpnn serve) or a test reach the same board. */
xp_board *xpnn_model_board(xpnn_transport *t);

/* ---- the board handle and link ---- */

typedef struct xpnn_opts {
	int timeout_ms; /* base deadline of one try (default 1000) */
	int retries;    /* retries after the first try (default 3) */
	/* Link events (retries, stale replies, boot id changes), one line each; may be NULL. */
	void (*log)(void *ctx, const char *line);
	void *log_ctx;
} xpnn_opts;

void xpnn_opts_default(xpnn_opts *o);

typedef struct xpnn_info {
	uint16_t protocol_version, numerics_version;
	uint8_t impl; /* 1 C board engine, 2 RTL */
	uint16_t impl_version;
	uint32_t build_hash, boot_id;
	uint16_t rows, cols, tiles;
	uint8_t dac_bits, code_bits, adc_bits, g_bits, psum_bits, max_layers;
	uint16_t max_width, max_batch;
	uint32_t max_request, max_reply;
} xpnn_info;

typedef struct xpnn_status {
	uint32_t frames_ok, duplicates;
	uint32_t nacks[XP_RSP_MAX + 1]; /* by status code; [0] unused */
	uint64_t pulses, inferences, nseed;
	uint8_t nlayers;
	uint16_t n_in, n_out, n_all; /* the configured network's shape (0 if none) */
	uint16_t tiles;
	uint32_t tile_pulses[XP_MAX_TILES];
} xpnn_status;

/* Link statistics of this handle. */
typedef struct xpnn_linkstats {
	uint64_t commands, tries, retries, timeouts, stale_frames, bad_frames;
	uint64_t bytes_out, bytes_in;
} xpnn_linkstats;

typedef struct xpnn_board xpnn_board;

/* Open the port, then start the session with INFO (protocol §3.2); refuses a board whose
 * protocol version differs. err gets the reason on failure. */
int xpnn_open(xpnn_board **out, const char *port, const xpnn_opts *o, char *err, size_t errlen);
/* The same on an already opened transport (taken over: closed by xpnn_close). */
int xpnn_open_transport(xpnn_board **out, xpnn_transport *t, const xpnn_opts *o, char *err,
			size_t errlen);
void xpnn_close(xpnn_board *b);

const char *xpnn_errmsg(const xpnn_board *b); /* the last error, "" after success */
const xpnn_info *xpnn_board_info(const xpnn_board *b); /* from the session's INFO */
xpnn_transport *xpnn_board_transport(xpnn_board *b);
xpnn_linkstats xpnn_link_stats(const xpnn_board *b);
/* The boot id of the last reply, and whether it changed since the last call (reset or power
 * cycle: configuration and conductances are gone). */
uint32_t xpnn_boot_id(const xpnn_board *b);
int xpnn_boot_changed(xpnn_board *b);

/* The last error reply: status (XP_RSP_*) and its payload. */
typedef struct xpnn_nack {
	uint8_t cmd, status;
	uint8_t payload[16];
	size_t len;
} xpnn_nack;
const xpnn_nack *xpnn_last_nack(const xpnn_board *b);

/* One command through the link: payload from niov pieces; on success *reply points at the
 * reply's payload (valid until the next call) of *reply_len bytes. XPNN_ENACK when the
 * board's status is not OK (the payload is then the error payload). */
typedef struct xpnn_iov {
	const void *base;
	size_t len;
} xpnn_iov;
int xpnn_transact(xpnn_board *b, uint8_t cmd, const xpnn_iov *iov, int niov,
		  const uint8_t **reply, size_t *reply_len);

/* Raw access for conformance tests: write bytes as they are, and read the next frame the
 * board sends (decoded body, CRC not checked) within timeout_ms. xpnn_raw_frame returns the
 * body length, 0 on timeout, or a negative xpnn_rc. The next sequence number can be set. */
int xpnn_raw_write(xpnn_board *b, const void *bytes, size_t n);
long xpnn_raw_frame(xpnn_board *b, uint8_t *body, size_t cap, int timeout_ms);
uint8_t xpnn_next_seq(const xpnn_board *b);
void xpnn_set_next_seq(xpnn_board *b, uint8_t seq);

/* Encode a request body (cmd, seq, payload, CRC) as it goes on the wire, delimiters
 * included. out must hold XP_COBS_MAX(len + 6) + 2 bytes. Returns the wire length. */
size_t xpnn_encode_request(uint8_t cmd, uint8_t seq, const void *payload, size_t len,
			   uint8_t *out);

/* ---- typed board API ---- */

int xpnn_info_get(xpnn_board *b, xpnn_info *out);
int xpnn_status_get(xpnn_board *b, xpnn_status *out);
int xpnn_reset(xpnn_board *b);
int xpnn_set_seed(xpnn_board *b, uint64_t seed);
/* Network shape of the configured network. */
typedef struct xpnn_shape {
	uint16_t n_in, n_out, n_all;
} xpnn_shape;
int xpnn_configure(xpnn_board *b, const xp_netcfg *cfg, xpnn_shape *shape);
int xpnn_set_adc(xpnn_board *b, unsigned tile, unsigned c0, unsigned nc, const xp_adc *adc);
/* Rectangles of any size: split into frames that fit the board. codes / g are (nr, nc, 2).
 * *changed (may be NULL) is the sum over the frames. */
int xpnn_write_cells(xpnn_board *b, unsigned tile, unsigned r0, unsigned c0, unsigned nr,
		     unsigned nc, const uint8_t *codes, uint32_t *changed);
int xpnn_read_cells(xpnn_board *b, unsigned tile, unsigned r0, unsigned c0, unsigned nr,
		    unsigned nc, uint8_t *g);
/* Scattered cells of one tile (WRITE_LIST), programmed in list order, split into frames in
 * order: for updates that touch only the cells whose codes changed. */
typedef struct xpnn_cell {
	uint16_t row, col;
	uint8_t kp, km; /* codes (k+, k-) */
} xpnn_cell;
int xpnn_write_list(xpnn_board *b, unsigned tile, const xpnn_cell *cells, size_t n,
		    uint32_t *changed);
/* Batches of any size, split into frames of at most Bmax vectors (protocol §4.9). x is
 * (batch, n_in); out is (batch, K) with K = n_all when flags has XP_RUN_ALL_LAYERS, else n_out.
 * *n0 (may be NULL) gets the inference index of vector 0. The shape comes from this session's
 * CONFIGURE or, if there was none, from STATUS. */
int xpnn_run(xpnn_board *b, const uint8_t *x, uint32_t batch, unsigned flags, int16_t *out,
	     uint64_t *n0);
/* The network shape the handle knows (from CONFIGURE or STATUS); queries STATUS if needed.
 * A board without a network gives XPNN_ENACK with xpnn_last_nack()->status = XP_RSP_STATE,
 * as RUN itself would (the host learns it from STATUS without sending the RUN). */
int xpnn_shape_get(xpnn_board *b, xpnn_shape *shape);

/* ---- serving a board engine on TCP or a pty (xpnn serve; sim/ serves the RTL the same way) ---- */

/* Byte-level board behind a server: the C board engine, or (sim/) a Verilated RTL board. */
typedef struct xpnn_served {
	void *ctx;
	void (*rx)(void *ctx, const uint8_t *in, size_t n);       /* bytes from the client */
	size_t (*tx)(void *ctx, uint8_t *out, size_t cap);         /* reply bytes pending */
} xpnn_served;

typedef struct xpnn_serve_opts {
	const char *host;  /* listen address, default "127.0.0.1" */
	int port;          /* TCP port; 0 = any free port */
	int once;          /* return after the first client disconnects */
	/* serve on a new pseudo-terminal instead of TCP (host and port unused): clients open
	 * its slave with tty:/dev/pts/N; the slave's path is written to port_file (atomically)
	 * and logged. once: return after the first client closes the slave. */
	int pty;
	const char *port_file; /* if set, the bound port (pty: the slave's path) is written there
				* (atomically) once listening */
	void (*log)(void *ctx, const char *line); /* "listening on …", connects, disconnects */
	void *log_ctx;
	/* set non-zero to return: from a signal handler, or from another thread with
	 * __atomic_store_n(stop, 1, __ATOMIC_RELAXED) */
	volatile sig_atomic_t *stop;
} xpnn_serve_opts;

/* Serve clients one at a time until *stop or (once) the first client leaves. The same
 * board serves on TCP or (o->pty) on a pseudo-terminal. */
int xpnn_serve(const xpnn_served *board, const xpnn_serve_opts *o, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif /* XPNN_H */
