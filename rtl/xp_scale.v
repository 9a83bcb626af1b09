`resetall
`timescale 1ns/1ps
`default_nettype none
/*
 * xp_scale — scale(z, σ, f) = rnd(z · σ, 5 + f) of docs/numerics.md §5, combinational.
 *
 * Purpose: turn a Gaussian z from xp_gauss (standard deviation ≈ 2^5) into a noise value with
 * standard deviation σ, σ given in units of 2^-F of the target LSB:
 *     y = rnd(z · sigma, 5 + F) = floor((z · sigma + 2^(4+F)) / 2^(5+F))    (round half up, §1)
 * Numerics §6–§7 use F = 0 (s_var, s_gain: σ ≤ 1023, s_read: σ ≤ 65535) and F = 3 (s_prog,
 * s_off: σ ≤ 1023). One signed 9 x (SIGMA_W+1)-bit multiply (one SB_MAC16 on iCE40), an add of
 * the rounding constant and a shift (wiring). Register the output where timing needs.
 *
 * Width: for every 9-bit z (-256 … 255, a superset of gauss's -186 … 186) and
 * sigma < 2^SIGMA_W, |z · sigma| < 2^(SIGMA_W+8), so the result fits SIGMA_W + 4 - F bits
 * signed: 20 bits for s_read (numerics §10: -380,922 … 380,922 at |z| = 186), 14 for s_var and
 * s_gain, 11 for s_prog and s_off (§10: -743 … 743). OUT_W may be wider (sign-extended), never
 * narrower.
 */
module xp_scale #(
    parameter integer F = 0,                   // σ's unit is 2^-F of the result's LSB: 0 or 3 (§6–§7)
    parameter integer SIGMA_W = 16,            // width of the unsigned σ: 16 for s_read, 10 for the others
    parameter integer OUT_W = SIGMA_W + 4 - F  // result width: at least SIGMA_W + 4 - F (exact)
) (
    input  wire signed [8:0]         z,      // Gaussian draw (xp_gauss)
    input  wire        [SIGMA_W-1:0] sigma,  // σ, unsigned
    output wire signed [OUT_W-1:0]   y       // rnd(z · σ, 5 + F)
);
    localparam S = 5 + F;                                  // the rounding shift
    localparam PW = SIGMA_W + 10;                          // signed product width (9 + SIGMA_W + 1)
    localparam W = PW > OUT_W + S ? PW : OUT_W + S;        // working width
    localparam signed [W-1:0] HALF = {{(W-1){1'b0}}, 1'b1} <<< (S - 1);  // 2^(S-1): half up

    generate
        if (OUT_W < SIGMA_W + 4 - F || F < 0) begin : g_bad_param
            // elaboration fails here: the result would wrap (numerics §1: MUST NOT)
            xp_scale_OUT_W_too_small u_bad ();
        end
    endgenerate

    wire signed [W-1:0] p = z * $signed({1'b0, sigma});  // exact: |p| < 2^(SIGMA_W+8)
    // the low S bits are shifted out; above OUT_W + S there are only sign copies
    /* verilator lint_off UNUSEDSIGNAL */
    wire signed [W-1:0] pr = p + HALF;
    /* verilator lint_on UNUSEDSIGNAL */
    assign y = pr[S +: OUT_W];  // asr(p + 2^(S-1), S): floor
endmodule
`resetall
