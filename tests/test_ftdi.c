/*
 * test_ftdi.c — the ftdi:// transport (host/tr_ftdi.c) against a fake FT2232H
 * (tests/fake_ftdi.c: libftdi's calls wrapped at link time, the C board engine behind them).
 *
 * Port strings and their messages; which device the open asks libftdi for; the order of the
 * USB set-up (interface before open, kernel driver detached and reattached); the latency
 * timer at 1 ms while open and restored on close, also after a failed session; baud rate and
 * flow control; every open error's message and hint; whole sessions through libxpnn under
 * short reads, empty reads and short writes (bit-identical to the model transport); a silent
 * board (a timeout within the deadline, not a hang); a write error; lost reply bytes (retries).
 * Random faults use XP_SEED (printed); XP_TEST_FILTER selects tests (e.g. "test_ftdi_spec*").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "fake_ftdi.h"
#include "testrng.h"
#include "xpnn.h"

#define DETACH_REATTACH 2   /* libftdi's AUTO_DETACH_REATACH_SIO_MODULE */
#define FLOW_RTSCTS 0x100   /* SIO_RTS_CTS_HS */
#define BYTE_NS_3M 3334     /* ceil(10 bits / 3 Mbaud) */
#define SLOW_MS 10000       /* a 200 ms timeout that takes this long is a hang (a loaded machine stays far below) */

static uint64_t seed0 = 1;

