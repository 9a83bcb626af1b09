`resetall
`timescale 1ns/1ps
`default_nettype none
/*
 * xp_threefry — Threefry-2x32-20 (docs/numerics.md §4): 2 rounds a cycle with the key injections
 * folded into the adds (ROUNDS_PER_CYCLE = 2, the default), or iterative, ROUNDS_PER_CYCLE
 * rounds unrolled (1, 4, 5, 10, 20).
 *
 * Purpose: hash one key (s_k0, s_k1) and counter (s_c0, s_c1) into one draw (m_x0, m_x1) =
 * threefry(k0, k1, c0, c1) of numerics §4; feed the draw to xp_gauss for a Gaussian z. Present
 * key and counter with s_valid and hold them until s_ready; they are taken when
 * s_valid && s_ready. m_valid rises NCYC cycles after the cycle that takes them: NCYC = 12 for
 * ROUNDS_PER_CYCLE = 2, 20 / ROUNDS_PER_CYCLE for the others (1 for 20 rounds a cycle, 5 for 4,
 * 20 for 1; the cycle that takes them already computes the first rounds). The draw on
 * m_x0/m_x1 stays valid and stable until m_valid && m_ready (m_x1 of ROUNDS_PER_CYCLE = 2 is one
 * LUT level after its registers: rotr13(V0 ^ V1)). Users rely on the handshake only, not on
 * NCYC.
 *
 * One draw is in flight at a time; s_ready is high when the engine is idle, or when its result
 * is being taken in this very cycle (m_valid && m_ready), so back-to-back draws with m_ready
 * held high run at one draw every NCYC cycles with no bubble. The price is a combinational path
 * m_ready -> s_ready (and s_* -> registers only; there is no path s_* -> m_*).
 *
 * Reset (rst, synchronous, active high) empties the engine: m_valid = 0, s_ready = 1 in the
 * first cycle after it; a transfer offered in a cycle with rst high is discarded. The data
 * registers are not reset (their value is meaningless while m_valid = 0).
 *
 * ROUNDS_PER_CYCLE = 2 (xp_threefry_r2 below): a cycle is an add straight from the state
 * registers, a rotation and xor, the key injection (when due) and the next round's add merged in
 * one carry-save layer (two carry chains with one LUT level between them), and that round's
 * rotation and xor; the rotation constants are selected by registered control bits, the key
 * schedule is stepped by one adder between injections. Rounds pair as (2m-1, 2m) so that every
 * injection (before rounds 4, 8, 12, 16) falls between the two rounds of a cycle; round 0 with
 * the first injection takes a cycle of its own after the accept, round 19 with the last one the
 * final cycle: 12 cycles a draw. Its LUT groups are (* keep_hierarchy *) modules (flattened,
 * the same logic maps to about 760 LUT4 and 24 MHz).
 *
 * The iterative engine (xp_threefry_iter): ROUNDS_PER_CYCLE rounds of (add, rotate, xor)
 * unrolled, with the key injection (two adds) after every round r with r mod 4 = 3. When
 * ROUNDS_PER_CYCLE is not a multiple of 8 the rotation constant of an unrolled round depends on
 * the cycle, which costs a small multiplexer per bit (8-way for ROUNDS_PER_CYCLE = 1 and 5);
 * with 5 and 10 the injection positions also move from cycle to cycle.
 *
 * Measured (Yosys 0.23 synth_ice40 -dsp of xp_threefry alone; nextpnr-ice40 0.4 --up5k --package
 * sg48 --freq 30 with its inputs from registers and its outputs into registers, median Fmax of
 * seeds 1, 2, 3), LUT4 / SB_CARRY / DFF / Fmax and cycles a draw by ROUNDS_PER_CYCLE:
 *     ROUNDS_PER_CYCLE   LUT4  SB_CARRY  DFF   Fmax      cycles a draw
 *     2 (folded)          639      185    133   30.8 MHz  12
 *     1                   569      158    135   21.0 MHz  20
 *     4                   654      249    133   14.9 MHz   5
 *     5                  2503      535    132    5.9 MHz   4
 *     10                 1952      680    131    5.5 MHz   2
 *     20                 2353      989    131    3.7 MHz   1
 * (the iterative engine at 2 rounds a cycle, which the folded one replaces: 664 / 188 / 134,
 * 18.3 MHz, 10 cycles). 2 is the default, within the area of 4 and the only one that meets the
 * iCEBreaker's 24 MHz; of the iterative ones 4 is the economical choice (5 cycles for about the
 * LUTs of 1), 5, 10 and 20 are legal but dominated.
 */
module xp_threefry #(
    parameter integer ROUNDS_PER_CYCLE = 2  // 2 (folded), or 1, 4, 5, 10, 20 (iterative; divides 20)
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
    generate
        if (20 % ROUNDS_PER_CYCLE != 0 || ROUNDS_PER_CYCLE < 1) begin : g_bad_param
            // elaboration fails here: ROUNDS_PER_CYCLE must divide 20
            xp_threefry_ROUNDS_PER_CYCLE_must_divide_20 u_bad ();
        end
        if (ROUNDS_PER_CYCLE == 2) begin : g_r2
            xp_threefry_r2 u_eng (
                .clk(clk), .rst(rst), .s_valid(s_valid), .s_ready(s_ready),
                .s_k0(s_k0), .s_k1(s_k1), .s_c0(s_c0), .s_c1(s_c1),
                .m_valid(m_valid), .m_ready(m_ready), .m_x0(m_x0), .m_x1(m_x1));
        end else begin : g_iter
            xp_threefry_iter #(.ROUNDS_PER_CYCLE(ROUNDS_PER_CYCLE)) u_eng (
                .clk(clk), .rst(rst), .s_valid(s_valid), .s_ready(s_ready),
                .s_k0(s_k0), .s_k1(s_k1), .s_c0(s_c0), .s_c1(s_c1),
                .m_valid(m_valid), .m_ready(m_ready), .m_x0(m_x0), .m_x1(m_x1));
        end
    endgenerate
endmodule

/* verilator lint_off DECLFILENAME */
// ---- the iterative engine: ROUNDS_PER_CYCLE (1, 4, 5, 10 or 20) rounds unrolled, one draw in
// NCYC = 20 / ROUNDS_PER_CYCLE cycles ----
module xp_threefry_iter #(
    parameter integer ROUNDS_PER_CYCLE = 4  // divides 20 (checked by xp_threefry)
) (
    input  wire        clk,
    input  wire        rst,
    input  wire        s_valid,
    output wire        s_ready,
    input  wire [31:0] s_k0,
    input  wire [31:0] s_k1,
    input  wire [31:0] s_c0,
    input  wire [31:0] s_c1,
    output wire        m_valid,
    input  wire        m_ready,
    output wire [31:0] m_x0,
    output wire [31:0] m_x1
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

// ---- the folded engine: ROUNDS_PER_CYCLE = 2, one draw in 12 cycles (xp_threefry's header) ----
//
// State (V0, V1) = Threefry's (v0, v1). Cycles of a draw:
//   accept  V0 = c0 ^ rotr15(c0 ^ c1), V1 = rotr15(c0 ^ c1); KX = k0, KY = k1;
//   first   round A neutral (a1 = V0 ^ V1 = c0, b1 = a1 ^ rotl15(V1) = c1), I0, round 0 as round B;
//   m = 1 … 9: round A = round 2m-1, then I_{m/2} when m is even, then round B = round 2m;
//   m = 10  round 19 as round A, then I5: V0 = out0, V1 = out0 ^ rotl13(out1).
// In a cycle: a1 = V0 + V1 straight from the registers (chain 1); rA = rotl(V1, R_A), two 2:1
// levels (R_A = 6 + 18 [y1 = 0] + 23 [y0 = 0]: 15, 6, 29, 24 for m mod 4 = 1, 2, 3, 0); b1 =
// a1 ^ rA; round B's add and the injection's Q = X + Y in one carry-save layer,
// a2 = a1 + b1 + Q = (rA ^ Q) + 2 (rA ? Q : a1) (chain 2); round B's rotation of b1 (+ Y when
// injecting) through the chain of its rotation (13 or 17: b1 + Y, gated) or N (26, 16: b1
// rotated, gated), xored into a2: V1 = a2 ^ N ^ rotl13(A) ^ rotl17(B). The key registers hold
// (X_s, Y_s) = (ks[s mod 3], ks[(s+1) mod 3] + s) of the next injection s, stepped by one adder
// T: in the first cycle and in an injecting cycle KX = T = KY - s (ks[(s+1) mod 3]),
// KY = C240 ^ KX ^ T (ks[(s+2) mod 3]); in the next cycle KY = T = KY + s + 1.
// Each named group below is a (* keep_hierarchy *) module: Yosys's LUT mapper sees no carry-chain
// timing and, given the whole cone, folds the early rotation and control logic into the late
// side of the adders (measured: about 760 LUT4 and 24 MHz flat, 639 and 30.8 MHz so).
module xp_threefry_r2 (
    input  wire        clk,
    input  wire        rst,
    input  wire        s_valid,
    output wire        s_ready,
    input  wire [31:0] s_k0,
    input  wire [31:0] s_k1,
    input  wire [31:0] s_c0,
    input  wire [31:0] s_c1,
    output wire        m_valid,
    input  wire        m_ready,
    output wire [31:0] m_x0,
    output wire [31:0] m_x1
);
    localparam [31:0] KS_PARITY = 32'h1BD11BDA;         // Threefry's C240 key-schedule parity

    reg [31:0] V0, V1, KX, KY;
    // control: bz = busy; idle (bz = 0): y0 = a finished draw waits in V0/V1. Busy: the first
    // cycle is {f, x2} = 3, y = 0; cycle m = 4 K + j + 1 is {f, x2} = K (0 … 2) with (y1, y0) =
    // 00, 11, 10, 01 for j = 0 … 3 (so that y1, y0 select round A's rotation directly)
    reg bz, f, x2, y1, y0;
    wire idle = !bz;
    wire acc = s_valid && s_ready;
    wire first, fin, gate, kodd;
    wire [2:0] dlo;
    xp_threefry_r2_ctl u_ctl (.bz(bz), .f(f), .x2(x2), .y0(y0), .first(first), .fin(fin), .gate(gate));
    xp_threefry_r2_kctl u_kctl (.bz(bz), .f(f), .x2(x2), .y1(y1), .y0(y0), .kodd(kodd), .dlo(dlo));
    // round B's rotation: chain A (13: first, m = 4, 8, 10), chain B (17: m = 2, 6), N (the
    // accept: 16; m odd: 26 for m = 1, 5, 9, 16 for m = 3, 7)
    wire ga = bz && ((f && x2) || (!f && !y1 && y0) || (f && !x2 && y0));
    wire gb = bz && !f && y1 && y0;
    wire en = !bz || (!y0 && !(f && x2));
    wire sel = !bz || y1;                       // N rotates by 16, else by 26

    // accept: V0 = c0 ^ rotr15(c0 ^ c1) through rA and chain 2's pass, b1 = rotr16(c0) so that
    // N = c0 and V1 = V0 ^ c0
    wire [31:0] sc = s_c0 ^ s_c1;
    wire [31:0] ie = idle ? (s_c0 ^ {sc[14:0], sc[31:15]}) : 32'd0;
    wire [31:0] a1, ra, b1, q, opa, a2, ca, cb, n, b2;
    wire [30:0] cy;
    xp_threefry_r2_add1 u_add1 (.x(V0), .y(V1), .pass(f && x2), .s(a1));  // first (a1 is unused when idle)
    xp_threefry_r2_rota u_rota (.v(V1), .g(bz), .y1(y1), .y0(y0), .ie(ie), .r(ra));
    xp_threefry_r2_b1 u_b1 (.a1(a1), .ra(ra), .idle(idle), .y({s_c0[15:0], s_c0[31:16]}), .b1(b1));
    xp_threefry_r2_q u_q (.kx(KX), .ky(KY), .fin(fin), .gate(gate), .q(q));
    xp_threefry_r2_csa u_csa (.ra(ra), .q(q), .a1(a1), .plus(fin), .opa(opa), .cy(cy));
    xp_threefry_r2_add2 u_add2 (.opa(opa), .cy(cy), .pass(idle), .s(a2));
    wire [31:0] ys = idle ? s_k1 : KY;          // Y of the injection (KY), k1 when accepting
    xp_threefry_r2_addg u_ca (.x(b1), .y(ys), .g(ga), .s(ca));
    xp_threefry_r2_addg u_cb (.x(b1), .y(ys), .g(gb), .s(cb));
    xp_threefry_r2_nrot u_n (.b(b1), .en(en), .sel(sel), .n(n));
    xp_threefry_r2_x4 u_x4 (.a(a2), .b(n), .c({ca[18:0], ca[31:19]}), .d({cb[14:0], cb[31:15]}), .y(b2));

    // key schedule step
    wire [31:0] t = ys + {{29{kodd}}, dlo} + {31'd0, kodd};
    wire [31:0] kyd = kodd ? (KS_PARITY ^ KX ^ t) : t;

    always @(posedge clk) begin
        if (acc || bz) begin
            V0 <= a2;
            V1 <= b2;
        end
        if (idle)
            KX <= s_k0;
        else if (kodd)
            KX <= t;
        KY <= kyd;
        if (rst) begin
            bz <= 1'b0;
            y0 <= 1'b0;
        end else if (idle) begin
            if (acc) begin
                bz <= 1'b1;
                f <= 1'b1;
                x2 <= 1'b1;
                y1 <= 1'b0;
                y0 <= 1'b0;
            end else if (m_ready) begin
                y0 <= 1'b0;
            end
        end else if (first) begin
            f <= 1'b0;
            x2 <= 1'b0;
        end else if (fin) begin
            bz <= 1'b0;
            y0 <= 1'b1;
        end else begin
            y0 <= !y0;
            y1 <= !(y1 ^ y0);
            if (!y1 && y0)
                {f, x2} <= {f, x2} + 2'd1;
        end
    end

    assign s_ready = idle && (!y0 || m_ready);
    assign m_valid = idle && y0;
    assign m_x0 = V0;
    assign m_x1 = {V0[12:0] ^ V1[12:0], V0[31:13] ^ V1[31:13]};  // rotr13(V0 ^ V1)
endmodule

// first, fin (m = 10) and gate (Q on: first, m = 2, 4, 6, 8), each one LUT of the registers
(* keep_hierarchy *)
module xp_threefry_r2_ctl (
    input  wire bz, f, x2, y0,
    output wire first, fin, gate
);
    assign first = bz && f && x2;
    assign fin = bz && f && !x2 && y0;
    assign gate = bz && ((f && x2) || (!f && y0));
endmodule

// the key step: kodd (first, m = 2, 4, 6, 8: KX <- KY - s) and the low bits of t's addend
// (KY - s, or KY + s + 1 in the next cycle; s + 1 = floor((m - 1) / 2) + 1 = 2 K + hi + 1)
(* keep_hierarchy *)
module xp_threefry_r2_kctl (
    input  wire       bz, f, x2, y1, y0,
    output wire       kodd,
    output wire [2:0] dlo
);
    wire rnd = bz && !(f && x2);
    wire hi = y1 ^ y0;
    wire [2:0] n = {f || (x2 && hi), !f && (x2 ^ hi), !hi};
    assign kodd = bz && ((f && x2) || (!f && y0));
    assign dlo = (rnd ? n : 3'd0) ^ {3{kodd}};
endmodule

// chain 1: round A's add; the first cycle passes V0 ^ V1 instead
(* keep_hierarchy *)
module xp_threefry_r2_add1 (
    input  wire [31:0] x, y,
    input  wire        pass,
    output wire [31:0] s
);
    assign s = pass ? (x ^ y) : (x + y);
endmodule

// round A's rotation of V1 by 6 + 18 [y1 = 0] + 23 [y0 = 0]; zero when idle, ie added
(* keep_hierarchy *)
module xp_threefry_r2_rota (
    input  wire [31:0] v,
    input  wire        g, y1, y0,
    input  wire [31:0] ie,
    output wire [31:0] r
);
    wire [31:0] l1 = g ? (y1 ? v : {v[13:0], v[31:14]}) : 32'd0;
    wire [31:0] l1r = {l1[25:0], l1[31:26]};
`ifdef XP_MUTANT_THREEFRY_ROT
    wire [31:0] rr = (y0 ? l1r : {l1r[8:0], l1r[31:9]}) | ie;
    assign r = (g && y1 && !y0) ? {v[3:0], v[31:4]} : rr;  // mutant (make cosim): 28 instead of 29
