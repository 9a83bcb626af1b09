`resetall
`timescale 1ns/1ps
`default_nettype none
/*
 * xp_prog — the stored conductance after programming one device (docs/numerics.md §6.2).
 *
 * Purpose: combinational. Programming a device with code k (0 … 2^CODE_BITS - 1) whose
 * variation is fv (Q10, 0 … 2047) and whose programming draw is z (the Gaussian of the PROG
 * counter, −186 … 186) with noise sigma s_prog (1/8 conductance LSB, 0 … 1023) gives
 *     g = clamp(rnd((k << (8 − CODE_BITS)) · fv, 10) + scale(z, s_prog, 3), 0, 255)
 * unless the device is stuck (stuck = 1), when g = stuck_val. The caller draws z for every
 * programmed device, stuck or not (the pulse index advances either way).
 */
module xp_prog #(
    parameter CODE_BITS = 4  // conductance code width (numerics §2: 1 … 8)
) (
    input  wire [CODE_BITS-1:0] k,
    input  wire [10:0]          fv,
    input  wire signed [8:0]    z,
    input  wire [9:0]           s_prog,
    input  wire                 stuck,
    input  wire [7:0]           stuck_val,
    output wire [7:0]           g
);
    wire        [7:0]  gnom = {k, {(8 - CODE_BITS){1'b0}}};
    wire        [18:0] gf = gnom * fv;                                // < 2^19
    /* verilator lint_off UNUSEDSIGNAL */ // rnd(gf, 10) ≤ 510: bits above 9 are zero
    wire        [18:0] gr = (gf + 19'd512) >> 10;                     // rnd(·, 10)
    /* verilator lint_on UNUSEDSIGNAL */
    wire        [9:0]  g1 = gr[9:0];
    wire signed [10:0] noise;                                         // scale(z, s_prog, 3)
    xp_scale #(.F(3), .SIGMA_W(10)) sc (.z(z), .sigma(s_prog), .y(noise));
    wire signed [20:0] sum = $signed({11'd0, g1}) + {{10{noise[10]}}, noise};
    wire        [7:0]  gc = sum < 0 ? 8'd0 : sum > 21'sd255 ? 8'd255 : sum[7:0];

    assign g = stuck ? stuck_val : gc;
endmodule
`resetall
