#!/usr/bin/env python3
"""Register-to-register path estimate of a synthesized ECP5 netlist, in seconds, not hours.

    depth.py NET_JSON [--top N] [--json OUT] [--period NS] [--trace REG] [--fanout N] [--sdf SDF]

Reads the flattened `synth_ecp5` netlist (`rtl/build/synth<W>/net.json`, written by
synth.sh) and walks every combinational path from a start point (flip-flop Q, block-RAM
DO, top input) to an end point (flip-flop D/CE/LSR, block-RAM input, distributed-RAM
write port, top output). Each path gets an estimated delay from a simple model of an
ECP5 speed-8 part: a fixed routing delay per net between cells and a delay per cell
(see DELAY below); carries inside a CCU2C chain and a LUT feeding its own slice's PFUMX
have no routing. It is a ranking tool for finding and fixing deep logic before the
place and route of pnr.sh (which takes tens of minutes and gives the real Fmax); its
absolute figures are a rough guide only.

Prints the N worst end points (estimated delay, logic levels, start and end cells with
the RTL source of their nets) and the number of end points over the given period.
With --sdf, the netlist's nets take their routed delays, sink by sink, from the SDF
nextpnr wrote after routing that same netlist (`pnr.sh --sdf`), and cells nextpnr's
speed-8 delays: a static timing analysis of the routed design that lists every end point
over the period, where nextpnr's log names only the worst path. On the 64-bit netlist of
the RTL with fix 25 (seed 3, speed 8) it gives 12.53 ns for the path nextpnr reports at
11.87 ns, and 3,509 end points over 6.4 ns where nextpnr's histogram has about 4,600.
With --fanout N, also the N nets with the most cell inputs (clock pins left out), named
by the register or signal that drives them: the nets placement spreads across the die,
which this delay model does not see.
"""
import argparse
import json
import re
import sys
from collections import defaultdict

# Estimated ECP5 speed-8 delays, ns: clock-to-out of the start cell, per-cell
# combinational delay, setup at the end cell, routing per net.
ROUTE = 0.55
DELAY = {
    ("LUT4", "Z"): 0.15,
    ("PFUMX", "Z"): 0.15,
    ("L6MUX21", "Z"): 0.15,
    ("CCU2C", "S"): 0.40,       # input to sum
    ("CCU2C", "COUT"): 0.30,    # input to carry out
    ("CCU2C", "CARRY"): 0.04,   # CIN to COUT / S along the chain
    ("TRELLIS_DPR16X4", "DO"): 0.40,
    ("MULT18X18D", "P"): 3.0,
}
CLK_TO_Q = {"TRELLIS_FF": 0.30, "DP16KD": 2.20, "TRELLIS_IO": 0.0, "TRELLIS_DPR16X4": 0.40, "PORT": 0.0}
SETUP = 0.10

