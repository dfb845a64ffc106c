"""Runs the serve benchmark for tools/bench-serve and prints its tables.

Figures, all measured in this run, on loopback, from Fixtures/session-5min.tape:
  - the signing API: the recorded GET /webcast/fetch loaded with wrk, answered by
    `livetape serve` and by mitmdump's server replay of the same exchange (same wrk command):
    requests/s, p50, p99 and max latency, and the livetape/mitmdump ratio;
  - the push server at --speed max: 1, then N concurrent WebSocket clients, each reading all
    recorded server messages, checked in order and byte for byte against the tape, then closing
    with 1000: frames/s delivered across clients and wall time;
  - the recording proxy: `livetape record --ws-upstream` in front of that push server, sessions of
    one client through it alternating with direct ones (same checks): median frames/s both ways
    and their ratio; p50 and p99 of ping round trips, sent one at a time after the replay, both
    ways; the proxy's RSS after sessions 1, 10 and 50; the recorded tape decoded and its records
    counted.

Exit status: 0 measured, 1 a check failed (a non-2xx answer or socket error under load, a wrong
body, a lost, extra, reordered or altered frame, a close other than 1000, a pong that does not echo
its ping, a recorded tape that does not decode or lacks records, livetape record not exiting 0,
a timeout).
"""

import argparse
import asyncio
import base64
import collections
import hashlib
import json
import math
import os
import re
import select
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from http.client import HTTPConnection
from urllib.parse import urlsplit

from mitmproxy import connection, http, io, version

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_summary import record as summary_row  # noqa: E402

TAPE = "Fixtures/session-5min.tape"
SERVE = ("serve", TAPE, "--speed", "max")
RECORD_SESSIONS, RSS_AFTER, PING_SESSIONS, PINGS = 50, (1, 10, 50), 10, 200
WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OPCODES = {"text": 1, "binary": 2}
MS_PER_UNIT = {"us": 1e-3, "ms": 1, "s": 1e3}


class Failure(Exception):
    pass


def read_tape(path):
    """The first http exchange, the first ws_open URL and the recv messages as (opcode, bytes)."""
    exchange, ws_url, messages = None, None, []
    with open(path, encoding="utf-8") as f:
        next(f)
        for line in f:
            record = json.loads(line)
            if record["kind"] == "http" and exchange is None:
                exchange = record
            elif record["kind"] == "ws_open" and ws_url is None:
                ws_url = record["url"]
            elif record["kind"] == "ws_message" and record["dir"] == "recv":
                opcode = record["opcode"]
                messages.append((OPCODES.get(opcode, opcode), body_bytes(record.get("payload"))))
    return exchange, ws_url, messages


def body_bytes(body):
    body = body or {}
    return base64.b64decode(body["base64"]) if "base64" in body else body.get("text", "").encode()


def target(url):
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port, path):
    conn = HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def protobuf_fields(data):
    """Top-level (field number, raw bytes of the field) of a protobuf message."""
    def varint(i):
        value = shift = 0
        while True:
            byte = data[i]
            value, shift, i = value | (byte & 0x7F) << shift, shift + 7, i + 1
            if byte < 0x80:
                return value, i

    fields, i = [], 0
    while i < len(data):
        start = i
        key, i = varint(i)
        wire = key & 7
        if wire == 0:
            _, i = varint(i)
        elif wire == 2:
            length, i = varint(i)
            i += length
        elif wire in (1, 5):
            i += 8 if wire == 1 else 4
        else:
            raise Failure(f"unexpected protobuf wire type {wire}")
        fields.append((key >> 3, data[start:i]))
    return fields


def check_livetape_fetch(port, path, recorded, push_url):
    """livetape serves the recorded fetch result with push_server (field 10) set to its push URL."""
    status, body = get(port, path)
    if status != 200:
        raise Failure(f"livetape answered {status}: {body[:200]!r}")
    served = protobuf_fields(body)
    push_server = [raw for number, raw in served if number == 10]
    if ([f for f in served if f[0] != 10] != [f for f in protobuf_fields(recorded) if f[0] != 10]
            or len(push_server) != 1 or not push_server[0].endswith(push_url.encode())):
        raise Failure("livetape answered 200 with a body that is not the recorded fetch result")


