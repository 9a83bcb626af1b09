// tb_vectors.cpp — the golden vectors (tests/vectors/*.xpv, docs/formats.md) replayed on the
// Verilated board (rtl/xp_board.v) through the protocol: SEED → SET_SEED, WRITE → WRITE_CELLS
// (split into frames of whole rows) and READ_CELLS of the rectangle, ADC → SET_ADC, CONFIG →
// CONFIGURE, RUN → RUN with every layer's S (split into frames of Bmax vectors; the network's
// outputs are the last layer's activation of its S), READ → READ_CELLS, RESET → RESET. Every
// expected value of the file must come back: changed devices, conductances, partial sums,
// outputs. TILE operations test one tile's datapath at arbitrary inference indices (up to the
// 2^40 wrap), which the protocol reaches only after as many inferences: they are replayed as a
// RUN (with S) of a one-layer network over that tile alone (CONFIGURE: n_in = R, no bias,
// n_out = ncols), with the board's inference counter N set through a simulation backdoor
// (`infer`, a Verilator public signal) before each frame, and acc read where the ADC takes it
// (`rv_acc` when `adc_go`); afterwards N and the file's own configuration are put back, so the
// operations after it see the board as the file left it. A file whose geometry or bit widths
// are not the RTL's (its INFO) is skipped with a note; a file with fewer tiles replays unchanged.
// The make units build the RTL once per geometry of the checked-in files.
// Usage: Vtb FILE…   (exit 1 on the first mismatch, naming the file, op, field and values);
// XP_SEED (default 1) picks the registers' random power-up values, a new draw for each file.
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "Vxp_board.h"
#include "Vxp_board___024root.h"
#include "verilated.h"
#include "xp_board.h"
#include "cosimutil.h"

// the RTL's geometry and limits, from its INFO reply (the parameters it was built with)
static unsigned R, C, T, DAC, CODE, ADC, MAXREQ, MAXREP, MAXB;

struct rd {  // a little-endian reader over the file
    const uint8_t *p;
    size_t n, i = 0;
    uint64_t u(int bytes) {
        uint64_t v = 0;
        for (int k = 0; k < bytes; k++) v |= (uint64_t)p[i + k] << (8 * k);
        i += bytes;
        return v;
    }
    const uint8_t *bytes(size_t k) { const uint8_t *q = p + i; i += k; return q; }
};

static void put16(std::vector<uint8_t> &v, unsigned x) { v.push_back((uint8_t)x); v.push_back((uint8_t)(x >> 8)); }

// Bmax of protocol §4.9 for n_in inputs and k outputs a vector (this build's limits)
static unsigned run_bmax(unsigned n_in, unsigned k) {
    unsigned bmax = MAXB;
    if ((MAXREQ - 3) / n_in < bmax) bmax = (MAXREQ - 3) / n_in;
    if ((MAXREP - 11) / (2 * k) < bmax) bmax = (MAXREP - 11) / (2 * k);
    return bmax;
}

// RUN's payload: n vectors of n_in codes from x, every layer's S requested (flag bit 0)
static std::vector<uint8_t> run_payload(const uint8_t *x, unsigned n, unsigned n_in) {
    std::vector<uint8_t> pl;
    put16(pl, n);
    pl.push_back(1);
    pl.insert(pl.end(), x, x + (size_t)n * n_in);
    return pl;
}

struct board {
    std::unique_ptr<Vxp_board> m;
    uint8_t seq = 0;
    uint64_t cycle = 0;
    std::vector<int32_t> *accs = nullptr;  // collects every block sum the ADC takes (TILE ops)
    void tick() { m->clk = 0; m->eval(); m->clk = 1; m->eval(); cycle++; }
    void sample() {  // after a rising edge
        if (accs && m->rootp->xp_board__DOT__adc_go) {
            uint32_t v = m->rootp->xp_board__DOT__rv_acc & 0x7FFFFFFu;  // 27-bit two's complement
            accs->push_back((int32_t)(v ^ 0x4000000u) - 0x4000000);
        }
    }

