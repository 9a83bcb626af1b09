/*
 * tr_ftdi.c — the ftdi:// transport: an FPGA board's UART behind an FTDI USB bridge (the
 * iCEBreaker's FT2232H, channel B), driven through libftdi1 1.5 instead of the kernel's
 * ftdi_sio driver. The only file of libxpnn that includes <ftdi.h>.
 *
 *   ftdi://[VID:PID][:SERIAL]/IFACE[?baud=N,flow=none|rtscts,latency=MS,index=N,desc=TEXT]
 *
 * Why libftdi and not tty:/dev/ttyUSBn: the chip's latency timer is set to 1 ms here (ftdi_sio
 * leaves 16 ms unless the user changes it: 16 ms per reply), a board is chosen by serial
 * number rather than by whichever ttyUSB number it got, and nothing else (ModemManager, a
 * terminal) can hold the port while we run. The kernel driver is detached while the port is
 * open and reattached on close (AUTO_DETACH_REATACH_SIO_MODULE), so /dev/ttyUSB* comes back.
 *
 * Every wait has a deadline: ftdi_read_data returns 0 bytes whenever the chip's latency timer
 * expires with nothing received, so read() polls until the first byte or the deadline, and
 * the USB timeouts of each libftdi call are cut to what is left of the deadline.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ftdi.h>
#include <libusb.h> /* LIBUSB_ERROR_TIMEOUT: what ftdi_read_data passes on from libusb */

#include "util.h"
#include "xpnn.h"

#define FTDI_DEFAULT_BAUD 3000000u /* the iCEBreaker gateware's UART (docs/protocol.md) */
#define FTDI_MIN_BAUD 300u
#define FTDI_MAX_BAUD 12000000u    /* H-series chips; the others stop at 3 Mbaud */
#define FTDI_DEFAULT_LATENCY 1u    /* ms: a reply leaves the chip 1 ms after its last byte */
#define FTDI_STR_MAX 64            /* serial number, product description */
#define FTDI_NAME_MAX 320
/* A read chunk of 16 KiB lets one ftdi_read_data call take a whole reply burst at 12 Mbaud
 * (about 1.2 KB a ms) without libftdi splitting it; writes go in 4 KiB pieces so that the
 * deadline is checked between pieces. */
#define FTDI_READ_CHUNK 16384u
#define FTDI_WRITE_CHUNK 4096u
#define FTDI_USB_TIMEOUT_MS 1000 /* one libftdi call at most, when there is no deadline */
#define FTDI_POLL_NS 200000L     /* between two empty reads */
#define FTDI_RATE_TOLERANCE 5    /* percent: libftdi refuses rates further off than this */
#define FTDI_SYNTAX                                                                         \
	"the syntax is ftdi://[VID:PID][:SERIAL]/IFACE[?baud=N,flow=none|rtscts,latency=MS,"    \
	"index=N,desc=TEXT], e.g. ftdi:///B or ftdi://0403:6010:FT1234AB/B (the iCEBreaker's " \
	"UART is channel B)"

/* FTDI chips this transport knows: names for messages, the channels they have, and which are
 * tried when the port names no VID:PID (in this order). Other VID:PIDs are opened as given. */
typedef struct ftdi_chip {
	uint16_t vid, pid;
	const char *name;
	unsigned channels; /* interfaces A … */
	int tried_by_default;
} ftdi_chip;

static const ftdi_chip chips[] = {
	{ 0x0403, 0x6010, "FT2232H", 2, 1 }, /* iCEBreaker, most dual-channel FPGA boards */
	{ 0x0403, 0x6014, "FT232H", 1, 1 },
	{ 0x0403, 0x6011, "FT4232H", 4, 0 },
	{ 0x0403, 0x6001, "FT232R", 1, 0 },
	{ 0x0403, 0x6015, "FT230X", 1, 0 },
};
#define NCHIPS (sizeof(chips) / sizeof(chips[0]))

/* What libftdi1 1.5's ftdi_usb_open_desc_index (and the ftdi_usb_open_dev it ends in) can
 * return, what it means and what to do. rc -3 and -8 mean two things each; the error string
 * tells them apart (match: a piece of it, NULL for any). */
typedef struct open_error {
	int rc;
	const char *match;
	const char *what;
	const char *hint;
} open_error;

#define HINT_RULES "install scripts/99-xpnn-ftdi.rules and join the plugdev group (see " \
	"docs/boards.md), then unplug and replug the board"
