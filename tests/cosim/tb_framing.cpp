// tb_framing.cpp — co-simulation of the framing units of docs/protocol.md §2 against the C
// board engine's primitives (cmodel/xp_frame.c) and against values written out here:
//   CRC   xp_crc32c: the check value "123456789" → E3069283, then N random messages
//         (0 … 70,000 bytes) compared with xp_crc32c_sw after every byte and with xp_crc32c
//         over the whole message;
//   ENC   xp_cobs_tx (512-byte ring; ENC8: a second instance with a 256-byte ring, its own
//         stimulus): hand-written encodings, then N random bodies (0 … 3,000 bytes and around
//         multiples of 254; random, 7E-rich, 00-rich, 7E-free and sparse-7E contents) with null
//         beats, gaps on s_tvalid and backpressure on m_tready; every wire byte (and m_tlast)
//         against 7E ‖ xp_cobs_enc(body) ‖ 7E, m_* held while stalled; then 16 back-to-back
//         3,000-byte bodies at full rate: no idle cycle on m_* after the first full block
//         (ENC8: at most 2 per full block);
//   DEC   xp_cobs_rx: a wire stream of at least N frames — valid frames, 7E-heavy bodies,
//         garbage, truncated frames, incomplete last blocks, corrupted bytes, empty frames
//         (repeated 7E), bytes before the first 7E, frames longer than 65543 bytes — with
//         gaps and backpressure; every decoded byte, L (saturating at MAX_LEN + 1 = 65543)
//         and the incomplete flag against xp_cobs_dec_feed, and valid frames also against the
//         body they were made from;
//   LB    xp_cobs_tx → xp_uart_tx → line → xp_uart_rx → xp_cobs_rx at CLKS_PER_BIT = 8: the
//         line checked cycle by cycle against 8N1 at exactly 8 cycles a bit, frames with a
//         CRC-32C decoded intact, and frames whose stop bit of one byte is forced low: a
//         framing error, the byte dropped, the frame rejected by §2.4, the next one intact;
//   URX   xp_uart_rx alone: characters with the sender's baud error across the receiver's
//         documented tolerance (-4.6 % … +3.8 % at 8 cycles a bit) and random edge phases,
//         random idle gaps (none included), framing errors, breaks, start-bit glitches,
//         m_tready backpressure.
// All six run side by side in the same clock cycles. Usage: Vtb [N] (default 10000); XP_SEED seeds all
// stimulus and the random initial register values. Exits 1 at the first mismatch, printing
// the case, the byte index, expected and actual values and the cycle.
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "Vxp_framing_tb_top.h"
#include "cosimutil.h"  // splitmix64()
#include "verilated.h"
#include "xp_board.h"

typedef std::vector<uint8_t> bytes;

static const unsigned UART_N = 8;                   // CLKS_PER_BIT of the top's UARTs
static const unsigned SAMPLE_D = (UART_N - 1) / 2;  // xp_uart_rx's SAMPLE_DELAY
static const uint32_t DEC_MAX_LEN = 65542;          // the top's xp_cobs_rx MAX_LEN
static const uint64_t STALL_CYCLES = 400000;        // no progress for this long: a hang

static Vxp_framing_tb_top *t;
static uint64_t cycle, seed;

// ---- random numbers (splitmix64): one stream per unit, so that each unit's stimulus
// depends on XP_SEED only, not on the other units' timing ----
struct rng {
    uint64_t s;
    rng(uint64_t seed_, uint64_t stream) : s(seed_ * 0x2545F4914F6CDD1Dull + stream * 0xD1B54A32D192ED03ull) { s = u64(); }
    uint64_t u64() { return splitmix64(s); }
    uint64_t r(uint64_t lo, uint64_t hi) { return lo + u64() % (hi - lo + 1); }   // [lo, hi]
    double f() { return (double)(u64() >> 11) * (1.0 / 9007199254740992.0); }     // [0, 1)
    bool chance(double p) { return f() < p; }
};

// ---- failure report ----
static void dump(const char *name, const bytes &b, size_t at) {
    size_t lo = at > 24 ? at - 24 : 0, hi = at + 24 < b.size() ? at + 24 : b.size();
    fprintf(stderr, "  %s (%zu bytes), bytes %zu … %zu:", name, b.size(), lo, hi);
    for (size_t i = lo; i < hi; i++)
        fprintf(stderr, i == at ? " [%02X]" : " %02X", b[i]);
    fputc('\n', stderr);
}
static void fail(const char *unit, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "tb_framing: FAIL %s at cycle %" PRIu64 ": ", unit, cycle);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}
static void die() {
    fprintf(stderr, "tb_framing: XP_SEED=%" PRIu64 " reproduces this\n", seed);
    exit(1);
}
#define FAIL(unit, ...) do { fail(unit, __VA_ARGS__); die(); } while (0)
#define FAILD(unit, DUMPS, ...) do { fail(unit, __VA_ARGS__); DUMPS; die(); } while (0)

// ---- C model references ----
static bytes c_encode(rng &R, const bytes &body) {  // 7E E(body) 7E
    bytes w(XP_COBS_MAX(body.size()) + 2);
    w[0] = XP_DELIM;
    xp_cobs_enc e;
    xp_cobs_enc_init(&e, w.data() + 1);
    if (!body.empty()) {  // feed in random pieces: the streaming encoder must not care
        size_t i = 0;
        while (i < body.size()) {
            size_t k = R.chance(0.5) ? body.size() - i : R.r(1, body.size() - i);
            xp_cobs_enc_feed(&e, body.data() + i, k);
            i += k;
        }
    }
    size_t n = xp_cobs_enc_finish(&e, w.data() + 1);
    w.resize(n + 2);
    w[n + 1] = XP_DELIM;
    return w;
}
struct cframe {
    size_t end;      // wire offset of the delimiter that ended it
    bytes data;      // decoded bytes (all of them: cap is larger than any test frame)
    uint32_t len;    // xp_cobs_dec's L
    int incomplete;
    int body;        // index into the generator's bodies if made as a valid frame, else -1
};
static std::vector<cframe> c_decode(const bytes &wire) {  // every frame that a 7E ends
    std::vector<cframe> out;
    bytes buf(1u << 17);
    xp_cobs_dec d;
    xp_cobs_dec_init(&d, buf.data(), buf.size());
    size_t i = 0;
    while (i < wire.size()) {
        int done = 0, inc = 0;
        i += xp_cobs_dec_feed(&d, wire.data() + i, wire.size() - i, &done, &inc);
        if (!done)
            break;
        cframe f;
        f.end = i - 1;
        f.len = d.len;
        f.incomplete = inc;
        f.data.assign(buf.begin(), buf.begin() + (d.len < buf.size() ? d.len : buf.size()));
        f.body = -1;
        out.push_back(f);
        xp_cobs_dec_next(&d);
    }
    return out;
}

