// tb_tops.cpp — a board top (rtl/boards/) as the board sees the world: its pins only.
//
// Built twice (tests/cosim/tops_*.mk): xp_top_icebreaker with -DXP_NO_PLL (the PLL primitive is
// the one part Verilator cannot run; the top's clock is then the oscillator) and xp_top_hx8k,
// both with short LED timings. Checks, each able to fail:
//   - out of reset, the heartbeat LED toggles every 2^(HEARTBEAT_BITS-1) cycles; the iCEBreaker's
//     button holds the board in reset (no heartbeat, no reply) and a frame sent meanwhile is
//     lost, as on a real board;
//   - frames through the UART pins at the board's CLKS_PER_BIT: INFO, STATUS, SET_SEED,
//     WRITE_CELLS and READ_CELLS on a few cells, RESET — every reply byte equal to the C board
//     engine's with the board's limits and xp_params_default()'s device model (so the top's
//     constants are the default model's: READ_CELLS shows the device variation and stuck cells);
//   - the activity LED lights with traffic, stays lit 2^STRETCH_BITS cycles and goes dark
//     within 2^(STRETCH_BITS+1);
//   - a character with a bad stop bit lights the error LED; the iCEBreaker's button clears it.
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "verilated.h"
#include "xp_board.h"
#include "cosimutil.h"

#ifdef XP_TOP_HX8K
#include "Vxp_top_hx8k.h"
typedef Vxp_top_hx8k Vtop;
#define LED_HB(m) ((m)->led & 1)
#define LED_ACT(m) (((m)->led >> 1) & 1)
#define LED_ERR(m) (((m)->led >> 2) & 1)
#else
#include "Vxp_top_icebreaker.h"
typedef Vxp_top_icebreaker Vtop;
#define LED_HB(m) (!(m)->ledg_n)
#define LED_ACT(m) ((m)->led_act)
#define LED_ERR(m) (!(m)->ledr_n)
#endif

#ifndef CPB
// cppcheck-suppress preprocessorErrorDirective ; the unit's .mk always defines it
#error "CPB: the top's CLKS_PER_BIT"
#endif

static std::unique_ptr<Vtop> m;
static uint64_t cyc;
static int fails;

static void check(bool ok, const char *what) {
    printf("%s - %s\n", ok ? "ok" : "MISMATCH", what);
    if (!ok) fails++;
}

// The host's UART: bytes to send (8N1 on rxd), bytes received (txd sampled mid-bit).
static std::vector<uint8_t> tx_q, rx_got;
static size_t tx_i;
static unsigned tx_bit, tx_cnt, rx_state, rx_cnt, rx_bit, rx_byte;
static bool bad_stop_next;

static void cycle() {
    unsigned line = 1;
    if (tx_bit == 0 && tx_i < tx_q.size()) tx_bit = 1, tx_cnt = 0;
    if (tx_bit) {
        unsigned b = tx_bit - 1;  // 0 start, 1..8 data, 9 stop
        uint8_t v = tx_q[tx_i];
        line = b == 0 ? 0 : b <= 8 ? (v >> (b - 1)) & 1 : (bad_stop_next ? 0 : 1);
        if (++tx_cnt == CPB) {
            tx_cnt = 0;
            if (++tx_bit == 11) tx_bit = 0, tx_i++, bad_stop_next = false;
        }
    }
    m->rxd = line;
    m->clk_12m = 0;
    m->eval();
    m->clk_12m = 1;
    m->eval();
    cyc++;
    unsigned txd = m->txd;
    if (rx_state == 0 && !txd) {
        rx_state = 1, rx_cnt = CPB + CPB / 2, rx_bit = 0, rx_byte = 0;
    } else if (rx_state == 1 && --rx_cnt == 0) {
        if (rx_bit < 8) {
            rx_byte |= txd << rx_bit++;
            rx_cnt = CPB;
        } else {
            rx_got.push_back((uint8_t)rx_byte);
            rx_state = 0;
        }
    }
}

static void run(uint64_t n) {
    for (uint64_t k = 0; k < n; k++) cycle();
}

// Send a request, run until the reply is complete (the C engine says how long it is) or a
// deadline, and compare with the C engine's reply to the same bytes.
static void exchange(xp_board *ref, const std::vector<uint8_t> &wire, const char *what) {
    std::vector<uint8_t> want(1 << 17);
    xp_board_rx(ref, wire.data(), wire.size());
    want.resize(xp_board_tx(ref, want.data(), want.size()));
    tx_q = wire;
    tx_i = 0;
    rx_got.clear();
    uint64_t limit = cyc + 20000000;
    while ((tx_i < tx_q.size() || rx_got.size() < want.size()) && cyc < limit) cycle();
    run(40 * CPB);  // nothing more may come
    bool same = rx_got == want;
    char line[200];
    snprintf(line, sizeof(line), "%s: %zu reply bytes through the pins equal to the C engine's",
             what, want.size());
    check(same && !want.empty(), line);
    if (!same) {
        size_t i = 0;
        while (i < want.size() && i < rx_got.size() && want[i] == rx_got[i]) i++;
        printf("  first difference at byte %zu of %zu (got %zu bytes)\n", i, want.size(), rx_got.size());
    }
}