#define HINT_BUSY "another program holds this channel (openFPGALoader, iceprog, a second " \
	"xpnn, a terminal on /dev/ttyUSB*): close it; if none does, unplug and replug the board"
#define HINT_USB "unplug and replug the board, and look at `dmesg` for USB errors"

static const open_error open_errors[] = {
	{ -3, "not found", "nothing on the USB bus matches",
	  "check the USB cable, the VID:PID and the serial number (`lsusb` lists the VID:PID "
	  "of a plugged-in board; `lsusb -v -d VID:PID | grep iSerial` its serial number)" },
	{ -3, NULL, "the USB configuration could not be set (the kernel driver holds it)", HINT_BUSY },
	{ -4, NULL, "permission denied or device gone: the USB device could not be opened",
	  HINT_RULES },
	{ -5, NULL, "device busy: the interface could not be claimed", HINT_BUSY },
	{ -6, NULL, "the USB reset failed", HINT_USB },
	{ -7, NULL, "the initial baud rate could not be set", HINT_USB },
	{ -8, "permission", "permission denied: the kernel driver could not be detached",
	  HINT_RULES },
	{ -8, NULL, "the product description could not be read (permission?)", HINT_RULES },
	{ -9, NULL, "the serial number could not be read (permission?)", HINT_RULES },
	{ -10, NULL, "the USB device could not be closed", HINT_USB },
	{ -11, NULL, "the USB device descriptor could not be read", HINT_USB },
	{ -12, NULL, "the list of USB devices could not be read (is /dev/bus/usb there?)",
	  HINT_USB },
};

typedef struct ftdi_spec {
	int vid, pid;                /* -1: try the chips tried by default */
	char serial[FTDI_STR_MAX];   /* "": any */
	char desc[FTDI_STR_MAX];     /* "": any */
	unsigned iface;              /* 1 … 4: A … D */
	unsigned index;              /* the index-th matching device, from 0 */
	uint32_t baud;
	int rtscts;
	unsigned latency;            /* ms */
} ftdi_spec;

struct ftdi_tr {
	struct ftdi_context *ftdi;
	int usb_open;                /* ftdi_usb_open_desc_index succeeded */
	int latency_changed;         /* restore latency_saved on close */
	unsigned char latency_saved;
	char name[FTDI_NAME_MAX];    /* "ftdi://SPEC" as the user wrote it, for messages */
};

/* ---- deadlines (util.h: a negative timeout means none) ---- */

/* The USB timeout of the next libftdi call: what is left of the deadline, at least 1 ms
 * (libusb takes 0 as "forever"), at most FTDI_USB_TIMEOUT_MS. */
static int usb_timeout(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return FTDI_USB_TIMEOUT_MS;
	left = deadline - xpnn_now_ms();
	return left < 1 ? 1 : left > FTDI_USB_TIMEOUT_MS ? FTDI_USB_TIMEOUT_MS : (int)left;
}

static int past(int64_t deadline)
{
	return deadline >= 0 && xpnn_now_ms() >= deadline;
}

static void poll_pause(void)
{
	struct timespec ts = { 0, FTDI_POLL_NS };

	nanosleep(&ts, NULL);
}

/* ---- parsing the port string ---- */

static const ftdi_chip *chip_find(int vid, int pid)
{
	for (size_t i = 0; i < NCHIPS; i++)
		if (chips[i].vid == vid && chips[i].pid == pid)
			return &chips[i];
	return NULL;
}

/* Exactly 1 … 4 hex digits, 0x0001 … 0xFFFF: the value, or -1. */
static int parse_hex16(const char *s, size_t n)
{
	unsigned v = 0;

	if (n < 1 || n > 4)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const int c = (unsigned char)s[i];
		const unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0') :
				   c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10) :
				   c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16u;
		if (d > 15)
			return -1;
		v = v * 16 + d;
	}
	return v ? (int)v : -1;
}

/* Unsigned decimal in lo … hi: 0, or -1. */
static int parse_dec(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > hi)
			return -1;
	}
	if (v < lo)
		return -1;
	*out = v;
	return 0;
}

/* A serial number: letters, digits, '-', '_', '.'. */
static int serial_ok(const char *s, size_t n)
{
	if (n < 1 || n >= FTDI_STR_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return 0;
	}
	return 1;
}

