`resetall
`timescale 1ns/1ps
`default_nettype none
/*
 * xp_adc — the ADC of one tile column (docs/numerics.md §7), sequential (shift-add, no DSP).
 *
 * Purpose: turn a column's analog sum into an ADC code. When s_ready is high, give it, with
 * s_valid, the column sum with read noise already added (v = acc + scale(z, s_read, 0), 27-bit
 * signed), the host's gain (8 bits) and the column's board-private gain error eg (11 bits), the
 * shift ashift (0 … 31) and the offset off = aoff + eo (host offset plus board-private offset
 * error, 13-bit signed); the inputs are latched then. max(19, ashift + 10) + 1 cycles later
 * (20 … 42) m_valid carries, for one cycle,
 *     code = clamp(rnd(v · gain · eg, ashift + 10) + off, AMIN, AMAX)
 * with rnd the round-half-up of numerics §1. s_ready is low while a sample is converted (it
 * rises with m_valid); there is no backpressure on the result.
 *
 * How: the product p = v · ge, ge = gain · eg < 2^19, is formed a bit of ge a cycle, LSB first
 * (ge's bits come from a small serial-parallel multiplier of gain by eg, one a cycle). While
 * fewer than s = ashift + 10 bits are done, the partial sum is shifted right as it grows (the
 * bit shifted out at step s − 1 is p's bit s − 1, the rounding bit); from step s on it stays
 * and the multiplicand is shifted left instead; past ge's 19 bits it only shifts. At the end
 * hi = floor(p / 2^s), and rnd(p, s) = hi + (p's bit s − 1). So there is neither a multiplier
 * nor a barrel shifter: a 37-bit and a 12-bit adder. Synthesised alone for the iCE40
 * (synth_ice40 -dsp, ADC_BITS 8): 273 SB_LUT4, 140 flip-flops, no SB_MAC16 (the two-stage
 * pipelined version with a 27 x 19 multiplier: 491 SB_LUT4, most of them the variable shift,
 * and 4 SB_MAC16).
 */
module xp_adc #(
    parameter ADC_BITS = 8  // ADC code width (numerics §2: 2 … 12)
) (
    input  wire                       clk,
    input  wire                       rst,
    input  wire                       s_valid,
    output wire                       s_ready,
    input  wire signed [26:0]         s_v,      // acc + read noise
    input  wire        [7:0]          s_gain,   // the host's gain
    input  wire        [10:0]         s_eg,     // the column's gain error (Q10)
    input  wire        [4:0]          s_shift,  // ashift
    input  wire signed [12:0]         s_off,    // aoff + eo
    output reg                        m_valid,
    output reg  signed [ADC_BITS-1:0] m_code
);
    localparam signed [37:0] AMAX = (38'sd1 <<< (ADC_BITS - 1)) - 38'sd1;
    localparam signed [37:0] AMIN = -(38'sd1 <<< (ADC_BITS - 1));

    reg               busy;
    reg        [5:0]  t;      // the step: ge's bit t
    reg        [5:0]  s;      // ashift + 10: 10 … 41
    reg        [7:0]  g;      // gain, shifted right a bit a step
    reg        [10:0] eg;
    reg        [10:0] ga;     // gain · eg's partial sum, shifted right a bit a step
    reg signed [35:0] mv;     // v, shifted left a bit a step from step s on: |v| · 2^(18 − 10)
    reg signed [36:0] hi;     // floor(partial p / 2^min(t, s)): |·| < 2^36 (numerics §10)
    reg               rb;     // the rounding bit, p's bit s − 1
    reg signed [12:0] off;

    // ge's bit t: bit 0 of gain[t] · eg plus the bits of the lower products not yet emitted
    wire        [11:0] gs = {1'b0, ga} + (g[0] ? {1'b0, eg} : 12'd0);
    wire               gbit = gs[0];
    wire signed [36:0] hs = hi + (gbit ? {mv[35], mv} : 37'sd0);
    wire               shr = t < s;                     // still shifting right
    wire               last = t + 6'd1 == (s > 6'd19 ? s : 6'd19);

    // the result: rnd(p, s) + off, clamped (|rnd(p, s)| < 2^36, |y| < 2^35 + 2^12: §10)
`ifdef XP_MUTANT_ADC_FLOOR
    wire               rbit = 1'b0 & rb;  // mutant (make cosim): truncates instead of rounding
`else
    wire               rbit = rb;
`endif
    /* verilator lint_off UNUSEDSIGNAL */ // yc's upper bits are sign copies
    wire signed [37:0] y = {hi[36], hi} + {{25{off[12]}}, off} + {37'd0, rbit};
    wire signed [37:0] yc = y > AMAX ? AMAX : y < AMIN ? AMIN : y;
    /* verilator lint_on UNUSEDSIGNAL */
    reg                fin;     // hi holds floor(p / 2^s): the code next

    assign s_ready = !busy;

    always @(posedge clk) begin
        m_valid <= 1'b0;
        fin <= 1'b0;
        if (s_valid && !busy) begin
            busy <= 1'b1;
            t <= 6'd0;
            s <= {1'b0, s_shift} + 6'd10;
            g <= s_gain;
            eg <= s_eg;
            ga <= 11'd0;
            mv <= {{9{s_v[26]}}, s_v};
            hi <= 37'sd0;
            off <= s_off;
        end else if (busy && !fin) begin
            g <= g >> 1;
            ga <= gs[11:1];
            t <= t + 6'd1;
            if (shr) begin
                hi <= hs >>> 1;
                if (t + 6'd1 == s)
                    rb <= hs[0];
            end else begin
                hi <= hs;
                mv <= mv <<< 1;
            end
            if (last)
                fin <= 1'b1;
        end
        if (fin) begin
            busy <= 1'b0;
            m_valid <= 1'b1;
            m_code <= yc[ADC_BITS-1:0];
        end
        if (rst) begin
            busy <= 1'b0;
            fin <= 1'b0;
            m_valid <= 1'b0;
        end
    end
`ifdef XP_COVER
    // coverage targets (tests/cosim/board_cov.mk): saturation at both ends
    c_adc_saturates_high: cover property (@(posedge clk) fin && y > AMAX);
    c_adc_saturates_low: cover property (@(posedge clk) fin && y < AMIN);
`endif
endmodule
`resetall
