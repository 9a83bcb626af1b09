// tb_board.cpp — byte-level differential co-simulation of rtl/xp_board.v against the C board
// engine (cmodel/xp_board.c): the same random byte streams go to both, and every reply byte
// must be the same. Streams mix valid frames of every command (INFO, STATUS, RESET,
// SET_SEED, CONFIGURE, SET_ADC, WRITE_CELLS, READ_CELLS, RUN with and without every layer's
// S, WRITE_LIST; mostly valid fields, sometimes one out of range, a tile twice, a payload cut
// short or too long) with right and wrong payload lengths, unknown command codes,
// duplicates (the same body again), bad CRCs, truncated frames, incomplete COBS blocks, frames
// too short and too long, empty frames and garbage; the RTL's input has random gaps and its
// output random backpressure. Each run is a random board: device seed, stuck probabilities
// (up to 12 %, so that stuck devices are met), variation and programming noise. Now and then
// (RESET_ODDS) a reset pulse cuts a frame, as the iCEBreaker's button would; the board must
// then answer as a C engine just created. The registers' random power-up values come from
// XP_SEED too.
// Usage: Vtb [FRAMES [R,C,T,DAC,CODE,ADC,MAX_REQUEST[,MAX_WIDTH[,MAX_REPLY,MAX_BATCH]]]] — the
// geometry, bit widths, request limit, widest layer, reply limit and batch limit the RTL was
// built with (-G…, or a synthesised netlist's; default the reference
// 128,64,8,8,4,8,1024,4096,1024,16); --no-width-goal drops the narrow board's goal below (for
// a build whose few tiles rarely hold a layer max_width wide), +… arguments go to Verilator;
// XP_SEED seeds the streams and the board (printed). Below 4096,
// CONFIGURE's n_in and n_out are often drawn at max_width − 1, max_width and max_width + 1.
// Built with --trace-fst (make cosim-board WAVES=1), the run is written to $XP_WAVES as an FST
// waveform.
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#ifdef XP_UART_TB
// the board behind its UART pins (rtl/xp_board_uart.v), 8N1 at UART_CPB cycles a bit: the
// harness is the host's UART (tests/cosim/board_uart.mk)
#include "Vxp_board_uart.h"
typedef Vxp_board_uart Vtop;
static const unsigned UART_CPB = 4;
#else
#include "Vxp_board.h"
typedef Vxp_board Vtop;
#endif
#include "verilated.h"
#include "xp_board.h"
#include "cosimutil.h"
#if VM_TRACE
#include "verilated_fst_c.h"
#endif
#if VM_COVERAGE
#include <fstream>
#include <map>
#include <string>
#include "verilated_cov.h"

// Write the coverage data, then check its user cover points (the RTL's `ifdef XP_COVER
// targets): every one must have been hit. Returns the number missed.
static int coverage_check(const char *path) {
    Verilated::threadContextp()->coveragep()->write(path);
    std::ifstream f(path);
    std::string line;
    std::map<std::string, unsigned long long> pts;
    while (std::getline(f, line)) {
        // C '<key \x02 value \x01 …>' count; the user points carry page v_user/…, and the
        // cover label in the "o" (comment) field
        if (line.compare(0, 3, "C '") != 0 || line.find("v_user") == std::string::npos) continue;
        size_t o = line.find("\x01o\x02"), q = line.rfind('\'');
        if (o == std::string::npos || q == std::string::npos) continue;
        auto field = [&](size_t at) {  // a value: up to the next key or the closing quote
            size_t e = std::min(line.find('\x01', at), q);
            return line.substr(at, e - at);
        };
        std::string name = field(o + 3);
        size_t hp = line.find("\x01h\x02");
        if (hp != std::string::npos)  // the hierarchy: xp_board or its xp_adc
            name = field(hp + 3);
        pts[name] += strtoull(line.c_str() + q + 1, nullptr, 10);
    }
    int missed = 0;
    printf("tb_board: coverage targets (%zu cover points, %s):\n", pts.size(), path);
    for (const auto &p : pts) {
        printf("  %-50s %10llu%s\n", p.first.c_str(), p.second, p.second ? "" : "  MISSED");
        missed += p.second == 0;
    }
    if (pts.empty()) {
        printf("  no cover points found: built without +define+XP_COVER?\n");
        return 1;
    }
    return missed;
}
#endif


