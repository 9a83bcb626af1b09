`resetall
`timescale 1ns/1ps
`default_nettype none
/*
 * xp_threefry — Threefry-2x32-20 (docs/numerics.md §4), iterative, ROUNDS_PER_CYCLE rounds a
 * cycle.
 *
 * Purpose: hash one key (s_k0, s_k1) and counter (s_c0, s_c1) into one draw (m_x0, m_x1) =
 * threefry(k0, k1, c0, c1) of numerics §4; feed the draw to xp_gauss for a Gaussian z. Present
 * key and counter with s_valid and hold them until s_ready; they are taken when
 * s_valid && s_ready. The cycle that takes them already computes the first ROUNDS_PER_CYCLE
 * rounds, so m_valid rises NCYC = 20 / ROUNDS_PER_CYCLE cycles after that cycle (latency NCYC:
 * 1 for 20 rounds a cycle, 5 for the default 4, 20 for 1). The draw on m_x0/m_x1 stays valid
 * and stable until m_valid && m_ready.
 *
 * One draw is in flight at a time; s_ready is high when the engine is idle, or when its result
 * is being taken in this very cycle (m_valid && m_ready), so back-to-back draws with m_ready
 * held high run at one draw every NCYC cycles with no bubble. The price is a combinational path
 * m_ready -> s_ready (and s_* -> m_x* registers only; there is no path s_* -> m_*).
 *
 * Reset (rst, synchronous, active high) empties the engine: m_valid = 0, s_ready = 1 in the
 * first cycle after it; a transfer offered in a cycle with rst high is discarded. The data
 * registers are not reset (their value is meaningless while m_valid = 0).
 *
 * Area trade: the datapath is ROUNDS_PER_CYCLE rounds of (add, rotate, xor) unrolled, with the
 * key injection (two adds) after every round r with r mod 4 = 3. When ROUNDS_PER_CYCLE is not a
 * multiple of 8 the rotation constant of an unrolled round depends on the cycle, which costs a
 * small multiplexer per bit (8-way for ROUNDS_PER_CYCLE = 1 and 5); with 5 and 10 the injection
 * positions also move from cycle to cycle. Measured (Yosys 0.23 synth_ice40 -dsp; nextpnr-ice40
 * --up5k, one seed, registered inputs), LUT4 / DFF / fmax by ROUNDS_PER_CYCLE:
 * 1: 585 / 135 / 21.6 MHz, 2: 664 / 134 / 17.6 MHz, 4: 654 / 133 / 14.8 MHz, 5: 2443 / 132,
 * 10: 1948 / 131, 20: 2347 / 131 / 3.6 MHz. 4 is the economical choice (5 cycles for about
 * the LUTs of 1); 5 and 10 are legal but dominated.
 */
module xp_threefry #(
    parameter integer ROUNDS_PER_CYCLE = 4  // Threefry rounds per cycle: 1, 2, 4, 5, 10 or 20 (divides 20)
) (
    input  wire        clk,
    input  wire        rst,
    // key and counter in
    input  wire        s_valid,
    output wire        s_ready,
    input  wire [31:0] s_k0,     // key word 0 (lo32 of dkey or nkey, numerics §4.1)
    input  wire [31:0] s_k1,     // key word 1
    input  wire [31:0] s_c0,     // counter word 0 (domain byte, tile, … of §4.1)
    input  wire [31:0] s_c1,     // counter word 1
    // draw out
    output wire        m_valid,
    input  wire        m_ready,
    output wire [31:0] m_x0,     // threefry(...)[0]
    output wire [31:0] m_x1      // threefry(...)[1]
);
    localparam NCYC = 20 / ROUNDS_PER_CYCLE;            // cycles per draw
    localparam CNT_W = NCYC > 1 ? $clog2(NCYC) : 1;     // cycle counter width
    localparam [CNT_W-1:0] CNT_ONE = 1;
    localparam integer LAST_I = NCYC - 1;
    localparam integer RPC_I = ROUNDS_PER_CYCLE;
    localparam [CNT_W-1:0] CNT_LAST = LAST_I[CNT_W-1:0];  // cycle of the last rounds
    localparam [4:0] RPC = RPC_I[4:0];
    // the first cycle (rounds 0 … RPC-1) contains the first key injection (after round 3)
    localparam FIRST_INJ = ROUNDS_PER_CYCLE >= 4;
    localparam [31:0] KS_PARITY = 32'h1BD11BDA;         // Threefry's C240 key-schedule parity

    generate
        if (20 % ROUNDS_PER_CYCLE != 0 || ROUNDS_PER_CYCLE < 1) begin : g_bad_param
            // elaboration fails here: ROUNDS_PER_CYCLE must divide 20
            xp_threefry_ROUNDS_PER_CYCLE_must_divide_20 u_bad ();
        end
    endgenerate

    // rotl32(x, ROT[sel]) of numerics §4
    function [31:0] rotl_rot;
        input [31:0] x;
        input [2:0]  sel;
        begin
            case (sel)
                3'd0:    rotl_rot = {x[18:0], x[31:19]};  // 13
                3'd1:    rotl_rot = {x[16:0], x[31:17]};  // 15
                3'd2:    rotl_rot = {x[5:0],  x[31:6]};   // 26
                3'd3:    rotl_rot = {x[25:0], x[31:26]};  // 6
                3'd4:    rotl_rot = {x[14:0], x[31:15]};  // 17
`ifdef XP_MUTANT_THREEFRY_ROT
                3'd5:    rotl_rot = {x[3:0],  x[31:4]};   // mutant (make cosim): 28 instead of 29
