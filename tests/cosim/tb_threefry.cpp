// tb_threefry.cpp — co-simulation of rtl/xp_threefry.v (docs/numerics.md §4), rtl/xp_gauss.v
// and rtl/xp_scale.v (§5) against the C model's exported primitives (xp_threefry2x32,
// xp_gauss, xp_scale) and against the spec's known answers, through the wrapper
// tests/cosim/xp_threefry_tb_top.v: six engines, ROUNDS_PER_CYCLE 1, 2, 4, 5, 10, 20.
//
// Usage: Vtb [-n N]  (N random draws per engine at least, default 100000); XP_SEED seeds the
// test data and Verilator's random initial register values (reproduce a failure with the
// printed XP_SEED). Exit 0 and one summary line on success; on the first mismatch a line
// "MISMATCH …" with the cycle, inputs, expected and actual values, and exit 1.
//
// Checked, every cycle, with tolerance zero:
//   - the spec's known answers first: Threefry (§4, three on every engine), gauss (§5, four),
//     scale (§6.1/§11 worked example, §10 bounds, the round-half-up ties of §1), each against the
//     value in the spec and the C model against the same value;
//   - every engine against a cycle-exact reference of its handshake: s_ready must equal
//     "idle, or its result is taken this cycle", m_valid must rise exactly NCYC cycles after the
//     input was taken (20/RPC; 12 for RPC 2, the folded engine), and m_x0/m_x1 must equal
//     xp_threefry2x32 of that input every cycle m_valid is high (so a result must also hold
//     still under backpressure). The source holds its offer until taken (s_valid is never
//     withdrawn), drives garbage when not offering; the sink's m_ready and the source's s_valid
//     follow four phases that rotate every 997 draws: back-to-back (always valid, always
//     ready), moderate, heavy backpressure (m_ready 10 %), sparse input;
//   - xp_gauss on random draws (bits 31..30 random too) and on fields set to 0 or 31;
//   - four xp_scale instances (F = 0 and 3, SIGMA_W = 16 and 10) on every 9-bit z against 30
//     special σ (0, 1, powers of two and neighbours, 51, 1023, 65535 …), then on random z and σ;
//   - synchronous reset: registers start random (Verilated::randReset(2), --x-initial unique);
//     one cycle of rst must bring every engine to idle; later, rst is pulsed for 1 … 3 cycles at
//     random moments with draws in flight, offers and stalls pending, and the engines must
//     come back idle (m_valid = 0, s_ready = 1) and continue correctly.
//
// That the test bites (checked when it was written, and by the mutant unit threefry_mut, built
// with +define+XP_MUTANT_THREEFRY_ROT: rotation constant 29 -> 28): each of these changes,
// made one at a time to a copy of the RTL, made this harness fail within the known answers or
// the first random cycles — rotation 29 -> 28 (KAT), key injection without "+ i" (KAT),
// injection with ks[1]/ks[2] swapped (KAT), the ks parity 0x1BD11BDA -> 0x1BD11BDB (KAT),
// gauss constant 186 -> 185 (KAT), gauss ignoring field 11 (random), scale rounding with
// 2^(S-2) (KAT tie), scale truncating instead of rounding (KAT), scale's OUT_W one bit short
// (refused at elaboration), s_ready not passing m_ready through (handshake reference),
// m_valid dropped under backpressure (handshake reference), reset not clearing m_valid
// (handshake reference after the first pulse).
#include <chrono>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "Vxp_threefry_tb_top.h"
#include "cosimutil.h"  // rnd64(): splitmix64, the test data's own randomness
#include "verilated.h"
#include "xp_cmodel.h"

static const int N_ENG = 6;
static const unsigned RPC[N_ENG] = {1, 2, 4, 5, 10, 20};  // = RPCS in xp_threefry_tb_top.v

static uint32_t rnd32() { return (uint32_t)(rnd64() >> 32); }
static bool chance(unsigned percent) { return rnd64() % 100 < percent; }
static int64_t sext(uint64_t v, int bits) { return (int64_t)(v << (64 - bits)) >> (64 - bits); }

