"""Runs the import benchmark for tools/bench-import and prints its figures.

In one run:
  - sessions synthesized by `livetape synth` (seeded scenarios, gzip push frames, acks and
    heartbeats) are the payloads of a large capture written here: Ethernet/IPv4/TCP packets with
    valid sequence and acknowledgement numbers, MSS 1448, a delayed ACK for every second segment,
    each connection a SYN handshake, an HTTP upgrade, the session's messages both ways (server
    frames unmasked, client frames masked with a fresh key each) and a close; most connections
    negotiate permessage-deflate and compress both directions with one window per direction kept
    across messages (raw deflate, context takeover); connections start one after another so that
    about the same number are open at any time, whatever the capture's size;
  - `livetape import` of that capture and `tshark -Y websocket` extracting the same payloads are
    timed (wall and CPU time, peak RSS through wait4), after a sync so that the capture's
    write-back does not run into them; both must find every message and payload byte written;
  - a capture a quarter of the size is imported too: peak RSS should not grow with the size.
The captures, the tape and tshark's output are deleted at the end.

Exit status: 0 measured, 1 a check failed (a tool exited non-zero or found another number of
messages or payload bytes than were written).
"""

import argparse
import base64
import hashlib
import heapq
import json
import os
import random
import struct
import subprocess
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_summary import record  # noqa: E402

MSS = 1448
SESSIONS = 8
OPEN_AT_ONCE = 48
WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OPCODES = {"text": 1, "binary": 2, "ping": 9, "pong": 10}
LOOPBACK = bytes([127, 0, 0, 1])
SERVER_PORT = 80
ETHERNET = bytes(12) + b"\x08\x00"
RECORD_OVERHEAD = 16 + 54  # pcap record header, Ethernet, IPv4 and TCP headers
# tshark hands each message's payload, unmasked and inflated, to the data dissector.
TSHARK = ("tshark", "-Y", "websocket", "-T", "fields", "-e", "data.data", "-r")


