`resetall
`timescale 1ns/1ps
`default_nettype none
/*
 * xp_adc — the ADC of one tile column (docs/numerics.md §7), pipelined.
 *
 * Purpose: turn a column's analog sum into an ADC code. Give it, with s_valid, the column sum
 * with read noise already added (v = acc + scale(z, s_read, 0), 27-bit signed), the column's
 * gain product ge = gain · eg (19-bit: the host's 8-bit gain times the board-private 11-bit
 * gain error, computed once when the gain is set), the shift ashift (0 … 31) and the offset
 * off = aoff + eo (host offset plus board-private offset error, 13-bit signed). Two cycles
 * later m_valid carries
 *     code = clamp(rnd(v · ge, ashift + 10) + off, AMIN, AMAX)
 * with rnd the round-half-up of numerics §1. No backpressure: a result is produced every cycle
 * a sample was accepted (the MVM sequencer never stalls it).
 */
module xp_adc #(
    parameter ADC_BITS = 8  // ADC code width (numerics §2: 2 … 12)
) (
    input  wire                       clk,
    input  wire                       rst,
    input  wire                       s_valid,
    input  wire signed [26:0]         s_v,      // acc + read noise
    input  wire        [18:0]         s_ge,     // gain · eg
    input  wire        [4:0]          s_shift,  // ashift
    input  wire signed [12:0]         s_off,    // aoff + eo
    output reg                        m_valid,
    output reg  signed [ADC_BITS-1:0] m_code
);
    localparam signed [37:0] AMAX = (38'sd1 <<< (ADC_BITS - 1)) - 38'sd1;
    localparam signed [37:0] AMIN = -(38'sd1 <<< (ADC_BITS - 1));

    // stage 1: the product (|p| < 2^45, numerics §10)
    reg               p_valid;
    reg signed [46:0] p;
    reg        [4:0]  p_shift;
    reg signed [12:0] p_off;

    // stage 2: round, offset, clamp
    wire        [5:0]  s = {1'b0, p_shift} + 6'd10;                 // 10 … 41
`ifdef XP_MUTANT_ADC_FLOOR
    wire signed [47:0] half = 48'sd0;  // mutant (make cosim): truncates instead of rounding
`else
    wire signed [47:0] half = 48'sd1 <<< (s - 6'd1);
`endif
    // |rnd(p, s)| < 2^36 and |y| < 2^35 + 2^12 (numerics §10): the upper bits of rounded and
    // yc are sign copies, not information
    /* verilator lint_off UNUSEDSIGNAL */
    wire signed [47:0] rounded = ($signed({p[46], p}) + half) >>> s; // asr: floor
    wire signed [37:0] y = rounded[37:0] + {{25{p_off[12]}}, p_off};
    wire signed [37:0] yc = y > AMAX ? AMAX : y < AMIN ? AMIN : y;
    /* verilator lint_on UNUSEDSIGNAL */

    always @(posedge clk) begin
        p_valid <= s_valid;
        p       <= s_v * $signed({1'b0, s_ge});
        p_shift <= s_shift;
        p_off   <= s_off;
        m_valid <= p_valid;
        m_code  <= yc[ADC_BITS-1:0];
        if (rst) begin
            p_valid <= 1'b0;
            m_valid <= 1'b0;
        end
    end
`ifdef XP_COVER
    // coverage targets (tests/cosim/board_cov.mk): saturation at both ends
    c_adc_saturates_high: cover property (@(posedge clk) p_valid && y > AMAX);
    c_adc_saturates_low: cover property (@(posedge clk) p_valid && y < AMIN);
`endif
endmodule
`resetall
