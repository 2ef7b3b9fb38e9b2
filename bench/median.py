#!/usr/bin/env python3
"""Median of several bench/run.sh results files, one row per (backend, N, measurement).

    python3 bench/median.py bench/results-2026-12-01-run1.md bench/results-2026-12-01-run2.md ...

Prints a Markdown table: for each measurement the median of req/s, × floor, p50 and p99 over the
runs, and the per-run × floor values so the spread is visible. Rows are read from the first
table of each file (the one headed "| backend | N | measurement |").
"""
import statistics
import sys


def number(cell):
    cell = cell.strip().replace(" MB", "")
    try:
        return float(cell)
    except ValueError:
        return None


def rows(path):
    out = {}
    with open(path, encoding="utf-8") as f:
        in_table = False
        for line in f:
            if line.startswith("| backend | N | measurement"):
                in_table = True
                continue
            if in_table and not line.startswith("|"):
                break
            if not in_table or line.startswith("|---"):
                continue
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            key = (cells[0], cells[1], cells[2])
            out[key] = [number(c) for c in cells[3:7]]
    return out


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(value, digits):
    return "" if value is None else f"{value:.{digits}f}"


def main(paths):
    runs = [rows(p) for p in paths]
    print(f"Median of {len(runs)} runs ({', '.join(paths)}).\n")
    print("| backend | N | measurement | req/s (or value) | × floor | p50 ms | p99 ms | × floor per run |")
    print("|---|---|---|---|---|---|---|---|")
    for key in runs[0]:
        per_run = [r.get(key, [None] * 4) for r in runs]
        med = [median([v[i] for v in per_run]) for i in range(4)]
        spread = ", ".join(fmt(v[1], 3) for v in per_run if v[1] is not None)
        print(f"| {' | '.join(key)} | {fmt(med[0], 1)} | {fmt(med[1], 3)} | "
              f"{fmt(med[2], 3)} | {fmt(med[3], 3)} | {spread} |")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
