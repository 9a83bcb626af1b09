// tb_devmodel.cpp — co-simulation of rtl/xp_devmodel.v (numerics §6.1, recomputed on use)
// against the C model, which precomputes the same values at creation: random boards (device
// seed, fault probabilities, σ's), random cells and tile columns, random backpressure. Cells
// inside the board's geometry are compared with the chip's own arrays (cmodel/xp_cmodel_impl.h);
// cells anywhere in the counter space (t < 256, r < 1024, c < 256) with the spec's formulas
// written with the model's primitives. Usage: Vtb [requests per board]; XP_SEED seeds it.
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "Vxp_devmodel.h"
#include "cosimutil.h"
#include "verilated.h"
#include "xp_cmodel.h"
extern "C" {
#include "xp_cmodel_impl.h"
}

static int32_t clampi(int32_t x, int32_t lo, int32_t hi) { return x < lo ? lo : x > hi ? hi : x; }

struct want { unsigned sp, sn, fvp, fvn, eg; int eo; };

// numerics §6.1 from the primitives
static want spec(const xp_params &p, bool column, unsigned t, unsigned r, unsigned c) {
    const uint32_t k0 = (uint32_t)p.dseed, k1 = (uint32_t)(p.dseed >> 32);
    uint32_t x[2];
    want w = {};
    auto cls = [&](uint32_t u) { return u < p.p_sa0 ? 1u : u < p.p_sa0 + p.p_samax ? 2u : 0u; };
    auto z = [&](uint32_t dom, uint32_t c1) {
        xp_threefry2x32(k0, k1, dom << 24 | t << 16, c1, x);
        return xp_gauss(x[0], x[1]);
    };
    if (column) {
        w.eg = (unsigned)clampi(1024 + xp_scale(z(0x04, c), p.s_gain, 0), 0, 2047);
        w.eo = xp_scale(z(0x05, c), p.s_off, 3);
    } else {
        xp_threefry2x32(k0, k1, 0x01u << 24 | t << 16, r << 16 | c, x);
        w.sp = cls(x[0] & 0xFFFF);
        w.sn = cls(x[1] & 0xFFFF);
        w.fvp = (unsigned)clampi(1024 + xp_scale(z(0x02, r << 16 | c), p.s_var, 0), 0, 2047);
        w.fvn = (unsigned)clampi(1024 + xp_scale(z(0x03, r << 16 | c), p.s_var, 0), 0, 2047);
    }
    return w;
}

