/*
 * ice40_cmpconst.v — a Yosys techmap for the FPGA flow (Makefile, fpga_synth): an unsigned
 * comparison of a signal with a constant ($lt, $le, $gt, $ge, more than 4 bits wide) as logic
 * instead of a carry chain.
 *
 * Why: synth_ice40 maps such a comparison to SB_CARRY cells (alumacc), one logic cell a bit whose
 * LUT stays unused, plus the cells nextpnr adds to legalise the chain; its own cmp2lut covers only
 * operands of up to 4 bits. As logic, x < C is a chain of AND (C's bit 0) and OR (C's bit 1) of
 * the inverted bits of x, which ABC folds into a few LUTs. On xp_board: 4.7 % fewer logic cells on
 * the UP5K, 5 % on the HX8K (docs/boards.md, "Status").
 *
 * x < C: from the LSB up, lt[i + 1] = x[i:0] < C[i:0] = C[i] ? !x[i] || lt[i] : !x[i] && lt[i].
 * x > C is ~x < ~C (in the same width), x ≤ C is !(x > C), x ≥ C is !(x < C). A constant left
 * side is mirrored (C < x is x > C). Signed comparisons, two variable sides and narrow ones are
 * left to synth_ice40 (_TECHMAP_FAIL_).
 */
(* techmap_celltype = "$lt $le $gt $ge" *)
module _xp_cmpconst (A, B, Y);
    parameter A_SIGNED = 0;
    parameter B_SIGNED = 0;
    parameter A_WIDTH = 1;
    parameter B_WIDTH = 1;
    parameter Y_WIDTH = 1;
    parameter _TECHMAP_CELLTYPE_ = "";
    parameter _TECHMAP_CONSTMSK_A_ = 0;
    parameter _TECHMAP_CONSTVAL_A_ = 0;
    parameter _TECHMAP_CONSTMSK_B_ = 0;
    parameter _TECHMAP_CONSTVAL_B_ = 0;
    input  [A_WIDTH-1:0] A;
    input  [B_WIDTH-1:0] B;
    output [Y_WIDTH-1:0] Y;

    localparam W = A_WIDTH > B_WIDTH ? A_WIDTH : B_WIDTH;
    localparam AC = &_TECHMAP_CONSTMSK_A_, BC = &_TECHMAP_CONSTMSK_B_;
    wire _TECHMAP_FAIL_ = A_SIGNED || B_SIGNED || AC == BC || W <= 4;
    // the relation as x OP C, x the variable side
    localparam [W-1:0] C = BC ? _TECHMAP_CONSTVAL_B_ : _TECHMAP_CONSTVAL_A_;
    localparam IS_LT = BC ? _TECHMAP_CELLTYPE_ == "$lt" : _TECHMAP_CELLTYPE_ == "$gt";
    localparam IS_LE = BC ? _TECHMAP_CELLTYPE_ == "$le" : _TECHMAP_CELLTYPE_ == "$ge";
    localparam IS_GT = BC ? _TECHMAP_CELLTYPE_ == "$gt" : _TECHMAP_CELLTYPE_ == "$lt";
    localparam INV = IS_GT || IS_LE;                // compare ~x with ~C
    wire [W-1:0] x = BC ? {{(W - A_WIDTH){1'b0}}, A} : {{(W - B_WIDTH){1'b0}}, B};
    wire [W-1:0] xv = INV ? ~x : x;
    localparam [W-1:0] CV = INV ? ~C : C;
    wire [W:0] lt;                                  // lt[i]: xv[i-1:0] < CV[i-1:0]
`ifdef XP_MUTANT_CMPCONST
    assign lt[0] = 1'b1;                            // mutant (make lint): x < C as x ≤ C
`else
    assign lt[0] = 1'b0;
`endif
    genvar i;
    generate
        for (i = 0; i < W; i = i + 1) begin : g
            if (CV[i])
                assign lt[i + 1] = ~xv[i] | lt[i];
            else
                assign lt[i + 1] = ~xv[i] & lt[i];
        end
    endgenerate
    // lt[W] is x < C (LT), x > C (GT, LE: its negation), and GE is the negation of x < C; a
    // 1-bit wire first, so that a wider Y is zero-extended (not its inversion)
    wire r = IS_LT || IS_GT ? lt[W] : ~lt[W];
    assign Y = r;
endmodule
