#!/usr/bin/env python3
"""make bitstream's report: build/<board>/report.json from nextpnr's --report and yosys's stat
(make synth-check: build/<board>/synth-report.json from the stat alone),
the reference network's link- and compute-bound inference rates, and the baseline gate.

usage: fpga_report.py BOARD OUTDIR BASELINE.json KEY=VALUE...
  keys: target_mhz, baud, macs_per_cycle (weight MACs x*(G+ - G-) a cycle: cells; each is two
        device products x*G+ and x*G-), max_request,
        max_reply, max_batch, max_width (optional, default 4096), rows, cols, tiles, device
  --update-baseline   write BASELINE.json from this build instead of comparing
  --synth-only        the synthesis alone (yosys's stat: SB_LUT4, flip-flops, SB_RAM40_4K,
                      SB_SPRAM256KA, SB_MAC16), no placement and no Fmax: make synth-check's
                      area gate, which runs while the design does not fit its device

Fails (exit 1) when an Fmax is below the target clock, or when LUTs, FFs, EBR, SPRAM or DSPs
grew by more than TOLERANCE over the checked-in baseline (update it with
`make bitstream-baseline BOARD=...` and say why in the commit).
"""
import json, math, os, re, sys, tempfile

TOLERANCE = 0.10          # allowed growth of any resource over the baseline
NET = (784, 64, 10)       # the reference network (DESIGN.md): Fashion-MNIST 784-64-10
RESOURCES = ("luts", "ffs", "ebr", "spram", "dsp")
# --synth-only: what each device has (LUTs, EBR, SPRAM, DSP), for the report's "of" figures
AVAILABLE = {"up5k": (5280, 30, 4, 8), "hx8k": (7680, 32, 0, 0)}


def cobs_max(n):
    """Largest COBS encoding of an n-byte body, with the two delimiters (protocol §6)."""
    return n + (n + 1 + 253) // 254 + 2