int main(int argc, char **argv) {
    uint64_t seed = cosim_seed(31337, 5);
    unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], nullptr, 10) : 20000;
    printf("tb_devmodel: XP_SEED=%" PRIu64 ", 4 boards x %u requests\n", seed, n);
    Verilated::randReset(2);
    Verilated::commandArgs(argc, argv);
    std::unique_ptr<Vxp_devmodel> m(new Vxp_devmodel);
    uint64_t cycle = 0, chip_checked = 0, spec_checked = 0, stuck_seen = 0, clamp_seen = 0;
    auto tick = [&]() { m->clk = 0; m->eval(); m->clk = 1; m->eval(); cycle++; };

    for (int board = 0; board < 4; board++) {
        xp_params p;
        xp_params_default(&p);
        p.rows = 64; p.cols = 32; p.tiles = 16;
        p.dseed = rnd64();
        if (board == 1) { p.p_sa0 = 20000; p.p_samax = 30000; p.s_var = 1023; p.s_gain = 1023; p.s_off = 1023; }
        if (board >= 2) {
            p.p_sa0 = rndu(65537);
            p.p_samax = rndu(65537 - p.p_sa0);
            p.s_var = (uint16_t)rndu(1024); p.s_gain = (uint16_t)rndu(1024); p.s_off = (uint16_t)rndu(1024);
        }
        xp_chip *chip;
        char msg[XP_ERRMSG];
        if (xp_chip_create(&chip, &p, msg, sizeof(msg)) != XP_OK) { fprintf(stderr, "%s\n", msg); return 2; }
        m->dkey0 = (uint32_t)p.dseed; m->dkey1 = (uint32_t)(p.dseed >> 32);
        m->p_sa0 = p.p_sa0; m->p_samax = p.p_samax;
        m->s_var = p.s_var; m->s_gain = p.s_gain; m->s_off = p.s_off;
        m->rst = 1; m->s_valid = 0; m->m_ready = 0; tick(); tick(); m->rst = 0;
        for (unsigned i = 0; i < n; i++) {
            bool column = rndu(3) == 0, inside = rndu(4) != 0;
            bool stuck_only = !column && rndu(3) == 0;  // the erase's query: stuck classes alone
            unsigned t = inside ? rndu(p.tiles) : rndu(256), r = inside ? rndu(p.rows) : rndu(1024),
                     c = inside ? rndu(p.cols) : rndu(256);
            m->s_valid = 1; m->s_column = column; m->s_stuck_only = stuck_only; m->s_t = t; m->s_r = r; m->s_c = c;
            unsigned guard = 0;
            do { m->clk = 0; m->eval(); bool took = m->s_ready; m->clk = 1; m->eval(); cycle++; if (took) break; } while (++guard < 1000);
            m->s_valid = 0;
            guard = 0;
            for (;;) {
                m->m_ready = rndu(4) != 0;
                m->clk = 0; m->eval();
                bool done = m->m_valid && m->m_ready;
                want g = {m->m_stuck_p, m->m_stuck_n, m->m_fv_p, m->m_fv_n, m->m_eg,
                          (int)((int32_t)((uint32_t)m->m_eo << 21) >> 21)};
                m->clk = 1; m->eval(); cycle++;
                if (done) {
                    want w = spec(p, column, t, r, c);
                    if (stuck_only) w.fvp = w.fvn = 0;      // not drawn: 0, as outputs not asked for
                    bool ok = g.sp == w.sp && g.sn == w.sn && g.fvp == w.fvp && g.fvn == w.fvn && g.eg == w.eg && g.eo == w.eo;
                    if (inside && ok) {  // and the model's precomputed arrays
                        if (column) {
                            ok = chip->eg[t * p.cols + c] == (int32_t)g.eg && chip->eo[t * p.cols + c] == g.eo;
                        } else {
                            size_t d = (((size_t)t * p.rows + r) * p.cols + c) * 2;
                            // the RTL's classes are the model's XP_HEALTHY, XP_STUCK0, XP_STUCKMAX
                            ok = (stuck_only || (chip->fv[d] == g.fvp && chip->fv[d + 1] == g.fvn)) &&
                                 chip->stuck[d] == g.sp && chip->stuck[d + 1] == g.sn;
                        }
                        chip_checked++;
                    }
                    if (!ok) {
                        fprintf(stderr, "MISMATCH board %d (dseed %016" PRIx64 ") %s t %u r %u c %u at cycle %" PRIu64
                                ": RTL stuck %u/%u fv %u/%u eg %u eo %d; spec stuck %u/%u fv %u/%u eg %u eo %d\n",
                                board, p.dseed, column ? "column" : "cell", t, r, c, cycle, g.sp, g.sn, g.fvp, g.fvn,
                                g.eg, g.eo, w.sp, w.sn, w.fvp, w.fvn, w.eg, w.eo);
                        return 1;
                    }
                    spec_checked++;
                    stuck_seen += (g.sp != 0) + (g.sn != 0);
                    clamp_seen += g.fvp == 0 || g.fvp == 2047 || g.fvn == 0 || g.fvn == 2047;
                    break;
                }
                if (++guard > 1000) { fprintf(stderr, "MISMATCH: no answer after 1000 cycles (t %u r %u c %u)\n", t, r, c); return 1; }
            }
        }
        xp_chip_destroy(chip);
    }
    m->final();
    if (stuck_seen == 0 || clamp_seen == 0) {
        fprintf(stderr, "tb_devmodel: the stimulus missed stuck devices (%" PRIu64 ") or clamped variations (%" PRIu64 ")\n",
                stuck_seen, clamp_seen);
        return 1;
    }
    printf("tb_devmodel: OK: %" PRIu64 " requests equal to numerics §6.1, %" PRIu64 " of them also to the C model's arrays; "
           "%" PRIu64 " stuck devices, %" PRIu64 " clamped variations; %" PRIu64 " cycles\n",
           spec_checked, chip_checked, stuck_seen, clamp_seen, cycle);
    return 0;
}