// the RTL's parameters (rtl/xp_board.v defaults, or the geometry argument)
static uint32_t MAX_REQUEST = 1024;
static uint32_t MAX_REPLY = 1024;
static unsigned MAX_BATCH = 16;
static unsigned G_R = 128, G_C = 64, G_T = 8, G_DAC = 8, G_CODE = 4, G_ADC = 8;
static unsigned G_W = XP_MAX_WIDTH;  // MAX_WIDTH
static unsigned umin(unsigned a, unsigned b) { return a < b ? a : b; }


static void put16(std::vector<uint8_t> &v, unsigned x) {
    v.push_back((uint8_t)x);
    v.push_back((uint8_t)(x >> 8));
}

// A payload of command cmd: valid most of the time, else with one field out of range or the
// length wrong (the engine's checks, in their order, decide what is reported).
static unsigned net_in;  // n_in of the configured network (0: none), from the engine's replies
// one frame in RESET_ODDS (a valid RUN: ten times as often) is cut by a reset pulse, half the
// time while it goes in (RESET_CYCLES_A_BYTE: a byte's cycles on the harness's link, gaps
// included), half the time up to 40,000 cycles after
static const unsigned RESET_ODDS = 3000;
#ifdef XP_UART_TB
static const unsigned RESET_CYCLES_A_BYTE = 10 * UART_CPB;
#else
static const unsigned RESET_CYCLES_A_BYTE = 2;
#endif

