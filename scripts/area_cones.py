#!/usr/bin/env python3
"""make area-report: where a synthesised iCE40 design's logic goes, by what it feeds.

usage: area_cones.py NETLIST.json [--top MODULE] [-n N] [--by register|block]

Reads a Yosys JSON netlist after synth_ice40 (build/<board>/xpnn.json) and attributes every
SB_LUT4 and SB_CARRY to the sinks its output reaches through other LUTs and carries: a
flip-flop's D, E, R and S inputs (grouped by the register's name, its bit index dropped), or a
block RAM's, SPRAM's, DSP's or PLL's inputs (grouped by the cell's instance). A cell that feeds
k sinks counts 1/k to each ("share"); "own" counts the cells that feed that sink alone, what
removing it would save at least; "cone" is every cell in its fan-in.

--by block sums the shares by instance path (board.board.board.tf → the Threefry engine),
--by register lists the registers and memories (the default). The shares add up to the LUT and
carry cells that feed any of them (checked; the header says how many feed none); placement packs
a LUT, a carry and a flip-flop into one logic cell, so nextpnr's logic-cell count is lower than
their sum plus the flip-flops.
"""
import argparse
import collections
import json
import re
import sys

COMB = {"SB_LUT4": ("O",), "SB_CARRY": ("CO",)}
FF_INPUTS = ("D", "E", "R", "S")


def load(path, top):
    with open(path) as f:
        d = json.load(f)
    mods = d.get("modules", {})
    if top is None:
        tops = [k for k, m in mods.items() if m.get("attributes", {}).get("top")]
        if len(tops) != 1:
            raise SystemExit(f"{path}: {len(tops)} top modules; name one with --top")
        top = tops[0]
    if top not in mods:
        names = sorted(k for k in mods if not k.startswith("$"))
        raise SystemExit(f"{path}: no module {top!r} (modules: {', '.join(names[:10])}"
                         f"{', …' if len(names) > 10 else ''})")
    return top, mods[top]


def attribute(m):
    """(share, own, cone) per sink group, and the number of LUT and carry cells."""
    name_of = {}
    for n, nn in m.get("netnames", {}).items():
        if n.startswith("$"):
            continue
        for b in nn["bits"]:
            if isinstance(b, int) and (b not in name_of or len(n) < len(name_of[b])):
                name_of[b] = n
    driver, comb, sinks = {}, {}, collections.defaultdict(list)
    for cn, c in m["cells"].items():
        t, con = c["type"], c["connections"]
        if t in COMB:
            comb[cn] = c
            for p in COMB[t]:
                for b in con.get(p, []):
                    if isinstance(b, int):
                        driver[b] = cn
        elif t.startswith("SB_DFF"):
            q = con["Q"][0]
            group = "ff " + name_of.get(q, cn)
            for p in FF_INPUTS:
                sinks[group] += [b for b in con.get(p, []) if isinstance(b, int)]
        else:
            dirs = c.get("port_directions", {})
            group = t + " " + re.sub(r"\.mem\..*$|_SB_\w+$", "", cn)
            for p, bits in con.items():
                if dirs.get(p) == "input":
                    sinks[group] += [b for b in bits if isinstance(b, int)]
    cones, reach = {}, collections.Counter()
    for group, bits in sinks.items():
        seen, stack = set(), [driver[b] for b in bits if b in driver]
        while stack:
            cn = stack.pop()
            if cn in seen:
                continue
            seen.add(cn)
            c = comb[cn]
            for p, bs in c["connections"].items():
                if c["port_directions"].get(p) == "input":
                    stack += [driver[b] for b in bs if isinstance(b, int) and b in driver]
        cones[group] = seen
        for cn in seen:
            reach[cn] += 1
    share, own = collections.Counter(), collections.Counter()
    for group, cells in cones.items():
        for cn in cells:
            share[group] += 1.0 / reach[cn]
            own[group] += reach[cn] == 1
    return share, own, cones, len(comb)


def block_of(group):
    """The instance path of a register or memory, less its last name."""
    name = group.split(" ", 1)[1]
    name = re.sub(r"\[\d+\]", "", name)
    parts = name.split(".")
    return ".".join(parts[:-1]) or "(top)"


def main():
    ap = argparse.ArgumentParser(usage="%(prog)s NETLIST.json [--top MODULE] [-n N] [--by register|block]",
                                 description=__doc__.split("\n", 3)[3],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("netlist", help="Yosys JSON netlist after synth_ice40 (build/<board>/xpnn.json)")
    ap.add_argument("--top", help="the top module (default: the one marked top)")
    ap.add_argument("-n", type=int, default=40, help="rows to list (default 40)")
    ap.add_argument("--by", choices=("register", "block"), default="register")
    a = ap.parse_args()
    if a.n < 1:
        ap.error(f"-n {a.n}: must be at least 1")
    try:
        top, m = load(a.netlist, a.top)
    except (OSError, ValueError) as e:
        raise SystemExit(f"{a.netlist}: {e}")
    share, own, cones, ncomb = attribute(m)
    reached = len(set().union(*cones.values())) if cones else 0
    if abs(sum(share.values()) - reached) > 1e-6 * max(1, reached):   # (the shares of a cell sum to 1)
        raise SystemExit(f"area_cones.py: shares {sum(share.values()):.3f} != {reached} cells reached")
    if a.by == "block":
        rows = collections.Counter()
        for g, v in share.items():
            rows[block_of(g)] += v
        print(f"{a.netlist} ({top}): {ncomb} LUT and carry cells, by instance path")
        print(f"{'share':>8}  block")
        for b, v in rows.most_common(a.n):
            print(f"{v:8.0f}  {b}")
    else:
        print(f"{a.netlist} ({top}): {ncomb} LUT and carry cells ({ncomb - reached} feeding no register "
              f"or memory), by the register or memory they feed")
        print(f"{'share':>8} {'own':>6} {'cone':>6}  sink")
        for g, v in share.most_common(a.n):
            print(f"{v:8.1f} {own[g]:6d} {len(cones[g]):6d}  {g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
