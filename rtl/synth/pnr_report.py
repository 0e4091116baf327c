#!/usr/bin/env python3
"""Collect the results of rtl/synth/pnr.sh into one JSON report and a one-line summary.

    pnr_report.py OUT_DIR DATA_W FREQ_MHZ SYNTH_SECONDS SPEED...

(PNR_TIMING_WEIGHT and PNR_EXTRA, set by pnr.sh: nextpnr's placer timing weight and its
other extra arguments, recorded in the report.)

Reads OUT_DIR/stat.json (harness + core, synth_ecp5), stat_wrap.json (harness alone),
stat_xc7.json (core, synth_xilinx; optional) and report_s<speed>_seed<n>.json (nextpnr),
writes OUT_DIR/report.json and OUT_DIR/summary.txt, and prints the summary.
"""
import glob
import json
import os
import re
import sys

ECP5_CELLS = {"LUT4": "LUT4", "CCU2C": "CCU2C", "FF": "TRELLIS_FF", "DP16KD": "DP16KD",
              "DPR16X4": "TRELLIS_DPR16X4", "MULT18X18D": "MULT18X18D", "PFUMX": "PFUMX",
              "L6MUX21": "L6MUX21", "IO": "TRELLIS_IO"}


def cells(path):
    if not os.path.exists(path):
        return None
    d = json.load(open(path))["design"]
    return d.get("num_cells_by_type", {})


def ecp5_counts(c):
    return {k: int(c.get(v, 0)) for k, v in ECP5_CELLS.items()}


def xc7_counts(c):
    luts = sum(int(v) for k, v in c.items() if re.fullmatch(r"LUT[1-6]", k))
    ffs = sum(int(v) for k, v in c.items() if k in ("FDRE", "FDSE", "FDCE", "FDPE"))
    return {"LUT": luts, "FF": ffs, "CARRY4": int(c.get("CARRY4", 0)),
            "RAMB36E1": int(c.get("RAMB36E1", 0)), "RAMB18E1": int(c.get("RAMB18E1", 0)),
            "LUTRAM": sum(int(v) for k, v in c.items() if k.startswith("RAM") and "RAMB" not in k),
            "SRL": sum(int(v) for k, v in c.items() if k.startswith("SRL")),
            "MUXF7_8": int(c.get("MUXF7", 0)) + int(c.get("MUXF8", 0)),
            "DSP48E1": int(c.get("DSP48E1", 0))}


def short(name):
    # Yosys/nextpnr cell names carry the RTL signal name, plus mapping suffixes.
    name = re.sub(r"_(TRELLIS_FF|LUT4|CCU2C|DP16KD|PFUMX|L6MUX21)_[A-Z0-9]+$", "", name)
    name = re.sub(r"\$[^ ]*", "", name)
    return name


def crit_path(rep):
    """Summary of the worst clk-to-clk critical path of a nextpnr --report JSON."""
    paths = rep.get("critical_paths", [])
    if not paths:
        return None
    best = None
    for p in paths:
        steps = p.get("path", [])
        total = sum(s.get("delay", 0.0) for s in steps)
        if best is None or total > best[0]:
            best = (total, p)
    total, p = best
    steps = p["path"]
    logic = [s for s in steps if s.get("type") == "logic"]
    routing = [s for s in steps if s.get("type") == "routing"]
    cells_on_path = []
    for s in steps:
        for end in ("from", "to"):
            c = s.get(end, {}).get("cell")
            if c and (not cells_on_path or cells_on_path[-1] != c):
                cells_on_path.append(c)
    # RTL source lines of the nets routed along the path (Yosys `src` attributes)
    sources = []
    for s in routing:
        for src in s.get("sources", []):
            src = re.sub(r"\.\d+-\d+\.\d+$", "", src)      # file:line.col-line.col -> file:line
            if src and src not in sources:
                sources.append(src)
    return {
        "from": p.get("from"), "to": p.get("to"),
        "rtl_sources": sources,
        "delay_ns": round(total, 3),
        "logic_levels": len(logic),
        "logic_ns": round(sum(s.get("delay", 0.0) for s in logic), 3),
        "routing_ns": round(sum(s.get("delay", 0.0) for s in routing), 3),
        "start": short(cells_on_path[0]) if cells_on_path else None,
        "end": short(cells_on_path[-1]) if cells_on_path else None,
        "cells": [short(c) for c in cells_on_path],
    }