// A key or counter word: mostly random, sometimes an edge value or a small §4.1-like field.
static uint32_t word() {
    switch (rnd64() % 16) {
    case 0: return 0;
    case 1: return 0xFFFFFFFFu;
    case 2: return 1u << (rnd64() % 32);
    case 3: return ~(1u << (rnd64() % 32));
    case 4: return (uint32_t)(rnd64() % 1024);
    case 5: return (uint32_t)(0x01 + rnd64() % 0x11) << 24 | (uint32_t)(rnd64() % 256) << 16;
    default: return rnd32();
    }
}

static Vxp_threefry_tb_top *top;
static uint64_t seed, cycle;

[[noreturn]] static void mismatch(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "MISMATCH at cycle %" PRIu64 ": ", cycle);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(reproduce: XP_SEED=%" PRIu64 ")\n", seed);
    exit(1);
}

// ---- Threefry engines: source, sink and a cycle-exact reference of the handshake ----
struct Eng {
    unsigned ncyc;
    bool s_valid = false;          // offering in[] (held until taken)
    uint32_t in[4] = {};           // k0 k1 c0 c1
    bool busy = false;             // a draw is in the engine
    uint32_t cur[4] = {};          // its input
    uint32_t exp0 = 0, exp1 = 0;   // its expected output
    uint64_t t_acc = 0;            // cycle it was taken
    // KAT feed: when kat_left > 0 the source offers kat[...] instead of random inputs
    const uint32_t (*kat)[6] = nullptr;
    int kat_left = 0, kat_next = 0;
    uint64_t taken = 0, done = 0, kats = 0, stall_cycles = 0, b2b = 0;
};
static Eng eng[N_ENG];

// Known answers of numerics §4: k0 k1 c0 c1 -> x0 x1.
static const uint32_t TF_KAT[3][6] = {
    {0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x6b200159, 0x99ba4efe},
    {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x1cb996fc, 0xbb002be7},
    {0x13198a2e, 0x03707344, 0x243f6a88, 0x85a308d3, 0xc4923a9c, 0x483df7a0},
};

static void set_word(VlWide<6> &bus, int e, uint32_t v) { bus[e] = v; }
static void set_bit(CData &bus, int e, bool v) { bus = (CData)((bus & ~(1u << e)) | (unsigned)v << e); }

// ---- combinational units ----
static const uint32_t SPECIAL_SIGMA[] = {0,    1,    2,     3,     5,     8,     31,    32,
                                         33,   51,   255,   256,   511,   512,   1000,  1023,
                                         1024, 1025, 2047,  4095,  4096,  8191,  16383, 16384,
                                         32767, 32768, 49151, 65534, 65535, 12345};
static const unsigned N_SPECIAL = sizeof SPECIAL_SIGMA / sizeof SPECIAL_SIGMA[0];
static uint64_t gauss_checks, scale_checks;

static void check_scale(int32_t z, uint32_t sigma, const char *what) {
    int64_t y0 = sext(top->sc_y0, 20), y3 = sext(top->sc_y3, 17);
    int64_t y0n = sext(top->sc_y0n, 14), y3n = sext(top->sc_y3n, 11);
    int64_t w0 = xp_scale(z, sigma, 0), w3 = xp_scale(z, sigma, 3);
    int64_t w0n = xp_scale(z, sigma & 1023, 0), w3n = xp_scale(z, sigma & 1023, 3);
    if (y0 != w0 || y3 != w3 || y0n != w0n || y3n != w3n)
        mismatch("%s scale(z %d, sigma %u): F=0/16 bit %" PRId64 " (C model %" PRId64 "), F=3/16 bit %" PRId64
                 " (%" PRId64 "), F=0/10 bit sigma %u: %" PRId64 " (%" PRId64 "), F=3/10 bit: %" PRId64 " (%" PRId64 ")",
                 what, z, sigma, y0, w0, y3, w3, sigma & 1023, y0n, w0n, y3n, w3n);
    scale_checks += 4;
}

static void check_gauss(uint32_t x0, uint32_t x1, const char *what) {
    int64_t z = sext(top->g_z, 9), w = xp_gauss(x0, x1);
    if (z != w) mismatch("%s gauss(%08x, %08x) = %" PRId64 ", C model %" PRId64, what, x0, x1, z, w);
    gauss_checks++;
}

