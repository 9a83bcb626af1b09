// xpnn-vboard — the Verilated RTL board (rtl/xp_board.v) served on a loopback TCP port, so
// that every host tool reaches it with --port tcp://HOST:PORT, exactly as a model board served
// by `xpnn serve` (libxpnn's xpnn_serve does the networking).
//
// The RTL is clocked on demand: bytes from the client go into the board's byte stream, and
// the simulation runs until the board has taken them all and its output has been quiet for
// QUIET_CYCLES cycles (every reply of the commands implemented so far starts within a few
// hundred cycles of its request's last byte; rtl/README.md has the status of the RTL).
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
#include <vector>

#include "Vxp_board.h"
#include "verilated.h"
#if VM_TRACE
#include "verilated_fst_c.h"
#endif
#include "xpnn.h"

// cycles run after the board says it is idle (the encoder's last byte, a margin)
static const uint64_t QUIET_CYCLES = 16;

struct vboard {
    std::unique_ptr<Vxp_board> m;
    std::deque<uint8_t> in, out;
    uint64_t cycles = 0;

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
            if (took) in.pop_front();
            if (got) out.push_back(b);
            // a frame's last bytes take a few cycles through the decoder before the board is
            // busy: count quiet cycles only after the input is in and nothing moves
            quiet = (got || took || !m->idle) ? 0 : quiet + 1;
        }
        sim_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
};

static void on_rx(void *ctx, const uint8_t *p, size_t n) {
    vboard *v = static_cast<vboard *>(ctx);
    v->in.insert(v->in.end(), p, p + n);
    v->run();
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
    if (!quiet_flag) fprintf(stderr, "xpnn-vboard: %s\n", line);
}

static volatile sig_atomic_t stop_flag;
static void on_signal(int) { stop_flag = 1; }

static const char usage[] =
    "usage: xpnn-vboard [--listen HOST:PORT] [--port-file F] [--once] [--device-seed S] [-q]\n"
    "\n"
    "Serve the Verilated RTL board (rtl/xp_board.v) on TCP, one client at a time, until\n"
    "SIGINT or SIGTERM; reach it with --port tcp://HOST:PORT from xpnn and libxpnn.\n"
    "It answers every command as the C board engine does, byte for byte; its device model\n"
    "is the default one (numerics §2) with the device seed given. The RTL computes 8 MACs a\n"
    "cycle: an inference of the reference network takes about 10,000 cycles (make bench).\n"
    "\n"
    "  --listen HOST:PORT  address (default 127.0.0.1:0; port 0: any free port)\n"
    "  --port-file F    write the bound port to F (atomically) once listening\n"
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
        {"trace", required_argument, nullptr, 't'},
        {nullptr, 0, nullptr, 0},
    };
    std::string listen = "127.0.0.1:0";
    uint64_t dseed = 1;
    const char *trace = nullptr;
    xpnn_serve_opts so;
    memset(&so, 0, sizeof(so));
    int o;
    opterr = 0;
    while ((o = getopt_long(argc, argv, ":qh", lo, nullptr)) != -1) {
        switch (o) {
        case 'l': listen = optarg; break;
        case 'p': so.port_file = optarg; break;
        case 'o': so.once = 1; break;
        case 'q': quiet_flag = 1; break;
        case 't': trace = optarg; break;
        case 'd': {
            char *e = nullptr;
            errno = 0;
            unsigned long long v = strtoull(optarg, &e, 0);
            if (!*optarg || *e || errno || optarg[0] == '-') {
                fprintf(stderr, "xpnn-vboard: --device-seed '%s': want a number 0 … 2^64-1\n", optarg);
                return 2;
            }
            dseed = v;
            break;
        }
        case 'h': fputs(usage, stdout); return 0;
        case ':': fprintf(stderr, "xpnn-vboard: option %s needs a value (see --help)\n", argv[optind - 1]); return 2;
        default: fprintf(stderr, "xpnn-vboard: unknown option %s (see --help)\n", argv[optind - 1]); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "xpnn-vboard: unexpected argument '%s' (see --help)\n", argv[optind]);
        return 2;
    }
    size_t colon = listen.rfind(':');
    char *end = nullptr;
    long port = colon == std::string::npos ? -1 : strtol(listen.c_str() + colon + 1, &end, 10);
    if (colon == std::string::npos || colon == 0 || !end || *end || port < 0 || port > 65535 ||
        colon + 1 == listen.size()) {
        fprintf(stderr, "xpnn-vboard: --listen '%s': want HOST:PORT with PORT 0 … 65535\n", listen.c_str());
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
    signal(SIGPIPE, SIG_IGN);

    Verilated::commandArgs(argc, argv);
    vboard v;
    v.m.reset(new Vxp_board);
    if (trace) {
#if VM_TRACE
        Verilated::traceEverOn(true);
        v.tr.reset(new VerilatedFstC);
        v.m->trace(v.tr.get(), 99);
        v.tr->open(trace);
#else
        fprintf(stderr, "xpnn-vboard: --trace %s: this build has no tracing; HINT: make "
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
    v.m->s_tvalid = 0;
    v.m->m_tready = 1;
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
        fprintf(stderr, "xpnn-vboard: %s\n", err);
        return 3;
    }
    if (!quiet_flag || getenv("XPNN_VBOARD_STATS"))
        fprintf(stderr, "xpnn-vboard: stopped after %llu cycles, %.3f s simulating (%.0f cycles/s)\n",
                (unsigned long long)v.cycles, v.sim_s, v.sim_s > 0 ? (double)v.cycles / v.sim_s : 0.0);
    return 0;
}