`else
                3'd5:    rotl_rot = {x[2:0],  x[31:3]};   // 29
`endif
                3'd6:    rotl_rot = {x[15:0], x[31:16]};  // 16
                default: rotl_rot = {x[7:0],  x[31:8]};   // 24
            endcase
        end
    endfunction

    // registers
    reg             busy_q, busy_next;        // rounds in progress (cycles 1 … NCYC-1 of a draw)
    reg             m_valid_q, m_valid_next;  // a finished draw waits in x0_q/x1_q
    reg [CNT_W-1:0] cnt_q, cnt_next;          // cycle of the draw being computed
    reg [31:0]      x0_q, x0_next, x1_q, x1_next;
    reg [31:0]      k0_q, k0_next, k1_q, k1_next;

    // combinational
    reg        s_ready_c;
    reg [31:0] v0, v1;          // state through the unrolled rounds
    reg [31:0] ka, kb, kc;      // ks[0], ks[1], ks[2] for this cycle's injections
    reg [31:0] inj0, inj1;      // injected key words
    reg [4:0]  rbase, r;        // first round of this cycle, current round
    reg [2:0]  inj;             // key injection index i = (r + 1) / 4, 1 … 5
    integer    j;

    always @* begin
        s_ready_c = !busy_q && (!m_valid_q || m_ready);

        // The cycle that accepts a draw computes its first rounds from the inputs.
        if (busy_q) begin
            v0 = x0_q;
            v1 = x1_q;
            rbase = cnt_q * RPC;
        end else begin
            v0 = s_c0 + s_k0;
            v1 = s_c1 + s_k1;
            rbase = 5'd0;
        end
        // Without an injection in the first cycle the key registers serve every injection.
        if (FIRST_INJ && !busy_q) begin
            ka = s_k0;
            kb = s_k1;
        end else begin
            ka = k0_q;
            kb = k1_q;
        end
        kc = KS_PARITY ^ ka ^ kb;

        r = 5'd0;
        inj = 3'd0;
        inj0 = 32'd0;
        inj1 = 32'd0;
        for (j = 0; j < ROUNDS_PER_CYCLE; j = j + 1) begin
            r = rbase + j[4:0];
            v0 = v0 + v1;
            v1 = rotl_rot(v1, r[2:0]) ^ v0;
            if (r[1:0] == 2'd3) begin
                inj = r[4:2] + 3'd1;
                case (inj)
                    3'd1, 3'd4: begin inj0 = kb; inj1 = kc; end
                    3'd2, 3'd5: begin inj0 = kc; inj1 = ka; end
                    default:    begin inj0 = ka; inj1 = kb; end
                endcase
                v0 = v0 + inj0;
                v1 = v1 + inj1 + {29'd0, inj};
            end
        end

        // next state: hold by default
        busy_next = busy_q;
        m_valid_next = m_valid_q && !m_ready;
        cnt_next = cnt_q;
        x0_next = x0_q;
        x1_next = x1_q;
        k0_next = k0_q;
        k1_next = k1_q;
        if (busy_q) begin
            x0_next = v0;
            x1_next = v1;
            if (cnt_q == CNT_LAST) begin
                busy_next = 1'b0;
                m_valid_next = 1'b1;
            end else begin
                cnt_next = cnt_q + CNT_ONE;
            end
        end else if (s_valid && s_ready_c) begin
            x0_next = v0;
            x1_next = v1;
            k0_next = s_k0;
            k1_next = s_k1;
            if (NCYC == 1) begin
                m_valid_next = 1'b1;
            end else begin
                busy_next = 1'b1;
                cnt_next = CNT_ONE;
            end
        end
    end

    always @(posedge clk) begin
        x0_q <= x0_next;
        x1_q <= x1_next;
        k0_q <= k0_next;
        k1_q <= k1_next;
        if (rst) begin
            busy_q <= 1'b0;
            m_valid_q <= 1'b0;
            cnt_q <= {CNT_W{1'b0}};
        end else begin
            busy_q <= busy_next;
            m_valid_q <= m_valid_next;
            cnt_q <= cnt_next;
        end
    end

    assign s_ready = s_ready_c;
    assign m_valid = m_valid_q;
    assign m_x0 = x0_q;
    assign m_x1 = x1_q;
endmodule
`resetall