// ---- body generator: lengths 0 … 3,000 and around multiples of 254, varied contents ----
static bytes gen_body(rng &R, size_t maxlen) {
    size_t n;
    double r = R.f();
    if (r < 0.30)
        n = R.r(0, 40);
    else if (r < 0.60)
        n = R.r(0, 600);
    else if (r < 0.85) {
        long k = (long)R.r(1, maxlen / 254 ? maxlen / 254 : 1) * 254 + (long)R.r(0, 6) - 3;
        n = k < 0 ? 0 : (size_t)k;
    } else
        n = R.r(0, maxlen);
    if (n > maxlen)
        n = maxlen;
    bytes b(n);
    int mode = (int)R.r(0, 7);
    for (size_t i = 0; i < n; i++) {
        uint8_t v = (uint8_t)R.u64();
        switch (mode) {
        case 0: case 1: break;                                             // random
        case 2: if (R.chance(0.3)) v = 0x7E; break;                          // 7E-rich
        case 3: if (R.chance(0.5)) v = 0x00; break;                          // 00-rich
        case 4: if (v == 0x7E) v = 0x7D; break;                            // no 7E: full blocks
        case 5: v = R.chance(1.0 / 300) ? 0x7E : (v == 0x7E ? 0x00 : v); break;  // sparse 7E
        case 6: v = R.chance(0.9) ? 0x7E : v; break;                         // nearly all 7E
        default: v = (i % 254 == 253 || i % 255 == 254) ? 0x7E : (uint8_t)(v | 1); break;
        }
        b[i] = v;
    }
    return b;
}

// =========================================================================================
// CRC: xp_crc32c
// =========================================================================================
struct crc_task {
    rng R, C;  // R: the messages; C: cycle-level choices (gaps), which depend on the RTL's timing
    uint64_t n_msgs, done_msgs = 0, bytes_total = 0, last_progress = 0;
    bytes msg;
    size_t pos = 0;
    bool clear_pending = false, clear_alone = false, busy = false;
    double gap = 0;
    uint32_t run = 0;       // expected crc output now
    bool finished = false;

    explicit crc_task(uint64_t n) : R(seed, 1), C(seed, 101), n_msgs(n) {}

    void next_msg() {
        if (done_msgs == n_msgs + 1) {
            finished = true;
            busy = false;
            return;
        }
        msg.clear();
        if (done_msgs == 0) {
            const char *cv = "123456789";
            msg.assign(cv, cv + 9);
        } else {
            size_t n;
            if (done_msgs % 500 == 1)  // a few long ones, the last one at the 70,000 bound
                n = done_msgs + 500 > n_msgs ? 70000 : R.r(20000, 70000);
            else {
                double r = R.f();
                n = r < 0.6 ? R.r(0, 64) : r < 0.9 ? R.r(0, 1000) : R.r(1000, 4000);
            }
            msg.resize(n);
            int mode = (int)R.r(0, 4);
            for (auto &v : msg)
                v = mode == 0 ? 0 : mode == 1 ? (R.chance(0.5) ? 0x7E : (uint8_t)R.u64()) : mode == 2 ? 0xFF : (uint8_t)R.u64();
        }
        pos = 0;
        clear_pending = true;
        clear_alone = msg.empty() || R.chance(0.5);
        gap = R.chance(0.5) ? 0 : R.f() * 0.6;
        busy = true;
    }
    void drive() {
        if (!busy && !finished)
            next_msg();
        t->crc_clear = 0;
        t->crc_tvalid = 0;
        t->crc_tdata = (uint8_t)C.u64();
        if (finished)
            return;
        if (clear_pending) {
            t->crc_clear = 1;
            if (!clear_alone) {
                t->crc_tvalid = 1;
                t->crc_tdata = msg[0];
            }
        } else if (pos < msg.size() && !C.chance(gap)) {
            t->crc_tvalid = 1;
            t->crc_tdata = msg[pos];
        }
    }
    // after the clock edge: the registered crc reflects this cycle's inputs
    void after(bool clr, bool valid, uint8_t d) {
        if (finished && !clr && !valid)
            return;
        if (clr) {
            run = 0;
            clear_pending = false;
        }
        if (valid) {
            run = xp_crc32c_sw(run, &d, 1);
            pos++;
            bytes_total++;
            last_progress = cycle;
        }
        if (t->crc_out != run)
            FAILD("CRC", dump("message", msg, pos ? pos - 1 : 0),
                  "message %" PRIu64 " (%zu bytes), after byte index %zu: expected crc %08X (xp_crc32c_sw), got %08X",
                  done_msgs, msg.size(), pos ? pos - 1 : 0, run, t->crc_out);
        if (busy && !clear_pending && pos == msg.size()) {
            uint32_t whole = xp_crc32c(0, msg.data(), msg.size());
            if (t->crc_out != whole)
                FAIL("CRC", "message %" PRIu64 " (%zu bytes): expected crc %08X (xp_crc32c), got %08X",
                     done_msgs, msg.size(), whole, t->crc_out);
            if (done_msgs == 0 && t->crc_out != 0xE3069283u)
                FAIL("CRC", "check value \"123456789\": expected E3069283 (protocol §2.2), got %08X", t->crc_out);
            if (msg.empty() && t->crc_out != 0)
                FAIL("CRC", "empty message: expected 00000000, got %08X", t->crc_out);
            done_msgs++;
            busy = false;
            last_progress = cycle;
        }
    }
};

// =========================================================================================
// ENC: xp_cobs_tx
// =========================================================================================
struct beat {
    uint8_t data, keep, last;
};
struct enc_case {
    uint64_t id;
    bytes body, wire;
    double ready;  // m_tready probability while this frame is on the output
    bool perf;
    size_t first_ff = SIZE_MAX;  // wire index of the first code byte of a full block (81)
};
struct enc_io {  // one xp_cobs_tx instance's ports in the top
    CData &s_tdata, &s_tkeep, &s_tvalid, &s_tready, &s_tlast, &m_tdata, &m_tvalid, &m_tready, &m_tlast;
};
struct enc_task {
    const char *name;
    enc_io io;
    rng R, C;  // R: the bodies; C: cycle-level choices (gaps, backpressure)
    uint64_t perf_idle = 0, perf_idle_warm = 0;
    bool warm = false;  // a full block's code byte went out at full rate
    uint64_t n_bodies, n_perf, made = 0, checked = 0, bytes_in = 0, bytes_out = 0, last_progress = 0;
    std::vector<beat> beats;
    size_t bi = 0;
    double gap = 0;
    bool asserting = false, feeding = false;
    std::deque<enc_case> q;  // bodies fed or being fed, not yet fully checked
    size_t opos = 0;
    bool prev_stall = false;
    uint8_t prev_data = 0, prev_last = 0;
    uint64_t perf_first = 0, perf_last = 0, perf_wire = 0;
    bool finished = false;
    bool in_fire = false, out_fire = false;

