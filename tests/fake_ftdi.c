/*
 * fake_ftdi.c — a fake FT2232H behind the libftdi1 1.5 calls of host/tr_ftdi.c (see
 * fake_ftdi.h). Linked with -Wl,--wrap=ftdi_new,… so that tr_ftdi.c's calls land here.
 *
 * It includes <ftdi.h> for the library's own signatures and struct ftdi_context (the
 * transport sets module_detach_mode and the USB timeouts in it, and reads the chip type):
 * a wrapper that disagreed with the library would not compile. Return codes and error
 * strings are libftdi 1.5's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ftdi.h>

#include "fake_ftdi.h"

/* The prototypes of the wrappers: the library's, under the names --wrap gives them. */
struct ftdi_context *__wrap_ftdi_new(void);
void __wrap_ftdi_free(struct ftdi_context *ftdi);
const char *__wrap_ftdi_get_error_string(struct ftdi_context *ftdi);
int __wrap_ftdi_set_interface(struct ftdi_context *ftdi, enum ftdi_interface interface);
int __wrap_ftdi_usb_open_desc_index(struct ftdi_context *ftdi, int vendor, int product,
				    const char *description, const char *serial,
				    unsigned int index);
int __wrap_ftdi_usb_close(struct ftdi_context *ftdi);
int __wrap_ftdi_tcioflush(struct ftdi_context *ftdi);
int __wrap_ftdi_set_line_property(struct ftdi_context *ftdi, enum ftdi_bits_type bits,
				  enum ftdi_stopbits_type sbit, enum ftdi_parity_type parity);
int __wrap_ftdi_set_baudrate(struct ftdi_context *ftdi, int baudrate);
int __wrap_ftdi_setflowctrl(struct ftdi_context *ftdi, int flowctrl);
int __wrap_ftdi_get_latency_timer(struct ftdi_context *ftdi, unsigned char *latency);
int __wrap_ftdi_set_latency_timer(struct ftdi_context *ftdi, unsigned char latency);
int __wrap_ftdi_read_data_set_chunksize(struct ftdi_context *ftdi, unsigned int chunksize);
int __wrap_ftdi_write_data_set_chunksize(struct ftdi_context *ftdi, unsigned int chunksize);
int __wrap_ftdi_read_data(struct ftdi_context *ftdi, unsigned char *buf, int size);
int __wrap_ftdi_write_data(struct ftdi_context *ftdi, const unsigned char *buf, int size);

#define STR_MAX 64
#define TOLERANCE_PCT 5 /* libftdi refuses a rate further off than this */

/* A context as handed out: the library's struct, and what the fake knows about it. */
typedef struct fake_ctx {
	struct ftdi_context ctx; /* first: the pointer the transport holds */
	int iface_set, open;
} fake_ctx;

typedef struct fake_dev {
	uint16_t vid, pid;
	char serial[STR_MAX], desc[STR_MAX];
	unsigned channels;
} fake_dev;

static struct {
	int ready;
	fake_ftdi_faults f;
	fake_ftdi_state st;
	fake_dev dev[FAKE_FTDI_MAX_DEVICES];
	size_t ndev;
	uint64_t rng;
	xp_board *board;
} G;