static std::vector<uint8_t> payload_of(uint8_t cmd) {
    std::vector<uint8_t> pl;
    const unsigned R = G_R, C = G_C, T = G_T, CMAX = (1u << G_CODE) - 1, XMAX = (1u << G_DAC) - 1;
    bool bad = rndu(4) == 0;
    switch (cmd) {
    case 4:
        for (int i = 0; i < 8; i++) pl.push_back((uint8_t)rnd64());
        break;
    case 5: {  // CONFIGURE: 1 … 3 layers on distinct tiles
        // (up to 2 row blocks and 2 column blocks: multi-tile sums, small enough that RUN
        // through mostly unprogrammed cells — each a device-model query — stays quick)
        // (the reference geometry: n_in up to 160, hidden n_out up to 70)
        unsigned L = 1 + rndu(3), used = 0, nin = 1 + rndu(R + R / 4);
        // a board narrower than the absolute maximum: widths at its limit, and one past it
        // (ERR_RANGE naming max_width), half the time (no draw at all on a 4096-wide board,
        // so that the other units keep their streams)
        const bool narrow = G_W < XP_MAX_WIDTH;
        auto at_limit = [&]() { unsigned v = G_W - 1 + rndu(3); return v ? v : 1u; };
        if (narrow && rndu(2)) nin = at_limit();
        std::vector<unsigned> tiles(T);
        for (unsigned i = 0; i < T; i++) tiles[i] = i;
        for (unsigned i = T - 1; i > 0; i--) std::swap(tiles[i], tiles[rndu(i + 1)]);
        pl.push_back((uint8_t)L);
        for (unsigned l = 0; l < L; l++) {
            unsigned bias = rndu(2), nout = 1 + rndu(l + 1 < L ? C + (3 * C + 31) / 32 : umin(20, C + 1));
            if (narrow && rndu(2)) nout = at_limit();
            unsigned nt = ((nin + bias + R - 1) / R) * ((nout + C - 1) / C);
            if (used + nt > T) { nin = 1 + rndu(umin(60, R - bias)); nout = 1 + rndu(umin(30, C)); nt = 1; }
            if (used + nt > T) break;
            pl.push_back(l + 1 < L ? 1 : (uint8_t)rndu(2));
            pl.push_back((uint8_t)bias);
            pl.push_back((uint8_t)rnd64());
            pl.push_back((uint8_t)rndu(16));
            put16(pl, nin);
            put16(pl, nout);
            put16(pl, nt);
            for (unsigned i = 0; i < nt; i++) put16(pl, tiles[used++]);
            nin = nout;
        }
        if (used >= 2 && rndu(6) == 0) {  // the first tile again at the end: ERR_CONFLICT
            pl[pl.size() - 2] = (uint8_t)tiles[0];
            pl[pl.size() - 1] = 0;
        }
        break;
    }
    case 6: {  // SET_ADC
        unsigned c0 = rndu(C), nc = 1 + rndu(C - c0);
        put16(pl, rndu(T));
        put16(pl, c0);
        put16(pl, nc);
        for (unsigned i = 0; i < nc; i++) {
            pl.push_back((uint8_t)rnd64());
            pl.push_back((uint8_t)rndu(32));
            put16(pl, (unsigned)(int)(rndu(4096) - 2048));
        }
        break;
    }
    case 7: case 8: {  // WRITE_CELLS, READ_CELLS: mostly in the rows and columns that small
                       // networks use, so that reads and RUNs meet programmed cells
        bool low = rndu(4) != 0;
        unsigned r0 = rndu(low ? umin(48, R) : R), c0 = rndu(low ? umin(40, C) : C);
        unsigned nr = 1 + rndu(R - r0 < 16 ? R - r0 : 16);
        unsigned nc = 1 + rndu(C - c0 < 24 ? C - c0 : 24);
        if (cmd == 8 && rndu(8) == 0) {  // READ_CELLS: any rectangle, so replies over max_reply
            r0 = rndu(R); c0 = rndu(C);    // (the row limit, §4.8), which the rectangles above
            nr = 1 + rndu(R - r0); nc = 1 + rndu(C - c0);  // never reach
        }
        put16(pl, rndu(T));
        put16(pl, r0);
        put16(pl, c0);
        put16(pl, nr);
        put16(pl, nc);
        if (cmd == 7)
            for (unsigned i = 0; i < 2 * nr * nc; i++) pl.push_back((uint8_t)rndu(CMAX + 1));
        break;
    }
    case 9: {  // RUN: a batch of 1 or 2 for the configured network (or a random size)
        if (rndu(16) == 0) {  // now and then a batch too large for the network (ERR_BATCH is
            put16(pl, 1 + rndu(2000));     // checked before the length: a few inputs will do)
            pl.push_back((uint8_t)rndu(2));
            for (unsigned i = rndu(8); i > 0; i--) pl.push_back((uint8_t)rnd64());
            break;
        }
        unsigned b = 1 + rndu(2), n = net_in ? net_in : 1 + rndu(40);
        put16(pl, b);
        pl.push_back((uint8_t)rndu(2));
        bool in_range = G_DAC < 8 && rndu(8);  // (below 8 DAC bits: codes in range, mostly)
        for (unsigned i = 0; i < b * n; i++)
            pl.push_back((uint8_t)(in_range ? rnd64() & XMAX : rnd64()));
        break;
    }
    case 10: {  // WRITE_LIST
        unsigned n = 1 + rndu(24);
        put16(pl, rndu(T));
        put16(pl, n);
        for (unsigned i = 0; i < n; i++) {
            bool low = rndu(4) != 0;
            put16(pl, rndu(low ? umin(48, R) : R));
            put16(pl, rndu(low ? umin(40, C) : C));
            pl.push_back((uint8_t)rndu(CMAX + 1));
            pl.push_back((uint8_t)rndu(CMAX + 1));
        }
        break;
    }
    default:
        break;
    }
    if (bad && !pl.empty()) {
        switch (rndu(4)) {
        case 0: pl[rndu((unsigned)pl.size())] = (uint8_t)rnd64(); break;  // a field anywhere
        case 1: pl.resize(rndu((unsigned)pl.size())); break;               // cut short
        case 2: pl.push_back((uint8_t)rnd64()); break;                     // a byte too many
        default: pl[rndu((unsigned)pl.size())] |= 0x80; break;             // a large value
        }
    }
    return pl;
}

// a command: the crossbar commands more often than the others
static uint8_t rnd_cmd() {
    static const uint8_t c[] = {1, 2, 4, 5, 5, 6, 6, 7, 7, 7, 7, 8, 8, 9, 9, 9, 10, 10, 10};
    return rndu(60) == 0 ? 3 : c[rndu(sizeof(c))];  // RESET rarely: it erases everything
}