    // One request, its reply's payload; false (with a message) unless the status is OK.
    bool cmd(uint8_t c, const std::vector<uint8_t> &pl, std::vector<uint8_t> &out, std::string &err) {
        std::vector<uint8_t> w = wire_of(body_of(c, ++seq, pl));
        // feed, then collect the reply frame
        std::vector<uint8_t> rb(MAXREP + 64);
        xp_cobs_dec d;
        xp_cobs_dec_init(&d, rb.data(), rb.size());
        size_t i = 0;
        uint64_t idle = 0;
        int done = 0, inc = 0;
        while (!done) {
            m->s_tvalid = i < w.size();
            m->s_tdata = i < w.size() ? w[i] : 0;
            m->m_tready = 1;
            m->clk = 0; m->eval();
            bool took = m->s_tvalid && m->s_tready, got = m->m_tvalid;
            uint8_t b = m->m_tdata;
            m->clk = 1; m->eval();
            cycle++;
            sample();
            if (took) i++;
            if (got) xp_cobs_dec_feed(&d, &b, 1, &done, &inc);
            idle = took || got ? 0 : idle + 1;
            if (idle > 50000000) { err = "no reply"; return false; }
        }
        if (d.len < 11 || rb[2] != 0) {
            char m2[96];
            snprintf(m2, sizeof(m2), "%s answered status %u", xp_cmd_name(c), (unsigned)(d.len >= 3 ? rb[2] : 255));
            err = m2;
            return false;
        }
        out.assign(rb.begin() + 7, rb.begin() + d.len - 4);
        return true;
    }
};

static int fail(const char *file, unsigned op, const char *what) {
    fprintf(stderr, "MISMATCH %s op %u: %s\n", file, op, what);
    return 1;
}