static uint64_t rnd(void)
{
	uint64_t z = (G.rng += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* 1 in n (never when n is 0). */
static int one_in(unsigned n)
{
	return n && rnd() % n == 0;
}

static int fail(struct ftdi_context *c, int rc, const char *msg)
{
	if (c)
		c->error_str = msg;
	return rc;
}

/* ---- configuration of the fake ---- */

static void faults_default(fake_ftdi_faults *f)
{
	memset(f, 0, sizeof(*f));
	f->seed = 1;
	f->dseed = 1;
	f->silent_after = -1;
}

int fake_ftdi_parse(const char *spec, fake_ftdi_faults *f, char *err, size_t errlen)
{
	char buf[256];

	faults_default(f);
	if (!spec || !*spec)
		return 0;
	if (strlen(spec) >= sizeof(buf)) {
		snprintf(err, errlen, "%s: longer than %zu characters", FAKE_FTDI_ENV, sizeof(buf) - 1);
		return -1;
	}
	strcpy(buf, spec);
	for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '='), *end;
		long long v;

		if (!eq)
			goto bad;
		*eq = 0;
		v = strtoll(eq + 1, &end, 0);
		if (!eq[1] || *end)
			goto bad;
		if (!strcmp(tok, "seed") && v >= 0)
			f->seed = (uint64_t)v;
		else if (!strcmp(tok, "dseed") && v >= 0)
			f->dseed = (uint64_t)v;
		else if (!strcmp(tok, "short") && v >= 0 && v <= 1000000)
			f->short_n = (unsigned)v;
		else if (!strcmp(tok, "zero") && v >= 0 && v <= 1000000)
			f->zero_n = (unsigned)v;
		else if (!strcmp(tok, "drop") && v >= 0 && v <= 1000000000)
			f->drop_n = (unsigned)v;
		else if (!strcmp(tok, "wshort") && v >= 0 && v <= 1000000)
			f->wshort_n = (unsigned)v;
		else if (!strcmp(tok, "chunk") && v >= 0 && v <= 1000000)
			f->chunk = (unsigned)v;
		else if (!strcmp(tok, "silent") && v >= 0)
			f->silent_after = (long)v;
		else if (!strcmp(tok, "wfail") && v >= 0)
			f->wfail_at = (long)v;
		else if (!strcmp(tok, "open") && v < 0 && v > -100)
			f->open_rc = (int)v;
		else if (!strcmp(tok, "latget") && v < 0 && v > -100)
			f->latget_rc = (int)v;
		else if (!strcmp(tok, "latset") && v < 0 && v > -100)
			f->latset_rc = (int)v;
		else
			goto bad;
		continue;
bad:
		snprintf(err, errlen, "%s: bad entry '%s%s%s': keys seed, dseed, short, zero, drop, "
			 "wshort, chunk, silent, wfail (non-negative), open, latget, latset (a negative "
			 "libftdi rc); see tests/fake_ftdi.h", FAKE_FTDI_ENV, tok, eq ? "=" : "",
			 eq ? eq + 1 : "");
		return -1;
	}
	return 0;
}

void fake_ftdi_set_faults(const fake_ftdi_faults *f)
{
	G.f = *f;
	G.rng = f->seed;
}

fake_ftdi_faults fake_ftdi_get_faults(void)
{
	return G.f;
}

void fake_ftdi_set_devices(const fake_ftdi_device *d, size_t n)
{
	G.ndev = n < FAKE_FTDI_MAX_DEVICES ? n : FAKE_FTDI_MAX_DEVICES;
	for (size_t i = 0; i < G.ndev; i++) {
		G.dev[i].vid = d[i].vid;
		G.dev[i].pid = d[i].pid;
		snprintf(G.dev[i].serial, STR_MAX, "%s", d[i].serial ? d[i].serial : "");
		snprintf(G.dev[i].desc, STR_MAX, "%s", d[i].desc ? d[i].desc : "");
		G.dev[i].channels = d[i].channels;
	}
}

int fake_ftdi_reset(const char *spec, char *err, size_t errlen)
{
	static const fake_ftdi_device ft2232h = { 0x0403, 0x6010, "FT1234AB", "Dual RS232-HS", 2 };
	fake_ftdi_faults f;

	if (fake_ftdi_parse(spec, &f, err, errlen))
		return -1;
	xp_board_destroy(G.board);
	memset(&G, 0, sizeof(G));
	G.ready = 1;
	G.st.opened_dev = -1;
	G.st.latency = FAKE_FTDI_POWERUP_LATENCY;
	fake_ftdi_set_devices(&ft2232h, 1);
	fake_ftdi_set_faults(&f);
	return 0;
}

const fake_ftdi_state *fake_ftdi_state_get(void)
{
	return &G.st;
}

void fake_ftdi_set_latency(unsigned char ms)
{
	G.st.latency = ms;
}

xp_board *fake_ftdi_board(void)
{
	return G.board;
}

