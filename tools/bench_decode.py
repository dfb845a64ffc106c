"""Runs the decode benchmark for tools/bench-decode and prints its table.

Figures, all measured in this run on the same synthesized tape:
  - livetape decode, end to end (read the tape, decode, write the wire transcript to /dev/null):
    wall time (the best of three runs) and peak RSS, for the full tape and a half-size one;
  - livetape-bench, in process over the same frames: inflate-only (as the decoder inflates, and with
    the system zlib for reference), decode-only, decode + render;
  - the tiktoklive package's classes over the first frames of the same tape (it is slow, so a
    sample), as messages per second (the best of three runs).
"""

import argparse
import base64
import gzip
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_summary import record  # noqa: E402
from crosscheck import Reference  # noqa: E402


def run_measured(argv):
    """Runs argv, returns (seconds, peak RSS in KiB) of that child alone."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):
        sys.exit(f"bench: {' '.join(argv)} exited {process.returncode}: {process.stderr.read().decode()}")
    return seconds, usage.ru_maxrss


def recv_frames(tape, limit=None):
    frames = []
    with open(tape, "rb") as f:
        next(f)
        for line in f:
            record = json.loads(line)
            if record.get("kind") != "ws_message" or record.get("dir") != "recv":
                continue
            if record.get("opcode", "binary") not in ("binary", 2):
                continue
            frames.append(base64.b64decode(record["payload"]["base64"]))
            if limit and len(frames) >= limit:
                break
    return frames


def tiktoklive_decode(frames):
    """Decodes frames the way the tiktoklive client does; returns (messages, seconds)."""
    ref = Reference()
    push_frame, fetch_result = ref.cls("WebcastPushFrame"), ref.cls("ProtoMessageFetchResult")
    messages = 0
    start = time.perf_counter()
    for raw in frames:
        frame = push_frame().parse(raw)
        payload = frame.payload
        if payload[:3] == b"\x1f\x8b\x08":
            payload = gzip.decompress(payload)
        result = fetch_result().parse(payload)
        for message in result.messages:
            cls = ref.cls(message.method)
            if cls is not None:
                cls().parse(message.payload)
            messages += 1
    return messages, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--tape", required=True)
    parser.add_argument("--half-tape", required=True)
    parser.add_argument("--python-frames", type=int, default=2000)
    args = parser.parse_args()

    livetape = os.path.join(args.bin, "livetape")
    # Each side's best of three runs, as livetape-bench takes for the in-process figures, so that
    # a busy moment on the machine counts against neither.
    cli_runs = [run_measured([livetape, "decode", args.tape, "--view", "wire", "-o", "/dev/null"]) for _ in range(3)]
    cli_s, cli_rss = min(s for s, _ in cli_runs), max(rss for _, rss in cli_runs)
    _, half_rss = run_measured([livetape, "decode", args.half_tape, "--view", "wire", "-o", "/dev/null"])
    events_s, _ = run_measured([livetape, "decode", args.tape, "--view", "events", "-o", "/dev/null"])
    bench = json.loads(subprocess.run([os.path.join(args.bin, "livetape-bench"), args.tape],
                                      check=True, capture_output=True, text=True).stdout)
    python_frames = recv_frames(args.tape, args.python_frames)
    py_runs = [tiktoklive_decode(python_frames) for _ in range(3)]
    py_messages, py_s = py_runs[0][0], min(s for _, s in py_runs)

    frames, messages = bench["frames"], bench["messages"]
    mb = bench["compressed_bytes"] / 1e6
    tape_mb = os.path.getsize(args.tape) / 1e6
    py_rate = py_messages / py_s
    rows = [
        ("livetape decode --view wire (end to end)", cli_s),
        ("livetape decode --view events (end to end)", events_s),
        ("in process: decode + render wire records", bench["decode_render_s"]),
        ("in process: decode only", bench["decode_s"]),
        ("in process: inflate only (the floor)", bench["inflate_only_s"]),
        ("in process: inflate only with zlib (reference)", bench["zlib_inflate_only_s"]),
    ]
    print(f"tape: {frames} server frames, {messages} messages, {mb:.1f} MB gzip payloads "
          f"({bench['inflated_bytes'] / 1e6:.1f} MB inflated), tape file {tape_mb:.1f} MB")
    print(f"{'':46} {'seconds':>8} {'frames/s':>10} {'messages/s':>11} {'MB/s':>8}")
    for name, seconds in rows:
        print(f"{name:46} {seconds:8.3f} {frames / seconds:10.0f} {messages / seconds:11.0f} {mb / seconds:8.1f}")
    print(f"{'tiktoklive classes (first ' + str(args.python_frames) + ' frames)':46} {py_s:8.3f} "
          f"{'':>10} {py_rate:11.0f}")
    print()
    print(f"ratio, messages/s, livetape end to end / tiktoklive: {messages / cli_s / py_rate:8.1f}x   (target >= 100x)")
    print(f"ratio, messages/s, livetape decode only / tiktoklive: {messages / bench['decode_s'] / py_rate:7.1f}x")
    print(f"ratio, decode only / inflate only:                  {bench['decode_s'] / bench['inflate_only_s']:8.2f}    (target <= 2)")
    print(f"ratio, decode only / zlib inflate only:             {bench['decode_s'] / bench['zlib_inflate_only_s']:8.2f}")
    print(f"ratio, decode + render / inflate only:              {bench['decode_render_s'] / bench['inflate_only_s']:8.2f}")
    record(f"decode --view wire, {frames} frames, end to end", f"{messages / cli_s / 1000:.0f}k messages/s",
           "tiktoklive classes", f"{py_rate / 1000:.2f}k messages/s", f"{messages / cli_s / py_rate:.1f}x", ">= 100x")
    record("decode only / inflate only (libdeflate, as decode does), in process",
           f"{bench['decode_s']:.2f} s / {bench['inflate_only_s']:.2f} s",
           ratio=f"{bench['decode_s'] / bench['inflate_only_s']:.2f}", target="<= 2")
    record("decode only / zlib inflate only, in process", f"{bench['decode_s']:.2f} s / {bench['zlib_inflate_only_s']:.2f} s",
           ratio=f"{bench['decode_s'] / bench['zlib_inflate_only_s']:.2f}")
    record("decode peak RSS, full / half tape", f"{cli_rss / 1024:.0f} / {half_rss / 1024:.0f} MiB", target="flat")
    print(f"peak RSS, livetape decode: {cli_rss / 1024:.1f} MiB at {frames} frames, "
          f"{half_rss / 1024:.1f} MiB at {frames // 2} frames (flat = streaming)")


if __name__ == "__main__":
    main()
