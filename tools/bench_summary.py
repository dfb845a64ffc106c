"""One row of the benchmark table that tools/bench prints.

Each benchmark script calls `record(...)` for its headline comparisons; when the environment
variable BENCH_SUMMARY names a file (tools/bench sets it), the row is appended to it as a JSON
line, otherwise nothing happens. `python3 tools/bench_summary.py --table FILE` prints the table.
From a shell: `python3 tools/bench_summary.py --row BENCHMARK LIVETAPE [PEER PEER_FIGURE RATIO TARGET]`.
"""

import json
import os
import sys


def record(benchmark, livetape, peer="", peer_figure="", ratio="", target=""):
    """Appends one row: what was measured, livetape's figure, the peer's, their ratio and the target."""
    path = os.environ.get("BENCH_SUMMARY")
    if not path:
        return
    row = dict(benchmark=benchmark, livetape=livetape, peer=peer, peer_figure=peer_figure, ratio=ratio, target=target)
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(row) + "\n")


def table(path):
    """The rows of `path` as a Markdown table."""
    rows = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    columns = ["benchmark", "livetape", "peer", "peer_figure", "ratio", "target"]
    titles = ["benchmark", "livetape", "peer", "peer's figure", "ratio", "target"]
    lines = ["| " + " | ".join(titles) + " |", "|" + "---|" * len(titles)]
    lines += ["| " + " | ".join(str(row.get(c, "")) or "—" for c in columns) + " |" for row in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--table":
        print(table(sys.argv[2]))
    elif len(sys.argv) >= 4 and sys.argv[1] == "--row":
        record(*sys.argv[2:8])
    else:
        sys.exit("usage: bench_summary.py --table FILE | --row BENCHMARK LIVETAPE [PEER PEER_FIGURE RATIO TARGET]")
