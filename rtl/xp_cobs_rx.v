`resetall
`timescale 1ns/1ps
`default_nettype none
/*
 * xp_cobs_rx — frame decoder of docs/protocol.md §2.3/§2.4: COBS with delimiter 7E, byte by
 * byte, behaving exactly as xp_cobs_dec_feed (cmodel/xp_frame.c).
 *
 * Purpose: wire bytes in (s_*), decoded body bytes out (m_*), and one frame_end pulse per
 * non-empty frame. A 7E on the wire ends the current frame; the receiver starts inside a
 * frame after reset, so bytes before the first 7E form a frame of their own. Between two 7E:
 * each byte is XORed with 7E; a code byte k (1 … 255) is followed by k - 1 data bytes, passed
 * out unchanged; when the next code byte arrives and the previous k was < FF, a 7E is first
 * put out (the implied 7E, only when another block follows). Empty frames (7E 7E) produce
 * nothing at all.
 *
 * When a 7E ends a non-empty frame, frame_end is high for one cycle, together with
 *   frame_len        — the frame's decoded length L: every byte put out on m_* for this frame,
 *                      implied 7E bytes and the bytes of an incomplete last block included,
 *                      saturating at MAX_LEN + 1 (so a consumer with a MAX_LEN-byte buffer
 *                      applies §2.4's "too long", L > MAX_LEN, first);
 *   frame_incomplete — the last COBS block was cut short by the 7E (§2.4 check 2).
 * frame_end comes after the frame's last m_* byte has been taken (it is issued in the cycle
 * after the delimiter was accepted, and the delimiter is accepted only once m_* is free);
 * frame_len/frame_incomplete are valid only while frame_end is high. frame_end is not
 * handshaked: the consumer must take it in that cycle.
 *
 * Handshake: s_* and m_* are valid/ready; m_* is one register, s_tready = !m_tvalid ||
 * m_tready, so a consumer that is always ready (m_tready = 1) gets one wire byte per cycle.
 * Latency: a decoded byte or frame_end appears 1 cycle after the wire byte that made it.
 */
module xp_cobs_rx #(
    parameter [31:0] MAX_LEN = 32'd65542  // largest body the consumer takes (max_request + 6), 1 … 2^32 − 2;
                                      // frame_len saturates at MAX_LEN + 1
) (
    input  wire                             clk,
    input  wire                             rst,

    input  wire [7:0]                       s_tdata,   // wire bytes
    input  wire                             s_tvalid,
    output wire                             s_tready,

    output wire [7:0]                       m_tdata,   // decoded body bytes
    output wire                             m_tvalid,
    input  wire                             m_tready,

    output wire                             frame_end,        // one-cycle pulse: a non-empty frame ended
    output wire                             frame_incomplete, // its last block was cut short
    output wire [$clog2({1'b0, MAX_LEN} + 33'd2) - 1:0] frame_len  // its decoded length, saturating at MAX_LEN + 1
);
    localparam LEN_W = $clog2({1'b0, MAX_LEN} + 33'd2); // width of frame_len (holds MAX_LEN + 1)
    localparam [31:0] LEN_SAT32 = MAX_LEN + 1;         // saturation value of the length counter
    localparam [LEN_W-1:0] LEN_SAT = LEN_SAT32[LEN_W-1:0];
    localparam [7:0] DELIM = 8'h7E;                    // frame delimiter

    generate
        if (MAX_LEN < 1 || MAX_LEN > 32'hFFFFFFFE) begin : g_bad_param
            xp_cobs_rx_MAX_LEN_out_of_range invalid_parameter();
        end
    endgenerate

    reg [7:0]       blk_reg, blk_next;            // data bytes left in the current block + 1 (its
                                                  // code k, counted down); 0 or 1: a code byte is next
    reg             zero_pending_reg, zero_pending_next; // the block ends in an implied 7E if another follows
    reg             nonempty_reg, nonempty_next;  // the current frame has a byte
    reg [LEN_W-1:0] len_reg, len_next;            // decoded bytes so far (saturating); after a
                                                  // frame's end its L, until the next frame's first byte

    reg [7:0]       m_tdata_reg, m_tdata_next;    // data: no reset
    reg             m_tvalid_reg, m_tvalid_next;
    reg             frame_end_reg, frame_end_next;
    reg             frame_incomplete_reg, frame_incomplete_next;

    wire [7:0] code = s_tdata ^ DELIM;            // k of a code byte (never 0: s_tdata != 7E)
    wire       code_next = blk_reg[7:1] == 7'd0;  // the next byte is a code byte
    // len + 1, saturating at LEN_SAT (a comparison with the constant: the incrementer's carry
    // out, used when LEN_SAT is all ones, made Yosys's synth_ice40 -abc9 fail on the board)
    wire [LEN_W-1:0] len_inc = len_reg == LEN_SAT ? len_reg : len_reg + 1'b1;

    assign s_tready = !m_tvalid_reg || m_tready;
    assign m_tdata = m_tdata_reg;
    assign m_tvalid = m_tvalid_reg;
    assign frame_end = frame_end_reg;
    assign frame_incomplete = frame_incomplete_reg;
    assign frame_len = len_reg;

    always @* begin
        blk_next = blk_reg;
        zero_pending_next = zero_pending_reg;
        nonempty_next = nonempty_reg;
        len_next = len_reg;
        m_tdata_next = m_tdata_reg;
        m_tvalid_next = m_tvalid_reg && !m_tready;
        frame_end_next = 1'b0;
        frame_incomplete_next = frame_incomplete_reg;

        if (s_tvalid && s_tready) begin
            if (s_tdata == DELIM) begin
                if (nonempty_reg) begin          // an empty frame changes nothing
                    frame_end_next = 1'b1;
                    frame_incomplete_next = !code_next;
                    blk_next = 8'd0;
                    zero_pending_next = 1'b0;
                    nonempty_next = 1'b0;
                end
            end else begin
                nonempty_next = 1'b1;
                if (code_next) begin             // a code byte
                    if (zero_pending_reg) begin
                        m_tdata_next = DELIM;
                        m_tvalid_next = 1'b1;
                        len_next = len_inc;
                    end
                    blk_next = code;
                    zero_pending_next = code != 8'hFF;
                end else begin                   // a data byte
                    m_tdata_next = s_tdata;
                    m_tvalid_next = 1'b1;
                    len_next = len_inc;
                    blk_next = blk_reg - 8'd1;
                end
                if (!nonempty_reg)               // a frame's first byte: a code byte, no output
                    len_next = {LEN_W{1'b0}};
            end
        end
    end

    always @(posedge clk) begin
        if (rst) begin
            blk_reg <= 8'd0;
            zero_pending_reg <= 1'b0;
            nonempty_reg <= 1'b0;
            len_reg <= {LEN_W{1'b0}};
            m_tvalid_reg <= 1'b0;
            frame_end_reg <= 1'b0;
            frame_incomplete_reg <= 1'b0;
        end else begin
            blk_reg <= blk_next;
            zero_pending_reg <= zero_pending_next;
            nonempty_reg <= nonempty_next;
            len_reg <= len_next;
            m_tvalid_reg <= m_tvalid_next;
            frame_end_reg <= frame_end_next;
            frame_incomplete_reg <= frame_incomplete_next;
        end
    end

    always @(posedge clk)
        m_tdata_reg <= m_tdata_next;
endmodule
`resetall
