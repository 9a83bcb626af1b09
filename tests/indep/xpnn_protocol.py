#!/usr/bin/env python3
"""Independent implementation of the xpnn board protocol, docs/protocol.md
(protocol version 1), written from that document and docs/numerics.md alone,
without reference to the C board engine, so that byte-for-byte agreement
between the two is evidence that the specification is complete.

The arithmetic (numerics.md) is delegated to the independent numerics model
tests/indep/xpnn_numerics.py; this file adds everything protocol.md defines:
framing (COBS with delimiter 7E, CRC-32C), frame reception and its check order,
duplicate detection, the boot id, the link counters, the ten commands with
their check orders, and the error replies. Standard library only.

Usage:
    python3 tests/indep/xpnn_protocol.py [--quiet] [--selftest] CASE.cfg ...

  CASE.cfg   a board description, one "key value" per line (decimal integers):
             rows cols tiles dac_bits code_bits adc_bits dseed p_sa0 p_samax
             s_var s_prog s_read s_gain s_off (numerics section 2) and
             max_request max_reply max_batch max_width boot_id build_hash
             impl_version
             (protocol section 4.1). Unknown keys are an error; missing keys
             take the reference board's value (boot_id 0xB0071D00).
             The sibling files CASE.in (bytes the host sent) and CASE.out
             (bytes the C board engine answered) are replayed: CASE.in is fed
             to a fresh board in a few random-sized chunks (seeded from the
             case name), and the output must equal CASE.out byte for byte.
  --selftest the CRC-32C check value, COBS/7E canonical-form checks, the LCG
             of section 3.3, and every example of protocol.md section 7 (parsed
             from the document's "> " and "< " lines) replayed on boards
             configured as section 7 says.
  --quiet    print only FAIL lines and the summary.

Prints "OK name" or "FAIL name: ..." per case, then
"protocol-indep: N passed, M failed" (the self test counts as one entry).
Exit status 1 if anything failed or nothing was given to check.
"""

import argparse
import os
import random
import struct
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import xpnn_numerics as xn  # noqa: E402  (independent numerics model)

PROTOCOL_VERSION = 1
NUMERICS_VERSION = 1
IMPL_C_ENGINE = 1            # INFO impl byte: 1 = C board engine (we mimic it)
MAX_LAYERS = 8               # numerics section 9 / protocol INFO
MAX_WIDTH = 4096             # numerics section 9: the widest any board's max_width (INFO) may be
G_BITS = 8                   # stored conductance bits (fixed, numerics section 2)
PSUM_BITS = 16               # partial sums (numerics section 8)

DELIM = 0x7E
M32 = 0xFFFFFFFF

# Command codes (section 4)
CMD_INFO, CMD_STATUS, CMD_RESET, CMD_SET_SEED, CMD_CONFIGURE = 0x01, 0x02, 0x03, 0x04, 0x05
CMD_SET_ADC, CMD_WRITE_CELLS, CMD_READ_CELLS, CMD_RUN, CMD_WRITE_LIST = 0x06, 0x07, 0x08, 0x09, 0x0A
CMD_NAMES = {1: "INFO", 2: "STATUS", 3: "RESET", 4: "SET_SEED", 5: "CONFIGURE", 6: "SET_ADC",
             7: "WRITE_CELLS", 8: "READ_CELLS", 9: "RUN", 10: "WRITE_LIST"}

# Status codes (section 5)
OK = 0x00
ERR_CRC, ERR_FRAME, ERR_CMD, ERR_LEN = 0x01, 0x02, 0x03, 0x04
ERR_RANGE, ERR_BATCH, ERR_STATE, ERR_CONFLICT = 0x05, 0x06, 0x07, 0x08
STATUS_NAMES = {0: "OK", 1: "ERR_CRC", 2: "ERR_FRAME", 3: "ERR_CMD", 4: "ERR_LEN",
                5: "ERR_RANGE", 6: "ERR_BATCH", 7: "ERR_STATE", 8: "ERR_CONFLICT"}

# ERR_FRAME reasons (section 2.4 / 5)
REASON_INCOMPLETE, REASON_SHORT, REASON_LONG = 1, 2, 3

# ---------------------------------------------------------------------------
# Section 2.2: CRC-32C (Castagnoli), reflected polynomial 0x82F63B78
# ---------------------------------------------------------------------------


def _crc32c_table():
    tab = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        tab.append(c)
    return tuple(tab)


_CRC_TAB = _crc32c_table()


