#!/usr/bin/env python3
"""Makes the transcripts of tools/bench-diff.

    bench_diff.py RECORDS OUT_EXPECTED OUT_ACTUAL [--seed N]

The expected transcript is Fixtures/session-5min.wire.golden.jsonl repeated until it holds
RECORDS records, each copy with renumbered seq_id / log_id / msg_id, tape lines and t_us (so
identities stay unique and times increase). The actual transcript is a copy with 300 scattered
value changes, 50 dropped records and 50 inserted ones (a message copied under a new msg_id
right after the original). Prints the counts it applied as JSON on stdout.
"""
import argparse
import json
import random
import re

GOLDEN = "Fixtures/session-5min.wire.golden.jsonl"
ID = re.compile(r'"(seq_id|log_id|msg_id)":"(\d+)"')
LINE = re.compile(r'"line":(\d+)')
T_US = re.compile(r'"t_us":(\d+)')
CREATE_TIME = re.compile(r'"create_time":"(\d+)"')
PAYLOAD_SIZE = re.compile(r'"payload_size":(\d+)')
MSG_ID = re.compile(r'"msg_id":"(\d+)"')


def main():
    parser = argparse.ArgumentParser(description="Makes the transcripts of tools/bench-diff.")
    parser.add_argument("records", type=int)
    parser.add_argument("out_expected")
    parser.add_argument("out_actual")
    parser.add_argument("--seed", type=int, default=20261129)
    args = parser.parse_args()
    records, out_expected, out_actual = args.records, args.out_expected, args.out_actual
    rng = random.Random(args.seed)

    with open(GOLDEN, encoding="utf-8") as f:
        header, *body = f.read().splitlines()
    last_line = max(int(LINE.search(l).group(1)) for l in body)
    last_t = max(int(T_US.search(l).group(1)) for l in body)

    expected = []
    copy = 0
    while len(expected) < records:
        id_shift, seq_shift = copy * 10**12, copy * 1_000_000
        line_shift, t_shift = copy * (last_line + 1), copy * (last_t + 1_000_000)

        def ids(m):
            n = int(m.group(2)) + (seq_shift if m.group(1) == "seq_id" else id_shift)
            return f'"{m.group(1)}":"{n}"'

        for l in body:
            if len(expected) == records:
                break
            if copy:
                l = ID.sub(ids, l)
                l = LINE.sub(lambda m: f'"line":{int(m.group(1)) + line_shift}', l, count=1)
                l = T_US.sub(lambda m: f'"t_us":{int(m.group(1)) + t_shift}', l, count=1)
            expected.append(l)
        copy += 1

    actual = list(expected)
    n = len(actual)
    picks = rng.sample(range(n), 400)
    changed, dropped, inserted = set(picks[:300]), set(picks[300:350]), set(picks[350:])
    applied = {"changed": 0, "dropped": 0, "inserted": 0}
    for k in sorted(changed):
        l = actual[k]
        m = CREATE_TIME.search(l) or PAYLOAD_SIZE.search(l) or T_US.search(l)
        actual[k] = l[:m.start(1)] + str(int(m.group(1)) + 1) + l[m.end(1):]
        applied["changed"] += 1
    out = []
    fresh = 8_000_000_000_000_000_000
    for k, l in enumerate(actual):
        if k in dropped:
            applied["dropped"] += 1
            continue
        out.append(l)
        if k in inserted:
            if '"type":"message"' in l and MSG_ID.search(l):
                fresh += 1
                out.append(MSG_ID.sub(f'"msg_id":"{fresh}"', l))
            else:
                # Not a message: insert a notice, which has no ids, on the same tape line.
                rec = json.loads(l)
                out.append(json.dumps({"type": "notice", "line": rec.get("line", 0), "t_us": rec.get("t_us", 0),
                                       "conn": rec.get("conn", 0), "kind": "bench", "detail": f"inserted {k}"},
                                      separators=(",", ":")))
            applied["inserted"] += 1

    for path, lines in ((out_expected, expected), (out_actual, out)):
        with open(path, "w", encoding="utf-8") as f:
            f.write(header + "\n")
            f.write("\n".join(lines) + "\n")
    print(json.dumps({"records": records, **applied}))


if __name__ == "__main__":
    main()