// Drive the combinational units' inputs for this cycle; checked after eval.
static uint32_t g_x0, g_x1, sc_sigma;
static int32_t sc_z;
static void comb_inputs() {
    if (rnd64() % 8 == 0) {  // every field 0 or 31: the extremes of the sum
        uint64_t m = rnd64();
        g_x0 = rnd32() & 0xC0000000u;
        g_x1 = rnd32() & 0xC0000000u;
        for (int i = 0; i < 6; i++) {
            g_x0 |= (uint32_t)(m >> i & 1) * 31u << (5 * i);
            g_x1 |= (uint32_t)(m >> (6 + i) & 1) * 31u << (5 * i);
        }
    } else {
        g_x0 = rnd32();
        g_x1 = rnd32();
    }
    uint64_t blk = cycle / 512;
    if (blk < N_SPECIAL) {  // every 9-bit z against each special sigma
        sc_z = (int32_t)(cycle % 512) - 256;
        sc_sigma = SPECIAL_SIGMA[blk];
    } else {
        sc_z = rnd64() % 4 ? (int32_t)(rnd64() % 373) - 186 : (int32_t)(rnd64() % 512) - 256;
        sc_sigma = rnd64() % 4 ? (uint32_t)(rnd64() % 65536) : SPECIAL_SIGMA[rnd64() % N_SPECIAL];
    }
    top->g_x0 = g_x0;
    top->g_x1 = g_x1;
    top->sc_z = (SData)((uint32_t)sc_z & 0x1FF);
    top->sc_sigma = (SData)sc_sigma;
}

// ---- one clock cycle ----
static uint64_t target;  // random draws per engine
static bool draining;    // stop offering new random draws
static bool in_kat;      // the known-answer phase: m_ready always high, no reset pulses
static uint64_t resets;

static void engine_inputs(int e) {
    Eng &g = eng[e];
    unsigned phase = (unsigned)(g.taken / 997 % 4);
    static const unsigned PV[4] = {100, 70, 95, 30}, PR[4] = {100, 50, 10, 90};
    if (!g.s_valid) {
        if (g.kat_left > 0) {
            g.s_valid = true;
            memcpy(g.in, g.kat[g.kat_next], sizeof g.in);
        } else if (!draining && !in_kat && chance(PV[phase])) {
            g.s_valid = true;
            for (int i = 0; i < 4; i++) g.in[i] = word();
        }
    }
    bool m_ready = in_kat ? true : chance(PR[phase]);
    uint32_t d[4];
    for (int i = 0; i < 4; i++) d[i] = g.s_valid ? g.in[i] : rnd32();  // garbage when not offering
    set_bit(top->s_valid, e, g.s_valid);
    set_bit(top->m_ready, e, m_ready);
    set_word(top->s_k0, e, d[0]);
    set_word(top->s_k1, e, d[1]);
    set_word(top->s_c0, e, d[2]);
    set_word(top->s_c1, e, d[3]);
}

static void engine_check(int e) {
    Eng &g = eng[e];
    bool s_ready = top->s_ready >> e & 1, m_valid = top->m_valid >> e & 1;
    bool m_ready = top->m_ready >> e & 1;
    uint32_t x0 = top->m_x0[e], x1 = top->m_x1[e];
    bool due = g.busy && cycle >= g.t_acc + g.ncyc;
    bool want_ready = !g.busy || (due && m_ready);
    if (m_valid != due)
        mismatch("engine RPC=%u: m_valid %d, expected %d (input k %08x %08x c %08x %08x taken at cycle %" PRIu64
                 ", latency %u)", RPC[e], m_valid, due, g.cur[0], g.cur[1], g.cur[2], g.cur[3], g.t_acc, g.ncyc);
    if (s_ready != want_ready)
        mismatch("engine RPC=%u: s_ready %d, expected %d (busy %d, m_valid %d, m_ready %d)", RPC[e], s_ready,
                 want_ready, g.busy, m_valid, m_ready);
    if (m_valid && (x0 != g.exp0 || x1 != g.exp1))
        mismatch("engine RPC=%u: threefry(k0 %08x, k1 %08x, c0 %08x, c1 %08x) = %08x %08x, expected %08x %08x "
                 "(taken at cycle %" PRIu64 ")", RPC[e], g.cur[0], g.cur[1], g.cur[2], g.cur[3], x0, x1, g.exp0,
                 g.exp1, g.t_acc);
    bool out = m_valid && m_ready;
    if (m_valid && !m_ready) g.stall_cycles++;
    if (out) {
        g.busy = false;
        g.done++;
    }
    if (g.s_valid && s_ready) {
        memcpy(g.cur, g.in, sizeof g.cur);
        uint32_t o[2];
        xp_threefry2x32(g.cur[0], g.cur[1], g.cur[2], g.cur[3], o);
        g.exp0 = o[0];
        g.exp1 = o[1];
        if (g.kat_left > 0) {  // the spec's value, not only the C model's
            g.exp0 = g.kat[g.kat_next][4];
            g.exp1 = g.kat[g.kat_next][5];
            g.kat_next++;
            g.kat_left--;
            g.kats++;
        } else {
            g.taken++;
        }
        if (out) g.b2b++;
        g.busy = true;
        g.t_acc = cycle;
        g.s_valid = false;
    }
}

