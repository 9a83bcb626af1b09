`resetall
`timescale 1ns/1ps
`default_nettype none
/*
 * xp_devmodel — the board-private device model of docs/numerics.md §6.1, recomputed on use.
 *
 * Purpose: the C model precomputes the stuck faults, variations and ADC errors of every device
 * and column at creation; the RTL has no room for that (2 × 65,536 devices) and computes them
 * from the device key when it needs them (§12 allows it). Ask with s_valid/s_ready:
 *   s_column = 0: the cell (s_t, s_r, s_c) → its two devices' stuck class (0 healthy,
 *                 1 stuck at 0, 2 stuck at GMAX) and variation fv (Q10, 0 … 2047): three
 *                 Threefry draws (STUCK, VAR_POS, VAR_NEG);
 *                 With s_stuck_only, only the stuck classes (one draw: the erase of xp_board);
 *   s_column = 1: the tile column (s_t, s_c) → its ADC gain error eg (Q10, 0 … 2047) and offset
 *                 error eo (ADC LSB, −743 … 743): two draws (ADC_GAIN, ADC_OFFSET).
 * The answer comes on m_valid/m_ready; outputs of the other kind are 0. The device key and the
 * private parameters are inputs, constant for a board (numerics §2). One request at a time:
 * the latency is the draws' (5 cycles each at ROUNDS_PER_CYCLE 4) plus one cycle per draw.
 *
 * EXT_TF = 1: no Threefry engine and Gaussian of its own — the draws go out on tf_* (key:
 * the device key, counter tf_c0/tf_c1, the handshakes of xp_threefry) and their words and
 * Gaussian come back on tf_x0/tf_x1/tf_z, so that xp_board shares one engine between the
 * device model and its programming and read-noise draws (about 650 LUT4 saved). EXT_TF = 0
 * (the default, tests/cosim/tb_devmodel.cpp) has its own.
 */
module xp_devmodel #(
    parameter integer ROUNDS_PER_CYCLE = 4, // of the Threefry engine (xp_threefry)
    parameter integer EXT_TF = 0            // 1: the engine is outside (tf_*)
) (
    input  wire               clk,
    input  wire               rst,
    // board constants (numerics §2, §4.1)
    /* verilator lint_off UNUSEDSIGNAL */ // (EXT_TF = 1: the engine outside has the key)
    input  wire [31:0]        dkey0,      // lo32(dseed)
    input  wire [31:0]        dkey1,      // hi32(dseed)
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire [16:0]        p_sa0,      // stuck-at-0 probability × 2^16
    input  wire [16:0]        p_samax,    // stuck-at-max probability × 2^16
    input  wire [9:0]         s_var,      // variation σ, Q10
    input  wire [9:0]         s_gain,     // ADC gain error σ, Q10
    input  wire [9:0]         s_off,      // ADC offset error σ, 1/8 ADC LSB
    // request
    input  wire               s_valid,
    output wire               s_ready,
    input  wire               s_column,   // 0: a cell's devices; 1: a tile column's ADC
    input  wire               s_stuck_only, // (s_column 0) the stuck classes alone
    input  wire [7:0]         s_t,
    input  wire [9:0]         s_r,
    input  wire [7:0]         s_c,
    // answer
    output wire               m_valid,
    input  wire               m_ready,
    output wire [1:0]         m_stuck_p,  // + device: 0 healthy, 1 stuck at 0, 2 stuck at GMAX
    output wire [1:0]         m_stuck_n,  // − device
    output wire [10:0]        m_fv_p,     // variation of the + device, Q10
    output wire [10:0]        m_fv_n,     // variation of the − device
    output wire [10:0]        m_eg,       // ADC gain error, Q10
    output wire signed [10:0] m_eo,       // ADC offset error, ADC LSB
    // the Threefry engine outside (EXT_TF = 1; unused otherwise): a draw with the device key
    /* verilator lint_off UNUSEDSIGNAL */
    output wire               tf_valid,
    input  wire               tf_ready,
    output wire [31:0]        tf_c0,
    output wire [31:0]        tf_c1,
    input  wire               tf_m_valid,
    output wire               tf_m_ready,
    input  wire [31:0]        tf_x0,
    input  wire [31:0]        tf_x1,
    input  wire signed [8:0]  tf_z        // xp_gauss of tf_x0, tf_x1
    /* verilator lint_on UNUSEDSIGNAL */
);
    // domains of numerics §4.1
    localparam [7:0] D_STUCK = 8'h01, D_VAR_POS = 8'h02, D_VAR_NEG = 8'h03, D_ADC_GAIN = 8'h04,
                     D_ADC_OFFSET = 8'h05;
    localparam [1:0] S_IDLE = 2'd0, S_DRAW = 2'd1, S_WAIT = 2'd2, S_DONE = 2'd3;

    reg [1:0]  state_reg, state_next;
    reg [1:0]  step_reg, step_next;        // the draw of the request: 0, 1, 2
    reg        column_reg, column_next;
    reg        stuck_only_reg, stuck_only_next;
    reg [7:0]  t_reg, t_next;
    reg [9:0]  r_reg, r_next;
    reg [7:0]  c_reg, c_next;
    reg [1:0]  stuck_p_reg, stuck_p_next, stuck_n_reg, stuck_n_next;
    reg [10:0] fv_p_reg, fv_p_next, fv_n_reg, fv_n_next, eg_reg, eg_next;
    reg signed [10:0] eo_reg, eo_next;

    // the draw: domain and counter of step_reg
    reg  [7:0]  domain;
    always @* begin
        if (column_reg)
            domain = step_reg == 2'd0 ? D_ADC_GAIN : D_ADC_OFFSET;
        else
            domain = step_reg == 2'd0 ? D_STUCK : step_reg == 2'd1 ? D_VAR_POS : D_VAR_NEG;
    end
    wire [31:0] c0 = {domain, t_reg, 16'd0};
    wire [31:0] c1 = column_reg ? {24'd0, c_reg} : {6'd0, r_reg, 8'd0, c_reg};

    wire        d_s_ready, d_m_valid;
    /* verilator lint_off UNUSEDSIGNAL */ // (EXT_TF = 1: the stuck classes use the low halves)
    wire [31:0] x0, x1;
    /* verilator lint_on UNUSEDSIGNAL */
    wire signed [8:0] z;
    assign tf_valid = state_reg == S_DRAW;
    assign tf_c0 = c0;
    assign tf_c1 = c1;
    assign tf_m_ready = state_reg == S_WAIT;
    generate
        if (EXT_TF != 0) begin : g_ext
            assign d_s_ready = tf_ready;
            assign d_m_valid = tf_m_valid;
            assign x0 = tf_x0;
            assign x1 = tf_x1;
            assign z = tf_z;
        end else begin : g_own
            xp_threefry #(.ROUNDS_PER_CYCLE(ROUNDS_PER_CYCLE)) tf (
                .clk(clk), .rst(rst),
                .s_valid(tf_valid), .s_ready(d_s_ready),
                .s_k0(dkey0), .s_k1(dkey1), .s_c0(c0), .s_c1(c1),
                .m_valid(d_m_valid), .m_ready(tf_m_ready),
                .m_x0(x0), .m_x1(x1)
            );
            xp_gauss g (.x0(x0), .x1(x1), .z(z));
        end
    endgenerate
    // variation and gain error share σ's unit (Q10, f = 0); the offset error is in 1/8 LSB
    wire signed [13:0] dev0;             // scale(z, σ, 0), |·| ≤ 186 · 1023 / 32
    wire signed [10:0] dev3;             // scale(z, s_off, 3)
    xp_scale #(.F(0), .SIGMA_W(10)) sc0 (.z(z), .sigma(column_reg ? s_gain : s_var), .y(dev0));
    xp_scale #(.F(3), .SIGMA_W(10)) sc3 (.z(z), .sigma(s_off), .y(dev3));
    wire signed [14:0] q10 = 15'sd1024 + {dev0[13], dev0};
    wire [10:0] q10c = q10 < 0 ? 11'd0 : q10 > 15'sd2047 ? 11'd2047 : q10[10:0];

    // stuck class of a device from its 16-bit uniform u (§6.1)
    function [1:0] stuck_class(input [15:0] u, input [16:0] sa0, input [16:0] samax);
        if ({1'b0, u} < sa0)
            stuck_class = 2'd1;
        else if ({2'b0, u} < {1'b0, sa0} + {1'b0, samax})
            stuck_class = 2'd2;
        else
            stuck_class = 2'd0;
    endfunction

    assign s_ready = state_reg == S_IDLE;
    assign m_valid = state_reg == S_DONE;
    assign m_stuck_p = stuck_p_reg;
    assign m_stuck_n = stuck_n_reg;
    assign m_fv_p = fv_p_reg;
    assign m_fv_n = fv_n_reg;
    assign m_eg = eg_reg;
    assign m_eo = eo_reg;

    always @* begin
        state_next = state_reg;
        step_next = step_reg;
        column_next = column_reg;
        stuck_only_next = stuck_only_reg;
        t_next = t_reg;
        r_next = r_reg;
        c_next = c_reg;
        stuck_p_next = stuck_p_reg;
        stuck_n_next = stuck_n_reg;
        fv_p_next = fv_p_reg;
        fv_n_next = fv_n_reg;
        eg_next = eg_reg;
        eo_next = eo_reg;
        case (state_reg)
        S_IDLE:
            if (s_valid) begin
                column_next = s_column;
                stuck_only_next = s_stuck_only;
                t_next = s_t;
                r_next = s_r;
                c_next = s_c;
                step_next = 2'd0;
                stuck_p_next = 2'd0;
                stuck_n_next = 2'd0;
                fv_p_next = 11'd0;
                fv_n_next = 11'd0;
                eg_next = 11'd0;
                eo_next = 11'sd0;
                state_next = S_DRAW;
            end
        S_DRAW:
            if (d_s_ready)
                state_next = S_WAIT;
        S_WAIT:
            if (d_m_valid) begin
                if (column_reg) begin
                    if (step_reg == 2'd0)
                        eg_next = q10c;
                    else
                        eo_next = dev3;
                end else begin
                    case (step_reg)
                    2'd0: begin
                        stuck_p_next = stuck_class(x0[15:0], p_sa0, p_samax);
                        stuck_n_next = stuck_class(x1[15:0], p_sa0, p_samax);
                    end
                    2'd1: fv_p_next = q10c;
                    default: fv_n_next = q10c;
                    endcase
                end
                step_next = step_reg + 2'd1;
                state_next = (column_reg ? step_reg == 2'd1 : stuck_only_reg || step_reg == 2'd2) ?
                             S_DONE : S_DRAW;
            end
        default:  // S_DONE
            if (m_ready)
                state_next = S_IDLE;
        endcase
    end

    always @(posedge clk) begin
        state_reg <= state_next;
        step_reg <= step_next;
        column_reg <= column_next;
        stuck_only_reg <= stuck_only_next;
        t_reg <= t_next;
        r_reg <= r_next;
        c_reg <= c_next;
        stuck_p_reg <= stuck_p_next;
        stuck_n_reg <= stuck_n_next;
        fv_p_reg <= fv_p_next;
        fv_n_reg <= fv_n_next;
        eg_reg <= eg_next;
        eo_reg <= eo_next;
        if (rst)
            state_reg <= S_IDLE;
    end
endmodule
`resetall