    enc_task(const char *nm, const enc_io &p, uint64_t stream, uint64_t n, uint64_t np)
        : name(nm), io(p), R(seed, stream), C(seed, stream + 100), n_bodies(n), n_perf(np) {}

    // hand-written encodings (protocol §2.3), checked against the C encoder too
    static bool known(uint64_t i, bytes &body, bytes &wire) {
        body.clear();
        wire.clear();
        switch (i) {
        case 0: wire = {0x7E, 0x7F, 0x7E}; return true;                                 // empty body
        case 1: body = {0x7E}; wire = {0x7E, 0x7F, 0x7F, 0x7E}; return true;            // one 7E
        case 2: body = {0x01, 0x02}; wire = {0x7E, 0x7D, 0x01, 0x02, 0x7E}; return true;
        case 3: body = {0x00}; wire = {0x7E, 0x7C, 0x00, 0x7E}; return true;
        case 4:  // 254 non-7E bytes: code FF, then the empty final block 01 (7F after the XOR)
            body.assign(254, 0x41);
            wire.push_back(0x7E); wire.push_back(0x81);
            wire.insert(wire.end(), 254, 0x41);
            wire.push_back(0x7F); wire.push_back(0x7E);
            return true;
        case 5:  // 253 bytes then 7E: code FE, then the final empty block
            body.assign(253, 0x41); body.push_back(0x7E);
            wire.push_back(0x7E); wire.push_back(0x80);
            wire.insert(wire.end(), 253, 0x41);
            wire.push_back(0x7F); wire.push_back(0x7E);
            return true;
        case 6:  // 255 bytes: FF block, then a block of one
            body.assign(255, 0x42);
            wire.push_back(0x7E); wire.push_back(0x81);
            wire.insert(wire.end(), 254, 0x42);
            wire.push_back(0x7C); wire.push_back(0x42); wire.push_back(0x7E);
            return true;
        case 7: body = {0x31, 0x7E, 0x7E, 0x32}; wire = {0x7E, 0x7C, 0x31, 0x7F, 0x7C, 0x32, 0x7E}; return true;
        default: return false;
        }
    }
    void new_body() {
        enc_case c;
        c.id = made;
        c.perf = made >= n_bodies;
        bytes kw;
        if (known(made, c.body, kw)) {
            c.wire = c_encode(R, c.body);
            if (c.wire != kw)
                FAILD(name, (dump("expected", kw, 0), dump("xp_cobs_enc", c.wire, 0)),
                      "the C encoder disagrees with the hand-written encoding of case %" PRIu64, made);
        } else if (c.perf) {
            c.body.resize(3000);
            for (auto &v : c.body)
                v = (uint8_t)R.u64();
            c.wire = c_encode(R, c.body);
        } else {
            c.body = gen_body(R, 3000);
            c.wire = c_encode(R, c.body);
        }
        for (size_t k = 1; k + 1 < c.wire.size(); k += c.wire[k] ^ 0x7E)  // walk the code bytes
            if (c.wire[k] == 0x81 && c.first_ff == SIZE_MAX)
                c.first_ff = k;
        // the reference round trip: decoding the C encoding gives the body back
        std::vector<cframe> rt = c_decode(c.wire);
        if (rt.size() != 1 || rt[0].incomplete || rt[0].data != c.body)
            FAIL(name, "C encode/decode round trip of body %" PRIu64 " fails", made);
        if (c.wire.size() > XP_COBS_MAX(c.body.size()) + 2)
            FAIL(name, "C encoding of body %" PRIu64 " longer than XP_COBS_MAX", made);
        // beats: null beats sprinkled in, tlast on the last byte or on a trailing null beat
        beats.clear();
        double nulls = c.perf || R.chance(0.7) ? 0 : 0.05;
        for (size_t i = 0; i < c.body.size(); i++) {
            while (R.chance(nulls))
                beats.push_back({(uint8_t)R.u64(), 0, 0});
            beats.push_back({c.body[i], 1, 0});
        }
        if (c.body.empty() || (!c.perf && R.chance(0.15)))
            beats.push_back({(uint8_t)R.u64(), 0, 1});
        else
            beats.back().last = 1;
        bi = 0;
        gap = c.perf ? 0 : R.chance(0.4) ? 0 : R.chance(0.5) ? 0.1 : R.f() * 0.8;
        double r = R.f();
        c.ready = c.perf ? 1.0 : r < 0.4 ? 1.0 : r < 0.7 ? 0.9 : r < 0.9 ? 0.5 : 0.15;
        q.push_back(c);
        made++;
        feeding = true;
    }
    void drive() {
        // the full-rate bodies start once everything before them is out
        if (!feeding && made < n_bodies + n_perf && (made != n_bodies || q.empty()))
            new_body();
        io.s_tvalid = 0;
        io.s_tdata = (uint8_t)C.u64();
        io.s_tkeep = (uint8_t)(C.u64() & 1);
        io.s_tlast = (uint8_t)(C.u64() & 1);
        if (feeding) {
            if (!asserting)
                asserting = !C.chance(gap);
            if (asserting) {
                io.s_tvalid = 1;
                io.s_tdata = beats[bi].data;
                io.s_tkeep = beats[bi].keep;
                io.s_tlast = beats[bi].last;
            }
        }
        double ready = q.empty() ? 0.5 : q.front().ready;
        io.m_tready = C.chance(ready);
    }
    void sample() {
        in_fire = io.s_tvalid && io.s_tready;
        out_fire = io.m_tvalid && io.m_tready;
        if (prev_stall && (!io.m_tvalid || io.m_tdata != prev_data || io.m_tlast != prev_last))
            FAIL(name, "m_tvalid/m_tdata/m_tlast changed while stalled (was %02X last %u, now valid %u %02X last %u)",
                 prev_data, prev_last, io.m_tvalid, io.m_tdata, io.m_tlast);
        prev_stall = io.m_tvalid && !io.m_tready;
        if (!q.empty() && q.front().perf && perf_first && !io.m_tvalid) {  // an idle cycle at full rate
            perf_idle++;
            perf_idle_warm += warm;
        }
        prev_data = io.m_tdata;
        prev_last = io.m_tlast;
        if (!out_fire)
            return;
        if (q.empty())
            FAIL(name, "unexpected wire byte %02X with no body fed", io.m_tdata);
        enc_case &c = q.front();
        if (opos >= c.wire.size())
            FAIL(name, "body %" PRIu64 ": wire byte %zu beyond the expected %zu", c.id, opos, c.wire.size());
        uint8_t want = c.wire[opos];
        bool want_last = opos + 1 == c.wire.size();
        if (io.m_tdata != want || io.m_tlast != want_last)
            FAILD(name, (dump("expected wire (7E xp_cobs_enc 7E)", c.wire, opos), dump("body", c.body, opos ? opos - 1 : 0)),
                  "body %" PRIu64 " (%zu bytes), wire byte index %zu: expected %02X%s, got %02X%s",
                  c.id, c.body.size(), opos, want, want_last ? " tlast" : "", io.m_tdata,
                  io.m_tlast ? " tlast" : "");
        if (c.perf) {
            perf_last = cycle;
            perf_wire++;
            if (opos == c.first_ff) {
                warm = true;
            }
        }
        bytes_out++;
        last_progress = cycle;
        if (++opos == c.wire.size()) {
            q.pop_front();
            opos = 0;
            checked++;
            if (checked == n_bodies + n_perf)
                finished = true;
        }
    }
    void after() {
        if (!in_fire)
            return;
        if (q.back().perf && perf_first == 0)
            perf_first = cycle;  // the cycle the first full-rate beat was taken (ends here)
        asserting = false;
        bytes_in += beats[bi].keep;
        last_progress = cycle;
        if (++bi == beats.size())
            feeding = false;
    }
};

