// tb_datapath.cpp — co-simulation of the ADC (numerics §7), activation (§9) and programming
// (§6.2) units against the arithmetic of docs/numerics.md, written here with the C model's
// exported primitives (xp_rnd, xp_scale): corner values of §10 first, then random inputs,
// at several bit widths. Usage: Vtb [N random cases]; XP_SEED seeds the cases.
#include <cinttypes>
#include <cstdio>
#include <cstdlib>

#include "Vxp_datapath_tb_top.h"
#include "cosimutil.h"
#include "verilated.h"
#include "xp_cmodel.h"

static int64_t rndr(int64_t lo, int64_t hi) { return lo + (int64_t)(rnd64() % (uint64_t)(hi - lo + 1)); }
static int64_t clamp(int64_t x, int64_t lo, int64_t hi) { return x < lo ? lo : x > hi ? hi : x; }
static int64_t sext(uint64_t v, int bits) { return (int64_t)(v << (64 - bits)) >> (64 - bits); }

static uint64_t cycle, fails;

#define CHECK(what, got, want, ...)                                                       \
    do {                                                                                  \
        if ((int64_t)(got) != (int64_t)(want)) {                                          \
            if (fails++ < 10) {                                                           \
                fprintf(stderr, "MISMATCH %s at cycle %" PRIu64 ": got %" PRId64          \
                        ", expected %" PRId64 "; inputs: ", what, cycle, (int64_t)(got),  \
                        (int64_t)(want));                                                 \
                fprintf(stderr, __VA_ARGS__);                                             \
                fputc('\n', stderr);                                                      \
            }                                                                             \
        }                                                                                 \
    } while (0)