static void tick() {
    top->clk = 1;
    top->eval();
    cycle++;
    top->clk = 0;
}

static void step() {
    // a reset pulse at a random moment (after the exhaustive z x special sigma sweep)
    if (!in_kat && cycle > 512 * N_SPECIAL && rnd64() % 40000 == 0) {
        unsigned len = 1 + (unsigned)(rnd64() % 3);
        top->rst = 1;
        for (unsigned i = 0; i < len; i++) {
            for (int e = 0; e < N_ENG; e++) {
                set_bit(top->s_valid, e, chance(50));
                set_bit(top->m_ready, e, chance(50));
                set_word(top->s_k0, e, rnd32());
            }
            comb_inputs();
            top->eval();
            tick();
        }
        top->rst = 0;
        for (Eng &g : eng) {
            g.busy = false;
            g.s_valid = false;  // the offer is dropped with the reset
        }
        resets++;
    }
    for (int e = 0; e < N_ENG; e++) engine_inputs(e);
    comb_inputs();
    top->eval();
    check_gauss(g_x0, g_x1, "random");
    check_scale(sc_z, sc_sigma, "random");
    for (int e = 0; e < N_ENG; e++) engine_check(e);
    tick();
}

int main(int argc, char **argv) {
    const char *es = getenv("XP_SEED");
    seed = es && *es ? strtoull(es, nullptr, 10) : 1;
    target = 100000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-n") && i + 1 < argc) {
            target = strtoull(argv[++i], nullptr, 10);
        } else {
            fprintf(stderr, "usage: %s [-n DRAWS_PER_ENGINE]  (XP_SEED in the environment)\n", argv[0]);
            return 2;
        }
    }
    rs = seed * 0x2545F4914F6CDD1Dull + 11;
    printf("tb_threefry: XP_SEED=%" PRIu64 ", %" PRIu64 " random draws per engine (ROUNDS_PER_CYCLE 1 2 4 5 10 20)\n",
           seed, target);
    fflush(stdout);

    // C model against the spec first: the RTL is then checked against both
    for (const auto &k : TF_KAT) {
        uint32_t o[2];
        xp_threefry2x32(k[0], k[1], k[2], k[3], o);
        if (o[0] != k[4] || o[1] != k[5]) mismatch("C model threefry KAT %08x %08x -> %08x %08x", k[0], k[1], o[0], o[1]);
    }

    Verilated::randReset(2);  // random initial register values
    Verilated::threadContextp()->randSeed((int)(seed % 2147483646u) + 1);
    top = new Vxp_threefry_tb_top;
    auto t0 = std::chrono::steady_clock::now();

    // one cycle of reset from random register contents, with random inputs
    top->clk = 0;
    top->rst = 1;
    for (int e = 0; e < N_ENG; e++) {
        eng[e].ncyc = RPC[e] == 2 ? 12 : 20 / RPC[e];  // xp_threefry's NCYC
        set_bit(top->s_valid, e, chance(50));
        set_bit(top->m_ready, e, chance(50));
    }
    comb_inputs();
    top->eval();
    tick();
    top->rst = 0;

    // ---- known answers ----
    // gauss (numerics §5)
    static const struct { uint32_t x0, x1; int32_t z; } G_KAT[] = {
        {0x6b200159, 0x99ba4efe, 19}, {0, 0, -186}, {0x3FFFFFFF, 0x3FFFFFFF, 186}, {0xFFFFFFFF, 0xFFFFFFFF, 186}};
    // scale: the worked example (§11, §6.1), the bounds of §10, the ties of §1
    static const struct { int32_t z; uint32_t sigma; unsigned f; int32_t y; } S_KAT[] = {
        {-3, 51, 0, -5},       {-10, 51, 0, -16},       {30, 31, 0, 29},        {16, 8, 3, 1},
        {79, 32, 3, 10},       {13, 32, 3, 2},          {39, 512, 0, 624},      {186, 1023, 3, 743},
        {-186, 1023, 3, -743}, {186, 65535, 0, 380922}, {-186, 65535, 0, -380922},
        {1, 16, 0, 1},         {-1, 16, 0, 0},          {-3, 16, 0, -1},        {1, 128, 3, 1},
        {-1, 128, 3, 0},       {-256, 65535, 0, -524280}, {255, 65535, 3, 65279}};
    unsigned n_gkat = 0, n_skat = 0;
    for (const auto &k : G_KAT) {
        if (xp_gauss(k.x0, k.x1) != k.z) mismatch("C model gauss KAT %08x %08x", k.x0, k.x1);
        top->g_x0 = k.x0;
        top->g_x1 = k.x1;
        top->eval();
        if (sext(top->g_z, 9) != k.z)
            mismatch("gauss KAT (%08x, %08x) = %" PRId64 ", spec %d", k.x0, k.x1, sext(top->g_z, 9), k.z);
        n_gkat++;
    }
    for (const auto &k : S_KAT) {
        if (xp_scale(k.z, k.sigma, k.f) != k.y) mismatch("C model scale KAT (%d, %u, %u)", k.z, k.sigma, k.f);
        top->sc_z = (SData)((uint32_t)k.z & 0x1FF);
        top->sc_sigma = (SData)k.sigma;
        top->eval();
        int64_t y = k.f == 0 ? sext(top->sc_y0, 20) : sext(top->sc_y3, 17);
        if (y != k.y) mismatch("scale KAT (z %d, sigma %u, f %u) = %" PRId64 ", spec %d", k.z, k.sigma, k.f, y, k.y);
        if (k.sigma < 1024) {
            y = k.f == 0 ? sext(top->sc_y0n, 14) : sext(top->sc_y3n, 11);
            if (y != k.y)
                mismatch("scale KAT 10-bit sigma (z %d, sigma %u, f %u) = %" PRId64 ", spec %d", k.z, k.sigma, k.f, y, k.y);
        }
        n_skat++;
    }
    // Threefry: the three KATs back to back on every engine, then everything drains
    for (Eng &g : eng) {
        g.kat = TF_KAT;
        g.kat_left = 3;
    }
    in_kat = true;
    for (;;) {
        bool left = false;
        for (const Eng &g : eng) left |= g.kat_left > 0 || g.busy;
        if (!left) break;
        step();
    }

    in_kat = false;

    // ---- random draws ----
    for (;;) {
        uint64_t least = ~0ull;
        for (const Eng &g : eng) least = g.done - g.kats < least ? g.done - g.kats : least;  // checked, not lost to a reset
        if (least >= target) break;
        step();
    }
    draining = true;
    for (;;) {
        bool left = false;
        for (const Eng &g : eng) left |= g.busy || g.s_valid;
        if (!left) break;
        step();
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    top->final();
    delete top;

    uint64_t draws = 0, b2b = 0, stalls = 0;
    char per[256];
    int off = 0;
    for (int e = 0; e < N_ENG; e++) {
        draws += eng[e].done - eng[e].kats;
        b2b += eng[e].b2b;
        stalls += eng[e].stall_cycles;
        off += snprintf(per + off, sizeof per - (size_t)off, "%s%u:%" PRIu64, e ? " " : "", RPC[e], eng[e].done - eng[e].kats);
    }
    printf("cosim threefry OK (XP_SEED=%" PRIu64 "): threefry %d KAT + %" PRIu64 " random draws (per RPC %s; %" PRIu64
           " back-to-back, %" PRIu64 " stall cycles, %" PRIu64 " reset pulses), gauss %" PRIu64 " + %u KAT, scale %" PRIu64
           " + %u KAT; %" PRIu64 " cycles in %.2f s = %.2f Mcycles/s\n",
           seed, 3 * N_ENG, draws, per, b2b, stalls, resets, gauss_checks, n_gkat, scale_checks, n_skat, cycle, secs,
           cycle / secs / 1e6);
    return 0;
}