// =========================================================================================
// DEC: xp_cobs_rx
// =========================================================================================
struct dec_task {
    rng R, C;  // R: the wire stream; C: cycle-level choices
    bytes wire;
    std::vector<bytes> bodies;
    std::vector<cframe> exp;
    size_t pos = 0, fi = 0, bi = 0;
    bool asserting = false;
    double gap = 0, ready = 1;
    uint64_t last_progress = 0, bytes_out = 0, n_valid = 0, n_inc = 0, n_sat = 0, n_short = 0, quiet = 0;
    bool finished = false, in_fire = false, prev_stall = false;
    uint8_t prev_data = 0;

    bytes enc(const bytes &b) {  // E(body) without the delimiters
        bytes w = c_encode(R, b);
        return bytes(w.begin() + 1, w.end() - 1);
    }
    void add_valid(const bytes &b, bool lead) {
        if (lead)
            wire.push_back(0x7E);
        bytes e = enc(b);
        wire.insert(wire.end(), e.begin(), e.end());
        wire.push_back(0x7E);
        bodies.push_back(b);
        valid_end.push_back(wire.size() - 1);
    }
    std::vector<size_t> valid_end;

    explicit dec_task(uint64_t n_frames) : R(seed, 3), C(seed, 103) {
        // bytes before the first 7E: a valid frame without its leading delimiter
        add_valid(gen_body(R, 600), false);
        // long frames around the saturation of L at MAX_LEN + 1 = 65543
        const size_t longs[] = {65542, 65543, 65544, 70000};
        uint64_t est = 1;
        size_t li = 0;
        while (est < n_frames + n_frames / 5) {
            if (li < 4 && est % (n_frames / 5 + 1) == 3) {
                bytes b(longs[li++]);
                for (auto &v : b)
                    v = R.chance(0.05) ? 0x7E : (uint8_t)R.u64();
                add_valid(b, true);
                est++;
                continue;
            }
            double r = R.f();
            if (r < 0.40) {  // a valid frame
                add_valid(gen_body(R, 3000), true);
            } else if (r < 0.48) {  // truncated: the next leading 7E (or a later one) ends it
                bytes e = enc(gen_body(R, 600));
                wire.push_back(0x7E);
                wire.insert(wire.end(), e.begin(), e.begin() + (long)R.r(1, e.size()));
            } else if (r < 0.56) {  // incomplete last block: cut inside a block, then 7E
                bytes b = gen_body(R, 600);
                b.push_back((uint8_t)R.r(0x80, 0xFF));  // at least one data byte in the last block
                bytes e = enc(b);
                std::vector<size_t> codes;  // offsets of the code bytes of blocks with data bytes
                for (size_t k = 0; k < e.size(); k += (e[k] ^ 0x7E))
                    if ((e[k] ^ 0x7E) > 1)
                        codes.push_back(k);
                size_t c = R.chance(0.5) ? codes.back() : codes[R.r(0, codes.size() - 1)];
                size_t k = e[c] ^ 0x7E;  // cut after the code byte and 0 … k - 2 of its k - 1 data bytes
                wire.push_back(0x7E);
                wire.insert(wire.end(), e.begin(), e.begin() + (long)R.r(c + 1, c + k - 1));
                wire.push_back(0x7E);
            } else if (r < 0.64) {  // a corrupted byte (may become a 7E)
                bytes e = enc(gen_body(R, 600));
                e[R.r(0, e.size() - 1)] = R.chance(0.2) ? 0x7E : (uint8_t)R.u64();
                wire.push_back(0x7E);
                wire.insert(wire.end(), e.begin(), e.end());
                wire.push_back(0x7E);
            } else if (r < 0.72) {  // garbage, 7E now and then
                size_t n = R.r(1, 100);
                for (size_t k = 0; k < n; k++)
                    wire.push_back(R.chance(0.1) ? 0x7E : (uint8_t)R.u64());
            } else if (r < 0.80) {  // empty frames
                size_t n = R.r(1, 6);
                wire.insert(wire.end(), n, 0x7E);
                continue;
            } else if (r < 0.88) {  // short oddities: 7F (no byte), single codes, tiny frames
                static const bytes odd[] = {{0x7F}, {0x7F, 0x7F}, {0x7F, 0x7F, 0x7F}, {0x7C}, {0x7C, 0x00},
                                            {0x81}, {0x7D, 0x01}, {0x00}, {0xFF}, {0x7C, 0x01, 0x7F}};
                const bytes &o = odd[R.r(0, 9)];
                wire.push_back(0x7E);
                wire.insert(wire.end(), o.begin(), o.end());
                wire.push_back(0x7E);
            } else if (r < 0.94) {  // a valid frame with a 7E-heavy body, no leading 7E after a 7E
                bytes b(R.r(0, 300));
                for (auto &v : b)
                    v = R.chance(0.7) ? 0x7E : (uint8_t)R.u64();
                if (wire.empty() || wire.back() != 0x7E)
                    wire.push_back(0x7E);
                add_valid(b, false);
            } else {  // blocks of exactly 254 and 253 data bytes, then the end
                bytes b(254 * R.r(1, 3) + R.r(0, 1) * 253);
                for (auto &v : b) {
                    uint8_t x = (uint8_t)(R.u64() % 255 + 1);
                    v = x == 0x7E ? 0x7D : x;
                }
                add_valid(b, true);
            }
            est++;
        }
        wire.push_back(0x7E);
        exp = c_decode(wire);
        if (exp.size() < n_frames)
            FAIL("DEC", "generator: only %zu frames, %" PRIu64 " wanted", exp.size(), n_frames);
        // valid frames: the C decoder must give the body back (expected values, not only C)
        size_t k = 0;
        for (size_t v = 0; v < bodies.size(); v++) {
            while (k < exp.size() && exp[k].end < valid_end[v])
                k++;
            if (k == exp.size() || exp[k].end != valid_end[v] || exp[k].incomplete ||
                exp[k].len != bodies[v].size() || exp[k].data != bodies[v])
                FAIL("DEC", "generator: xp_cobs_dec does not return valid body %zu (%zu bytes)", v, bodies[v].size());
            exp[k].body = (int)v;
        }
        for (auto &f : exp) {
            n_valid += f.body >= 0;
            n_inc += f.incomplete;
            n_sat += f.len > DEC_MAX_LEN + 1;
            n_short += f.len < 6;
        }
    }
    void drive() {
        if (pos % 997 == 0 && !asserting) {  // new traffic mode now and then
            gap = C.chance(0.4) ? 0 : C.chance(0.5) ? 0.1 : C.f() * 0.7;
            ready = C.chance(0.4) ? 1 : C.chance(0.5) ? 0.9 : 0.2 + C.f() * 0.7;
        }
        t->dec_s_tvalid = 0;
        t->dec_s_tdata = (uint8_t)C.u64();
        if (pos < wire.size()) {
            if (!asserting)
                asserting = !C.chance(gap);
            if (asserting) {
                t->dec_s_tvalid = 1;
                t->dec_s_tdata = wire[pos];
            }
        }
        t->dec_m_tready = C.chance(ready);
    }
    void sample() {
        in_fire = t->dec_s_tvalid && t->dec_s_tready;
        bool out_fire = t->dec_m_tvalid && t->dec_m_tready;
        if (t->dec_frame_end && t->dec_m_tvalid)
            FAIL("DEC", "frame_end while a decoded byte is pending");
        if (prev_stall && (!t->dec_m_tvalid || t->dec_m_tdata != prev_data))
            FAIL("DEC", "m_tvalid/m_tdata changed while stalled (was %02X, now valid %u %02X)", prev_data,
                 t->dec_m_tvalid, t->dec_m_tdata);
        prev_stall = t->dec_m_tvalid && !t->dec_m_tready;
        prev_data = t->dec_m_tdata;
        if (out_fire) {
            if (fi >= exp.size())
                FAIL("DEC", "decoded byte %02X after the last expected frame", t->dec_m_tdata);
            const cframe &f = exp[fi];
            if (bi >= f.data.size())
                FAIL("DEC", "frame %zu (ends at wire offset %zu): decoded byte index %zu beyond L = %u (got %02X)",
                     fi, f.end, bi, f.len, t->dec_m_tdata);
            if (t->dec_m_tdata != f.data[bi])
                FAILD("DEC", (dump("expected (xp_cobs_dec_feed)", f.data, bi), dump("wire", wire, f.end)),
                      "frame %zu (ends at wire offset %zu, L = %u%s), decoded byte index %zu: expected %02X, got %02X",
                      fi, f.end, f.len, f.body >= 0 ? ", a valid frame" : "", bi, f.data[bi], t->dec_m_tdata);
            bi++;
            bytes_out++;
            last_progress = cycle;
        }
        if (t->dec_frame_end) {
            if (fi >= exp.size())
                FAIL("DEC", "frame_end after the last expected frame");
            const cframe &f = exp[fi];
            uint32_t want_len = f.len > DEC_MAX_LEN + 1 ? DEC_MAX_LEN + 1 : f.len;
            if (bi != f.len || t->dec_frame_len != want_len || t->dec_frame_incomplete != (uint8_t)f.incomplete)
                FAILD("DEC", dump("wire", wire, f.end),
                      "frame %zu (ends at wire offset %zu): expected L %u (frame_len %u), incomplete %d; "
                      "got %zu bytes, frame_len %u, incomplete %u",
                      fi, f.end, f.len, want_len, f.incomplete, bi, t->dec_frame_len, t->dec_frame_incomplete);
            fi++;
            bi = 0;
            last_progress = cycle;
        }
    }
    void after() {
        if (in_fire) {
            pos++;
            asserting = false;
            last_progress = cycle;
        }
        if (pos == wire.size() && fi == exp.size() && ++quiet > 16)
            finished = true;
    }
};

