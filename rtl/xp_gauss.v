`resetall
`timescale 1ns/1ps
`default_nettype none
/*
 * xp_gauss — the Irwin–Hall Gaussian of docs/numerics.md §5, combinational.
 *
 * Purpose: turn one Threefry draw (x0, x1) from xp_threefry into the approximately normal
 * integer
 *     z = sum_{i=0..5} x0[5i+4:5i] + sum_{i=0..5} x1[5i+4:5i] - 186,   -186 … 186,
 * standard deviation ≈ 32; feed z to xp_scale. Bits 31..30 of both words are unused. An adder
 * tree of twelve 5-bit values (depth 4) and a constant; register the output where timing needs.
 *
 * How: eleven two-operand adders, each a carry chain on the iCE40. Yosys's alumacc would merge
 * a tree of plain adds into one multi-operand sum of full adders in LUTs (111 SB_LUT4, 6
 * SB_CARRY, 113 logic cells): so no adder takes another's whole sum as an operand — each
 * swaps its two operands' bit 0 (same weight, same total), which keeps the sums apart — and
 * the constant is added to the upper 8 bits alone (186 is even). 71 SB_LUT4, 69 SB_CARRY,
 * 85 logic cells packed (nextpnr), with or without synth_ice40 -dsp; bit-identical to the
 * plain tree (yosys sat proof over all inputs).
 */
module xp_gauss (
    input  wire [31:0]       x0,  // draw word 0 (m_x0 of xp_threefry)
    input  wire [31:0]       x1,  // draw word 1
    output wire signed [8:0] z    // gauss(x0, x1), -186 … 186
);
    // numerics §5 leaves bits 31..30 of both words unused
    /* verilator lint_off UNUSEDSIGNAL */
    wire unused_ok = &{1'b0, x0[31:30], x1[31:30]};
    /* verilator lint_on UNUSEDSIGNAL */

    wire [59:0] f = {x1[29:0], x0[29:0]};  // twelve 5-bit fields

    // tree: 12 x 5 bits -> 6 x 6 -> 3 x 7 -> 8 -> 9 bits (sum 0 … 372)
    wire [5:0] s1_0 = {1'b0, f[4:0]}   + {1'b0, f[9:5]};
    wire [5:0] s1_1 = {1'b0, f[14:10]} + {1'b0, f[19:15]};
    wire [5:0] s1_2 = {1'b0, f[24:20]} + {1'b0, f[29:25]};
    wire [5:0] s1_3 = {1'b0, f[34:30]} + {1'b0, f[39:35]};
    wire [5:0] s1_4 = {1'b0, f[44:40]} + {1'b0, f[49:45]};
    wire [5:0] s1_5 = {1'b0, f[54:50]} + {1'b0, f[59:55]};
    // (bit 0 of the two operands swapped: see How)
    wire [6:0] s2_0 = {1'b0, s1_0[5:1], s1_1[0]} + {1'b0, s1_1[5:1], s1_0[0]};
    wire [6:0] s2_1 = {1'b0, s1_2[5:1], s1_3[0]} + {1'b0, s1_3[5:1], s1_2[0]};
    wire [6:0] s2_2 = {1'b0, s1_4[5:1], s1_5[0]} + {1'b0, s1_5[5:1], s1_4[0]};
    wire [7:0] s3   = {1'b0, s2_0[6:1], s2_1[0]} + {1'b0, s2_1[6:1], s2_0[0]};
    wire [8:0] sum  = {1'b0, s3[7:1], s2_2[0]}   + {2'b00, s2_2[6:1], s3[0]};

    // sum - 186 lies in -186 … 186, so the 9-bit two's complement difference is exact; 186 is
    // even, so bit 0 is sum's and bits 8..1 are sum[8:1] - 93 = sum[8:1] + 163 (mod 256)
    wire [7:0] zh = sum[8:1] + 8'd163;
    assign z = $signed({zh, sum[0]});
endmodule
`resetall
