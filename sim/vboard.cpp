// xpnn-vboard — the Verilated RTL board (rtl/xp_board.v) served on a loopback TCP port or a
// pseudo-terminal, so that every host tool reaches it with --port tcp://HOST:PORT or
// --port tty:/dev/pts/N, exactly as a model board served by `xpnn serve` (libxpnn's
// xpnn_serve does the networking).
//
// Two builds of this file:
//   xpnn-vboard       top xp_board: bytes go straight into the board's byte stream (fast);
//   xpnn-vboard-uart  top xp_board_uart (-DXPNN_VBOARD_UART): every byte is sent as 8N1 bits
//                     on the rxd pin at CLKS_PER_BIT cycles a bit and the reply is sampled off
//                     txd — the whole path a real board's bytes take, at the iCEBreaker's
//                     configuration (make bitstream). It counts the wire's bit times against
//                     the simulated cycles: the share of the UART line rate a host gets.
//
// The RTL is clocked on demand: bytes from the client go into the board, and the simulation
// runs until the board has taken them all and its output has been quiet for QUIET_CYCLES
// cycles. Simulated time stands still while the host thinks (a pty or TCP client costs no
// simulated cycles), so the line-rate figures are the board's own.
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <getopt.h>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

#ifdef XPNN_VBOARD_UART
#include "Vxp_board_uart.h"
typedef Vxp_board_uart Vtop;
#define VB_NAME "xpnn-vboard-uart"
#ifndef CLKS_PER_BIT
#error "CLKS_PER_BIT: the xp_board_uart parameter this build was Verilated with"
#endif
#else
#include "Vxp_board.h"
typedef Vxp_board Vtop;
#define VB_NAME "xpnn-vboard"
#endif
#include "verilated.h"
#if VM_TRACE
#include "verilated_fst_c.h"
#endif
#include "xpnn.h"

// cycles run after the board says it is idle (the encoder's last byte, a margin)
static const uint64_t QUIET_CYCLES = 16;

struct vboard {
    std::unique_ptr<Vtop> m;
    std::deque<uint8_t> in, out;
    uint64_t cycles = 0;
    uint64_t bytes_in = 0, bytes_out = 0;  // bytes through the board (UART: on the wire)