/* The device part before '/': "", "VID:PID", "VID:PID:SERIAL" or ":SERIAL". */
static int parse_device(ftdi_spec *s, const char *p, size_t n, char *why, size_t wl)
{
	const char *c1 = memchr(p, ':', n), *c2;
	size_t vn;

	if (n == 0)
		return 0;
	if (c1 == p) { /* ":SERIAL": the default chips, this serial number */
		p++, n--;
		goto serial;
	}
	if (!c1) {
		xpnn_errf(why, wl, "VID:PID '%.*s': both are needed, as two hex numbers 0001 … FFFF, "
			  "e.g. 0403:6010 (FT2232H) or 0403:6014 (FT232H)", (int)n, p);
		return -1;
	}
	c2 = memchr(c1 + 1, ':', n - (size_t)(c1 + 1 - p));
	vn = (size_t)((c2 ? c2 : p + n) - p);
	s->vid = parse_hex16(p, (size_t)(c1 - p));
	s->pid = parse_hex16(c1 + 1, vn - (size_t)(c1 + 1 - p));
	if (s->vid < 0 || s->pid < 0) {
		xpnn_errf(why, wl, "VID:PID '%.*s': %s is not a hex number 0001 … FFFF, e.g. "
			  "0403:6010 (FT2232H) or 0403:6014 (FT232H)", (int)vn, p,
			  s->vid < 0 ? "VID" : "PID");
		return -1;
	}
	if (!c2)
		return 0;
	n -= (size_t)(c2 + 1 - p);
	p = c2 + 1;
serial:
	if (!serial_ok(p, n)) {
		xpnn_errf(why, wl, "SERIAL '%.*s': 1 … %d letters, digits, '-', '_' or '.' "
			  "(`lsusb -v -d VID:PID | grep iSerial` shows it)", (int)n, p,
			  FTDI_STR_MAX - 1);
		return -1;
	}
	memcpy(s->serial, p, n);
	s->serial[n] = 0;
	return 0;
}

static int parse_iface(ftdi_spec *s, const char *p, size_t n, char *why, size_t wl)
{
	const char c = n == 1 ? p[0] : 0;

	if (c >= 'A' && c <= 'D')
		s->iface = (unsigned)(c - 'A' + 1);
	else if (c >= 'a' && c <= 'd')
		s->iface = (unsigned)(c - 'a' + 1);
	else if (c >= '1' && c <= '4')
		s->iface = (unsigned)(c - '0');
	if (s->iface)
		return 0;
	if (n == 0)
		xpnn_errf(why, wl, "IFACE is missing after '/': A, B, C, D or 1 … 4 (the "
			  "iCEBreaker's UART is channel B: ftdi:///B)");
	else
		xpnn_errf(why, wl, "IFACE '%.*s': legal values A, B, C, D or 1 … 4 (the "
			  "iCEBreaker's UART is channel B)", (int)n, p);
	return -1;
}

/* "key=value" pairs separated by ',' or '&'. */
static int parse_options(ftdi_spec *s, const char *p, char *why, size_t wl)
{
	char buf[256];
	uint64_t v;

	if (strlen(p) >= sizeof(buf)) {
		xpnn_errf(why, wl, "the options after '?' are longer than %zu characters",
			  sizeof(buf) - 1);
		return -1;
	}
	strcpy(buf, p);
	for (char *save = NULL, *tok = strtok_r(buf, ",&", &save); tok;
	     tok = strtok_r(NULL, ",&", &save)) {
		char *val = strchr(tok, '=');

		if (!val) {
			xpnn_errf(why, wl, "option '%s': expected key=value with key baud, flow, "
				  "latency, index or desc", tok);
			return -1;
		}
		*val++ = 0;
		if (!strcmp(tok, "baud")) {
			if (parse_dec(val, FTDI_MIN_BAUD, FTDI_MAX_BAUD, &v)) {
				xpnn_errf(why, wl, "baud = '%s': legal range %u … %u (decimal; the "
					  "iCEBreaker's gateware runs at %u)", val, FTDI_MIN_BAUD,
					  FTDI_MAX_BAUD, FTDI_DEFAULT_BAUD);
				return -1;
			}
			s->baud = (uint32_t)v;
		} else if (!strcmp(tok, "flow")) {
			if (strcmp(val, "none") && strcmp(val, "rtscts")) {
				xpnn_errf(why, wl, "flow = '%s': legal values none (default) or rtscts",
					  val);
				return -1;
			}
			s->rtscts = !strcmp(val, "rtscts");
		} else if (!strcmp(tok, "latency")) {
			if (parse_dec(val, 1, 255, &v)) {
				xpnn_errf(why, wl, "latency = '%s': legal range 1 … 255 ms (default %u: "
					  "higher values only slow every reply down)", val,
					  FTDI_DEFAULT_LATENCY);
				return -1;
			}
			s->latency = (unsigned)v;
		} else if (!strcmp(tok, "index")) {
			if (parse_dec(val, 0, 255, &v)) {
				xpnn_errf(why, wl, "index = '%s': legal range 0 … 255 (the index-th of "
					  "the matching devices, from 0)", val);
				return -1;
			}
			s->index = (unsigned)v;
		} else if (!strcmp(tok, "desc")) {
			if (!*val || strlen(val) >= FTDI_STR_MAX) {
				xpnn_errf(why, wl, "desc = '%s': the USB product string, 1 … %d "
					  "characters (e.g. desc=Dual RS232-HS)", val, FTDI_STR_MAX - 1);
				return -1;
			}
			strcpy(s->desc, val);
		} else {
			xpnn_errf(why, wl, "unknown option '%s': options are baud, flow, latency, "
				  "index and desc", tok);
			return -1;
		}
	}
	return 0;
}

