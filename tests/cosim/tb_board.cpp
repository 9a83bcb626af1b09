// tb_board.cpp — byte-level differential co-simulation of rtl/xp_board.v against the C board
// engine (cmodel/xp_board.c): the same random byte streams go to both, and every reply byte
// must be the same. Streams mix valid frames of the commands the RTL implements so far (INFO,
// STATUS, RESET, SET_SEED) with right and wrong payload lengths, unknown command codes,
// duplicates (the same body again), bad CRCs, truncated frames, incomplete COBS blocks, frames
// too short and too long, empty frames and garbage; the RTL's input has random gaps and its
// output random backpressure. Usage: Vtb [FRAMES]; XP_SEED seeds the streams (printed).
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "Vxp_board.h"
#include "cosimutil.h"
#include "verilated.h"
#include "xp_board.h"


// the RTL's parameters (rtl/xp_board.v defaults)
static const uint32_t MAX_REQUEST = 1024, MAX_REPLY = 1024;
static const uint16_t MAX_BATCH = 16;

static std::vector<uint8_t> wire_of(const std::vector<uint8_t> &body) {
    std::vector<uint8_t> w(XP_COBS_MAX(body.size()) + 2);
    xp_cobs_enc e;
    w[0] = 0x7E;
    xp_cobs_enc_init(&e, w.data() + 1);
    xp_cobs_enc_feed(&e, body.data(), body.size());
    size_t n = 1 + xp_cobs_enc_finish(&e, w.data() + 1);
    w[n] = 0x7E;
    w.resize(n + 1);
    return w;
}

static std::vector<uint8_t> body_of(uint8_t cmd, uint8_t seq, const std::vector<uint8_t> &pl) {
    std::vector<uint8_t> b = {cmd, seq};
    b.insert(b.end(), pl.begin(), pl.end());
    uint32_t c = xp_crc32c(0, b.data(), b.size());
    for (int i = 0; i < 4; i++) b.push_back((uint8_t)(c >> (8 * i)));
    return b;
}

struct sim {
    std::unique_ptr<Vxp_board> m;
    uint64_t cycle = 0;
    std::vector<uint8_t> out;
    void tick() {
        m->clk = 0; m->eval();
        m->clk = 1; m->eval();
        cycle++;
    }
    // Feed bytes with random gaps, collecting output with random backpressure; then run until
    // `want` output bytes have come (or a timeout).
    bool feed(const std::vector<uint8_t> &in, size_t want) {
        size_t i = 0;
        uint64_t idle = 0;
        while (i < in.size() || out.size() < want) {
            bool give = i < in.size() && rndu(8) != 0;
            m->s_tdata = give ? in[i] : 0;
            m->s_tvalid = give;
            m->m_tready = rndu(8) != 0;
            m->clk = 0; m->eval();
            bool took = give && m->s_tready;
            bool got = m->m_tvalid && m->m_tready;
            uint8_t b = m->m_tdata;
            m->clk = 1; m->eval();
            cycle++;
            if (took) i++;
            if (got) out.push_back(b);
            idle = (took || got) ? 0 : idle + 1;
            if (idle > 200000) return false;
        }
        // no byte may follow what the C engine answered
        m->s_tvalid = 0;
        m->m_tready = 1;
        for (int k = 0; k < 64; k++) {
            m->clk = 0; m->eval();
            bool got = m->m_tvalid;
            uint8_t b = m->m_tdata;
            m->clk = 1; m->eval();
            cycle++;
            if (got) out.push_back(b);
        }
        return true;
    }
};

int main(int argc, char **argv) {
    uint64_t seed = cosim_seed(1000003, 17);
    unsigned nframes = argc > 1 ? (unsigned)strtoul(argv[1], nullptr, 10) : 10000;
    printf("tb_board: XP_SEED=%" PRIu64 " (reproduce: make cosim-board SEED=%" PRIu64 "), %u frames\n",
           seed, seed, nframes);

    xp_board_config cfg;
    xp_board_config_default(&cfg);
    cfg.max_request = MAX_REQUEST;
    cfg.max_reply = MAX_REPLY;
    cfg.max_batch = MAX_BATCH;
    cfg.impl = 2;
    xp_board *ref;
    char msg[XP_ERRMSG];
    if (xp_board_create(&ref, &cfg, msg, sizeof(msg)) != XP_OK) {
        fprintf(stderr, "tb_board: xp_board_create: %s\n", msg);
        return 2;
    }

    Verilated::randReset(2);  // random initial register values
    Verilated::commandArgs(argc, argv);
    sim s;
    s.m.reset(new Vxp_board);
    s.m->rst = 1;
    s.m->s_tvalid = 0;
    s.m->m_tready = 1;
    for (int k = 0; k < 4; k++) s.tick();
    s.m->rst = 0;

    std::vector<uint8_t> last_body;
    unsigned counts[13] = {};
    static const char *kinds[13] = {"valid", "wrong length", "unknown cmd", "duplicate", "bad CRC",
                                    "truncated", "too short", "too long", "empty", "garbage",
                                    "incomplete", "resync", "same seq, new body"};
    uint8_t seq = 0;
    size_t expected_total = 0;
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
        uint8_t cmd = (uint8_t)(1 + rndu(4));
        switch (k) {
        case 0:  // a valid command with its right payload
            if (cmd == 4) for (int i = 0; i < 8; i++) pl.push_back((uint8_t)rnd64());
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
        case 9:  // garbage (7E-free), ended by a delimiter
            for (unsigned i = 0, n = 1 + rndu(30); i < n; i++) {
                uint8_t b = (uint8_t)rnd64();
                in.push_back(b == 0x7E ? 0x7F : b);
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
            if (cmd == 4) for (int i = 0; i < 8; i++) pl.push_back((uint8_t)rnd64());
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
        xp_board_rx(ref, in.data(), in.size());
        std::vector<uint8_t> want(xp_board_tx_pending(ref));
        xp_board_tx(ref, want.data(), want.size());
        size_t before = s.out.size();
        if (!s.feed(in, expected_total + want.size())) {
            fprintf(stderr, "MISMATCH frame %u (%s): the RTL stopped answering at cycle %" PRIu64
                    " (%zu of %zu reply bytes)\n", f, kinds[k], s.cycle, s.out.size() - before,
                    want.size());
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
                return 1;
            }
        }
        expected_total += want.size();
    }
    printf("tb_board: OK: %u frames, %zu reply bytes identical to the C engine, %" PRIu64 " cycles;",
           nframes, expected_total, s.cycle);
    for (int k = 0; k < 13; k++) printf(" %s %u%s", kinds[k], counts[k], k < 12 ? "," : "\n");
    s.m->final();
    s.m.reset();
    xp_board_destroy(ref);
    return 0;
}
