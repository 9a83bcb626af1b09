`resetall
`timescale 1ns/1ps
`default_nettype none
/*
 * xp_board — the xpnn board of docs/protocol.md behind a byte-stream interface
 * (technology-independent top).
 *
 * Purpose: wire bytes from the host in (s_*), wire bytes to the host out (m_*): exactly the
 * bytes the C board engine (cmodel/xp_board.c) answers to the same stream, configured with
 * the same limits, boot id, build hash and impl_version, and impl = 2. The UART wrapper and the
 * board tops put it behind pins.
 *
 * What it does: the link layer — frame reception with the check order of §2.4 (too long,
 * incomplete COBS block, too short, CRC), ERR_FRAME and ERR_CRC replies that are not
 * remembered, duplicate detection on (seq, cmd, length, CRC) with the remembered reply re-sent
 * byte for byte, the boot id and its LCG on RESET, the counters of §3.4 — and all ten commands
 * with every check of §4 in its order: INFO, STATUS, RESET, SET_SEED, CONFIGURE, SET_ADC,
 * WRITE_CELLS, READ_CELLS, RUN (with and without every layer's S) and WRITE_LIST; the
 * conductance memory, the board-private device model recomputed on use (xp_devmodel),
 * programming with its noise (numerics §6), and the MVM datapath of §7–§9: per output and row
 * block, the tile column's ADC errors and this inference's read noise (one Threefry draw each),
 * the MAC loop over the block's rows, the ADC (xp_adc), the digital sum over row blocks, the
 * activation (xp_act) into a ping-pong input buffer for the next layer. STREAM_RUN (1 by
 * default): a RUN request's first layer is run a row block at a time while the request still
 * arrives (vector 0, every block but the last, the outputs' S so far in a block RAM), and the
 * RUN goes on from there once the frame has passed its checks; nothing it touches is visible
 * if the frame is not run (docs/boards.md, "Performance"), so it changes when reply bytes go
 * out, never which.
 *
 * MACS_PER_CYCLE (M, 8 by default): the conductances are M banks (row r of the tile rows in
 * bank r mod M), so a cycle reads M rows of a column, and the group read the cycle before is
 * multiplied and summed (one pipeline stage): every cell holds its conductances, or its erased
 * state if not programmed since reset (below), so no group needs more. The ADC errors of
 * a tile column are computed on first use and kept (device constants); the read noise of a
 * block is drawn while its MACs run. On the iCE40UP5K the four SPRAMs give 4 × 16 bits a cycle:
 * build it with M = 4 there (make lint-ice40 does). DSPs: the M lanes' products x·(G+ − G−),
 * the activation (xp_act), programming (xp_prog, two) and one scale of the device model; the
 * ADC (20 … 42 cycles a conversion, overlapped with the next block's MACs — an output's last
 * conversion with the next output's, its activation and reply bytes written when it comes; a
 * block waits for the ADC to be free) and RESET's boot id step (during S_CLEAR) multiply a bit
 * a cycle; so does the checks' multiplier (RUN's B·n_in, a rectangle's rows·cols), and
 * CONFIGURE's NEED is a shift-add.
 *
 * Memories (rtl/README.md, "iCE40 memory mapping"): the stored conductances {G+, G-} of every
 * cell in M banks of xp_ram_sp (SPRAM); a dirty bit per tile row (xp_ram_dp): RESET and
 * power-up erase the cells (numerics §3: 0, or a stuck device's stuck value; one stuck-class
 * draw a cell, about 13 cycles with the default two-round Threefry), at power-up every row, at
 * RESET the rows programmed since; the layer inputs in M banks (ping-pong halves); the ADC
 * settings and errors of every tile column. Each is driven with one address a cycle by the
 * port logic (always @* below); the remembered reply (txbuf) too, written a byte a cycle (the
 * unremembered ERR_FRAME / ERR_CRC replies in its last 32 bytes); the layers' fields (lay_mem:
 * written by CONFIGURE, loaded by RUN into the running layer's registers); and
 * the request (rxbuf), written as it arrives and read a byte a cycle: the checks take its
 * fixed fields from header registers, the rest through the read port (a fetch of up to ten
 * bytes into a window register, or a stream of one a cycle); and the counters of §3.4
 * (cnt_mem, xp_ram_dp: frames_ok, duplicates, nacks, tile_pulses as little-endian bytes in
 * STATUS order), added to by one byte-serial add unit (S_CNT: a byte a cycle, five cycles an
 * increment) and streamed into the STATUS reply a byte per two cycles.
 *
 * Replies are generated a byte a cycle (S_GEN) from one field multiplexer (the reply's kind
 * and the byte's position pick a field and its byte); an error reply's value is the request's
 * field, re-read from rxbuf at its offset. One CRC unit serves the request and the reply.
 *
 * Flow control: s_tready is low while a frame is checked, executed and its reply sent (the
 * protocol is stop-and-wait, §3.1). Latency: the reply starts a few cycles after the closing
 * delimiter (a programmed cell takes five Threefry draws, about 12 cycles each); bytes go out
 * at one per two cycles (the reply memory's registered read).
 *
 * Known deviation from STYLE.md: the engine is one clocked process, not yet the two-block
 * style (the memories' port logic is).
 */
module xp_board #(
    parameter ROWS = 128,               // R, tile rows (INFO)
    parameter COLS = 64,                // C, tile columns
    parameter TILES = 8,                // T
    parameter DAC_BITS = 8,
    parameter CODE_BITS = 4,
    parameter ADC_BITS = 8,
    parameter MAX_REQUEST = 1024,       // request payload bytes (INFO max_request, 16 … 65536)
    parameter MAX_REPLY = 1024,         // reply payload bytes (≥ the STATUS reply, ≤ 65536)
    parameter MAX_BATCH = 16,           // vectors per RUN (INFO max_batch)
    parameter MAX_WIDTH = 4096,         // widest layer, n_in and n_out (INFO max_width, 1 … 4096):
                                        // sizes the layer-input buffers (2 × MAX_WIDTH bytes,
                                        // a bank's half rounded up to a power of two)
    parameter [31:0] BOOT_ID = 32'd0,   // power-up boot id (§3.3)
    parameter [31:0] BUILD_HASH = 32'd0,
    parameter [15:0] IMPL_VERSION = 16'd1,
    parameter integer ROUNDS_PER_CYCLE = 2, // of the Threefry engines
    parameter integer MACS_PER_CYCLE = 8,   // M: rows multiplied a cycle (divides ROWS); the
                                            // conductances are M banks, row r in bank r mod M
    parameter integer SERIAL_MAC = 0,       // 1 (with M = 1, for a device without multipliers):
                                            // a cell's product a bit of x a cycle, LSB first,
                                            // up to its highest 1 (RUN: 1 + max(1, bits) cycles
                                            // a cell instead of 1), no multiplier
    parameter integer STREAM_RUN = 1        // 1: a RUN request's first layer is run a row block
                                            // at a time while the request still arrives
                                            // (speculatively, committed only if the frame is
                                            // executed; below); 0: after the frame (no S memory)
) (
    input  wire        clk,
    input  wire        rst,
    // the board-private device model (numerics §2): constants of a board
    input  wire [63:0] dseed,
    input  wire [16:0] p_sa0,
    input  wire [16:0] p_samax,
    input  wire [9:0]  s_var,
    input  wire [9:0]  s_prog,
    input  wire [15:0] s_read,
    input  wire [9:0]  s_gain,
    input  wire [9:0]  s_off,
    // wire bytes
    input  wire [7:0]  s_tdata,   // wire bytes from the host
    input  wire        s_tvalid,
    output wire        s_tready,
    output wire [7:0]  m_tdata,   // wire bytes to the host
    output wire        m_tvalid,
    input  wire        m_tready,
    // waiting for the host: no frame being executed, no reply byte left to send
    output wire        idle
);
    // ---- sizes ----
    localparam RXCAP = MAX_REQUEST + 6;              // largest request body
    localparam TXCAP = MAX_REPLY + 11;               // largest reply body
    localparam RXA = $clog2(RXCAP);
    localparam TXA = $clog2(TXCAP + 1);
    localparam TXD = TXCAP + 32;                     // txbuf: the remembered reply, then 32
    localparam TXB = $clog2(TXD);                    // bytes for the ERR_FRAME / ERR_CRC ones
    localparam STATUS_LEN = 74 + 4 * TILES;
    localparam CELLS = TILES * ROWS * COLS;
    localparam M = MACS_PER_CYCLE;
    localparam BANK = CELLS / M;                     // words per conductance bank
    localparam GA = $clog2(BANK);
    localparam MB = M > 1 ? $clog2(M) : 1;
    localparam [10:0] M11 = M[10:0];
    localparam TROWS = TILES * ROWS;                 // tile rows
    localparam TRA = TROWS > 1 ? $clog2(TROWS) : 1;  // dirty-row bit addresses
    localparam TCOLS = TILES * COLS;                 // ADC settings: one per tile column
    localparam AA = $clog2(TCOLS);
    localparam CA = COLS > 1 ? $clog2(COLS) : 1;
    localparam ABH = MAX_WIDTH > M ? $clog2((MAX_WIDTH + M - 1) / M) : 1; // layer-input words a
                                                       // bank: 2^ABH a half (at least 2)
    localparam ABA = ABH + 1;                          // (ping-pong)
    localparam ABD = 2 << ABH;
    // the counters of §3.4 in cnt_mem (below): u32 words of four little-endian bytes in the
    // order STATUS replies them — frames_ok (word 0), duplicates (1), nacks[1 … 8] (2 … 9),
    // tile_pulses[0 … T-1] (10 …)
    localparam CNT_WORDS = 10 + TILES;
    localparam CNT_N = 4 * CNT_WORDS;                // counter bytes
    localparam CNW = $clog2(CNT_WORDS);
    localparam CNA = CNW + 2;                        // byte addresses: {word, byte}
    // S_CLEAR's cycles: an ADC column and a counter byte each, and ≥ 34 for RESET's boot id
    // LCG (32 cycles)
    localparam CLR_N0 = TCOLS > CNT_N ? TCOLS : CNT_N;
    localparam CLR_N = CLR_N0 > 34 ? CLR_N0 : 34;
    localparam CLR_A = $clog2(CLR_N + 1);
    localparam NRB_MAX = 32768 >> (ADC_BITS - 1);   // row blocks whose sums fit 16 bits
    generate  // (the layer sizes are 13 bits: numerics §9's 4096 at most)
        if (MAX_WIDTH < 1 || MAX_WIDTH > 4096) begin : g_bad_param
            xp_board_MAX_WIDTH_out_of_range invalid_parameter();
        end
        if (SERIAL_MAC != 0 && (SERIAL_MAC != 1 || MACS_PER_CYCLE != 1)) begin : g_bad_serial
            xp_board_SERIAL_MAC_needs_MACS_PER_CYCLE_1 invalid_parameter();
        end
    endgenerate
    localparam WIN_MAX = NRB_MAX * ROWS;            // n_in + bias ≤ this (§9)
    localparam [31:0] CMAX = (32'd1 << CODE_BITS) - 32'd1;
    localparam TA = TILES > 1 ? $clog2(TILES) : 1;   // tile index bits
    localparam RB = $clog2(ROWS + 1), CB = $clog2(COLS + 1);  // bits of a row / column count
    localparam BB = $clog2(MAX_BATCH + 1);           // bits of a batch size
    localparam [31:0] MAX_BATCH_32 = MAX_BATCH, MAX_REQUEST_32 = MAX_REQUEST,
                      MAX_REPLY_32 = MAX_REPLY, MAX_WIDTH_32 = MAX_WIDTH; // for INFO's fields

    // command and status codes (protocol §4, §5)
    localparam [7:0] CMD_INFO = 8'h01, CMD_STATUS = 8'h02, CMD_RESET = 8'h03, CMD_SEED = 8'h04,
                     CMD_CONFIGURE = 8'h05, CMD_SET_ADC = 8'h06, CMD_WRITE_CELLS = 8'h07,
                     CMD_READ_CELLS = 8'h08, CMD_RUN = 8'h09, CMD_WRITE_LIST = 8'h0A;
    localparam [7:0] ST_OK = 8'd0, ST_CRC = 8'd1, ST_FRAME = 8'd2, ST_CMD = 8'd3, ST_LEN = 8'd4,
                     ST_RANGE = 8'd5, ST_BATCH = 8'd6, ST_STATE = 8'd7, ST_CONFLICT = 8'd8;

    // ---- frame reception ----
    wire [7:0]  dec_tdata;
    wire        dec_tvalid;
    reg         dec_tready;
    wire        frame_end, frame_incomplete;
    wire [31:0] frame_len;          // decoded length, saturating at 2^32 - 1 (§5)

    // The decoder takes wire bytes only while the engine waits for a frame: its frame_end is a
    // one-cycle pulse, and a frame that decodes to no byte at all (a lone code byte) would end
    // unseen while a reply is going out (found by xpnn-conform's resync_garbage on the
    // virtual board).
    wire        rx_ready;
    wire        rx_open;            // = a frame is being received (rx_on, below)
    assign s_tready = rx_ready && rx_open;
    xp_cobs_rx #(.MAX_LEN(32'hFFFFFFFE)) rx (
        .clk(clk), .rst(rst),
        .s_tdata(s_tdata), .s_tvalid(s_tvalid && rx_open), .s_tready(rx_ready),
        .m_tdata(dec_tdata), .m_tvalid(dec_tvalid), .m_tready(dec_tready),
        .frame_end(frame_end), .frame_incomplete(frame_incomplete), .frame_len(frame_len)
    );

    // the request body (frames longer than RXCAP are refused): rxbuf (xp_ram_dp below), written
    // a byte a cycle as it arrives and read through its registered port (rb_q) at one address a
    // cycle; the payload's first HDR bytes — the fixed fields the checks of S_XCK read at
    // constant offsets — also into registers (hdr), so those checks read wires
    localparam HDR = 10;
    reg  [7:0]     hdr [0:HDR-1];  // payload bytes 0 … HDR-1 (body bytes 2 … HDR+1)
    reg            rb_we, rb_re;
    reg  [RXA-1:0] rb_wa, rb_ra;
    wire [7:0]     rb_q;

    // ---- reply memory: the remembered reply (replies to valid frames) ----
    // txbuf (xp_ram_dp below): written one byte a cycle through a request register (tw_*),
    // read through a registered port (t_q)
    // (ERR_FRAME and ERR_CRC replies, 16 and 19 bytes, are never remembered: they are written
    // to txbuf's last 32 bytes, from TXCAP on)

    // ---- board state ----
    // (the counters of §3.4 — frames_ok, duplicates, nacks, tile_pulses — are bytes of
    // cnt_mem, below)
    reg [31:0] boot_id;
    reg [63:0] nseed;
    reg [55:0] pulses;              // P (programming counter, numerics §3)
    reg [39:0] infer /* verilator public_flat_rw */;  // N (tb_vectors sets it for TILE ops)

    // conductances, their dirty rows, the ADC settings (numerics §3, §6, §7) and the layer
    // inputs: the memory templates of rtl/xp_ram.v, one address per memory and cycle (the
    // iCE40 mapping: make lint's synth_ice40 check). Bank b of M holds the cells (t, r, c)
    // with (t·R + r) mod M = b: their {G+, G-} at word ((t·R + r) / M)·C + c of g_bank[b]
    // (SPRAM), and the layer inputs of rows ≡ b (mod M) (a_bank[b], EBR). A cell not
    // programmed since reset holds its erased state (numerics §3: 0, or a stuck device's stuck
    // value), written by the erase after RESET and power-up (S_ER_*): so a read never needs to
    // know whether a cell was programmed. The erase rewrites only the tile rows written since
    // the last one (a dirty bit per tile row, d_mem), and all of them at power-up.
    reg  [GA-1:0]      g_addr;
    reg                g_rd;                      // read every bank at g_addr
    reg  [M-1:0]       g_we;                      // write {G+, G-} = g_wd
    wire [15:0]        g_wd;
    wire [16*M-1:0]    g_q;                       // bank b: bits 16b +: 16
    reg  [TRA-1:0]     d_ra, d_wa;                // dirty bits: tile row t·R + r
    reg                d_re, d_we, d_wd;
    wire               d_q;
    reg  [ABA-1:0]     a_ra, a_wa;
    reg                a_re;
    reg  [M-1:0]       a_we;
    reg  [7:0]         a_wd;
    wire [8*M-1:0]     a_q;
    genvar gb;
    generate
        for (gb = 0; gb < M; gb = gb + 1) begin : bank
            xp_ram_sp #(.W(16), .DEPTH(BANK)) g_bank (
                .clk(clk), .en(g_rd || g_we[gb]), .we(g_we[gb]), .addr(g_addr), .wd(g_wd),
                .q(g_q[16 * gb +: 16]));
            xp_ram_dp #(.W(8), .DEPTH(ABD)) a_bank (
                .clk(clk), .we(a_we[gb]), .wa(a_wa), .wd(a_wd), .wm(8'hFF),
                .re(a_re), .ra(a_ra), .q(a_q[8 * gb +: 8]));
        end
    endgenerate
    xp_ram_dp #(.W(1), .DEPTH(TROWS)) d_mem (
        .clk(clk), .we(d_we), .wa(d_wa), .wd(d_wd), .wm(1'b1), .re(d_re), .ra(d_ra), .q(d_q));
    // the ADC settings of every tile column {gain, shift, offset}, and its ADC errors
    // {computed, e_g, e_o} (device constants, computed on first use: kept across RESET, cleared
    // at power-up)
    reg                s_we, e_we;
    reg  [AA-1:0]      s_wa, e_wa;
    reg  [24:0]        s_wd;
    reg  [22:0]        e_wd;
    wire               se_re;
    wire [24:0]        s_q;
    wire [22:0]        e_q;

    // the network configuration (§9): per layer in lay_mem (below), four 16-bit words at
    // {layer, k}: k = 0 {act, bias, ash, amul}, 1 n_in, 2 n_out, 3 its tiles (≤ T: a committed
    // network's tiles are distinct); RUN loads the layer it runs into ly_* (S_RUN_LD); the
    // shape's n_in and n_out (layer 0's, the last layer's) in registers; the tile lists one
    // after the other
    reg [3:0]  net_l;               // layers (0: none)
    reg [12:0] net_nin0, net_nout;
    reg        ly_act, ly_bias;     // the layer RUN runs (rv_l)
    reg [7:0]  ly_amul;
    reg [3:0]  ly_ash;
    reg [12:0] ly_nin, ly_nout;
    reg [7:0]  ly_ntiles;
    reg [2:0]  ly_k;                // S_RUN_LD: word read (0 … 3; 4: the last one taken)
    reg [5:0]  ly_ret;              // … the state it goes on to
    reg        ly_we, ly_re;
    localparam LYD = 32 + TILES;    // lay_mem: the layers' words, then c_used (below)
    localparam LYA = $clog2(LYD);
    reg [LYA-1:0] ly_wa, ly_ra;
    reg [15:0] ly_wd;
    wire [15:0] ly_q;
    reg [7:0]  net_tiles [0:TILES-1];
    reg [15:0] net_nall;
    // the configuration being parsed: the payload is walked twice (S_CFG), first with every
    // check, keeping only the layer being parsed, then — everything passed — again, writing
    // the fields into the network's registers above (the request stays in rxbuf)
    reg [3:0]  c_l;                  // layers of the payload
    reg        ci_commit;            // 0: the checking walk; 1: the committing walk
    reg [12:0] prev_nout;            // the layer before's n_out
    // c_used (in lay_mem, below): a tile's first use in the payload, its offset + 1 (0: unused)
    wire [15:0] cu_q;

    // duplicate memory (§3.2)
    reg        have_last;
    reg [7:0]  last_seq, last_cmd;
    reg [RXA:0] last_len;           // (≤ RXCAP: a frame checked as valid)
    reg [31:0] last_crc;
    reg [TXA-1:0] last_txlen;       // length of the remembered reply body

    // ---- the engine ----
    localparam [5:0] S_RX = 6'd0, S_CHECK = 6'd1, S_EXEC = 6'd2, S_GEN = 6'd3, S_CRC = 6'd4,
                     S_RD = 6'd5, S_OUT = 6'd6, S_CLEAR = 6'd7, S_CFG = 6'd8, S_ADC_CK = 6'd9,
                     S_ADC_WR = 6'd10, S_CODE_CK = 6'd11, S_LIST_CK = 6'd12, S_CELL = 6'd13,
                     S_CELL_RD = 6'd14, S_DM = 6'd15, S_DM_WAIT = 6'd16, S_PR = 6'd17,
                     S_PR_WAIT = 6'd18, S_CELL_WR = 6'd19, S_RUN_XCK = 6'd20, S_RUN_V = 6'd21,
                     S_RUN_J = 6'd22, S_RUN_QW = 6'd23, S_RUN_MA = 6'd24,
                     S_RUN_QE = 6'd25, S_ER_ROW = 6'd26, S_RUN_LD = 6'd27, S_XCK = 6'd28,
                     S_RUN_X0 = 6'd29, S_SP_V = 6'd30,
                     S_CELL_B2 = 6'd31, S_FETCH = 6'd32,
                     S_DIV = 6'd33, S_ER_CHK = 6'd35, S_ER_CELL = 6'd36,
                     S_CNT = 6'd37, S_SP_J = 6'd38;
    reg [5:0]  state;
    reg [5:0]  f_ret;               // the state a fetch returns to
    reg        rx_on;               // a frame is being received (S_RX, and the speculative
                                    // RUN's states beside it)
    assign rx_open = rx_on && !frame_end;
    reg [RXA:0] rx_n;               // bytes stored of the current frame (≤ RXCAP)
    reg [7:0]  f_cmd, f_seq;        // bytes 0 and 1 as received (FF / 00 if absent)
    reg [31:0] f_last4;             // the frame's last four bytes (its CRC, little-endian)
    // the frame's decoded length and whether it ended inside a block: the decoder's, held
    // until the next frame's first byte (the engine takes no byte before it is back in S_RX)
    wire [31:0] f_len = frame_len;
    wire        f_incomplete = frame_incomplete;

    // CRC of the request: bytes go in four bytes late, so at the frame's end it covers
    // bytes 0 … L-5
    // (one CRC unit for the request, in S_RX, and the reply, in S_GEN: rx_crc and tx_crc are
    // its result; an ERR_CRC reply keeps the request's in hdr, which it does not need)
    wire [31:0] crc_q;
    reg         rx_crc_clear, rx_crc_valid;
    reg  [7:0]  rx_crc_byte;
    wire [31:0] rx_crc = crc_q;

    // the reply being generated: status, payload length, destination
    reg [7:0]  r_status;
    reg [TXA-1:0] r_plen;           // payload bytes
    reg        r_remember;          // into txbuf (remembered) or its last 32 bytes
    reg [TXA-1:0] r_idx;            // next body byte to generate
    reg [2:0]  r_crcn;              // CRC bytes written
    // an error reply's fields, generated from their sources in S_GEN (the field multiplexer,
    // gen_w): ERR_FRAME's code (r_fcode) and length (f_len); ERR_CRC's two CRCs (f_last4, and
    // the computed one, which S_CHECK keeps in hdr[0 … 3]); ERR_LEN's got,
    // always the payload length, and its want (r_want, or the offset below); ERR_RANGE's,
    // ERR_CONFLICT's and ERR_BATCH's value, which is always the request's field at the offset,
    // re-read from rxbuf (e_vk: u8, u16 or i16); the offset is e_k, plus po if e_rel (the
    // checks that fail hold po); lo and hi from their sources too (r_lh says which: the
    // check tables' — xk_*, cf_*, whose inputs hold after a failed check —, the divider's
    // quotient, or constants), ERR_CONFLICT's earlier offset (kept in r_want)
    localparam [1:0] VK_U8 = 2'd0, VK_U16 = 2'd1, VK_I16 = 2'd2;
    localparam WANT0 = RB + CB + 2 > BB + 14 ? RB + CB + 2 : BB + 14;  // 10 + 2·R·C, 3 + B·n_in
    localparam WANTW = WANT0 > 19 ? WANT0 : 19;                        // 4 + 6·65535
    reg [1:0]  r_fcode;             // 1 incomplete, 2 too short, 3 too long
    reg [WANTW-1:0] r_want;
    reg        r_want_off;          // ERR_LEN's want is the offset (CONFIGURE's walk)
    reg        e_rel;
    reg [3:0]  e_k;
    reg [1:0]  e_vk;
    reg        e_sign;              // the i16 value's sign (its high byte, read in S_GEN)
    localparam [3:0] LH_XK = 4'd0, LH_CF = 4'd1, LH_DV = 4'd2, LH_CONFL = 4'd3, LH_XMAX = 4'd4,
                     LH_L = 4'd5, LH_SH = 4'd6, LH_OFF = 4'd7, LH_CMAX = 4'd8, LH_R = 4'd9,
                     LH_C = 4'd10;
    reg [3:0]  r_lh;                // where lo and hi come from (LH_*)
    reg [TXA-1:0] out_len, out_idx; // the reply being sent
    reg        out_err;
    reg [15:0] rv_i;                // RUN: vector being run
    reg        rv_flags;
    reg        tw_en;               // txbuf write request: lands the next cycle
    reg [TXB-1:0] tw_a;
    reg [7:0]  tw_d;
    reg [TXA-1:0] r_pre_from;       // body bytes from here on are in txbuf already (READ_CELLS
                                    // 7, RUN 18; 0: none)
    reg        gen_rd_done;         // t_q holds body byte r_idx (prewritten payloads)
    wire [7:0] t_q;                 // txbuf read (S_GEN, S_RD)
    wire [7:0] c_q;                 // cnt_mem read (S_GEN: a STATUS reply's counter bytes)
    wire       t_re;
    wire [TXB-1:0] t_ra;
    wire [7:0] rd_data = t_q;

    wire [31:0] tx_crc = crc_q;
    reg         tx_crc_clear, tx_crc_valid;
    reg  [7:0]  tx_crc_byte;
    xp_crc32c crcu (.clk(clk), .rst(rst), .clear(rx_crc_clear || tx_crc_clear),
                   .s_tdata(rx_crc_valid ? rx_crc_byte : tx_crc_byte),
                   .s_tvalid(rx_crc_valid || tx_crc_valid), .crc(crc_q));

    // ---- request payload fields ----
    // request payload length: read from S_EXEC on, where 6 ≤ f_len ≤ RXCAP (S_CHECK), so
    // narrowed to RXA + 1 bits (every check against it is that narrow or its other side's)
    wire [RXA:0] plen_n = f_len[RXA:0] - 6;
    wire [31:0] plen_req = {{(31 - RXA){1'b0}}, plen_n};
    // payload byte / u16 at a constant offset o < HDR (the header registers)
    function [7:0] pb(input [3:0] o);
        pb = hdr[o];
    endfunction
    function [15:0] pw(input [3:0] o);
        pw = {hdr[o + 4'd1], hdr[o]};
    endfunction
    // Fields at variable offsets come through rxbuf's read port: a fetch (S_FETCH) reads f_n
    // bytes from payload offset po on into the window win[0 …] and goes on to state f_ret
    // (CONFIGURE's layer fields and tile entries, SET_ADC's columns, WRITE_LIST's records,
    // WRITE_CELLS' code pairs); the loops that take one byte a cycle (WRITE_CELLS' and RUN's
    // code checks, RUN's copy of layer 0's inputs) stream it: the byte at payload offset po
    // is in rb_q, and the next one is read as po advances.
    reg  [7:0]     win [0:9];
    reg  [3:0]     f_n, f_k;
    wire [15:0]    win_w0 = {win[1], win[0]}, win_w2 = {win[3], win[2]},
                   win_w4 = {win[5], win[4]}, win_w6 = {win[7], win[6]},
                   win_w8 = {win[9], win[8]};

    // ---- reply bytes ----
    function [7:0] le(input [63:0] v, input integer k);
        le = v[8 * k +: 8];
    endfunction

    // payload byte i of the OK reply to INFO, its constants (bytes 16 … 19, the boot id: the
    // field multiplexer below)
    function [7:0] info_byte(input integer i);
        case (i)
            0: info_byte = 8'h58; 1: info_byte = 8'h50; 2: info_byte = 8'h4E; 3: info_byte = 8'h4E;
            4: info_byte = 8'd1;  5: info_byte = 8'd0;      // protocol_version
            6: info_byte = 8'd1;  7: info_byte = 8'd0;      // numerics_version
            8: info_byte = 8'd2;  9: info_byte = 8'd0;      // impl: RTL; reserved
            10, 11: info_byte = le({48'd0, IMPL_VERSION}, i - 10);
            12, 13, 14, 15: info_byte = le({32'd0, BUILD_HASH}, i - 12);
            20, 21: info_byte = le(ROWS, i - 20);
            22, 23: info_byte = le(COLS, i - 22);
            24, 25: info_byte = le(TILES, i - 24);
            26: info_byte = DAC_BITS[7:0];
            27: info_byte = CODE_BITS[7:0];
            28: info_byte = ADC_BITS[7:0];
            29: info_byte = 8'd8;                          // g_bits
            30: info_byte = 8'd16;                         // psum_bits
            31: info_byte = 8'd8;                          // max_layers
            32, 33: info_byte = le({32'd0, MAX_WIDTH_32}, i - 32); // max_width
            34, 35: info_byte = le({32'd0, MAX_BATCH_32}, i - 34);
            36, 37, 38, 39: info_byte = le({32'd0, MAX_REQUEST_32}, i - 36);
            40, 41, 42, 43: info_byte = le({32'd0, MAX_REPLY_32}, i - 40);
            default: info_byte = 8'd0;
        endcase
    endfunction

    // the configured network's shape (§4.2)
    wire [15:0] shape_in = net_l != 0 ? {3'd0, net_nin0} : 16'd0;
    wire [15:0] shape_out = net_l != 0 ? {3'd0, net_nout} : 16'd0;
    wire [15:0] shape_all = net_l != 0 ? net_nall : 16'd0;

    // ---- wire side of the reply ----
    reg        enc_tvalid;
    wire       enc_tready;
    reg        enc_tlast;
    xp_cobs_tx tx (
        .clk(clk), .rst(rst),
        .s_tdata(rd_data), .s_tkeep(1'b1), .s_tvalid(enc_tvalid), .s_tready(enc_tready),
        .s_tlast(enc_tlast),
        .m_tdata(m_tdata), .m_tvalid(m_tvalid), .m_tready(m_tready),
        /* verilator lint_off PINCONNECTEMPTY */
        .m_tlast()
        /* verilator lint_on PINCONNECTEMPTY */
    );

    wire        gen_pre = r_pre_from != 0 && r_idx >= r_pre_from;  // body byte r_idx prewritten
    // body byte r_idx is a counter byte of a STATUS reply (payload bytes 0 … 39, 74 …), at
    // byte address gen_cnt_w of cnt_mem (payload byte 74 is counter byte 40)
    wire        gen_cnt = r_status == ST_OK && f_cmd == CMD_STATUS && r_idx >= 7 &&
                          (r_idx < 47 || r_idx >= 81);
    /* verilator lint_off UNUSEDSIGNAL */ // wide arithmetic, used in part
    wire [31:0] gen_cnt_w = {{(32 - TXA){1'b0}}, r_idx} - (r_idx < 47 ? 32'd7 : 32'd41);
    /* verilator lint_on UNUSEDSIGNAL */
    // body byte r_idx is a byte of the request's field an error reply is about (its value:
    // ERR_RANGE and ERR_CONFLICT at body byte 9, ERR_BATCH at 7), re-read from rxbuf at the
    // field's offset (the rest of the value: the field multiplexer, gen_fb)
    wire        gen_fld = r_status == ST_RANGE || r_status == ST_CONFLICT || r_status == ST_BATCH;
    wire [TXA-1:0] gen_vpos = r_status == ST_BATCH ? 7 : 9;
    wire        gen_rx = gen_fld &&
                         (r_idx == gen_vpos || (r_idx == gen_vpos + 1'b1 && e_vk != VK_U8));
    wire        gen_rd = gen_pre || gen_cnt || gen_rx;  // body byte r_idx is read from a memory
                                                        // first
    reg  [7:0]  gen_fb;             // body byte r_idx from its field (below)
    wire [7:0]  gen_byte = r_crcn != 3'd0 ? tx_crc[8 * (r_crcn - 3'd1) +: 8] :
                           gen_pre ? t_q : gen_cnt ? c_q : gen_rx ? rb_q : gen_fb;
    wire [TXA-1:0] body_len = {{(TXA - 3){1'b0}}, 3'd7} + r_plen;
    assign idle = state == S_RX && rx_on && !enc_tvalid && !m_tvalid;

    // ---- the device model and the programming draws ----
    reg         dm_req;
    wire        dm_ready, dm_valid;
    wire [1:0]  dm_stuck_p, dm_stuck_n;
    wire [10:0] dm_fv_p, dm_fv_n;
    wire [10:0] dm_eg;
    wire signed [10:0] dm_eo;
    reg         dm_column;          // 1: a tile column's ADC errors (RUN)
    reg  [7:0]  cl_t;               // the cell being worked on
    reg  [9:0]  cl_r;
    reg  [7:0]  cl_c;
    // one Threefry engine (and Gaussian) for the device model's draws (device key) and the
    // programming and read-noise draws (noise key): the device model's first when both ask
    // (RUN: a column's first query beside a block's noise draw); tf_dm: whose draw is in flight
    wire        dt_valid, dt_m_ready;
    wire [31:0] dt_c0, dt_c1;
    wire        tf_s_ready, tf_m_valid;
    reg         tf_dm;
    xp_devmodel #(.ROUNDS_PER_CYCLE(ROUNDS_PER_CYCLE), .EXT_TF(1)) dm (
        .clk(clk), .rst(rst),
        .dkey0(dseed[31:0]), .dkey1(dseed[63:32]), .p_sa0(p_sa0), .p_samax(p_samax),
        .s_var(s_var), .s_gain(s_gain), .s_off(s_off),
        .s_valid(dm_req), .s_ready(dm_ready), .s_column(dm_column),
        .s_stuck_only(state == S_ER_CELL),
        .s_t(cl_t), .s_r(cl_r), .s_c(cl_c),
        .m_valid(dm_valid), .m_ready(1'b1),
        .m_stuck_p(dm_stuck_p), .m_stuck_n(dm_stuck_n), .m_fv_p(dm_fv_p), .m_fv_n(dm_fv_n),
        .m_eg(dm_eg), .m_eo(dm_eo),
        .tf_valid(dt_valid), .tf_ready(tf_s_ready), .tf_c0(dt_c0), .tf_c1(dt_c1),
        .tf_m_valid(tf_m_valid && tf_dm), .tf_m_ready(dt_m_ready),
        .tf_x0(pr_x0), .tf_x1(pr_x1), .tf_z(pr_z)
    );

    wire [63:0] nkey = dseed ^ nseed;
    reg         rd_mode;            // the draw engine draws READ noise (RUN), else PROG
    // the inference index of the vector being run: N + i (N, infer, moves to N + B once the
    // reply is written: its n0), mod 2^40
    wire [39:0] rn_n = infer + {24'd0, rv_i};
    reg         pr_req;
    reg         pr_sel;             // the draw's pulse index: P + 1 (the − device), else P (+)
                                    // (P, pulses, is even between cells: two a cell)
    wire        pr_ready = tf_s_ready && !dt_valid;
    wire        pr_valid = tf_m_valid && !tf_dm;
    wire [31:0] pr_x0, pr_x1;
    wire [63:0] tf_k = dt_valid ? dseed : nkey;
    xp_threefry #(.ROUNDS_PER_CYCLE(ROUNDS_PER_CYCLE)) tf (
        .clk(clk), .rst(rst),
        .s_valid(dt_valid || pr_req), .s_ready(tf_s_ready),
        .s_k0(tf_k[31:0]), .s_k1(tf_k[63:32]),
        .s_c0(dt_valid ? dt_c0 : rd_mode ? {8'h11, cl_t, cl_c, rn_n[39:32]} :
                                            {8'h10, pulses[55:32]}),
        .s_c1(dt_valid ? dt_c1 : rd_mode ? rn_n[31:0] : {pulses[31:1], pr_sel}),
        .m_valid(tf_m_valid), .m_ready(tf_dm ? dt_m_ready : 1'b1), .m_x0(pr_x0), .m_x1(pr_x1)
    );
    always @(posedge clk)
        if (tf_s_ready && (dt_valid || pr_req))
            tf_dm <= dt_valid;
    wire signed [8:0] pr_z;
    xp_gauss pg (.x0(pr_x0), .x1(pr_x1), .z(pr_z));

    // the cell operation: codes, device model, draws, old and new conductances
    reg  [CODE_BITS-1:0] cl_kp, cl_km;
    // … its devices' stuck classes and variations: the device model's answer, which it holds
    // until its next request (the next cell's)
    wire [1:0]  cl_sp = dm_stuck_p, cl_sn = dm_stuck_n;
    wire [10:0] cl_fp = dm_fv_p, cl_fn = dm_fv_n;
    reg  [7:0]  cl_gp;              // the + device's new conductance (at its draw)
    reg  [15:0] cl_old;             // the stored pair before (programmed, or the erased state)
    reg  [GA-1:0] cl_addr;
    reg  [MB-1:0] cl_bank;
    // one programming unit for both devices: the + device's at its draw (pr_sel 0, kept in
    // cl_gp), the − device's at its own (pr_sel 1: the pair is written then)
    wire [7:0]  g_new;
    wire [1:0]  cl_s = pr_sel ? cl_sn : cl_sp;
    xp_prog #(.CODE_BITS(CODE_BITS)) pg1 (.k(pr_sel ? cl_km : cl_kp), .fv(pr_sel ? cl_fn : cl_fp),
        .z(pr_z), .s_prog(s_prog), .stuck(cl_s != 2'd0), .stuck_val(cl_s == 2'd2 ? 8'd255 : 8'd0),
        .g(g_new));
    wire [7:0]  gp_new = cl_gp, gn_new = g_new;       // (read at the − device's draw)

    // ---- RUN: the MVM datapath (numerics §7–§9), MACS_PER_CYCLE rows of a column a cycle ----
    localparam [7:0] XMAX = (8'd1 << DAC_BITS) - 8'd1;
    reg         ab_src;                           // ping-pong half of the layer's inputs
    reg  [12:0] rv_xn;                            // layer 0's inputs: the next one copied
    reg  [2:0]  rv_l;                             // layer
    reg  [7:0]  rv_tbase;                         // the layer's first entry in net_tiles
    reg  [12:0] rv_j;                             // output column of the layer
    reg  [5:0]  rv_rb;                            // row block
    /* verilator lint_off UNUSEDSIGNAL */ // (TA bits of it index the tile lists)
    wire [7:0]  rv_rb8 = {2'd0, rv_rb};
    /* verilator lint_on UNUSEDSIGNAL */
    reg  [10:0] rv_r;                             // row within the block (R ≤ 1024)
    reg  [10:0] rv_rows;                          // rows of this block the layer drives
    reg  signed [26:0] rv_acc /* verilator public_flat_rd */;  // Σ x·(G+ − G−) of the block:
                                                  // |acc| < 2^26 (numerics §10, R ≤ 1024)
    reg  signed [15:0] rv_s;                      // S of the output (its codes so far); a
                                                  // finished one's until it is written out
    // the output whose last conversion is under way while the next output's blocks run:
    // ow_last — the next code is its last; then its S (rv_s) is written out (ow_v: the
    // a_bank byte and the txbuf bytes, a cycle each) beside the next output's MACs, before
    // the next output's first code comes (the ADC takes a block only when xp_act is free)
    reg         ow_last;
    reg  [12:0] ow_pj;                            // … its output index (while converting)
`ifdef XP_COVER
    reg         ow_pmulti;                        // … it had more than one row block
