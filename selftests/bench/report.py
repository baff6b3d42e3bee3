#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# report.py - turn the raw measurements of "make bench" into one table and
# build/bench/results.json.
#
# Why a separate step: the VM and the host only write plain measurement
# lines (selftests/bench/run and guest.sh); medians, per-poll overheads,
# ratios and the PASS/MISS verdicts against the targets of the issue are
# computed here, in one place, so the table and the JSON always agree.
#
# usage: report.py VM_RUNS HOST_FILE META_FILE JSON_OUT [VM_RUNS_SINGLE]
#   VM_RUNS    the guest's runs.txt ("run CONFIG ROUND elapsed_ns=T polls=P
#              rc=RC"), may be missing if the VM failed; the headline boot
#              (multi-threaded TCG)
#   VM_RUNS_SINGLE  runs.txt of a second boot under single-threaded TCG,
#              shown as ratios only
#   HOST_FILE  "host TOOL ROUND key=value..." lines from the host part
#   META_FILE  "key=value" lines (kernel, accelerator, parameters, ...)
# Exit status 0 even when targets are missed: this is a benchmark.

import json
import statistics
import sys

# (key, label) of the VM configurations, in table order
VM_CONFIGS = [
    ("native", "1 native"),
    ("floor", "2 cat.ko count-only (tokio profile)"),
    ("full", "3 catctl start, full recording"),
    ("bigbuf", "3b full, no mid-run drain (16 MiB sub)"),
    ("nodrain", "3k recording, no reader (kernel share)"),
    ("fullhpet", "3h full, HPET clocksource (TCG default)"),
    ("uftrace", "4 uftrace record -P Harness::poll"),
    ("rawfloor", "2r count-only, raw::poll only"),
    ("rawfull", "3r recording, raw::poll only"),
]

TARGET_RATIO = 1.15
TARGET_SPEEDUP = 3.0
TARGET_BYTES = 120.0
TARGET_RSS_MIB = 64.0


def kv(words):
    d = {}
    for w in words:
        if "=" in w:
            k, v = w.split("=", 1)
            d[k] = v
    return d


def read_lines(path):
    try:
        with open(path) as f:
            return [l.split() for l in f if l.strip()]
    except OSError:
        return []


def median(xs):
    return statistics.median(xs) if xs else None


def verdict(ok):
    if ok is None:
        return "n/a"
    return "PASS" if ok else "MISS"


def vm_results(runs_path):
    """Medians per configuration of one boot, and the runs that failed."""
    vm = {}
    failed_runs = []
    for w in read_lines(runs_path):
        if len(w) < 3 or w[0] != "run":
            continue
        d = kv(w[3:])
        cfg, rnd = w[1], int(w[2])
        t, p, rc = int(d.get("elapsed_ns", 0)), int(d.get("polls", 0)), d.get("rc", "?")
        if rc != "0" or t <= 0 or p <= 0:
            failed_runs.append("%s round %d (rc=%s)" % (cfg, rnd, rc))
            continue
        vm.setdefault(cfg, []).append((t, p))

    res_vm = {}
    for cfg, _ in VM_CONFIGS:
        xs = vm.get(cfg, [])
        if not xs:
            continue
        ts = [t for t, _ in xs]
        polls = xs[0][1]
        res_vm[cfg] = {
            "runs": len(xs),
            "polls": polls,
            "elapsed_ns": ts,
            "median_ns": median(ts),
            "min_ns": min(ts),
            "max_ns": max(ts),
            "median_ns_per_poll": median(ts) / polls,
        }
    nat = res_vm.get("native")
    for cfg, r in res_vm.items():
        if nat and cfg != "native":
            r["overhead_ns_per_poll"] = (r["median_ns"] - nat["median_ns"]) / r["polls"]
    return res_vm, failed_runs


