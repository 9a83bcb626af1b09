`resetall
`timescale 1ns/1ps
`default_nettype none
/*
 * xp_cobs_tx — frame encoder of docs/protocol.md §2.3: body bytes in, wire bytes
 * 7E E(body) 7E out, E(body) = X(COBS(X(body))) in the canonical form, byte for byte what
 * xp_cobs_enc_* (cmodel/xp_frame.c) writes between the two delimiters.
 *
 * Purpose: s_* carries one body per packet, s_tlast on its last beat. s_tkeep = 0 marks a null
 * beat that carries no byte; a body ends with s_tlast on a byte or on a null beat, so an empty
 * body is one null beat with s_tlast (it encodes to 7E 7F 7E). m_* carries the wire bytes,
 * m_tlast on the closing 7E. Bodies may follow each other back to back; each is framed by its
 * own leading and trailing 7E (two 7E between bodies, as every sender of §2.3 does).
 *
 * How: a code byte goes out before the block it describes, and is known only when the block
 * ends (at a body 7E, at the 254th data byte, or at the body's end), up to 254 bytes later. So
 * the wire bytes are assembled in a ring buffer, as the C encoder does in its output buffer.
 * One slot is always reserved ahead, for the next byte that is known only later: the open
 * block's code, the closing 7E, the next leading 7E; it is the first slot not committed, so
 * one pointer (commit_ptr) serves both. A data byte is written to the next free
 * slot; a block's end writes its code ((data bytes + 1) ^ 7E, or 81 = FF ^ 7E for a full
 * block) into the reserved slot, commits everything written so far and reserves the next
 * free slot; at the body's end the last code (7F for a final empty block) and the closing 7E
 * fill reserved slots the same way, and the closing 7E reserves the next body's leading 7E.
 * One counter gives every such byte: cnt ^ 7E, cnt the open block's data bytes + 1, or 0 for
 * a 7E. The read side sends committed bytes in order. The ring is a 2^RING_AW × 8 memory with
 * one write port and a registered read port with read enable (no reset, (* no_rw_check *):
 * the two ports never meet on a slot, so Yosys adds no collision logic), which maps to iCE40
 * block RAM: one SB_RAM40_4K for RING_AW = 9 (512 × 8, the default) and for RING_AW = 8
 * (256 × 8) — the same cost, but only 512 leaves a continuous stream the room it needs
 * (below). One slot always stays free, so a pointer comparison tells empty from full; a data
 * byte is taken only when a slot is free, and filling the reserved slot needs none (if no
 * slot is free then, the next one is reserved as soon as one is, before anything else). A
 * block holds at most 255 slots (code + 254 data bytes), at most 2^RING_AW - 1 can be used,
 * and a full block is committed before its successor needs a slot, so the ring can always
 * take the open block to its end: no deadlock. About 105 SB_LUT4, 20 SB_CARRY and 44
 * flip-flops (RING_AW = 9).
 *
 * Latency and throughput. Write side: one beat per cycle while the ring has room, except for
 * 1 extra cycle per full (254-byte) block, 1 cycle before each body (the leading 7E) and 2
 * after it (last code, closing 7E) in which s_tready is low (and 1 more whenever the ring was
 * full as a reserved slot was filled). Read side: one wire byte per cycle while committed
 * bytes are waiting (a byte is read from the RAM into its output register while the previous
 * one is on m_*). A byte reaches m_* 2 cycles after it is
 * committed: the leading 7E 2 cycles after the body's first beat is offered, the first code
 * byte 2 cycles after the beat that ends the first block (up to 256 cycles after the first
 * beat). The two sides balance: a body of B bytes with F full blocks takes B + F + 3 input
 * cycles and gives B + F + 3 wire bytes. With a source that never pauses and a sink that is
 * always ready, the read side waits only until the write side is one longest block (255
 * slots) plus the 2 cycles of commit latency ahead: with RING_AW = 9 that happens once, at the
 * first block, and then one wire byte goes out every cycle, frame after frame (tb_framing:
 * 16 back-to-back 3,000-byte bodies, 0 idle cycles on m_* after the first block, 0.995 wire
 * bytes per cycle with that first fill). With RING_AW = 8 the ring is 3 slots short of that:
 * up to 2 idle cycles per full block (tb_framing measures about 1: 0.991 wire bytes per cycle).
 * m_tvalid and m_tdata come straight from registers (the RAM's output register), m_tlast from
 * the output byte and one flag.
 */
module xp_cobs_tx #(
    parameter RING_AW = 9  // ring address bits, >= 8: 9 = 512 bytes, full rate (one SB_RAM40_4K); 8 = 256 bytes (also one, ~1 idle cycle per full block)
) (
    input  wire       clk,
    input  wire       rst,

    input  wire [7:0] s_tdata,   // body bytes
    input  wire       s_tkeep,   // 1: s_tdata is a byte; 0: a null beat (no byte)
    input  wire       s_tvalid,
    output wire       s_tready,
    input  wire       s_tlast,   // the body's last beat

    output wire [7:0] m_tdata,   // wire bytes: 7E E(body) 7E
    output wire       m_tvalid,
    input  wire       m_tready,
    output wire       m_tlast    // the closing 7E
);
    localparam [7:0] DELIM = 8'h7E;          // frame delimiter
    localparam [7:0] CNT_FULL = 8'd254;      // cnt before the 254th data byte of a block (code FF)
    localparam AW = RING_AW;                 // ring pointer width
    localparam [AW-1:0] ONE = {{(AW-1){1'b0}}, 1'b1};

    generate
        if (RING_AW < 8) begin : g_bad_param
            xp_cobs_tx_RING_AW_must_be_at_least_8 invalid_parameter();
        end
    endgenerate

    // write-side states
    localparam [2:0] W_IDLE = 3'd0;  // between bodies: write the leading 7E when a beat comes
    localparam [2:0] W_BODY = 3'd1;  // take beats
    localparam [2:0] W_FF = 3'd2;    // write the code FF of the full block just ended
    localparam [2:0] W_FINAL = 3'd3; // write the body's last code byte
    localparam [2:0] W_CLOSE = 3'd4; // write the closing 7E

    // ---- ring buffer: written and read only in the memory block below ----
    (* no_rw_check *)
    reg [7:0] ring [0:(1 << AW) - 1];
    reg [7:0] q_reg;                         // the RAM's registered read port

    // ---- write side ----
    reg [2:0] wstate_reg, wstate_next;
    reg [AW-1:0] wr_ptr_reg, wr_ptr_next;    // next free slot
    reg [AW-1:0] commit_ptr_reg, commit_ptr_next; // slots before it are final; it is the
                                             // reserved slot (if has_slot), else = wr_ptr
    reg       has_slot_reg, has_slot_next;   // commit_ptr is reserved (wr_ptr = commit_ptr + 1)
    reg [7:0] cnt_reg, cnt_next;             // the next byte for the slot, XORed with 7E: the
                                             // open block's data bytes + 1 (1 … 255), 0 for a 7E
    reg       ending_reg, ending_next;       // W_FF: the body ended with that byte

    // ---- read side ----
    reg [AW-1:0] rd_ptr_reg, rd_ptr_next;    // next slot to read; rd_ptr … commit_ptr - 1 are committed
    reg       q_valid_reg, q_valid_next;     // q_reg holds a byte not yet sent
    reg       out_frame_reg, out_frame_next; // a leading 7E went out, its closing 7E not yet

    // combinational controls
    reg       alloc;                         // allocate the slot at wr_ptr this cycle
    reg       fill;                          // write cnt ^ 7E into the reserved slot, commit
    reg       we;
    reg [AW-1:0] waddr;
    reg [7:0] wdata;
    reg       rd_en;

    // Slots rd_ptr … wr_ptr - 1 are in use; one slot always stays free, so that
    // wr_ptr == rd_ptr means empty and commit_ptr == rd_ptr means nothing to send.
    wire [AW-1:0] wr_ptr_p1 = wr_ptr_reg + ONE;
    wire free1 = wr_ptr_p1 != rd_ptr_reg;    // a slot can be allocated

    // a data byte needs a new slot, a 7E or the body's end the reserved one
    assign s_tready = wstate_reg == W_BODY && has_slot_reg && free1;
    assign m_tdata = q_reg;
    assign m_tvalid = q_valid_reg;
    assign m_tlast = q_valid_reg && q_reg == DELIM && out_frame_reg;

    wire s_fire = s_tvalid && s_tready;
    wire m_fire = q_valid_reg && m_tready;

    // write side: assemble 7E E(body) 7E in the ring
    always @* begin
        wstate_next = wstate_reg;
        alloc = 1'b0;
        fill = 1'b0;
        cnt_next = cnt_reg;
        ending_next = ending_reg;

        if (!has_slot_reg) begin
            alloc = free1;                              // reserve the slot first
        end else begin
            case (wstate_reg)
                W_IDLE: begin
                    if (s_tvalid) begin                 // the leading 7E (cnt = 0)
                        fill = 1'b1;
                        cnt_next = 8'd1;
                        wstate_next = W_BODY;
                    end
                end
                W_BODY: begin
                    if (s_fire) begin
                        if (s_tlast)
                            wstate_next = W_FINAL;
                        if (s_tkeep && s_tdata != DELIM) begin  // a data byte
                            alloc = 1'b1;
                            cnt_next = cnt_reg + 8'd1;
                            if (cnt_reg == CNT_FULL) begin      // 254th byte: a full block
                                ending_next = s_tlast;
                                wstate_next = W_FF;
                            end
                        end else if (s_tkeep) begin             // a body 7E ends the block
                            fill = 1'b1;
                            cnt_next = 8'd1;
                        end
                    end
                end
                W_FF: begin                             // cnt = 255: the code FF
                    fill = 1'b1;
                    cnt_next = 8'd1;
                    wstate_next = ending_reg ? W_FINAL : W_BODY;
                end
                W_FINAL: begin
                    fill = 1'b1;
                    cnt_next = 8'd0;
                    wstate_next = W_CLOSE;
                end
                W_CLOSE: begin                          // the closing 7E (cnt = 0)
                    fill = 1'b1;
                    wstate_next = W_IDLE;
                end
                default: begin
                    wstate_next = W_IDLE;
                end
            endcase
        end
    end

    // the ring's write port and pointers: a data byte goes to wr_ptr; a code or 7E fills the
    // reserved slot (the first slot not yet committed), commits everything before wr_ptr and
    // reserves the slot at wr_ptr if one is free
    always @* begin
        we = alloc && has_slot_reg;
        waddr = wr_ptr_reg;
        wdata = s_tdata;
        wr_ptr_next = wr_ptr_reg;
        has_slot_next = has_slot_reg || free1;
        commit_ptr_next = commit_ptr_reg;
        if (fill) begin
            we = 1'b1;
            waddr = commit_ptr_reg;
            wdata = cnt_reg ^ DELIM;
            commit_ptr_next = wr_ptr_reg;
            has_slot_next = free1;
        end
        if (alloc || (fill && free1))
            wr_ptr_next = wr_ptr_p1;
    end

    // read side: committed slots in order, through the RAM's output register
    always @* begin
        rd_ptr_next = rd_ptr_reg;
        q_valid_next = q_valid_reg && !m_tready;
        out_frame_next = out_frame_reg;
        rd_en = 1'b0;

        if (m_fire && q_reg == DELIM)
            out_frame_next = !out_frame_reg;
        if (rd_ptr_reg != commit_ptr_reg && (!q_valid_reg || m_tready)) begin
            rd_en = 1'b1;
            rd_ptr_next = rd_ptr_reg + ONE;
            q_valid_next = 1'b1;
        end
    end

    // the ring: block RAM, one write port, synchronous read with enable
    always @(posedge clk) begin
        if (we)
            ring[waddr] <= wdata;
        if (rd_en)
            q_reg <= ring[rd_ptr_reg];
    end

    always @(posedge clk) begin
        if (rst) begin
            wstate_reg <= W_IDLE;
            wr_ptr_reg <= ONE;                  // slot 0 reserved for the first leading 7E
            has_slot_reg <= 1'b1;
            cnt_reg <= 8'd0;
            ending_reg <= 1'b0;
            commit_ptr_reg <= {AW{1'b0}};
            rd_ptr_reg <= {AW{1'b0}};
            q_valid_reg <= 1'b0;
            out_frame_reg <= 1'b0;
        end else begin
            wstate_reg <= wstate_next;
            wr_ptr_reg <= wr_ptr_next;
            has_slot_reg <= has_slot_next;
            cnt_reg <= cnt_next;
            ending_reg <= ending_next;
            commit_ptr_reg <= commit_ptr_next;
            rd_ptr_reg <= rd_ptr_next;
            q_valid_reg <= q_valid_next;
            out_frame_reg <= out_frame_next;
        end
    end
endmodule
`resetall