def crc32c(data, crc=0):
    """CRC-32C: init FFFFFFFF, reflected in/out, final XOR FFFFFFFF."""
    c = crc ^ M32
    tab = _CRC_TAB
    for b in data:
        c = tab[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ M32


# ---------------------------------------------------------------------------
# Section 2.3: COBS with delimiter 7E.  E(body) = X(COBS(X(body))).
# Under X, the body's 7E bytes are COBS's zeros; other data bytes pass
# through unchanged (X applied twice), code bytes are XORed with 7E.
# ---------------------------------------------------------------------------


def cobs7e_encode(body):
    """Canonical COBS of X(body), XORed with 7E (no 7E in the result).
    Pieces are cut after every 7E and after every run of 254 non-7E bytes;
    the implicit appended zero always ends the last piece, so a body whose
    last piece is exactly 254 non-7E bytes gets a final empty piece (7F)."""
    out = bytearray()
    n = len(body)
    i = 0
    while True:
        # the piece starting at i: up to 254 non-7E bytes, ended by a 7E,
        # by the implicit final zero (end of body), or by the 254 limit
        j = i
        lim = min(n, i + 254)
        while j < lim and body[j] != DELIM:
            j += 1
        k = j - i
        if k == 254:                       # run of 254: code FF, no zero consumed
            out.append(0xFF ^ DELIM)
            out += body[i:j]
            i = j
            continue                        # (if j == n the empty final piece follows)
        out.append((k + 1) ^ DELIM)
        out += body[i:j]
        if j >= n:                          # consumed the implicit final zero
            break
        i = j + 1                           # consumed a 7E of the body
    return bytes(out)


def frame_wire(body):
    """Section 2.3: wire = 7E E(body) 7E."""
    return b"\x7e" + cobs7e_encode(body) + b"\x7e"


def cobs7e_decode(enc):
    """Decode the bytes between two delimiters (section 2.3, receiver side).
    Returns (decoded bytes, incomplete). Data bytes are copied as they are
    (XOR 7E twice); the zero appended after a block with k < FF that is
    followed by more bytes becomes 7E after the final XOR."""
    out = bytearray()
    n = len(enc)
    i = 0
    incomplete = False
    while i < n:
        k = enc[i] ^ DELIM               # 1 ... 255 (0 would be a 7E on the wire)
        i += 1
        want = k - 1
        got = enc[i:i + want]
        out += got
        i += len(got)
        if len(got) < want:
            incomplete = True              # frame ended inside the block
            break
        if k < 0xFF and i < n:
            out.append(DELIM)
    return bytes(out), incomplete


def split_wire_frames(data):
    """Split a byte stream into its non-empty frames (bytes between 7E).
    Returns a list of (start offset of the frame's first byte, end offset
    just past its closing 7E or len(data), encoded bytes, closed)."""
    frames = []
    start = 0
    n = len(data)
    while start <= n:
        j = data.find(b"\x7e", start)
        if j < 0:
            if start < n:
                frames.append((start, n, data[start:], False))
            break
        if j > start:
            frames.append((start, j + 1, data[start:j], True))
        start = j + 1
    return frames


# ---------------------------------------------------------------------------
# Little-endian field helpers
# ---------------------------------------------------------------------------


def u16(b, o):
    return b[o] | (b[o + 1] << 8)


def u32le(v):
    return struct.pack("<I", v & M32)


def u16le(v):
    return struct.pack("<H", v & 0xFFFF)


class CmdError(Exception):
    """A failed check of section 4: status and error payload of section 5."""

    def __init__(self, status, payload=b""):
        super().__init__(status)
        self.status = status
        self.payload = payload


def err_len(got, want):
    return CmdError(ERR_LEN, struct.pack("<II", got & M32, want & M32))


def err_range(offset, value, lo, hi):
    # offset is a u16 field: an offset past 65535 is truncated (see report)
    return CmdError(ERR_RANGE, struct.pack("<Hiii", offset & 0xFFFF, value, lo, hi))


def check_range(offset, value, lo, hi):
    if not lo <= value <= hi:
        raise err_range(offset, value, lo, hi)


# ---------------------------------------------------------------------------
# Board description (.cfg)
# ---------------------------------------------------------------------------

CFG_NUMERICS = {"rows": "R", "cols": "C", "tiles": "T", "dac_bits": "dac_bits",
                "code_bits": "code_bits", "adc_bits": "adc_bits", "dseed": "dseed",
                "p_sa0": "p_sa0", "p_samax": "p_samax", "s_var": "s_var", "s_prog": "s_prog",
                "s_read": "s_read", "s_gain": "s_gain", "s_off": "s_off"}
CFG_LINK_DEFAULTS = {"max_request": 65536, "max_reply": 65536, "max_batch": 1024,
                     "max_width": MAX_WIDTH,
                     "boot_id": 0xB0071D00, "build_hash": 0, "impl_version": 1}


class BoardConfig:
    """Everything a board is created with: numerics parameters, INFO limits
    and identity."""

    def __init__(self, **kw):
        self.params = xn.Params()
        for k, v in CFG_LINK_DEFAULTS.items():
            setattr(self, k, v)
        for k, v in kw.items():
            self.set(k, v)

    def set(self, key, value):
        if key in CFG_NUMERICS:
            setattr(self.params, CFG_NUMERICS[key], value)
        elif key in CFG_LINK_DEFAULTS:
            setattr(self, key, value)
        else:
            raise ValueError("unknown key %r" % key)

    def check(self):
        err = self.params.check()
        if err:
            raise ValueError(err[1])
        T = self.params.T
        # section 6 ranges (a host refuses a board outside them)
        lims = (("max_request", 16, 65536), ("max_reply", 74 + 4 * T, 65536),
                ("max_batch", 1, 0xFFFF), ("max_width", 1, MAX_WIDTH), ("boot_id", 0, M32), ("build_hash", 0, M32),
                ("impl_version", 0, 0xFFFF))
        for name, lo, hi in lims:
            v = getattr(self, name)
            if not lo <= v <= hi:
                raise ValueError("%s = %d outside %d ... %d" % (name, v, lo, hi))

    @classmethod
    def from_text(cls, text):
        cfg = cls()
        seen = set()
        for ln, line in enumerate(text.splitlines(), 1):
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            parts = s.split()
            if len(parts) != 2:
                raise ValueError("line %d: expected 'key value', got %r" % (ln, line))
            key, val = parts
            if key in seen:
                raise ValueError("line %d: key %r given twice" % (ln, key))
            seen.add(key)
            try:
                v = int(val, 10)
            except ValueError:
                raise ValueError("line %d: %r is not a decimal integer" % (ln, val)) from None
            try:
                cfg.set(key, v)
            except ValueError as e:
                raise ValueError("line %d: %s" % (ln, e)) from None
        cfg.check()
        return cfg


# ---------------------------------------------------------------------------
# The board
# ---------------------------------------------------------------------------


class ProtoBoard:
    """A board speaking protocol.md: feed(bytes) -> reply bytes."""

    def __init__(self, cfg):
        cfg.check()
        self.cfg = cfg
        self.prm = cfg.params
        self.nb = xn.Board(self.prm)      # the arithmetic (numerics.md)
        T = self.prm.T
        # section 3.3: power-up boot id is a creation parameter
        self.boot_id = cfg.boot_id & M32
        # section 3.4: link counters, from power-up, never cleared
        self.frames_ok = 0
        self.duplicates = 0
        self.nacks = [0] * 9               # index 1 ... 8 by status code
        self.pulses = [0] * T              # per tile, cleared by RESET
        # section 3.2: duplicate memory (nothing remembered at power-up)
        self.mem = None                    # (seq, crc, reply wire bytes)
        # section 2.3: receiver state: encoded bytes of the frame being received
        self.rx = bytearray()
        # optional log for diagnostics: one (request decoded body, reply body)
        # per non-empty frame, in order
        self.log = None

    # -- section 2.3 / 2.4: receiving ---------------------------------------
    def feed(self, data):
        """Process bytes strictly in order; return the reply bytes they caused."""
        out = bytearray()
        data = bytes(data)
        i = 0
        n = len(data)
        while i < n:
            j = data.find(b"\x7e", i)
            if j < 0:
                self.rx += data[i:]
                break
            self.rx += data[i:j]
            i = j + 1
            if self.rx:                    # empty frames are ignored (2.3)
                enc = bytes(self.rx)
                self.rx = bytearray()
                out += self.receive_frame(enc)
        return bytes(out)

    def receive_frame(self, enc):
        """Section 2.4: a delimiter ended a non-empty frame."""
        body, incomplete = cobs7e_decode(enc)
        L = len(body)
        mr = self.cfg.max_request
        if L > mr + 6:                                       # 1. too long
            reply = self.frame_error(body, REASON_LONG, L)
        elif incomplete:                                     # 2. incomplete block
            reply = self.frame_error(body, REASON_INCOMPLETE, L)
        elif L < 6:                                          # 3. too short
            reply = self.frame_error(body, REASON_SHORT, L)
        else:
            got = struct.unpack_from("<I", body, L - 4)[0]
            want = crc32c(body[:L - 4])
            if got != want:                                  # 4. bad CRC
                self.count_nack(ERR_CRC)
                reply = self.reply_body(self.echo_cmd(body), self.echo_seq(body), ERR_CRC,
                                        struct.pack("<II", got, want))
                reply = frame_wire(reply)
            else:                                            # 5. valid: section 3
                reply = self.valid_frame(body, got)
        if self.log is not None:
            self.log.append((body, reply))
        return reply

    @staticmethod
    def echo_cmd(body):
        return (body[0] | 0x80) if len(body) >= 1 else 0xFF

    @staticmethod
    def echo_seq(body):
        return body[1] if len(body) >= 2 else 0x00

    def frame_error(self, body, reason, L):
        """ERR_FRAME (section 5): reason u8, length u32 saturating."""
        self.count_nack(ERR_FRAME)
        payload = struct.pack("<BI", reason, min(L, M32))
        return frame_wire(self.reply_body(self.echo_cmd(body), self.echo_seq(body),
                                          ERR_FRAME, payload))

    def count_nack(self, status):
        self.nacks[status] = (self.nacks[status] + 1) & M32

    def reply_body(self, cmd, seq, status, payload):
        """Section 2.1 reply body: cmd seq status boot_id payload crc."""
        b = bytes((cmd, seq, status)) + u32le(self.boot_id) + payload
        return b + u32le(crc32c(b))

    # -- section 3.2: duplicates -------------------------------------------
    def valid_frame(self, body, crc):
        seq = body[1]
        self.frames_ok = (self.frames_ok + 1) & M32   # counted before the command runs
        key = (seq, body[0], len(body), crc)           # seq, cmd, length and CRC
        if self.mem is not None and self.mem[0] == key:
            self.duplicates = (self.duplicates + 1) & M32
            return self.mem[2]                         # byte for byte, not executed
        cmd = body[0]
        payload = body[2:-4]
        try:
            rpay = self.execute(cmd, payload)
            status = OK
        except CmdError as e:
            status, rpay = e.status, e.payload
        if status != OK:
            self.count_nack(status)
        # built after execution: RESET's reply carries the new boot id
        wire = frame_wire(self.reply_body(cmd | 0x80, seq, status, rpay))
        self.mem = (key, None, wire)
        return wire

    # -- section 4: commands -------------------------------------------------
    def execute(self, cmd, p):
        h = self.HANDLERS.get(cmd)
        if h is None:
            raise CmdError(ERR_CMD)
        return h(self, p)

    def cmd_info(self, p):
        """4.1 INFO."""
        if len(p) != 0:
            raise err_len(len(p), 0)
        prm, cfg = self.prm, self.cfg
        return (b"XPNN"
                + struct.pack("<HHBBHII", PROTOCOL_VERSION, NUMERICS_VERSION, IMPL_C_ENGINE, 0,
                              cfg.impl_version, cfg.build_hash, self.boot_id)
                + struct.pack("<HHHBBBBBBHHII", prm.R, prm.C, prm.T, prm.dac_bits,
                              prm.code_bits, prm.adc_bits, G_BITS, PSUM_BITS, MAX_LAYERS,
                              cfg.max_width, cfg.max_batch, cfg.max_request, cfg.max_reply))

    def network_shape(self):
        """(layers, n_in of layer 0, n_out of last, n_all), zeros when none."""
        conf = self.nb.config
        if not conf:
            return 0, 0, 0, 0
        return len(conf), conf[0].n_in, conf[-1].n_out, sum(ly.n_out for ly in conf)

    def cmd_status(self, p):
        """4.2 STATUS."""
        if len(p) != 0:
            raise err_len(len(p), 0)
        nb = self.nb
        nl, n_in, n_out, n_all = self.network_shape()
        return (struct.pack("<II", self.frames_ok, self.duplicates)
                + struct.pack("<8I", *self.nacks[1:9])
                + struct.pack("<QQQ", nb.P, nb.N, nb.nseed)
                + struct.pack("<BBHHHH", nl, 0, n_in, n_out, n_all, self.prm.T)
                + struct.pack("<%dI" % self.prm.T, *self.pulses))

    def cmd_reset(self, p):
        """4.3 RESET: numerics reset state, pulses cleared, new boot id (3.3)."""
        if len(p) != 0:
            raise err_len(len(p), 0)
        self.nb.reset()
        self.pulses = [0] * self.prm.T
        self.boot_id = (self.boot_id * 1664525 + 1013904223) & M32
        return b""

    def cmd_set_seed(self, p):
        """4.4 SET_SEED."""
        if len(p) != 8:
            raise err_len(len(p), 8)
        self.nb.set_seed(struct.unpack_from("<Q", p, 0)[0])
        return b""

    def cmd_configure(self, p):
        """4.5 CONFIGURE: parse and check field by field from offset 0."""
        prm = self.prm
        n = len(p)
        pos = [0]

        def field(size):
            """Read the next field; ERR_LEN want = offset just past it."""
            o = pos[0]
            if o + size > n:
                raise err_len(n, o + size)
            pos[0] = o + size
            return o, (p[o] if size == 1 else u16(p, o))

        o, L = field(1)
        check_range(o, L, 1, MAX_LAYERS)
        NRB = 32768 // (1 << (prm.adc_bits - 1))
        layers = []
        used = {}                                   # tile -> offset of first use
        prev_out = None
        for l in range(L):
            o, act = field(1)
            if l < L - 1:
                check_range(o, act, 1, 1)           # hidden layers are RELU
            else:
                check_range(o, act, 0, 1)
            o, bias = field(1)
            check_range(o, bias, 0, 1)
            o, amul = field(1)                      # any u8
            o, ash = field(1)
            check_range(o, ash, 0, 15)
            o, n_in = field(2)
            if l > 0:
                check_range(o, n_in, prev_out, prev_out)
            check_range(o, n_in, 1, min(self.cfg.max_width, NRB * prm.R - bias))
            o, n_out = field(2)
            check_range(o, n_out, 1, self.cfg.max_width)
            nrb = -(-(n_in + bias) // prm.R)
            ncb = -(-n_out // prm.C)
            o, ntiles = field(2)
            check_range(o, ntiles, nrb * ncb, nrb * ncb)
            tiles = []
            for _ in range(ntiles):
                o, t = field(2)
                check_range(o, t, 0, prm.T - 1)
                if t in used:
                    raise CmdError(ERR_CONFLICT, struct.pack("<HiH", o, t, used[t]))
                used[t] = o
                tiles.append(t)
            layers.append(xn.Layer(n_in, n_out, bias, act, amul, ash, tiles, prm.R, prm.C))
            prev_out = n_out
        if pos[0] != n:                              # 3. bytes left over
            raise err_len(n, pos[0])
        self.nb.configure(layers)                    # numerics section 9 (same checks)
        return struct.pack("<HHH", layers[0].n_in, layers[-1].n_out,
                           sum(ly.n_out for ly in layers))

    def cmd_set_adc(self, p):
        """4.6 SET_ADC."""
        prm = self.prm
        n = len(p)
        if n < 6:
            raise err_len(n, 6)
        t, c0, nc = u16(p, 0), u16(p, 2), u16(p, 4)
        check_range(0, t, 0, prm.T - 1)
        check_range(2, c0, 0, prm.C - 1)
        check_range(4, nc, 1, prm.C - c0)
        if n != 6 + 4 * nc:
            raise err_len(n, 6 + 4 * nc)
        cols = []
        for i in range(nc):
            o = 6 + 4 * i
            gain, shift, off = struct.unpack_from("<BBh", p, o)
            check_range(o + 1, shift, 0, 31)
            check_range(o + 2, off, -2048, 2047)
            cols.append((gain, shift, off))
        nb = self.nb
        for i, (gain, shift, off) in enumerate(cols):
            nb.gain[t][c0 + i] = gain
            nb.ashift[t][c0 + i] = shift
            nb.aoff[t][c0 + i] = off
        return b""

    def check_rect(self, p):
        """The rectangle checks of 4.7 (shared by 4.8): tile r0 c0 nr nc."""
        prm = self.prm
        t, r0, c0, nr, nc = struct.unpack_from("<5H", p, 0)
        check_range(0, t, 0, prm.T - 1)
        check_range(2, r0, 0, prm.R - 1)
        check_range(4, c0, 0, prm.C - 1)
        check_range(6, nr, 1, prm.R - r0)
        check_range(8, nc, 1, prm.C - c0)
        return t, r0, c0, nr, nc

    def cmd_write_cells(self, p):
        """4.7 WRITE_CELLS."""
        n = len(p)
        if n < 10:
            raise err_len(n, 10)
        t, r0, c0, nr, nc = self.check_rect(p)
        if n != 10 + 2 * nr * nc:
            raise err_len(n, 10 + 2 * nr * nc)
        cmax = self.prm.CMAX
        for i in range(10, n):
            if p[i] > cmax:
                raise err_range(i, p[i], 0, cmax)
        codes = [(p[10 + 2 * i], p[11 + 2 * i]) for i in range(nr * nc)]
        changed, _ = self.nb.write(t, r0, c0, nr, nc, codes)
        self.pulses[t] = (self.pulses[t] + 2 * nr * nc) & M32
        return u32le(changed)

    def cmd_read_cells(self, p):
        """4.8 READ_CELLS."""
        n = len(p)
        if n != 10:
            raise err_len(n, 10)
        t, r0, c0, nr, nc = self.check_rect(p)
        check_range(6, nr, 1, self.cfg.max_reply // (2 * nc))
        out = bytearray()
        for gp, gn in self.nb.read(t, r0, c0, nr, nc):
            out.append(gp)
            out.append(gn)
        return bytes(out)

    def cmd_run(self, p):
        """4.9 RUN."""
        prm, cfg = self.prm, self.cfg
        n = len(p)
        if n < 3:
            raise err_len(n, 3)
        B = u16(p, 0)
        flags = p[2]
        check_range(2, flags, 0, 1)
        conf = self.nb.config
        if not conf:
            raise CmdError(ERR_STATE)
        n_in = conf[0].n_in
        K = sum(ly.n_out for ly in conf) if flags & 1 else conf[-1].n_out
        bmax = min(cfg.max_batch, (cfg.max_request - 3) // n_in, (cfg.max_reply - 11) // (2 * K))
        if not 1 <= B <= bmax:
            raise CmdError(ERR_BATCH, struct.pack("<II", B, bmax))
        if n != 3 + B * n_in:
            raise err_len(n, 3 + B * n_in)
        xmax = prm.XMAX
        for i in range(3, n):
            if p[i] > xmax:
                raise err_range(i, p[i], 0, xmax)
        xs = [list(p[3 + v * n_in:3 + (v + 1) * n_in]) for v in range(B)]
        n0 = self.nb.N
        res = self.nb.run(xs)
        vals = []
        for S_all, out in res:
            if flags & 1:
                for S in S_all:
                    vals.extend(S)
            else:
                vals.extend(out)
        return struct.pack("<HBQ%dh" % len(vals), B, flags, n0, *vals)

    def cmd_write_list(self, p):
        """4.10 WRITE_LIST."""
        prm = self.prm
        n = len(p)
        if n < 4:
            raise err_len(n, 4)
        t, count = u16(p, 0), u16(p, 2)
        check_range(0, t, 0, prm.T - 1)
        check_range(2, count, 1, 65535)
        if n != 4 + 6 * count:
            raise err_len(n, 4 + 6 * count)
        cmax = prm.CMAX
        recs = []
        for i in range(count):
            o = 4 + 6 * i
            r, c, kp, kn = struct.unpack_from("<HHBB", p, o)
            check_range(o, r, 0, prm.R - 1)
            check_range(o + 2, c, 0, prm.C - 1)
            check_range(o + 4, kp, 0, cmax)
            check_range(o + 5, kn, 0, cmax)
            recs.append((r, c, kp, kn))
        changed = 0
        for r, c, kp, kn in recs:          # a 1 x 1 WRITE_CELLS per record, in order
            ch, _ = self.nb.write(t, r, c, 1, 1, [(kp, kn)])
            changed += ch
        self.pulses[t] = (self.pulses[t] + 2 * count) & M32
        return u32le(changed)

    HANDLERS = {CMD_INFO: cmd_info, CMD_STATUS: cmd_status, CMD_RESET: cmd_reset,
                CMD_SET_SEED: cmd_set_seed, CMD_CONFIGURE: cmd_configure,
                CMD_SET_ADC: cmd_set_adc, CMD_WRITE_CELLS: cmd_write_cells,
                CMD_READ_CELLS: cmd_read_cells, CMD_RUN: cmd_run,
                CMD_WRITE_LIST: cmd_write_list}


# ---------------------------------------------------------------------------
# Diagnostics: describe bodies
# ---------------------------------------------------------------------------


def hexs(b, limit=64):
    s = " ".join("%02X" % x for x in b[:limit])
    if len(b) > limit:
        s += " ... (%d bytes)" % len(b)
    return s


def describe_reply(body):
    if len(body) < 11:
        return "reply body (%d bytes, too short): %s" % (len(body), hexs(body))
    st = body[2]
    return ("cmd %02X seq %02X status %02X (%s) boot_id %s | payload %d bytes: %s | crc %s"
            % (body[0], body[1], st, STATUS_NAMES.get(st, "?"), hexs(body[3:7]), len(body) - 11,
               hexs(body[7:-4]), hexs(body[-4:])))


def describe_request(body):
    if len(body) < 6:
        return "request body (%d bytes): %s" % (len(body), hexs(body))
    return ("cmd %02X (%s) seq %02X | payload %d bytes: %s | crc %s"
            % (body[0], CMD_NAMES.get(body[0], "?"), body[1], len(body) - 6,
               hexs(body[2:-4]), hexs(body[-4:])))


def decode_reply_frames(data):
    """The reply bodies of a board's output stream (list of (start, end, body))."""
    res = []
    for s, e, enc, _closed in split_wire_frames(data):
        body, _inc = cobs7e_decode(enc)
        res.append((s, e, body))
    return res


def decode_bodies(data):
    return [body for _, _, body in decode_reply_frames(data)]


# ---------------------------------------------------------------------------
# Replaying CASE.cfg / .in / .out
# ---------------------------------------------------------------------------


def chunks(data, rng):
    """Cut data into a few random-sized pieces (1 ... 6 pieces)."""
    if len(data) < 2:
        return [data]
    ncut = rng.randint(0, min(5, len(data) - 1))
    cuts = sorted(rng.sample(range(1, len(data)), ncut))
    pieces = []
    prev = 0
    for c in cuts + [len(data)]:
        pieces.append(data[prev:c])
        prev = c
    return pieces


def run_case(cfg_path, quiet=False):
    base = cfg_path[:-4] if cfg_path.endswith(".cfg") else cfg_path
    name = os.path.basename(base)
    try:
        with open(cfg_path) as fh:
            cfg = BoardConfig.from_text(fh.read())
        with open(base + ".in", "rb") as fh:
            din = fh.read()
        with open(base + ".out", "rb") as fh:
            dout = fh.read()
    except (OSError, ValueError) as e:
        print("FAIL %s: %s" % (name, e))
        return False
    board = ProtoBoard(cfg)
    board.log = []
    rng = random.Random(zlib.crc32(name.encode()))
    got = bytearray()
    for piece in chunks(din, rng):
        got += board.feed(piece)
    got = bytes(got)
    if got == dout:
        if not quiet:
            print("OK %s (%d bytes in, %d bytes out, %d frames)" % (name, len(din), len(dout),
                                                                     len(board.log)))
        return True
    k = 0
    m = min(len(got), len(dout))
    while k < m and got[k] == dout[k]:
        k += 1
    exp_frames = decode_reply_frames(dout)
    act_frames = decode_reply_frames(got)
    # the reply frame containing byte k of the expected output (else of the actual)
    fi = next((i for i, (s, e, _) in enumerate(exp_frames) if k < e), None)
    if fi is None:
        fi = next((i for i, (s, e, _) in enumerate(act_frames) if k < e), len(exp_frames))
    eb = "%02X" % dout[k] if k < len(dout) else "end of output"
    ab = "%02X" % got[k] if k < len(got) else "end of output"
    print("FAIL %s: first difference at output byte %d (reply frame %d): expected %s actual %s"
          % (name, k, fi, eb, ab))
    print("    expected: %s" % (describe_reply(exp_frames[fi][2]) if fi < len(exp_frames)
                                else "no frame"))
    print("    actual:   %s" % (describe_reply(act_frames[fi][2]) if fi < len(act_frames)
                                else "no frame"))
    # every non-empty request frame gets exactly one reply, so reply frame fi
    # answers the fi-th non-empty request frame
    if fi < len(board.log):
        print("    request:  %s" % describe_request(board.log[fi][0]))
    print("    (%d reply frames expected, %d actual)" % (len(exp_frames), len(act_frames)))
    return False


# ---------------------------------------------------------------------------
# Self test: known answers of protocol.md
# ---------------------------------------------------------------------------


def parse_examples(path):
    """Parse section 7 of protocol.md: a list of (board description, title,
    request wire bytes, reply wire bytes). The board description is the
    max_request of the board the example runs on (None = reference)."""
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    try:
        start = next(i for i, ln in enumerate(lines) if ln.startswith("<!-- BEGIN EXAMPLES"))
        end = next(i for i, ln in enumerate(lines) if ln.startswith("<!-- END EXAMPLES"))
    except StopIteration:
        raise ValueError("no examples section in %s" % path) from None

    def is_hex(tok):
        return len(tok) == 2 and all(ch in "0123456789ABCDEFabcdef" for ch in tok)

    examples = []
    board = None
    title = None
    cur = None               # (kind, bytearray)
    req = None
    for ln in lines[start + 1:end]:
        s = ln.strip()
        if cur is not None:
            toks = s.split()
            if toks and ln.startswith(" ") and all(is_hex(t) for t in toks):
                cur[1].extend(int(t, 16) for t in toks)
                continue
            # the record ended
            if cur[0] == ">":
                req = bytes(cur[1])
            else:
                examples.append((board, title, req, bytes(cur[1])))
                req = None
            cur = None
        if ln.startswith("> ") or ln.startswith("< "):
            toks = ln[2:].split()
            cur = (ln[0], bytearray(int(t, 16) for t in toks))
        elif s.startswith("A board with max_request"):
            board = int(s.split("=")[1].strip().rstrip(":"))
        elif s.startswith("**"):
            title = s
    return examples


def selftest(doc_path):
    fails = []
    n = [0]

    def chk(what, got, want):
        n[0] += 1
        if got != want:
            fails.append("%s: got %r, expected %r" % (what, got, want))

    # 2.2 CRC-32C check value
    chk("crc32c('123456789')", crc32c(b"123456789"), 0xE3069283)
    # 2.3 COBS/7E: round trips and canonical form
    chk("E(empty)", cobs7e_encode(b""), bytes([0x01 ^ 0x7E]))
    chk("E(7E)", cobs7e_encode(b"\x7e"), bytes([0x01 ^ 0x7E, 0x01 ^ 0x7E]))
    b254 = bytes(x for x in range(256) if x != 0x7E)[1:]      # 254 bytes, no 7E
    chk("len 254", len(b254), 254)
    chk("E(254 non-7E) ends in 7F", cobs7e_encode(b254), b"\x81" + b254 + b"\x7f")
    chk("E(255 non-7E)", cobs7e_encode(b254 + b"\x01"), b"\x81" + b254 + bytes([0x02 ^ 0x7E, 1]))
    rng = random.Random(1)
    for i in range(300):
        ln = rng.choice((0, 1, 2, 5, 253, 254, 255, 508, 509, 600))
        body = bytes(rng.choice((0x7E, 0x00, rng.randrange(256))) for _ in range(ln))
        enc = cobs7e_encode(body)
        chk("no 7E in E(body) #%d" % i, DELIM in enc, False)
        chk("size bound #%d" % i, len(enc) <= ln + -(-(ln + 1) // 254), True)
        chk("decode(E(body)) #%d" % i, cobs7e_decode(enc), (body, False))
    chk("decode 7E 7F 7E", cobs7e_decode(b"\x7f"), (b"", False))
    # 3.3 boot id LCG, from the section 7 RESET example
    chk("LCG(B0071D00)", (0xB0071D00 * 1664525 + 1013904223) & M32, 0xD7596C5F)

    # section 7: replay every example on boards configured as section 7 says
    try:
        exs = parse_examples(doc_path)
    except (OSError, ValueError) as e:
        fails.append("cannot parse examples: %s" % e)
        exs = []
    chk("number of section 7 examples >= 20", len(exs) >= 20, True)
    boards = {}
    sessions = {}
    for mr, title, req, rep in exs:
        if mr not in boards:
            cfg = BoardConfig(boot_id=0xB0071D00, impl_version=1, build_hash=0)
            if mr is not None:
                cfg.max_request = mr
            boards[mr] = ProtoBoard(cfg)
            sessions[mr] = (cfg, bytearray(), bytearray())
        got = boards[mr].feed(req)
        what = "section 7 %s (max_request %s)" % (title, mr or "reference")
        n[0] += 1
        if got != rep:
            fails.append("%s:\n    request  %s\n    expected %s\n    actual   %s" % (
                what, "; ".join(describe_request(b) for b in decode_bodies(req)),
                "; ".join(describe_reply(b) for b in decode_bodies(rep)),
                "; ".join(describe_reply(b) for b in decode_bodies(got))))
        sessions[mr][1].extend(req)
        sessions[mr][2].extend(rep)
    # the same sessions again, each as one stream cut at random places
    for mr, (cfg, sin, sout) in sessions.items():
        for trial in range(5):
            b = ProtoBoard(cfg)
            out = bytearray()
            for piece in chunks(bytes(sin), random.Random(trial)):
                out += b.feed(piece)
            chk("section 7 session (max_request %s) fed in random chunks #%d equals the examples"
                % (mr or "reference", trial), bytes(out) == bytes(sout), True)
        # byte by byte
        b = ProtoBoard(cfg)
        out = bytearray()
        for x in sin:
            out += b.feed(bytes((x,)))
        chk("section 7 session (max_request %s) fed byte by byte equals the examples"
            % (mr or "reference"), bytes(out) == bytes(sout), True)
    for f in fails:
        print("selftest FAIL " + f)
    print("selftest: %d checks, %d failed (%d section 7 examples)" % (n[0], len(fails), len(exs)))
    return not fails


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Independent implementation of docs/protocol.md: replays board "
                    "sessions (CASE.cfg + CASE.in) and compares with CASE.out.")
    ap.add_argument("--selftest", action="store_true",
                    help="CRC-32C check value, COBS/7E checks and protocol.md section 7")
    ap.add_argument("--quiet", action="store_true", help="print only failures and the summary")
    ap.add_argument("--doc", default=os.path.join(HERE, "..", "..", "docs", "protocol.md"),
                    help="protocol.md to take the section 7 examples from")
    ap.add_argument("cases", nargs="*", metavar="CASE.cfg")
    args = ap.parse_args(argv)
    passed = failed = 0
    if args.selftest:
        if selftest(args.doc):
            passed += 1
        else:
            failed += 1
    for c in args.cases:
        if run_case(c, args.quiet):
            passed += 1
        else:
            failed += 1
    print("protocol-indep: %d passed, %d failed" % (passed, failed))
    return 1 if failed or (passed == 0) else 0


if __name__ == "__main__":
    sys.exit(main())
