/*
 * fake_ftdi.h — a fake FT2232H for tests of the ftdi:// transport (host/tr_ftdi.c).
 *
 * tests/fake_ftdi.c defines __wrap_ftdi_new, __wrap_ftdi_usb_open_desc_index, … for every
 * libftdi1 function tr_ftdi.c calls; a binary linked with -Wl,--wrap=ftdi_new,… (FTDI_WRAP in
 * the Makefile) gets them instead of the library. Bytes the host writes go into the C board
 * engine (cmodel/xp_board.h); its replies come back from reads. The fake records what the
 * transport did (checked by tests/test_ftdi.c) and injects faults, chosen by a test
 * (fake_ftdi_set_faults) or by the environment variable XPNN_FAKE_FTDI, e.g.
 *   XPNN_FAKE_FTDI=short=3,zero=5,seed=7 build/xpnn-conform-ftdi --port ftdi:///B
 * Keys (all optional; N and K are decimal, RC a negative libftdi return code):
 *   seed=N    seed of the random choices (default 1): runs are repeatable
 *   dseed=N   the board's device seed (default 1), as model:seed=N
 *   short=N   1 in N reads hands out fewer bytes than are pending
 *   zero=N    1 in N reads returns 0 bytes although some are pending
 *   drop=N    1 in N reply bytes is lost on the way to the host
 *   wshort=N  1 in N writes takes fewer bytes than it was given
 *   chunk=N   a read hands out at most N bytes (what arrives in one latency period)
 *   silent=K  the board hears nothing after the first K bytes written (0: a dead board)
 *   wfail=K   the K-th write call (from 1) fails as a USB error
 *   open=RC   the open fails with libftdi 1.5's rc and message (-3 not found, -4 usb_open,
 *             -5 claim, -6 reset, -8 permissions, -9 serial, -12 device list)
 *   latget=RC, latset=RC   the latency timer cannot be read / set
 * The fake is not thread-safe and has one USB bus: one transport open at a time.
 */
#ifndef XP_FAKE_FTDI_H
#define XP_FAKE_FTDI_H

#include <stddef.h>
#include <stdint.h>

#include "xp_board.h"

#define FAKE_FTDI_ENV "XPNN_FAKE_FTDI"
#define FAKE_FTDI_POWERUP_LATENCY 16 /* ms: what an FTDI chip's latency timer starts at */
#define FAKE_FTDI_MAX_DEVICES 4

/* A device on the fake bus. */
typedef struct fake_ftdi_device {
	uint16_t vid, pid;
	const char *serial, *desc; /* USB serial number and product strings */
	unsigned channels;         /* interfaces A … */
} fake_ftdi_device;

typedef struct fake_ftdi_faults {
	uint64_t seed, dseed;
	unsigned short_n, zero_n, drop_n, wshort_n; /* 1 in N; 0: never */
	unsigned chunk;      /* bytes a read hands out at most; 0: all pending */
	long silent_after;   /* bytes the board hears; -1: all */
	long wfail_at;       /* the write call that fails, from 1; 0: none */
	int open_rc, latget_rc, latset_rc; /* 0: no failure */
} fake_ftdi_faults;

/* What the transport did, as the fake saw it. */
typedef struct fake_ftdi_state {
	int news, frees;                /* ftdi_new, ftdi_free */
	int open_calls, opens, closes;  /* open attempts, successful opens, closes of an open device */
	int is_open;
	int opened_dev;                 /* index in the device list of the open device; -1 none */
	int iface;                      /* last ftdi_set_interface (INTERFACE_A = 1 …) */
	int iface_before_open;          /* the last open found the interface chosen before it */
	int detach_mode;                /* module_detach_mode the last open found */
	int vid, pid;                   /* arguments of the last open */
	unsigned index;
	char serial[64], desc[64];      /* "" when the open passed NULL */
	int baud, bits, stop, parity, flow;
	unsigned char latency;          /* the chip's latency timer; kept across opens */
	unsigned char latency_open;     /* the first value set after the last open */
	int latency_sets_open;          /* ftdi_set_latency_timer calls since the last open */
	unsigned read_chunk, write_chunk;
	int flushes;                    /* ftdi_tcioflush */
	int calls_closed;               /* calls that need an open device, made without one */
	int configured_before_open;     /* settings made on a context before its open */
	uint64_t reads, zero_reads, short_reads, writes, short_writes, write_fails;
	uint64_t bytes_to_board, bytes_from_board, dropped, ignored;
} fake_ftdi_state;

/* A fresh fake: one FT2232H (0403:6010, serial FT1234AB, "Dual RS232-HS"), latency timer at
 * power-up, counters zero, faults parsed from spec (NULL or "": none). Returns 0, or -1 with
 * err naming the bad key. Without a call, the first ftdi_new does fake_ftdi_reset of
 * $XPNN_FAKE_FTDI (and exits 2 if it is malformed). */
int fake_ftdi_reset(const char *spec, char *err, size_t errlen);
/* Parse a fault spec (the syntax above) into f, from the defaults: 0, or -1 with err. */
int fake_ftdi_parse(const char *spec, fake_ftdi_faults *f, char *err, size_t errlen);
void fake_ftdi_set_faults(const fake_ftdi_faults *f);
fake_ftdi_faults fake_ftdi_get_faults(void);
/* Replace the devices on the bus (at most FAKE_FTDI_MAX_DEVICES; strings are copied). */
void fake_ftdi_set_devices(const fake_ftdi_device *d, size_t n);
const fake_ftdi_state *fake_ftdi_state_get(void);
/* Leave the chip's latency timer at ms, as another program would. */
void fake_ftdi_set_latency(unsigned char ms);
/* The board behind the open device (NULL when none is open). */
xp_board *fake_ftdi_board(void);

#endif /* XP_FAKE_FTDI_H */
