`resetall
`timescale 1ns/1ps
`default_nettype none
/*
 * xp_act — activation and requantisation of one layer output (docs/numerics.md §9).
 *
 * Purpose: combinational. For a RELU layer (relu = 1) the next layer's DAC code
 *     a = clamp(rnd(S · amul, ash), 0, XMAX)
 * from the 16-bit partial sum S, the layer's multiplier amul (0 … 255) and shift ash (0 … 15);
 * for an IDENTITY layer (relu = 0) a = S unchanged (the network output). a is 16 bits wide:
 * a DAC code zero-extended, or S.
 */
module xp_act #(
    parameter DAC_BITS = 8  // input DAC width (numerics §2: 1 … 8); XMAX = 2^DAC_BITS - 1
) (
    input  wire signed [15:0] s,
    input  wire        [7:0]  amul,
    input  wire        [3:0]  ash,
    input  wire               relu,
    output wire signed [15:0] a
);
    localparam signed [24:0] XMAX = (25'sd1 <<< DAC_BITS) - 25'sd1;

    wire signed [24:0] prod = s * $signed({1'b0, amul});             // |S · amul| < 2^23
    wire signed [24:0] half = ash == 4'd0 ? 25'sd0 : (25'sd1 <<< (ash - 4'd1));
    wire signed [24:0] r = (prod + half) >>> ash;                    // rnd(prod, ash)
    /* verilator lint_off UNUSEDSIGNAL */ // c is 0 … XMAX ≤ 255: bits above 15 are zero
    wire signed [24:0] c = r < 0 ? 25'sd0 : r > XMAX ? XMAX : r;
    /* verilator lint_on UNUSEDSIGNAL */

    assign a = relu ? c[15:0] : s;
endmodule
`resetall