def check_mitmdump_fetch(port, path, recorded):
    status, body = get(port, path)
    if status != 200 or body != recorded:
        raise Failure(f"mitmdump answered {status} with {len(body)} bytes, not the recorded {len(recorded)}")


def write_flow(path, exchange, url):
    """The recorded exchange as a mitmproxy flow file whose request goes to `url`."""
    request, response = exchange["request"], exchange["response"]
    parts = urlsplit(url)
    flow = http.HTTPFlow(connection.Client(peername=("127.0.0.1", 0), sockname=("127.0.0.1", 0)),
                         connection.Server(address=(parts.hostname, parts.port)))
    flow.request = http.Request.make(request["method"], url, body_bytes(request.get("body")),
                                     [(k.encode(), v.encode()) for k, v in request.get("headers", [])])
    flow.response = http.Response.make(response["status"], body_bytes(response.get("body")),
                                       [(k.encode(), v.encode()) for k, v in response.get("headers", [])])
    with open(path, "wb") as f:
        io.FlowWriter(f).add(flow)


def start(stack, argv, log, stdout=subprocess.PIPE):
    """Starts argv, stopped (SIGTERM) when `stack` closes; stderr appended to the file `log`."""
    with open(log, "ab") as stderr:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr)
    stack.callback(stop, process)
    return process