struct sim {
    std::unique_ptr<Vtop> m;
    uint64_t cycle = 0;
    std::vector<uint8_t> out;
#if VM_TRACE
    std::unique_ptr<VerilatedFstC> tr;
#endif
    // one half clock period: evaluate, then the waveform (if any) at time 2·cycle (+1)
    void half(int clk) {
        m->clk = clk;
        m->eval();
#if VM_TRACE
        if (tr) tr->dump(2 * cycle + (uint64_t)clk);
#else
        (void)clk;
#endif
    }
    void tick() {
        half(0);
        half(1);
        cycle++;
    }
#ifdef XP_UART_TB
    // The host's UART: send the bytes as 8N1 characters on rxd (start bit, 8 data bits LSB
    // first, stop bit; sometimes an idle gap between characters), receive txd's characters
    // (sampled in the middle of each bit); run until `want` bytes have come, then long enough
    // for one more character to show.
    unsigned rx_state = 0, rx_cnt = 0, rx_bit = 0, rx_byte = 0;
    bool uart_cycle(const std::vector<uint8_t> &in, size_t &i, unsigned &tx_bits, unsigned &tx_cnt,
                    uint16_t &tx_sh) {
        if (tx_cnt == 0 && tx_bits > 0) {     // the next bit of the character
            tx_sh >>= 1;
            tx_bits--;
            tx_cnt = UART_CPB;
        }
        if (tx_bits == 0 && tx_cnt == 0 && i < in.size() && rndu_cycle(16) != 0) {
            tx_sh = (uint16_t)(0x200 | (in[i] << 1));   // stop 1, data, start 0
            tx_bits = 10;
            tx_cnt = UART_CPB;
            i++;
        }
        m->rxd = tx_bits ? (tx_sh & 1) : 1;
        if (tx_cnt) tx_cnt--;
        half(0);
        unsigned txd = m->txd;
        half(1);
        cycle++;
        bool got = false;
        if (rx_state == 0 && !txd) {            // a start bit: to the middle of data bit 0
            rx_state = 1;
            rx_cnt = UART_CPB + UART_CPB / 2;
            rx_bit = 0;
            rx_byte = 0;
        } else if (rx_state == 1 && --rx_cnt == 0) {
            if (rx_bit < 8) {
                rx_byte |= txd << rx_bit++;
                rx_cnt = UART_CPB;
            } else {                          // the stop bit
                out.push_back((uint8_t)rx_byte);
                rx_state = txd ? 0 : 2;       // a bad stop bit: wait for the line to idle
                got = true;
            }
        } else if (rx_state == 2 && txd) {
            rx_state = 0;
        }
        return got;
    }
    bool feed(const std::vector<uint8_t> &in, size_t want) {
        size_t i = 0;
        unsigned tx_bits = 0, tx_cnt = 0;
        uint16_t tx_sh = 0;
        uint64_t idle = 0;
        while (i < in.size() || tx_bits || out.size() < want) {
            bool got = uart_cycle(in, i, tx_bits, tx_cnt, tx_sh);
            idle = got || tx_bits ? 0 : idle + 1;
            if (idle > 20000000) return false;
        }
        for (unsigned k = 0; k < 24 * UART_CPB; k++) uart_cycle(in, i, tx_bits, tx_cnt, tx_sh);
        return true;
    }
    // Send the bytes for n cycles only (a reset comes next: what is cut off is lost)
    void run_cycles(const std::vector<uint8_t> &in, uint64_t n) {
        size_t i = 0;
        unsigned tx_bits = 0, tx_cnt = 0;
        uint16_t tx_sh = 0;
        for (uint64_t c = 0; c < n; c++) uart_cycle(in, i, tx_bits, tx_cnt, tx_sh);
    }
    // one cycle with the host silent (rxd idle), its receiver running
    void quiet_cycle() {
        static const std::vector<uint8_t> none;
        size_t i = 0;
        unsigned tx_bits = 0, tx_cnt = 0;
        uint16_t tx_sh = 0;
        uart_cycle(none, i, tx_bits, tx_cnt, tx_sh);
    }
    static const unsigned QUIET_SETTLE = 24 * UART_CPB;   // a character and more
#else
    // one cycle: the next byte offered with a random gap, the output taken with random
    // backpressure; whether a byte went either way
    bool io_cycle(const std::vector<uint8_t> &in, size_t &i) {
        bool give = i < in.size() && rndu_cycle(8) != 0;
        m->s_tdata = give ? in[i] : 0;
        m->s_tvalid = give;
        m->m_tready = rndu_cycle(8) != 0;
        half(0);
        bool took = give && m->s_tready;
        bool got = m->m_tvalid && m->m_tready;
        uint8_t b = m->m_tdata;
        half(1);
        cycle++;
        if (took) i++;
        if (got) out.push_back(b);
        return took || got;
    }
    // Feed bytes with random gaps, collecting output with random backpressure; then run until
    // `want` output bytes have come (or a timeout).
    bool feed(const std::vector<uint8_t> &in, size_t want) {
        size_t i = 0;
        uint64_t idle = 0;
        while (i < in.size() || out.size() < want) {
            idle = io_cycle(in, i) ? 0 : idle + 1;
            if (idle > 20000000) return false;
        }
        // no byte may follow what the C engine answered
        m->s_tvalid = 0;
        m->m_tready = 1;
        for (int k = 0; k < 64; k++) {
            half(0);
            bool got = m->m_tvalid;
            uint8_t b = m->m_tdata;
            half(1);
            cycle++;
            if (got) out.push_back(b);
        }
        return true;
    }
    // Offer the bytes for n cycles only (a reset comes next: what is cut off is lost)
    void run_cycles(const std::vector<uint8_t> &in, uint64_t n) {
        size_t i = 0;
        for (uint64_t c = 0; c < n; c++) io_cycle(in, i);
        m->s_tvalid = 0;
    }
    // one cycle with nothing offered and the output taken
    void quiet_cycle() {
        static const std::vector<uint8_t> none;
        size_t i = 0;
        io_cycle(none, i);
        m->m_tready = 1;
    }
    static const unsigned QUIET_SETTLE = 64;
#endif
    // A reset pulse in the middle of whatever the board is doing (the iCEBreaker's button),
    // then the power-up clear and erase it starts, until the board waits for the host
    // (idle) long enough for a cut-off reply character to have ended. False: it never did.
    bool hw_reset() {
        m->rst = 1;
#ifdef XP_UART_TB
        m->rxd = 1;
#else
        m->s_tvalid = 0;
#endif
        for (int k = 0; k < 4; k++) tick();
        m->rst = 0;
        unsigned quiet = 0;
        for (uint64_t c = 0; quiet < QUIET_SETTLE; c++) {
            if (c > 50000000) return false;
            quiet_cycle();
            quiet = m->idle ? quiet + 1 : 0;
        }
        return true;
    }
};