/* Fill s from the part after "ftdi://": 0, or -1 with why naming the field, the value and
 * its legal range. */
static int spec_parse(const char *spec, ftdi_spec *s, char *why, size_t wl)
{
	const char *slash = strchr(spec, '/'), *q;
	const ftdi_chip *chip;

	memset(s, 0, sizeof(*s));
	s->vid = s->pid = -1;
	s->baud = FTDI_DEFAULT_BAUD;
	s->latency = FTDI_DEFAULT_LATENCY;
	q = strchr(spec, '?');
	if (!slash || (q && q < slash)) {
		xpnn_errf(why, wl, "'/IFACE' is missing: add the channel, A … D or 1 … 4 (the "
			  "iCEBreaker's UART is channel B: ftdi:///B)");
		return -1;
	}
	if (parse_device(s, spec, (size_t)(slash - spec), why, wl))
		return -1;
	if (parse_iface(s, slash + 1, q ? (size_t)(q - slash - 1) : strlen(slash + 1), why, wl))
		return -1;
	if (q && parse_options(s, q + 1, why, wl))
		return -1;
	if (s->vid < 0 && s->iface > 2) { /* the chips tried by default have A and B at most */
		xpnn_errf(why, wl, "IFACE '%c': without a VID:PID the FT2232H (0403:6010) and the "
			  "FT232H (0403:6014) are tried, which have channels A and B at most; name "
			  "the chip, e.g. ftdi://0403:6011/%c (FT4232H)", 'A' + s->iface - 1,
			  'A' + s->iface - 1);
		return -1;
	}
	chip = s->vid >= 0 ? chip_find(s->vid, s->pid) : NULL;
	if (chip && s->iface > chip->channels) {
		xpnn_errf(why, wl, "IFACE '%c': the %s (%04x:%04x) has %s", 'A' + s->iface - 1,
			  chip->name, s->vid, s->pid, chip->channels == 1 ? "channel A only" :
			  chip->channels == 2 ? "channels A and B" : "channels A … D");
		return -1;
	}
	return 0;
}

/* ---- messages ---- */

static const open_error *open_error_find(int rc, const char *str)
{
	for (size_t i = 0; i < sizeof(open_errors) / sizeof(open_errors[0]); i++) {
		const open_error *e = &open_errors[i];
		if (e->rc == rc && (!e->match || (str && strstr(str, e->match))))
			return e;
	}
	return NULL;
}

static const char *err_str(struct ftdi_context *f)
{
	const char *s = f ? ftdi_get_error_string(f) : NULL;

	return s && *s ? s : "no error string";
}

/* "FT2232H (0403:6010)" or "0403:6010". */
static void device_label(char *out, size_t n, int vid, int pid)
{
	const ftdi_chip *chip = chip_find(vid, pid);

	if (chip)
		snprintf(out, n, "%s (%04x:%04x)", chip->name, vid, pid);
	else
		snprintf(out, n, "%04x:%04x", vid, pid);
}