`else
    assign r = (y0 ? l1r : {l1r[8:0], l1r[31:9]}) | ie;
`endif
endmodule

// b1 = a1 ^ rA; when idle the rotated counter word of the accept
(* keep_hierarchy *)
module xp_threefry_r2_b1 (
    input  wire [31:0] a1, ra,
    input  wire        idle,
    input  wire [31:0] y,
    output wire [31:0] b1
);
    assign b1 = idle ? y : (a1 ^ ra);
endmodule

// Q = X + Y of an injection, X5 alone for the last one, else 0
(* keep_hierarchy *)
module xp_threefry_r2_q (
    input  wire [31:0] kx, ky,
    input  wire        fin, gate,
    output wire [31:0] q
);
    wire [31:0] qs = kx + ky;
    assign q = fin ? kx : gate ? qs : 32'd0;
endmodule

// the carry-save layer of a1 + b1 + q (b1 = a1 ^ ra), or of a1 + q (plus: the last cycle)
(* keep_hierarchy *)
module xp_threefry_r2_csa (
    input  wire [31:0] ra, q, a1,
    input  wire        plus,
    output wire [31:0] opa,
    output wire [30:0] cy        // carries out of bits 30 … 0 (bit 31's is dropped)
);
    assign opa = plus ? (a1 ^ q) : (ra ^ q);
    assign cy = plus ? (a1[30:0] & q[30:0]) : ((ra[30:0] & q[30:0]) | (~ra[30:0] & a1[30:0]));
