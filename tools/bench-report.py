#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# Turn the "@B key=value ..." lines fastipc-bench printed in the guests
# into results.json, summary.txt (the table printed by make bench) and
# gnuplot PNGs.
#
#   tools/bench-report.py OUTDIR MODE=LOG [MODE=LOG...]
#
# MODE is "deterministic" or "wallclock".  Exits non-zero when a log holds
# a failure record ("@B fail") or misses its "done" records.
import json
import os
import subprocess
import sys
import time

SIZES_LABEL = {8: "8 B", 64: "64 B", 4096: "4 KiB", 65536: "64 KiB",
               1 << 20: "1 MiB", 4 << 20: "4 MiB", 16 << 20: "16 MiB"}
MECH_ORDER = ["fastipc", "fastipc-16m", "binder", "pipe", "unix-stream", "unix-seqpacket",
              "shm-eventfd", "shm-futex", "floor"]


def num(v):
    try:
        return int(v)
    except ValueError:
        try:
            return float(v)
        except ValueError:
            return v


def parse(path):
    recs = []
    with open(path, errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line.startswith("@B "):
                continue
            parts = line.split()
            rec = {"type": parts[1]}
            for p in parts[2:]:
                if "=" in p:
                    k, v = p.split("=", 1)
                    rec[k] = num(v)
            recs.append(rec)
    return recs


def fmt_ns(ns):
    if ns is None:
        return "-"
    if ns >= 1e6:
        return "%.2f ms" % (ns / 1e6)
    if ns >= 1e3:
        return "%.1f us" % (ns / 1e3)
    return "%d ns" % ns


def fmt_ratio(r):
    return "-" if r is None else "%.2fx" % r


def lat_table(rows, title):
    out = ["# Running 'fastipc/latency' benchmark: %s" % title,
           "# round trip = request of N bytes + reply of N bytes, payload "
           "checked on both sides",
           "",
           "%-7s %-15s %10s %10s %8s %9s %9s %9s %9s %7s" %
           ("size", "mechanism", "median", "p99", "vs pipe", "vs binder",
            "vs futex", "vs floor", "MB/s", "sys c/s"),
           ]
    last = None
    for r in rows:
        if last is not None and r["size"] != last:
            out.append("")
        last = r["size"]
        out.append("%-7s %-15s %10s %10s %8s %9s %9s %9s %9.1f %3s/%-3s" % (
            SIZES_LABEL.get(r["size"], str(r["size"])), r["mech"],
            fmt_ns(r["median_ns"]), fmt_ns(r["p99_ns"]),
            fmt_ratio(r.get("ratio_pipe")), fmt_ratio(r.get("ratio_binder")),
            fmt_ratio(r.get("ratio_futex")), fmt_ratio(r.get("ratio_floor")),
            r["mbps"],
            ("%.2f" % r["cli_syscalls"]).rstrip("0").rstrip("."),
            ("%.2f" % r["srv_syscalls"]).rstrip("0").rstrip(".")))
    return out


def sort_lat(rows):
    return sorted(rows, key=lambda r: (r["size"], MECH_ORDER.index(r["mech"])
                                       if r["mech"] in MECH_ORDER else 99))


def find(rows, mech, size):
    for r in rows:
        if r["mech"] == mech and r["size"] == size:
            return r
    return None


def targets(res):
    t = []
    det = res["latency"].get("deterministic") or \
        res["latency"].get("wallclock") or []
    mode = "deterministic" if res["latency"].get("deterministic") else \
        "wallclock"

    def add(name, value, limit, unit="x"):
        ok = None if value is None else value <= limit
        t.append({"target": name, "value": value, "limit": limit,
                  "met": ok, "mode": mode})

    r = find(det, "fastipc", 64)
    add("64 B round trip vs floor", r and r.get("ratio_floor"), 1.10)
    add("64 B round trip vs pipe", r and r.get("ratio_pipe"), 0.90)
    add("64 B round trip vs binder", r and r.get("ratio_binder"), 0.48)
    add("ioctls per round trip, client", r and r.get("cli_syscalls"), 1.0,
        "")
    add("ioctls per round trip, server", r and r.get("srv_syscalls"), 1.0,
        "")
    r = find(det, "fastipc", 4096)
    add("4 KiB round trip vs binder", r and r.get("ratio_binder"), 0.50)
    r = find(det, "fastipc", 65536)
    add("64 KiB round trip vs shm+futex", r and r.get("ratio_futex"), 0.85)
    r = find(det, "fastipc", 1 << 20)
    add("1 MiB round trip vs binder", r and r.get("ratio_binder"), 0.8)
    h = res.get("handles", {}).get("deterministic") or \
        res.get("handles", {}).get("wallclock") or {}
    add("1e5 handles vs 1 handle (round trip)", h.get("ratio"), 1.02)
    add("kernel bytes per handle", h.get("bytes_per_handle"), 64, "B")
    add("kernel bytes per node", h.get("bytes_per_node"), 96, "B")
    return t


def headline_md(res):
    """The README's table: deterministic medians, one row per size."""
    mode = "deterministic" if res["latency"].get("deterministic") else \
        "wallclock"
    rows = res["latency"].get(mode) or []
    mechs = [m for m in MECH_ORDER if any(r["mech"] == m for r in rows)]
    sizes = sorted({r["size"] for r in rows})
    out = ["| size | " + " | ".join(mechs) +
           " | fastipc / binder | fastipc / shm-futex | fastipc / floor |",
           "|---" * (len(mechs) + 4) + "|"]
    for s in sizes:
        cells = []
        for m in mechs:
            r = find(rows, m, s)
            cells.append(fmt_ns(r["median_ns"]) if r else "-")
        f = find(rows, "fastipc", s)
        out.append("| %s | %s | %s | %s | %s |" % (
            SIZES_LABEL.get(s, s), " | ".join(cells),
            fmt_ratio(f.get("ratio_binder")) if f else "-",
            fmt_ratio(f.get("ratio_futex")) if f else "-",
            fmt_ratio(f.get("ratio_floor")) if f else "-"))
    return out


INFLIGHT_ORDER = {"sync": 0, "ring": 1, "binder": 2}


def inflight_table(rows, mode):
    """Calls in flight: one block per N, the sync baseline first."""
    out = ["# Running 'fastipc/inflight' benchmark (%s mode): 64 B calls" %
           mode,
           "#   ring:   one thread, N fastipc calls in flight through io_uring",
           "#   sync:   N threads, one synchronous fastipc call each",
           "#   binder: one thread, N one-way transactions in flight, each "
           "answered by a one-way transaction back",
           "# Medians over rounds; ratios are medians of per-round ratios, "
           "all in this boot. sys/call: the client's,",
           "# counted by its wrappers; counted: the same (and all its "
           "system calls) counted by the kernel in a run of its own."] + \
        (["# Deterministic: one vCPU, guest time = instructions, so "
          "calls/s = 10^9 / instructions per call."]
         if mode == "deterministic" else []) + [
           "",
           "%-4s %-7s %12s %13s %10s %10s %16s %9s %14s" %
           ("N", "mech", "calls/s", "÷ sync 1 thr", "÷ sync N", "÷ binder",
            "sys/call (cli)", "srv/call", "counted")]
    last = None
    for r in sorted(rows, key=lambda r: (r["n"],
                                         INFLIGHT_ORDER.get(r["mech"], 9))):
        if last is not None and r["n"] != last:
            out.append("")
        last = r["n"]
        counted = "-"
        if "counted_sys_per_call" in r:
            counted = "%.3f/%.3f" % (r["counted_sys_per_call"],
                                     r["counted_all_per_call"])
        sysname = "enter" if r.get("cli_sys") == "io_uring_enter" else \
            r.get("cli_sys", "")
        out.append("%-4d %-7s %12.0f %13s %10s %10s %16s %9.2f %14s" % (
            r["n"], r["mech"], r["calls_per_s"],
            "%.2fx" % r["vs_sync1"],
            fmt_ratio(r.get("vs_sync_n")), fmt_ratio(r.get("vs_binder")),
            "%.3f %s" % (r["cli_sys_per_call"], sysname),
            r["srv_sys_per_call"], counted))
    return out


def inflight_goals(res):
    """The goal's two figures at the largest N, as measured: no verdict."""
    goals = []
    for mode, rows in res["inflight"].items():
        ring = [r for r in rows if r["mech"] == "ring"]
        if not ring:
            continue
        top = max(ring, key=lambda r: r["n"])
        goals.append({"mode": mode, "n": top["n"],
                      "what": "ring calls/s ÷ sync 1 thread",
                      "value": top["vs_sync1"], "goal": ">= 2"})
        goals.append({"mode": mode, "n": top["n"],
                      "what": "io_uring_enter per call",
                      "value": top["cli_sys_per_call"], "goal": "< 0.1",
                      "counted": top.get("counted_sys_per_call")})
        if top.get("vs_binder"):
            goals.append({"mode": mode, "n": top["n"],
                          "what": "ring calls/s ÷ binder one-way + reply",
                          "value": top["vs_binder"], "goal": "-"})
    return goals


def gnuplot(script, cwd):
    try:
        subprocess.run(["gnuplot"], input=script.encode(), cwd=cwd,
                       check=True)
        return True
    except (OSError, subprocess.CalledProcessError) as e:
        print("bench-report: gnuplot failed: %s" % e, file=sys.stderr)
        return False


def plots(res, outdir):
    made = []
    for mode, rows in res["latency"].items():
        if not rows:
            continue
        mechs = [m for m in MECH_ORDER if any(r["mech"] == m for r in rows)]
        dat = os.path.join(outdir, "latency-%s.dat" % mode)
        with open(dat, "w") as f:
            for m in mechs:
                f.write("# %s\n" % m)
                for r in sort_lat([r for r in rows if r["mech"] == m]):
                    f.write("%d %g %g\n" % (r["size"], r["median_ns"] / 1e3,
                                            r["p99_ns"] / 1e3))
                f.write("\n\n")
        png = "latency-%s.png" % mode
        plot = ", ".join(
            "'%s' index %d using 1:2 with linespoints title '%s'" %
            (os.path.basename(dat), i, m) for i, m in enumerate(mechs))
        ylabel = "round trip, median (us%s)" % (
            " of guest time = 1000 instructions" if mode == "deterministic"
            else ", wall clock")
        if gnuplot("""set terminal pngcairo size 900,600
set output '%s'
set logscale xy
set xrange [5:3e7]
set xlabel 'payload each way (bytes)'
set ylabel '%s'
set title 'fastipc-bench round-trip latency (%s mode)'
set key top left
set grid
plot %s
""" % (png, ylabel, mode, plot), outdir):
            made.append(png)

        # Ratio bars: each mechanism's median / the floor's, per size.
        dat2 = os.path.join(outdir, "ratio-%s.dat" % mode)
        sizes = sorted({r["size"] for r in rows if r["size"] <= (1 << 20)})
        with open(dat2, "w") as f:
            f.write("# size " + " ".join(mechs) + "\n")
            for s in sizes:
                vals = []
                for m in mechs:
                    r = find(rows, m, s)
                    v = r.get("ratio_floor") if r else None
                    vals.append("%g" % v if v is not None else "NaN")
                f.write('"%s" %s\n' % (SIZES_LABEL.get(s, s), " ".join(vals)))
        png2 = "ratio-%s.png" % mode
        # gnuplot has 8 colours: the reference, last, gets its own grey.
        cols = ", ".join("'%s' using %d:xtic(1) title '%s'%s" %
                         (os.path.basename(dat2), i + 2, m,
                          " lc rgb '#999999'" if m == "floor" else "")
                         for i, m in enumerate(mechs))
        if gnuplot("""set terminal pngcairo size 1000,600
set output '%s'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set ylabel 'median round trip / floor (per-round ratio, median)'
set title 'Round trip relative to the floor (%s mode; lower is faster)'
set key top left
set grid y
set yrange [0:*]
plot %s, 1 with lines lc rgb 'black' dt 2 notitle
""" % (png2, mode, cols), outdir):
            made.append(png2)
    return made


def main():
    if len(sys.argv) < 3:
        print(__doc__ or "usage: bench-report.py OUTDIR MODE=LOG...",
              file=sys.stderr)
        return 2
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    res = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "latency": {}, "scale": {}, "handles": {}, "prio": {},
           "trace_cost": {}, "inflight": {}, "meta": {}, "unavailable": {},
           "failures": []}
    for env in ("FASTIPC_BENCH_KERNEL", "FASTIPC_BENCH_COMMIT",
                "FASTIPC_BENCH_HOST_LOAD"):
        if os.environ.get(env):
            res["meta"][env.lower().replace("fastipc_bench_", "")] = \
                os.environ[env]
    bad = False
    for arg in sys.argv[2:]:
        mode, path = arg.split("=", 1)
        recs = parse(path)
        done = {r.get("cmd") for r in recs if r["type"] == "done"}
        started = {r.get("cmd") for r in recs if r["type"] == "meta"}
        for cmd in sorted(started - done):
            res["failures"].append("%s: %s did not finish" % (mode, cmd))
            bad = True
        for r in recs:
            t = r.pop("type")
            if t == "fail":
                res["failures"].append("%s: failure reported" % mode)
                bad = True
            elif t == "done" and r.get("status"):
                res["failures"].append("%s: %s exited %s" %
                                       (mode, r.get("cmd"), r["status"]))
                bad = True
            elif t == "meta":
                res["meta"].setdefault(mode, []).append(r)
            elif t == "unavailable":
                res["unavailable"].setdefault(mode, []).append(r)
            elif t == "lat" and str(r.get("label", "")).startswith("tc-"):
                # The tracepoints' cost runs (guest-bench.sh trace_cost).
                if r.get("size") == 64:
                    res["trace_cost"].setdefault(r["label"][3:], []).append(
                        r["median_ns"])
            elif t == "lat":
                r.pop("label", None)
                res["latency"].setdefault(mode, []).append(r)
            elif t == "scale":
                res["scale"].setdefault(mode, []).append(r)
            elif t == "inflight":
                res["inflight"].setdefault(mode, []).append(r)
            elif t == "handles":
                res["handles"].setdefault(mode, {}).update(r)
            elif t == "prio":
                res["prio"].setdefault(mode, []).append(r)
            elif t == "prio_unavailable":
                res["prio"][mode] = "not available in this module"
        if not recs:
            res["failures"].append("%s: no results in %s" % (mode, path))
            bad = True
    for mode in res["latency"]:
        res["latency"][mode] = sort_lat(res["latency"][mode])
    res["targets"] = targets(res)
    tc = res["trace_cost"]
    if tc.get("notrace") and tc.get("traced"):
        # Like with like: the fastest run of each (one scheduler path).
        base = min(tc["notrace"])
        res["targets"].append({
            "target": "64 B, tracepoints disabled vs compiled out",
            "value": min(tc["traced"]) / base, "limit": 1.01,
            "met": min(tc["traced"]) / base <= 1.01,
            "mode": "deterministic"})

    lines = []
    titles = {"deterministic": "deterministic mode (QEMU -icount shift=0, "
              "1 vCPU): 1 ns = 1 guest instruction",
              "wallclock": "wall-clock mode (QEMU TCG, 2 vCPUs, client and "
              "server pinned to CPU 0)",
              "wallclock-idle-poll": "wall-clock mode, split (QEMU TCG, 2 "
              "vCPUs, idle=poll, client on CPU 0, servers on CPU 1)"}
    for mode in ("deterministic", "wallclock", "wallclock-idle-poll"):
        if res["latency"].get(mode):
            lines += lat_table(res["latency"][mode], titles[mode]) + [""]
    for mode, rows in res["scale"].items():
        lines.append("# Running 'fastipc/scale' benchmark (%s mode): "
                     "64 B round trips, aggregate over all clients" % mode)
        lines.append("")
        lines.append("%-8s %8s %8s %14s %8s" %
                     ("mech", "clients", "threads", "round trips/s",
                      "vs 1x1"))
        for r in rows:
            lines.append("%-8s %8d %8d %14.0f %8s" % (
                r["mech"], r["clients"], r["threads"], r["rts_per_s"],
                fmt_ratio(r.get("vs_1x1"))))
        lines.append("")
    for mode, rows in res["inflight"].items():
        lines += inflight_table(rows, mode) + [""]
    res["inflight_goals"] = inflight_goals(res)
    for mode, h in res["handles"].items():
        lines.append("# Running 'fastipc/handles' benchmark (%s mode)" % mode)
        lines.append("")
        for k in ("handles", "rt_1_ns", "rt_many_ns", "ratio",
                  "bytes_per_node", "bytes_per_handle", "rounds_ns"):
            if k in h:
                lines.append("  %-18s %s" % (k, h[k]))
        lines.append("")
    for mode, p in res["prio"].items():
        lines.append("# Running 'fastipc/prio' benchmark (%s mode): "
                     "SCHED_FIFO 50 client, SCHED_OTHER server, CPU hog, "
                     "one CPU" % mode)
        lines.append("")
        if isinstance(p, str):
            lines.append("priority inheritance: " + p)
        else:
            lines.append("%-22s %10s %10s %10s %10s" %
                         ("case", "p50", "p99", "max", "mean"))
            for r in p:
                lines.append("%-22s %10s %10s %10s %10s" % (
                    r["case"], fmt_ns(r["p50_ns"]), fmt_ns(r["p99_ns"]),
                    fmt_ns(r["max_ns"]), fmt_ns(r.get("mean_ns"))))
        lines.append("")
    tc = res["trace_cost"]
    if tc.get("notrace"):
        base = min(tc["notrace"])
        lines.append("# Tracepoints' cost (deterministic mode, 64 B round "
                     "trip, fastest run of each)")
        lines.append("")
        for k, name in (("notrace", "compiled out (-DNOTRACE)"),
                        ("traced", "compiled in, disabled"),
                        ("attached", "fastipc-trace attached")):
            if tc.get(k):
                lines.append("  %-26s %10s %8.3fx" % (
                    name, fmt_ns(min(tc[k])), min(tc[k]) / base))
        lines.append("")
    lines.append("# Targets (reported, never enforced)")
    for t in res["targets"]:
        v = t["value"]
        lines.append("  %-40s %8s  limit %-6s %s" % (
            t["target"], "-" if v is None else "%.3f" % v, t["limit"],
            {True: "met", False: "NOT met", None: "not measured"}[t["met"]]))
    if res["inflight_goals"]:
        lines.append("")
        lines.append("# Calls in flight: the goal's figures, measured in "
                     "one boot (reported, not judged)")
        for g in res["inflight_goals"]:
            lines.append("  %-40s %8.3f  goal %-5s (%s, N=%d)%s" % (
                g["what"], g["value"], g["goal"], g["mode"], g["n"],
                "; kernel-counted run %.3f" % g["counted"]
                if g.get("counted") is not None else ""))
    if res["failures"]:
        lines.append("")
        lines += ["FAILURE: " + f for f in res["failures"]]

    res["plots"] = plots(res, outdir)
    with open(os.path.join(outdir, "results.json"), "w") as f:
        json.dump(res, f, indent=1, sort_keys=True)
        f.write("\n")
    with open(os.path.join(outdir, "headline.md"), "w") as f:
        f.write("\n".join(headline_md(res)) + "\n")
    with open(os.path.join(outdir, "summary.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
