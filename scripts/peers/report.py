"""Medians over repeats and the markdown tables of the generated peer section of BENCHMARKS.md."""

import statistics
from collections import defaultdict

# Workloads measured by throughput (higher is better) and by latency (lower is better).
RATE = ["create", "update", "get", "delete", "vcard-create", "conflict"]
LATENCY = ["propfind-depth1", "multiget-100", "query-week", "sync-initial", "sync-incremental-10"]
ORDER = ["create", "get", "propfind-depth1", "multiget-100", "query-week", "sync-initial",
         "sync-incremental-10", "update", "conflict", "delete", "vcard-create"]


def group(results):
    """(server, objects, concurrency, workload) -> list of JSON reports, one per repeat."""
    g = defaultdict(list)
    for r in results:
        g[(r["server"], r["size"], r["concurrency"], r["workload"])].append(r)
    return g


def metric(workload, runs):
    """Median of the workload's headline number and the total error count over the repeats."""
    errors = sum(r.get("errors", 0) for r in runs)
    if workload in LATENCY:
        return statistics.median(r["latency_ms"]["p50"] for r in runs), errors
    return statistics.median(r["ops_per_sec"] for r in runs), errors


def fmt(v, workload):
    if v is None:
        return "-"
    if workload in LATENCY:
        return f"{v:.3f} ms" if v < 10 else f"{v:.1f} ms"
    return f"{v:,.0f}/s" if v >= 100 else f"{v:.1f}/s"


def speedup(ours, theirs, workload):
    if ours is None or theirs is None or ours == 0 or theirs == 0:
        return "-"
    x = theirs / ours if workload in LATENCY else ours / theirs
    return f"{x:,.1f}x" if x < 100 else f"{x:,.0f}x"


def tables(results, servers, sizes, concurrencies):
    g = group(results)
    # Ratios: each davlite variant (redb, PostgreSQL, several nodes) against each peer; without
    # davlite's own numbers the table is the peers alone.
    ours = [s for s in servers if s.startswith("davlite")]
    peers = [s for s in servers if not s.startswith("davlite") and s != "bare hyper"]
    pairs = [(o, p) for o in ours for p in peers]
    out = []
    for size in sizes:
        for c in concurrencies:
            rows = [k for k in ORDER if any((s, size, c, k) in g for s in servers)]
            if not rows:
                continue
            out.append(f"\n### {size:,} objects, concurrency {c}\n")
            head = ["workload", "metric"] + list(s for s in servers if s != "bare hyper") + [("davlite" if o == "davlite" else o.replace("davlite on ", "")) + f"/{p}" for o, p in pairs]
            out.append("| " + " | ".join(head) + " |")
            out.append("|" + "---|" * len(head))
            for w in rows:
                vals = {}
                cells = [w, "p50 latency" if w in LATENCY else "ops/s"]
                for s in servers:
                    if s == "bare hyper":
                        continue
                    runs = g.get((s, size, c, w))
                    if not runs:
                        cells.append("not run")
                        vals[s] = None
                        continue
                    v, errors = metric(w, runs)
                    vals[s] = v
                    cells.append(fmt(v, w) + (f" ({errors} errors)" if errors else ""))
                for o, p in pairs:
                    cells.append(speedup(vals.get(o), vals.get(p), w))
                out.append("| " + " | ".join(cells) + " |")
            bare = g.get(("bare hyper", 0, c, "get-url"))
            if bare:
                v, _ = metric("get", bare)
                out.append(f"\nGET ceiling (bare hyper, fixed 1 KB body) at concurrency {c}: {v:,.0f}/s.")
    return "\n".join(out)


def footprint_table(results):
    rows = [r for r in results if r["workload"] == "create" and r.get("footprint")]
    if not rows:
        return ""
    out = ["\n### Footprint right after creating the largest set of events\n",
           "| server | events | resident memory (VmRSS) | on disk |", "|---|---|---|---|"]
    for r in rows:
        fp = r["footprint"]
        out.append(f"| {r['server']} | {r['objects']:,} | {fp['rss_kib'] / 1024:.1f} MiB | {fp['disk_bytes'] / 1048576:.1f} MiB |")
    return "\n".join(out)


def conflict_table(results):
    rows = [r for r in results if r["workload"] == "conflict" and r.get("conflict")]
    if not rows:
        return ""
    out = ["\n### Conflict rounds (same UID created by all writers at once)\n",
           "| server | objects | writers | rounds | exactly one winner | none | several | loser statuses |",
           "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        c = r["conflict"]
        rounds = c["rounds_same_href"] + c["rounds_different_href"]
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(c["loser_statuses"].items()))
        out.append(f"| {r['server']} | {r['size']:,} | {max(r['concurrency'], 2)} | {rounds} | {c['exactly_one_winner']} | {c['no_winner']} | {c['several_winners']} | {statuses} |")
    return "\n".join(out)


def error_table(results):
    rows = [r for r in results if r.get("errors")]
    if not rows:
        return "\nNo request failed or returned a wrong answer."
    out = ["\n### Errors (unexpected statuses and wrong answers; never counted as speed)\n",
           "| server | objects | concurrency | workload | errors |", "|---|---|---|---|---|"]
    for r in rows:
        kinds = "; ".join(f"{k}: {v}" for k, v in r["error_kinds"].items())
        out.append(f"| {r['server']} | {r['size']:,} | {r['concurrency']} | {r['workload']} | {kinds} |")
    return "\n".join(out)