static unsigned hb_toggles(uint64_t n) {
    unsigned t = 0, last = LED_HB(m);
    for (uint64_t k = 0; k < n; k++) {
        cycle();
        if (LED_HB(m) != last) t++, last = LED_HB(m);
    }
    return t;
}

int main(int argc, char **argv) {
    Verilated::commandArgs(argc, argv);
    cosim_seed(1, 0);
    m.reset(new Vtop);
    m->rxd = 1;
#ifndef XP_TOP_HX8K
    m->btn_n = 1;
#endif
    xp_board_config cfg;
    xp_board_config_default(&cfg);  // xp_params_default(): the tops' device model
    cfg.max_request = MAX_REQUEST;
    cfg.max_reply = MAX_REPLY;
    cfg.max_batch = MAX_BATCH;
    cfg.max_width = MAX_WIDTH;
    cfg.params.rows = ROWS;
    cfg.params.cols = COLS;
    cfg.params.tiles = TILES;
    cfg.impl = 2;
    xp_board *ref = nullptr;
    char msg[256];
    if (xp_board_create(&ref, &cfg, msg, sizeof(msg)) != XP_OK) {
        fprintf(stderr, "tb_tops: %s\n", msg);
        return 2;
    }

    // power-up: the reset, then the board clears its state (a few thousand cycles)
    run(100);
    unsigned t = hb_toggles(8u << HB_BITS);
    check(t >= 14 && t <= 17, "heartbeat toggles every 2^(HEARTBEAT_BITS-1) cycles out of reset");
#ifndef XP_TOP_HX8K
    m->btn_n = 0;
    run(8);
    t = hb_toggles(4u << HB_BITS);
    check(t == 0 && !LED_HB(m), "the button holds the board in reset: no heartbeat");
    m->btn_n = 1;
    run(64);
    check(hb_toggles(4u << HB_BITS) >= 6, "released, the heartbeat comes back");
#endif
    run(200000);  // the board's power-up clear

    uint8_t seq = 1;
    exchange(ref, wire_of(body_of(XP_CMD_INFO, seq++, {})), "INFO");
    check(LED_ACT(m), "the activity LED is lit after traffic");
    run((1u << ST_BITS) - 200);
    check(LED_ACT(m), "… still lit 2^STRETCH_BITS cycles after the last edge");
    run((1u << ST_BITS) + 300);
    check(!LED_ACT(m), "… and dark 2^(STRETCH_BITS+1) cycles after it");
    exchange(ref, wire_of(body_of(XP_CMD_STATUS, seq++, {})), "STATUS");
    exchange(ref, wire_of(body_of(XP_CMD_SET_SEED, seq++, {7, 0, 0, 0, 0, 0, 0, 0})), "SET_SEED");
    // WRITE_CELLS on 4 x 4 cells of tile 0 (codes from the seed), READ_CELLS of 6 x 6 around
    std::vector<uint8_t> wc = {0, 0, 2, 0, 3, 0, 4, 0, 4, 0};
    for (int i = 0; i < 16; i++) wc.push_back((uint8_t)rndu(16)), wc.push_back((uint8_t)rndu(16));
    exchange(ref, wire_of(body_of(XP_CMD_WRITE_CELLS, seq++, wc)), "WRITE_CELLS (4 x 4 cells)");
    exchange(ref, wire_of(body_of(XP_CMD_READ_CELLS, seq++, {0, 0, 1, 0, 2, 0, 6, 0, 6, 0})),
             "READ_CELLS (6 x 6 cells: the default device model's variation and stuck cells)");
    exchange(ref, wire_of(body_of(XP_CMD_RESET, seq++, {})), "RESET");

    check(!LED_ERR(m), "no error LED after clean traffic");
    bad_stop_next = true;
    tx_q = {0x55};
    tx_i = 0;
    run(20 * CPB);
    check(LED_ERR(m), "a character with a bad stop bit lights the error LED");
#ifndef XP_TOP_HX8K
    m->btn_n = 0;
    run(8);
    m->btn_n = 1;
    run(64);
    check(!LED_ERR(m), "the button clears it");
#endif
    m->final();
    m.reset();  // before the Verilated context goes away at exit
    xp_board_destroy(ref);
    printf("%s: %s after %llu cycles\n", fails ? "FAIL" : "OK", fails ? "mismatches" : "every check passed",
           (unsigned long long)cyc);
    return fails ? 1 : 0;
}