`endif
    reg         ow_v, ow_step;                    // writing it: first / second cycle
    reg  [12:0] ow_j;                             // … its output index (while writing)
    reg  [TXA-1:0] rv_o;                          // next output byte in txbuf (READ_CELLS: pair)
    reg  signed [19:0] rv_noise;                  // read noise of the conversion
    reg  [10:0] rv_eg;
    reg  signed [10:0] rv_eo;
    reg         rv_nd;                            // the read noise is drawn
    reg         rv_qa, rv_na;                     // column query, noise draw accepted
    reg         mp_valid;                         // MAC pipeline: a cell read in flight
    // STREAM_RUN: while a RUN request arrives, layer 0's row blocks whose inputs are in are run
    // for vector 0 (sp_on), block-major: every output's column of the block, its code added to
    // the output's S so far in s_mem (xp_ram_dp below). The last block is left to the RUN, which
    // starts vector 0's outputs at block sp_rb with S from s_mem. Nothing a reply or the state
    // shows is touched (N, the counters, txbuf: only s_mem, the layer-0 input half, and the ADC
    // errors computed on first use, device constants), so a frame that turns out not to run
    // (an error, a duplicate) leaves no trace; the next frame starts over (next_frame).
    reg         sp_on_r, sp_ld;                   // running a speculative block; layer 0's
                                                  // words loaded for it
    reg  [5:0]  sp_rb_r;                          // blocks run speculatively (the RUN's first)
    wire        sp_on = STREAM_RUN != 0 && sp_on_r;
    wire [5:0]  sp_rb = STREAM_RUN != 0 ? sp_rb_r : 6'd0;
    /* verilator lint_off UNUSEDSIGNAL */ // (used in part)
    wire [31:0] sp_xn_w = {26'd0, sp_rb} * ROWS;  // their inputs, copied
    /* verilator lint_on UNUSEDSIGNAL */
    wire [12:0] sp_xn = sp_xn_w[12:0];
    // block sp_rb's inputs (request bytes 5 + sp_rb·R … 4 + (sp_rb + 1)·R) have arrived
    wire        sp_go = {{(31 - RXA){1'b0}}, rx_n} >= sp_xn_w + ROWS + 5;
    // the conversion in flight (one at a time): its output column, whether S so far comes
    // from s_mem (a speculative block after the first, or the RUN's first block after them);
    // a speculative one's S goes back into s_mem (sp_on holds until its code has come)
    reg         cv_q;
    /* verilator lint_off UNUSEDSIGNAL */ // (s_mem's address bits of it)
    reg  [12:0] cv_j;
    /* verilator lint_on UNUSEDSIGNAL */
    wire [12:0] rl_nin = ly_nin, rl_nout = ly_nout;
    wire        rl_bias = ly_bias;
    /* verilator lint_off UNUSEDSIGNAL */ // wide arithmetic, used in part
    wire [31:0] rl_nrb_w = ({19'd0, rl_nin} + {31'd0, rl_bias} + ROWS - 1) / ROWS;
    wire [5:0]  rl_nrb = rl_nrb_w[5:0];
    wire [31:0] rv_left = {19'd0, rl_nin} + {31'd0, rl_bias} - {26'd0, rv_rb} * ROWS;
    wire [31:0] rl_ncb = ({19'd0, rl_nout} + COLS - 1) / COLS;
    wire [31:0] rv_cb = {19'd0, rv_j} / COLS;
    wire [31:0] rv_cc = {19'd0, rv_j} % COLS;
    // the block's entry in the tile lists: < T, so computed modulo 2^TA
    wire [TA-1:0] rv_tix = rv_tbase[TA-1:0] + rv_rb8[TA-1:0] * rl_ncb[TA-1:0] + rv_cb[TA-1:0];
    wire [7:0]  rv_t = net_tiles[rv_tix];
    wire [31:0] rv_vrow_w = {24'd0, rv_t} * ROWS + {21'd0, rv_r};    // rv_r: a multiple of M
    wire [31:0] rv_addr_w = (rv_vrow_w / M) * COLS + rv_cc;          // the M lanes' word
    /* verilator lint_on UNUSEDSIGNAL */
    // the M lanes of a MAC group: rows rv_r … rv_r + M − 1 of the block, read from the banks
    // at once (M divides R, so lane b's row is in bank b)
    /* verilator lint_off UNUSEDSIGNAL */ // wide arithmetic, used in part
    wire [31:0] ln_row0 = {26'd0, rv_rb} * ROWS + {21'd0, rv_r};   // the group's first row
    wire [31:0] rv_aword_w = ln_row0 / M;                           // its input word
    /* verilator lint_on UNUSEDSIGNAL */
    reg  [M-1:0] ln_act;                          // the lane's row is one the layer drives
    reg  [M-1:0] ln_bias;                         // the lane's row is the bias row (input XMAX)
    integer     lb;
    always @* begin
        for (lb = 0; lb < M; lb = lb + 1) begin
            ln_act[lb] = {21'd0, rv_r} + lb < {21'd0, rv_rows};
            ln_bias[lb] = ln_row0 + lb == {19'd0, rl_nin};
        end
    end
    // the group in flight (read the cycle before): its lanes' inputs and cells from the banks,
    // what the lanes are as registered at the read; its sum
    reg  [M-1:0] mp_al, mp_bl;
    reg  [7:0]  mp_xl [0:M-1];
    reg  [15:0] mp_g [0:M-1];
    reg  signed [17:0] mp_p [0:M-1];              // the lane's x·(G+ − G−): |·| ≤ 255²
    integer     ml;
    always @* begin
        for (ml = 0; ml < M; ml = ml + 1) begin
            mp_xl[ml] = mp_bl[ml] ? XMAX : a_q[8 * ml +: 8];
            mp_g[ml] = g_q[16 * ml +: 16];
            mp_p[ml] = $signed({10'd0, mp_xl[ml]}) *
                       ($signed({10'd0, mp_g[ml][15:8]}) - $signed({10'd0, mp_g[ml][7:0]}));
        end
    end
    reg  signed [26:0] mp_sum;
    integer     mb;
    always @* begin
        mp_sum = 27'sd0;
        for (mb = 0; mb < M; mb = mb + 1)
            if (mp_al[mb])
                mp_sum = mp_sum + {{9{mp_p[mb][17]}}, mp_p[mb]};
    end
    // SERIAL_MAC: the group read last cycle (one cell) is taken into sm_x (x, 0 for a row the
    // layer does not drive) and sm_d (G+ − G−); then x's bits, LSB first: sm_d, doubled a
    // cycle, is added to the block's sum for every 1, until no 1 is left (sm_x = 0). The next
    // cell is read in the cycle of the last addition.
    reg  [7:0]  sm_x;
    reg  signed [16:0] sm_d;                      // (G+ − G−)·2^k: |·| < 2^16
    wire        sm_last = SERIAL_MAC != 0 && sm_x[7:1] == 7'd0;   // no 1 left after this bit
    wire        mac_idle = SERIAL_MAC == 0 || sm_x == 8'd0;       // every product added
    wire        mac_acc = SERIAL_MAC != 0 ? !mp_valid && sm_x != 8'd0 : mp_valid;
    wire signed [26:0] mac_add = SERIAL_MAC == 0 ? mp_sum :
                                 sm_x[0] ? {{10{sm_d[16]}}, sm_d} : 27'sd0;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [31:0] rv_adc_w = {24'd0, rv_t} * COLS + rv_cc;
    /* verilator lint_on UNUSEDSIGNAL */
    wire signed [19:0] rd_noise;
    xp_scale #(.F(0), .SIGMA_W(16)) rsc (.z(pr_z), .sigma(s_read), .y(rd_noise));
    wire [AA-1:0] rv_adc = rv_adc_w[AA-1:0];
    reg         adc_go /* verilator public_flat_rd */;  // rv_acc is the block's sum
    wire        adc_ready;                        // the ADC is free (sequential: 20 … 42 cycles)
    wire        adc_valid;
    wire signed [ADC_BITS-1:0] adc_code;
    wire [7:0]  set_gain = s_q[24:17];
    wire [4:0]  set_shift = s_q[16:12];
    wire [11:0] set_off = s_q[11:0];
    wire signed [12:0] adc_offe = {set_off[11], set_off} + {{2{rv_eo[10]}}, rv_eo};
    xp_adc #(.ADC_BITS(ADC_BITS)) adc (
        .clk(clk), .rst(rst), .s_valid(adc_go), .s_ready(adc_ready),
        .s_v(rv_acc + {{7{rv_noise[19]}}, rv_noise}),      // |v| < 2^26 (numerics §10)
        .s_gain(set_gain), .s_eg(rv_eg), .s_shift(set_shift),
        .s_off(adc_offe), .m_valid(adc_valid), .m_code(adc_code)
    );
    wire signed [15:0] sm_q;                          // s_mem's word at cv_j (read at adc_go)
    wire signed [15:0] rv_snext = (STREAM_RUN != 0 && cv_q ? sm_q : rv_s) +
                                  {{(16 - ADC_BITS){adc_code[ADC_BITS-1]}}, adc_code};
    // a RELU output's DAC code, from its S as its last code comes (the unit is sequential:
    // max(8, ash) cycles; the ADC starts a block only when it is free, so it is free when the
    // next output's last code comes, and ow_v's writes wait for it)
    wire        ac_ready;
    wire [DAC_BITS-1:0] ac_code;
    /* verilator lint_off UNUSEDSIGNAL */
    wire        ac_valid;
    /* verilator lint_on UNUSEDSIGNAL */
    xp_act #(.DAC_BITS(DAC_BITS)) act (
        .clk(clk), .rst(rst), .s_valid(adc_valid && ow_last), .s_ready(ac_ready), .s_s(rv_snext),
        .s_amul(ly_amul), .s_ash(ly_ash), .m_valid(ac_valid), .m_code(ac_code)
    );
    wire [7:0]  rv_a = {{(8 - DAC_BITS){1'b0}}, ac_code};   // (hidden layers are RELU: §9)
    wire        ow_raw = rv_flags || !ly_act;                // the reply carries S
    // RUN's checks: Bmax = min(max_batch, (max_request − 3) / n_in, (max_reply − 11) / (2K)),
    // K the last layer's outputs (flags 0) or all layers' (flags 1): counted out (S_DIV, below)
    // by the RUN's checks once the state has passed, before the batch is checked
    /* verilator lint_off UNUSEDSIGNAL */ // (used in part)
    wire [7:0]  b_p2 = pb(2);
    /* verilator lint_on UNUSEDSIGNAL */
    reg  [15:0] q_n;                // Bmax (max_batch < 2^16: INFO's u16), or READ_CELLS' row
                                    // limit; while counted, the count so far
    wire [31:0] run_bmax = {16'd0, q_n};
    // The checks' products — RUN's B·n_in, the rectangle's rows·cols — by one sequential
    // multiplier (a bit of the multiplier a cycle: the DSPs are the MAC lanes'), started in
    // S_EXEC and waited for by S_XCK: mu_p = mu_a·mu_b once mu_b is 0. The operands are
    // narrowed to what a product is used with (B ≤ max_batch, n_in ≤ 4096, rows ≤ R,
    // cols ≤ C: the checks before its use)
    localparam MUA = RB > 13 ? RB : 13;             // multiplicand: n_in, rows
    localparam MUB = CB > BB ? CB : BB;             // multiplier: B, cols
    localparam MUW = MUA + MUB;
    reg  [MUW-1:0] mu_p, mu_a;
    reg  [MUB-1:0] mu_b;
    /* verilator lint_off UNUSEDSIGNAL */ // (used in part)
    wire [15:0] w_p0 = pw(0);
    wire [31:0] run_len = 32'd3 + {{(32 - MUW){1'b0}}, mu_p};
    /* verilator lint_on UNUSEDSIGNAL */

    // The quotients, counted (S_DIV, one a cycle, no divider): q_n is the largest b with
    // b·n_in ≤ max_request − 3, b·2K ≤ max_reply − 11 and b ≤ max_batch, i.e. Bmax (q_rc 0: at
    // most max_batch + 1 cycles), or the largest with b·2·cols ≤ max_reply, READ_CELLS' row
    // limit, reported when 2·rows·cols > max_reply (q_rc 1: cols ≥ 1, checked before; at most
    // max_reply / 2 + 1 cycles, on that error's path only). q_a1,
    // q_a2 are b·n_in, b·2K (b·2·cols): < 2^17 while b passes, so their next values < 2^18
    localparam [31:0] BM_REQ_32 = MAX_REQUEST - 3, BM_REP_32 = MAX_REPLY - 11;
    localparam [17:0] BM_REQ = BM_REQ_32[17:0], BM_REP = BM_REP_32[17:0],
                      MAX_REPLY_18 = MAX_REPLY_32[17:0];
    localparam [15:0] MAX_BATCH_16 = MAX_BATCH_32[15:0];
    reg         q_rc;
    reg  [17:0] q_a1, q_a2;
    wire [17:0] q_s1 = q_a1 + {5'd0, net_nin0};
    wire [17:0] q_s2 = q_a2 + {1'b0, q_rc ? {pw(8), 1'b0} : {b_p2[0] ? shape_all : shape_out, 1'b0}};
    wire        q_more = q_rc ? q_s2 <= MAX_REPLY_18 :
                         q_n < MAX_BATCH_16 && q_s1 <= BM_REQ && q_s2 <= BM_REP;

    // ---- command sequencing ----
    // payload offset being checked: ≤ the payload's length (it moves past a field only once
    // the length check for it passed), so po + 10 < 2^(RXA+1)
    reg  [RXA:0] po;
    wire [31:0]  po32 = {{(31 - RXA){1'b0}}, po};
    // the offset of an error reply's field (its ERR_LEN want in CONFIGURE): ≤ the payload
    // length, so it stays in RXA + 1 bits
    wire [RXA:0] e_off = (e_rel ? po : {(RXA + 1){1'b0}}) + {{(RXA - 3){1'b0}}, e_k};
    reg [3:0]  ci_l;                // CONFIGURE: layer being parsed
    reg [3:0]  ci_f;                // CONFIGURE: field of the layer
    reg [15:0] ci_ti;               // CONFIGURE: tiles of the layer read so far
    reg [15:0] ci_nall;
    reg [7:0]  ci_tbase;            // CONFIGURE: tiles of earlier layers
    reg [CLR_A-1:0] clr_i;
    reg [MB-1:0] er_b;              // the erase: bank of tile row cl_t·R + cl_r,
    reg [GA-1:0] er_base;           // … its first word in the bank (the row's / M · C)
    reg        er_qa;               // … the cell's device-model query accepted
    // command fields (SET_ADC, cell rectangles): the request's, in hdr while it is executed
    wire [15:0] op_t = pw(0), op_r0 = pw(2);
    wire [15:0] rv_b = pw(0);       // RUN: B
    wire [15:0] op_c0 = f_cmd == CMD_SET_ADC ? pw(2) : pw(4);
    wire [15:0] op_nc = f_cmd == CMD_SET_ADC ? pw(4) : pw(8);
    // elements: ≤ R·C (a rectangle) or < 2^16 (a list)
    localparam OPW = RB + CB > 17 ? RB + CB : 17;
    reg [OPW-1:0] op_i, op_n;       // element being processed, elements in all
    reg [9:0]  op_rr;               // rectangle walk: row and column within the rectangle
    reg [7:0]  op_cc;
    reg [1:0]  op_mode;             // 0 WRITE_CELLS, 1 WRITE_LIST, 2 READ_CELLS
    reg [OPW:0] op_changed;         // ≤ 2 · op_n

    // the counters (cnt_mem, a byte a word): one add unit for every increment (S_CNT) adds
    // cnt_v to word cnt_w a byte a cycle — byte k is read while byte k − 1, read the cycle
    // before, is written back plus the addend's low byte and the carry (cnt_v shifts down a
    // byte) — then goes on to state cnt_ret; with cnt_dup it adds 1 to duplicates next
    reg  [CNW-1:0] cnt_w;
    reg  [2:0]     cnt_k;           // byte read (0 … 3; 4: the last one written)
    reg  [OPW:0]   cnt_v;           // the addend's bytes still to add (≤ 2 · op_n)
    reg            cnt_c;           // the carry into byte cnt_k − 1
    reg            cnt_dup;         // then duplicates += 1 (a duplicate's frames_ok first)
    reg  [5:0]     cnt_ret;
    wire [8:0]     cnt_sum = {1'b0, c_q} + {1'b0, cnt_v[7:0]} + {8'd0, cnt_c};
    reg            c_we, c_re;
    reg  [CNA-1:0] c_wa, c_ra;
    reg  [7:0]     c_wd;

    localparam [1:0] M_WCELLS = 2'd0, M_WLIST = 2'd1, M_READ = 2'd2;

    // ready for the next frame: after a reply, and at reset
    task next_frame;
        begin
            rx_n <= 0;
            f_cmd <= 8'hFF;
            f_seq <= 8'h00;
            f_last4 <= 32'd0;
            rx_crc_clear <= 1'b1;
            r_idx <= 0;
            r_crcn <= 3'd0;
            rx_on <= 1'b1;
            sp_rb_r <= 6'd0;
            sp_ld <= 1'b0;
            state <= S_RX;
        end
    endtask

    // RUN: a row block of output column rv_j starts (its ADC settings, errors, noise draw, MACs)
    task block_start;
        begin
            state <= S_RUN_QW;
            rv_qa <= 1'b0;
            rv_na <= 1'b0;
            rv_nd <= 1'b0;
            rv_r <= 0;
            rv_acc <= 0;
        end
    endtask

    // the erase: the next tile row (its bank and word row), or the end of RESET / power-up
    task er_next_row;
        begin
            if ({24'd0, cl_t} == TILES - 1 && {22'd0, cl_r} == ROWS - 1) begin
                if (r_remember)
                    state <= S_GEN;                        // the RESET's reply
                else
                    next_frame;                            // power-up
            end else begin
                if ({22'd0, cl_r} == ROWS - 1) begin
                    cl_r <= 10'd0;
                    cl_t <= cl_t + 1'b1;
                end else begin
                    cl_r <= cl_r + 1'b1;
                end
                if ({{(32 - MB){1'b0}}, er_b} == M - 1) begin
                    er_b <= 0;
                    er_base <= er_base + COLS[GA-1:0];
                end else begin
                    er_b <= er_b + 1'b1;
                end
                state <= S_ER_ROW;
            end
        end
    endtask

    // add v to counter word w (S_CNT), then go to state ret
    task cnt_add(input [CNW-1:0] w, input [OPW:0] v, input [5:0] ret);
        begin
            cnt_w <= w;
            cnt_v <= v;
            cnt_k <= 3'd0;
            cnt_c <= 1'b0;
            cnt_ret <= ret;
            state <= S_CNT;
        end
    endtask

    // read n (≤ 10) request bytes from payload offset po into win[0 …], then go to state ret
    // (every caller sets po to the fields' offset in the same cycle: S_FETCH reads from there)
    task fetch(input [3:0] n, input [5:0] ret);
        begin
            f_n <= n;
            f_k <= 4'd0;
            f_ret <= ret;
            state <= S_FETCH;
        end
    endtask

    // count Bmax (rc 0) or READ_CELLS' row limit (rc 1) out (S_DIV), then go on with it
    task quotient(input rc);
        begin
            q_n <= 16'd0;
            q_a1 <= 18'd0;
            q_a2 <= 18'd0;
            q_rc <= rc;
            state <= S_DIV;
        end
    endtask

    // body byte r_idx of the reply being generated (gen_byte) into txbuf (a write request): a
    // remembered reply from 0, the others from TXCAP
    localparam [TXB-1:0] EBASE = TXCAP[TXB-1:0];
    task store_gen_byte;
        begin
            tw_en <= 1'b1;
            tw_a <= r_remember ? {{(TXB - TXA){1'b0}}, r_idx} :
                                 EBASE + {{(TXB - 5){1'b0}}, r_idx[4:0]};
            tw_d <= gen_byte;
        end
    endtask

    // reply with a status and n payload bytes (generated in S_GEN from their sources)
    task reply(input [7:0] st, input [TXA-1:0] n);
        begin
            r_status <= st;
            r_plen <= n;
            state <= S_GEN;
        end
    endtask
    // ERR_LEN: got the payload length, want a value (err_len) or the offset po + k (err_len_po)
    /* verilator lint_off UNUSEDSIGNAL */ // want: at most WANTW bits (above)
    task err_len(input [31:0] want);
        begin
            reply(ST_LEN, 8);
            r_want_off <= 1'b0;
            r_want <= want[WANTW-1:0];
        end
    endtask
    /* verilator lint_on UNUSEDSIGNAL */
    task err_len_po(input [3:0] k);
        begin
            reply(ST_LEN, 8);
            r_want_off <= 1'b1;
            e_rel <= 1'b1;
            e_k <= k;
        end
    endtask
    // a reply about the request's field at offset k (+ po if rel) of kind vk: ERR_RANGE with
    // lo and hi (18-bit values passed as i32), ERR_CONFLICT with lo the earlier offset,
    // ERR_BATCH with hi Bmax (generated from run_bmax)
    /* verilator lint_off UNUSEDSIGNAL */ // lo, hi: bits 31 … 18 are sign copies
    task err_field(input [7:0] st, input [TXA-1:0] n, input rel, input [3:0] k, input [1:0] vk,
                   input [3:0] lh);
        begin
            reply(st, n);
            e_rel <= rel;
            e_k <= k;
            e_vk <= vk;
            e_sign <= 1'b0;
            r_lh <= lh;
        end
    endtask
    /* verilator lint_on UNUSEDSIGNAL */
    task err_range(input rel, input [3:0] k, input [1:0] vk, input [3:0] lh);
        err_field(ST_RANGE, 14, rel, k, vk, lh);
    endtask

    // WRITE_CELLS / READ_CELLS: rows · cols of the rectangle, used once both are in range
    // (≤ R and ≤ C: the product is narrowed to that)
    /* verilator lint_off UNUSEDSIGNAL */ // ≤ R and ≤ C where the product is used
    wire [15:0] w_p6 = pw(6), w_p8 = pw(8);
    /* verilator lint_on UNUSEDSIGNAL */
    wire [RB+CB-1:0] op_n2 = mu_p[RB+CB-1:0];     // (the multiplier: rows · cols)
    wire [31:0] wc_2n = {{(31 - RB - CB){1'b0}}, op_n2, 1'b0};
    /* verilator lint_off UNUSEDSIGNAL */ // (used in part)
    wire [31:0] wc_len = 32'd10 + wc_2n;
    /* verilator lint_on UNUSEDSIGNAL */
    // WRITE_LIST: 4 + 6 n as shift-adds
    wire [15:0] w_p2 = pw(2);
    /* verilator lint_off UNUSEDSIGNAL */ // (used in part)
    wire [31:0] wl_len = 32'd4 + {15'd0, w_p2, 1'b0} + {14'd0, w_p2, 2'b0};
    /* verilator lint_on UNUSEDSIGNAL */

    // S_XCK: check xk_i of SET_ADC, WRITE_CELLS, READ_CELLS, WRITE_LIST and RUN (§4, in
    // order): a length (the payload at least / exactly xk_x bytes), a field's range (the u16
    // or u8 at offset xk_k in [xk_lo, xk_hi]: one comparator), RUN's state and batch, or
    // READ_CELLS' reply size; xk_last: the command's last check
    localparam [2:0] XK_LMIN = 3'd0, XK_LEQ = 3'd1, XK_RANGE = 3'd2, XK_STATE = 3'd3,
                     XK_BATCH = 3'd4, XK_RC = 3'd5;
    localparam [16:0] ROWS17 = ROWS[16:0], COLS17 = COLS[16:0], T1_17 = TILES - 1,
                      R1_17 = ROWS - 1, C1_17 = COLS - 1;
    localparam [WANTW-1:0] X3 = 3, X4 = 4, X6 = 6, X10 = 10;
    // what a rectangle leaves past its first row / column (checked once that is in range)
    wire [16:0] lim_r2 = ROWS17 - {1'b0, pw(2)}, lim_c2 = COLS17 - {1'b0, pw(2)},
                lim_c4 = COLS17 - {1'b0, pw(4)};
    reg  [2:0]  xk_i;
    reg  [2:0]  xk_kind;
    reg  [3:0]  xk_k;
    reg  [1:0]  xk_vk;
    reg  [16:0] xk_lo, xk_hi;
    reg  [WANTW-1:0] xk_x;
    reg         xk_last;
    /* verilator lint_off UNUSEDSIGNAL */ // wide lengths, used in their width
    wire [31:0] xk_x6 = 32'd6 + {14'd0, pw(4), 2'd0};
    /* verilator lint_on UNUSEDSIGNAL */
    always @* begin
        xk_kind = XK_RANGE;
        xk_k = 4'd0;
        xk_vk = VK_U16;
        xk_lo = 17'd0;
        xk_hi = T1_17;                                      // (offset 0: the tile)
        xk_x = X3;
        xk_last = 1'b0;
        case (f_cmd)
        CMD_SET_ADC:
            case (xk_i)
            3'd0: begin xk_kind = XK_LMIN; xk_x = X6; end
            3'd1: ;
            3'd2: begin xk_k = 4'd2; xk_hi = C1_17; end
            3'd3: begin xk_k = 4'd4; xk_lo = 17'd1; xk_hi = lim_c2; end
            default: begin xk_kind = XK_LEQ; xk_x = xk_x6[WANTW-1:0]; xk_last = 1'b1; end
            endcase
        CMD_WRITE_CELLS, CMD_READ_CELLS:
            case (xk_i)
            3'd0: begin xk_kind = f_cmd == CMD_READ_CELLS ? XK_LEQ : XK_LMIN; xk_x = X10; end
            3'd1: ;
            3'd2: begin xk_k = 4'd2; xk_hi = R1_17; end
            3'd3: begin xk_k = 4'd4; xk_hi = C1_17; end
            3'd4: begin xk_k = 4'd6; xk_lo = 17'd1; xk_hi = lim_r2; end
            3'd5: begin xk_k = 4'd8; xk_lo = 17'd1; xk_hi = lim_c4; end
            default: begin
                xk_kind = f_cmd == CMD_READ_CELLS ? XK_RC : XK_LEQ;
                xk_x = wc_len[WANTW-1:0];
                xk_last = 1'b1;
            end
            endcase
        CMD_WRITE_LIST:
            case (xk_i)
            3'd0: begin xk_kind = XK_LMIN; xk_x = X4; end
            3'd1: ;
            3'd2: begin xk_k = 4'd2; xk_lo = 17'd1; xk_hi = 17'd65535; end
            default: begin xk_kind = XK_LEQ; xk_x = wl_len[WANTW-1:0]; xk_last = 1'b1; end
            endcase
        default:                                            // RUN
            case (xk_i)
            3'd0: begin xk_kind = XK_LMIN; xk_x = X3; end
            3'd1: begin xk_k = 4'd2; xk_vk = VK_U8; xk_hi = 17'd1; end
            3'd2: xk_kind = XK_STATE;
            3'd3: begin xk_kind = XK_BATCH; xk_lo = 17'd1; xk_hi = {1'b0, run_bmax[15:0]}; end
            default: begin xk_kind = XK_LEQ; xk_x = run_len[WANTW-1:0]; xk_last = 1'b1; end
            endcase
        endcase
    end
    // the field at offset xk_k (the header registers), its range; the payload's length
    wire [15:0] xk_v = xk_vk == VK_U8 ? {8'd0, hdr[xk_k]} : {hdr[xk_k + 4'd1], hdr[xk_k]};
    wire        xk_out = {1'b0, xk_v} < xk_lo || {1'b0, xk_v} > xk_hi;
    wire [WANTW-1:0] xk_plen = {{(WANTW - RXA - 1){1'b0}}, plen_n};
    reg         xk_fail;
    always @* begin
        case (xk_kind)
        XK_LMIN: xk_fail = xk_plen < xk_x;
        XK_LEQ: xk_fail = xk_plen != xk_x;
        XK_STATE: xk_fail = net_l == 4'd0;
        XK_RC: xk_fail = wc_2n > MAX_REPLY_32;
        default: xk_fail = xk_out;                      // XK_RANGE, XK_BATCH
        endcase
    end

    // CONFIGURE: the limits of the field being checked
    wire [15:0] cfg_nin = win_w4;                  // (the layer's fields: win[0 … 9])
    // the layer being parsed: its bias, n_in, n_out and tiles, in win from its header's fetch
    // to the end of its tile list (a tile entry is fetched into win[0 … 1]; bias is read
    // before the first)
    wire        cur_bias = win[1][0];
    wire [12:0] cur_nin = win_w4[12:0], cur_nout = win_w6[12:0];
    wire [15:0] cur_ntiles = win_w8;
    wire [2:0]  li = ci_l[2:0];                     // the layer being parsed (ci_l < 8 then)
    wire [31:0] cfg_win = WIN_MAX - {31'd0, cur_bias};
    /* verilator lint_off UNUSEDSIGNAL */ // ≤ 4096
    wire [31:0] cfg_inmax = cfg_win < MAX_WIDTH_32 ? cfg_win : MAX_WIDTH_32;
    /* verilator lint_on UNUSEDSIGNAL */
    // NEED = row blocks · column blocks, as shift-adds (a bit of the column blocks each); both
    // counts are range-checked before (n_in + bias ≤ MAX_WIDTH + 1, n_out ≤ MAX_WIDTH): NRW,
    // NCW bits
    localparam NRW = $clog2((MAX_WIDTH + ROWS) / ROWS + 1), NCW = $clog2((MAX_WIDTH + COLS - 1) / COLS + 1);
    /* verilator lint_off UNUSEDSIGNAL */ // wide arithmetic, used in part
    wire [31:0] cfg_nrb = ({19'd0, cur_nin} + {31'd0, cur_bias} + ROWS - 1) / ROWS;
    wire [31:0] cfg_ncb = ({19'd0, cur_nout} + COLS - 1) / COLS;
    /* verilator lint_on UNUSEDSIGNAL */
    reg  [31:0] cfg_need;
    integer     cni;
    always @* begin
        cfg_need = 32'd0;
        for (cni = 0; cni < NCW; cni = cni + 1)
            if (cfg_ncb[cni])
                cfg_need = cfg_need + ({{(32 - NRW){1'b0}}, cfg_nrb[NRW-1:0]} << cni);
    end
    wire [15:0] cfg_tile = win_w0;                 // (a tile entry: win[0 … 1])
    // the field ci_f being checked (S_CFG): the payload bytes it needs from po on (the length
    // check: plen ≥ po + cf_len), its value's offset from po and kind, and its range (cf_rng:
    // checked), one comparator for every field
    localparam [3:0] CF_TILE = 4'd9, CF_USED = 4'd10, CF_CLR = 4'd15;
    reg  [3:0]  cf_len, cf_k;
    reg  [1:0]  cf_vk;
    reg         cf_rng;
    reg  [15:0] cf_v;
    reg  [16:0] cf_lo, cf_hi;
    always @* begin
        cf_len = 4'd1;
        cf_k = 4'd0;
        cf_vk = VK_U8;
        cf_rng = 1'b1;
        cf_v = {8'd0, win[0]};
        cf_lo = 17'd0;
        cf_hi = 17'd1;
        case (ci_f)
        4'd1: cf_lo = ci_l + 4'd1 < c_l ? 17'd1 : 17'd0;     // act: 1 but in the last layer
        4'd2: begin                                         // bias
            cf_len = 4'd2;
            cf_k = 4'd1;
            cf_v = {8'd0, win[1]};
        end
        4'd3: begin                                         // amul: any
            cf_len = 4'd3;
            cf_rng = 1'b0;
        end
        4'd4: begin                                         // ash
            cf_len = 4'd4;
            cf_k = 4'd3;
            cf_v = {8'd0, win[3]};
            cf_hi = 17'd15;
        end
        4'd5: begin                                         // n_in = the layer before's n_out
            cf_len = 4'd6;
            cf_k = 4'd4;
            cf_vk = VK_U16;
            cf_rng = ci_l != 0;
            cf_v = cfg_nin;
            cf_lo = {4'd0, prev_nout};
            cf_hi = {4'd0, prev_nout};
        end
        4'd6: begin                                         // n_in
            cf_len = 4'd6;
            cf_k = 4'd4;
            cf_vk = VK_U16;
            cf_v = cfg_nin;
            cf_lo = 17'd1;
            cf_hi = cfg_inmax[16:0];
        end
        4'd7: begin                                         // n_out
            cf_len = 4'd8;
            cf_k = 4'd6;
            cf_vk = VK_U16;
            cf_v = win_w6;
            cf_lo = 17'd1;
            cf_hi = MAX_WIDTH_32[16:0];
        end
        4'd8: begin                                         // tiles = NEED
            cf_len = 4'd10;
            cf_k = 4'd8;
            cf_vk = VK_U16;
            cf_v = win_w8;
            cf_lo = cfg_need[16:0];
            cf_hi = cfg_need[16:0];
        end
        default: begin                                      // a tile entry (CF_TILE)
            cf_len = 4'd2;
            cf_vk = VK_U16;
            cf_v = cfg_tile;
            cf_hi = TILES - 1;
        end
        endcase
    end
    wire        cf_short = {1'b0, plen_n} < {1'b0, po} + {{(RXA - 2){1'b0}}, cf_len};
    wire        cf_bad = cf_rng && ({1'b0, cf_v} < cf_lo || {1'b0, cf_v} > cf_hi);
    wire [TA-1:0] cfg_ti = cfg_tile[TA-1:0];
    /* verilator lint_off UNUSEDSIGNAL */ // < TILES: the high bits are 0
    wire [7:0]  ct_idx = ci_tbase + ci_ti[7:0];     // the tile's place in the tile lists
    /* verilator lint_on UNUSEDSIGNAL */

    // the cell of the current element: tile, row, column, codes
    // (WRITE_LIST: its record in win[0 … 5]; WRITE_CELLS: its codes in win[0 … 1])
    wire [15:0] el_r = op_mode == M_WLIST ? win_w0 : op_r0 + {6'd0, op_rr};
    wire [15:0] el_c = op_mode == M_WLIST ? win_w2 : op_c0 + {8'd0, op_cc};
    /* verilator lint_off UNUSEDSIGNAL */ // codes are checked ≤ CMAX: the high bits are 0
    wire [7:0]  el_kp = op_mode == M_WLIST ? win[4] : win[0];
    wire [7:0]  el_km = op_mode == M_WLIST ? win[5] : win[1];
    /* verilator lint_on UNUSEDSIGNAL */
    /* verilator lint_off UNUSEDSIGNAL */ // wide products and whole bytes, used in part
    wire [31:0] el_vrow_w = {16'd0, op_t} * ROWS + {16'd0, el_r};
    wire [31:0] el_addr_w = (el_vrow_w / M) * COLS + {16'd0, el_c};
    wire [31:0] el_bank_w = el_vrow_w % M;
    wire [31:0] adc_a_w = {16'd0, op_t} * COLS + {16'd0, op_c0} + {{(32 - OPW){1'b0}}, op_i};
    wire [31:0] cl_vrow_w = {24'd0, cl_t} * ROWS + {22'd0, cl_r};
    wire [31:0] x0_word_w = {19'd0, rv_xn} / M;
    wire [31:0] x0_end_w = ({26'd0, rv_rb} + 32'd1) * ROWS;           // (a speculative block's)
    wire [12:0] x0_end = sp_on ? x0_end_w[12:0] : ly_nin;             // S_RUN_X0 copies to here
    wire [31:0] out_word_w = {19'd0, ow_j} / M;
    wire [31:0] x0_bank_w = {19'd0, rv_xn} % M;
    wire [31:0] out_bank_w = {19'd0, ow_j} % M;
    wire [31:0] cl_bank32 = {{(32 - MB){1'b0}}, cl_bank};
    wire [31:0] er_b32 = {{(32 - MB){1'b0}}, er_b};
    wire [31:0] clr_32 = {{(32 - CLR_A){1'b0}}, clr_i};
    wire [31:0] cnt_tile_w = 32'd10 + {16'd0, op_t};              // tile_pulses[op_t]'s word
    wire [31:0] cnt_nack_w = 32'd1 + {24'd0, r_status};           // nacks[r_status]'s word
    wire [GA-1:0] el_addr = el_addr_w[GA-1:0];
    wire [MB-1:0] el_bank = el_bank_w[MB-1:0];
    wire [AA-1:0] adc_a = adc_a_w[AA-1:0];
    // fields read whole and then sliced (a function's result cannot be indexed)
    wire [7:0]  b_p0 = pb(0);
    wire [7:0]  adc_gainb = win[0], adc_shb = win[1];  // SET_ADC: a column's 4 bytes
    wire [15:0] adc_offw = win_w2;
    /* verilator lint_on UNUSEDSIGNAL */

    // ---- the reply's bytes (S_GEN): body byte r_idx is byte gen_b of field gen_f ----
    // The field and its first body byte (gen_s) follow from the reply's kind and r_idx; the
    // field's value is multiplexed as one word (gen_w), then its byte picked: one multiplexer
    // of sources and one of bytes. (Body bytes that are never generated here — prewritten
    // payloads, STATUS's counters, an error's request field — are read from memories instead:
    // gen_pre, gen_cnt, gen_rx above; positions past 127 are only those.)
    localparam [4:0] F_ZERO = 5'd0, F_CMD = 5'd1, F_SEQ = 5'd2, F_STATUS = 5'd3, F_BOOT = 5'd4,
                     F_INFO = 5'd5, F_PULSES = 5'd6, F_INFER = 5'd7, F_NSEED = 5'd8,
                     F_NETL = 5'd9, F_SHIN = 5'd10, F_SHOUT = 5'd11, F_SHALL = 5'd12,
                     F_TILES = 5'd13, F_RVB = 5'd14, F_FLAGS = 5'd15,
                     F_CHANGED = 5'd17, F_FCODE = 5'd18, F_FLEN = 5'd19, F_LAST4 = 5'd20,
                     F_RXCRC = 5'd21, F_PLEN = 5'd22, F_WANT = 5'd23, F_OFF = 5'd24,
                     F_SIGN = 5'd25, F_LO = 5'd26, F_HI = 5'd27, F_BMAX = 5'd28;
    /* verilator lint_off UNUSEDSIGNAL */ // positions past 127: not generated here
    wire [6:0]  gq = r_idx[6:0];
    /* verilator lint_on UNUSEDSIGNAL */
    reg  [4:0]  gen_f;
    /* verilator lint_off UNUSEDSIGNAL */ // its position mod 8 is what matters (gen_b)
    reg  [6:0]  gen_s;
    /* verilator lint_on UNUSEDSIGNAL */
    always @* begin
        gen_f = F_ZERO;
        gen_s = gq;                                         // (a one-byte field: its byte 0)
        if (gq == 7'd0) begin
            gen_f = F_CMD;
        end else if (gq == 7'd1) begin
            gen_f = F_SEQ;
        end else if (gq == 7'd2) begin
            gen_f = F_STATUS;
        end else if (gq < 7'd7) begin                       // boot_id u32
            gen_f = F_BOOT;
            gen_s = 7'd3;
        end else if (r_status == ST_OK) begin
            case (f_cmd)
            CMD_INFO:                                       // boot_id at payload 16 … 19
                if (gq >= 7'd23 && gq < 7'd27) begin
                    gen_f = F_BOOT;
                    gen_s = 7'd23;
                end else begin
                    gen_f = F_INFO;
                end
            CMD_STATUS:                                     // payload 40 … 73 (the rest: gen_cnt)
                if (gq < 7'd55) begin
                    gen_f = F_PULSES;
                    gen_s = 7'd47;
                end else if (gq < 7'd63) begin
                    gen_f = F_INFER;
                    gen_s = 7'd55;
                end else if (gq < 7'd71) begin
                    gen_f = F_NSEED;
                    gen_s = 7'd63;
                end else if (gq == 7'd71) begin
                    gen_f = F_NETL;
                end else if (gq == 7'd72) begin
                    gen_f = F_ZERO;
                end else if (gq < 7'd75) begin
                    gen_f = F_SHIN;
                    gen_s = 7'd73;
                end else if (gq < 7'd77) begin
                    gen_f = F_SHOUT;
                    gen_s = 7'd75;
                end else if (gq < 7'd79) begin
                    gen_f = F_SHALL;
                    gen_s = 7'd77;
                end else begin
                    gen_f = F_TILES;
                    gen_s = 7'd79;
                end
            CMD_RUN:                                        // B, flags, n0 (then prewritten)
                if (gq < 7'd9) begin
                    gen_f = F_RVB;
                    gen_s = 7'd7;
                end else if (gq == 7'd9) begin
                    gen_f = F_FLAGS;
                end else begin
                    gen_f = F_INFER;                        // n0: N (moved on after the reply)
                    gen_s = 7'd10;
                end
            CMD_CONFIGURE:                                  // n_in, n_out, n_all
                if (gq < 7'd9) begin
                    gen_f = F_SHIN;
                    gen_s = 7'd7;
                end else if (gq < 7'd11) begin
                    gen_f = F_SHOUT;
                    gen_s = 7'd9;
                end else begin
                    gen_f = F_SHALL;
                    gen_s = 7'd11;
                end
            default: begin                                  // WRITE_*: changed u32
                gen_f = F_CHANGED;
                gen_s = 7'd7;
            end
            endcase
        end else begin
            case (r_status)
            ST_FRAME:                                       // code u8, length u32
                if (gq == 7'd7) begin
                    gen_f = F_FCODE;
                end else begin
                    gen_f = F_FLEN;
                    gen_s = 7'd8;
                end
            ST_CRC:                                         // the frame's CRC, the computed one
                if (gq < 7'd11) begin
                    gen_f = F_LAST4;
                    gen_s = 7'd7;
                end else begin
                    gen_f = F_RXCRC;
                    gen_s = 7'd11;
                end
            ST_LEN:                                         // got, want
                if (gq < 7'd11) begin
                    gen_f = F_PLEN;
                    gen_s = 7'd7;
                end else begin
                    gen_f = r_want_off ? F_OFF : F_WANT;
                    gen_s = 7'd11;
                end
            ST_BATCH:                                       // B (gen_rx), Bmax
                if (gq >= 7'd11) begin
                    gen_f = F_BMAX;
                    gen_s = 7'd11;
                end
            default:                                        // ERR_RANGE: offset u16, value,
                if (gq < 7'd9) begin                        // lo, hi i32; ERR_CONFLICT:
                    gen_f = F_OFF;                          // offset, value, earlier u16
                    gen_s = 7'd7;
                end else if (gq < 7'd13) begin              // (the field's bytes: gen_rx)
                    gen_f = F_SIGN;
                end else if (gq < 7'd17) begin
                    gen_f = F_LO;
                    gen_s = 7'd13;
                end else begin
                    gen_f = F_HI;
                    gen_s = 7'd17;
                end
            endcase
        end
    end
    wire [2:0]  gen_b = gq[2:0] - gen_s[2:0];           // (fields are ≤ 8 bytes)
    // an error's lo and hi (−2048 … 65535) from their sources (r_lh)
    localparam [31:0] L_R32 = ROWS - 1, L_C32 = COLS - 1;
    localparam [17:0] L_XMAX = {10'd0, XMAX}, L_CMAX = CMAX[17:0], L_R = L_R32[17:0],
                      L_C = L_C32[17:0];
    reg  [17:0] e_lo, e_hi;
    always @* begin
        e_lo = 18'd0;
        e_hi = 18'd0;
        case (r_lh)
        LH_XK:    begin e_lo = {1'b0, xk_lo}; e_hi = {1'b0, xk_hi}; end
        LH_CF:    begin e_lo = {1'b0, cf_lo}; e_hi = {1'b0, cf_hi}; end
        LH_DV:    begin e_lo = 18'd1; e_hi = {2'd0, q_n}; end
        LH_CONFL: e_lo = {{(18 - 16){1'b0}}, r_want[15:0]};
        LH_XMAX:  e_hi = L_XMAX;
        LH_L:     begin e_lo = 18'd1; e_hi = 18'd8; end
        LH_SH:    e_hi = 18'd31;
        LH_OFF:   begin e_lo = 18'h3F800; e_hi = 18'd2047; end       // −2048 … 2047
        LH_CMAX:  e_hi = L_CMAX;
        LH_R:     e_hi = L_R;
        LH_C:     e_hi = L_C;
        default:  ;
        endcase
    end
    reg  [63:0] gen_w;
    always @* begin
        case (gen_f)
        F_CMD:     gen_w = {56'd0, f_cmd | 8'h80};
        F_SEQ:     gen_w = {56'd0, f_seq};
        F_STATUS:  gen_w = {56'd0, r_status};
        F_BOOT:    gen_w = {32'd0, boot_id};
        F_PULSES:  gen_w = {8'd0, pulses};
        F_INFER:   gen_w = {24'd0, infer};
        F_NSEED:   gen_w = nseed;
        F_NETL:    gen_w = {60'd0, net_l};
        F_SHIN:    gen_w = {48'd0, shape_in};
        F_SHOUT:   gen_w = {48'd0, shape_out};
        F_SHALL:   gen_w = {48'd0, shape_all};
        F_TILES:   gen_w = TILES;
        F_RVB:     gen_w = {48'd0, rv_b};
        F_FLAGS:   gen_w = {63'd0, rv_flags};
        F_CHANGED: gen_w = {{(63 - OPW){1'b0}}, op_changed};
        F_FCODE:   gen_w = {62'd0, r_fcode};
        F_FLEN:    gen_w = {32'd0, f_len};
        F_LAST4:   gen_w = {32'd0, f_last4};
        F_RXCRC:   gen_w = {32'd0, hdr[3], hdr[2], hdr[1], hdr[0]};  // (S_CHECK put rx_crc there)
        F_PLEN:    gen_w = {{(63 - RXA){1'b0}}, plen_n};
        F_WANT:    gen_w = {{(64 - WANTW){1'b0}}, r_want};
        F_OFF:     gen_w = {{(63 - RXA){1'b0}}, e_off};
        F_SIGN:    gen_w = {32'd0, {32{e_sign}}};       // (i32 fields: bytes 0 … 3)
        F_LO:      gen_w = {32'd0, {14{e_lo[17]}}, e_lo};
        F_HI:      gen_w = {32'd0, {14{e_hi[17]}}, e_hi};
        F_BMAX:    gen_w = {32'd0, run_bmax};
        default:   gen_w = 64'd0;
        endcase
        gen_fb = gen_f == F_INFO ? info_byte({25'd0, gq} - 32'd7) : gen_w[8 * gen_b +: 8];
    end

    // ---- the memories' ports: one address per memory and cycle ----
    // RUN reads a group of M cells a cycle (S_RUN_MA)
    wire        ma_issue = state == S_RUN_MA && rv_r < rv_rows &&
                           (SERIAL_MAC == 0 || (!mp_valid && sm_last));
    // … and the cycle its output's last block goes to the ADC (S_RUN_MA below)
    wire        ma_last_go = state == S_RUN_MA && !ma_issue && !mp_valid && mac_idle && rv_nd &&
                             adc_ready && ac_ready &&
                             {26'd0, rv_rb} + 32'd1 == {26'd0, rl_nrb};
    wire        cell_rd = state == S_CELL && op_i != op_n;          // a cell's stored pair
    wire        cell_wr = state == S_PR_WAIT && pr_valid && pr_sel;  // programmed
    wire [15:0] cell_g = g_q[16 * cl_bank +: 16];                   // … read (S_CELL_RD)
    // the erase (S_ER_CELL): the cell's erased state, written when its stuck classes come
    wire        er_wr = state == S_ER_CELL && er_qa && dm_valid;
    assign g_wd = er_wr ? {dm_stuck_p == 2'd2 ? 8'd255 : 8'd0, dm_stuck_n == 2'd2 ? 8'd255 : 8'd0} :
                          {gp_new, gn_new};
    integer     bk;
    always @* begin
        g_rd = ma_issue || cell_rd;
        g_addr = ma_issue ? rv_addr_w[GA-1:0] : cell_wr ? cl_addr :
                 er_wr ? er_base + {{(GA - CA){1'b0}}, cl_c[CA-1:0]} : el_addr;
        for (bk = 0; bk < M; bk = bk + 1)
            g_we[bk] = (cell_wr && cl_bank32 == bk) || (er_wr && er_b32 == bk);
        // dirty bits: set when a cell of the tile row is programmed, read and cleared by the
        // erase (cl_t, cl_r: the programmed cell, or the row being erased)
        d_re = state == S_ER_ROW;
        d_ra = cl_vrow_w[TRA-1:0];
        d_we = cell_wr || (er_wr && {24'd0, cl_c} + 32'd1 == COLS);
        d_wa = cl_vrow_w[TRA-1:0];
        d_wd = cell_wr;
        // layer inputs: RUN's groups read them; layer 0's are copied from the request
        // (S_RUN_X0), every layer's outputs written (ow_v, beside the next output's MACs)
        a_re = ma_issue;
        a_ra = {ab_src, rv_aword_w[ABA-2:0]};
        a_wa = state == S_RUN_X0 ? {1'b1, x0_word_w[ABA-2:0]} : {!ab_src, out_word_w[ABA-2:0]};
        a_wd = state == S_RUN_X0 ? rb_q : rv_a;
        for (bk = 0; bk < M; bk = bk + 1)
            a_we[bk] = (state == S_RUN_X0 && rv_xn != x0_end && x0_bank_w == bk) ||
                       (ow_v && !ow_step && ac_ready && out_bank_w == bk);
        // ADC settings: cleared (RESET, power-up), set (SET_ADC), read for a block (RUN);
        // ADC errors: cleared at power-up, written when computed
        s_we = (state == S_CLEAR && clr_i < TCOLS) || state == S_ADC_WR;
        s_wa = state == S_CLEAR ? clr_i[AA-1:0] : adc_a;
        s_wd = state == S_CLEAR ? {8'd1, 5'd0, 12'd0} : {adc_gainb, adc_shb[4:0], adc_offw[11:0]};
        e_we = (state == S_CLEAR && clr_i < TCOLS && !r_remember) ||
               (state == S_RUN_QE && !e_q[22] && rv_qa && dm_valid);
        e_wa = state == S_CLEAR ? clr_i[AA-1:0] : rv_adc;
        e_wd = state == S_CLEAR ? 23'd0 : {1'b1, dm_eg, dm_eo};
        // counters: cleared a byte a cycle (power-up: all, RESET: tile_pulses, bytes 40 …),
        // added to by the add unit (S_CNT), read a byte at a time for a STATUS reply (S_GEN)
        c_we = (state == S_CLEAR && clr_32 < CNT_N && (!r_remember || clr_32 >= 40)) ||
               (state == S_CNT && cnt_k != 3'd0);
        c_wa = state == S_CLEAR ? clr_i[CNA-1:0] : {cnt_w, cnt_k[1:0] - 2'd1};
        c_wd = state == S_CLEAR ? 8'd0 : cnt_sum[7:0];
        c_re = (state == S_CNT && cnt_k != 3'd4) || (state == S_GEN && gen_cnt && !gen_rd_done);
        c_ra = state == S_CNT ? {cnt_w, cnt_k[1:0]} : gen_cnt_w[CNA-1:0];
    end
    assign se_re = state == S_RUN_QW;
    // lay_mem: the layers' words at {layer, k} (0 … 31), written by CONFIGURE's committing
    // walk as its fields pass (every one does: the checking walk passed them) — word 0 at ash
    // (act, bias, amul, ash are in win by then), n_in, n_out, tiles — and read by RUN
    // (S_RUN_LD); then c_used (32 + t): cleared a tile a cycle when a CONFIGURE starts, read
    // when a tile entry passes its range (CF_TILE), written with its offset + 1 the cycle
    // after (CF_USED)
    localparam [LYA-1:0] CU_BASE = 32;
    always @* begin
        ly_we = state == S_CFG &&
                ((ci_commit && ci_l != c_l &&
                  (ci_f == 4'd4 || ci_f == 4'd6 || ci_f == 4'd7 || ci_f == 4'd8)) ||
                 ci_f == CF_USED || ci_f == CF_CLR);
        // (fields 4, 6, 7, 8: words 0, 1, 2, 3)
        ly_wa = {{(LYA - 5){1'b0}}, li, ci_f == 4'd4 ? 2'd0 : ci_f[1:0] - 2'd1};
        case (ci_f)
        4'd4: ly_wd = {2'd0, win[0][0], win[1][0], win[3][3:0], win[2]};
        4'd6: ly_wd = {3'd0, cfg_nin[12:0]};
        4'd7: ly_wd = {3'd0, win_w6[12:0]};
        4'd8: ly_wd = {8'd0, win_w8[7:0]};
        CF_USED: ly_wd = po32[15:0] + 16'd1;            // (a tile entry's offset < 2^16)
        default: ly_wd = 16'd0;                     // (CF_CLR)
        endcase
        if (ci_f == CF_USED)
            ly_wa = CU_BASE + {{(LYA - TA){1'b0}}, cfg_ti};
        else if (ci_f == CF_CLR)
            ly_wa = CU_BASE + clr_i[LYA-1:0];
        ly_re = (state == S_RUN_LD && ly_k != 3'd4) || (state == S_CFG && ci_f == CF_TILE);
        ly_ra = state == S_CFG ? CU_BASE + {{(LYA - TA){1'b0}}, cfg_ti} :
                                 {{(LYA - 5){1'b0}}, rv_l, ly_k[1:0]};
    end
    assign cu_q = ly_q;
    xp_ram_dp #(.W(16), .DEPTH(LYD)) lay_mem (
        .clk(clk), .we(ly_we), .wa(ly_wa), .wd(ly_wd), .wm(16'hFFFF),
        .re(ly_re), .ra(ly_ra), .q(ly_q));

    // the request buffer: written as the frame arrives (S_RX); read by a fetch (S_FETCH) and by
    // the loops that stream the request a byte a cycle: the byte at po + 1 while the one at po
    // is checked (S_CODE_CK, S_RUN_XCK) or copied (S_RUN_X0), a vector's first input in S_RUN_V
    always @* begin
        rb_we = rx_on && dec_tvalid && dec_tready && rx_n < RXCAP[RXA:0];
        rb_wa = rx_n[RXA-1:0];
        rb_re = (state == S_FETCH && f_k != f_n) || state == S_CODE_CK || state == S_RUN_XCK ||
                state == S_RUN_V || state == S_SP_V || (state == S_RUN_X0 && rv_xn != x0_end) ||
                (state == S_GEN && gen_rx && !gen_rd_done);
        rb_ra = state == S_GEN ? e_off[RXA-1:0] +
                                 {{(RXA - 2){1'b0}}, r_idx == gen_vpos ? 2'd2 : 2'd3} :
                po[RXA-1:0] + {{(RXA - 4){1'b0}},
                               state == S_FETCH ? f_k + 4'd2 :
                               state == S_RUN_V || state == S_SP_V ? 4'd2 : 4'd3};
    end
    xp_ram_dp #(.W(8), .DEPTH(RXCAP)) rxbuf (
        .clk(clk), .we(rb_we), .wa(rb_wa), .wd(dec_tdata), .wm(8'hFF),
        .re(rb_re), .ra(rb_ra), .q(rb_q));
    xp_ram_dp #(.W(25), .DEPTH(TCOLS)) adc_set (
        .clk(clk), .we(s_we), .wa(s_wa), .wd(s_wd), .wm({25{1'b1}}),
        .re(se_re), .ra(rv_adc), .q(s_q));
    // STREAM_RUN: layer 0's S so far of every output after the speculative blocks (read at a
    // conversion's start, written when a speculative one's code comes)
    generate
        if (STREAM_RUN != 0) begin : g_smem
            xp_ram_dp #(.W(16), .DEPTH(MAX_WIDTH)) s_mem (
                .clk(clk), .we(adc_valid && sp_on), .wa(cv_j[$clog2(MAX_WIDTH)-1:0]),
                .wd(rv_snext), .wm(16'hFFFF), .re(adc_go), .ra(cv_j[$clog2(MAX_WIDTH)-1:0]),
                .q(sm_q));
        end else begin : g_no_smem
            assign sm_q = 16'sd0;
        end
    endgenerate
    xp_ram_dp #(.W(23), .DEPTH(TCOLS)) adc_err (
        .clk(clk), .we(e_we), .wa(e_wa), .wd(e_wd), .wm({23{1'b1}}),
        .re(se_re), .ra(rv_adc), .q(e_q));

    // the reply memory: writes one cycle after their request (tw_*), reads registered —
    // a prewritten payload byte in S_GEN, the reply's bytes in S_RD
    assign t_re = (state == S_GEN && gen_pre && !gen_rd_done) || state == S_RD;
    assign t_ra = state == S_RD ? (out_err ? EBASE + {{(TXB - 5){1'b0}}, out_idx[4:0]} :
                                                   {{(TXB - TXA){1'b0}}, out_idx}) :
                                  {{(TXB - TXA){1'b0}}, r_idx};
    xp_ram_dp #(.W(8), .DEPTH(TXD)) txbuf (
        .clk(clk), .we(tw_en), .wa(tw_a), .wd(tw_d), .wm(8'hFF),
        .re(t_re), .ra(t_ra), .q(t_q));
    // the counters of §3.4, a byte a word (CNT_N bytes: frames_ok, duplicates, nacks,
    // tile_pulses, each u32 little-endian)
    xp_ram_dp #(.W(8), .DEPTH(CNT_N)) cnt_mem (
        .clk(clk), .we(c_we), .wa(c_wa), .wd(c_wd), .wm(8'hFF),
        .re(c_re), .ra(c_ra), .q(c_q));

    // RESET's boot id step, bit-serial (no multiplier, no 32-bit adder): boot_id · LCG_A +
    // LCG_C mod 2^32, a bit of it a cycle from the LSB (bi_n), while S_CLEAR runs. boot_id
    // shifts right: its bit j enters the window bi_w (then bi_win[i] is bit j − i, 0 below
    // bit 0); the result's bit j is the sum of the window's bits at LCG_A's ones (ten), LCG_C's
    // bit j and the carry (bi_c ≤ 10), mod 2, and enters boot_id's top, so boot_id holds the
    // new id after 32 cycles
    localparam [20:0] LCG_A = 21'd1664525;
    localparam [31:0] LCG_C = 32'd1013904223;
    reg         bi_busy;
    reg  [4:0]  bi_n;
    reg  [19:0] bi_w;
    reg  [3:0]  bi_c;
    wire [20:0] bi_win = {bi_w, boot_id[0]};
    reg  [4:0]  bi_sum;             // ≤ 10 + 10 + 1
    integer     bj;
    always @* begin
        bi_sum = {1'b0, bi_c} + {4'd0, LCG_C[bi_n]};
        for (bj = 0; bj < 21; bj = bj + 1)
            if (LCG_A[bj])
                bi_sum = bi_sum + {4'd0, bi_win[bj]};
    end

    always @(posedge clk) begin
        rx_crc_clear <= 1'b0;
        rx_crc_valid <= 1'b0;
        tx_crc_clear <= 1'b0;
        tx_crc_valid <= 1'b0;
        dm_req <= 1'b0;
        pr_req <= 1'b0;
        adc_go <= 1'b0;
        tw_en <= 1'b0;
        // frame reception, a byte a cycle: in S_RX, and (STREAM_RUN) beside a RUN's first
        // layer run speculatively while the request arrives (S_RX below)
        if (rx_on) begin
            dec_tready <= 1'b1;
            if (dec_tvalid && dec_tready) begin
                if (rx_n < RXCAP[RXA:0])                   // (rxbuf: the port above)
                    rx_n <= rx_n + 1'b1;
                if (rx_n >= 2 && rx_n < HDR + 2)
                    hdr[rx_n[3:0] - 4'd2] <= dec_tdata;
                if (rx_n == 0)
                    f_cmd <= dec_tdata;
                if (rx_n == 1)
                    f_seq <= dec_tdata;
                f_last4 <= {dec_tdata, f_last4[31:8]};
                if (rx_n >= 4 && rx_n < RXCAP[RXA:0]) begin  // the byte leaving the window
                    rx_crc_byte <= f_last4[7:0];
                    rx_crc_valid <= 1'b1;
                end
            end
            if (frame_end) begin
                dec_tready <= 1'b0;
                rx_on <= 1'b0;
            end
        end
        case (state)
        S_RX: begin
            // the frame's end: its checks (once a speculative block is finished: its states
            // come back here); before it, a RUN request's next row block of layer 0 whose
            // inputs have all arrived is run (STREAM_RUN, below), the last block excepted
            if (!rx_on) begin
                state <= S_CHECK;
            end else if (STREAM_RUN != 0 && f_cmd == CMD_RUN && net_l != 4'd0 && sp_go) begin
                if (!sp_ld) begin                          // layer 0's words first
                    sp_ld <= 1'b1;
                    rv_l <= 0;
                    rv_tbase <= 0;
                    ab_src <= 1'b1;                        // (layer 0 reads half 1)
                    rd_mode <= 1'b1;
                    rv_i <= 16'd0;                         // (vector 0's inference index)
                    ly_k <= 3'd0;
                    ly_ret <= S_RX;
                    state <= S_RUN_LD;
                end else if ({26'd0, sp_rb} + 32'd1 < {26'd0, rl_nrb}) begin
                    sp_on_r <= 1'b1;                       // block sp_rb: its inputs copied,
                    rv_rb <= sp_rb;                        // then every output's column of it
                    rv_xn <= sp_xn;
                    po <= sp_xn_w[RXA:0] + 3;
                    state <= S_SP_V;
                end
            end
        end
        S_SP_V: begin
            // a speculative block's first input is read (the port reads in S_SP_V): copied
            state <= S_RUN_X0;
        end
        S_SP_J: begin
            // a speculative block's next output column; after the last, once its code is in
            // s_mem, back to the reception
            if (rv_j == rl_nout) begin
                if (adc_ready && !adc_go) begin            // (its last code is in s_mem)
                    sp_rb_r <= sp_rb + 6'd1;
                    sp_on_r <= 1'b0;
                    state <= S_RX;
                end
            end else begin
                block_start;
            end
        end
        S_CHECK: begin
            // §2.4: the first that applies
            r_remember <= 1'b0;
            r_pre_from <= 0;
            r_status <= ST_FRAME;
            r_plen <= 5;
            state <= S_GEN;
            if (f_len > RXCAP) begin
                r_fcode <= 2'd3;
            end else if (f_incomplete) begin
                r_fcode <= 2'd1;
            end else if (f_len < 6) begin
                r_fcode <= 2'd2;
            end else if (f_last4 != rx_crc) begin
                r_status <= ST_CRC;
                r_plen <= 8;
                hdr[0] <= rx_crc[7:0];                     // (the reply's; the unit's is next)
                hdr[1] <= rx_crc[15:8];
                hdr[2] <= rx_crc[23:16];
                hdr[3] <= rx_crc[31:24];
            end else begin
                cnt_add(0, 1, S_EXEC);                     // frames_ok += 1 (S_CNT), then run
                cnt_dup <= 1'b0;
`ifdef XP_MUTANT_DUP_SEQ
                if (have_last && f_seq == last_seq) begin  // mutant (make cosim): seq alone
