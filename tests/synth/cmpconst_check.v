// Comparisons of 5-, 8- and 12-bit signals with constants (on either side, all four relations,
// constants inside, at and past the ends of the signal's range, as wide as the signal and
// wider): make lint proves scripts/ice40_cmpconst.v's mapping of this module equivalent to
// Yosys's own, and that a mutant of the mapping is not.
module cmpconst_check (
    input  wire [4:0]  a5,
    input  wire [7:0]  a8,
    input  wire [11:0] a12,
    output wire [3*8*10-1:0] y
);
    localparam [8*13-1:0] K5 = {13'd0, 13'd1, 13'd5, 13'd16, 13'd21, 13'd30, 13'd31, 13'd32};
    localparam [8*13-1:0] K8 = {13'd0, 13'd1, 13'd37, 13'd128, 13'd200, 13'd254, 13'd255, 13'd256};
    localparam [8*13-1:0] K12 = {13'd0, 13'd3, 13'd1030, 13'd2048, 13'd2730, 13'd4094, 13'd4095,
                                 13'd4100};
    genvar k;
    generate
        for (k = 0; k < 8; k = k + 1) begin : g
            localparam [12:0] C5 = K5[13 * k +: 13], C8 = K8[13 * k +: 13], C12 = K12[13 * k +: 13];
            localparam [4:0] N5 = C5[4:0];                  // (as wide as the signal)
            localparam [7:0] N8 = C8[7:0];
            assign y[30 * k +: 10] = {a5 < C5, a5 <= C5, a5 > C5, a5 >= C5, C5 < a5, C5 <= a5,
                                      C5 > a5, C5 >= a5, a5 < N5, N5 > a5};
            assign y[30 * k + 10 +: 10] = {a8 < C8, a8 <= C8, a8 > C8, a8 >= C8, C8 < a8, C8 <= a8,
                                           C8 > a8, C8 >= a8, a8 <= N8, N8 <= a8};
            assign y[30 * k + 20 +: 10] = {a12 < C12, a12 <= C12, a12 > C12, a12 >= C12, C12 < a12,
                                           C12 <= a12, C12 > a12, C12 >= a12, a12 >= C12[11:0],
                                           C12[11:0] >= a12};
        end
    endgenerate
endmodule