int main(int argc, char **argv) {
    uint64_t seed = cosim_seed(1000003, 17);
    unsigned nframes = argc > 1 ? (unsigned)strtoul(argv[1], nullptr, 10) : 10000;
    if (argc > 2) {
        int n = sscanf(argv[2], "%u,%u,%u,%u,%u,%u,%u,%u,%u,%u", &G_R, &G_C, &G_T, &G_DAC, &G_CODE,
                       &G_ADC, &MAX_REQUEST, &G_W, &MAX_REPLY, &MAX_BATCH);
        if ((n != 7 && n != 8 && n != 10) || G_W < 1 || G_W > XP_MAX_WIDTH || MAX_BATCH < 1 ||
            MAX_BATCH > 65535) {
            fprintf(stderr, "tb_board: %s: expected R,C,T,DAC,CODE,ADC,MAX_REQUEST[,MAX_WIDTH"
                    "[,MAX_REPLY,MAX_BATCH]] (MAX_WIDTH 1 … %d, MAX_BATCH 1 … 65535)\n", argv[2],
                    XP_MAX_WIDTH);
            return 2;
        }
    }
    bool width_goal = true;                  // (+… arguments are Verilator's: +verilator+…)
    for (int a = 3; a < argc; a++) {
        if (strcmp(argv[a], "--no-width-goal") == 0) {
            width_goal = false;
        } else if (argv[a][0] != '+') {
            fprintf(stderr, "tb_board: %s: unknown argument; usage: Vtb [FRAMES [GEOMETRY "
                    "[--no-width-goal] [+verilator+…]]]\n", argv[a]);
            return 2;
        }
    }
    const char *unit = getenv("XP_UNIT");
    printf("tb_board: XP_SEED=%" PRIu64 " (reproduce: make cosim-%s SEED=%" PRIu64 "), %u frames\n",
           seed, unit && *unit ? unit : "board", seed, nframes);

    xp_board_config cfg;
    xp_board_config_default(&cfg);
    // a random board: its private device model
    cfg.params.dseed = rnd64();
    cfg.params.p_sa0 = rndu(8000);
    cfg.params.p_samax = rndu(8000);
    cfg.params.s_var = (uint16_t)rndu(200);
    cfg.params.s_prog = (uint16_t)rndu(1024);
    printf("tb_board: board dseed %016" PRIx64 ", p_sa0 %u, p_samax %u, s_var %u, s_prog %u\n",
           cfg.params.dseed, cfg.params.p_sa0, cfg.params.p_samax, cfg.params.s_var,
           cfg.params.s_prog);
    cfg.params.rows = (uint16_t)G_R;
    cfg.params.cols = (uint16_t)G_C;
    cfg.params.tiles = (uint16_t)G_T;
    cfg.params.dac_bits = (uint8_t)G_DAC;
    cfg.params.code_bits = (uint8_t)G_CODE;
    cfg.params.adc_bits = (uint8_t)G_ADC;
    if (argc > 2)
        printf("tb_board: geometry %u x %u x %u, %u/%u/%u bits, max_request %u, max_width %u, "
               "max_reply %u, max_batch %u\n", G_R, G_C, G_T, G_DAC, G_CODE, G_ADC, MAX_REQUEST, G_W,
               MAX_REPLY, MAX_BATCH);
    cfg.max_request = MAX_REQUEST;
    cfg.max_width = (uint16_t)G_W;
    cfg.max_reply = MAX_REPLY;
    cfg.max_batch = (uint16_t)MAX_BATCH;
    cfg.impl = 2;
    xp_board *ref;
    char msg[XP_ERRMSG];
    if (xp_board_create(&ref, &cfg, msg, sizeof(msg)) != XP_OK) {
        fprintf(stderr, "tb_board: xp_board_create: %s\n", msg);
        return 2;
    }

    Verilated::randReset(2);  // random initial register values, from XP_SEED
    Verilated::randSeed(cosim_power_up_seed(seed));
    Verilated::commandArgs(argc, argv);
    sim s;
    s.m.reset(new Vtop);
#if VM_TRACE
    {
        const char *wf = getenv("XP_WAVES");
        Verilated::traceEverOn(true);
        s.tr.reset(new VerilatedFstC);
        s.m->trace(s.tr.get(), 99);
        s.tr->open(wf && *wf ? wf : "waves.fst");
        printf("tb_board: writing the waveform to %s\n", wf && *wf ? wf : "waves.fst");
    }
#endif
    s.m->dseed = cfg.params.dseed;
    s.m->p_sa0 = cfg.params.p_sa0;
    s.m->p_samax = cfg.params.p_samax;
    s.m->s_var = cfg.params.s_var;
    s.m->s_prog = cfg.params.s_prog;
    s.m->s_read = cfg.params.s_read;
    s.m->s_gain = cfg.params.s_gain;
    s.m->s_off = cfg.params.s_off;
    s.m->rst = 1;
#ifdef XP_UART_TB
    s.m->rxd = 1;
#else
    s.m->s_tvalid = 0;
    s.m->m_tready = 1;
#endif
    for (int k = 0; k < 4; k++) s.tick();
    s.m->rst = 0;
    for (int k = 0; k < 2100; k++) s.tick();  // the power-up erase

    std::vector<uint8_t> last_body;
    unsigned counts[13] = {};
    static const char *kinds[13] = {"valid", "wrong length", "unknown cmd", "duplicate", "bad CRC",
                                    "truncated", "too short", "too long", "empty", "garbage",
                                    "incomplete", "resync", "same seq, new body"};
    uint8_t seq = 0;
    size_t expected_total = 0;
    unsigned replies[11][9] = {};  // (command, status) of the C engine's replies: coverage
    unsigned w_ok = 0, w_range = 0;  // CONFIGUREs at max_width: accepted, refused past it
    unsigned resets = 0;             // resets in the middle of traffic (their own stream)
    uint64_t rs_reset = seed * 0x2545F4914F6CDD1Dull + 3;
    for (unsigned f = 0; f < nframes; f++) {
        std::vector<uint8_t> in;
        unsigned kind = rndu(100);
        unsigned k;
        if (kind < 40) k = 0; else if (kind < 48) k = 1; else if (kind < 54) k = 2;
        else if (kind < 64) k = 3; else if (kind < 72) k = 4; else if (kind < 78) k = 5;
        else if (kind < 83) k = 6; else if (kind < 86) k = 7; else if (kind < 89) k = 8;
        else if (kind < 92) k = 9; else if (kind < 94) k = 10; else if (kind < 97) k = 11;
        else k = 12;
        if (k == 3 && last_body.empty()) k = 0;
        counts[k]++;
        std::vector<uint8_t> pl, body;
        uint8_t cmd = rnd_cmd();
        switch (k) {
        case 0:  // a command with its payload (sometimes with a bad field)
            pl = payload_of(cmd);
            body = body_of(cmd, ++seq, pl);
            in = wire_of(body);
            last_body = body;
            break;
        case 1: {  // a wrong payload length
            unsigned n = rndu(3) == 0 ? 7 + rndu(3) : 1 + rndu(40);
            if (cmd == 4 && n == 8) n = 9;
            for (unsigned i = 0; i < n; i++) pl.push_back((uint8_t)rnd64());
            body = body_of(cmd, ++seq, pl);
            in = wire_of(body);
            last_body = body;
            break;
        }
        case 2: {  // an unknown command code (not one the RTL or the engine knows)
            uint8_t c;
            do c = (uint8_t)rnd64(); while (c >= 1 && c <= 10);
            for (unsigned i = 0, n = rndu(12); i < n; i++) pl.push_back((uint8_t)rnd64());
            body = body_of(c, ++seq, pl);
            in = wire_of(body);
            last_body = body;
            break;
        }
        case 3:  // the same body again: a duplicate, answered from memory
            in = wire_of(last_body);
            break;
        case 4: {  // a bad CRC
            body = body_of(cmd, ++seq, pl);
            body[rndu((unsigned)body.size())] ^= (uint8_t)(1u << rndu(8));
            in = wire_of(body);
            break;
        }
        case 5: {  // a frame cut short, then the next frame's leading 7E resynchronises
            body = body_of(cmd, ++seq, pl);
            in = wire_of(body);
            in.resize(1 + rndu((unsigned)in.size() - 1));
            in.push_back(0x7E);
            break;
        }
        case 6: {  // shorter than 6 bytes
            for (unsigned i = 0, n = rndu(6); i < n; i++) body.push_back((uint8_t)rnd64());
            in = wire_of(body);
            break;
        }
        case 7: {  // longer than max_request + 6
            unsigned n = MAX_REQUEST + 7 + rndu(300);
            for (unsigned i = 0; i < n; i++) body.push_back(rndu(4) ? (uint8_t)rnd64() : 0x7E);
            in = wire_of(body);
            break;
        }
        case 8:  // empty frames: ignored
            in.assign(1 + rndu(4), 0x7E);
            break;
        case 9:  // garbage, ended by a delimiter; half the time with delimiters inside: short
                 // frames back to back, some a lone code byte (no decoded byte at all), which
                 // arrive while the board is still answering the one before
            for (unsigned i = 0, n = 1 + rndu(30), d = rndu(2); i < n; i++) {
                uint8_t b = (uint8_t)rnd64();
                in.push_back(b == 0x7E && !d ? 0x7F : (d && rndu(3) == 0) ? 0x7E : b);
            }
            in.push_back(0x7E);
            break;
        case 10: {  // an incomplete last COBS block: a code byte promising more than follows
            in = {0x7E, (uint8_t)(0x7E ^ (2 + rndu(20)))};
            for (unsigned i = 0, n = rndu(2); i < n; i++) in.push_back(0x11);
            in.push_back(0x7E);
            break;
        }
        case 12:  // a new request that reuses the last seq (a new session, a host restart):
                  // not a duplicate unless cmd, length and CRC match too
            pl = payload_of(cmd);
            body = body_of(cmd, seq, pl);
            in = wire_of(body);
            last_body = body;
            break;
        default:  // a valid frame without its leading 7E, after garbage: becomes part of it
            in.push_back(0x33);
            body = body_of(1, ++seq, pl);
            {
                std::vector<uint8_t> w = wire_of(body);
                in.insert(in.end(), w.begin() + 1, w.end());
            }
            break;
        }
        if (splitmix64(rs_reset) % (k == 0 && cmd == XP_CMD_RUN ? RESET_ODDS / 10 : RESET_ODDS) == 0) {
            // a reset while this frame goes in, or while it is carried out and answered: the
            // board must come back as a board just powered up — a new C engine — whatever it
            // was doing; what it sent before is not compared
            uint64_t wire = RESET_CYCLES_A_BYTE * (in.size() + 1);
            uint64_t n = splitmix64(rs_reset) % 2 ? splitmix64(rs_reset) % wire
                                                   : wire + splitmix64(rs_reset) % 40000;
            s.run_cycles(in, n);
            if (!s.hw_reset()) {
                fprintf(stderr, "MISMATCH frame %u: no idle after a reset at cycle %" PRIu64 "\n",
                        f, s.cycle);
                return 1;
            }
            xp_board_destroy(ref);
            if (xp_board_create(&ref, &cfg, msg, sizeof(msg)) != XP_OK) {
                fprintf(stderr, "tb_board: xp_board_create: %s\n", msg);
                return 2;
            }
            expected_total = s.out.size();
            last_body.clear();
            net_in = 0;
            resets++;
            continue;
        }
        xp_board_rx(ref, in.data(), in.size());
        std::vector<uint8_t> want(xp_board_tx_pending(ref));
        xp_board_tx(ref, want.data(), want.size());
        size_t before = s.out.size();
        if (!s.feed(in, expected_total + want.size())) {
            fprintf(stderr, "MISMATCH frame %u (%s): the RTL stopped answering at cycle %" PRIu64
                    " (%zu of %zu reply bytes)\n", f, kinds[k], s.cycle, s.out.size() - before,
                    want.size());
#if VM_TRACE
            if (s.tr) s.tr->close();  // the waveform up to the mismatch
#endif
            return 1;
        }
        size_t got_n = s.out.size() - expected_total;
        for (size_t i = 0; i < want.size() || i < got_n; i++) {
            int w = i < want.size() ? want[i] : -1;
            int g = i < got_n ? s.out[expected_total + i] : -1;
            if (w != g) {
                fprintf(stderr, "MISMATCH frame %u (%s, %zu wire bytes in): reply byte %zu: expected "
                        "%s%02X, actual %s%02X (cycle %" PRIu64 "); expected reply:", f, kinds[k],
                        in.size(), i, w < 0 ? "none/" : "", w < 0 ? 0 : w, g < 0 ? "none/" : "",
                        g < 0 ? 0 : g, s.cycle);
                for (size_t j = 0; j < want.size() && j < 40; j++) fprintf(stderr, " %02X", want[j]);
                fprintf(stderr, "\n  actual reply:");
                for (size_t j = 0; j < got_n && j < 40; j++) fprintf(stderr, " %02X", s.out[expected_total + j]);
                fprintf(stderr, "\n");
#if VM_TRACE
                if (s.tr) s.tr->close();  // the waveform up to the mismatch
#endif
                return 1;
            }
        }
        expected_total += want.size();
        // the replies' commands and statuses (decoded from the C engine's wire bytes)
        for (size_t i = 0; i < want.size();) {
            std::vector<uint8_t> rb(want.size() + 8);
            xp_cobs_dec d;
            int done = 0, inc = 0;
            xp_cobs_dec_init(&d, rb.data(), rb.size());
            i += xp_cobs_dec_feed(&d, want.data() + i, want.size() - i, &done, &inc);
            if (!done || d.len < 3) break;
            unsigned c = rb[0] & 0x7F, st = rb[2];
            if (c <= 10 && st <= 8) replies[c][st]++;
            if (c == 5 && st == 0) net_in = rb[7] | rb[8] << 8;
            if (c == 5 && st == 0 && d.len >= 15 &&
                ((rb[7] | rb[8] << 8) == G_W || (rb[9] | rb[10] << 8) == G_W))
                w_ok++;
            if (c == 5 && st == 5 && d.len >= 25 &&
                (rb[17] | rb[18] << 8 | rb[19] << 16 | (unsigned)rb[20] << 24) == G_W)
                w_range++;
            if (c == 3 && st == 0) net_in = 0;
        }
    }
    printf("tb_board: OK: %u frames, %zu reply bytes identical to the C engine, %" PRIu64 " cycles, "
           "resets in the middle of traffic %u;", nframes, expected_total, s.cycle, resets);
    for (int k = 0; k < 13; k++) printf(" %s %u%s", kinds[k], counts[k], k < 12 ? "," : "\n");
    int rc = 0;
    printf("tb_board: replies by command (OK / errors by status 1-8):\n");
    for (unsigned c = 1; c <= 10; c++) {
        printf("  %-11s OK %4u  errors", xp_cmd_name(c), replies[c][0]);
        for (unsigned st = 1; st <= 8; st++)
            if (replies[c][st]) printf(" %s %u", xp_rsp_name(st), replies[c][st]);
        printf("\n");
    }
    // the point of a narrow board's unit: both sides of its limit
    if (G_W < XP_MAX_WIDTH && width_goal) {
        printf("tb_board: max_width %u: %u CONFIGUREs accepted with a layer that wide, %u refused "
               "with ERR_RANGE up to %u\n", G_W, w_ok, w_range, G_W);
        if (!w_ok || !w_range) {
            fprintf(stderr, "tb_board: the frames did not reach max_width %u from both sides\n", G_W);
            rc = 1;
        }
    }
    s.m->final();
#if VM_TRACE
    if (s.tr) s.tr->close();
#endif
#if VM_COVERAGE
    {
        const char *cf = getenv("XP_COVERAGE");
        int missed = coverage_check(cf && *cf ? cf : "coverage.dat");
        if (missed) {
            fprintf(stderr, "tb_board: %d coverage target(s) missed\n", missed);
            rc = 1;
        }
    }
#endif
    s.m.reset();
    xp_board_destroy(ref);
    return rc;
}
