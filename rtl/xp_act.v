`resetall
`timescale 1ns/1ps
`default_nettype none
/*
 * xp_act — activation and requantisation of one layer output (docs/numerics.md §9),
 * sequential (shift-add, no DSP).
 *
 * Purpose: give it, with s_valid (a pulse; not while a previous one is being worked on), the
 * 16-bit partial sum S, the layer's multiplier amul (0 … 255) and shift ash (0 … 15) and relu;
 * they are latched then. max(8, ash) + 1 cycles later m_valid pulses and a holds, until the
 * next s_valid: for a RELU layer (relu = 1) the next layer's DAC code
 *     a = clamp(rnd(S · amul, ash), 0, XMAX)
 * and for an IDENTITY layer (relu = 0) a = S unchanged (the network output). a is 16 bits wide:
 * a DAC code zero-extended, or S.
 *
 * How (as in xp_adc): S · amul a bit of amul a cycle, LSB first; while fewer than ash bits are
 * done the partial sum is shifted right (the bit shifted out at step ash − 1 is the rounding
 * bit), from then on S is shifted left instead; so rnd(S · amul, ash) = hi + that bit with
 * neither a multiplier nor a barrel shifter. Synthesised alone for the iCE40 (synth_ice40 -dsp,
 * DAC_BITS 8): 157 SB_LUT4, about 100 flip-flops, no SB_MAC16 (the combinational version: 178
 * SB_LUT4 and one SB_MAC16).
 */
module xp_act #(
    parameter DAC_BITS = 8  // input DAC width (numerics §2: 1 … 8); XMAX = 2^DAC_BITS - 1
) (
    input  wire               clk,
    input  wire               rst,
    input  wire               s_valid,
    input  wire signed [15:0] s,
    input  wire        [7:0]  amul,
    input  wire        [3:0]  ash,
    input  wire               relu,
    output reg                m_valid,
    output reg  signed [15:0] a
);
    localparam [DAC_BITS-1:0] XMAX = {DAC_BITS{1'b1}};

    reg               busy, fin;
    reg        [3:0]  t;       // the step: amul's bit t
    reg        [3:0]  sh;
    reg        [7:0]  g;       // amul, shifted right a bit a step
    reg               rl;
    reg signed [15:0] sv;
    reg signed [23:0] mv;      // S, shifted left a bit a step from step ash on: |·| < 2^23
    reg signed [23:0] hi;      // floor(partial S · amul / 2^min(t, ash)): |·| < 2^23
    reg               rb;      // the rounding bit (0 for ash = 0)

    wire signed [23:0] hs = hi + (g[0] ? mv : 24'sd0);
    wire               shr = t < sh;
    wire               last = t + 4'd1 == (sh > 4'd8 ? sh : 4'd8);
    // clamp(hi + rb, 0, XMAX) without a wide add: below 0 iff hi is; above XMAX iff hi's bits
    // above the DAC's are set or its low bits are XMAX and rb is set
    wire               neg = hi[23];
    wire               over = |hi[22:DAC_BITS] || (hi[DAC_BITS-1:0] == XMAX && rb);
    wire [DAC_BITS-1:0] c = neg ? {DAC_BITS{1'b0}} : over ? XMAX : hi[DAC_BITS-1:0] + {{(DAC_BITS - 1){1'b0}}, rb};

    always @(posedge clk) begin
        m_valid <= 1'b0;
        fin <= 1'b0;
        if (s_valid) begin
            busy <= 1'b1;
            t <= 4'd0;
            sh <= ash;
            g <= amul;
            rl <= relu;
            sv <= s;
            mv <= {{8{s[15]}}, s};
            hi <= 24'sd0;
            rb <= 1'b0;
        end else if (busy && !fin) begin
            g <= g >> 1;
            t <= t + 4'd1;
            if (shr) begin
                hi <= hs >>> 1;
                if (t + 4'd1 == sh)
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
            a <= rl ? {{(16 - DAC_BITS){1'b0}}, c} : sv;
        end
        if (rst) begin
            busy <= 1'b0;
            fin <= 1'b0;
            m_valid <= 1'b0;
        end
    end
endmodule
`resetall