static void ready(void)
{
	char err[512];

	if (G.ready)
		return;
	if (fake_ftdi_reset(getenv(FAKE_FTDI_ENV), err, sizeof(err))) {
		fprintf(stderr, "fake_ftdi: %s\n", err);
		exit(2);
	}
}

/* ---- the wrapped library ---- */

static fake_ctx *fc(struct ftdi_context *c)
{
	return (fake_ctx *)c;
}

/* The device is open on this context; otherwise count the misuse. */
static int is_open(struct ftdi_context *c)
{
	if (c && fc(c)->open)
		return 1;
	G.st.calls_closed++;
	return 0;
}

struct ftdi_context *__wrap_ftdi_new(void)
{
	fake_ctx *w;

	ready();
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	/* ftdi_init's defaults */
	w->ctx.usb_read_timeout = 5000;
	w->ctx.usb_write_timeout = 5000;
	w->ctx.type = TYPE_BM;
	w->ctx.baudrate = -1;
	w->ctx.interface = 0;
	w->ctx.index = INTERFACE_A;
	w->ctx.readbuffer_chunksize = 4096;
	w->ctx.writebuffer_chunksize = 4096;
	w->ctx.module_detach_mode = AUTO_DETACH_SIO_MODULE;
	w->ctx.error_str = "";
	G.st.news++;
	return &w->ctx;
}

void __wrap_ftdi_free(struct ftdi_context *c)
{
	if (!c)
		return;
	if (fc(c)->open) /* ftdi_free closes an open device (ftdi_deinit) */
		__wrap_ftdi_usb_close(c);
	G.st.frees++;
	free(fc(c));
}

const char *__wrap_ftdi_get_error_string(struct ftdi_context *c)
{
	return c ? c->error_str : "";
}

int __wrap_ftdi_set_interface(struct ftdi_context *c, enum ftdi_interface iface)
{
	if (!c)
		return fail(c, -2, "USB device unavailable");
	if (fc(c)->open && (int)iface != c->index)
		return fail(c, -3, "Interface can not be changed on an already open device");
	if (iface < INTERFACE_ANY || iface > INTERFACE_D)
		return fail(c, -1, "Unknown interface");
	c->index = iface == INTERFACE_ANY ? INTERFACE_A : (int)iface;
	c->interface = c->index - 1;
	fc(c)->iface_set = 1;
	G.st.iface = c->index;
	return 0;
}

static const struct {
	int rc;
	const char *msg;
} open_msgs[] = {
	{ -3, "device not found" },
	{ -4, "usb_open() failed" },
	{ -5, "unable to claim usb device. Make sure the default FTDI driver is not in use" },
	{ -6, "ftdi_usb_reset failed" },
	{ -7, "set baudrate failed" },
	{ -8, "inappropriate permissions on device!" },
	{ -9, "unable to fetch serial number" },
	{ -10, "unable to close device" },
	{ -11, "ftdi context invalid" },
	{ -12, "libusb_get_device_list() failed" },
};

