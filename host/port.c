/*
 * port.c — one --port syntax for every transport (docs/cli.md "Ports").
 */
#include <stdio.h>
#include <string.h>

#include "xpnn.h"

size_t xpnn_model_help(char *out, size_t cap);

#define SUPPORTED "model[:key=value,…], tcp://HOST:PORT, ftdi://[VID:PID][:SERIAL]/IFACE and " \
	"tty:/dev/ttyUSBn[@BAUD]"

int xpnn_port_open(xpnn_transport *t, const char *port, char *err, size_t errlen)
{
	const xpnn_transport_ops *ops = NULL;
	const char *spec = NULL;
	memset(t, 0, sizeof(*t));
	if (!port || !*port) {
		snprintf(err, errlen, "empty port: supported: " SUPPORTED);
		return XPNN_EPORT;
	}
	if (!strncmp(port, "model", 5) && (port[5] == 0 || port[5] == ':')) {
		ops = &xpnn_transport_model;
		spec = port[5] ? port + 6 : "";
	} else if (!strncmp(port, "tcp://", 6)) {
		ops = &xpnn_transport_tcp;
		spec = port + 6;
	} else if (!strncmp(port, "ftdi://", 7)) {
		ops = &xpnn_transport_ftdi;
		spec = port + 7;
	} else if (!strncmp(port, "tty:", 4)) {
		ops = &xpnn_transport_tty;
		spec = port + 4;
	} else {
		snprintf(err, errlen, "port '%s': unknown scheme: supported: " SUPPORTED, port);
		return XPNN_EPORT;
	}
	t->ops = ops;
	int rc = ops->open(t, spec, err, errlen);
	if (rc != XPNN_OK)
		t->ops = NULL;
	return rc;
}

void xpnn_port_close(xpnn_transport *t)
{
	if (t->ops && t->ops->close)
		t->ops->close(t);
	t->ops = NULL;
}

const char *xpnn_port_help(void)
{
	static char text[4096];
	size_t n = (size_t)snprintf(text, sizeof(text),
		"Ports (--port PORT, or the environment variable XPNN_PORT):\n"
		"  model[:key=value,…]   the C board engine in this process (a new board per process)\n");
	n += xpnn_model_help(text + n, sizeof(text) - n);
	snprintf(text + n, sizeof(text) - n,
		"  tcp://HOST:PORT        a board served on TCP: `xpnn serve`, or the virtual RTL board\n"
		"  ftdi://[VID:PID][:SERIAL]/IFACE[?key=value,…]   FPGA board's FTDI UART through libftdi1\n"
		"                         (iCEBreaker: ftdi:///B); VID:PID 0403:6010 (FT2232H), else 0403:6014; IFACE\n"
		"                         A … D or 1 … 4; keys baud=N (3000000), flow=none|rtscts, latency=MS (1),\n"
		"                         index=N (the N-th match, from 0), desc=TEXT (USB product string)\n"
		"  tty:DEVICE[@BAUD[,rtscts]]         FPGA board's UART (/dev/ttyUSB1; default 3000000 baud,\n"
		"                         any of 300 … 12000000; rtscts: RTS/CTS), or `xpnn serve --pty`\n"
		"Example: --port model:seed=7,threads=2   --port tcp://127.0.0.1:5555\n");
	return text;
}