def stop(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def start_livetape(stack, log, livetape, command, *args):
    """Starts `livetape COMMAND ARGS`; returns the process and the JSON line of URLs it prints."""
    process = start(stack, [livetape, command, *args], log)
    if not select.select([process.stdout], [], [], 30)[0]:
        raise Failure(f"livetape {command} printed no URLs within 30 s")
    line = process.stdout.readline()
    if not line:
        raise Failure(f"livetape {command} exited {process.wait()}")
    return process, json.loads(line)


def wait_listening(port, process, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise Failure(f"mitmdump exited {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise Failure(f"mitmdump does not listen on {port} after {seconds} s")


def wrk(args, url):
    argv = ["wrk", *args, "--latency", url]
    out = subprocess.run(argv, check=True, capture_output=True, text=True, timeout=60).stdout

    def ms(pattern):
        value, unit = re.search(pattern + r"([\d.]+)(us|ms|s)\b", out, re.M).groups()
        return float(value) * MS_PER_UNIT[unit]

    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": ms(r"^\s+50%\s+"), "p99": ms(r"^\s+99%\s+"), "max": ms(r"^\s+Latency[ \t]+\S+[ \t]+\S+[ \t]+"),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": sum(map(int, socket_errors.groups())) if socket_errors else 0,
    }


def client_frame(opcode, payload):
    """A masked, final client frame with a payload of at most 125 bytes."""
    mask = os.urandom(4)
    return bytes((0x80 | opcode, 0x80 | len(payload))) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


async def push_client(port, path, expected, pings=0):
    """One WebSocket client: reads len(expected) messages, then sends `pings` pings one at a time,
    each after the previous pong, closes with 1000, reads the server's close and EOF. Returns
    (messages received, index of the first one lost, extra or unlike the tape or None, the
    server's close code or None, the ping round-trip times in seconds)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        key = base64.b64encode(os.urandom(16))
        writer.write(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     b"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (path.encode(), port, key))
        head = await reader.readuntil(b"\r\n\r\n")
        accept = base64.b64encode(hashlib.sha1(key + WS_GUID).digest())
        if not head.startswith(b"HTTP/1.1 101") or accept not in head:
            raise Failure(f"push handshake refused: {head.splitlines()[0].decode(errors='replace')}")
        buffer, received, bad, close_code, rtts, pinged = bytearray(), 0, None, None, [], 0.0
        while close_code is None:
            chunk = await reader.read(1 << 18)
            if not chunk:
                break
            buffer += chunk
            pos = 0
            while len(buffer) - pos >= 2:
                fin, opcode, length = buffer[pos] & 0x80, buffer[pos] & 0x0F, buffer[pos + 1] & 0x7F
                start = pos + 2 + {126: 2, 127: 8}.get(length, 0)
                if len(buffer) < start:
                    break
                if length >= 126:
                    length = int.from_bytes(buffer[pos + 2:start], "big")
                if len(buffer) < start + length:
                    break
                payload, pos = bytes(buffer[start:start + length]), start + length
                if opcode == 8:
                    close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 0
                    break
                if opcode == 10:
                    rtts.append(time.perf_counter() - pinged)
                    if payload != b"%d" % len(rtts):
                        raise Failure(f"pong {len(rtts)} does not echo its ping")
                else:
                    if bad is None and (received >= len(expected) or not fin or (opcode, payload) != expected[received]):
                        bad = received
                    received += 1
                if received == len(expected) and len(rtts) < pings:
                    pinged = time.perf_counter()
                    writer.write(client_frame(9, b"%d" % (len(rtts) + 1)))
                elif received == len(expected):
                    writer.write(client_frame(8, (1000).to_bytes(2, "big")))
            del buffer[:pos]
        if close_code is not None and await reader.read(1):
            raise Failure("data after the server's close frame")
        if bad is None and received < len(expected):
            bad = received
        return received, bad, close_code, rtts
    finally:
        writer.close()


async def push_round(port, path, expected, clients, timeout, pings=0):
    cpu, start = time.process_time(), time.perf_counter()
    try:
        results = await asyncio.wait_for(asyncio.gather(*(push_client(port, path, expected, pings) for _ in range(clients))), timeout)
    except asyncio.TimeoutError:
        raise Failure(f"{clients} push clients not done after {timeout} s: frames lost or no close") from None
    return results, time.perf_counter() - start, time.process_time() - cpu


def stderr_summary(log, since):
    """Lines of `log` after byte `since`, grouped by their text with numbers as N and the
    directory of `log` as $TMPDIR."""
    with open(log, "rb") as f:
        f.seek(since)
        lines = f.read().decode(errors="replace").replace(os.path.dirname(log), "$TMPDIR").splitlines()
    counts = collections.Counter(re.sub(r"\d+", "N", line) for line in lines)
    return "".join(f"\n    {n} x {text}" for text, n in counts.most_common()) or " none"


def bench_signing(args, exchange, log):
    path = target(exchange["request"]["url"])
    recorded = body_bytes(exchange["response"].get("body"))
    wrk_args = ["-t2", "-c32", f"-d{args.duration}s"]

    since = os.path.getsize(log)
    with ExitStack() as stack:
        _, urls = start_livetape(stack, log, args.livetape, *SERVE)
        sign_port = urlsplit(urls["sign_url"]).port
        check_livetape_fetch(sign_port, path, recorded, urls["push_url"])
        ours = wrk(wrk_args, urls["sign_url"] + path)
        check_livetape_fetch(sign_port, path, recorded, urls["push_url"])

    port = free_port()
    flow_file = os.path.join(args.work, "fetch.flow")
    write_flow(flow_file, exchange, "http://127.0.0.1:1" + path)
    mitm_argv = [args.mitmdump, "-q", "--listen-host", "127.0.0.1", "-p", str(port),
                 "--mode", "reverse:http://127.0.0.1:1", "--server-replay", flow_file,
                 "--set", "server_replay_reuse=true", "--set", "server_replay_extra=kill",
                 "--set", "connection_strategy=lazy"]
    with ExitStack() as stack:
        wait_listening(port, start(stack, mitm_argv, os.devnull, subprocess.DEVNULL))
        check_mitmdump_fetch(port, path, recorded)
        theirs = wrk(wrk_args, f"http://127.0.0.1:{port}{path}")
        check_mitmdump_fetch(port, path, recorded)

    print(f"signing API: GET {urlsplit(path).path} with the recorded query ({len(recorded)}-byte protobuf answer), "
          f"wrk {' '.join(wrk_args)} --latency")
    print(f"{'':18} {'requests':>9} {'requests/s':>11} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'non-2xx':>8} {'sock err':>9}")
    for name, r in (("livetape serve", ours), (f"mitmdump {version.VERSION}", theirs)):
        print(f"{name:18} {r['requests']:9} {r['rps']:11.0f} {r['p50']:8.2f} {r['p99']:8.2f} {r['max']:8.2f} "
              f"{r['non_2xx']:8} {r['socket_errors']:9}")
    print(f"ratio, requests/s, livetape / mitmdump: {ours['rps'] / theirs['rps']:6.1f}x   (target >= 5x)")
    print(f"livetape p99: {ours['p99']:.2f} ms   (target < 5 ms)")
    summary_row(f"serve signing API, recorded GET /webcast/fetch, wrk {' '.join(wrk_args)}",
                f"{ours['rps'] / 1000:.1f}k req/s, p99 {ours['p99']:.2f} ms", f"mitmdump {version.VERSION} server replay",
                f"{theirs['rps'] / 1000:.2f}k req/s, p99 {theirs['p99']:.1f} ms", f"{ours['rps'] / theirs['rps']:.1f}x", ">= 5x")
    print(f"mitmdump command: {' '.join(mitm_argv).replace(args.work, '$TMPDIR')}")
    print(f"livetape stderr:{stderr_summary(log, since)}")
    return all(r["non_2xx"] == 0 and r["socket_errors"] == 0 for r in (ours, theirs))


def bench_push(args, ws_url, expected, log):
    size = sum(len(payload) for _, payload in expected)
    print(f"push server: livetape serve --speed max, {len(expected)} recorded messages "
          f"({size / 1e6:.2f} MB) per client, checked in order and byte for byte, closed with 1000")
    print(f"{'clients':>7} {'frames':>8} {'wall s':>8} {'frames/s':>10} {'MB/s':>8} {'client CPU s':>13}  result")
    since = os.path.getsize(log)
    ok = True
    with ExitStack() as stack:
        push = urlsplit(start_livetape(stack, log, args.livetape, *SERVE)[1]["push_url"])
        path = push.path + "?" + urlsplit(ws_url).query
        for clients in (1, args.clients):
            results, wall, cpu = asyncio.run(push_round(push.port, path, expected, clients, args.push_timeout))
            frames = sum(received for received, _, _, _ in results)
            failed = [(i, bad, code) for i, (_, bad, code, _) in enumerate(results) if bad is not None or code != 1000]
            ok = ok and not failed
            result = "ok" if not failed else (f"{len(failed)} clients failed, first: client {failed[0][0]}, "
                                              f"first bad frame {failed[0][1]}, close code {failed[0][2]}")
            print(f"{clients:7} {frames:8} {wall:8.3f} {frames / wall:10.0f} {clients * size / 1e6 / wall:8.1f} "
                  f"{cpu:13.3f}  {result}")
            summary_row(f"serve push server --speed max, {clients} client{'s' if clients > 1 else ''}",
                        f"{frames / wall / 1000:.0f}k frames/s ({result})")
    print(f"livetape stderr (every session reports the im_enter_room and acks these clients do not send):"
          f"{stderr_summary(log, since)}")
    return ok


def rss_mib(pid):
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        return int(re.search(r"^VmRSS:\s+(\d+) kB", f.read(), re.M).group(1)) / 1024


def percentile(values, q):
    return sorted(values)[math.ceil(q * len(values)) - 1]


def bench_record(args, ws_url, expected, log):
    query = "?" + urlsplit(ws_url).query
    tape, record_log = os.path.join(args.work, "record.tape"), os.path.join(args.work, "record.stderr")
    walls, rtts, rss = {"direct": [], "proxy": []}, {"direct": [], "proxy": []}, {}
    since = os.path.getsize(log)
    with ExitStack() as stack:
        _, serve = start_livetape(stack, log, args.livetape, *SERVE)
        record, proxy = start_livetape(stack, record_log, args.livetape, "record", "-o", tape,
                                       "--sign-upstream", serve["sign_url"], "--ws-upstream", serve["push_url"])
        push = {"direct": urlsplit(serve["push_url"]), "proxy": urlsplit(proxy["push_url"])}

        def session(name, pings=0):
            url = push[name]
            [(_, bad, code, times)], wall, _ = asyncio.run(
                push_round(url.port, url.path + query, expected, 1, args.push_timeout, pings))
            if bad is not None or code != 1000:
                raise Failure(f"{name} push session: first bad frame {bad}, close code {code}")
            return wall, times

        for n in range(1, RECORD_SESSIONS + 1):
            for name in walls:
                walls[name].append(session(name)[0])
            if n in RSS_AFTER:
                rss[n] = rss_mib(record.pid)
        for _ in range(PING_SESSIONS):
            for name in rtts:
                rtts[name] += session(name, PINGS)[1]
        stop(record)

    decoded = subprocess.run([args.livetape, "decode", tape, "-o", os.devnull], stderr=subprocess.DEVNULL, timeout=60).returncode
    with open(tape, "rb") as f:
        next(f)
        kinds = collections.Counter(json.loads(line)["kind"] for line in f)
    sessions = RECORD_SESSIONS + PING_SESSIONS
    want = {"ws_open": sessions, "ws_message": sessions * len(expected) + 2 * PING_SESSIONS * PINGS, "ws_close": sessions}
    wall = {name: statistics.median(w) for name, w in walls.items()}
    p99 = {name: percentile(r, 0.99) * 1e3 for name, r in rtts.items()}

    print(f"recording proxy: livetape record --ws-upstream <push_url of livetape serve --speed max>, one client at a time,\n"
          f"  {len(expected)} messages per session checked in order and byte for byte, sessions direct and through the proxy\n"
          f"  alternating; then {PING_SESSIONS} sessions each way with {PINGS} pings after the replay, each sent after the previous pong")
    print(f"{'':24} {'sessions':>8} {'median ms':>10} {'frames/s':>9} {'pings':>6} {'ping p50 ms':>12} {'ping p99 ms':>12}")
    for name, label in (("direct", "livetape serve"), ("proxy", "through livetape record")):
        print(f"{label:24} {len(walls[name]):8} {wall[name] * 1e3:10.1f} {len(expected) / wall[name]:9.0f} {len(rtts[name]):6} "
              f"{percentile(rtts[name], 0.5) * 1e3:12.3f} {p99[name]:12.3f}")
    print(f"ratio, frames/s, proxy / direct: {wall['direct'] / wall['proxy']:.0%}   (target >= 50 %)")
    summary_row("record proxy in front of the push server, 1 client", f"{len(expected) / wall['proxy'] / 1000:.0f}k frames/s",
                "the push server direct", f"{len(expected) / wall['direct'] / 1000:.0f}k frames/s",
                f"{wall['direct'] / wall['proxy']:.0%}", ">= 50 %")
    summary_row("record proxy, added ping p99", f"{p99['proxy'] - p99['direct']:.3f} ms", target="< 1 ms")
    print(f"added ping p99, proxy - direct: {p99['proxy'] - p99['direct']:.3f} ms   (target < 1 ms)")
    print(f"livetape record RSS after session {' / '.join(map(str, rss))}: {' / '.join(f'{v:.1f}' for v in rss.values())} MiB; "
          f"growth from session {RSS_AFTER[1]} to {RSS_AFTER[2]}: {rss[RSS_AFTER[2]] - rss[RSS_AFTER[1]]:+.1f} MiB   (target: flat)")
    print(f"recorded tape: {kinds['ws_open']} sessions, {kinds['ws_message']} messages, {kinds['ws_close']} closes "
          f"(expected {want['ws_open']}, {want['ws_message']}, {want['ws_close']}); livetape decode exit {decoded}; "
          f"livetape record exit {record.returncode}")
    print(f"livetape serve stderr (the same reports as above):{stderr_summary(log, since)}")
    print(f"livetape record stderr:{stderr_summary(record_log, 0)}")
    return decoded == 0 and kinds == want and record.returncode == 0


def main():
    parser = argparse.ArgumentParser(description="Runs the serve benchmark for tools/bench-serve.")
    parser.add_argument("--livetape", required=True)
    parser.add_argument("--mitmdump", required=True)
    parser.add_argument("--quick", action="store_true", help="2 s wrk runs instead of 10 s")
    parser.add_argument("--clients", type=int, default=50, help="concurrent push clients of the second round")
    parser.add_argument("--timeout", type=int, default=110, help="hard limit for the whole run, seconds")
    args = parser.parse_args()
    args.duration = 2 if args.quick else 10
    args.push_timeout = 40

    def expire(*_):
        raise Failure(f"timed out after {args.timeout} s")
    signal.signal(signal.SIGALRM, expire)
    signal.alarm(args.timeout)

    exchange, ws_url, expected = read_tape(TAPE)
    with tempfile.TemporaryDirectory() as work:
        args.work = work
        log = os.path.join(work, "livetape.stderr")
        open(log, "wb").close()
        try:
            signing_ok = bench_signing(args, exchange, log)
            print()
            push_ok = bench_push(args, ws_url, expected, log)
            print()
            record_ok = bench_record(args, ws_url, expected, log)
        except (Failure, subprocess.SubprocessError) as error:
            sys.exit(f"bench-serve: {error}")
    if not (signing_ok and push_ok and record_ok):
        sys.exit("bench-serve: a check failed (see above)")


if __name__ == "__main__":
    main()