int main(int argc, char **argv) {
    // random initial register values, from XP_SEED (the replay itself draws nothing)
    const char *es = getenv("XP_SEED");
    uint64_t seed = es && *es ? strtoull(es, nullptr, 10) : 1;
    Verilated::randReset(2);
    Verilated::randSeed(cosim_power_up_seed(seed));
    Verilated::commandArgs(argc, argv);
    unsigned files = 0, skipped_files = 0;
    uint64_t checked = 0, tiles_replayed = 0, cycles = 0;
    for (int a = 1; a < argc; a++) {
        const char *path = argv[a];
        if (path[0] == '+') continue;  // +verilator+seed+N and the like (commandArgs)
        FILE *f = fopen(path, "rb");
        if (!f) { fprintf(stderr, "tb_vectors: %s: cannot open\n", path); return 2; }
        std::vector<uint8_t> buf;
        uint8_t tmp[65536];
        size_t k;
        while ((k = fread(tmp, 1, sizeof(tmp), f)) > 0) buf.insert(buf.end(), tmp, tmp + k);
        fclose(f);
        if (buf.size() < 76 || memcmp(buf.data(), "XPNNVEC", 8)) {
            fprintf(stderr, "tb_vectors: %s: not a vector file\n", path);
            return 2;
        }
        rd r{buf.data(), buf.size() - 8};
        r.i = 16;
        unsigned rows = (unsigned)r.u(2), cols = (unsigned)r.u(2), tiles = (unsigned)r.u(2);
        unsigned dac = (unsigned)r.u(1), code = (unsigned)r.u(1), adc = (unsigned)r.u(1);
        r.i += 7;
        uint64_t dseed = r.u(8);
        unsigned p_sa0 = (unsigned)r.u(4), p_samax = (unsigned)r.u(4), s_var = (unsigned)r.u(2);
        unsigned s_prog = (unsigned)r.u(2), s_read = (unsigned)r.u(2), s_gain = (unsigned)r.u(2);
        unsigned s_off = (unsigned)r.u(2), nlen = (unsigned)r.u(2);
        r.i += nlen;
        uint32_t nops = (uint32_t)r.u(4);
        board b;
        b.m.reset(new Vxp_board);
        b.m->dseed = dseed;
        b.m->p_sa0 = p_sa0;
        b.m->p_samax = p_samax;
        b.m->s_var = s_var;
        b.m->s_prog = s_prog;
        b.m->s_read = s_read;
        b.m->s_gain = s_gain;
        b.m->s_off = s_off;
        b.m->rst = 1;
        b.m->s_tvalid = 0;
        b.m->m_tready = 1;
        for (int i = 0; i < 4; i++) b.tick();
        b.m->rst = 0;
        for (int i = 0; i < 70000; i++) b.tick();  // the power-up erase
        {
            std::string e2;
            std::vector<uint8_t> in;
            if (!b.cmd(0x01, {}, in, e2)) return fail(path, 0, ("INFO: " + e2).c_str());
            auto g16 = [&](int o) { return (unsigned)(in[o] | in[o + 1] << 8); };
            auto g32 = [&](int o) { return g16(o) | g16(o + 2) << 16; };
            R = g16(20), C = g16(22), T = g16(24), DAC = in[26], CODE = in[27], ADC = in[28];
            MAXB = g16(34), MAXREQ = g32(36), MAXREP = g32(40);
        }
        if (rows != R || cols != C || tiles > T || dac != DAC || code != CODE || adc != ADC) {
            printf("tb_vectors: %s: skipped (geometry %u x %u x %u, %u/%u/%u bits; this RTL build "
                   "is %u x %u x %u, %u/%u/%u)\n", path, rows, cols, tiles, dac, code, adc, R, C, T,
                   DAC, CODE, ADC);
            skipped_files++;
            b.m->final();
            continue;
        }
        // the configured network, for the outputs: per layer n_out, act, amul, ash
        std::vector<unsigned> lout, lact, lamul, lash;
        unsigned n_in0 = 0;
        std::vector<uint8_t> lastcfg;  // the file's CONFIGURE payload in force (TILE ops restore it)
        uint64_t tiles_here = 0;
        std::string err;
        std::vector<uint8_t> rep;
        char msg[256];
        for (uint32_t op = 0; op < nops; op++) {
            unsigned opc = (unsigned)r.u(1);
            std::vector<uint8_t> pl;
            if (opc == 0x01) {  // SEED
                uint64_t s = r.u(8);
                for (int i = 0; i < 8; i++) pl.push_back((uint8_t)(s >> (8 * i)));
                if (!b.cmd(0x04, pl, rep, err)) return fail(path, op, err.c_str());
            } else if (opc == 0x02 || opc == 0x07) {  // WRITE (then read back), READ
                unsigned t = (unsigned)r.u(2), r0 = (unsigned)r.u(2), c0 = (unsigned)r.u(2);
                unsigned nr = (unsigned)r.u(2), nc = (unsigned)r.u(2);
                if (opc == 0x02) {
                    const uint8_t *codes = r.bytes((size_t)nr * nc * 2);
                    uint32_t want = (uint32_t)r.u(4), changed = 0;
                    unsigned per = (MAXREQ - 10) / (2 * nc);
                    for (unsigned q = 0; q < nr; q += per) {
                        unsigned n = nr - q < per ? nr - q : per;
                        pl.clear();
                        put16(pl, t); put16(pl, r0 + q); put16(pl, c0); put16(pl, n); put16(pl, nc);
                        pl.insert(pl.end(), codes + (size_t)q * nc * 2, codes + (size_t)(q + n) * nc * 2);
                        if (!b.cmd(0x07, pl, rep, err)) return fail(path, op, err.c_str());
                        changed += rep[0] | rep[1] << 8 | rep[2] << 16 | (uint32_t)rep[3] << 24;
                    }
                    checked++;
                    if (changed != want) {
                        snprintf(msg, sizeof(msg), "WRITE changed %u devices, expected %u", changed, want);
                        return fail(path, op, msg);
                    }
                }
                const uint8_t *g = r.bytes((size_t)nr * nc * 2);
                unsigned per = MAXREP / (2 * nc);
                for (unsigned q = 0; q < nr; q += per) {
                    unsigned n = nr - q < per ? nr - q : per;
                    pl.clear();
                    put16(pl, t); put16(pl, r0 + q); put16(pl, c0); put16(pl, n); put16(pl, nc);
                    if (!b.cmd(0x08, pl, rep, err)) return fail(path, op, err.c_str());
                    for (size_t j = 0; j < (size_t)n * nc * 2; j++, checked++)
                        if (rep[j] != g[(size_t)q * nc * 2 + j]) {
                            snprintf(msg, sizeof(msg), "%s: tile %u row %zu col %zu device %c: G %u, expected %u",
                                     opc == 2 ? "WRITE read-back" : "READ", t, r0 + q + j / 2 / nc,
                                     c0 + j / 2 % nc, j % 2 ? '-' : '+', rep[j], g[(size_t)q * nc * 2 + j]);
                            return fail(path, op, msg);
                        }
                }
            } else if (opc == 0x03) {  // ADC
                unsigned t = (unsigned)r.u(2), c0 = (unsigned)r.u(2), nc = (unsigned)r.u(2);
                put16(pl, t); put16(pl, c0); put16(pl, nc);
                const uint8_t *q = r.bytes((size_t)nc * 4);
                pl.insert(pl.end(), q, q + (size_t)nc * 4);
                if (!b.cmd(0x06, pl, rep, err)) return fail(path, op, err.c_str());
            } else if (opc == 0x04) {  // CONFIG, reordered into CONFIGURE's layout
                unsigned L = (unsigned)r.u(1);
                pl.push_back((uint8_t)L);
                lout.clear(); lact.clear(); lamul.clear(); lash.clear();
                for (unsigned l = 0; l < L; l++) {
                    unsigned ni = (unsigned)r.u(2), no = (unsigned)r.u(2), bias = (unsigned)r.u(1);
                    unsigned act = (unsigned)r.u(1), amul = (unsigned)r.u(1), ash = (unsigned)r.u(1);
                    unsigned nt = (unsigned)r.u(2);
                    if (l == 0) n_in0 = ni;
                    pl.push_back((uint8_t)act); pl.push_back((uint8_t)bias);
                    pl.push_back((uint8_t)amul); pl.push_back((uint8_t)ash);
                    put16(pl, ni); put16(pl, no); put16(pl, nt);
                    for (unsigned i = 0; i < nt; i++) put16(pl, (unsigned)r.u(2));
                    lout.push_back(no); lact.push_back(act); lamul.push_back(amul); lash.push_back(ash);
                }
                if (!b.cmd(0x05, pl, rep, err)) return fail(path, op, err.c_str());
                lastcfg = pl;
            } else if (opc == 0x05) {  // RUN
                uint32_t B = (uint32_t)r.u(4);
                unsigned nall = 0;
                for (unsigned v : lout) nall += v;
                const uint8_t *x = r.bytes((size_t)B * n_in0);
                const uint8_t *es = r.bytes((size_t)B * nall * 2);
                const uint8_t *eo = r.bytes((size_t)B * lout.back() * 2);
                unsigned bmax = run_bmax(n_in0, nall);
                for (uint32_t q = 0; q < B; q += bmax) {
                    unsigned n = B - q < bmax ? B - q : bmax;
                    if (!b.cmd(0x09, run_payload(x + (size_t)q * n_in0, n, n_in0), rep, err)) return fail(path, op, err.c_str());
                    for (unsigned v = 0; v < n; v++) {
                        const uint8_t *s = rep.data() + 11 + (size_t)v * nall * 2;
                        const uint8_t *ws = es + (size_t)(q + v) * nall * 2;
                        for (unsigned j = 0; j < nall; j++, checked++)
                            if (s[2 * j] != ws[2 * j] || s[2 * j + 1] != ws[2 * j + 1]) {
                                snprintf(msg, sizeof(msg), "RUN vector %u S[%u]: %d, expected %d", q + v, j,
                                         (int16_t)(s[2 * j] | s[2 * j + 1] << 8),
                                         (int16_t)(ws[2 * j] | ws[2 * j + 1] << 8));
                                return fail(path, op, msg);
                            }
                        // the outputs: the last layer's activation of its S (numerics §9)
                        unsigned L = (unsigned)lout.size(), off = nall - lout.back();
                        for (unsigned j = 0; j < lout.back(); j++, checked++) {
                            int64_t sv = (int16_t)(s[2 * (off + j)] | s[2 * (off + j) + 1] << 8), a = sv;
                            if (lact[L - 1]) {
                                a = xp_rnd(sv * (int64_t)lamul[L - 1], lash[L - 1]);
                                a = a < 0 ? 0 : a > (1 << DAC) - 1 ? (1 << DAC) - 1 : a;
                            }
                            const uint8_t *w2 = eo + ((size_t)(q + v) * lout.back() + j) * 2;
                            if ((int16_t)(w2[0] | w2[1] << 8) != (int16_t)a) {
                                snprintf(msg, sizeof(msg), "RUN vector %u output %u: %d, expected %d", q + v,
                                         j, (int)a, (int16_t)(w2[0] | w2[1] << 8));
                                return fail(path, op, msg);
                            }
                        }
                    }
                }
            } else if (opc == 0x06) {  // TILE: a one-tile network, N set through the backdoor
                unsigned t = (unsigned)r.u(2), ncols = (unsigned)r.u(2);
                uint32_t B = (uint32_t)r.u(4);
                uint64_t n0 = r.u(8);
                const uint8_t *x = r.bytes((size_t)B * R);
                const uint8_t *ex = r.bytes((size_t)B * ncols * 6);
                uint64_t n_saved = b.m->rootp->xp_board__DOT__infer;
                pl.push_back(1);                                       // L
                pl.push_back(0); pl.push_back(0); pl.push_back(1); pl.push_back(0);  // act, bias, amul, ash
                put16(pl, R); put16(pl, ncols); put16(pl, 1); put16(pl, t);
                if (!b.cmd(0x05, pl, rep, err)) return fail(path, op, ("TILE's CONFIGURE: " + err).c_str());
                unsigned bmax = run_bmax(R, ncols);
                if (bmax == 0) return fail(path, op, "TILE: one vector does not fit a RUN frame of this build (max_request)");
                std::vector<int32_t> accs;
                for (uint32_t q = 0; q < B; q += bmax) {
                    unsigned n = B - q < bmax ? B - q : bmax;
                    pl = run_payload(x + (size_t)q * R, n, R);
                    b.m->rootp->xp_board__DOT__infer = (n0 + q) & 0xFFFFFFFFFFull;  // N mod 2^40
                    accs.clear();
                    b.accs = &accs;
                    bool ok = b.cmd(0x09, pl, rep, err);
                    b.accs = nullptr;
                    if (!ok) return fail(path, op, ("TILE's RUN: " + err).c_str());
                    if (accs.size() != (size_t)n * ncols) {
                        snprintf(msg, sizeof(msg), "TILE: %zu ADC conversions seen, expected %u", accs.size(), n * ncols);
                        return fail(path, op, msg);
                    }
                    for (unsigned v = 0; v < n; v++) {
                        const uint8_t *e = ex + (size_t)(q + v) * ncols * 6;  // i32 acc[ncols], i16 code[ncols]
                        for (unsigned j = 0; j < ncols; j++, checked += 2) {
                            int32_t wa = (int32_t)(e[4 * j] | e[4 * j + 1] << 8 | e[4 * j + 2] << 16 | (uint32_t)e[4 * j + 3] << 24);
                            int16_t wc = (int16_t)(e[4 * ncols + 2 * j] | e[4 * ncols + 2 * j + 1] << 8);
                            const uint8_t *s = rep.data() + 11 + ((size_t)v * ncols + j) * 2;
                            int16_t gc = (int16_t)(s[0] | s[1] << 8);
                            int32_t ga = accs[(size_t)v * ncols + j];
                            if (ga != wa || gc != wc) {
                                snprintf(msg, sizeof(msg), "TILE tile %u vector %u (n %" PRIu64 ") column %u: acc %d code %d, "
                                         "expected acc %d code %d", t, q + v, (n0 + q + v) & 0xFFFFFFFFFFull, j,
                                         ga, gc, wa, wc);
                                return fail(path, op, msg);
                            }
                        }
                    }
                }
                b.m->rootp->xp_board__DOT__infer = n_saved;
                if (!lastcfg.empty() && !b.cmd(0x05, lastcfg, rep, err))
                    return fail(path, op, ("restoring the file's CONFIGURE: " + err).c_str());
                tiles_here++;
            } else if (opc == 0x08) {  // RESET
                if (!b.cmd(0x03, pl, rep, err)) return fail(path, op, err.c_str());
                lout.clear();
                lastcfg.clear();
            } else {
                snprintf(msg, sizeof(msg), "unknown opcode 0x%02x", opc);
                return fail(path, op, msg);
            }
        }
        printf("tb_vectors: %s: %u operations replayed on the RTL through the protocol (%" PRIu64
               " TILE through a one-tile network and the N backdoor), every expected value equal (%"
               PRIu64 " cycles)\n", path, nops, tiles_here, b.cycle);
        tiles_replayed += tiles_here;
        cycles += b.cycle;
        files++;
        b.m->final();
    }
    printf("tb_vectors: OK: %u files (%u skipped for their geometry), %" PRIu64 " values "
           "checked, %" PRIu64 " TILE operations replayed (acc and code), %" PRIu64 " cycles "
           "(power-up values of XP_SEED=%" PRIu64 ")\n",
           files, skipped_files, checked, tiles_replayed, cycles, seed);
    return 0;
}