endmodule

// chain 2: round B's add; the accept passes opa (= rA ^ 0 = ie)
(* keep_hierarchy *)
module xp_threefry_r2_add2 (
    input  wire [31:0] opa,
    input  wire [30:0] cy,
    input  wire        pass,
    output wire [31:0] s
);
    assign s = pass ? opa : (opa + {cy, 1'b0});
endmodule

// chains A and B: b1 + Y, zero unless this rotation is round B's
(* keep_hierarchy *)
module xp_threefry_r2_addg (
    input  wire [31:0] x, y,
    input  wire        g,
    output wire [31:0] s
);
    assign s = g ? (x + y) : 32'd0;
endmodule

// N: b1 rotated by 16 or 26, zero unless enabled
(* keep_hierarchy *)
module xp_threefry_r2_nrot (
    input  wire [31:0] b,
    input  wire        en, sel,
    output wire [31:0] n
);
    assign n = en ? (sel ? {b[15:0], b[31:16]} : {b[5:0], b[31:6]}) : 32'd0;
endmodule

// V1 = a2 ^ N ^ rotl13(A) ^ rotl17(B) (at most one of the three is nonzero)
(* keep_hierarchy *)
module xp_threefry_r2_x4 (
    input  wire [31:0] a, b, c, d,
    output wire [31:0] y
);
    assign y = a ^ b ^ c ^ d;
endmodule
/* verilator lint_on DECLFILENAME */
`resetall
