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
 * (ge's bits come from a small serial-parallel multiplier of eg by gain, one a cycle). While
 * fewer than s = ashift + 10 bits are done, the partial sum is shifted right as it grows (the
 * step that shifts out p's bit s − 1 adds 1 there through the adder's carry-in: the rounding
 * half, rnd(p, s) = floor((p + 2^(s−1)) / 2^s)); from step s on it stays and the multiplicand
 * is shifted left instead; past ge's 19 bits it only shifts. The last cycle adds off with the
 * same adder, and the clamp looks at the sum's upper bits. All of p's partial products have
 * v's sign, so the partial sum only grows away from 0, and the sum and the multiplicand are
 * kept in v's 27 bits: a multiplicand that would leave them stays (past 2^25 in magnitude), a
 * sum that leaves them is halved (past 2^25 again). Either changes the sum only when
 * |floor(p / 2^s)| ≥ 2^26, far past any code plus |off| < 2^12, and leaves it past 2^25 on
 * v's side, where the clamp saturates as it should. So there is neither a multiplier nor a
 * barrel shifter: a 28-bit and a 9-bit adder. Synthesised alone for the iCE40 (synth_ice40
 * with or without -dsp, ADC_BITS 8): 177 SB_LUT4, 39 SB_CARRY, 117 flip-flops, 216 logic
 * cells packed (nextpnr), no SB_MAC16 (before, with a 37-bit sum and a separate 38-bit add and
 * compares for off and the clamp: 268 SB_LUT4, 167 SB_CARRY, 140 flip-flops, 377 logic cells;
 * the two-stage pipelined version with a 27 x 19 multiplier: 491 SB_LUT4, most of them the
 * variable shift, and 4 SB_MAC16).
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
    localparam [ADC_BITS-1:0] AMAX = {1'b0, {(ADC_BITS - 1){1'b1}}};
    localparam [ADC_BITS-1:0] AMIN = {1'b1, {(ADC_BITS - 1){1'b0}}};

    reg               busy;
    reg signed [5:0]  t;      // the step − 9: ge's bit t + 9 (−9 … 31)
    reg        [4:0]  sh;     // ashift: the rounding step is t = sh (step s − 1)
    reg               shr;    // still shifting right: step < s
    reg        [7:0]  gn;     // gain
    reg        [10:0] eg;     // eg, shifted right a bit a step
    reg        [7:0]  ga;     // eg · gain's partial sum, shifted right a bit a step
    reg signed [26:0] mv;     // v, shifted left a bit a step from step s on while it fits
    reg signed [26:0] hi;     // floor((partial p [+ 2^(s−1)]) / 2^min(step, s)), or past
                              // 2^25 in magnitude on v's side (see How)
    reg signed [12:0] off;
    reg               fin;    // hi holds rnd(p, s) (or is past 2^25): hi + off, the code next

    // ge's bit: bit 0 of gain · eg[step] plus the bits of the lower products not yet emitted
    wire        [8:0]  gs = {1'b0, ga} + (eg[0] ? {1'b0, gn} : 9'd0);
    wire               gbit = gs[0];
    wire               rstep = shr && t == {1'b0, sh};             // step s − 1
    wire               last = !t[5] && (t[4] || t[3] && t[2:0] != 3'd0) &&  // step ≥ 18,
                              (rstep || !shr);                     // ≥ s − 1
`ifdef XP_MUTANT_ADC_FLOOR
    wire               rbit = 1'b0 & rstep;  // mutant (make cosim): truncates instead of rounding
`else
    wire               rbit = rstep;
`endif
    // the one adder: hi + ge's bit · mv (+ the rounding half), and in the last cycle hi + off
    // (hi and mv are 27-bit: |hi + ge's bit · mv + 1| ≤ 2^27, |hi + off| < 2^26 + 2^12)
    wire signed [27:0] hb = fin ? {{15{off[12]}}, off} : gbit ? {mv[26], mv} : 28'sd0;
    wire signed [27:0] hs = {hi[26], hi} + hb + {27'd0, rbit};
    // the clamp: y = hs is within AMIN … AMAX when its bits from ADC_BITS − 1 up are all equal
    wire               inr = hs[27:ADC_BITS-1] == {(29 - ADC_BITS){1'b0}} ||
                             hs[27:ADC_BITS-1] == {(29 - ADC_BITS){1'b1}};

    assign s_ready = !busy;

    always @(posedge clk) begin
        m_valid <= 1'b0;
        fin <= 1'b0;
        if (s_valid && !busy) begin
            busy <= 1'b1;
            t <= -6'sd9;
            sh <= s_shift;
            shr <= 1'b1;
            gn <= s_gain;
            eg <= s_eg;
            ga <= 8'd0;
            mv <= s_v;
            hi <= 27'sd0;
            off <= s_off;
        end else if (busy && !fin) begin
            eg <= eg >> 1;
            ga <= gs[8:1];
            t <= t + 6'sd1;
            if (shr || hs[27] != hs[26])    // (from step s on: only past 2^26)
                hi <= hs[27:1];
            else
                hi <= hs[26:0];
            if (rstep)
                shr <= 1'b0;
            if (!shr && mv[26] == mv[25])   // (else mv stays, past 2^25 with v's sign)
                mv <= mv <<< 1;
            if (last)
                fin <= 1'b1;
        end
        if (fin) begin
            busy <= 1'b0;
            m_valid <= 1'b1;
            m_code <= inr ? hs[ADC_BITS-1:0] : hs[27] ? AMIN : AMAX;
        end
        if (rst) begin
            busy <= 1'b0;
            fin <= 1'b0;
            m_valid <= 1'b0;
        end
    end
`ifdef XP_COVER
    // coverage targets (tests/cosim/board_cov.mk): saturation at both ends
    c_adc_saturates_high: cover property (@(posedge clk) fin && !inr && !hs[27]);
    c_adc_saturates_low: cover property (@(posedge clk) fin && !inr && hs[27]);
`endif
endmodule
`resetall