    double sim_s = 0;  // wall time inside run(): the simulation's own speed
#if VM_TRACE
    std::unique_ptr<VerilatedFstC> tr;
#endif
    void half(int clk) {
        m->clk = clk;
        m->eval();
#if VM_TRACE
        if (tr) tr->dump(2 * cycles + (uint64_t)clk);
#endif
    }

#ifdef XPNN_VBOARD_UART
    // The host's bytes go out back to back at the line rate, as an FTDI chip sends a buffer;
    // the reply is sampled in the middle of each bit, the way a UART receiver does.
    struct {
        int phase = 0;        // 0 idle; else cycles into the current character
        unsigned bits = 0;
    } rxs;
    int tx_bit = -1;          // bit of the current outgoing character (-1: none)
    int tx_cnt = 0;
    uint16_t tx_shift = 0;
    void run() {
        uint64_t quiet = 0;
        auto t0 = std::chrono::steady_clock::now();
        while (!in.empty() || tx_bit >= 0 || quiet < QUIET_CYCLES) {
            if (tx_bit < 0 && !in.empty()) {  // next character: start, 8 data, stop
                tx_shift = (uint16_t)(0x200u | (unsigned)in.front() << 1);
                in.pop_front();
                bytes_in++;
                tx_bit = 0;
                tx_cnt = 0;
            }
            m->rxd = tx_bit < 0 ? 1 : (tx_shift >> tx_bit) & 1;
            half(0);
            half(1);
            cycles++;
            if (tx_bit >= 0 && ++tx_cnt == CLKS_PER_BIT) {
                tx_cnt = 0;
                if (++tx_bit == 10) tx_bit = -1;
            }
            int txd = m->txd;
            bool moving = tx_bit >= 0 || rxs.phase || !txd;
            if (!rxs.phase) {
                if (!txd) rxs.phase = 1, rxs.bits = 0;
            } else {
                rxs.phase++;
                int k = (rxs.phase - CLKS_PER_BIT / 2 - 1) / CLKS_PER_BIT;  // bit index sampled
                if ((rxs.phase - CLKS_PER_BIT / 2 - 1) % CLKS_PER_BIT == 0 && k >= 1 && k <= 9) {
                    if (k <= 8) {
                        rxs.bits |= (unsigned)txd << (k - 1);
                    } else {
                        if (!txd) fprintf(stderr, VB_NAME ": framing error on txd\n");
                        out.push_back((uint8_t)rxs.bits);
                        bytes_out++;
                        rxs.phase = 0;
                    }
                }
            }
            quiet = (moving || !m->idle) ? 0 : quiet + 1;
        }
        sim_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
#else
    void run() {
        uint64_t quiet = 0;
        auto t0 = std::chrono::steady_clock::now();
        while (!in.empty() || quiet < QUIET_CYCLES) {
            m->s_tvalid = !in.empty();
            m->s_tdata = in.empty() ? 0 : in.front();
            m->m_tready = 1;
            half(0);
            bool took = m->s_tvalid && m->s_tready;
            bool got = m->m_tvalid;
            uint8_t b = m->m_tdata;
            half(1);
            cycles++;
            if (took) in.pop_front(), bytes_in++;
            if (got) out.push_back(b), bytes_out++;
            // a frame's last bytes take a few cycles through the decoder before the board is
            // busy: count quiet cycles only after the input is in and nothing moves
            quiet = (got || took || !m->idle) ? 0 : quiet + 1;
        }
        sim_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
#endif
};

static volatile sig_atomic_t stop_flag, stats_flag;
static void on_signal(int) { stop_flag = 1; }
static void on_usr2(int) { stats_flag = 1; }

// The counters as one line of "key=value" (bench scripts read it): cycles simulated, bytes
// each way, and for the UART build the wire's bit times and the share of the line they are.
static std::string stats_line(const vboard &v) {
    char line[512];
    int n = snprintf(line, sizeof(line), "cycles=%llu bytes_in=%llu bytes_out=%llu sim_s=%.3f",
                     (unsigned long long)v.cycles, (unsigned long long)v.bytes_in,
                     (unsigned long long)v.bytes_out, v.sim_s);
#ifdef XPNN_VBOARD_UART
    uint64_t busy = (v.bytes_in + v.bytes_out) * 10ull * CLKS_PER_BIT;
    snprintf(line + n, sizeof(line) - (size_t)n, " clks_per_bit=%d wire_cycles=%llu line_share=%.4f",
             CLKS_PER_BIT, (unsigned long long)busy, v.cycles ? (double)busy / (double)v.cycles : 0.0);
#else
    (void)n;
#endif
    return line;
}

static const char *stats_file;
static void write_stats(const vboard &v) {
    if (!stats_file) return;
    std::string tmp = std::string(stats_file) + ".tmp";
    FILE *f = fopen(tmp.c_str(), "w");
    if (!f || fprintf(f, "%s\n", stats_line(v).c_str()) < 0 || fclose(f) != 0 ||
        rename(tmp.c_str(), stats_file) != 0)
        fprintf(stderr, VB_NAME ": --stats-file %s: %s\n", stats_file, strerror(errno));
}

static void on_rx(void *ctx, const uint8_t *p, size_t n) {
    vboard *v = static_cast<vboard *>(ctx);
    v->in.insert(v->in.end(), p, p + n);
    v->run();
    if (stats_flag) {  // SIGUSR2: a snapshot of the counters, before the next bytes
        stats_flag = 0;
        write_stats(*v);
    }
}

static size_t on_tx(void *ctx, uint8_t *p, size_t cap) {
    vboard *v = static_cast<vboard *>(ctx);
    size_t n = 0;
    while (n < cap && !v->out.empty()) {
        p[n++] = v->out.front();
        v->out.pop_front();
    }
    return n;
}

static int quiet_flag;
static void on_log(void *, const char *line) {
    if (!quiet_flag) fprintf(stderr, VB_NAME ": %s\n", line);
}

#ifdef XPNN_VBOARD_UART
#define VB_WHAT                                                                                  \
    "Serve the Verilated RTL board behind its UART pins (rtl/xp_board_uart.v at the\n"            \
    "iCEBreaker's configuration: 4 cells, 8 products x*G a cycle, 1 KiB frames, layers at\n"     \
    "most 1024 wide, 8 clocks a bit) on a pseudo-terminal (--pty) or TCP. Every byte\n"         \
    "crosses rxd/txd as 8N1 bits: the path a real board's bytes take. --stats-file and\n"       \
    "SIGUSR2 give the wire's share of the simulated time (scripts/bench_uart.sh).\n"
#else
#define VB_WHAT                                                                                  \
    "Serve the Verilated RTL board (rtl/xp_board.v) on TCP or a pseudo-terminal (--pty), one\n"  \
    "client at a time, until SIGINT or SIGTERM; reach it with --port tcp://HOST:PORT (or\n"      \
    "tty:PATH) from xpnn and libxpnn. The RTL computes 8 MACs a cycle: an inference of the\n"    \
    "reference network takes about 10,000 cycles (make bench).\n"
#endif
static const char usage[] =
    "usage: " VB_NAME " [--listen HOST:PORT | --pty] [--port-file F] [--once] [--device-seed S]\n"
    "       [--stats-file F] [-q]\n"
    "\n" VB_WHAT
    "It answers every command as the C board engine does, byte for byte; its device model\n"
    "is the default one (numerics §2) with the device seed given.\n"
    "\n"
    "  --listen HOST:PORT  address (default 127.0.0.1:0; port 0: any free port)\n"
    "  --pty            serve on a new pseudo-terminal instead: its path (/dev/pts/N) goes to\n"
    "                   the port file and the log; reach it with --port tty:/dev/pts/N\n"
    "  --port-file F    write the bound port (or the pty's path) to F (atomically) once serving\n"
    "  --stats-file F   write the counters (cycles, bytes each way; UART build: wire bit times\n"
    "                   and their share of the cycles) to F on SIGUSR2 and at exit\n"
    "  --once           return after the first client disconnects\n"
    "  --trace F.fst    write an FST waveform of every cycle (xpnn-vboard-trace, built by\n"
    "                   `make build/xpnn-vboard-trace`; large: ~170 bytes a cycle)\n"
    "  --device-seed S  the board's private device seed, 0 … 2^64-1 (default 1, as the\n"
    "                   default model board: `xpnn serve --port model:seed=S` is its twin)\n"
    "  -q, --quiet      no log lines\n"
    "  -h, --help       this text\n";

int main(int argc, char **argv) {
    static const struct option lo[] = {
        {"listen", required_argument, nullptr, 'l'}, {"port-file", required_argument, nullptr, 'p'},
        {"once", no_argument, nullptr, 'o'},         {"quiet", no_argument, nullptr, 'q'},
        {"help", no_argument, nullptr, 'h'},         {"device-seed", required_argument, nullptr, 'd'},
        {"trace", required_argument, nullptr, 't'},   {"pty", no_argument, nullptr, 'P'},
        {"stats-file", required_argument, nullptr, 's'},
        {nullptr, 0, nullptr, 0},
    };
    std::string listen = "127.0.0.1:0";
    bool listen_given = false;
    uint64_t dseed = 1;
    const char *trace = nullptr;
    xpnn_serve_opts so;
    memset(&so, 0, sizeof(so));
    int o;
    opterr = 0;
    while ((o = getopt_long(argc, argv, ":qh", lo, nullptr)) != -1) {
        switch (o) {
        case 'l': listen = optarg, listen_given = true; break;
        case 'p': so.port_file = optarg; break;
        case 'o': so.once = 1; break;
        case 'q': quiet_flag = 1; break;
        case 't': trace = optarg; break;
        case 'P': so.pty = 1; break;
        case 's': stats_file = optarg; break;
        case 'd': {
            char *e = nullptr;
            errno = 0;
            unsigned long long v = strtoull(optarg, &e, 0);
            if (!*optarg || *e || errno || optarg[0] == '-') {
                fprintf(stderr, VB_NAME ": --device-seed '%s': want a number 0 … 2^64-1\n", optarg);
                return 2;
            }
            dseed = v;
            break;
        }
        case 'h': fputs(usage, stdout); return 0;
        case ':': fprintf(stderr, VB_NAME ": option %s needs a value (see --help)\n", argv[optind - 1]); return 2;
        default: fprintf(stderr, VB_NAME ": unknown option %s (see --help)\n", argv[optind - 1]); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, VB_NAME ": unexpected argument '%s' (see --help)\n", argv[optind]);
        return 2;
    }
    if (so.pty && listen_given) {
        fprintf(stderr, VB_NAME ": --pty and --listen exclude each other (a pty has no address)\n");
        return 2;
    }
    size_t colon = listen.rfind(':');
    char *end = nullptr;
    long port = colon == std::string::npos ? -1 : strtol(listen.c_str() + colon + 1, &end, 10);
    if (colon == std::string::npos || colon == 0 || !end || *end || port < 0 || port > 65535 ||
        colon + 1 == listen.size()) {
        fprintf(stderr, VB_NAME ": --listen '%s': want HOST:PORT with PORT 0 … 65535\n", listen.c_str());
        return 2;
    }
    std::string host = listen.substr(0, colon);
    so.host = host.c_str();
    so.port = (int)port;
    so.log = on_log;
    so.stop = &stop_flag;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    sa.sa_handler = on_usr2;
    sigaction(SIGUSR2, &sa, nullptr);
    signal(SIGPIPE, SIG_IGN);

    Verilated::commandArgs(argc, argv);
    vboard v;
    v.m.reset(new Vtop);
    if (trace) {
#if VM_TRACE
        Verilated::traceEverOn(true);
        v.tr.reset(new VerilatedFstC);
        v.m->trace(v.tr.get(), 99);
        v.tr->open(trace);
#else
        fprintf(stderr, VB_NAME ": --trace %s: this build has no tracing; HINT: make "
                "build/xpnn-vboard-trace and run that\n", trace);
        return 2;
#endif
    }
    xp_params dp;
    xp_params_default(&dp);  // the default device model, with the seed given
    v.m->dseed = dseed;
    v.m->p_sa0 = dp.p_sa0;
    v.m->p_samax = dp.p_samax;
    v.m->s_var = dp.s_var;
    v.m->s_prog = dp.s_prog;
    v.m->s_read = dp.s_read;
    v.m->s_gain = dp.s_gain;
    v.m->s_off = dp.s_off;
    v.m->rst = 1;
#ifdef XPNN_VBOARD_UART
    v.m->rxd = 1;
#else
    v.m->s_tvalid = 0;
    v.m->m_tready = 1;
#endif
    for (int k = 0; k < 4; k++) {
        v.m->clk = 0; v.m->eval();
        v.m->clk = 1; v.m->eval();
    }
    v.m->rst = 0;

    xpnn_served sv = {&v, on_rx, on_tx};
    char err[XPNN_ERRMSG] = "";
    int rc = xpnn_serve(&sv, &so, err, sizeof(err));
    v.m->final();
#if VM_TRACE
    if (v.tr) v.tr->close();
#endif
    if (rc) {
        fprintf(stderr, VB_NAME ": %s\n", err);
        return 3;
    }
    write_stats(v);
    if (!quiet_flag || getenv("XPNN_VBOARD_STATS"))
        fprintf(stderr, VB_NAME ": stopped after %llu cycles, %.3f s simulating (%.0f cycles/s); %s\n",
                (unsigned long long)v.cycles, v.sim_s, v.sim_s > 0 ? (double)v.cycles / v.sim_s : 0.0,
                stats_line(v).c_str());
    return 0;
}