/* The rate an FTDI chip makes for baud (libftdi's divisor rounding): H-series chips divide
 * 12 MHz, the others 3 MHz, by 1, 1.5, 2, or 2 … 16384 in steps of 1/8. */
static uint32_t nearest_rate(uint32_t baud, int h_series)
{
	const uint64_t base = h_series ? 12000000u : 3000000u;
	uint64_t div8;

	if (baud >= base)
		return (uint32_t)base;
	if (baud >= base * 2 / 3)
		return (uint32_t)(base * 2 / 3);
	if (baud >= base / 2)
		return (uint32_t)(base / 2);
	div8 = (base * 8 + baud / 2) / baud;
	if (div8 > 0x1ffff)
		div8 = 0x1ffff;
	return (uint32_t)((base * 8 + div8 / 2) / div8);
}

/* ---- opening ---- */

/* Open the index-th matching device, trying the default chips when the port names none.
 * Returns libftdi's rc; *vid, *pid get the last one tried. */
static int open_device(struct ftdi_tr *c, const ftdi_spec *s, int *vid, int *pid)
{
	const char *desc = s->desc[0] ? s->desc : NULL;
	const char *serial = s->serial[0] ? s->serial : NULL;
	int rc = -3;

	if (s->vid >= 0) {
		*vid = s->vid;
		*pid = s->pid;
		return ftdi_usb_open_desc_index(c->ftdi, s->vid, s->pid, desc, serial, s->index);
	}
	for (size_t i = 0; i < NCHIPS; i++) {
		if (!chips[i].tried_by_default || s->iface > chips[i].channels)
			continue;
		*vid = chips[i].vid;
		*pid = chips[i].pid;
		rc = ftdi_usb_open_desc_index(c->ftdi, chips[i].vid, chips[i].pid, desc, serial,
					      s->index);
		if (rc != -3 || !strstr(err_str(c->ftdi), "not found"))
			return rc;
	}
	return rc;
}

/* Describe what the open was looking for: "FT2232H (0403:6010) channel B, serial X, index 1". */
static void wanted(char *out, size_t n, const ftdi_spec *s, int vid, int pid)
{
	char dev[64];
	size_t k;

	if (s->vid >= 0) {
		device_label(dev, sizeof(dev), vid, pid);
	} else {
		k = 0;
		dev[0] = 0;
		for (size_t i = 0; i < NCHIPS; i++)
			if (chips[i].tried_by_default && s->iface <= chips[i].channels && k < sizeof(dev))
				k += (size_t)snprintf(dev + k, sizeof(dev) - k, "%s%04x:%04x",
						      k ? " or " : "", chips[i].vid, chips[i].pid);
	}
	k = (size_t)snprintf(out, n, "%s channel %c", dev, 'A' + s->iface - 1);
	if (s->serial[0] && k < n)
		k += (size_t)snprintf(out + k, n - k, ", serial %s", s->serial);
	if (s->desc[0] && k < n)
		k += (size_t)snprintf(out + k, n - k, ", product \"%s\"", s->desc);
	if (s->index && k < n)
		snprintf(out + k, n - k, ", index %u", s->index);
}

