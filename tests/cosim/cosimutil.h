// cosimutil.h — what the co-simulation harnesses share: their seeded randomness (splitmix64;
// the board's own randomness is Threefry, numerics §4) and the XP_SEED convention.
#ifndef XP_COSIMUTIL_H
#define XP_COSIMUTIL_H

#include <cstdint>
#include <cstdlib>

// one splitmix64 step of a stream's state
static inline uint64_t splitmix64(uint64_t &state) {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t rs = 1;

static inline uint64_t rnd64() { return splitmix64(rs); }

static inline unsigned rndu(unsigned n) { return (unsigned)(rnd64() % n); }

// A second stream for what is drawn every cycle (a harness's handshake gaps and backpressure):
// the RTL's timing decides how many such draws a frame takes, so with one stream an RTL change
// that moved a reply by a cycle would change every frame after it, and XP_SEED=N would
// reproduce a run only on the RTL it came from.
static uint64_t rs_cycle = 2;

static inline unsigned rndu_cycle(unsigned n) { return (unsigned)(splitmix64(rs_cycle) % n); }

// XP_SEED from the environment (default 1); the stream starts from seed * mul + add, so that
// each harness draws its own numbers for the same seed.
static inline uint64_t cosim_seed(uint64_t mul, uint64_t add) {
    const char *e = getenv("XP_SEED");
    uint64_t seed = e && *e ? strtoull(e, nullptr, 10) : 1;
    rs = seed * mul + add;
    rs_cycle = ~rs;
    return seed;
}

// Verilator's seed for the registers' random power-up values (--x-initial unique with
// Verilated::randReset(2)) from XP_SEED: each seed starts the RTL from other values, so a
// register that is not reset but matters shows up under some seed (distinct for seeds below
// 2^31 - 1, never 0: 0 would ask the system for one)
static inline int cosim_power_up_seed(uint64_t seed) { return (int)(seed % 0x7FFFFFFFull) + 1; }

// The wire bytes of a frame (7E E(body) 7E, protocol §2.3), and a request's body (cmd, seq,
// payload, CRC-32C): for the harnesses that speak the protocol (xp_board.h).
#ifdef XP_BOARD_H
#include <vector>

static inline std::vector<uint8_t> wire_of(const std::vector<uint8_t> &body) {
    std::vector<uint8_t> w(XP_COBS_MAX(body.size()) + 2);
    xp_cobs_enc e;
    w[0] = 0x7E;
    xp_cobs_enc_init(&e, w.data() + 1);
    xp_cobs_enc_feed(&e, body.data(), body.size());
    size_t n = 1 + xp_cobs_enc_finish(&e, w.data() + 1);
    w[n] = 0x7E;
    w.resize(n + 1);
    return w;
}

static inline std::vector<uint8_t> body_of(uint8_t cmd, uint8_t seq, const std::vector<uint8_t> &pl) {
    std::vector<uint8_t> b = {cmd, seq};
    b.insert(b.end(), pl.begin(), pl.end());
    uint32_t c = xp_crc32c(0, b.data(), b.size());
    for (int i = 0; i < 4; i++) b.push_back((uint8_t)(c >> (8 * i)));
    return b;
}
#endif

#endif
