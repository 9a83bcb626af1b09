`resetall
`timescale 1ns/1ps
`default_nettype none
/*
 * xp_crc32c — CRC-32C (Castagnoli) of docs/protocol.md §2.2, one byte per cycle.
 *
 * Purpose: the CRC of a byte stream. Polynomial 0x1EDC6F41 processed reflected (0x82F63B78),
 * initial register FFFFFFFF, input and output reflected, final XOR FFFFFFFF: the CRC of
 * "123456789" is E3069283, and the CRC of no bytes is 00000000.
 *   clear    — start a new CRC. If s_tvalid is high in the same cycle, that byte is the first
 *              byte of the new message (clear first, then the byte).
 *   s_tdata  — a byte, taken in every cycle with s_tvalid high (always ready: no s_tready).
 *   crc      — the finished CRC (already XORed with FFFFFFFF) of all bytes taken since the last
 *              clear (or reset), valid in the cycle after each byte or clear; it holds while no
 *              byte comes. It is stored little-endian after a frame's bytes (83 92 06 E3 for
 *              "123456789").
 * Latency 1 cycle, throughput 1 byte per cycle.
 *
 * How: the register holds the finished CRC (the reflected CRC register inverted), so crc
 * comes straight from flip-flops. The byte update is combinational, eight unrolled
 * shift/XOR steps; they are linear over GF(2), so every bit of the result is one XOR of
 * register bits and data bits (1 … 8 of them) and the inversions fold into it. clear forces
 * the CRC register to FFFFFFFF before the byte (the inverted register to 0: an AND with
 * ~clear, one input more per bit); s_tvalid is the flip-flops' enable, and a clear without a
 * byte their synchronous reset. About 65 SB_LUT4 and 32 flip-flops.
 */
module xp_crc32c (
    input  wire        clk,
    input  wire        rst,

    input  wire        clear,     // start a new CRC (with or before its first byte)
    input  wire [7:0]  s_tdata,   // message byte
    input  wire        s_tvalid,  // s_tdata is taken this cycle

    output wire [31:0] crc        // CRC-32C of the bytes since clear, final XOR applied
);
    localparam [31:0] POLY = 32'h82F63B78;  // CRC-32C polynomial, bit-reflected

    // The register after shifting in one byte, LSB first (the reflected CRC).
    function [31:0] crc_byte(input [31:0] c, input [7:0] d);
        integer i;
        reg [31:0] x;
        begin
            x = c ^ {24'd0, d};
            for (i = 0; i < 8; i = i + 1)
                x = x[0] ? (x >> 1) ^ POLY : x >> 1;
            crc_byte = x;
        end
    endfunction

    reg [31:0] crc_reg, crc_next;  // the finished CRC: the reflected register, inverted

    assign crc = crc_reg;

    // the register before the byte, inverted back to the CRC register: INIT if clear
    wire [31:0] c_in = ~(crc_reg & {32{~clear}});

    always @* begin
        crc_next = ~crc_byte(c_in, s_tdata);
    end

    always @(posedge clk) begin
        if (rst || (clear && !s_tvalid))
            crc_reg <= 32'd0;
        else if (s_tvalid)
            crc_reg <= crc_next;
    end
endmodule
`resetall