def rates(k):
    n_in, n_out = NET[0], NET[-1]
    macs = sum(a * b for a, b in zip(NET, NET[1:]))
    bmax = min(k["max_batch"], (k["max_request"] - 3) // n_in, (k["max_reply"] - 11) // (2 * n_out))
    fits = k["rows"] * k["cols"] * k["tiles"] >= sum(
        math.ceil(a / k["rows"]) * k["rows"] * math.ceil(b / k["cols"]) * k["cols"]
        for a, b in zip(NET, NET[1:])) and max(NET) <= k.get("max_width", 4096)
    out = {"network": "-".join(map(str, NET)), "macs_per_inference": macs,
           "fits_the_board": fits}
    if bmax < 1:
        out["batch_per_frame"] = 0
        out["note"] = "a RUN of one reference vector does not fit this board's max_request"
        return out
    req = cobs_max(2 + 3 + bmax * n_in + 4)           # cmd, seq, RUN header, x, CRC
    rsp = cobs_max(7 + 11 + bmax * 2 * n_out + 4)     # reply header, RUN header, outputs, CRC
    per_inf = (req + rsp) / bmax
    out.update({
        "batch_per_frame": bmax,
        "wire_bytes_per_inference": round(per_inf, 2),
        # stop and wait: request and reply are on the wire one after the other
        "link_bound_inferences_per_s": round(k["baud"] / (10 * per_inf), 1),
        "compute_bound_inferences_per_s": round(
            k["macs_per_cycle"] * k["fmax_mhz"] * 1e6 / macs, 1) if k.get("fmax_mhz") else None,
    })
    return out


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    update = "--update-baseline" in sys.argv
    synth_only = "--synth-only" in sys.argv
    if len(args) < 3:
        sys.exit(__doc__)
    board, outdir, baseline = args[:3]
    k = {}
    for a in args[3:]:
        key, _, v = a.partition("=")
        k[key] = v if key == "device" else float(v) if "." in v else int(v)
    stat = open(os.path.join(outdir, "yosys-stat.txt")).read()
    cells = {c: int(n) for c, n in re.findall(r"^\s+(SB_\w+)\s+(\d+)$", stat, re.M)}
    ffs = sum(n for c, n in cells.items() if c.startswith("SB_DFF"))
    if synth_only:
        have = AVAILABLE[k["device"]]
        pnr = {"utilization": {
            "ICESTORM_LC": {"used": cells.get("SB_LUT4", 0), "available": have[0]},
            "ICESTORM_RAM": {"used": cells.get("SB_RAM40_4K", 0), "available": have[1]},
            "ICESTORM_SPRAM": {"used": cells.get("SB_SPRAM256KA", 0), "available": have[2]},
            "ICESTORM_DSP": {"used": cells.get("SB_MAC16", 0), "available": have[3]}}}
    else:
        pnr = json.load(open(os.path.join(outdir, "nextpnr-report.json")))
    util = pnr["utilization"]

    def used(cell):
        return util.get(cell, {}).get("used", 0)

    def avail(cell):
        return util.get(cell, {}).get("available", 0)

    fmax = {clk: round(v["achieved"], 2) for clk, v in pnr.get("fmax", {}).items()}
    rep = {
        "board": board, "device": k.get("device"),
        "luts": used("ICESTORM_LC"), "luts_available": avail("ICESTORM_LC"),
        "ffs": ffs,
        "ebr": used("ICESTORM_RAM"), "ebr_available": avail("ICESTORM_RAM"),
        "spram": used("ICESTORM_SPRAM"), "spram_available": avail("ICESTORM_SPRAM"),
        "dsp": used("ICESTORM_DSP"), "dsp_available": avail("ICESTORM_DSP"),
        "fmax_mhz": fmax, "target_mhz": k["target_mhz"],
        "geometry": dict({f: k[f] for f in ("rows", "cols", "tiles", "max_request", "max_reply",
                                            "max_batch")}, max_width=k.get("max_width", 4096)),
        "macs_per_cycle": k["macs_per_cycle"],
        "device_products_per_cycle": 2 * k["macs_per_cycle"], "baud": k["baud"],
    }
    worst = min(fmax.values()) if fmax else 0.0
    rep["timing_met"] = None if synth_only else bool(fmax) and worst >= k["target_mhz"]
    rep["stage"] = "synthesis (yosys stat: luts are SB_LUT4)" if synth_only else "placed and routed"
    # the board runs at the target clock (synthesis alone: assume it is met)
    k["fmax_mhz"] = k["target_mhz"] if synth_only else min(worst, k["target_mhz"])
    rep["reference_network"] = rates(k)
    tmp = tempfile.NamedTemporaryFile("w", dir=outdir, delete=False)
    json.dump(rep, tmp, indent=2)
    tmp.write("\n")
    tmp.close()
    os.replace(tmp.name, os.path.join(outdir, "synth-report.json" if synth_only else "report.json"))

    r = rep["reference_network"]
    print(f"{board}: {'synthesis: SB_LUT4' if synth_only else 'LUTs'} {rep['luts']}/{rep['luts_available']}, FFs {ffs}, "
          f"EBR {rep['ebr']}/{rep['ebr_available']}, SPRAM {rep['spram']}/{rep['spram_available']}, "
          f"DSP {rep['dsp']}/{rep['dsp_available']}; Fmax "
          + ("not known before placement" if synth_only else
             ", ".join(f"{c} {f} MHz" for c, f in fmax.items())
             + f" (target {k['target_mhz']} MHz: {'met' if rep['timing_met'] else 'NOT MET'})"))
    if r.get("batch_per_frame"):
        print(f"{board}: {k['macs_per_cycle']} MACs/cycle ({2 * k['macs_per_cycle']} device "
              f"products x*G+, x*G-); reference network {r['network']}: "
              f"{r['batch_per_frame']} vector{'s' if r['batch_per_frame'] != 1 else ''} a RUN frame, {r['wire_bytes_per_inference']} wire "
              f"bytes an inference -> link-bound {r['link_bound_inferences_per_s']} inf/s at "
              f"{k['baud']} baud, compute-bound {r['compute_bound_inferences_per_s']} inf/s"
              + ("" if r["fits_the_board"] else " (the network does not fit this board's tiles)"))
    else:
        print(f"{board}: {r['note']}")

    if update:
        base = {x: rep[x] for x in RESOURCES}
        base["fmax_mhz"] = fmax
        with open(baseline, "w") as f:
            json.dump(base, f, indent=2)
            f.write("\n")
        print(f"{board}: baseline written to {baseline}")
        return 0
    bad = []
    if not synth_only and not rep["timing_met"]:
        bad.append(f"Fmax {worst} MHz is below the target clock {k['target_mhz']} MHz")
    if not os.path.exists(baseline):
        bad.append(f"no baseline {baseline} (make {'synth' if synth_only else 'bitstream'}-baseline "
                   f"BOARD={board})")
    else:
        base = json.load(open(baseline))
        for x in RESOURCES:
            b, now = base.get(x, 0), rep[x]
            if now > b * (1 + TOLERANCE) and now > b:
                bad.append(f"{x} grew from {b} to {now} (+{100.0 * (now - b) / max(b, 1):.1f} %, "
                           f"limit +{100 * TOLERANCE:.0f} %)")
    for b in bad:
        print(f"{board}: FAIL: {b}")
    if bad:
        target = "synth-baseline" if synth_only else "bitstream-baseline"
        print(f"HINT: if the growth is intended, run `make {target} BOARD={board}` and "
              f"commit {baseline} with the reason; the full reports are in {outdir}/")
        return 1
    print(f"{board}: within {100 * TOLERANCE:.0f} % of {baseline}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