// =========================================================================================
// LB: xp_cobs_tx → xp_uart_tx → line → xp_uart_rx → xp_cobs_rx, 8 cycles a bit
// =========================================================================================
struct lb_task {
    rng R, C;
    struct chr {
        uint8_t data;
        uint64_t start;  // first cycle of the start bit on txd
        bool corrupt;
    };
    std::vector<bytes> bodies;
    std::vector<std::vector<beat>> beatv;
    bytes txwire;                  // 7E E(b) 7E for all bodies, as the encoder must send them
    std::vector<size_t> corrupt;   // txwire indices whose stop bit is forced low
    bytes rxwire;                  // txwire without those bytes: what the receiver must pass on
    std::vector<cframe> exp;
    size_t fb = 0, bi = 0, txi = 0, rxi = 0, fi = 0, di = 0;
    std::deque<chr> line;          // characters on txd (front: current)
    uint64_t hold_until = 0, last_progress = 0, ferr = 0, chars = 0, n_rejected = 0, n_intact = 0, quiet = 0;
    bool holding = false, finished = false;

    static bool rejected(const cframe &f) {  // §2.4 checks 1 … 4 with max_request + 6 = 65542
        if (f.len > DEC_MAX_LEN || f.incomplete || f.len < 6)
            return true;
        uint32_t c = xp_crc32c(0, f.data.data(), f.len - 4);
        uint32_t s = (uint32_t)f.data[f.len - 4] | (uint32_t)f.data[f.len - 3] << 8 |
                     (uint32_t)f.data[f.len - 2] << 16 | (uint32_t)f.data[f.len - 1] << 24;
        return c != s;
    }
    lb_task() : R(seed, 4), C(seed, 104) {
        const size_t nb = 12;
        size_t bad1 = R.r(2, 5), bad2 = R.r(7, 10);
        for (size_t i = 0; i < nb; i++) {
            bytes b(R.r(2, 300));
            b[0] = (uint8_t)R.r(1, 10);
            for (size_t k = 1; k < b.size(); k++)
                b[k] = i % 3 == 1 && R.chance(0.4) ? 0x7E : (uint8_t)R.u64();
            uint32_t c = xp_crc32c(0, b.data(), b.size());
            for (int k = 0; k < 4; k++)
                b.push_back((uint8_t)(c >> (8 * k)));
            bytes w = c_encode(R, b);
            if (i == bad1 || i == bad2)  // a byte of E(b), not a delimiter
                corrupt.push_back(txwire.size() + R.r(1, w.size() - 2));
            txwire.insert(txwire.end(), w.begin(), w.end());
            std::vector<beat> bv;
            for (uint8_t v : b)
                bv.push_back({v, 1, 0});
            bv.back().last = 1;
            beatv.push_back(bv);
            bodies.push_back(b);
        }
        for (size_t k = 0, ci = 0; k < txwire.size(); k++) {
            if (ci < corrupt.size() && corrupt[ci] == k) {
                ci++;
                continue;
            }
            rxwire.push_back(txwire[k]);
        }
        exp = c_decode(rxwire);
        if (exp.size() != nb)
            FAIL("LB", "generator: %zu frames expected after the corruption, C decodes %zu", nb, exp.size());
        for (size_t i = 0; i < nb; i++) {
            bool bad = i == bad1 || i == bad2;
            if (bad != rejected(exp[i]) || (!bad && exp[i].data != bodies[i]))
                FAIL("LB", "generator: frame %zu %s by §2.4 as expected", i, bad ? "not rejected" : "not intact");
            n_rejected += bad;
            n_intact += !bad;
        }
    }
    void drive() {
        t->lb_s_tvalid = 0;
        t->lb_s_tdata = (uint8_t)C.u64();
        t->lb_s_tkeep = 1;
        t->lb_s_tlast = 0;
        if (fb < beatv.size()) {
            t->lb_s_tvalid = 1;
            t->lb_s_tdata = beatv[fb][bi].data;
            t->lb_s_tlast = beatv[fb][bi].last;
        }
        // the character on the line now: force its stop bit low if it is to be corrupted
        t->lb_force_low = 0;
        if (!line.empty() && line.front().corrupt && cycle >= line.front().start + 9 * UART_N &&
            cycle < line.front().start + 10 * UART_N)
            t->lb_force_low = 1;
        t->lb_tx_hold = holding && cycle < hold_until;
        if (holding && cycle >= hold_until)
            holding = false;
    }
    void sample() {
        // the transmitter's line, cycle by cycle: 8N1, UART_N cycles a bit, idle high
        uint8_t want = 1;
        if (!line.empty() && cycle >= line.front().start) {
            const chr &c = line.front();
            unsigned b = (unsigned)((cycle - c.start) / UART_N);
            want = b == 0 ? 0 : b <= 8 ? (c.data >> (b - 1)) & 1 : 1;
        }
        if (t->lb_txd != want)
            FAIL("LB", "txd: expected %u, got %u (character %" PRIu64 " %02X started at cycle %" PRIu64 ")", want,
                 t->lb_txd, chars, line.empty() ? 0 : line.front().data, line.empty() ? 0 : line.front().start);
        // a waiting byte must be taken when the line is idle or in a stop bit's last cycle
        bool can_take = line.empty() || cycle == line.front().start + 10 * UART_N - 1;
        if (can_take && t->lb_tx_tvalid && !t->lb_tx_fire)
            FAIL("LB", "transmitter did not take a waiting byte (%02X) when it could go out back to back", t->lb_tx_tdata);
        if (!line.empty() && cycle == line.front().start + 10 * UART_N - 1) {
            line.pop_front();
            chars++;
        }
        if (t->lb_tx_fire) {
            if (txi >= txwire.size() || t->lb_tx_tdata != txwire[txi])
                FAILD("LB", dump("wire", txwire, txi), "encoder → UART byte index %zu: expected %02X, got %02X", txi,
                      txi < txwire.size() ? txwire[txi] : 0, t->lb_tx_tdata);
            if (!line.empty())
                FAIL("LB", "transmitter took a byte before the last cycle of the previous character");
            bool bad = false;
            for (size_t c : corrupt)
                bad |= c == txi;
            line.push_back({t->lb_tx_tdata, cycle + 1, bad});
            if (bad) {  // no next character until one idle bit after this one
                holding = true;
                hold_until = cycle + 1 + 11 * UART_N;
            }
            txi++;
            last_progress = cycle;
        }
        if (t->lb_rx_overrun)
            FAIL("LB", "receiver overrun");
        if (t->lb_rx_frame_err)
            ferr++;
        if (t->lb_rx_fire) {
            if (rxi >= rxwire.size() || t->lb_rx_tdata != rxwire[rxi])
                FAILD("LB", dump("expected", rxwire, rxi), "UART receiver byte index %zu: expected %02X, got %02X", rxi,
                      rxi < rxwire.size() ? rxwire[rxi] : 0, t->lb_rx_tdata);
            rxi++;
            last_progress = cycle;
        }
        if (t->lb_dec_tvalid) {
            if (fi >= exp.size() || di >= exp[fi].data.size() || t->lb_dec_tdata != exp[fi].data[di])
                FAIL("LB", "frame %zu, decoded byte index %zu: expected %02X, got %02X", fi, di,
                     fi < exp.size() && di < exp[fi].data.size() ? exp[fi].data[di] : 0, t->lb_dec_tdata);
            di++;
        }
        if (t->lb_dec_frame_end) {
            if (fi >= exp.size() || di != exp[fi].len || t->lb_dec_frame_len != exp[fi].len ||
                t->lb_dec_frame_incomplete != (uint8_t)exp[fi].incomplete)
                FAIL("LB", "frame %zu: expected L %u incomplete %d, got %zu bytes, frame_len %u, incomplete %u", fi,
                     fi < exp.size() ? exp[fi].len : 0, fi < exp.size() ? exp[fi].incomplete : 0, di,
                     t->lb_dec_frame_len, t->lb_dec_frame_incomplete);
            fi++;
            di = 0;
            last_progress = cycle;
        }
    }
    void after(bool in_fire) {
        if (in_fire && ++bi == beatv[fb].size()) {
            bi = 0;
            fb++;
        }
        if (fi == exp.size() && rxi == rxwire.size() && line.empty() && ++quiet > 4 * UART_N) {
            if (ferr != corrupt.size())
                FAIL("LB", "expected %zu framing errors, got %" PRIu64, corrupt.size(), ferr);
            finished = true;
        }
    }
};

