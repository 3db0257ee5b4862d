#!/usr/bin/env python3
"""Summarises the samples bench/lib.sh records into a Markdown table.

One row per tool of the scenario: median with (min–max) over its successful runs. Failed runs
are counted in "ok runs" and listed under the table with their reason; rows that were not run
("na") say why.

usage: summarise.py SAMPLES.tsv --scenario S [--baseline TOOL ...] [--check TOOL:BASELINE:PERCENT]
                    [--cap BYTES_PER_SECOND] [--link BYTES_PER_SECOND] [--protocol]
"""
import argparse
import csv
import os
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
    return "{:.0f}" if value >= 100 else "{:.1f}" if value >= 1 else "{:.2f}"


def rates(rows):
    return [int(r["bytes"]) / float(r["wall_s"]) / MIB for r in rows if r["ok"] == "1"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("samples")
    parser.add_argument("--scenario", required=True)
    parser.add_argument("--baseline", action="append", default=[],
                        help="tool whose median throughput is 100 %% (repeatable)")
    parser.add_argument("--check", help="TOOL:BASELINE:PERCENT, a target against a baseline")
    parser.add_argument("--cap", type=int, default=0, help="server limit_rate per connection")
    parser.add_argument("--link", type=int, default=0, help="link rate cap, bytes/s")
    parser.add_argument("--protocol", action="store_true", help="show the HTTP version seen")
    args = parser.parse_args()

    tools = {}  # tool -> list of rows, in first-seen order
    with open(args.samples, newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if row["scenario"] == args.scenario:
                tools.setdefault(row["tool"], []).append(row)
    if not tools:
        print(f"(no samples for scenario {args.scenario})")
        return 0

    first = next(iter(tools.values()))[0]
    files = int(first["files"])
    bases = []
    for name in args.baseline:
        if rates(tools.get(name, [])):
            bases.append((name, statistics.median(rates(tools[name]))))

    header = ["tool", "conns asked", "ok runs", "wall s", "MiB/s"]
    if files > 1:
        header.append("files/s")
    header += [f"% of {name}" for name, _ in bases]
    if args.cap:
        header += ["conns × cap MiB/s", "% of conns × cap"]
    if args.link:
        header.append("% of link")
    header += ["CPU s (user+sys)", "peak RSS MiB", "requests", "connections seen",
               "server sent MiB"]
    if files > 1:
        # From nginx's log: whether the connections opened together and shared the files evenly.
        header += ["requests per connection", "connections opened within ms"]
    if args.protocol:
        header.append("protocol")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" if i == 0 else "--:" for i in range(len(header))) + "|")

    failures = []
    for tool, rows in tools.items():
        conns = rows[0]["conns"]
        if rows[0]["ok"] == "na":
            cells = [f"`{tool}`", conns, "–", f"n/a ({rows[0]['note']})"]
            print("| " + " | ".join(cells + ["–"] * (len(header) - len(cells))) + " |")
            continue
        good = [r for r in rows if r["ok"] == "1"]
        cells = [f"`{tool}`", conns, f"{len(good)}/{len(rows)}"]
        for r in rows:
            if r["ok"] != "1":
                failures.append(f"- `{tool}` run {r['run']}: {r['note'] or 'failed'}")
        if not good:
            cells += ["failed"] + ["–"] * (len(header) - 4)
            print("| " + " | ".join(cells) + " |")
            continue
        tool_rates = rates(rows)
        median_rate = statistics.median(tool_rates)
        cells.append(spread([float(r["wall_s"]) for r in good], "{:.3f}"))
        cells.append(spread(tool_rates, rate_fmt(median_rate)))
        if files > 1:
            fps = [files / float(r["wall_s"]) for r in good]
            cells.append(spread(fps, "{:.0f}"))
        for _, base in bases:
            cells.append(spread([100 * x / base for x in tool_rates], "{:.0f}"))
        if args.cap:
            ideal = int(conns) * args.cap / MIB
            cells.append(rate_fmt(ideal).format(ideal))
            cells.append(spread([100 * x / ideal for x in tool_rates], "{:.0f}"))
        if args.link:
            link = args.link / MIB
            cells.append(spread([100 * x / link for x in tool_rates], "{:.0f}"))
        cells.append(spread([float(r["cpu_s"]) for r in good], "{:.2f}"))
        cells.append(spread([int(r["rss_kib"]) / 1024 for r in good], "{:.1f}"))
        cells.append(spread([int(r["requests"]) for r in good], "{:.0f}"))
        cells.append(spread([int(r["connections"]) for r in good], "{:.0f}"))
        cells.append(spread([int(r["sent_bytes"]) / MIB for r in good], "{:.0f}"))
        if files > 1:
            lo = min(int(r["conn_min_requests"]) for r in good)
            hi = max(int(r["conn_max_requests"]) for r in good)
            cells.append(str(lo) if lo == hi else f"{lo}–{hi}")
            cells.append(spread([float(r["conn_open_ms"]) for r in good], "{:.0f}"))
        if args.protocol:
            cells.append(" ".join(sorted({p for r in good for p in r["protocols"].split(",")})))
        print("| " + " | ".join(cells) + " |")

    busy = [float(r["busy_pct"]) for rows in tools.values() for r in rows if r["ok"] != "na"]
    if busy:
        print(f"\nOther load: CPU busy {statistics.median(busy):.0f} % (median; "
              f"{min(busy):.0f}–{max(busy):.0f} %) of {os.cpu_count()} cores in the 0.5 s "
              f"before each run.")

    if failures:
        print("\nFailed runs:\n")
        print("\n".join(failures))

    if args.check:
        tool, base_name, target = args.check.split(":")
        tool_rates = rates(tools.get(tool, []))
        base_rates = rates(tools.get(base_name, []))
        print()
        if not base_rates or not tool_rates:
            print(f"**Check** `{tool}` ≥ {target} % of `{base_name}`: not evaluated "
                  "(no successful runs to compare)")
        else:
            pct = 100 * statistics.median(tool_rates) / statistics.median(base_rates)
            verdict = "PASS" if pct >= float(target) else "FAIL"
            print(f"**Check** `{tool}` ≥ {target} % of `{base_name}` (median throughput): "
                  f"{pct:.1f} % — **{verdict}**")
    return 0


if __name__ == "__main__":
    sys.exit(main())