def main():
    out, width, freq, synth_s = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
    speeds = [int(s) for s in sys.argv[5:]]
    total = cells(os.path.join(out, "stat.json"))
    wrap = cells(os.path.join(out, "stat_wrap.json"))
    xc7 = cells(os.path.join(out, "stat_xc7.json"))
    report = {"data_w": width, "device": "LFE5U-85F", "package": "CABGA756",
              "freq_constraint_mhz": freq, "synth_seconds": int(synth_s),
              "placer_timing_weight": int(os.environ.get("PNR_TIMING_WEIGHT", "10")),
              "nextpnr_extra_args": os.environ.get("PNR_EXTRA", "")}
    if total is not None:
        t = ecp5_counts(total)
        report["ecp5_total"] = t
        if wrap is not None:
            w = ecp5_counts(wrap)
            report["ecp5_harness"] = w
            report["ecp5_core"] = {k: t[k] - w[k] for k in t}
    if xc7 is not None:
        report["xc7_core"] = xc7_counts(xc7)
    runs = {}
    for speed in speeds:
        for log in sorted(glob.glob(os.path.join(out, "pnr_s%d_seed*.log" % speed))):
            seed = int(re.search(r"seed(\d+)", log).group(1))
            # nextpnr prints Max frequency after placement (estimated routing) and again
            # after routing; a run that did not finish still has the first.
            est = re.findall(r"Max frequency for clock .*?: ([0-9.]+) MHz", open(log).read())
            path = os.path.join(out, "report_s%d_seed%d.json" % (speed, seed))
            if not os.path.exists(path):
                runs.setdefault(str(speed), []).append({
                    "seed": seed, "fmax_mhz": None, "routed": False,
                    "fmax_post_place_estimate_mhz": float(est[0]) if est else None})
                continue
            rep = json.load(open(path))
            fmax = rep.get("fmax", {})
            achieved = min(v["achieved"] for v in fmax.values()) if fmax else None
            util = {k: {"used": v["used"], "available": v["available"],
                        "percent": round(100.0 * v["used"] / v["available"], 1)}
                    for k, v in rep.get("utilization", {}).items() if v.get("used")}
            runs.setdefault(str(speed), []).append({
                "seed": seed, "fmax_mhz": round(achieved, 2) if achieved else None,
                "routed": True,
                "fmax_post_place_estimate_mhz": float(est[0]) if est else None,
                "meets": achieved is not None and achieved >= freq,
                "utilisation": util, "critical_path": crit_path(rep)})
    report["pnr"] = {}
    for speed, rs in runs.items():
        ok = [r for r in rs if r["fmax_mhz"]]
        best = max(ok, key=lambda r: r["fmax_mhz"]) if ok else None
        report["pnr"][speed] = {"runs": rs, "best_seed": best["seed"] if best else None,
                                "best_fmax_mhz": best["fmax_mhz"] if best else None,
                                "meets": bool(best and best["meets"])}
    json.dump(report, open(os.path.join(out, "report.json"), "w"), indent=1)

    parts = ["DATA_W=%d ECP5-85" % width]
    core = report.get("ecp5_core") or report.get("ecp5_total")
    if core:
        parts.append("core LUT4=%d CCU2C=%d FF=%d DP16KD=%d DPR16X4=%d" % (
            core["LUT4"], core["CCU2C"], core["FF"], core["DP16KD"], core["DPR16X4"]))
    for speed, r in sorted(report["pnr"].items()):
        seeds = "/".join("%.1f" % x["fmax_mhz"] if x["fmax_mhz"]
                         else "~%.1f unrouted" % x["fmax_post_place_estimate_mhz"]
                         if x.get("fmax_post_place_estimate_mhz") else "fail" for x in r["runs"])
        parts.append("speed %s Fmax %s MHz (best %s, %s %.2f)" % (
            speed, seeds, r["best_fmax_mhz"], "meets" if r["meets"] else "misses", freq))
    if "xc7_core" in report:
        x = report["xc7_core"]
        parts.append("xc7 LUT=%d FF=%d RAMB36=%d RAMB18=%d" % (
            x["LUT"], x["FF"], x["RAMB36E1"], x["RAMB18E1"]))
    line = "pnr: " + "; ".join(parts)
    open(os.path.join(out, "summary.txt"), "w").write(line + "\n")
    print(line)


if __name__ == "__main__":
    main()