int __wrap_ftdi_usb_open_desc_index(struct ftdi_context *c, int vendor, int product,
				    const char *description, const char *serial,
				    unsigned int index)
{
	char msg[XP_ERRMSG];
	xp_board_config cfg;

	G.st.open_calls++;
	if (!c)
		return fail(c, -11, "ftdi context invalid");
	G.st.vid = vendor;
	G.st.pid = product;
	G.st.index = index;
	snprintf(G.st.serial, sizeof(G.st.serial), "%s", serial ? serial : "");
	snprintf(G.st.desc, sizeof(G.st.desc), "%s", description ? description : "");
	G.st.iface_before_open = fc(c)->iface_set;
	G.st.detach_mode = (int)c->module_detach_mode;
	if (G.f.open_rc) {
		for (size_t i = 0; i < sizeof(open_msgs) / sizeof(open_msgs[0]); i++)
			if (open_msgs[i].rc == G.f.open_rc)
				return fail(c, G.f.open_rc, open_msgs[i].msg);
		return fail(c, G.f.open_rc, "injected open failure");
	}
	if (G.board) /* one USB bus, one board: the fake holds one open device */
		return fail(c, -5, "unable to claim usb device. Make sure the default FTDI driver is not in use");
	for (size_t i = 0; i < G.ndev; i++) {
		const fake_dev *d = &G.dev[i];
		if (d->vid != vendor || d->pid != product ||
		    (description && strcmp(description, d->desc)) || (serial && strcmp(serial, d->serial)))
			continue;
		if (index > 0) {
			index--;
			continue;
		}
		/* a channel the chip does not have: libusb cannot claim that interface */
		if ((unsigned)c->index > d->channels)
			return fail(c, -5, "unable to claim usb device. Make sure the default FTDI driver is not in use");
		xp_board_config_default(&cfg);
		cfg.params.dseed = G.f.dseed;
		cfg.boot_id = (uint32_t)rnd();
		if (xp_board_create(&G.board, &cfg, msg, sizeof(msg)) != XP_OK) {
			fprintf(stderr, "fake_ftdi: xp_board_create: %s\n", msg);
			exit(2);
		}
		fc(c)->open = 1;
		c->type = d->pid == 0x6010 ? TYPE_2232H : d->pid == 0x6011 ? TYPE_4232H :
			  d->pid == 0x6014 ? TYPE_232H : TYPE_R;
		c->baudrate = 9600; /* ftdi_usb_open_dev sets it */
		G.st.is_open = 1;
		G.st.latency_sets_open = 0;
		G.st.opens++;
		G.st.opened_dev = (int)i;
		return 0;
	}
	return fail(c, -3, "device not found");
}

int __wrap_ftdi_usb_close(struct ftdi_context *c)
{
	if (!c)
		return fail(c, -3, "ftdi context invalid");
	if (!fc(c)->open)
		return 0;
	fc(c)->open = 0;
	xp_board_destroy(G.board);
	G.board = NULL;
	G.st.is_open = 0;
	G.st.opened_dev = -1;
	G.st.closes++;
	return 0;
}

int __wrap_ftdi_tcioflush(struct ftdi_context *c)
{
	uint8_t junk[256];

	if (!is_open(c))
		return fail(c, -3, "USB device unavailable");
	while (xp_board_tx(G.board, junk, sizeof(junk)))
		;
	G.st.flushes++;
	return 0;
}

int __wrap_ftdi_set_line_property(struct ftdi_context *c, enum ftdi_bits_type bits,
				  enum ftdi_stopbits_type sbit, enum ftdi_parity_type parity)
{
	if (!is_open(c))
		return fail(c, -2, "USB device unavailable");
	G.st.bits = (int)bits;
	G.st.stop = (int)sbit;
	G.st.parity = (int)parity;
	return 0;
}

/* libftdi's divisor rounding (ftdi_to_clkbits): 12 MHz / n on H-series chips, 3 MHz / n on
 * the others, n = 1, 1.5, 2, or 2 … 16384 in steps of 1/8. */
static long rate_made(long baud, int h)
{
	const long base = h ? 12000000 : 3000000;
	long div8;

	if (baud >= base)
		return base;
	if (baud >= base * 2 / 3)
		return base * 2 / 3;
	if (baud >= base / 2)
		return base / 2;
	div8 = (base * 8 + baud / 2) / baud;
	if (div8 > 0x1ffff)
		div8 = 0x1ffff;
	return (base * 8 + div8 / 2) / div8;
}

int __wrap_ftdi_set_baudrate(struct ftdi_context *c, int baudrate)
{
	const int h = c && (c->type == TYPE_2232H || c->type == TYPE_4232H || c->type == TYPE_232H);
	long got;

	if (!is_open(c))
		return fail(c, -3, "USB device unavailable");
	if (baudrate <= 0)
		return fail(c, -1, "Silly baudrate <= 0.");
	got = rate_made(baudrate, h);
	if (got * 100 < (long)baudrate * (100 - TOLERANCE_PCT) ||
	    got * 100 > (long)baudrate * (100 + TOLERANCE_PCT))
		return fail(c, -1, "Unsupported baudrate. Note: bitbang baudrates are automatically multiplied by 4");
	c->baudrate = baudrate;
	G.st.baud = baudrate;
	return 0;
}