`else
                if (have_last && f_seq == last_seq && f_cmd == last_cmd && f_len[RXA:0] == last_len &&
                    f_last4 == last_crc) begin
`endif
                    cnt_dup <= 1'b1;                       // and duplicates, then re-send
                    cnt_ret <= S_RD;
                    out_len <= last_txlen;
                    out_idx <= 0;
                    out_err <= 1'b0;
                end else begin
                    have_last <= 1'b1;
                    last_seq <= f_seq;
                    last_cmd <= f_cmd;
                    last_len <= f_len[RXA:0];
                    last_crc <= f_last4;
                end
            end
        end
        S_EXEC: begin
            r_remember <= 1'b1;
            reply(ST_OK, 0);
            po <= 0;
            op_i <= 0;
            op_rr <= 0;
            op_cc <= 0;
            op_changed <= 0;
            rd_mode <= f_cmd == CMD_RUN;
            dm_column <= 1'b0;
            case (f_cmd)
            CMD_INFO, CMD_STATUS, CMD_RESET: begin
                if (plen_req != 0) begin
                    err_len(0);
                end else if (f_cmd == CMD_INFO) begin
                    r_plen <= 44;
                end else if (f_cmd == CMD_STATUS) begin
                    r_plen <= STATUS_LEN[TXA-1:0];
                end else begin                             // RESET: numerics §3
                    bi_busy <= 1'b1;                       // the boot id's LCG (below)
                    bi_n <= 5'd0;
                    bi_w <= 20'd0;
                    bi_c <= 4'd0;
                    clr_i <= 0;
                    state <= S_CLEAR;
                end
            end
            CMD_SEED: begin
                if (plen_req != 8) begin
                    err_len(8);
                end else begin
                    nseed <= {hdr[7], hdr[6], hdr[5], hdr[4], hdr[3], hdr[2], hdr[1], hdr[0]};
                    pulses <= 56'd0;
                    infer <= 40'd0;
                end
            end
            CMD_CONFIGURE: begin
                ci_l <= 0;
                ci_f <= CF_CLR;                            // c_used cleared first
                clr_i <= 0;
                ci_commit <= 1'b0;
                ci_nall <= 0;
                ci_tbase <= 0;
                state <= S_CFG;
            end
            CMD_SET_ADC, CMD_WRITE_CELLS, CMD_READ_CELLS, CMD_WRITE_LIST, CMD_RUN: begin
                // the fixed fields (the checks: S_XCK, one a cycle)
                op_n <= {{(OPW - 16){1'b0}}, pw(2)};      // (the cell commands: S_XCK)
                // rows · cols, or B · n_in (the multiplier, below)
                mu_p <= {MUW{1'b0}};
                if (f_cmd == CMD_RUN) begin
                    mu_a <= {{(MUW - 13){1'b0}}, shape_in[12:0]};
                    mu_b <= w_p0[MUB-1:0];
                end else if (f_cmd == CMD_WRITE_CELLS || f_cmd == CMD_READ_CELLS) begin
                    mu_a <= {{(MUW - RB){1'b0}}, w_p6[RB-1:0]};
                    mu_b <= w_p8[MUB-1:0];
                end else begin
                    mu_b <= {MUB{1'b0}};
                end
                op_mode <= f_cmd == CMD_READ_CELLS ? M_READ :
                           f_cmd == CMD_WRITE_LIST ? M_WLIST : M_WCELLS;
                rv_flags <= b_p2[0];
                xk_i <= 3'd0;
                state <= S_XCK;
            end
            default: reply(ST_CMD, 0);
            endcase
        end
        S_XCK: begin
            // the command's checks of §4 in order, one a cycle (xk_*, below), then on; first
            // the product (the multiplier, below)
            if (mu_b != {MUB{1'b0}}) begin
                // (waiting)
            end else if (xk_fail) begin
                case (xk_kind)
                XK_LMIN, XK_LEQ: err_len({{(32 - WANTW){1'b0}}, xk_x});
                XK_STATE: reply(ST_STATE, 0);
                XK_BATCH: err_field(ST_BATCH, 8, 0, 0, VK_U16, LH_XK);  // (Bmax: F_BMAX)
                // rows > max_reply / (2·cols) ⟺ 2·rows·cols > max_reply: the limit it reports
                // is counted out (S_DIV) only then
                XK_RC: quotient(1'b1);
                default: err_range(0, xk_k, xk_vk, LH_XK);
                endcase
            end else if (xk_kind == XK_STATE) begin
                // RUN's Bmax, for the batch's check next (S_DIV goes on to it)
                quotient(1'b0);
            end else if (!xk_last) begin
                xk_i <= xk_i + 3'd1;
            end else begin
                case (f_cmd)
                CMD_SET_ADC: begin
                    po <= 6;                               // the first column's fields
                    fetch(4, S_ADC_CK);
                end
                CMD_READ_CELLS: begin
                    op_n <= {{(OPW - RB - CB){1'b0}}, op_n2};
                    rv_o <= 7;                             // (the pairs' first byte)
                    state <= S_CELL;
                end
                CMD_WRITE_CELLS: begin
                    op_n <= {{(OPW - RB - CB){1'b0}}, op_n2};
                    po <= 10;                              // the first code
                    fetch(1, S_CODE_CK);
                end
                CMD_WRITE_LIST: begin
                    po <= 4;                               // the first record
                    fetch(6, S_LIST_CK);
                end
                default: begin                             // RUN
                    po <= 3;                               // the first input code
                    if (DAC_BITS < 8)
                        fetch(1, S_RUN_XCK);
                    else
                        state <= S_RUN_XCK;
                end
                endcase
            end
        end
        S_RUN_XCK: begin
            // every input code, in order, ≤ XMAX (nothing to check with 8 DAC bits): the one at
            // po is in rb_q (the port reads the next); the codes end at the payload's end (its
            // length 3 + B·n_in was checked). Then the reply's header: B, flags, n0
            if (DAC_BITS < 8 && po32 < plen_req) begin
                /* verilator lint_off CMPCONST */ // constant with 8 DAC bits (not reached)
                if (rb_q > XMAX)
                /* verilator lint_on CMPCONST */
                    err_range(1, 0, VK_U8, LH_XMAX);
                else
                    po <= po + 1;
            end else begin
                rv_o <= 18;
                rv_i <= 0;                                // (vector 0's inference index: N)
                po <= sp_xn_w[RXA:0] + 3;                 // vector 0's first input not
                                                          // copied yet (STREAM_RUN: sp_xn)
                state <= S_RUN_V;
            end
        end
        S_RUN_V: begin
            // the next vector: layer 0 from the request (its first input at po: the port
            // reads it), inference index N + i
            if (rv_i == rv_b) begin
                r_pre_from <= 18;                         // (N + B: after the reply, S_CRC)
                reply(ST_OK, rv_o - 7);      // 11 + 2·B·K: rv_o is 18 + 2·B·K
            end else begin
                rv_l <= 0;
                rv_tbase <= 0;
                ab_src <= 1'b1;                           // layer 0 reads half 1
                rv_j <= 0;
                rv_xn <= rv_i == 0 ? sp_xn : 13'd0;
                rv_s <= 16'sd0;
                ly_k <= 3'd0;                             // layer 0's words, then its inputs
                ly_ret <= S_RUN_X0;                       // (rb_q holds the first: the
                state <= S_RUN_LD;                        // port reads in S_RUN_V only)
            end
        end
        S_RUN_X0: begin
            // the vector's inputs into the input banks, one a cycle (the memory ports above:
            // the one at po, read the cycle before, is written while the next is read)
            if (rv_xn == x0_end) begin                    // (layer 0's, loaded)
                rv_j <= 0;                                // (S_RUN_V cleared it for the RUN)
                state <= sp_on ? S_SP_J : S_RUN_J;
            end else begin
                rv_xn <= rv_xn + 1'b1;
                po <= po + 1;
            end
        end
        S_RUN_J: begin
            // the next output of the layer: its first row block
            if (rv_j == rl_nout) begin
                if (ow_last || ow_v) begin
                    // the layer's last output is converted and written first (the next
                    // layer reads it)
                end else if ({1'b0, rv_l} + 4'd1 == net_l) begin
                    rv_i <= rv_i + 1'b1;
                    state <= S_RUN_V;
                end else begin
                    rv_tbase <= rv_tbase + ly_ntiles;
                    rv_l <= rv_l + 1'b1;
                    ab_src <= !ab_src;
                    rv_j <= 0;
                    ly_k <= 3'd0;                          // the next layer's words
                    ly_ret <= S_RUN_J;
                    state <= S_RUN_LD;
                end
            end else begin
                // (vector 0's layer 0 after a speculation: at its first block not run)
                rv_rb <= rv_l == 3'd0 && rv_i == 16'd0 ? sp_rb : 6'd0;
                block_start;
            end
        end
        S_RUN_LD: begin
            // layer rv_l's four words from lay_mem (the port reads word ly_k, taken the cycle
            // after), then on to ly_ret
            case (ly_k)
            3'd1: begin
                ly_act <= ly_q[13];
                ly_bias <= ly_q[12];
                ly_ash <= ly_q[11:8];
                ly_amul <= ly_q[7:0];
            end
            3'd2: ly_nin <= ly_q[12:0];
            3'd3: ly_nout <= ly_q[12:0];
            3'd4: ly_ntiles <= ly_q[7:0];
            default: ;
            endcase
            ly_k <= ly_k + 3'd1;
            if (ly_k == 3'd4)
                state <= ly_ret;
        end
        S_RUN_QW: begin
            // a block's tile column: its ADC settings and errors are read (the memory ports
            // above); the read noise of this inference is drawn meanwhile (below)
            cl_t <= rv_t;
            cl_c <= rv_cc[7:0];
            rv_r <= 0;
            rv_acc <= 0;                                   // (the ADC took the last sum)
            rv_rows <= rv_left > ROWS ? ROWS : rv_left[10:0];
            mp_valid <= 1'b0;
            dm_column <= 1'b1;
            state <= S_RUN_QE;
        end
        S_RUN_QE: begin
            // the column's ADC errors: computed on first use, then kept
            if (e_q[22]) begin
                rv_eg <= e_q[21:11];
                rv_eo <= e_q[10:0];
                state <= S_RUN_MA;
            end else if (!rv_qa) begin
                if (dm_req && dm_ready)
                    rv_qa <= 1'b1;
                else
                    dm_req <= 1'b1;
            end else if (dm_valid) begin
                rv_eg <= dm_eg;
                rv_eo <= dm_eo;
                state <= S_RUN_MA;
            end
        end
        S_RUN_MA: begin
            // M MACs a cycle: the group read last cycle is accumulated while the next group
            // is read (every cell holds its conductances or its erased state)
            if (mac_acc)
                rv_acc <= rv_acc + mac_add;
            if (SERIAL_MAC != 0) begin
                if (mp_valid) begin
                    sm_x <= mp_al[0] ? mp_xl[0] : 8'd0;
                    sm_d <= {{9{1'b0}}, mp_g[0][15:8]} - {{9{1'b0}}, mp_g[0][7:0]};
                end else begin
                    sm_x <= sm_x >> 1;
                    sm_d <= sm_d <<< 1;
                end
            end
            if (ma_issue) begin                            // the banks read the group
                mp_al <= ln_act;
                mp_bl <= ln_bias;
                mp_valid <= 1'b1;
                rv_r <= rv_r + M11;
            end else begin
                mp_valid <= 1'b0;
                if (!mp_valid && mac_idle && rv_nd && adc_ready && ac_ready) begin
                    // all accumulated, noise drawn, the last block's conversion and the last
                    // activation done: the ADC takes rv_acc, the noise and the settings next
                    // cycle; the next block starts meanwhile (its sum is cleared in
                    // S_RUN_QW), its code is added to S when it comes (below)
                    adc_go <= 1'b1;
                    cv_j <= rv_j;
`ifdef XP_MUTANT_SPEC_S
                    cv_q <= sp_on && rv_rb != 6'd0;        // mutant (make cosim): the RUN
                                                           // forgets the speculative blocks' S
`else
                    cv_q <= sp_on ? rv_rb != 6'd0 :
                            rv_l == 3'd0 && rv_i == 16'd0 && sp_rb != 6'd0 && rv_rb == sp_rb;
`endif
                    if (sp_on) begin                       // (never the layer's last block)
                        rv_j <= rv_j + 1'b1;
                        state <= S_SP_J;
                    end else if ({26'd0, rv_rb} + 32'd1 == {26'd0, rl_nrb}) begin
                        ow_last <= 1'b1;                   // the output's last: written when
                        ow_pj <= rv_j;                     // it comes (below); the next
                                                           // output starts meanwhile
`ifdef XP_COVER
                        ow_pmulti <= rv_rb != 0;
`endif
                        rv_j <= rv_j + 1'b1;
                        state <= S_RUN_J;
                    end else begin
                        rv_rb <= rv_rb + 1'b1;
                        rv_qa <= 1'b0;
                        rv_na <= 1'b0;
                        rv_nd <= 1'b0;
                        state <= S_RUN_QW;
                    end
                end
            end
        end
        S_CLEAR: begin
            // RESET and power-up (numerics §3): an ADC column and a counter byte per cycle (the
            // memory ports above; at power-up the ADC errors and all counters, at RESET
            // tile_pulses only); the configuration at once; then the conductances (S_ER_*)
            clr_i <= clr_i + 1'b1;
            dm_column <= 1'b0;
            nseed <= 64'd0;
            pulses <= 56'd0;
            infer <= 40'd0;
            net_l <= 4'd0;
            if (clr_32 == CLR_N - 1) begin
                cl_t <= 8'd0;
                cl_r <= 10'd0;
                er_b <= 0;
                er_base <= 0;
                state <= S_ER_ROW;
            end
        end
        S_ER_ROW: begin
            // the erase, a tile row t·R + r (cl_t, cl_r) at a time: its dirty bit is read
            // (the port above)
            state <= S_ER_CHK;
        end
        S_ER_CHK: begin
            // a row written since the last erase (at power-up: every row) has each of its
            // cells' erased state computed (the stuck classes: one draw) and written
            cl_c <= 8'd0;
            er_qa <= 1'b0;
            if (d_q || !r_remember)
                state <= S_ER_CELL;
            else
                er_next_row;
        end
        S_ER_CELL: begin
            if (!er_qa) begin
                if (dm_req && dm_ready)
                    er_qa <= 1'b1;
                else
                    dm_req <= 1'b1;
            end else if (dm_valid) begin                   // written (the port above)
                er_qa <= 1'b0;
                if ({24'd0, cl_c} + 32'd1 == COLS)
                    er_next_row;
                else
                    cl_c <= cl_c + 1'b1;
            end
        end
        S_CFG: begin
            // CONFIGURE, one field a cycle (§4.5): its length, then its range, by one check
            // (cf_*): a layer's act, bias, amul, ash, n_in (= the layer before's n_out, then its
            // range), n_out, tiles (= NEED), then each tile entry (its range, then — a cycle
            // later, CF_USED — its earlier use). The checking walk (ci_commit 0) reads the layer
            // being parsed from win (cur_*); the committing walk (ci_commit 1) meets the same
            // fields and passes the same checks (the conflict check aside: c_used is filled),
            // and writes them into the network (lay_mem, net_tiles)
            if (ci_f == CF_CLR) begin
                // (c_used cleared, a tile a cycle: the port below; first, before c_l, the
                // layers of the payload, is read)
                clr_i <= clr_i + 1'b1;
                if ({{(32 - CLR_A){1'b0}}, clr_i} == TILES - 1)
                    ci_f <= 4'd0;
            end else if (ci_l == 0 && ci_f == 0) begin     // L
                if (plen_req < 1)
                    err_len(1);
                else if (pb(0) < 1 || pb(0) > 8)
                    err_range(0, 0, VK_U8, LH_L);
                else begin
                    c_l <= b_p0[3:0];
                    po <= 1;
                    ci_f <= 1;
                    fetch(10, S_CFG);                      // layer 0's fields
                end
            end else if (ci_l == c_l) begin                // after the last layer
                if (po32 != plen_req) begin
                    err_len_po(0);
                end else if (!ci_commit) begin             // all passed: walk again, writing
                    ci_commit <= 1'b1;
                    ci_l <= 0;
                    ci_f <= 1;
                    ci_nall <= 0;
                    ci_tbase <= 0;
                    po <= 1;
                    fetch(10, S_CFG);
                end else begin
                    net_l <= c_l;
                    net_nall <= ci_nall;
                    reply(ST_OK, 6);
                end
            end else if (ci_f == CF_TILE && ci_ti == cur_ntiles) begin
                // the layer's tile list is done: the next layer's fields, or the end
                ci_nall <= ci_nall + {3'd0, cur_nout};
                ci_tbase <= ci_tbase + cur_ntiles[7:0];
                prev_nout <= cur_nout;
                ci_l <= ci_l + 1'b1;
                ci_f <= 4'd1;
                if (ci_l + 1'b1 != c_l)
                    fetch(10, S_CFG);
            end else if (ci_f == CF_USED) begin
                // a tile entry in range: its earlier use (cu_q, read last cycle), then it is
                // the layer's
                if (!ci_commit && cu_q != 16'd0) begin
                    err_field(ST_CONFLICT, 8, 1, 0, VK_U16, LH_CONFL);
                    r_want <= {{(WANTW - 16){1'b0}}, cu_q - 16'd1};
                end else begin                             // (c_used: the port below)
                    ci_ti <= ci_ti + 1'b1;
                    po <= po + 2;
                    ci_f <= CF_TILE;
                    fetch(2, S_CFG);                       // the next tile entry
                end
            end else if (cf_short) begin                   // every field: its length, then
                err_len_po(cf_len);                        // its range (cf_*, below)
            end else if (cf_bad) begin
                err_range(1, cf_k, cf_vk, LH_CF);
            end else begin
                ci_f <= ci_f + 4'd1;
                case (ci_f)
                4'd6: if (ci_commit && ci_l == 0)
                    net_nin0 <= cfg_nin[12:0];
                4'd7: if (ci_commit)
                    net_nout <= win_w6[12:0];         // (the last layer's: the last)
                4'd8: begin
                    ci_ti <= 0;
                    po <= po + 10;
                    fetch(2, S_CFG);                 // the first tile entry
                end
                CF_TILE: if (ci_commit)                    // (its conflict check: CF_USED)
                    net_tiles[ct_idx[TA-1:0]] <= cfg_tile[7:0];
                default: ;
                endcase
            end
        end
        S_ADC_CK: begin
            // every column's shift and offset, in order, before anything is set: column op_i's
            // four bytes (at po = 6 + 4·op_i) are in win
            if (adc_shb > 31) begin
                err_range(1, 1, VK_U8, LH_SH);
            end else if ($signed(adc_offw) < -16'sd2048 || $signed(adc_offw) > 16'sd2047) begin
                err_range(1, 2, VK_I16, LH_OFF);
            end else if (op_i + 1 == {{(OPW - 16){1'b0}}, op_nc}) begin
                op_i <= 0;                                 // all pass: set them, from the first
                po <= 6;
                fetch(4, S_ADC_WR);
            end else begin
                op_i <= op_i + 1;
                po <= po + 4;
                fetch(4, S_ADC_CK);
            end
        end
        S_ADC_WR: begin
            // column op_i (in win) is written (the memory port above)
            if (op_i + 1 == {{(OPW - 16){1'b0}}, op_nc}) begin
                state <= S_GEN;
            end else begin
                op_i <= op_i + 1;
                po <= po + 4;
                fetch(4, S_ADC_WR);
            end
        end
        S_CODE_CK: begin
            // WRITE_CELLS: every code, in order, before anything is programmed: the one at po
            // is in rb_q (the port reads the next); the codes end at the payload's end (its
            // length 10 + 2·n was checked)
            if (po32 == plen_req) begin
                po <= 10;
                fetch(2, S_CELL);                          // the first cell's codes
            end else if ({24'd0, rb_q} > CMAX) begin
                err_range(1, 0, VK_U8, LH_CMAX);
            end else begin
                po <= po + 1;
            end
        end
        S_LIST_CK: begin
            // WRITE_LIST: every record, in order, before anything is programmed: record op_i
            // (at po = 4 + 6·op_i) is in win
            if (el_r >= ROWS) begin
                err_range(1, 0, VK_U16, LH_R);
            end else if (el_c >= COLS) begin
                err_range(1, 2, VK_U16, LH_C);
            end else if ({24'd0, el_kp} > CMAX) begin
                err_range(1, 4, VK_U8, LH_CMAX);
            end else if ({24'd0, el_km} > CMAX) begin
                err_range(1, 5, VK_U8, LH_CMAX);
            end else if (op_i + 1 == op_n) begin
                op_i <= 0;                                 // all pass: program them
                po <= 4;
                fetch(6, S_CELL);
            end else begin
                op_i <= op_i + 1;
                po <= po + 6;
                fetch(6, S_LIST_CK);
            end
        end
        S_CELL: begin
            // the next cell of the rectangle or list: read its stored pair
            if (op_i == op_n) begin
                if (op_mode == M_READ) begin
                    r_pre_from <= 7;
                    reply(ST_OK, op_n[TXA-1:0] * 2);
                end else begin
                    reply(ST_OK, 4);
                    // tile_pulses[t] += 2·n (S_CNT), then the reply
                    cnt_add(cnt_tile_w[CNW-1:0], {op_n, 1'b0}, S_GEN);
                end
            end else begin
                cl_t <= op_t[7:0];
                cl_r <= el_r[9:0];
                cl_c <= el_c[7:0];
                cl_kp <= el_kp[CODE_BITS-1:0];
                cl_km <= el_km[CODE_BITS-1:0];
                cl_addr <= el_addr;
                cl_bank <= el_bank;
                state <= S_CELL_RD;                        // the banks read it (above)
            end
        end
        S_CELL_RD: begin
            cl_old <= cell_g;
            if (op_mode == M_READ) begin
                tw_en <= 1'b1;                             // G+, then G- (S_CELL_B2), at
                tw_a <= {{(TXB - TXA){1'b0}}, rv_o};       // body bytes rv_o = 7 + 2·op_i
`ifdef XP_MUTANT_READ_SWAP
                tw_d <= cell_g[7:0];                       // mutant (make cosim): − first
`else
                tw_d <= cell_g[15:8];
`endif
                state <= S_CELL_B2;
            end else begin
                dm_req <= 1'b1;                            // stuck classes and variations
                state <= S_DM;
            end
        end
        S_DM: begin
            if (dm_ready && dm_req)
                state <= S_DM_WAIT;
            else
                dm_req <= 1'b1;
        end
        S_DM_WAIT: begin
            if (dm_valid) begin
                pr_sel <= 1'b0;
                pr_req <= 1'b1;
                state <= S_PR;
            end
        end
        S_PR: begin
            // the + device's draw at P, then the − device's at P + 1
            if (pr_req && pr_ready) begin
                state <= S_PR_WAIT;
            end else
                pr_req <= 1'b1;
        end
        S_PR_WAIT: begin
            if (pr_valid) begin
                if (!pr_sel) begin                         // the + draw: keep it, draw −
                    cl_gp <= g_new;
                    pr_sel <= 1'b1;
                    pr_req <= 1'b1;
                    state <= S_PR;
                end else begin                             // both drawn: program (above)
                    op_changed <= op_changed + {{OPW{1'b0}}, gp_new != cl_old[15:8]} +
                                  {{OPW{1'b0}}, gn_new != cl_old[7:0]};
                    pulses <= pulses + 56'd2;
                    state <= S_CELL_WR;
                end
            end
        end
        S_CELL_B2: begin
            tw_en <= 1'b1;
            tw_a <= {{(TXB - TXA){1'b0}}, rv_o + 1'b1};
            rv_o <= rv_o + 2;
`ifdef XP_MUTANT_READ_SWAP
            tw_d <= cl_old[15:8];                          // (the mutant's + second)
`else
            tw_d <= cl_old[7:0];                           // G− (cl_old: the pair just read)
`endif
            state <= S_CELL_WR;
        end
        S_CELL_WR: begin
            // the next element (WRITE_*: its record or codes into win first)
            op_i <= op_i + 1;
            if ({24'd0, op_cc} + 32'd1 == {16'd0, op_nc}) begin
                op_cc <= 0;
                op_rr <= op_rr + 1'b1;
            end else begin
                op_cc <= op_cc + 1'b1;
            end
            if (op_mode == M_READ || op_i + 1 == op_n) begin
                state <= S_CELL;
            end else if (op_mode == M_WLIST) begin
                po <= po + 6;
                fetch(6, S_CELL);
            end else begin
                po <= po + 2;
                fetch(2, S_CELL);
            end
        end
        S_CNT: begin
            // the add unit: byte cnt_k of word cnt_w is read, byte cnt_k − 1 (in c_q) written
            // as cnt_sum (the ports above)
            if (cnt_k != 3'd0) begin
                cnt_c <= cnt_sum[8];
                cnt_v <= cnt_v >> 8;
            end
            cnt_k <= cnt_k + 3'd1;
            if (cnt_k == 3'd4) begin
                if (cnt_dup) begin
                    cnt_dup <= 1'b0;
                    cnt_add(1, 1, cnt_ret);                // duplicates += 1
                end else begin
                    state <= cnt_ret;
                end
            end
        end
        S_DIV: begin
            // the next b, while it passes (q_more); then q_n is READ_CELLS' row limit, or RUN's
            // Bmax for the batch's check
            if (q_more) begin
                q_n <= q_n + 16'd1;
                q_a1 <= q_s1;
                q_a2 <= q_s2;
            end else if (q_rc) begin
                err_range(0, 6, VK_U16, LH_DV);
            end else begin
                xk_i <= xk_i + 3'd1;
                state <= S_XCK;
            end
        end
        S_FETCH: begin
            // f_n request bytes into win (the port reads byte f_k from po on, the cycle
            // before it lands), then back to f_ret
            if (f_k != 4'd0)
                win[f_k - 4'd1] <= rb_q;
            f_k <= f_k + 4'd1;
            if (f_k == f_n)
                state <= f_ret;
        end
        S_GEN: begin
            // header and payload, one byte a cycle (prewritten payloads, STATUS' counters and an
            // error's request field: two), into txbuf (a remembered reply from 0, an
            // unremembered one from TXCAP), through the CRC
            if (gen_rd && !gen_rd_done) begin
                gen_rd_done <= 1'b1;                       // the port reads it (t_re, c_re, rb_re)
            end else begin
                gen_rd_done <= 1'b0;
                if (gen_rx && e_vk == VK_I16)
                    e_sign <= rb_q[7];                     // (the high byte: the last read)
                if (r_idx == 0)
                    tx_crc_clear <= 1'b1;
                tx_crc_byte <= gen_byte;
                tx_crc_valid <= 1'b1;
                store_gen_byte;
                r_idx <= r_idx + 1'b1;
                if (r_idx + 1'b1 == body_len)
                    state <= S_CRC;
            end
        end
        S_CRC: begin
            // the CRC's four bytes, little-endian, after the CRC unit took the last byte
            if (r_crcn == 3'd0) begin
                r_crcn <= 3'd1;                            // wait one cycle for tx_crc
            end else begin
                store_gen_byte;
                r_idx <= r_idx + 1'b1;
                r_crcn <= r_crcn + 1'b1;
                if (r_crcn == 3'd4) begin
                    if (r_remember)
                        last_txlen <= r_idx + 1'b1;
                    if (r_status == ST_OK && f_cmd == CMD_RUN)
                        infer <= rn_n;                     // N + B (the reply's n0 was N)
                    out_len <= r_idx + 1'b1;
                    out_idx <= 0;
                    out_err <= !r_remember;
                    state <= S_RD;
                    if (r_status != ST_OK)                 // nacks[status] += 1, then send
                        cnt_add(cnt_nack_w[CNW-1:0], 1, S_RD);
                end
            end
        end
        S_RD: begin
            // (txbuf: the port reads it)
            enc_tvalid <= 1'b1;
            enc_tlast <= out_idx + 1'b1 == out_len;
            state <= S_OUT;
        end
        S_OUT: begin
            if (enc_tready) begin
                enc_tvalid <= 1'b0;
                out_idx <= out_idx + 1'b1;
                if (enc_tlast)
                    next_frame;
                else
                    state <= S_RD;
            end
        end
        default: state <= S_RX;
        endcase
        // RUN: every block's ADC code into S as it comes (a block's MACs overlap the
        // conversion of the one before); an output's last code completes its S, which is
        // written out over the next two cycles while the next output runs: its activation
        // (xp_act) into the next layer's inputs (the a_bank port above), and S (flag 1) or
        // the last layer's activation into the reply, a byte a cycle. The codes come in
        // order (one ADC), so S is cleared for the next output when it is written.
        if (adc_valid) begin
            if (!sp_on)                                    // (a speculative one: into s_mem)
                rv_s <= rv_snext;
            if (ow_last) begin
                ow_j <= ow_pj;
                ow_v <= 1'b1;
                ow_step <= 1'b0;
            end
        end
        if (adc_valid && ow_last && !ma_last_go)           // (unless the next is its last too)
            ow_last <= 1'b0;
        if (ow_v) begin
            if (!ow_step) begin
                if (!ac_ready) begin
                    // (the activation is being computed)
                end else if (rv_flags || {1'b0, rv_l} + 4'd1 == net_l) begin
                    tw_en <= 1'b1;
                    tw_a <= {{(TXB - TXA){1'b0}}, rv_o};
                    tw_d <= ow_raw ? rv_s[7:0] : rv_a;
                    ow_step <= 1'b1;
                end else begin
                    ow_v <= 1'b0;
                    rv_s <= 16'sd0;
                end
            end else begin
                tw_en <= 1'b1;
                tw_a <= {{(TXB - TXA){1'b0}}, rv_o + 1'b1};
                tw_d <= ow_raw ? rv_s[15:8] : 8'd0;
                rv_o <= rv_o + 2;
                ow_v <= 1'b0;
                ow_step <= 1'b0;
                rv_s <= 16'sd0;
            end
        end
        // the checks' multiplier: a bit of mu_b a cycle (S_EXEC loads it)
        if (mu_b != {MUB{1'b0}}) begin
            if (mu_b[0])
                mu_p <= mu_p + mu_a;
            mu_a <= mu_a << 1;
            mu_b <= mu_b >> 1;
        end
        // RESET: boot_id · LCG_A + LCG_C (protocol §3.3), a bit a cycle from the LSB while
        // S_CLEAR runs (CLR_N ≥ 34 cycles: above)
        if (bi_busy) begin
            boot_id <= {bi_sum[0], boot_id[31:1]};
            bi_w <= bi_win[19:0];
            bi_c <= bi_sum[4:1];
            bi_n <= bi_n + 5'd1;
            if (bi_n == 5'd31)
                bi_busy <= 1'b0;
        end
        // RUN: the block's read-noise draw, alongside the column query and the MACs
        if ((state == S_RUN_QW || state == S_RUN_QE || state == S_RUN_MA) &&
            !rv_nd) begin
            if (!rv_na) begin
                if (pr_req && pr_ready)
                    rv_na <= 1'b1;
                else
                    pr_req <= 1'b1;
            end else if (pr_valid) begin
                rv_noise <= rd_noise;
                rv_nd <= 1'b1;
            end
        end
        if (rst) begin
            mu_b <= {MUB{1'b0}};
            sm_x <= 8'd0;                                  // (SERIAL_MAC: no product pending)
            c_l <= 4'd0;                                   // (no payload's layers yet: a
                                                           // deterministic start for the tests)
            dec_tready <= 1'b0;
            enc_tvalid <= 1'b0;
            enc_tlast <= 1'b0;
            boot_id <= BOOT_ID;                            // (the counters: S_CLEAR)
            ow_last <= 1'b0;
            ow_v <= 1'b0;
            rv_s <= 16'sd0;                                // (a speculative block 0 adds its
                                                           // codes to it: 0 between RUNs)
            sp_on_r <= 1'b0;
            cv_q <= 1'b0;
            bi_busy <= 1'b0;
            cnt_dup <= 1'b0;                               // (no duplicate before a frame)
            have_last <= 1'b0;
            r_remember <= 1'b0;
            gen_rd_done <= 1'b0;
            clr_i <= 0;
            next_frame;
            rx_on <= 1'b0;
            state <= S_CLEAR;                              // erase first, then take frames
        end
    end
`ifdef XP_COVER
    // ---- coverage targets (tests/cosim/board_cov.mk: every point must be hit) ----
    wire cv_reply = state == S_GEN && r_idx == 0 && !gen_rd_done;
    c_ok_info: cover property (@(posedge clk) cv_reply && r_status == ST_OK && f_cmd == CMD_INFO);
    c_ok_status: cover property (@(posedge clk) cv_reply && r_status == ST_OK && f_cmd == CMD_STATUS);
    c_ok_reset: cover property (@(posedge clk) cv_reply && r_status == ST_OK && f_cmd == CMD_RESET);
    c_ok_set_seed: cover property (@(posedge clk) cv_reply && r_status == ST_OK && f_cmd == CMD_SEED);
    c_ok_configure: cover property (@(posedge clk) cv_reply && r_status == ST_OK && f_cmd == CMD_CONFIGURE);
    c_ok_set_adc: cover property (@(posedge clk) cv_reply && r_status == ST_OK && f_cmd == CMD_SET_ADC);
    c_ok_write_cells: cover property (@(posedge clk) cv_reply && r_status == ST_OK && f_cmd == CMD_WRITE_CELLS);
    c_ok_read_cells: cover property (@(posedge clk) cv_reply && r_status == ST_OK && f_cmd == CMD_READ_CELLS);
    c_ok_run: cover property (@(posedge clk) cv_reply && r_status == ST_OK && f_cmd == CMD_RUN);
    c_ok_write_list: cover property (@(posedge clk) cv_reply && r_status == ST_OK && f_cmd == CMD_WRITE_LIST);
    c_err_crc: cover property (@(posedge clk) cv_reply && r_status == ST_CRC);
    c_err_frame_incomplete: cover property (@(posedge clk) cv_reply && r_status == ST_FRAME && r_fcode == 2'd1);
    c_err_frame_short: cover property (@(posedge clk) cv_reply && r_status == ST_FRAME && r_fcode == 2'd2);
    c_err_frame_long: cover property (@(posedge clk) cv_reply && r_status == ST_FRAME && r_fcode == 2'd3);
    c_err_cmd: cover property (@(posedge clk) cv_reply && r_status == ST_CMD);
    c_err_len: cover property (@(posedge clk) cv_reply && r_status == ST_LEN);
    c_err_range: cover property (@(posedge clk) cv_reply && r_status == ST_RANGE);
    c_err_batch: cover property (@(posedge clk) cv_reply && r_status == ST_BATCH);
    c_err_state: cover property (@(posedge clk) cv_reply && r_status == ST_STATE);
    c_err_conflict: cover property (@(posedge clk) cv_reply && r_status == ST_CONFLICT);
    c_duplicate: cover property (@(posedge clk) state == S_CHECK && f_len >= 6 && f_len <= RXCAP &&
        !f_incomplete && f_last4 == rx_crc && have_last && f_seq == last_seq &&
        f_cmd == last_cmd && f_len[RXA:0] == last_len && f_last4 == last_crc);
    c_program_stuck_device: cover property (@(posedge clk) state == S_PR_WAIT && pr_valid &&
        pr_sel && (cl_sp != 2'd0 || cl_sn != 2'd0));
    c_program_changes_nothing: cover property (@(posedge clk) state == S_PR_WAIT && pr_valid &&
        pr_sel && gp_new == cl_old[15:8] && gn_new == cl_old[7:0]);
    c_read_programmed_cell: cover property (@(posedge clk) state == S_CELL_RD && op_mode == M_READ &&
        cell_g != 16'd0 && cell_g != 16'hFF00 && cell_g != 16'h00FF && cell_g != 16'hFFFF);
    c_read_cells_row_limit: cover property (@(posedge clk) state == S_DIV && !q_more && q_rc);
    c_read_erased_cell: cover property (@(posedge clk) state == S_CELL_RD && op_mode == M_READ &&
        cell_g == 16'd0);
    c_erase_stuck_at_max_cell: cover property (@(posedge clk) er_wr &&
        (dm_stuck_p == 2'd2 || dm_stuck_n == 2'd2));
    c_erase_dirty_row: cover property (@(posedge clk) state == S_ER_CHK && r_remember && d_q);
    c_erase_clean_row_skipped: cover property (@(posedge clk) state == S_ER_CHK && r_remember && !d_q);
    c_run_adc_under_next_block: cover property (@(posedge clk) adc_valid && !ow_last);
    c_run_two_row_blocks: cover property (@(posedge clk) adc_valid && ow_last && ow_pmulti);
    c_run_last_conversion_under_next_output: cover property (@(posedge clk) adc_valid && ow_last &&
        state == S_RUN_MA);
    c_run_last_conversion_meets_next_last: cover property (@(posedge clk) adc_valid && ow_last &&
        ma_last_go);
    c_run_second_column_block: cover property (@(posedge clk) state == S_RUN_QW && rv_j >= COLS);
    c_run_third_layer: cover property (@(posedge clk) state == S_RUN_J && rv_l == 3'd2);
    c_run_all_layers: cover property (@(posedge clk) state == S_RUN_V && rv_i == rv_b && rv_flags);
    c_run_outputs_only: cover property (@(posedge clk) state == S_RUN_V && rv_i == rv_b && !rv_flags);
    c_run_relu_clamp_high: cover property (@(posedge clk) ow_v && !ow_step && ac_ready && ly_act && rv_a == XMAX);
    c_counter_carry: cover property (@(posedge clk) state == S_CNT && cnt_k >= 3'd2 && cnt_c);
    c_status_counter_over_255: cover property (@(posedge clk) state == S_GEN && gen_cnt &&
        gen_rd_done && gen_cnt_w[1:0] != 2'd0 && c_q != 8'd0);
    c_run_relu_zero: cover property (@(posedge clk) ow_v && !ow_step && ly_act && rv_s < 0);
    // STREAM_RUN: a block run while the request arrives (the random networks here have at most
    // two row blocks, so one a request: the UART virtual board's 784-input layer has six); a
    // RUN that goes on from it; a frame that ended during a speculative block; one answered
    // with an error after all (bad CRC, wrong length, …)
    c_spec_block: cover property (@(posedge clk) state == S_SP_J && rv_j == rl_nout && adc_ready &&
        !adc_go);
    c_spec_run_goes_on: cover property (@(posedge clk) state == S_RUN_J && rv_j != rl_nout &&
        rv_l == 3'd0 && rv_i == 16'd0 && sp_rb != 6'd0);
    c_spec_frame_ends_under_block: cover property (@(posedge clk) sp_on && !rx_on);
    c_spec_discarded: cover property (@(posedge clk) cv_reply && sp_rb != 6'd0 && r_status != ST_OK);
`endif
endmodule
`resetall
