#!/usr/bin/env python3
"""Summarises the samples bench/lib.sh records into a Markdown table.

One row per tool of the scenario: median with min–max over its successful runs. Failed runs
are counted in "ok" and listed under the table with their reason.

usage: summarise.py SAMPLES.tsv --scenario S --size BYTES [--baseline TOOL]
                    [--check TOOL:PERCENT] [--cap BYTES_PER_SECOND]
"""
import argparse
import csv
import statistics
import sys

MIB = 1024 * 1024


def spread(values, fmt):
    """'median (min–max)', or just the value when all runs agree."""
    med, lo, hi = statistics.median(values), min(values), max(values)
    if fmt.format(lo) == fmt.format(hi):
        return fmt.format(med)
    return f"{fmt.format(med)} ({fmt.format(lo)}–{fmt.format(hi)})"


def rate_fmt(value):
    return "{:.0f}" if value >= 100 else "{:.1f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("samples")
    parser.add_argument("--scenario", required=True)
    parser.add_argument("--size", type=int, required=True, help="bytes per download")
    parser.add_argument("--baseline", help="tool whose median throughput is 100 %%")
    parser.add_argument("--check", help="TOOL:PERCENT, a target against the baseline")
    parser.add_argument("--cap", type=int, default=0, help="server limit_rate per connection")
    args = parser.parse_args()

    tools = {}  # tool -> list of rows, in first-seen order
    with open(args.samples, newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if row["scenario"] == args.scenario:
                tools.setdefault(row["tool"], []).append(row)
    if not tools:
        print(f"(no samples for scenario {args.scenario})")
        return 0

    def throughputs(rows):
        return [args.size / float(r["wall_s"]) / MIB for r in rows if r["ok"] == "1"]

    base_rate = None
    if args.baseline and throughputs(tools.get(args.baseline, [])):
        base_rate = statistics.median(throughputs(tools[args.baseline]))

    header = ["tool", "conns asked", "ok runs", "wall s", "MiB/s"]
    if base_rate:
        header.append(f"% of {args.baseline}")
    if args.cap:
        header += ["conns × cap MiB/s", "% of conns × cap"]
    header += ["CPU s (user+sys)", "peak RSS MiB", "requests", "connections seen"]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" if i == 0 else "--:" for i in range(len(header))) + "|")

    failures = []
    for tool, rows in tools.items():
        good = [r for r in rows if r["ok"] == "1"]
        conns = int(rows[0]["conns"])
        cells = [f"`{tool}`", str(conns), f"{len(good)}/{len(rows)}"]
        for r in rows:
            if r["ok"] != "1":
                failures.append(f"- `{tool}` run {r['run']}: {r['note'] or 'failed'}")
        if not good:
            cells += ["failed"] + ["–"] * (len(header) - 4)
            print("| " + " | ".join(cells) + " |")
            continue
        rates = throughputs(rows)
        median_rate = statistics.median(rates)
        cells.append(spread([float(r["wall_s"]) for r in good], "{:.3f}"))
        cells.append(spread(rates, rate_fmt(median_rate)))
        if base_rate:
            cells.append(spread([100 * x / base_rate for x in rates], "{:.0f}"))
        if args.cap:
            ideal = conns * args.cap / MIB
            cells.append(rate_fmt(ideal).format(ideal))
            cells.append(spread([100 * x / ideal for x in rates], "{:.0f}"))
        cells.append(spread([float(r["cpu_s"]) for r in good], "{:.2f}"))
        cells.append(spread([int(r["rss_kib"]) / 1024 for r in good], "{:.1f}"))
        cells.append(spread([int(r["requests"]) for r in good], "{:g}"))
        cells.append(spread([int(r["connections"]) for r in good], "{:g}"))
        print("| " + " | ".join(cells) + " |")

    if failures:
        print("\nFailed runs:\n")
        print("\n".join(failures))

    if args.check:
        tool, _, target = args.check.partition(":")
        rates = throughputs(tools.get(tool, []))
        print()
        if not base_rate or not rates:
            print(f"**Check** `{tool}` ≥ {target} % of `{args.baseline}`: not evaluated "
                  "(no successful runs to compare)")
        else:
            pct = 100 * statistics.median(rates) / base_rate
            verdict = "PASS" if pct >= float(target) else "FAIL"
            print(f"**Check** `{tool}` ≥ {target} % of `{args.baseline}` (median throughput): "
                  f"{pct:.1f} % — **{verdict}**")
    return 0


if __name__ == "__main__":
    sys.exit(main())