int __wrap_ftdi_setflowctrl(struct ftdi_context *c, int flowctrl)
{
	if (!is_open(c))
		return fail(c, -2, "USB device unavailable");
	G.st.flow = flowctrl;
	return 0;
}

int __wrap_ftdi_get_latency_timer(struct ftdi_context *c, unsigned char *latency)
{
	if (!is_open(c))
		return fail(c, -2, "USB device unavailable");
	if (G.f.latget_rc)
		return fail(c, G.f.latget_rc, "reading latency timer failed");
	*latency = G.st.latency;
	return 0;
}

int __wrap_ftdi_set_latency_timer(struct ftdi_context *c, unsigned char latency)
{
	if (!is_open(c))
		return fail(c, -3, "USB device unavailable");
	if (latency < 1)
		return fail(c, -1, "latency out of range. Only valid for 1-255");
	if (G.f.latset_rc)
		return fail(c, G.f.latset_rc, "unable to set latency timer");
	if (G.st.latency_sets_open++ == 0)
		G.st.latency_open = latency;
	G.st.latency = latency;
	return 0;
}

int __wrap_ftdi_read_data_set_chunksize(struct ftdi_context *c, unsigned int chunksize)
{
	if (!c)
		return fail(c, -1, "ftdi context invalid");
	if (!fc(c)->open)
		G.st.configured_before_open++;
	c->readbuffer_chunksize = chunksize;
	G.st.read_chunk = chunksize;
	return 0;
}

int __wrap_ftdi_write_data_set_chunksize(struct ftdi_context *c, unsigned int chunksize)
{
	if (!c)
		return fail(c, -1, "ftdi context invalid");
	if (!fc(c)->open)
		G.st.configured_before_open++;
	c->writebuffer_chunksize = chunksize;
	G.st.write_chunk = chunksize;
	return 0;
}

int __wrap_ftdi_read_data(struct ftdi_context *c, unsigned char *buf, int size)
{
	size_t pending, n, k = 0;

	if (!is_open(c))
		return fail(c, -666, "USB device unavailable");
	G.st.reads++;
	pending = xp_board_tx_pending(G.board);
	if (!pending || size <= 0)
		return 0;
	if (one_in(G.f.zero_n)) {
		G.st.zero_reads++;
		return 0;
	}
	n = pending < (size_t)size ? pending : (size_t)size;
	if (G.f.chunk && n > G.f.chunk)
		n = G.f.chunk;
	if (n > 1 && one_in(G.f.short_n)) {
		n = 1 + (size_t)(rnd() % (n - 1));
		G.st.short_reads++;
	}
	n = xp_board_tx(G.board, buf, n);
	for (size_t i = 0; i < n; i++) { /* lost bytes vanish from the stream */
		if (one_in(G.f.drop_n))
			G.st.dropped++;
		else
			buf[k++] = buf[i];
	}
	G.st.bytes_from_board += k;
	return (int)k;
}

int __wrap_ftdi_write_data(struct ftdi_context *c, const unsigned char *buf, int size)
{
	size_t n, heard;

	if (!is_open(c))
		return fail(c, -666, "USB device unavailable");
	G.st.writes++;
	if (G.f.wfail_at && G.st.writes == (uint64_t)G.f.wfail_at) {
		G.st.write_fails++;
		return fail(c, -1, "usb bulk write failed");
	}
	if (size <= 0)
		return 0;
	n = (size_t)size;
	if (n > 1 && one_in(G.f.wshort_n)) {
		n = 1 + (size_t)(rnd() % (n - 1));
		G.st.short_writes++;
	}
	heard = n;
	if (G.f.silent_after >= 0) {
		const uint64_t lim = (uint64_t)G.f.silent_after;
		heard = G.st.bytes_to_board >= lim ? 0 :
			lim - G.st.bytes_to_board < n ? (size_t)(lim - G.st.bytes_to_board) : n;
	}
	xp_board_rx(G.board, buf, heard);
	G.st.ignored += n - heard;
	G.st.bytes_to_board += n;
	return (int)n;
}