/* Apply the UART settings to an opened channel: XPNN_OK, or XPNN_EPORT with err. */
static int configure(xpnn_transport *t, struct ftdi_tr *c, const ftdi_spec *s, char *err,
		     size_t errlen)
{
	struct ftdi_context *f = c->ftdi;
	const int h = f->type == TYPE_2232H || f->type == TYPE_4232H || f->type == TYPE_232H;
	int rc;

	rc = ftdi_set_line_property(f, BITS_8, STOP_BIT_1, NONE);
	if (rc < 0) {
		xpnn_errf(err, errlen, "%s: cannot set 8N1: libftdi: %s (rc %d): %s", c->name,
			  err_str(f), rc, HINT_USB);
		return XPNN_EPORT;
	}
	rc = ftdi_set_baudrate(f, (int)s->baud);
	if (rc < 0) {
		const uint32_t got = nearest_rate(s->baud, h);
		const double off = 100.0 * ((double)got - s->baud) / s->baud;
		xpnn_errf(err, errlen, "%s: baud = %" PRIu32 " refused: libftdi: %s (rc %d): this "
			  "chip's nearest rate is %" PRIu32 " baud (%+.1f%%; a UART needs %d%% or "
			  "better, up to %u baud): choose a rate the board's gateware uses, e.g. "
			  "?baud=%u", c->name, s->baud, err_str(f), rc, got, off,
			  FTDI_RATE_TOLERANCE, h ? FTDI_MAX_BAUD : 3000000u, FTDI_DEFAULT_BAUD);
		return XPNN_EPORT;
	}
	rc = ftdi_setflowctrl(f, s->rtscts ? SIO_RTS_CTS_HS : SIO_DISABLE_FLOW_CTRL);
	if (rc < 0) {
		xpnn_errf(err, errlen, "%s: cannot set flow = %s: libftdi: %s (rc %d): %s", c->name,
			  s->rtscts ? "rtscts" : "none", err_str(f), rc, HINT_USB);
		return XPNN_EPORT;
	}
	/* The latency timer outlives the session in the chip: save it, restore it on close. */
	rc = ftdi_get_latency_timer(f, &c->latency_saved);
	if (rc < 0) {
		xpnn_errf(err, errlen, "%s: cannot read the latency timer (to restore it on close): "
			  "libftdi: %s (rc %d): %s", c->name, err_str(f), rc, HINT_USB);
		return XPNN_EPORT;
	}
	rc = ftdi_set_latency_timer(f, (unsigned char)s->latency);
	if (rc < 0) {
		xpnn_errf(err, errlen, "%s: cannot set the latency timer to %u ms: libftdi: %s "
			  "(rc %d): %s", c->name, s->latency, err_str(f), rc, HINT_USB);
		return XPNN_EPORT;
	}
	c->latency_changed = 1;
	if (ftdi_read_data_set_chunksize(f, FTDI_READ_CHUNK) < 0 ||
	    ftdi_write_data_set_chunksize(f, FTDI_WRITE_CHUNK) < 0) {
		xpnn_errf(err, errlen, "%s: cannot set the USB chunk sizes: libftdi: %s", c->name,
			  err_str(f));
		return XPNN_EPORT;
	}
	/* Bytes of an earlier session (a reply nobody read) must not look like this one's. */
	rc = ftdi_tcioflush(f);
	if (rc < 0) {
		xpnn_errf(err, errlen, "%s: cannot purge the chip's buffers: libftdi: %s (rc %d): %s",
			  c->name, err_str(f), rc, HINT_USB);
		return XPNN_EPORT;
	}
	t->byte_ns = (uint32_t)((10ull * 1000000000ull + s->baud - 1) / s->baud); /* 8N1 */
	return XPNN_OK;
}

static void ftdi_tr_free(struct ftdi_tr *c)
{
	if (c->latency_changed)
		ftdi_set_latency_timer(c->ftdi, c->latency_saved); /* nothing to do if it fails */
	if (c->usb_open)
		ftdi_usb_close(c->ftdi);
	if (c->ftdi)
		ftdi_free(c->ftdi);
	free(c);
}

static int ftdi_open(xpnn_transport *t, const char *spec, char *err, size_t errlen)
{
	char why[320], want[200];
	ftdi_spec s;
	struct ftdi_tr *c = NULL;
	const open_error *oe;
	int rc, vid = 0, pid = 0;

	if (!spec)
		spec = "";
	/* Tolerate the whole port string as well as the part after the scheme. */
	if (!strncmp(spec, "ftdi://", 7))
		spec += 7;
	if (spec_parse(spec, &s, why, sizeof(why))) {
		xpnn_errf(err, errlen, "bad port string \"ftdi://%s\": %s; %s", spec, why,
			  FTDI_SYNTAX);
		return XPNN_EPORT;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		xpnn_errf(err, errlen, "ftdi://%s: out of memory", spec);
		return XPNN_EPORT;
	}
	snprintf(c->name, sizeof(c->name), "ftdi://%s", spec);
	c->ftdi = ftdi_new();
	if (!c->ftdi) {
		xpnn_errf(err, errlen, "%s: ftdi_new() failed (libusb could not start): %s", c->name,
			  HINT_USB);
		goto fail;
	}
	/* The channel must be chosen before the open: the open claims that interface. */
	rc = ftdi_set_interface(c->ftdi, (enum ftdi_interface)(INTERFACE_A + (int)s.iface - 1));
	if (rc < 0) {
		xpnn_errf(err, errlen, "%s: cannot select channel %c: libftdi: %s (rc %d)", c->name,
			  'A' + s.iface - 1, err_str(c->ftdi), rc);
		goto fail;
	}
	/* Detach ftdi_sio from this channel only while we hold it: /dev/ttyUSB* comes back on
	 * close (libftdi 1.5 has no setter; the field is public). */
	c->ftdi->module_detach_mode = AUTO_DETACH_REATACH_SIO_MODULE;
	rc = open_device(c, &s, &vid, &pid);
	wanted(want, sizeof(want), &s, vid, pid);
	if (rc < 0) {
		oe = open_error_find(rc, err_str(c->ftdi));
		xpnn_errf(err, errlen, "%s: cannot open %s: libftdi: %s (rc %d): %s: %s", c->name,
			  want, err_str(c->ftdi), rc, oe ? oe->what : "USB error",
			  oe ? oe->hint : HINT_USB);
		goto fail;
	}
	c->usb_open = 1;
	if (configure(t, c, &s, err, errlen) != XPNN_OK)
		goto fail;
	t->ctx = c;
	return XPNN_OK;

fail:
	ftdi_tr_free(c);
	return XPNN_EPORT;
}

