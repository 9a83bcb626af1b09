`resetall
`timescale 1ns/1ps
`default_nettype none
/*
 * xp_act — the RELU activation and requantisation of one layer output (docs/numerics.md §9),
 * sequential (shift-add, no multiplier, no barrel shifter).
 *
 * Purpose: when s_ready is high, give it, with s_valid, a layer output's partial sum S (16-bit
 * signed) and the layer's multiplier amul (0 … 255) and shift ash (0 … 15); they are latched
 * then. max(8, ash) cycles after the accepting edge m_valid is high for one cycle, and from then
 * until the next s_valid m_code holds the next layer's DAC code
 *     a = clamp(rnd(S · amul, ash), 0, XMAX),    XMAX = 2^DAC_BITS − 1
 * s_ready is low while it computes (it rises with m_valid). An IDENTITY layer's a = S is the
 * user's: it needs no unit.
 *
 * How: as xp_adc does. The product p = S · amul is formed a bit of amul a cycle, LSB first.
 * While fewer than ash bits are done, the partial sum is shifted right as it grows; from step
 * ash on it stays and the multiplicand is shifted left instead. The rounding constant
 * 2^(ash − 1) (round half up, §1) enters as the adder's carry in step ash − 1, where a unit of
 * the partial sum is 2^(ash − 1). After max(8, ash) steps hi = floor((p + 2^(ash − 1)) / 2^ash)
 * = rnd(p, ash) (hi = p when ash = 0). The clamp to 0 … XMAX reads the sign and the bits above
 * DAC_BITS. |p| < 2^23: 24-bit registers. Synthesised alone for the iCE40 (synth_ice40,
 * DAC_BITS 8): 141 SB_LUT4, 32 SB_CARRY, 66 flip-flops; the combinational version it replaces
 * took 558 SB_LUT4 without DSPs (the HX8K) and one SB_MAC16 and 178 SB_LUT4 with them.
 */
module xp_act #(
    parameter DAC_BITS = 8  // input DAC width (numerics §2: 1 … 8); XMAX = 2^DAC_BITS - 1
) (
    input  wire                clk,
    input  wire                rst,
    input  wire                s_valid,
    output wire                s_ready,
    input  wire signed [15:0]  s_s,       // S
    input  wire        [7:0]   s_amul,
    input  wire        [3:0]   s_ash,
    output reg                 m_valid,
    output wire [DAC_BITS-1:0] m_code     // a (held until the next s_valid)
);
    reg               busy;
    reg        [3:0]  t;      // the step: amul's bit t (0 … 14)
    reg        [3:0]  s;      // ash
    reg        [7:0]  g;      // amul, shifted right a bit a step
    reg signed [23:0] mv;     // S, shifted left a bit a step from step ash on
    reg signed [23:0] hi;     // floor(partial p / 2^min(t, ash))

    // the rounding constant 2^(ash − 1) enters as a carry into step ash − 1, where a unit of hi
    // is 2^(ash − 1) of p's
    wire               half = {1'b0, t} + 5'd1 == {1'b0, s};
`ifdef XP_MUTANT_ACT_FLOOR
    wire               cin = 1'b0 & half;  // mutant (make cosim): truncates instead of rounding
`else
    wire               cin = half;
`endif
    wire signed [23:0] hs = hi + (g[0] ? mv : 24'sd0) + {23'd0, cin};
    wire               shr = t < s;                             // still shifting right
    wire               last = {1'b0, t} + 5'd1 == (s > 4'd8 ? {1'b0, s} : 5'd8);

    // rnd(p, ash) = hi, |·| < 2^23; clamped: 0 below zero, XMAX when a bit at or above
    // DAC_BITS is set
    assign m_code = hi[23] ? {DAC_BITS{1'b0}} : |hi[22:DAC_BITS] ? {DAC_BITS{1'b1}} :
                    hi[DAC_BITS-1:0];
    assign s_ready = !busy;

    always @(posedge clk) begin
        m_valid <= 1'b0;
        if (s_valid && !busy) begin
            busy <= 1'b1;
            t <= 4'd0;
            s <= s_ash;
            g <= s_amul;
            mv <= {{8{s_s[15]}}, s_s};
            hi <= 24'sd0;
        end else if (busy) begin
            g <= g >> 1;
            t <= t + 4'd1;
            if (shr) begin
                hi <= hs >>> 1;
            end else begin
                hi <= hs;
                mv <= mv <<< 1;
            end
            if (last) begin
                busy <= 1'b0;
                m_valid <= 1'b1;
            end
        end
        if (rst) begin
            busy <= 1'b0;
            m_valid <= 1'b0;
        end
    end
`ifdef XP_COVER
    // coverage targets (tests/cosim/board_cov.mk): both ends of the clamp
    c_act_clamps_high: cover property (@(posedge clk) m_valid && !hi[23] && |hi[22:DAC_BITS]);
    c_act_clamps_low: cover property (@(posedge clk) m_valid && hi[23]);
`endif
endmodule
`resetall