static void reset(const char *faults)
{
	char err[256];

	if (fake_ftdi_reset(faults, err, sizeof(err)))
		fail_msg("%s", err);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Open a transport that must fail: its message. */
static const char *open_fails(const char *port)
{
	static char err[XPNN_ERRMSG];
	xpnn_transport t;

	err[0] = 0;
	assert_int_equal(xpnn_port_open(&t, port, err, sizeof(err)), XPNN_EPORT);
	assert_null(t.ops);
	return err;
}

static void has(const char *text, const char *piece)
{
	if (!strstr(text, piece))
		fail_msg("\"%s\" is not in the message: %s", piece, text);
}

/* Everything ftdi_new'd was freed and every open closed. */
static void balanced(void)
{
	const fake_ftdi_state *s = fake_ftdi_state_get();

	assert_int_equal(s->news, s->frees);
	assert_int_equal(s->opens, s->closes);
	assert_int_equal(s->is_open, 0);
	assert_int_equal(s->calls_closed, 0);
}

static xpnn_board *open_board(const char *port, int timeout_ms, int retries)
{
	char err[XPNN_ERRMSG];
	xpnn_opts o;
	xpnn_board *b;

	xpnn_opts_default(&o);
	o.timeout_ms = timeout_ms;
	o.retries = retries;
	if (xpnn_open(&b, port, &o, err, sizeof(err)) != XPNN_OK)
		fail_msg("%s: %s", port, err);
	return b;
}

/* ---- port strings ---- */

static void test_ftdi_spec_good(void **state)
{
	static const struct {
		const char *port;
		int vid, pid, iface, baud, flow, latency;
		const char *serial, *desc;
		uint32_t byte_ns;
	} good[] = {
		{ "ftdi://0403:6010/B", 0x0403, 0x6010, 2, 3000000, 0, 1, "", "", BYTE_NS_3M },
		{ "ftdi:///B", 0x0403, 0x6010, 2, 3000000, 0, 1, "", "", BYTE_NS_3M },
		{ "ftdi:///2", 0x0403, 0x6010, 2, 3000000, 0, 1, "", "", BYTE_NS_3M },
		{ "ftdi://0403:6010/a", 0x0403, 0x6010, 1, 3000000, 0, 1, "", "", BYTE_NS_3M },
		{ "ftdi://0403:6010:FT1234AB/B", 0x0403, 0x6010, 2, 3000000, 0, 1, "FT1234AB", "", BYTE_NS_3M },
		{ "ftdi://:FT1234AB/b", 0x0403, 0x6010, 2, 3000000, 0, 1, "FT1234AB", "", BYTE_NS_3M },
		{ "ftdi://403:6010/1?baud=115200,flow=rtscts,latency=4", 0x0403, 0x6010, 1, 115200,
		  FLOW_RTSCTS, 4, "", "", 86806 },
		{ "ftdi://0403:6010/B?baud=12000000&flow=none", 0x0403, 0x6010, 2, 12000000, 0, 1, "",
		  "", 834 },
		{ "ftdi://0403:6010/B?desc=Dual RS232-HS,index=0", 0x0403, 0x6010, 2, 3000000, 0, 1,
		  "", "Dual RS232-HS", BYTE_NS_3M },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char err[XPNN_ERRMSG] = "";
		xpnn_transport t;
		const fake_ftdi_state *s;

		reset(NULL);
		s = fake_ftdi_state_get();
		if (xpnn_port_open(&t, good[i].port, err, sizeof(err)) != XPNN_OK)
			fail_msg("%s: %s", good[i].port, err);
		assert_int_equal(s->is_open, 1);
		assert_int_equal(s->vid, good[i].vid);
		assert_int_equal(s->pid, good[i].pid);
		assert_int_equal(s->iface, good[i].iface);
		assert_int_equal(s->baud, good[i].baud);
		assert_int_equal(s->flow, good[i].flow);
		assert_int_equal(s->latency, good[i].latency);
		assert_string_equal(s->serial, good[i].serial);
		assert_string_equal(s->desc, good[i].desc);
		assert_int_equal(s->bits, 8); /* 8N1 */
		assert_int_equal(s->stop, 0);
		assert_int_equal(s->parity, 0);
		assert_int_equal(s->flushes, 1);
		assert_true(s->read_chunk >= 512 && s->write_chunk >= 64);
		assert_int_equal(t.byte_ns, good[i].byte_ns);
		assert_string_equal(t.ops->scheme, "ftdi");
		xpnn_port_close(&t);
		balanced();
	}
}

static void test_ftdi_spec_bad(void **state)
{
	static const struct {
		const char *port, *pieces[3];
	} bad[] = {
		{ "ftdi://0403/B", { "VID:PID '0403'", "both are needed", "0403:6010" } },
		{ "ftdi://0403:6010/Z", { "IFACE 'Z'", "A, B, C, D or 1 … 4", "channel B" } },
		{ "ftdi://0403:6010/BB", { "IFACE 'BB'", "A, B, C, D or 1 … 4", NULL } },
		{ "ftdi://0403:6010/5", { "IFACE '5'", NULL, NULL } },
		{ "ftdi://0403:6010", { "'/IFACE' is missing", "ftdi:///B", NULL } },
		{ "ftdi://0403:6010/", { "IFACE is missing", NULL, NULL } },
		{ "ftdi://0403:6010?baud=9600", { "'/IFACE' is missing", NULL, NULL } },
		{ "ftdi://04g3:6010/B", { "VID:PID '04g3:6010'", "VID is not a hex number", "0001 … FFFF" } },
		{ "ftdi://0403:60100/B", { "PID is not a hex number", NULL, NULL } },
		{ "ftdi://0000:6010/B", { "VID is not a hex number 0001 … FFFF", NULL, NULL } },
		{ "ftdi://0403:6010:FT 12/B", { "SERIAL 'FT 12'", "letters, digits", NULL } },
		{ "ftdi://0403:6010:/B", { "SERIAL ''", NULL, NULL } },
		{ "ftdi://0403:6010/B?baud=5", { "baud = '5'", "legal range 300 … 12000000", "3000000" } },
		{ "ftdi://0403:6010/B?baud=3M", { "baud = '3M'", "decimal", NULL } },
		{ "ftdi://0403:6010/B?baud=99999999999999999999", { "legal range 300 … 12000000", NULL, NULL } },
		{ "ftdi://0403:6010/B?flow=xonxoff", { "flow = 'xonxoff'", "none (default) or rtscts", NULL } },
		{ "ftdi://0403:6010/B?latency=0", { "latency = '0'", "legal range 1 … 255 ms", NULL } },
		{ "ftdi://0403:6010/B?latency=256", { "latency = '256'", NULL, NULL } },
		{ "ftdi://0403:6010/B?index=-1", { "index = '-1'", "legal range 0 … 255", NULL } },
		{ "ftdi://0403:6010/B?colour=red", { "unknown option 'colour'", "baud, flow, latency", NULL } },
		{ "ftdi://0403:6010/B?baud", { "option 'baud'", "key=value", NULL } },
		{ "ftdi://0403:6014/B", { "IFACE 'B'", "FT232H (0403:6014) has channel A only", NULL } },
		{ "ftdi://0403:6010/C", { "FT2232H (0403:6010) has channels A and B", NULL, NULL } },
		{ "ftdi:///C", { "IFACE 'C'", "channels A and B at most", "ftdi://0403:6011/C" } },
		{ "ftdi://:FT1/4", { "IFACE 'D'", "name the chip", NULL } },
	};
	(void)state;
	reset(NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *err = open_fails(bad[i].port);

		has(err, "bad port string \"");
		has(err, bad[i].port);
		has(err, "the syntax is ftdi://[VID:PID][:SERIAL]/IFACE");
		for (int k = 0; k < 3 && bad[i].pieces[k]; k++)
			has(err, bad[i].pieces[k]);
	}
	/* nothing reached libftdi */
	assert_int_equal(fake_ftdi_state_get()->news, 0);
	assert_int_equal(fake_ftdi_state_get()->open_calls, 0);
}

/* ---- device selection and USB set-up ---- */

static void test_ftdi_selection(void **state)
{
	static const fake_ftdi_device bus[] = {
		{ 0x0403, 0x6010, "A1", "Dual RS232-HS", 2 },
		{ 0x0403, 0x6010, "B2", "iCEBreaker V1.0e", 2 },
		{ 0x0403, 0x6014, "C3", "Single RS232-HS", 1 },
	};
	static const struct {
		const char *port;
		int dev; /* the device opened; -1: none */
		unsigned index;
		const char *pieces[3];
	} cases[] = {
		{ "ftdi://0403:6010/B", 0, 0, { NULL } },
		{ "ftdi://0403:6010/B?index=1", 1, 1, { NULL } },
		{ "ftdi://0403:6010:B2/B", 1, 0, { NULL } },
		{ "ftdi://:B2/B", 1, 0, { NULL } },
		{ "ftdi://0403:6010/B?desc=iCEBreaker V1.0e", 1, 0, { NULL } },
		{ "ftdi:///A?index=1", 1, 1, { NULL } },
		{ "ftdi://:C3/A", 2, 0, { NULL } }, /* not an FT2232H: the FT232H is tried next */
		{ "ftdi://0403:6014/1", 2, 0, { NULL } },
		{ "ftdi://0403:6010:ZZ9/B", -1, 0,
		  { "FT2232H (0403:6010) channel B, serial ZZ9", "device not found (rc -3)", "lsusb" } },
		{ "ftdi://0403:6010/B?index=2", -1, 2, { "channel B, index 2", "VID:PID", NULL } },
		{ "ftdi://:C3/B", -1, 0, { "0403:6010 channel B, serial C3", "device not found", NULL } },
		{ "ftdi://1d50:6146/A", -1, 0, { "cannot open 1d50:6146 channel A", "rc -3", NULL } },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[XPNN_ERRMSG] = "";
		xpnn_transport t;
		const fake_ftdi_state *s = fake_ftdi_state_get();
		int rc;

		reset(NULL);
		fake_ftdi_set_devices(bus, 3);
		rc = xpnn_port_open(&t, cases[i].port, err, sizeof(err));
		if (cases[i].dev >= 0) {
			if (rc != XPNN_OK)
				fail_msg("%s: %s", cases[i].port, err);
			assert_int_equal(s->opened_dev, cases[i].dev);
			assert_int_equal(s->vid, bus[cases[i].dev].vid);
			assert_int_equal(s->pid, bus[cases[i].dev].pid);
			xpnn_port_close(&t);
		} else {
			assert_int_equal(rc, XPNN_EPORT);
			has(err, cases[i].port);
			for (int k = 0; k < 3 && cases[i].pieces[k]; k++)
				has(err, cases[i].pieces[k]);
		}
		assert_int_equal(s->index, cases[i].index);
		balanced();
	}
}

static void test_ftdi_usb_setup(void **state)
{
	static const fake_ftdi_device ft4232h = { 0x0403, 0x6011, "Q1", "Quad RS232-HS", 4 };
	static const char *const ports[] = { "ftdi:///B", "ftdi://0403:6010/1", "ftdi://0403:6011/D" };
	static const int iface[] = { 2, 1, 4 };
	(void)state;
	for (int i = 0; i < 3; i++) {
		const fake_ftdi_state *s = fake_ftdi_state_get();
		char err[XPNN_ERRMSG];
		xpnn_transport t;

		reset(NULL);
		if (i == 2)
			fake_ftdi_set_devices(&ft4232h, 1);
		if (xpnn_port_open(&t, ports[i], err, sizeof(err)) != XPNN_OK)
			fail_msg("%s: %s", ports[i], err);
		assert_int_equal(s->iface, iface[i]);
		assert_int_equal(s->iface_before_open, 1); /* the interface is set before the open */
		assert_int_equal(s->detach_mode, DETACH_REATTACH);
		assert_int_equal(s->configured_before_open, 0);
		assert_int_equal(s->open_calls, 1);
		xpnn_port_close(&t);
		balanced();
		assert_int_equal(s->news, 1);
	}
}

/* ---- latency timer, baud rate, flow control ---- */

static void test_ftdi_latency(void **state)
{
	const fake_ftdi_state *s = fake_ftdi_state_get();
	fake_ftdi_faults f;
	char err[XPNN_ERRMSG];
	xpnn_transport t;
	xpnn_opts o;
	xpnn_board *b;
	(void)state;

	reset(NULL);
	assert_int_equal(s->latency, FAKE_FTDI_POWERUP_LATENCY);
	b = open_board("ftdi:///B", 200, 1);
	assert_int_equal(s->latency, 1);
	xpnn_close(b);
	assert_int_equal(s->latency, FAKE_FTDI_POWERUP_LATENCY);
	balanced();

	/* a chip left at 7 ms by someone else gets its 7 ms back; ?latency= is honoured */
	fake_ftdi_set_latency(7);
	assert_int_equal(xpnn_port_open(&t, "ftdi:///B?latency=3", err, sizeof(err)), XPNN_OK);
	assert_int_equal(s->latency, 3);
	xpnn_port_close(&t);
	assert_int_equal(s->latency, 7);
	b = open_board("ftdi:///B", 200, 1);
	assert_int_equal(s->latency, 1);
	xpnn_close(b);
	assert_int_equal(s->latency, 7);

	/* the session fails (a dead board): restored all the same */
	reset("silent=0");
	xpnn_opts_default(&o);
	o.timeout_ms = 30;
	o.retries = 0;
	assert_int_equal(xpnn_open(&b, "ftdi:///B", &o, err, sizeof(err)), XPNN_ETIMEOUT);
	assert_null(b);
	assert_int_equal(s->latency_open, 1);
	assert_int_equal(s->latency_sets_open, 2); /* set, then restored */
	assert_int_equal(s->latency, FAKE_FTDI_POWERUP_LATENCY);
	balanced();

	/* the timer cannot be read: nothing to restore it to, the open fails and closes */
	reset(NULL);
	f = fake_ftdi_get_faults();
	f.latget_rc = -1;
	fake_ftdi_set_faults(&f);
	has(open_fails("ftdi:///B"), "cannot read the latency timer");
	has(open_fails("ftdi:///B"), "reading latency timer failed (rc -1)");
	assert_int_equal(s->latency, FAKE_FTDI_POWERUP_LATENCY);
	assert_int_equal(s->opens, 2);
	balanced();

	/* it cannot be set */
	reset("latset=-2");
	has(open_fails("ftdi:///B?latency=3"), "cannot set the latency timer to 3 ms");
	has(open_fails("ftdi:///B"), "unable to set latency timer (rc -2)");
	assert_int_equal(s->latency, FAKE_FTDI_POWERUP_LATENCY);
	balanced();
}

static void test_ftdi_baud_flow(void **state)
{
	const fake_ftdi_state *s = fake_ftdi_state_get();
	char err[XPNN_ERRMSG];
	xpnn_transport t;
	const char *e;
	(void)state;

	reset(NULL);
	assert_int_equal(xpnn_port_open(&t, "ftdi:///B", err, sizeof(err)), XPNN_OK);
	assert_int_equal(s->baud, 3000000);
	assert_int_equal(s->flow, 0);
	assert_int_equal(t.byte_ns, BYTE_NS_3M);
	xpnn_port_close(&t);
	assert_int_equal(xpnn_port_open(&t, "ftdi:///B?flow=rtscts,baud=1000000", err, sizeof(err)),
			 XPNN_OK);
	assert_int_equal(s->baud, 1000000);
	assert_int_equal(s->flow, FLOW_RTSCTS);
	assert_int_equal(t.byte_ns, 10000);
	xpnn_port_close(&t);
	/* 10 Mbaud: the FT2232H makes 12 or 8 Mbaud, both too far off */
	reset(NULL);
	e = open_fails("ftdi:///B?baud=10000000");
	has(e, "baud = 10000000 refused");
	has(e, "Unsupported baudrate");
	has(e, "(rc -1)");
	has(e, "nearest rate is 8000000 baud (-20.0%");
	has(e, "?baud=3000000");
	assert_int_equal(s->baud, 0); /* never set */
	assert_int_equal(s->opens, 1);
	balanced();
}

/* ---- open errors: libftdi's rc and string, what it means, what to do ---- */

static void test_ftdi_open_errors(void **state)
{
	static const struct {
		int rc;
		const char *pieces[4];
	} cases[] = {
		{ -3, { "device not found (rc -3)", "FT2232H (0403:6010) channel B",
			"check the USB cable, the VID:PID", "lsusb" } },
		{ -4, { "usb_open() failed (rc -4)", "permission denied",
			"install scripts/99-xpnn-ftdi.rules", "docs/boards.md" } },
		{ -5, { "unable to claim usb device", "(rc -5)", "device busy",
			"another program holds this channel" } },
		{ -6, { "ftdi_usb_reset failed (rc -6)", "unplug and replug", "dmesg", NULL } },
		{ -8, { "inappropriate permissions on device! (rc -8)", "permission denied",
			"scripts/99-xpnn-ftdi.rules", NULL } },
		{ -9, { "unable to fetch serial number (rc -9)", "99-xpnn-ftdi.rules", NULL, NULL } },
		{ -12, { "libusb_get_device_list() failed (rc -12)", "/dev/bus/usb", NULL, NULL } },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fake_ftdi_faults f;
		const char *e;

		reset(NULL);
		f = fake_ftdi_get_faults();
		f.open_rc = cases[i].rc;
		fake_ftdi_set_faults(&f);
		e = open_fails("ftdi://0403:6010/B");
		has(e, "ftdi://0403:6010/B: cannot open");
		for (int k = 0; k < 4 && cases[i].pieces[k]; k++)
			has(e, cases[i].pieces[k]);
		assert_int_equal(fake_ftdi_state_get()->opens, 0);
		balanced();
	}
}

/* ---- sessions through libxpnn ---- */

/* The same commands on two boards: every reply equal. */
static void same_session(xpnn_board *a, xpnn_board *m)
{
	static uint8_t codes[128 * 64 * 2], g1[128 * 64 * 2], g2[128 * 64 * 2], x[20 * 784];
	static int16_t o1[20 * 74], o2[20 * 74];
	xpnn_status s1, s2;
	xpnn_info i1, i2;
	xp_netcfg cfg;
	xp_layer L[2];
	uint16_t tl[8];
	uint32_t c1, c2;

	assert_int_equal(xpnn_info_get(a, &i1), XPNN_OK);
	assert_int_equal(xpnn_info_get(m, &i2), XPNN_OK);
	assert_int_equal(i1.rows, i2.rows);
	assert_int_equal(i1.tiles, i2.tiles);
	assert_int_equal(i1.max_reply, i2.max_reply);
	assert_int_equal(xpnn_set_seed(a, 77), XPNN_OK);
	assert_int_equal(xpnn_set_seed(m, 77), XPNN_OK);
	for (unsigned t = 0; t < 8; t++) {
		for (size_t i = 0; i < sizeof(codes); i++)
			codes[i] = (uint8_t)rndu(16);
		assert_int_equal(xpnn_write_cells(a, t, 0, 0, 128, 64, codes, &c1), XPNN_OK);
		assert_int_equal(xpnn_write_cells(m, t, 0, 0, 128, 64, codes, &c2), XPNN_OK);
		assert_int_equal(c1, c2);
	}
	assert_int_equal(xpnn_read_cells(a, 3, 0, 0, 128, 64, g1), XPNN_OK);
	assert_int_equal(xpnn_read_cells(m, 3, 0, 0, 128, 64, g2), XPNN_OK);
	assert_memory_equal(g1, g2, sizeof(g1));
	xp_netcfg_reference(&cfg, L, tl);
	assert_int_equal(xpnn_configure(a, &cfg, NULL), XPNN_OK);
	assert_int_equal(xpnn_configure(m, &cfg, NULL), XPNN_OK);
	for (size_t i = 0; i < sizeof(x); i++)
		x[i] = rndu(2) ? 0 : (uint8_t)rnd64();
	assert_int_equal(xpnn_run(a, x, 20, XP_RUN_ALL_LAYERS, o1, NULL), XPNN_OK);
	assert_int_equal(xpnn_run(m, x, 20, XP_RUN_ALL_LAYERS, o2, NULL), XPNN_OK);
	assert_memory_equal(o1, o2, sizeof(o1));
	assert_int_equal(xpnn_status_get(a, &s1), XPNN_OK);
	assert_int_equal(xpnn_status_get(m, &s2), XPNN_OK);
	assert_int_equal(s1.pulses, s2.pulses);
	assert_int_equal(s1.inferences, 20);
	assert_int_equal(s2.inferences, 20);
}

static void test_ftdi_session_short_zero(void **state)
{
	const fake_ftdi_state *s = fake_ftdi_state_get();
	fake_ftdi_faults f;
	xpnn_board *a, *m;
	(void)state;

	reset("dseed=9");
	f = fake_ftdi_get_faults();
	f.seed = seed0;
	f.short_n = 2;
	f.zero_n = 3;
	f.wshort_n = 3;
	f.chunk = 300; /* what 3 Mbaud brings in the chip's 1 ms latency */
	fake_ftdi_set_faults(&f);
	rs = seed0;
	a = open_board("ftdi:///B", 1000, 0); /* no retries: a lost byte would fail the test */
	m = open_board("model:seed=9", 1000, 0);
	same_session(a, m);
	assert_int_equal(xpnn_link_stats(a).retries, 0);
	assert_int_equal(xpnn_link_stats(a).bad_frames, 0);
	/* the faults happened */
	assert_true(s->reads > 100);
	assert_true(s->short_reads > s->reads / 8);
	assert_true(s->zero_reads > s->reads / 8);
	assert_true(s->short_writes > s->writes / 8);
	assert_int_equal(s->dropped, 0);
	xpnn_close(a);
	xpnn_close(m);
	balanced();
}

/* A board that never answers: ETIMEOUT after the deadlines, not a hang; one that stops. */
static void test_ftdi_silent_timeout(void **state)
{
	const fake_ftdi_state *s = fake_ftdi_state_get();
	char err[XPNN_ERRMSG];
	fake_ftdi_faults f;
	xpnn_status st;
	xpnn_board *b;
	xpnn_opts o;
	int64_t t0, ms;
	(void)state;

	reset("silent=0");
	xpnn_opts_default(&o);
	o.timeout_ms = 100;
	o.retries = 1;
	t0 = now_ms();
	assert_int_equal(xpnn_open(&b, "ftdi:///B", &o, err, sizeof(err)), XPNN_ETIMEOUT);
	ms = now_ms() - t0;
	has(err, "INFO");
	has(err, "no valid reply after 2 tries");
	assert_true(ms >= 2 * 100 - 5);
	assert_true(ms < SLOW_MS);
	assert_true(s->reads > 10); /* it polled, it did not sleep through the deadline */
	balanced();

	/* it answers INFO, then falls silent */
	reset(NULL);
	b = open_board("ftdi:///B", 100, 1);
	f = fake_ftdi_get_faults();
	f.silent_after = (long)s->bytes_to_board;
	fake_ftdi_set_faults(&f);
	t0 = now_ms();
	assert_int_equal(xpnn_status_get(b, &st), XPNN_ETIMEOUT);
	ms = now_ms() - t0;
	has(xpnn_errmsg(b), "STATUS");
	assert_true(ms >= 2 * 100 - 5);
	assert_true(ms < SLOW_MS);
	assert_int_equal(xpnn_link_stats(b).timeouts, 2);
	xpnn_close(b);
	assert_int_equal(s->latency, FAKE_FTDI_POWERUP_LATENCY);
	balanced();
}

static void test_ftdi_write_error(void **state)
{
	const fake_ftdi_state *s = fake_ftdi_state_get();
	fake_ftdi_faults f;
	xpnn_status st;
	xpnn_board *b;
	(void)state;

	reset(NULL);
	b = open_board("ftdi:///B", 200, 3);
	f = fake_ftdi_get_faults();
	f.wfail_at = (long)s->writes + 1;
	fake_ftdi_set_faults(&f);
	assert_int_equal(xpnn_status_get(b, &st), XPNN_EIO);
	has(xpnn_errmsg(b), "STATUS: ftdi:///B: write failed");
	has(xpnn_errmsg(b), "usb bulk write failed (rc -1)");
	assert_int_equal(s->write_fails, 1);
	assert_int_equal(xpnn_link_stats(b).retries, 0); /* a dead device is not retried */
	xpnn_close(b);
	balanced();
}

/* Lost reply bytes: the link layer retries, every command succeeds. */
static void test_ftdi_lost_bytes_retried(void **state)
{
	const fake_ftdi_state *s = fake_ftdi_state_get();
	fake_ftdi_faults f;
	xpnn_status st;
	xpnn_board *b;
	int n = 0;
	(void)state;

	reset(NULL);
	f = fake_ftdi_get_faults();
	f.seed = seed0;
	f.drop_n = 400;
	fake_ftdi_set_faults(&f);
	b = open_board("ftdi:///B?baud=12000000", 20, 8);
	while (xpnn_link_stats(b).retries < 3 && n++ < 300)
		assert_int_equal(xpnn_status_get(b, &st), XPNN_OK);
	assert_true(xpnn_link_stats(b).retries >= 3);
	assert_true(s->dropped >= 3);
	/* only replies were hurt: every retry reached the board as a duplicate, answered from
	 * its memory, not executed twice */
	f.drop_n = 0;
	fake_ftdi_set_faults(&f);
	assert_int_equal(xpnn_status_get(b, &st), XPNN_OK);
	assert_int_equal(st.duplicates, xpnn_link_stats(b).retries);
	assert_int_equal(st.frames_ok, (uint32_t)xpnn_link_stats(b).tries);
	xpnn_close(b);
	balanced();
}

/* The fault syntax of XPNN_FAKE_FTDI (the conformance run through the fake relies on it). */
static void test_ftdi_fake_env(void **state)
{
	fake_ftdi_faults f;
	char err[256];
	(void)state;

	assert_int_equal(fake_ftdi_parse("short=3,zero=5,seed=7,open=-4,silent=0,chunk=64", &f,
					 err, sizeof(err)), 0);
	assert_int_equal(f.chunk, 64);
	assert_int_equal(f.short_n, 3);
	assert_int_equal(f.zero_n, 5);
	assert_int_equal(f.seed, 7);
	assert_int_equal(f.open_rc, -4);
	assert_int_equal(f.silent_after, 0);
	assert_int_equal(fake_ftdi_parse("", &f, err, sizeof(err)), 0);
	assert_int_equal(f.silent_after, -1);
	assert_int_equal(f.short_n, 0);
	assert_int_equal(fake_ftdi_parse("short=x", &f, err, sizeof(err)), -1);
	has(err, "XPNN_FAKE_FTDI: bad entry 'short=x'");
	assert_int_equal(fake_ftdi_parse("colour=1", &f, err, sizeof(err)), -1);
	assert_int_equal(fake_ftdi_parse("open=3", &f, err, sizeof(err)), -1);
	assert_int_equal(fake_ftdi_reset("zero", err, sizeof(err)), -1);
}

int main(void)
{
	const char *e = getenv("XP_SEED");

	if (e && *e)
		seed0 = strtoull(e, NULL, 0);
	fprintf(stderr, "test_ftdi: XP_SEED=%llu (set XP_SEED to reproduce)\n",
		(unsigned long long)seed0);
	e = getenv("XP_TEST_FILTER");
	if (e && *e)
		cmocka_set_test_filter(e);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ftdi_spec_good),
		cmocka_unit_test(test_ftdi_spec_bad),
		cmocka_unit_test(test_ftdi_selection),
		cmocka_unit_test(test_ftdi_usb_setup),
		cmocka_unit_test(test_ftdi_latency),
		cmocka_unit_test(test_ftdi_baud_flow),
		cmocka_unit_test(test_ftdi_open_errors),
		cmocka_unit_test(test_ftdi_session_short_zero),
		cmocka_unit_test(test_ftdi_silent_timeout),
		cmocka_unit_test(test_ftdi_write_error),
		cmocka_unit_test(test_ftdi_lost_bytes_retried),
		cmocka_unit_test(test_ftdi_fake_env),
	};
	return cmocka_run_group_tests_name("ftdi", tests, NULL, NULL);
}