class Session:
    """One synthesized session: its handshake request, its messages as (offset µs, from client,
    opcode, payload) and who closed it with which code."""

    def __init__(self, tape):
        self.messages, self.close = [], None
        with open(tape, encoding="utf-8") as f:
            next(f)
            for line in f:
                record = json.loads(line)
                kind = record["kind"]
                if kind == "ws_open":
                    self.opened = record["t_us"]
                    self.url, self.headers = record["url"], record["request_headers"]
                elif kind == "ws_message":
                    payload = record.get("payload") or {}
                    data = base64.b64decode(payload["base64"]) if "base64" in payload else payload.get("text", "").encode()
                    self.messages.append((record["t_us"] - self.opened, record["dir"] == "send", OPCODES[record["opcode"]], data))
                elif kind == "ws_close" and record["by"] != "abnormal":
                    self.close = (record["t_us"] - self.opened, record["by"] == "client", record.get("code", 1000))
        self.duration = max([self.close[0] if self.close else 0] + [m[0] for m in self.messages])
        self.frames = {deflate: self._frames(deflate) for deflate in (False, True)}

    def _frames(self, deflate):
        """(offset µs, from client, frame header, payload as sent) of every frame; the header of a
        client frame lacks its masking key. With `deflate`, message payloads are compressed, one
        window per direction, as a permessage-deflate sender with context takeover does."""
        compressors = {side: zlib.compressobj(6, zlib.DEFLATED, -15) for side in (False, True)}
        frames = []
        for offset, from_client, opcode, payload in self.messages:
            first = 0x80 | opcode
            if deflate and opcode < 8:
                compressor = compressors[from_client]
                payload = (compressor.compress(payload) + compressor.flush(zlib.Z_SYNC_FLUSH))[:-4]
                first |= 0x40
            frames.append((offset, from_client, frame_header(first, len(payload), from_client), payload))
        if self.close:
            offset, from_client, code = self.close
            frames.append((offset, from_client, frame_header(0x88, 2, from_client), code.to_bytes(2, "big")))
        return frames

    def capture_bytes(self, deflate):
        """Bytes a connection of this session adds to the capture, handshakes aside."""
        total = 0
        for _, from_client, header, payload in self.frames[deflate]:
            size = len(header) + 4 * from_client + len(payload)
            segments = -(-size // MSS)
            total += size + (segments + -(-segments // 2)) * RECORD_OVERHEAD
        return total

    def handshake(self, host, deflate):
        """The client's upgrade request and the server's 101 answer."""
        key = base64.b64encode(random.randbytes(16))
        target = self.url.split("://", 1)[1]
        target = target[target.index("/"):]
        skip = {"host", "sec-websocket-key", "sec-websocket-extensions"}
        request = [f"GET {target} HTTP/1.1", f"Host: {host}", f"Sec-WebSocket-Key: {key.decode()}"]
        request += [f"{name}: {value}" for name, value in self.headers if name.lower() not in skip]
        response = ["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade",
                    "Sec-WebSocket-Accept: " + base64.b64encode(hashlib.sha1(key + WS_GUID).digest()).decode()]
        if deflate:
            request.append("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits")
            response.append("Sec-WebSocket-Extensions: permessage-deflate")
        return ("\r\n".join(request) + "\r\n\r\n").encode(), ("\r\n".join(response) + "\r\n\r\n").encode()


def frame_header(first, length, masked):
    mask_bit = 0x80 if masked else 0
    if length < 126:
        return bytes((first, mask_bit | length))
    if length < 1 << 16:
        return bytes((first, mask_bit | 126)) + length.to_bytes(2, "big")
    return bytes((first, mask_bit | 127)) + length.to_bytes(8, "big")


def masked(payload):
    """A fresh masking key and `payload` masked with it."""
    key = random.randbytes(4)
    repeated = (key * (len(payload) // 4 + 1))[:len(payload)]
    return key + (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(len(payload), "big")


def packet(time_us, source, destination, seq, ack, flags, payload=b""):
    """One pcap record: Ethernet, IPv4 and TCP headers (checksums left zero, as a capture of
    checksum-offloading interfaces has them), then `payload`."""
    (src_ip, src_port), (dst_ip, dst_port) = source, destination
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40 + len(payload), 0, 0x4000, 64, 6, 0, src_ip, dst_ip)
    tcp = struct.pack("!HHIIBBHHH", src_port, dst_port, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 0x50, flags, 65535, 0, 0)
    length = 54 + len(payload)
    return struct.pack("<IIII", time_us // 1_000_000, time_us % 1_000_000, length, length) + ETHERNET + ip + tcp + payload


def connection(number, session, deflate, start_us):
    """The packets of one connection, (time µs, pcap record), in time order."""
    client, server = (LOOPBACK, 20000 + number), (LOOPBACK, SERVER_PORT)
    seq = {True: random.getrandbits(32), False: random.getrandbits(32)}
    ACK, PSH, SYN, FIN = 0x10, 0x08, 0x02, 0x01
    ends = {True: (client, server), False: (server, client)}
    yield start_us, packet(start_us, client, server, seq[True], 0, SYN)
    yield start_us + 50, packet(start_us + 50, server, client, seq[False], seq[True] + 1, SYN | ACK)
    seq[True] += 1
    seq[False] += 1
    yield start_us + 100, packet(start_us + 100, client, server, seq[True], seq[False], ACK)

    def send(time_us, from_client, data):
        """`data` in segments of at most MSS, the receiver acknowledging every second one."""
        source, destination = ends[from_client]
        unacked = 0
        for at in range(0, len(data), MSS):
            piece = data[at:at + MSS]
            yield time_us, packet(time_us, source, destination, seq[from_client], seq[not from_client], PSH | ACK, piece)
            seq[from_client] += len(piece)
            unacked += 1
            if unacked == 2 or at + MSS >= len(data):
                yield time_us + 20, packet(time_us + 20, destination, source, seq[not from_client], seq[from_client], ACK)
                unacked = 0

    request, response = session.handshake(f"push{number % 4}.example", deflate)
    yield from send(start_us + 200, True, request)
    yield from send(start_us + 400, False, response)
    base = start_us + 1000
    for offset, from_client, header, payload in session.frames[deflate]:
        yield from send(base + offset, from_client, header + (masked(payload) if from_client else payload))
    end = base + session.duration + 1000
    yield end, packet(end, client, server, seq[True], seq[False], FIN | ACK)
    yield end + 50, packet(end + 50, server, client, seq[False], seq[True] + 1, FIN | ACK)
    yield end + 100, packet(end + 100, client, server, seq[True] + 1, seq[False] + 1, ACK)


def write_capture(path, sessions, size_mb):
    """Writes connections until the capture holds `size_mb` megabytes. Returns its size, the
    connections, and the messages (close frames aside) and their payload bytes as the application
    sees them."""
    average = sum(s.capture_bytes(True) for s in sessions) / len(sessions)
    count = max(OPEN_AT_ONCE, round(size_mb * 1e6 / average))
    spacing = max(s.duration for s in sessions) // OPEN_AT_ONCE
    streams, messages, payload_bytes = [], 0, 0
    for number in range(count):
        session = sessions[number % len(sessions)]
        deflate = number % 8 != 7
        streams.append(connection(number, session, deflate, 1_767_225_600_000_000 + number * spacing))
        messages += len(session.messages)
        payload_bytes += sum(len(m[3]) for m in session.messages)
    with open(path, "wb", buffering=1 << 20) as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for _, record in heapq.merge(*streams, key=lambda item: item[0]):
            f.write(record)
    return os.path.getsize(path), count, messages, payload_bytes


# A child's ru_maxrss counts what the process that forked it held until the exec, so the commands
# are forked by this small launcher rather than by the benchmark's large process. It runs
# argv[2:], then writes its exit status, wall and CPU seconds and ru_maxrss (KiB) to argv[1].
LAUNCHER = """
import os, sys, time
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as report:
    print(os.waitstatus_to_exitcode(status), time.perf_counter() - start, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, file=report)
"""


class Run:
    """One timed run of a command: exit status, wall and CPU seconds, peak RSS in MiB (wait4's
    ru_maxrss), standard error; then the messages and payload bytes it found."""

    def __init__(self, argv, report, stdout=subprocess.DEVNULL):
        launched = subprocess.run([sys.executable, "-S", "-c", LAUNCHER, report, *argv],
                                  stdin=subprocess.DEVNULL, stdout=stdout, stderr=subprocess.PIPE)
        self.stderr = launched.stderr.decode(errors="replace")
        with open(report, encoding="ascii") as f:
            status, wall, cpu, rss = f.read().split()
        os.remove(report)
        self.status, self.wall, self.cpu, self.rss = int(status), float(wall), float(cpu), int(rss) / 1024
        self.messages = self.payload_bytes = 0


def tape_messages(path):
    """Messages (ws_message records) in a tape and their payload bytes."""
    count = size = 0
    with open(path, encoding="utf-8") as f:
        next(f)
        for line in f:
            record = json.loads(line)
            if record["kind"] == "ws_message":
                payload = record.get("payload") or {}
                count += 1
                size += len(base64.b64decode(payload["base64"])) if "base64" in payload else len(payload.get("text", "").encode())
    return count, size


def tshark_messages(path):
    """Messages and payload bytes in tshark's output: one line per packet, the payloads of the
    messages it completes in hex, separated by commas (unmasked and inflated)."""
    count = size = 0
    with open(path, encoding="ascii") as f:
        for line in f:
            for payload in line.split(","):
                payload = payload.strip()
                if payload:
                    count += 1
                    size += len(payload) // 2
    return count, size


def bench(args, work, sessions, size_mb):
    """Writes a capture of about `size_mb` MB and times both tools on it; returns the capture's size,
    livetape's run and whether both found every message and payload byte written."""
    capture, tape, fields, report = (os.path.join(work, name) for name in ("capture.pcap", "out.tape", "tshark.txt", "run.txt"))
    start = time.perf_counter()
    size, connections, messages, payload_bytes = write_capture(capture, sessions, size_mb)
    written = time.perf_counter() - start
    os.sync()  # the capture's write-back does not run into the timings
    print(f"capture: {size / 1e6:.0f} MB, {connections} connections (7 in 8 with permessage-deflate), "
          f"{messages} messages, {payload_bytes / 1e6:.0f} MB of payload; written in {written:.1f} s")

    ours = Run([args.livetape, "import", capture, "-o", tape], report)
    ours.messages, ours.payload_bytes = tape_messages(tape)
    os.remove(tape)
    with open(fields, "wb") as out:
        theirs = Run([*TSHARK, capture], report, out)
    theirs.messages, theirs.payload_bytes = tshark_messages(fields)
    os.remove(fields)
    os.remove(capture)

    print(f"{'':16} {'exit':>4} {'wall s':>7} {'CPU s':>7} {'MB/s':>7} {'messages/s':>11} {'peak RSS MiB':>13} "
          f"{'messages':>9} {'payload bytes':>14}")
    ok = True
    for name, run in (("livetape import", ours), ("tshark", theirs)):
        print(f"{name:16} {run.status:4} {run.wall:7.2f} {run.cpu:7.2f} {size / 1e6 / run.wall:7.1f} {run.messages / run.wall:11.0f} "
              f"{run.rss:13.1f} {run.messages:9} {run.payload_bytes:14}")
        if run.status != 0 or run.messages != messages or run.payload_bytes != payload_bytes:
            print(f"{name}: not the {messages} messages and {payload_bytes} payload bytes written; stderr:\n{run.stderr[-2000:]}")
            ok = False
    print(f"ratio, tshark / livetape: wall time {theirs.wall / ours.wall:.1f}x   (target >= 5x), CPU time {theirs.cpu / ours.cpu:.1f}x")
    record(f"import, {size / 1e6:.0f} MB pcap, {connections} connections", f"{size / 1e6 / ours.wall:.0f} MB/s, {ours.rss:.0f} MiB",
           "tshark -Y websocket", f"{size / 1e6 / theirs.wall:.1f} MB/s, {theirs.rss:.0f} MiB", f"{theirs.wall / ours.wall:.1f}x", ">= 5x")
    return size, ours, ok


def main():
    parser = argparse.ArgumentParser(description="Runs the import benchmark for tools/bench-import.")
    parser.add_argument("--livetape", required=True)
    parser.add_argument("--size-mb", type=int, default=512, help="size of the large capture")
    args = parser.parse_args()

    random.seed(20261129)
    with tempfile.TemporaryDirectory(prefix="bench-import-") as work:
        sessions = []
        for n in range(SESSIONS):
            scenario, tape = os.path.join(work, f"s{n}.json"), os.path.join(work, f"s{n}.tape")
            with open(scenario, "w", encoding="utf-8") as f:
                json.dump({"name": f"bench-{n}", "seed": 1000 + n, "server_frames": 2000}, f)
            if subprocess.run([args.livetape, "synth", scenario, "-o", tape]).returncode != 0:
                sys.exit("bench-import: livetape synth failed")
            sessions.append(Session(tape))
        print(f"tshark command: {' '.join(TSHARK)} CAPTURE > FILE")
        results = []
        for size_mb in (args.size_mb, args.size_mb // 4):
            print()
            results.append(bench(args, work, sessions, size_mb))
    (big, big_run, big_ok), (small, small_run, small_ok) = results
    print(f"\nlivetape import peak RSS: {small_run.rss:.1f} MiB for {small / 1e6:.0f} MB, {big_run.rss:.1f} MiB for {big / 1e6:.0f} MB "
          f"({big_run.rss - small_run.rss:+.1f} MiB)   (target < 100 MiB, flat)")
    if not (big_ok and small_ok):
        sys.exit("bench-import: a check failed (see above)")


if __name__ == "__main__":
    main()