int main(int argc, char **argv) {
    uint64_t seed = cosim_seed(7919, 3), n = argc > 1 ? strtoull(argv[1], nullptr, 10) : 100000;
    printf("tb_datapath: XP_SEED=%" PRIu64 ", %" PRIu64 " random cases per unit\n", seed, n);
    Verilated::randReset(2);  // random initial register values
    Verilated::commandArgs(argc, argv);
    Vxp_datapath_tb_top *m = new Vxp_datapath_tb_top;

    auto tick = [&]() { m->clk = 0; m->eval(); m->clk = 1; m->eval(); cycle++; };
    m->rst = 1; tick(); tick(); m->rst = 0;

    // ADC: sequential, one sample at a time: accepted while adc_ready, its code
    // max(19, shift + 10) + 1 cycles after the accepting edge (ready again then: the next
    // sample is given the same cycle, back to back)
    struct adcin { int64_t v; uint32_t gain, eg, sh; int32_t off; };
    const int64_t VMAX = 66966522;  // numerics §10
    uint64_t adc_checked = 0, act_checked = 0, prog_checked = 0;
    for (uint64_t i = 0; i < n; i++) {
        adcin in;
        uint64_t r = rnd64() % 16;
        in.v = r == 0 ? VMAX : r == 1 ? -VMAX : r < 6 ? rndr(-3000, 3000) : rndr(-VMAX, VMAX);
        bool gmax = r == 0 || r == 1 || rnd64() % 8 == 0;
        in.gain = gmax ? 255u : (uint32_t)rndr(0, 255);
        in.eg = gmax ? 2047u : (uint32_t)rndr(0, 2047);
        in.sh = rnd64() % 4 == 0 ? (rnd64() % 2 ? 31 : 0) : (uint32_t)rndr(0, 31);
        in.off = (int32_t)rndr(-2048 - 743, 2047 + 743);
        CHECK("adc ready", m->adc_ready, 1, "sample %" PRIu64, i);
        m->adc_valid = 1;
        m->adc_v = (uint32_t)in.v & 0x7FFFFFF;
        m->adc_gain = in.gain;
        m->adc_eg = in.eg;
        m->adc_shift = in.sh;
        m->adc_off = (uint32_t)in.off & 0x1FFF;
        tick();
        m->adc_valid = 0;
        m->adc_v = 0; m->adc_gain = 0; m->adc_eg = 0; m->adc_shift = 0; m->adc_off = 0;  // latched
        uint32_t wait = 0;
        while (!m->adc_out_valid && wait < 100) {
            CHECK("adc busy", m->adc_ready, 0, "sample %" PRIu64 " cycle %u", i, wait);
            tick();
            wait++;
        }
        uint32_t lat = (in.sh + 10 > 19 ? in.sh + 10 : 19) + 1;
        CHECK("adc latency", wait, lat, "shift %u", in.sh);
        int64_t y = xp_rnd(in.v * (int64_t)(in.gain * in.eg), in.sh + 10) + in.off;
        CHECK("adc8", sext(m->adc_code8, 8), clamp(y, -128, 127), "v %" PRId64 " gain %u eg %u shift %u off %d", in.v, in.gain, in.eg, in.sh, in.off);
        CHECK("adc12", sext(m->adc_code12, 12), clamp(y, -2048, 2047), "v %" PRId64 " gain %u eg %u shift %u off %d", in.v, in.gain, in.eg, in.sh, in.off);
        CHECK("adc2", sext(m->adc_code2, 2), clamp(y, -2, 1), "v %" PRId64 " gain %u eg %u shift %u off %d", in.v, in.gain, in.eg, in.sh, in.off);
        adc_checked++;
    }
    m->adc_valid = 0;

    // activation: sequential like the ADC, one output at a time: accepted while act_ready,
    // its code max(8, ash) cycles after the accepting edge, held until the next one
    for (uint64_t i = 0; i < n; i++) {
        uint64_t r = rnd64() % 8;
        int64_t s = r == 0 ? -32768 : r == 1 ? 32767 : r < 4 ? rndr(-600, 600) : rndr(-32768, 32767);
        uint32_t amul = r < 2 ? 255 : (uint32_t)rndr(0, 255), ash = (uint32_t)rndr(0, 15);
        CHECK("act ready", m->act_ready, 1, "output %" PRIu64, i);
        m->act_valid = 1;
        m->act_s = (uint16_t)s; m->act_amul = amul; m->act_ash = ash;
        tick();
        m->act_valid = 0;
        m->act_s = 0; m->act_amul = 0; m->act_ash = 0;  // latched
        uint32_t wait = 0, lat = ash > 8 ? ash : 8;
        while (!m->act_out_valid && wait < 40) {
            CHECK("act busy", m->act_ready, 0, "output %" PRIu64 " cycle %u", i, wait);
            tick();
            wait++;
        }
        CHECK("act latency", wait, lat, "ash %u", ash);
        int64_t a = xp_rnd(s * (int64_t)amul, ash);
        CHECK("act8", m->act_a8, clamp(a, 0, 255), "S %" PRId64 " amul %u ash %u", s, amul, ash);
        CHECK("act3", m->act_a3, clamp(a, 0, 7), "S %" PRId64 " amul %u ash %u", s, amul, ash);
        tick();  // held after m_valid
        CHECK("act8 held", m->act_a8, clamp(a, 0, 255), "S %" PRId64 " amul %u ash %u", s, amul, ash);
        act_checked++;
    }

    for (uint64_t i = 0; i < n; i++) {
        uint64_t r = rnd64() % 8;
        uint32_t k = (uint32_t)rndr(0, 255), fv = r == 0 ? 2047 : r == 1 ? 0 : (uint32_t)rndr(900, 1150);
        if (rnd64() % 4 == 0) fv = (uint32_t)rndr(0, 2047);
        int32_t z = r == 2 ? 186 : r == 3 ? -186 : (int32_t)rndr(-186, 186);
        uint32_t sig = r < 4 ? 1023 : (uint32_t)rndr(0, 1023), stuck = rnd64() % 10 == 0, sv = rnd64() % 2 ? 255 : 0;
        m->prog_k = k; m->prog_fv = fv; m->prog_z = (uint32_t)z & 0x1FF; m->prog_sigma = sig;
        m->prog_stuck = stuck; m->prog_stuck_val = sv;
        m->eval();
        const int cb[3] = {4, 8, 1};
        const uint32_t got[3] = {m->prog_g4, m->prog_g8, m->prog_g1};
        for (int c = 0; c < 3; c++) {
            uint32_t kk = k & ((1u << cb[c]) - 1);
            int64_t gnom = (int64_t)kk << (8 - cb[c]);
            int64_t g = stuck ? sv : clamp(xp_rnd(gnom * fv, 10) + xp_scale(z, sig, 3), 0, 255);
            CHECK("prog", got[c], g, "code_bits %d k %u fv %u z %d sigma %u stuck %u/%u", cb[c], kk, fv, z, sig, stuck, sv);
        }
        prog_checked++;
    }
    m->final();
    delete m;
    if (fails) {
        fprintf(stderr, "tb_datapath: FAIL: %" PRIu64 " mismatches\n", fails);
        return 1;
    }
    printf("tb_datapath: OK: ADC %" PRIu64 " samples at 8/12/2 bits, activation %" PRIu64
           " at 8/3 DAC bits, programming %" PRIu64 " at 4/8/1 code bits, all equal to numerics §6-§9\n",
           adc_checked, act_checked, prog_checked);
    return 0;
}
