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
 * STATUS OF THIS FILE (issue 6, in progress): the link layer is complete — frame reception
 * with the check order of §2.4 (too long, incomplete COBS block, too short, CRC), ERR_FRAME and
 * ERR_CRC replies that are not remembered, duplicate detection on (seq, cmd, length, CRC) with
 * the remembered reply re-sent byte for byte, the boot id and its LCG on RESET, the counters of
 * §3.4 — and the commands INFO, STATUS, RESET and SET_SEED with their ERR_LEN checks, and
 * ERR_CMD for unknown codes. The commands that need the crossbar (CONFIGURE, SET_ADC,
 * WRITE_CELLS, READ_CELLS, RUN, WRITE_LIST: codes 05 … 0A) are answered with ERR_CMD until
 * the datapath lands: until then a host sees a board without those commands, and the
 * co-simulation (tests/cosim/tb_board.cpp) sends only the commands implemented here.
 *
 * Flow control: s_tready is low while a frame is checked, executed and its reply sent (the
 * protocol is stop-and-wait, §3.1). Latency: the reply starts a few cycles after the closing
 * delimiter; bytes go out at one per two cycles (the reply memory's registered read).
 *
 * Known deviations, to go with the datapath: the engine is one clocked process, not yet the
 * two-block style of STYLE.md; the decoded length saturates at 2^31 - 1 where §5 says 2^32 - 1
 * (a frame of 2 GiB: about two hours at 3 Mbaud).
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
    parameter [31:0] BOOT_ID = 32'd0,   // power-up boot id (§3.3)
    parameter [31:0] BUILD_HASH = 32'd0,
    parameter [15:0] IMPL_VERSION = 16'd1
) (
    input  wire       clk,
    input  wire       rst,
    input  wire [7:0] s_tdata,   // wire bytes from the host
    input  wire       s_tvalid,
    output wire       s_tready,
    output wire [7:0] m_tdata,   // wire bytes to the host
    output wire       m_tvalid,
    input  wire       m_tready
);
    // ---- sizes ----
    localparam RXCAP = MAX_REQUEST + 6;              // largest request body
    localparam TXCAP = MAX_REPLY + 11;               // largest reply body
    localparam RXA = $clog2(RXCAP);
    localparam TXA = $clog2(TXCAP + 1);
    localparam STATUS_LEN = 74 + 4 * TILES;

    // command and status codes (protocol §4, §5)
    localparam [7:0] CMD_INFO = 8'h01, CMD_STATUS = 8'h02, CMD_RESET = 8'h03, CMD_SEED = 8'h04;
    localparam [7:0] ST_OK = 8'd0, ST_CRC = 8'd1, ST_FRAME = 8'd2, ST_CMD = 8'd3, ST_LEN = 8'd4;

    // ---- frame reception ----
    wire [7:0]  dec_tdata;
    wire        dec_tvalid;
    reg         dec_tready;
    wire        frame_end, frame_incomplete;
    wire [30:0] frame_len;          // decoded length, saturating at 2^31 - 1

    xp_cobs_rx #(.MAX_LEN(32'h7FFFFFFE)) rx (
        .clk(clk), .rst(rst),
        .s_tdata(s_tdata), .s_tvalid(s_tvalid), .s_tready(s_tready),
        .m_tdata(dec_tdata), .m_tvalid(dec_tvalid), .m_tready(dec_tready),
        .frame_end(frame_end), .frame_incomplete(frame_incomplete), .frame_len(frame_len)
    );

    reg [7:0] rxbuf [0:RXCAP-1];   // the request body (frames longer than RXCAP are refused)

    // ---- reply memory: the remembered reply (replies to valid frames) ----
    reg [7:0] txbuf [0:TXCAP-1];
    reg [7:0] ebuf [0:31];         // ERR_FRAME / ERR_CRC replies (16, 19 bytes): never remembered

    // ---- board state ----
    reg [31:0] boot_id;
    reg [31:0] frames_ok, duplicates;
    reg [31:0] nacks [1:8];
    reg [63:0] nseed;
    reg [55:0] pulses;              // P (programming counter, numerics §3)
    reg [39:0] infer;               // N

    // duplicate memory (§3.2)
    reg        have_last;
    reg [7:0]  last_seq, last_cmd;
    reg [31:0] last_len, last_crc;
    reg [TXA-1:0] last_txlen;       // length of the remembered reply body

    // ---- the engine ----
    localparam [2:0] S_RX = 3'd0, S_CHECK = 3'd1, S_EXEC = 3'd2, S_GEN = 3'd3, S_CRC = 3'd4,
                     S_RD = 3'd5, S_OUT = 3'd6;
    reg [2:0]  state;
    reg [RXA:0] rx_n;               // bytes stored of the current frame (≤ RXCAP)
    reg [7:0]  f_cmd, f_seq;        // bytes 0 and 1 as received (FF / 00 if absent)
    reg [31:0] f_last4;             // the frame's last four bytes (its CRC, little-endian)
    reg [31:0] f_len;
    reg        f_incomplete;

    // CRC of the request: bytes go in four bytes late, so at the frame's end it covers
    // bytes 0 … L-5
    wire [31:0] rx_crc;
    reg         rx_crc_clear, rx_crc_valid;
    reg  [7:0]  rx_crc_byte;
    xp_crc32c rxc (.clk(clk), .rst(rst), .clear(rx_crc_clear), .s_tdata(rx_crc_byte),
                   .s_tvalid(rx_crc_valid), .crc(rx_crc));

    // the reply being generated: status, payload length, destination
    reg [7:0]  r_status;
    reg [TXA-1:0] r_plen;           // payload bytes
    reg        r_remember;          // into txbuf (remembered) or ebuf
    reg [TXA-1:0] r_idx;            // next body byte to generate
    reg [2:0]  r_crcn;              // CRC bytes written
    reg [31:0] r_w0, r_w1;          // payload words of error replies (got/want, reason/length)
    reg [TXA-1:0] out_len, out_idx; // the reply being sent
    reg        out_from_ebuf;
    reg [7:0]  rd_data;

    wire [31:0] tx_crc;
    reg         tx_crc_clear, tx_crc_valid;
    reg  [7:0]  tx_crc_byte;
    xp_crc32c txc (.clk(clk), .rst(rst), .clear(tx_crc_clear), .s_tdata(tx_crc_byte),
                   .s_tvalid(tx_crc_valid), .crc(tx_crc));

    // ---- reply bytes ----
    // byte k of a little-endian field of `w` bytes starting at `at`
    function [7:0] le(input [63:0] v, input integer k);
        le = v[8 * k +: 8];
    endfunction

    // payload byte i of the OK reply to INFO
    function [7:0] info_byte(input integer i);
        case (i)
            0: info_byte = 8'h58; 1: info_byte = 8'h50; 2: info_byte = 8'h4E; 3: info_byte = 8'h4E;
            4: info_byte = 8'd1;  5: info_byte = 8'd0;      // protocol_version
            6: info_byte = 8'd1;  7: info_byte = 8'd0;      // numerics_version
            8: info_byte = 8'd2;  9: info_byte = 8'd0;      // impl: RTL; reserved
            10, 11: info_byte = le({48'd0, IMPL_VERSION}, i - 10);
            12, 13, 14, 15: info_byte = le({32'd0, BUILD_HASH}, i - 12);
            16, 17, 18, 19: info_byte = le({32'd0, boot_id}, i - 16);
            20, 21: info_byte = le(ROWS, i - 20);
            22, 23: info_byte = le(COLS, i - 22);
            24, 25: info_byte = le(TILES, i - 24);
            26: info_byte = DAC_BITS[7:0];
            27: info_byte = CODE_BITS[7:0];
            28: info_byte = ADC_BITS[7:0];
            29: info_byte = 8'd8;                          // g_bits
            30: info_byte = 8'd16;                         // psum_bits
            31: info_byte = 8'd8;                          // max_layers
            32, 33: info_byte = le(64'd4096, i - 32);      // max_width
            34, 35: info_byte = le(MAX_BATCH, i - 34);
            36, 37, 38, 39: info_byte = le(MAX_REQUEST, i - 36);
            40, 41, 42, 43: info_byte = le(MAX_REPLY, i - 40);
            default: info_byte = 8'd0;
        endcase
    endfunction

    // payload byte i of the OK reply to STATUS (no network, no pulses until the datapath)
    function [7:0] status_byte(input integer i);
        if (i < 4)
            status_byte = le({32'd0, frames_ok}, i);
        else if (i < 8)
            status_byte = le({32'd0, duplicates}, i - 4);
        else if (i < 40)
            status_byte = le({32'd0, nacks[1 + (i - 8) / 4]}, (i - 8) % 4);
        else if (i < 48)
            status_byte = le({8'd0, pulses}, i - 40);
        else if (i < 56)
            status_byte = le({24'd0, infer}, i - 48);
        else if (i < 64)
            status_byte = le(nseed, i - 56);
        else if (i == 72 || i == 73)
            status_byte = le(TILES, i - 72);
        else
            status_byte = 8'd0;                            // layers, shape, pulses per tile
    endfunction

    // body byte i of the reply being generated: header, then payload
    function [7:0] body_byte(input integer i);
        if (i == 0)
            body_byte = f_cmd | 8'h80;
        else if (i == 1)
            body_byte = f_seq;
        else if (i == 2)
            body_byte = r_status;
        else if (i < 7)
            body_byte = le({32'd0, boot_id}, i - 3);
        else if (r_status == ST_OK && f_cmd == CMD_INFO)
            body_byte = info_byte(i - 7);
        else if (r_status == ST_OK)
            body_byte = status_byte(i - 7);
        else if (r_status == ST_FRAME)
            body_byte = i == 7 ? r_w0[7:0] : le({32'd0, r_w1}, i - 8);
        else                                               // ERR_CRC, ERR_LEN: two u32
            body_byte = i < 11 ? le({32'd0, r_w0}, i - 7) : le({32'd0, r_w1}, i - 11);
    endfunction

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

    wire [31:0] plen_req = f_len - 32'd6;           // request payload length
    wire [7:0]  gen_byte = r_crcn != 3'd0 ? tx_crc[8 * (r_crcn - 3'd1) +: 8] :
                           body_byte({{(32 - TXA){1'b0}}, r_idx});
    wire [TXA-1:0] body_len = {{(TXA - 3){1'b0}}, 3'd7} + r_plen;

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
            state <= S_RX;
        end
    endtask

    integer k;
    always @(posedge clk) begin
        rx_crc_clear <= 1'b0;
        rx_crc_valid <= 1'b0;
        tx_crc_clear <= 1'b0;
        tx_crc_valid <= 1'b0;
        case (state)
        S_RX: begin
            dec_tready <= 1'b1;
            if (dec_tvalid && dec_tready) begin
                if (rx_n < RXCAP[RXA:0]) begin
                    rxbuf[rx_n[RXA-1:0]] <= dec_tdata;
                    rx_n <= rx_n + 1'b1;
                end
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
                f_len <= {1'b0, frame_len};
                f_incomplete <= frame_incomplete;
                state <= S_CHECK;
            end
        end
        S_CHECK: begin
            // §2.4: the first that applies
            r_remember <= 1'b0;
            r_status <= ST_FRAME;
            r_plen <= 5;
            state <= S_GEN;
            if (f_len > RXCAP) begin
                r_w0 <= 32'd3;
                r_w1 <= f_len;
            end else if (f_incomplete) begin
                r_w0 <= 32'd1;
                r_w1 <= f_len;
            end else if (f_len < 6) begin
                r_w0 <= 32'd2;
                r_w1 <= f_len;
            end else if (f_last4 != rx_crc) begin
                r_status <= ST_CRC;
                r_plen <= 8;
                r_w0 <= f_last4;
                r_w1 <= rx_crc;
            end else begin
                frames_ok <= frames_ok + 1'b1;
`ifdef XP_MUTANT_DUP_SEQ
                if (have_last && f_seq == last_seq) begin  // mutant (make cosim): seq alone
`else
                if (have_last && f_seq == last_seq && f_cmd == last_cmd && f_len == last_len &&
                    f_last4 == last_crc) begin
`endif
                    duplicates <= duplicates + 1'b1;
                    out_len <= last_txlen;
                    out_idx <= 0;
                    out_from_ebuf <= 1'b0;
                    state <= S_RD;
                end else begin
                    have_last <= 1'b1;
                    last_seq <= f_seq;
                    last_cmd <= f_cmd;
                    last_len <= f_len;
                    last_crc <= f_last4;
                    state <= S_EXEC;
                end
            end
        end
        S_EXEC: begin
            r_remember <= 1'b1;
            r_status <= ST_OK;
            r_plen <= 0;
            state <= S_GEN;
            case (f_cmd)
            CMD_INFO, CMD_STATUS, CMD_RESET: begin
                if (plen_req != 0) begin
                    r_status <= ST_LEN;
                    r_plen <= 8;
                    r_w0 <= plen_req;
                    r_w1 <= 32'd0;
                end else if (f_cmd == CMD_INFO) begin
                    r_plen <= 44;
                end else if (f_cmd == CMD_STATUS) begin
                    r_plen <= STATUS_LEN[TXA-1:0];
                end else begin                             // RESET: numerics §3
                    boot_id <= boot_id * 32'd1664525 + 32'd1013904223;
                    nseed <= 64'd0;
                    pulses <= 56'd0;
                    infer <= 40'd0;
                end
            end
            CMD_SEED: begin
                if (plen_req != 8) begin
                    r_status <= ST_LEN;
                    r_plen <= 8;
                    r_w0 <= plen_req;
                    r_w1 <= 32'd8;
                end else begin
                    nseed <= {rxbuf[9], rxbuf[8], rxbuf[7], rxbuf[6],
                              rxbuf[5], rxbuf[4], rxbuf[3], rxbuf[2]};
                    pulses <= 56'd0;
                    infer <= 40'd0;
                end
            end
            default: r_status <= ST_CMD;
            endcase
        end
        S_GEN: begin
            // header and payload, one byte a cycle, into txbuf or ebuf, through the CRC
            if (r_idx == 0)
                tx_crc_clear <= 1'b1;
            tx_crc_byte <= gen_byte;
            tx_crc_valid <= 1'b1;
            if (r_remember)
                txbuf[r_idx] <= gen_byte;
            else
                ebuf[r_idx[4:0]] <= gen_byte;
            r_idx <= r_idx + 1'b1;
            if (r_idx + 1'b1 == body_len)
                state <= S_CRC;
        end
        S_CRC: begin
            // the CRC's four bytes, little-endian, after the CRC unit took the last byte
            if (r_crcn == 3'd0) begin
                r_crcn <= 3'd1;                            // wait one cycle for tx_crc
            end else begin
                if (r_remember)
                    txbuf[r_idx] <= gen_byte;
                else
                    ebuf[r_idx[4:0]] <= gen_byte;
                r_idx <= r_idx + 1'b1;
                r_crcn <= r_crcn + 1'b1;
                if (r_crcn == 3'd4) begin
                    if (r_status != ST_OK)
                        nacks[r_status[3:0]] <= nacks[r_status[3:0]] + 1'b1;
                    if (r_remember)
                        last_txlen <= r_idx + 1'b1;
                    out_len <= r_idx + 1'b1;
                    out_idx <= 0;
                    out_from_ebuf <= !r_remember;
                    state <= S_RD;
                end
            end
        end
        S_RD: begin
            rd_data <= out_from_ebuf ? ebuf[out_idx[4:0]] : txbuf[out_idx];
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
        if (rst) begin
            next_frame;
            dec_tready <= 1'b0;
            enc_tvalid <= 1'b0;
            enc_tlast <= 1'b0;
            boot_id <= BOOT_ID;
            frames_ok <= 32'd0;
            duplicates <= 32'd0;
            for (k = 1; k <= 8; k = k + 1)
                nacks[k] <= 32'd0;
            nseed <= 64'd0;
            pulses <= 56'd0;
            infer <= 40'd0;
            have_last <= 1'b0;
        end
    end
endmodule
`resetall