// =========================================================================================
// URX: xp_uart_rx alone
// =========================================================================================
struct urx_task {
    rng R, C;  // R: the characters; C: backpressure
    enum { BYTE, FERR };
    struct item {
        int kind;
        uint8_t data;
        uint64_t ev;
    };
    uint64_t n_events, ev = 0, bytes_ok = 0, ferrs = 0, glitches = 0, breaks = 0, last_progress = 0, not_ready = 0;
    std::deque<uint8_t> levels;  // line levels to come, one per cycle
    std::deque<item> want;
    // xp_uart_rx's tolerance (its header): (D + 1 - N) / 10N <= e <= D / 9N, D = SAMPLE_DELAY
    const double E_LO = ((double)SAMPLE_D + 1 - UART_N) / (10.0 * UART_N) + 0.004;
    const double E_HI = (double)SAMPLE_D / (9.0 * UART_N) - 0.004;
    double e_min = 1, e_max = -1;
    bool finished = false;

    explicit urx_task(uint64_t n) : R(seed, 5), C(seed, 105), n_events(n) {}

    void gen_event() {
        double r = R.f();
        size_t idle = R.chance(0.3) ? 0 : R.r(1, 3 * UART_N);
        if (r < 0.03) {  // glitch: a low pulse the start-bit check must reject
            levels.insert(levels.end(), R.r(UART_N, 2 * UART_N), 1);
            levels.insert(levels.end(), R.r(1, SAMPLE_D), 0);
            levels.insert(levels.end(), UART_N + idle, 1);
            glitches++;
            ev++;
            return;
        }
        if (r < 0.04) {  // break: one framing error, then nothing until the line is idle again
            levels.insert(levels.end(), R.r(12 * UART_N, 30 * UART_N), 0);
            levels.insert(levels.end(), 2 * UART_N + idle, 1);
            want.push_back({FERR, 0, ev++});
            breaks++;
            return;
        }
        bool ferr = r < 0.10;
        uint8_t d = (uint8_t)R.u64();
        // the sender's bit time is N(1 + e), e anywhere in xp_uart_rx's documented tolerance
        // less 0.4 %, a third of the time at its ends; its edges fall at a random phase phi
        // within a clock cycle and are seen at the next clock edge
        double r2 = R.f(), e = r2 < 0.15 ? E_LO : r2 < 0.3 ? E_HI : E_LO + R.f() * (E_HI - E_LO);
        e_min = e < e_min ? e : e_min;
        e_max = e > e_max ? e : e_max;
        const double p = UART_N * (1 + e), phi = R.f();
        unsigned bits[10];
        bits[0] = 0;
        for (int k = 0; k < 8; k++)
            bits[k + 1] = (d >> k) & 1;
        bits[9] = ferr ? 0 : 1;
        levels.insert(levels.end(), (size_t)ceil(phi), 1);
        for (int k = 0; k < 10; k++) {
            size_t a = (size_t)ceil(phi + k * p), b = (size_t)ceil(phi + (k + 1) * p);
            levels.insert(levels.end(), b - a, (uint8_t)bits[k]);
        }
        levels.insert(levels.end(), ferr ? UART_N + idle : idle, 1);  // after a framing error: an idle bit
        want.push_back({ferr ? FERR : BYTE, d, ev++});
    }
    void drive() {
        if (levels.empty() && ev < n_events)
            gen_event();
        t->urx_rxd = 1;
        if (!levels.empty()) {
            t->urx_rxd = levels.front();
            levels.pop_front();
        }
        bool rdy = C.chance(0.7) || not_ready >= 30;
        not_ready = rdy ? 0 : not_ready + 1;
        t->urx_tready = rdy;
    }
    void sample() {
        if (t->urx_overrun)
            FAIL("URX", "overrun (m_tready was never low for more than 30 cycles)");
        if (t->urx_tvalid && t->urx_tready) {
            if (want.empty() || want.front().kind != BYTE || want.front().data != t->urx_tdata)
                FAIL("URX", "event %" PRIu64 ": expected %s %02X, got the byte %02X", want.empty() ? ev : want.front().ev,
                     want.empty() ? "nothing" : want.front().kind == BYTE ? "the byte" : "a framing error",
                     want.empty() ? 0 : want.front().data, t->urx_tdata);
            want.pop_front();
            bytes_ok++;
            last_progress = cycle;
        }
        if (t->urx_frame_err) {
            if (want.empty() || want.front().kind != FERR)
                FAIL("URX", "event %" PRIu64 ": unexpected framing error (expected %s %02X)",
                     want.empty() ? ev : want.front().ev, want.empty() ? "nothing" : "the byte",
                     want.empty() ? 0 : want.front().data);
            want.pop_front();
            ferrs++;
            last_progress = cycle;
        }
    }
    void after() {
        if (ev == n_events && levels.empty() && want.empty() && !t->urx_busy && !t->urx_tvalid)
            finished = true;
    }
};