/* ---- moving bytes ---- */

static int ftdi_write(xpnn_transport *t, const uint8_t *buf, size_t n, int timeout_ms,
		      char *err, size_t errlen)
{
	struct ftdi_tr *c = t->ctx;
	const int64_t deadline = xpnn_deadline_after(timeout_ms);
	size_t off = 0;

	while (off < n) {
		const size_t k = n - off < FTDI_WRITE_CHUNK ? n - off : FTDI_WRITE_CHUNK;
		int rc;

		c->ftdi->usb_write_timeout = usb_timeout(deadline);
		rc = ftdi_write_data(c->ftdi, buf + off, (int)k);
		if (rc < 0) {
			/* libftdi reports a USB timeout as any other failure: at the deadline,
			 * it was one (the chip did not take the bytes: flow control held). */
			if (past(deadline))
				goto timeout;
			xpnn_errf(err, errlen, "%s: write failed with %zu of %zu bytes sent: "
				  "libftdi: %s (rc %d): the board was unplugged or reset? %s",
				  c->name, off, n, err_str(c->ftdi), rc, HINT_USB);
			return XPNN_EIO;
		}
		off += (size_t)rc;
		if (rc == 0) {
			if (past(deadline))
				goto timeout;
			poll_pause();
		}
	}
	return XPNN_OK;

timeout:
	xpnn_errf(err, errlen, "%s: write timed out after %d ms with %zu of %zu bytes sent: the "
		  "chip does not take bytes (with flow=rtscts the board must drive CTS)", c->name,
		  timeout_ms, off, n);
	return XPNN_ETIMEOUT;
}

static long ftdi_read(xpnn_transport *t, uint8_t *buf, size_t cap, int timeout_ms, char *err,
		      size_t errlen)
{
	struct ftdi_tr *c = t->ctx;
	const int64_t deadline = xpnn_deadline_after(timeout_ms);
	const int n = cap > INT_MAX ? INT_MAX : (int)cap;

	if (!cap)
		return 0;
	for (;;) {
		int rc;

		c->ftdi->usb_read_timeout = usb_timeout(deadline);
		rc = ftdi_read_data(c->ftdi, buf, n);
		if (rc > 0)
			return rc;
		/* 0: the latency timer expired with nothing received; a libusb timeout is the
		 * same news. Anything else is the device failing. */
		if (rc < 0 && rc != LIBUSB_ERROR_TIMEOUT) {
			xpnn_errf(err, errlen, "%s: read failed: libftdi: %s (rc %d): the board was "
				  "unplugged or reset? %s", c->name, err_str(c->ftdi), rc, HINT_USB);
			return XPNN_EIO;
		}
		if (past(deadline))
			return 0;
		poll_pause();
	}
}

static void ftdi_close(xpnn_transport *t)
{
	struct ftdi_tr *c = t->ctx;

	if (!c)
		return;
	ftdi_tr_free(c);
	t->ctx = NULL;
}

const xpnn_transport_ops xpnn_transport_ftdi = {
	.scheme = "ftdi",
	.usage = "ftdi://[VID:PID][:SERIAL]/IFACE[?baud=N,flow=none|rtscts,latency=MS,index=N,"
		 "desc=TEXT]",
	.open = ftdi_open,
	.write = ftdi_write,
	.read = ftdi_read,
	.close = ftdi_close,
};