def vm_ratio(res_vm, full, floor):
    """(full - native) / (floor - native) on the medians of one boot"""
    nat = res_vm.get("native")
    if not nat or full not in res_vm or floor not in res_vm:
        return None
    den = res_vm[floor]["median_ns"] - nat["median_ns"]
    if den <= 0:
        return None
    return (res_vm[full]["median_ns"] - nat["median_ns"]) / den


def main():
    runs_path, host_path, meta_path, json_path = sys.argv[1:5]
    single_path = sys.argv[5] if len(sys.argv) > 5 else None
    meta = {}
    for w in read_lines(meta_path):
        meta.update(kv(w))

    # --- VM runs ---------------------------------------------------------
    res_vm, failed_runs = vm_results(runs_path)
    nat = res_vm.get("native")
    ratio = lambda full, floor: vm_ratio(res_vm, full, floor)
    single = None
    if single_path:
        sv, _ = vm_results(single_path)
        single = {k: vm_ratio(sv, k, "floor")
                  for k in ("full", "bigbuf", "nodrain")}

    r_full = ratio("full", "floor")
    r_raw = ratio("rawfull", "rawfloor")
    r_nodrain = ratio("nodrain", "floor")
    r_bigbuf = ratio("bigbuf", "floor")
    r_hpet = ratio("fullhpet", "floor")

    # The same ratio within each round (configurations of a round ran
    # back to back), then its median: robust to slow drifts of the host.
    def paired(full, floor):
        by = {}
        for w in read_lines(runs_path):
            if len(w) >= 4 and w[0] == "run" and kv(w[3:]).get("rc") == "0":
                by.setdefault(int(w[2]), {})[w[1]] = int(kv(w[3:])["elapsed_ns"])
        rs = []
        for rnd, c in sorted(by.items()):
            if {"native", full, floor} <= c.keys() and c[floor] > c["native"]:
                rs.append((c[full] - c["native"]) / (c[floor] - c["native"]))
        return rs

    pr_full = paired("full", "floor")
    pr_raw = paired("rawfull", "rawfloor")

    # --- host: convert vs uftrace dump ----------------------------------
    host = {}
    for w in read_lines(host_path):
        if len(w) < 3 or w[0] != "host":
            continue
        host.setdefault(w[1], []).append(kv(w[3:]))
    res_host = {}
    for tool, rows in host.items():
        ok = [r for r in rows if r.get("rc") == "0"]
        if not ok:
            res_host[tool] = {"runs": 0, "error": rows[-1].get("error", "failed")}
            continue
        secs = [float(r["seconds"]) for r in ok]
        polls = int(ok[0]["polls"])
        out_bytes = int(ok[0]["bytes"])
        rss = max(int(r["maxrss_kib"]) for r in ok)
        m = median(secs)
        res_host[tool] = {
            "runs": len(ok),
            "polls": polls,
            "seconds": secs,
            "median_seconds": m,
            "polls_per_second": polls / m if m > 0 else None,
            "output_bytes": out_bytes,
            "bytes_per_poll": out_bytes / polls,
            "peak_rss_kib": rss,
            "input": ok[0].get("input", ""),
        }
        if "detail" in ok[0]:
            res_host[tool]["detail"] = ok[0]["detail"]
    cv, ud = res_host.get("catctl_convert"), res_host.get("uftrace_dump")
    speedup = None
    if cv and ud and cv.get("polls_per_second") and ud.get("polls_per_second"):
        speedup = cv["polls_per_second"] / ud["polls_per_second"]

    targets = {
        "full_over_floor": {
            "value": r_full, "target": "<= %.2f" % TARGET_RATIO,
            "verdict": verdict(None if r_full is None else r_full <= TARGET_RATIO)},
        "convert_speed_vs_uftrace": {
            "value": speedup, "target": ">= %.1fx" % TARGET_SPEEDUP,
            "verdict": verdict(None if speedup is None else speedup >= TARGET_SPEEDUP)},
        "convert_bytes_per_poll": {
            "value": cv.get("bytes_per_poll") if cv else None,
            "target": "<= %d" % TARGET_BYTES,
            "verdict": verdict(None if not cv or "bytes_per_poll" not in cv
                               else cv["bytes_per_poll"] <= TARGET_BYTES)},
        "convert_peak_rss_mib": {
            "value": cv["peak_rss_kib"] / 1024 if cv and "peak_rss_kib" in cv else None,
            "target": "< %d" % TARGET_RSS_MIB,
            "verdict": verdict(None if not cv or "peak_rss_kib" not in cv
                               else cv["peak_rss_kib"] / 1024 < TARGET_RSS_MIB)},
    }

    # --- table -------------------------------------------------------------
    out = []
    p = out.append
    p("cat benchmark (make bench)")
    p("VM: kernel %s, %s, %s vCPUs, tokio_bench %s %s (%s polls per run), "
      "%s rounds, configurations alternating; medians" % (
          meta.get("kver", "?"), meta.get("accel", "?"), meta.get("vcpus", "2"),
          meta.get("n", "?"), meta.get("k", "?"), meta.get("polls", "?"),
          meta.get("reps", "?")))
    if meta.get("accel") == "tcg":
        p("NOTE: the VM runs under TCG (software emulation): absolute times are not")
        p("      hardware times; only the ratios between configurations count.")
        if meta.get("tcg_threads"):
            p("      TCG threads: %s (multi: one host thread per vCPU, so the two"
              % meta["tcg_threads"])
            p("      CPUs run side by side as on a real machine)")
    p("")
    p("%-38s %5s %12s %11s %11s %14s" % (
        "VM configuration", "runs", "median ms", "min ms", "max ms", "overhead/poll"))
    for cfg, label in VM_CONFIGS:
        r = res_vm.get(cfg)
        if not r:
            p("%-38s %5s %12s" % (label, "0", "(no run)"))
            continue
        ov = r.get("overhead_ns_per_poll")
        p("%-38s %5d %12.1f %11.1f %11.1f %14s" % (
            label, r["runs"], r["median_ns"] / 1e6, r["min_ns"] / 1e6,
            r["max_ns"] / 1e6, "-" if ov is None else "%.0f ns" % ov))
    p("")
    fmt = lambda x, f: "n/a" if x is None else f % x
    p("ratio (3 - 1) / (2 - 1), tokio profile     %8s   target <= %.2f   %s" % (
        fmt(r_full, "%.3f"), TARGET_RATIO, targets["full_over_floor"]["verdict"]))
    p("  same ratio per round: median %s, range %s" % (
        fmt(median(pr_full), "%.3f"),
        "n/a" if not pr_full else "%.3f..%.3f" % (min(pr_full), max(pr_full))))
    p("ratio (3b - 1) / (2 - 1), no mid-run drain %8s   (informative)" % fmt(r_bigbuf, "%.3f"))
    p("ratio (3k - 1) / (2 - 1), no reader        %8s   (informative: kernel share)" % fmt(r_nodrain, "%.3f"))
    if r_hpet is not None:
        p("ratio (3h - 1) / (2 - 1), HPET clock       %8s   (informative: emulated clock reads)" % fmt(r_hpet, "%.3f"))
    p("ratio (3r - 1) / (2r - 1), raw::poll only  %8s   (informative; per round: median %s)" % (
        fmt(r_raw, "%.3f"), fmt(median(pr_raw), "%.3f")))
    if single:
        p("second boot, single-threaded TCG (the vCPUs take turns on one host thread,")
        p("so catctl's reader, on the other CPU, is charged to the program):")
        p("  ratio (3 - 1) / (2 - 1) %s, no mid-run drain (3b) %s, kernel share (3k) %s" % (
            fmt(single["full"], "%.3f"), fmt(single["bigbuf"], "%.3f"),
            fmt(single["nodrain"], "%.3f")))
    if "uftrace" in res_vm and "full" in res_vm and nat:
        p("overhead per poll, catctl full / uftrace   %8s   (informative; different"
          % fmt(res_vm["full"]["overhead_ns_per_poll"] /
                res_vm["uftrace"]["overhead_ns_per_poll"]
                if res_vm["uftrace"]["overhead_ns_per_poll"] > 0 else None, "%.2f"))
        p("                                                      probe sets: see Documentation/benchmarks.rst)")
    p("")
    p("Host: conversion of a 1,000,000-poll trace to Trace-viewer JSON")
    p("%-30s %5s %10s %12s %11s %10s" % (
        "tool", "runs", "median s", "polls/s", "bytes/poll", "peak RSS"))
    cf = res_host.get("catctl_convert_full")
    for tool, label in (("catctl_convert", "catctl convert (%s)" %
                         (cv or {}).get("detail", "?")),
                        ("catctl_convert_full", "catctl convert --detail full"),
                        ("uftrace_dump", "uftrace dump --chrome")):
        r = res_host.get(tool)
        if tool == "catctl_convert_full" and not r:
            continue
        if not r or not r.get("runs"):
            p("%-30s %5s %10s" % (label, "0", "(failed: %s)" % (r or {}).get("error", "not run")))
            continue
        p("%-30s %5d %10.2f %12.0f %11.1f %7.1f MiB" % (
            label, r["runs"], r["median_seconds"], r["polls_per_second"],
            r["bytes_per_poll"], r["peak_rss_kib"] / 1024))
    p("")
    p("convert speed vs uftrace (polls/s)         %8s   target >= %.1fx    %s" % (
        fmt(speedup, "%.2fx"), TARGET_SPEEDUP,
        targets["convert_speed_vs_uftrace"]["verdict"]))
    p("convert output bytes per poll              %8s   target <= %d      %s" % (
        fmt(targets["convert_bytes_per_poll"]["value"], "%.1f"), TARGET_BYTES,
        targets["convert_bytes_per_poll"]["verdict"]))
    p("convert peak RSS (MiB)                     %8s   target < %d       %s" % (
        fmt(targets["convert_peak_rss_mib"]["value"], "%.1f"), TARGET_RSS_MIB,
        targets["convert_peak_rss_mib"]["verdict"]))
    if cf and cf.get("runs") and ud and ud.get("polls_per_second"):
        p("full detail vs uftrace (polls/s)           %8s   (informative: every poll on two"
          % fmt(cf["polls_per_second"] / ud["polls_per_second"], "%.2fx"))
        p("                                                      lanes with args, nested futures, flows)")
    if cv and cv.get("input"):
        p("catctl input: %s" % cv["input"])
    if ud and ud.get("input"):
        p("uftrace input: %s" % ud["input"])
    if failed_runs:
        p("")
        p("FAILED runs (left out of the medians): %s" % ", ".join(failed_runs))
    if meta.get("vm_status", "0") != "0":
        p("VM problem: %s" % meta.get("vm_error", "see the VM results directory"))
    p("")
    p("results: %s" % json_path)
    print("\n".join(out))

    doc = {
        "meta": meta,
        "vm": res_vm,
        "vm_failed_runs": failed_runs,
        "ratios": {"full_over_floor": r_full,
                   "full_over_floor_per_round": pr_full,
                   "bigbuf_over_floor": r_bigbuf,
                   "nodrain_over_floor": r_nodrain,
                   "fullhpet_over_floor": r_hpet,
                   "rawfull_over_rawfloor": r_raw,
                   "rawfull_over_rawfloor_per_round": pr_raw,
                   "single_threaded_tcg": single},
        "host": res_host,
        "targets": targets,
        "note": "VM times under TCG are emulated, not hardware times; "
                "only ratios between configurations of one boot count",
    }
    with open(json_path, "w") as f:
        json.dump(doc, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