SEQ = {"TRELLIS_FF", "DP16KD"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("net")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--json")
    ap.add_argument("--period", type=float, default=6.4)
    ap.add_argument("--trace", metavar="REGISTER",
                    help="print the cells of the worst path into this register (index stripped)")
    ap.add_argument("--fanout", type=int, default=0, metavar="N",
                    help="print the N nets with the most cell inputs")
    ap.add_argument("--sdf", metavar="SDF",
                    help="nextpnr --sdf of this netlist placed and routed: each net's routed "
                         "delay to each of its sinks replaces the fixed per-net guess")
    a = ap.parse_args()

    d = json.load(open(a.net))
    mods = d["modules"]
    top = next(n for n, m in mods.items() if m.get("attributes", {}).get("top"))
    m = mods[top]

    # a bit's name: the shortest public (not $-generated) net name, with its bit index
    netname = {}
    for name, n in m["netnames"].items():
        if "$" in name:
            continue
        for i, b in enumerate(n["bits"]):
            label = name if len(n["bits"]) == 1 else "%s[%d]" % (name, i)
            if isinstance(b, int) and (b not in netname or len(label) < len(netname[b])):
                netname[b] = label
    src_of = {}
    for name, n in m["netnames"].items():
        s = n.get("attributes", {}).get("src", "")
        for b in n["bits"]:
            if isinstance(b, int) and s and b not in src_of:
                src_of[b] = s

    # arrival[bit] = (time, levels, start description)
    driver = {}          # bit -> (cell name, type, port)
    sinks = defaultdict(list)   # bit -> [(cell, type, port)]
    cells = m["cells"]
    for cname, c in cells.items():
        for port, bits in c["connections"].items():
            direction = c.get("port_directions", {}).get(port, "input")
            for b in bits:
                if not isinstance(b, int):
                    continue
                if direction == "output":
                    driver[b] = (cname, c["type"], port)
                else:
                    sinks[b].append((cname, c["type"], port))
    for pname, p in m["ports"].items():
        for b in p["bits"]:
            if isinstance(b, int) and p["direction"] == "input":
                driver[b] = ("<" + pname + ">", "PORT", pname)

    sdf_to = {}          # driver cell -> {sink cell: routed delay, ns}
    if a.sdf:
        # nextpnr's cell delays (ECP5 speed 8, from its critical path reports) with the
        # routed interconnect delays of its SDF; nextpnr splits a CCU2C, a DPR16X4 and a
        # LUT pair with its PFUMX into slice halves ("name$CCU2_COMB0"): those are folded
        # back onto the netlist's cell
        DELAY[("LUT4", "Z")] = 0.18
        DELAY[("PFUMX", "Z")] = 0.13
        CLK_TO_Q["TRELLIS_FF"] = 0.40
        pat = re.compile(r"\(INTERCONNECT (\S+)/\w+ (\S+)/\w+ \((\d+):(\d+):(\d+)\)")
        def cell_of(n):
            n = n.replace("\\", "")
            return re.sub(r"\$[A-Z0-9_]+$", "", n) if "$" in n else n
        with open(a.sdf) as f:
            for line in f:
                mm = pat.search(line)
                if mm:
                    src, dst = cell_of(mm.group(1)), cell_of(mm.group(2))
                    dd = sdf_to.setdefault(src, {})
                    dd[dst] = max(dd.get(dst, 0.0), int(mm.group(5)) / 1000.0)
        print("routed delays from %s: %d drivers" % (a.sdf, len(sdf_to)))

    def net_delay(b, cell, port):
        drv = driver.get(b)
        d = sdf_to.get(drv[0]) if drv else None
        if not d:
            return ROUTE
        if cell in d:
            return d[cell]
        return max(d.values())

    memo = {}
    pred = {}            # bit -> the input bit its worst arrival came through
    sys.setrecursionlimit(1000000)

    def comb_inputs(cname, ctype, port):
        """Input bits a combinational output depends on, and the cell delay of each."""
        c = cells[cname]
        con = c["connections"]
        if ctype == "LUT4":
            return [(b, DELAY[("LUT4", "Z")], True, p) for p in "ABCD" for b in con.get(p, [])]
        if ctype == "PFUMX":
            return [(b, DELAY[("PFUMX", "Z")], p != "C0", p) for p in ("ALUT", "BLUT", "C0") for b in con.get(p, [])]
        if ctype == "L6MUX21":
            return [(b, DELAY[("L6MUX21", "Z")], p == "SD", p) for p in ("D0", "D1", "SD") for b in con.get(p, [])]
        if ctype == "CCU2C":
            out = []
            key = "S" if port.startswith("S") else "COUT"
            for p in ("A0", "B0", "C0", "D0", "A1", "B1", "C1", "D1"):
                for b in con.get(p, []):
                    out.append((b, DELAY[("CCU2C", key)], True, p))
            for b in con.get("CIN", []):
                out.append((b, DELAY[("CCU2C", "CARRY")], False, "CIN"))
            return out
        if ctype == "TRELLIS_DPR16X4":
            if port.startswith("DO"):
                return [(b, DELAY[("TRELLIS_DPR16X4", "DO")], True, p) for p in ("RAD",) for b in con.get(p, [])]
            return []
        if ctype == "MULT18X18D":
            return [(b, DELAY[("MULT18X18D", "P")], True, p) for p in con if p.startswith(("A", "B")) and len(p) <= 3 for b in con[p]]
        return None

    def arrival(b):
        if b in memo:
            return memo[b]
        memo[b] = (0.0, 0, "<loop>")
        drv = driver.get(b)
        if drv is None:
            res = (0.0, 0, "<const>")
        else:
            cname, ctype, port = drv
            if ctype in SEQ or ctype == "PORT" or ctype == "TRELLIS_IO":
                res = (CLK_TO_Q.get(ctype, 0.3), 0, cname)
            else:
                ins = comb_inputs(cname, ctype, port)
                if ins is None:
                    res = (0.3, 0, cname)
                else:
                    best = (0.0, 0, "<const>")
                    for ib, cd, routed, ip in ins:
                        t, lv, st = arrival(ib)
                        t = t + cd + (net_delay(ib, cname, ip) if routed else 0.0)
                        if t > best[0]:
                            best = (t, lv + (1 if ctype in ("LUT4", "CCU2C", "TRELLIS_DPR16X4", "MULT18X18D") and routed else 0), st)
                            pred[b] = ib
                    res = best
        memo[b] = res
        return res

    def origin(b):
        s = src_of.get(b, "")
        return s.split("|")[0] if s else ""

    ends = []
    for cname, c in cells.items():
        ctype = c["type"]
        if ctype not in SEQ and ctype != "TRELLIS_DPR16X4":
            continue
        for port, bits in c["connections"].items():
            if c.get("port_directions", {}).get(port) != "input" or port in ("CLK", "CLKA", "CLKB", "WCK"):
                continue
            for b in bits:
                if not isinstance(b, int):
                    continue
                t, lv, st = arrival(b)
                ends.append((t + net_delay(b, cname, port) + SETUP, lv, st, cname, port, b))
    for pname, p in m["ports"].items():
        if p["direction"] == "output":
            for b in p["bits"]:
                if isinstance(b, int):
                    t, lv, st = arrival(b)
                    ends.append((t, lv, st, "<" + pname + ">", pname, b))

    # one row per end cell (its worst input)
    worst = {}
    for e in ends:
        k = e[3]
        if k not in worst or e[0] > worst[k][0]:
            worst[k] = e
    rows = sorted(worst.values(), key=lambda e: -e[0])

    def cell_src(cname):
        if cname.startswith("<"):
            return cname
        c = cells.get(cname, {})
        q = c.get("connections", {}).get("Q")
        if q and isinstance(q[0], int) and q[0] in netname:
            return netname[q[0]]
        s = c.get("attributes", {}).get("src", "")
        return (s.split("|")[0] if s else "") or cname

    over = sum(1 for r in rows if r[0] > a.period)
    print("end points: %d, estimated over %.2f ns: %d; worst %.2f ns (%.0f MHz estimated)"
          % (len(rows), a.period, over, rows[0][0] if rows else 0, 1000.0 / rows[0][0] if rows else 0))
    for t, lv, st, en, port, b in rows[: a.top]:
        print("%6.2f ns %2d lv  %-40s -> %-40s %s" % (t, lv, short(cell_src(st)), short(cell_src(en)), port))
    # per register (index stripped): its worst end point and how many of its bits are over
    groups = {}
    for t, lv, st, en, port, b in rows:
        g = re.sub(r"\[\d+\]", "", cell_src(en))
        g = re.sub(r"_(LUT4|TRELLIS_FF|CCU2C|PFUMX|L6MUX21)_.*$", "", g)
        w, n, o, s0 = groups.get(g, (0.0, 0, 0, ""))
        groups[g] = (max(w, t), n + 1, o + (t > a.period), s0 if w >= t else short(cell_src(st)))
    print("\nregisters with end points over %.2f ns (worst, bits over / bits, from):" % a.period)
    for g, (w, n, o, s0) in sorted(groups.items(), key=lambda kv: -kv[1][0]):
        if o:
            print("%6.2f ns %5d/%-5d %-50s <- %s" % (w, o, n, short(g), s0))
    if a.trace:
        cand = [r for r in rows if re.sub(r"\[\d+\]", "", cell_src(r[3])).startswith(a.trace)]
        if cand:
            t, lv, st, en, port, b = cand[0]
            print("\nworst path into %s (%.2f ns):" % (cell_src(en), t))
            chain = []
            while b is not None:
                chain.append(b)
                b = pred.get(b)
            for b in reversed(chain):
                drv = driver.get(b, ("<const>", "", ""))
                c = cells.get(drv[0], {})
                srcs = c.get("attributes", {}).get("src", "").split("|")[0]
                print("  %6.2f  %-10s %-40s %s" % (memo[b][0], drv[1], netname.get(b, "")[:40], short(srcs)))
    if a.fanout:
        clocks = ("CLK", "CLKA", "CLKB", "WCK")
        fan = []
        for b, ss in sinks.items():
            n = sum(1 for cname, ctype, port in ss if port not in clocks)
            if n and b in driver:
                fan.append((n, b))
        fan.sort(key=lambda x: -x[0])
        print("\nnets with the most cell inputs (inputs, driver cell type, net, source):")
        for n, b in fan[: a.fanout]:
            cname, ctype, port = driver[b]
            csrc = cells.get(cname, {}).get("attributes", {}).get("src", "").split("|")[0]
            # a flip-flop is best known by its cell's name (the register it was mapped
            # from), other cells by the net's public name
            label = cname if ctype == "TRELLIS_FF" else (netname.get(b) or cname)
            print("%6d  %-10s %-60s %s" % (n, ctype, label[:60], short(csrc or origin(b))))
    if a.json:
        json.dump({"period_ns": a.period, "end_points": len(rows), "over": over,
                   "worst": [{"ns": round(t, 2), "levels": lv, "from": cell_src(st), "to": cell_src(en), "pin": port}
                             for t, lv, st, en, port, b in rows[: a.top]]},
                  open(a.json, "w"), indent=1)


def short(s):
    s = re.sub(r"^.*/", "", s)
    return s[:60]


if __name__ == "__main__":
    main()