int main(int argc, char **argv) {
    const char *e = getenv("XP_SEED");
    seed = e && *e ? strtoull(e, nullptr, 10) : 1;
    uint64_t n = argc > 1 ? strtoull(argv[1], nullptr, 10) : 10000;
    if (n < 10)
        n = 10;
    rng R(seed, 0);
    printf("tb_framing: XP_SEED=%" PRIu64 ", N=%" PRIu64 " (CRC messages, encoder bodies, decoder frames)\n", seed, n);
    fflush(stdout);
    Verilated::randReset(2);  // random initial register values
    Verilated::randSeed((int)(seed & 0x7FFFFFFF) | 1);
    Verilated::commandArgs(argc, argv);
    t = new Vxp_framing_tb_top;

    auto t0 = std::chrono::steady_clock::now();
    crc_task crc(n);
    enc_task enc("ENC", {t->enc_s_tdata, t->enc_s_tkeep, t->enc_s_tvalid, t->enc_s_tready, t->enc_s_tlast,
                         t->enc_m_tdata, t->enc_m_tvalid, t->enc_m_tready, t->enc_m_tlast}, 2, n, 16);
    enc_task enc8("ENC8", {t->enc8_s_tdata, t->enc8_s_tkeep, t->enc8_s_tvalid, t->enc8_s_tready, t->enc8_s_tlast,
                           t->enc8_m_tdata, t->enc8_m_tvalid, t->enc8_m_tready, t->enc8_m_tlast}, 6, n, 16);
    dec_task dec(n);
    lb_task lb;
    urx_task urx(n / 2);
    double gen_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    // reset with random inputs: nothing may leak out of it
    for (int i = 0; i < 4; i++) {
        t->rst = 1;
        t->crc_clear = (uint8_t)(R.u64() & 1);
        t->crc_tvalid = (uint8_t)(R.u64() & 1);
        t->enc_s_tvalid = (uint8_t)(R.u64() & 1);
        t->enc8_s_tvalid = (uint8_t)(R.u64() & 1);
        t->dec_s_tvalid = (uint8_t)(R.u64() & 1);
        t->lb_s_tvalid = (uint8_t)(R.u64() & 1);
        t->urx_rxd = (uint8_t)(R.u64() & 1);
        t->clk = 0;
        t->eval();
        t->clk = 1;
        t->eval();
    }
    t->rst = 0;
    if (t->crc_out != 0 || t->enc_m_tvalid || t->enc8_m_tvalid || t->dec_m_tvalid || t->dec_frame_end ||
        t->lb_txd != 1 || t->urx_tvalid)
        FAIL("reset", "outputs not idle after reset (crc %08X, enc valid %u/%u, dec valid %u, frame_end %u, txd %u)",
             t->crc_out, t->enc_m_tvalid, t->enc8_m_tvalid, t->dec_m_tvalid, t->dec_frame_end, t->lb_txd);

    auto t1 = std::chrono::steady_clock::now();
    cycle = 0;
    while (!(crc.finished && enc.finished && enc8.finished && dec.finished && lb.finished && urx.finished)) {
        crc.drive();
        enc.drive();
        enc8.drive();
        dec.drive();
        lb.drive();
        urx.drive();
        t->clk = 0;
        t->eval();
        bool crc_clr = t->crc_clear, crc_v = t->crc_tvalid;
        uint8_t crc_d = t->crc_tdata;
        bool lb_in = t->lb_s_tvalid && t->lb_s_tready;
        enc.sample();
        enc8.sample();
        dec.sample();
        lb.sample();
        urx.sample();
        t->clk = 1;
        t->eval();
        crc.after(crc_clr, crc_v, crc_d);
        enc.after();
        enc8.after();
        dec.after();
        lb.after(lb_in);
        urx.after();
        cycle++;
        const struct {
            const char *name;
            bool fin;
            uint64_t last;
        } w[] = {{"CRC", crc.finished, crc.last_progress}, {"ENC", enc.finished, enc.last_progress},
                 {"ENC8", enc8.finished, enc8.last_progress}, {"DEC", dec.finished, dec.last_progress},
                 {"LB", lb.finished, lb.last_progress}, {"URX", urx.finished, urx.last_progress}};
        for (auto &x : w)
            if (!x.fin && cycle - x.last > STALL_CYCLES)
                FAIL(x.name, "no progress for %" PRIu64 " cycles (a hang)", STALL_CYCLES);
    }
    double sim_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
    t->final();
    delete t;

    printf("  CRC  %" PRIu64 " messages (check value E3069283 included), %" PRIu64 " bytes: every byte == xp_crc32c_sw, "
           "every message == xp_crc32c\n", crc.done_msgs, crc.bytes_total);
    for (enc_task *x : {&enc, &enc8}) {
        double pc = (double)(x->perf_last - x->perf_first + 1);
        printf("  %-4s %" PRIu64 " bodies (%" PRIu64 " body bytes → %" PRIu64 " wire bytes) == 7E xp_cobs_enc 7E, 8 hand-written; "
               "full rate: %" PRIu64 " wire bytes in %.0f cycles (%.4f bytes/cycle; %" PRIu64 " idle cycles, %" PRIu64
               " after the first full block)\n",
               x->name, x->checked, x->bytes_in, x->bytes_out, x->perf_wire, pc, x->perf_wire / pc, x->perf_idle,
               x->perf_idle_warm);
    }
    // throughput (xp_cobs_tx's header): 512-byte ring, no idle cycle once a full block has
    // gone out; 256-byte ring, at most 2 idle cycles per full block
    if (!enc.warm || enc.perf_idle_warm != 0)
        FAIL("ENC", "%" PRIu64 " idle cycles on m_* at full rate after the first full block, expected 0", enc.perf_idle_warm);
    if (enc8.perf_idle_warm > 2 * (enc8.perf_wire / 254 + 1))
        FAIL("ENC8", "%" PRIu64 " idle cycles on m_* at full rate, more than 2 per full block", enc8.perf_idle_warm);
    printf("  DEC  %zu frames from %zu wire bytes == xp_cobs_dec_feed (%" PRIu64 " valid == their bodies, %" PRIu64
           " incomplete, %" PRIu64 " with L < 6, %" PRIu64 " with L > 65543: saturated), %" PRIu64 " decoded bytes\n",
           dec.exp.size(), dec.wire.size(), dec.n_valid, dec.n_inc, dec.n_short, dec.n_sat, dec.bytes_out);
    printf("  LB   %zu frames, %" PRIu64 " UART characters at %u cycles/bit, txd checked every cycle: %" PRIu64
           " intact (CRC ok), %" PRIu64 " with a forced-low stop bit → %" PRIu64 " framing errors, byte dropped, "
           "frame rejected, next frame intact\n",
           lb.exp.size(), lb.chars, UART_N, lb.n_intact, lb.n_rejected, lb.ferr);
    printf("  URX  %" PRIu64 " events, sender baud error %+.2f %% … %+.2f %% at random edge phases: %" PRIu64
           " bytes, %" PRIu64 " framing errors (%" PRIu64 " breaks), %" PRIu64 " glitches ignored\n",
           urx.n_events, urx.e_min * 100, urx.e_max * 100, urx.bytes_ok, urx.ferrs, urx.breaks, urx.glitches);
    printf("tb_framing: OK: %" PRIu64 " cycles in %.2f s (%.2f M cycles/s; stimulus and C reference %.2f s)\n", cycle,
           sim_s, cycle / sim_s / 1e6, gen_s);
    return 0;
}
