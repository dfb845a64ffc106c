#!/usr/bin/env python3
"""Cross-checks golden wire transcripts against the `tiktoklive` package's protobuf classes.

For every tape given, reads the tape itself (JSON Lines, base64/text bodies; none of
LiveTape's Swift code), decodes every WebSocket binary message and every 200 answer of a
signing service's `/webcast/fetch` with TikTokLive's v3 classes (betterproto2), and compares
the values with the golden wire transcript `<tape minus .tape>.wire.golden.jsonl`:

  (a) every value in a golden `fields` object equals python's value, converted by the
      transcript conventions (64-bit integers as decimal strings, bytes as base64, ...);
  (b) every field python holds with a non-default value is in the golden `fields` or is
      covered by a golden `unknown` entry at its path;
  (u) every golden `unknown` entry sits on a field tag at its offset, with its wire type
      and value, and every field the reference classes do not declare is reported;
  (c) where python cannot parse a message, the golden record must report a decode error
      or issue too, unless the case is a documented defect of the library
      (tools/crosscheck-exceptions.md), which is counted separately.

Usage: crosscheck.py [--golden-dir DIR] TAPE...
Exit status: 0 all passed, 1 some failed, 2 unusable input (missing golden, unreadable tape).
Run it through tools/crosscheck, which provides the pinned tiktoklive in a venv.
"""

from __future__ import annotations

import argparse
import base64
import collections
import gzip
import importlib
import io
import json
import math
import os
import pkgutil
import struct
import sys
import time
import urllib.parse
import zlib

# Same bound as LiveTape's `Inflate.defaultLimit`: a payload that inflates beyond it is an
# inflate error on both sides (the gzip-bomb guard).
INFLATE_LIMIT = 64 * 1024 * 1024
MAX_REPORTED = 20
GZIP_MAGIC = b"\x1f\x8b\x08"

# Documented exceptions (see tools/crosscheck-exceptions.md); keys are the ids used there.
EXCEPTIONS = {
    "X1": "strict wire-type check: python rejects a payload in which a declared field has another wire type",
    "X2": "python accepts a structurally malformed payload that the golden reports as a decode error",
    "X3": "fans_club forward reference ('bytes' object has no attribute 'UserFansClub...')",
    "X4": "HashtagNamespace forward reference in WebcastLinkMessage / WebcastLinkLayerMessage",
    "X5": "no reference class: the method is unknown to both the golden (schema none) and tiktoklive",
    "X6": "groups: betterproto2 cannot skip a field of wire type 3",
}


class UnusableInput(Exception):
    pass


# --------------------------------------------------------------------------- reference classes

class Reference:
    """The tiktoklive v3 classes, looked up by message name, warmed up once."""

    def __init__(self):
        import betterproto2

        import TikTokLive.proto  # noqa: F401  (imports the v3 modules the client uses)
        import TikTokLiveProto.v3 as v3
        from TikTokLiveProto.v3.message_pool import default_message_pool

        self.bp = betterproto2
        for module in pkgutil.walk_packages(v3.__path__, v3.__name__ + "."):
            importlib.import_module(module.name)
        by_name = collections.defaultdict(list)
        for url, cls in default_message_pool.url_to_type.items():
            full = url.split("/", 1)[1]
            package, name = full.rsplit(".", 1)
            by_name[name].append((package, cls))
        self.by_name = by_name
        # Known defect: pydantic resolves lazy forward references ("data.HashtagNamespace",
        # "data.UserFansClub...") in the frame of `Message.parse(cls, data)`, where `data` is
        # the bytes. Building every class and its metadata once, here, resolves them in the
        # right module.
        for entries in by_name.values():
            for _, cls in entries:
                cls()
                cls._betterproto  # noqa: B018
        bp = betterproto2
        self.VARINT = {bp.TYPE_ENUM, bp.TYPE_BOOL, bp.TYPE_INT32, bp.TYPE_INT64, bp.TYPE_UINT32,
                       bp.TYPE_UINT64, bp.TYPE_SINT32, bp.TYPE_SINT64}
        self.FIXED32 = {bp.TYPE_FLOAT, bp.TYPE_FIXED32, bp.TYPE_SFIXED32}
        self.FIXED64 = {bp.TYPE_DOUBLE, bp.TYPE_FIXED64, bp.TYPE_SFIXED64}
        self.PACKED = set(bp.PACKED_TYPES)
        self.INT32 = {bp.TYPE_INT32, bp.TYPE_UINT32, bp.TYPE_SINT32, bp.TYPE_FIXED32, bp.TYPE_SFIXED32,
                      bp.TYPE_ENUM}
        self.INT64 = {bp.TYPE_INT64, bp.TYPE_UINT64, bp.TYPE_SINT64, bp.TYPE_FIXED64, bp.TYPE_SFIXED64}

    def cls(self, name):
        """The class registered under the short name `name`, or None."""
        entries = self.by_name.get(name)
        if not entries:
            return None
        if len(entries) == 1:
            return entries[0][1]
        for preferred in ("webcast.im", "webcast.model.message", "webcast.shared.message"):
            for package, cls in entries:
                if package == preferred:
                    return cls
        return entries[0][1]

    def wire_type_fits(self, proto_type, wire_type, repeated):
        if proto_type in self.VARINT:
            return wire_type == 0 or (wire_type == 2 and repeated)
        if proto_type in self.FIXED32:
            return wire_type == 5 or (wire_type == 2 and repeated)
        if proto_type in self.FIXED64:
            return wire_type == 1 or (wire_type == 2 and repeated)
        return wire_type == 2


_reference = None


def reference():
    """The Reference, built once per process."""
    global _reference
    if _reference is None:
        _reference = Reference()
    return _reference


# --------------------------------------------------------------------------- wire walking

class Malformed(Exception):
    def __init__(self, message, offset, path=""):
        super().__init__(f"{path}: {message} at offset {offset}" if path else f"{message} at offset {offset}")
        self.message = message
        self.offset = offset
        self.path = path


def read_varint(b, i, end):
    start = i
    value = 0
    shift = 0
    while True:
        if i >= end:
            raise Malformed("truncated varint", start)
        c = b[i]
        i += 1
        value |= (c & 0x7F) << shift
        if not c & 0x80:
            return value & 0xFFFFFFFFFFFFFFFF, i
        shift += 7
        if shift >= 70:
            raise Malformed("varint longer than 10 bytes", start)


def encode_varint(n):
    out = bytearray()
    while True:
        bits = n & 0x7F
        n >>= 7
        if n:
            out.append(bits | 0x80)
        else:
            out.append(bits)
            return bytes(out)


def read_field(b, i, end, depth=0):
    """One field at b[i]: (number, wire_type, offset, value, next). value: int for varint and
    fixed, (start, end) of the contents for length-delimited and groups, None for end-group."""
    offset = i
    key, i = read_varint(b, i, end)
    number, wire_type = key >> 3, key & 7
    if wire_type == 4:
        return number, 4, offset, None, i
    if number == 0:
        raise Malformed("field number 0", offset)
    if wire_type == 0:
        value, i = read_varint(b, i, end)
    elif wire_type == 1:
        if i + 8 > end:
            raise Malformed("truncated fixed64", offset)
        value = int.from_bytes(b[i:i + 8], "little")
        i += 8
    elif wire_type == 5:
        if i + 4 > end:
            raise Malformed("truncated fixed32", offset)
        value = int.from_bytes(b[i:i + 4], "little")
        i += 4
    elif wire_type == 2:
        length, i = read_varint(b, i, end)
        if length > end - i:
            raise Malformed(f"length {length} past the end ({end - i} bytes left)", offset)
        value = (i, i + length)
        i += length
    elif wire_type == 3:
        if depth >= 64:
            raise Malformed("groups nested too deep", offset)
        group_start = i
        while True:
            if i >= end:
                raise Malformed("group without end", offset)
            n2, w2, o2, _, i2 = read_field(b, i, end, depth + 1)
            if w2 == 4:
                if n2 != number:
                    raise Malformed("mismatched end group", o2)
                value = (group_start, o2)
                i = i2
                break
            i = i2
    else:
        raise Malformed(f"illegal wire type {wire_type} (field {number})", offset)
    return number, wire_type, offset, value, i


def iter_fields(b, start=0, end=None):
    """Strictly walks the fields of b[start:end]; raises Malformed on any wire error."""
    end = len(b) if end is None else end
    i = start
    while i < end:
        field = read_field(b, i, end)
        if field[1] == 4:
            raise Malformed("unexpected end group", field[2])
        yield field
        i = field[4]


def parse_raw(b):
    """A protoc --decode_raw style list of (number, wire_type, value) with nested bytes kept."""
    out = []
    for number, wire_type, _, value, _ in iter_fields(b):
        if wire_type in (2, 3):
            value = bytes(b[value[0]:value[1]])
        out.append((number, wire_type, value))
    return out


def match_generic(b, node):
    """Whether the schema-less JSON `node` ({"string"}, {"bytes"}, {"message"}) describes bytes b."""
    if not isinstance(node, dict) or len(node) != 1:
        return False
    (kind, value), = node.items()
    if kind == "string":
        return isinstance(value, str) and value.encode("utf-8", "surrogatepass") == bytes(b)
    if kind == "bytes":
        try:
            return b64decode(value) == bytes(b)
        except Exception:
            return False
    if kind == "message":
        try:
            fields = parse_raw(b)
        except Malformed:
            return False
        return match_raw_fields(fields, value)
    if kind == "group":
        return True  # groups are not compared (nothing in the protocol uses them)
    return False


def match_raw_fields(fields, obj):
    if not isinstance(obj, dict):
        return False
    grouped = collections.OrderedDict()
    for number, wire_type, value in fields:
        grouped.setdefault(str(number), []).append((wire_type, value))
    if set(grouped) != set(obj):
        return False
    for key, items in grouped.items():
        nodes = obj[key]
        if len(items) == 1:
            nodes = [nodes]
        elif not isinstance(nodes, list) or len(nodes) != len(items):
            return False
        for (wire_type, value), node in zip(items, nodes):
            if not match_raw_value(wire_type, value, node):
                return False
    return True


def match_raw_value(wire_type, value, node):
    if wire_type in (0, 1):
        return node == str(value)
    if wire_type == 5:
        return node == value
    if wire_type == 3:
        return isinstance(node, dict) and "group" in node
    return match_generic(value, node)


def b64decode(text):
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def b64encode(data):
    return base64.b64encode(bytes(data)).decode("ascii")


# --------------------------------------------------------------------------- tape and golden

def read_lines(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise UnusableInput(f"{path}: {e.strerror}")
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def load_tape(path):
    """[(line_number, record or None, error)] after checking the header."""
    lines = read_lines(path)
    if not lines:
        raise UnusableInput(f"{path}: empty file, not a tape")
    first = lines[0]
    if first.startswith(b"\xef\xbb\xbf"):
        first = first[3:]
    try:
        header = json.loads(first.rstrip(b"\r"))
    except ValueError:
        raise UnusableInput(f"{path}:1: the header is not JSON")
    if not isinstance(header, dict) or header.get("format") != "livetape-tape":
        raise UnusableInput(f"{path}:1: not a livetape tape (no \"format\":\"livetape-tape\")")
    if not isinstance(header.get("version"), int) or header["version"] > 1:
        raise UnusableInput(f"{path}:1: unsupported tape version {header.get('version')!r}")
    records = []
    for index, raw in enumerate(lines[1:], start=2):
        raw = raw.rstrip(b"\r")
        if not raw.strip():
            continue
        try:
            record = json.loads(raw.decode("utf-8"))
            if not isinstance(record, dict):
                raise ValueError("not an object")
            records.append((index, record, None))
        except (ValueError, UnicodeDecodeError) as e:
            records.append((index, None, str(e)))
    return records


def body_bytes(body):
    if body is None:
        return b""
    if not isinstance(body, dict):
        raise ValueError("body is not an object")
    if body.get("base64") is not None:
        return b64decode(body["base64"])
    if body.get("text") is not None:
        return body["text"].encode("utf-8")
    return b""


def _pairs_keeping_duplicates(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            obj.setdefault("\0duplicate_keys", []).append(key)
        obj[key] = value
    return obj


def pop_duplicates(value, path="", out=None):
    """Removes and lists the duplicate-key markers left by _pairs_keeping_duplicates."""
    out = [] if out is None else out
    if isinstance(value, dict):
        for key in value.pop("\0duplicate_keys", []):
            out.append(f"{path}.{key}" if path else key)
        for key, item in value.items():
            pop_duplicates(item, f"{path}.{key}" if path else key, out)
    elif isinstance(value, list):
        for item in value:
            pop_duplicates(item, path, out)
    return out


def load_golden(path):
    lines = read_lines(path)
    if not lines:
        raise UnusableInput(f"{path}: empty golden")
    try:
        header = json.loads(lines[0])
    except ValueError:
        raise UnusableInput(f"{path}:1: golden header is not JSON")
    if header != {"transcript": "livetape", "view": "wire", "version": 1}:
        raise UnusableInput(f"{path}:1: not a wire transcript header: {lines[0][:120]!r}")
    by_line = collections.defaultdict(list)
    for n, raw in enumerate(lines[1:], start=2):
        try:
            record = json.loads(raw, object_pairs_hook=_pairs_keeping_duplicates)
        except ValueError:
            raise UnusableInput(f"{path}:{n}: not JSON")
        if not isinstance(record, dict) or not isinstance(record.get("line"), int):
            raise UnusableInput(f"{path}:{n}: record without a tape line")
        duplicates = pop_duplicates(record)
        if duplicates:
            # JSON readers keep one of the values (python: the last); the golden is ambiguous.
            record["\0duplicates"] = (n, duplicates)
        by_line[record["line"]].append(record)
    return by_line


def show(value, limit=160):
    if isinstance(value, Missing):
        return "<absent>"
    text = json.dumps(value, ensure_ascii=False, default=repr)
    return text if len(text) <= limit else text[:limit] + "…"


class Missing:
    pass


MISSING = Missing()


# --------------------------------------------------------------------------- the check

class Loc:
    """Where a comparison happens, for failure messages."""

    def __init__(self, line, index=None, method=None):
        self.line = line
        self.index = index
        self.method = method

    def __str__(self):
        text = f"line {self.line}"
        if self.index is not None:
            text += f" msg {self.index}"
        if self.method:
            text += f" {self.method}"
        return text


class TapeCheck:
    def __init__(self, ref, tape, golden):
        self.ref = ref
        self.tape = tape
        self.golden = golden
        self.values = 0
        self.messages = 0
        self.frames = 0
        self.exceptions = collections.Counter()
        self.agreed = collections.Counter()
        self.notes = collections.Counter()
        self.failures = []
        self.visited_lines = set()

    # ---- reporting

    def fail(self, loc, path, ours, python, note=""):
        self.failures.append((loc, path, ours, python, note))

    def count_exception(self, key, loc, detail):
        self.exceptions[key] += 1

    # ---- tape walk

    def run(self):
        for line, record, error in load_tape(self.tape):
            records = self.golden.get(line, [])
            if record is None:
                if not any(r.get("type") == "decode_error" and r.get("stage") == "tape" for r in records):
                    self.fail(Loc(line), "tape", "<no tape decode_error>", f"unreadable line: {error}")
                else:
                    self.agreed["tape line unreadable"] += 1
                self.visited_lines.add(line)
                continue
            try:
                work = self.extract(record)
            except (ValueError, TypeError, AttributeError) as e:
                if any(r.get("type") == "decode_error" and r.get("stage") == "tape" for r in records):
                    self.agreed["tape record rejected"] += 1
                else:
                    self.fail(Loc(line), "tape", "<no tape decode_error>", f"malformed record: {e!r}")
                self.visited_lines.add(line)
                continue
            if work is None:
                continue
            self.visited_lines.add(line)
            try:
                if work[0] == "frame":
                    if any(r.get("type") == "decode_error" and r.get("stage") == "tape" for r in records) and \
                            not any(r.get("type") == "frame" for r in records):
                        self.agreed["tape record rejected"] += 1
                        continue
                    self.frame(line, record, work[1], records)
                else:
                    self.fetch_result(Loc(line), work[1], [r for r in records if r.get("type") == "fetch_result"],
                                      [r for r in records if r.get("type") == "message"],
                                      [r for r in records if r.get("type") == "decode_error"])
            except Exception as e:  # a bug here, or a golden shape this check does not expect
                import traceback
                where = traceback.extract_tb(e.__traceback__)[-1]
                self.fail(Loc(line), "crosscheck", "<internal error>", f"{e!r} at crosscheck.py:{where.lineno}")
        for line, records in self.golden.items():
            for r in records:
                if "\0duplicates" in r:
                    n, keys = r.pop("\0duplicates")
                    self.fail(Loc(line), ", ".join(keys), f"<duplicate keys in golden line {n}>",
                              "<one value per key>", "JSON readers keep only one of them")
            if line in self.visited_lines:
                continue
            for r in records:
                if r.get("type") in ("fetch_result", "message") or (r.get("type") == "frame" and "opcode" not in r):
                    self.fail(Loc(line), r.get("type"), show(r, 100), "<no binary frame or fetch at this tape line>")
                    break

    @staticmethod
    def extract(record):
        """What to check in a tape record: ("frame", bytes), ("fetch", bytes) or None."""
        kind = record.get("kind")
        if kind == "ws_message" and record.get("opcode") in ("binary", 2):
            return "frame", body_bytes(record.get("payload"))
        if kind == "http":
            response = record.get("response") or {}
            url = (record.get("request") or {}).get("url", "")
            if response.get("status") != 200 or not urllib.parse.urlsplit(url).path.endswith("/webcast/fetch"):
                return None
            body = body_bytes(response.get("body"))
            return ("fetch", body) if body else None
        return None

    # ---- frames

    def frame(self, line, record, data, records):
        loc = Loc(line)
        self.frames += 1
        frames = [r for r in records if r.get("type") == "frame"]
        errors = [r for r in records if r.get("type") == "decode_error"]
        stages = {r.get("stage") for r in errors}
        if len(frames) != 1:
            self.fail(loc, "frame", f"{len(frames)} frame records", "1 frame record")
            return
        ours = frames[0]
        self.eq(loc, "frame.dir", ours.get("dir", MISSING), record.get("dir"))
        self.eq(loc, "frame.conn", ours.get("conn", MISSING), record.get("conn"))
        self.eq(loc, "frame.t_us", ours.get("t_us", MISSING), record.get("t_us"))
        self.eq(loc, "frame.size", ours.get("size", MISSING), len(data))
        if record.get("compressed"):
            self.eq(loc, "frame.ws_compressed", ours.get("ws_compressed", MISSING), True)
        unknown = ours.get("unknown") or []
        for u in unknown:
            if not isinstance(u, dict) or str(u.get("path", "")).split(".")[0] not in (
                    "WebcastPushFrame", "HeartBeatMessage", "WebcastImEnterRoomMessage"):
                self.fail(loc, "frame.unknown", show(u), "<entry outside the frame and its payload>")
        py = self.parse_and_compare(loc, "WebcastPushFrame", data, ours.get("fields", MISSING),
                                    [u for u in unknown if u.get("path", "").split(".")[0] == "WebcastPushFrame"],
                                    ours_error="frame" in stages, issues=[], skip=("payload",))
        if py is None:
            return
        payload = bytes(py.payload)
        self.eq(loc, "frame.payload_size", ours.get("payload_size", MISSING), len(payload))
        compression = ours.get("compression") or {}
        header = None
        for h in py.headers:
            if h.key == "compress_type":
                header = h.value
        if header is None:
            self.eq(loc, "frame.compression.header", compression.get("header"), None)
        else:
            self.eq(loc, "frame.compression.header", compression.get("header", MISSING), header)
        magic = payload[:3] == GZIP_MAGIC
        self.eq(loc, "frame.compression.gzip_magic", compression.get("gzip_magic", MISSING), magic)
        inner = payload
        if magic:
            try:
                with gzip.GzipFile(fileobj=io.BytesIO(payload)) as f:
                    inner = f.read(INFLATE_LIMIT + 1)
                if len(inner) > INFLATE_LIMIT:
                    raise ValueError(f"inflates to more than {INFLATE_LIMIT} bytes")
            except (OSError, EOFError, ValueError, zlib.error) as e:
                if "inflate" in stages:
                    self.agreed["inflate error"] += 1
                else:
                    self.fail(loc, "frame.payload", "<inflated without error>", f"gunzip fails: {e}")
                return
            self.eq(loc, "frame.compression.inflated_size", compression.get("inflated_size", MISSING), len(inner))
        if "inflate" in stages:
            self.fail(loc, "frame.payload", "<inflate decode_error>", "python gunzips it (or it is not gzip)")
        payload_type = py.payload_type
        if not inner and payload_type != "ack":
            return
        if payload_type == "im_enter_room_resp" and any(r.get("type") == "fetch_result" for r in records):
            # What the server's answer carries is not fixed by tiktoklive (its client ignores
            # every payload type but msg). LiveTape decodes it as a fetch result (the synthesizer
            # sends one); python must then parse it as ProtoMessageFetchResult too.
            self.notes["im_enter_room_resp compared as ProtoMessageFetchResult"] += 1
            payload_type = "msg"
        if payload_type == "msg":
            heads = [r for r in records if r.get("type") == "fetch_result"]
            messages = [r for r in records if r.get("type") == "message"]
            self.fetch_result(loc, inner, heads, messages, errors)
        elif payload_type == "ack":
            try:
                text = inner.decode("utf-8")
            except UnicodeDecodeError:
                if "payload" in stages:
                    self.agreed["ack not UTF-8"] += 1
                else:
                    self.fail(loc, "frame.payload.text", ours.get("payload", MISSING), "<not UTF-8>")
                return
            self.eq(loc, "frame.payload.text", (ours.get("payload") or {}).get("text", MISSING), text)
        elif payload_type in ("hb", "im_enter_room", "im_enter_room_resp"):
            name = "HeartBeatMessage" if payload_type == "hb" else "WebcastImEnterRoomMessage"
            self.eq(loc, "frame.payload_schema", ours.get("payload_schema", MISSING), name)
            self.parse_and_compare(loc, name, inner, ours.get("payload", MISSING),
                                   [u for u in unknown if u.get("path", "").split(".")[0] == name],
                                   ours_error="payload" in stages, issues=[])

    def fetch_result(self, loc, data, heads, messages, errors):
        stages = {r.get("stage") for r in errors}
        if len(heads) != 1:
            self.fail(loc, "fetch_result", f"{len(heads)} fetch_result records", "1 fetch_result record")
            return
        head = heads[0]
        py = self.parse_and_compare(loc, "ProtoMessageFetchResult", data, head.get("fields", MISSING),
                                    head.get("unknown") or [], ours_error="fetch_result" in stages,
                                    issues=[], skip=("messages",),
                                    ours_error_elsewhere="message" in stages)
        if py is None:
            return
        try:
            envelopes = [bytes(data[v[0]:v[1]]) for n, w, _, v, _ in iter_fields(data) if n == 1 and w == 2]
        except Malformed:
            envelopes = []
        self.eq(loc, "fetch_result.message_count", head.get("message_count", MISSING), len(py.messages))
        by_index = {}
        for m in messages:
            by_index.setdefault(m.get("index"), []).append(m)
        if sorted(i for i in by_index if i is not None) != list(range(len(py.messages))) or \
                any(len(v) != 1 for v in by_index.values()):
            self.fail(loc, "messages", f"indexes {sorted(map(str, by_index))}", f"{len(py.messages)} messages")
        for index, envelope in enumerate(py.messages):
            found = by_index.get(index)
            if found:
                raw = envelopes[index] if index < len(envelopes) else None
                self.message(Loc(loc.line, index, envelope.method), envelope, raw, found[0])

    # ---- inner messages

    def message(self, loc, envelope, envelope_bytes, ours):
        self.messages += 1
        self.eq(loc, "method", ours.get("method", MISSING), envelope.method)
        ours_env = ours.get("envelope", MISSING)
        if isinstance(ours_env, dict) and "msg_id" in ours_env:
            self.eq(loc, "msg_id", ours.get("msg_id", MISSING), str(envelope.msg_id))
        unknown = ours.get("unknown") or []
        env_unknown = [u for u in unknown if u.get("path", "").split(".")[0] == "BaseProtoMessage"]
        inner_unknown = [u for u in unknown if u.get("path", "").split(".")[0] != "BaseProtoMessage"]
        ours_error = bool(ours.get("decode_error"))
        self.compare_message(loc, envelope, ours_env, "BaseProtoMessage", skip=("payload",), unknown=env_unknown)
        if envelope_bytes is not None:
            self.check_unknown(loc, type(envelope), envelope_bytes, "BaseProtoMessage", env_unknown, False)
        payload = bytes(envelope.payload)
        method = envelope.method
        cls = self.ref.cls(method)
        issues = ours.get("issues") or []
        if cls is None:
            if ours.get("schema") == "none":
                self.count_exception("X5", loc, method)
                if not ours.get("decode_error"):
                    # No reference class: at least the schema-less decode must describe the bytes.
                    self.values += 1
                    if not match_generic(payload, {"message": ours.get("fields", MISSING)}):
                        self.fail(loc, method, ours.get("fields", MISSING), "<does not match the payload bytes>",
                                  "schema-less decode")
            else:
                self.fail(loc, method, "<decoded with a schema>", "<tiktoklive has no class for this method>")
            return
        if ours.get("schema") == "none":
            self.compare_schemaless(loc, cls, method, payload, ours.get("fields", MISSING), ours_error)
            return
        self.parse_and_compare(loc, method, payload, ours.get("fields", MISSING), inner_unknown,
                               ours_error=ours_error, issues=issues, cls=cls)

    def compare_schemaless(self, loc, cls, method, payload, fields, ours_error):
        """Golden has no schema for the method (fields keyed by number); tiktoklive has one."""
        if not ours_error:
            self.values += 1
            if not match_generic(payload, {"message": fields}):
                self.fail(loc, method, show(fields), "<does not match the payload bytes>", "schema-less decode")
        try:
            py = cls.parse(payload)
        except Exception as e:
            if ours_error:
                self.agreed["message decode error"] += 1
            else:
                self.fail(loc, method, "<schema-less decode>", f"python fails: {e!r}"[:200])
            return
        self.compare_raw_message(loc, py, fields, method, tolerant=ours_error)

    # ---- parse one message with python and compare

    def parse_and_compare(self, loc, name, data, ours_fields, ours_unknown, ours_error, issues,
                          skip=(), cls=None, ours_error_elsewhere=False):
        """Parses `data` as `name`, compares with the golden; returns the python object or None."""
        cls = cls or self.ref.cls(name)
        try:
            py = cls.parse(data)
            python_error = None
        except Exception as e:  # betterproto2 / pydantic raise many kinds
            py = None
            python_error = e
        if py is None:
            text = repr(python_error)
            if ours_error or ours_error_elsewhere:
                self.agreed[f"{name} decode error"] += 1
                return None
            if issues:
                # The golden decoded it with issues (invalid UTF-8): python must fail on the same string.
                try:
                    self.sanitize(cls, data, 0, len(data), name, [])
                    reason = None
                except Malformed as m:
                    reason = m
                if reason is not None and reason.message.startswith("invalid UTF-8") and \
                        any(i.get("path") == reason.path for i in issues if isinstance(i, dict)):
                    self.agreed[f"{name} invalid UTF-8"] += 1
                else:
                    self.fail(loc, name, show(issues), f"python fails: {text[:120]}; strict scan: {reason}")
                return None
            if "UserFansClubFansClubDataUserFansClubStatus" in text:
                self.count_exception("X3", loc, name)
                return None
            if "HashtagNamespace" in text:
                self.count_exception("X4", loc, name)
                return None
            try:
                dropped = []
                sanitized = self.sanitize(cls, data, 0, len(data), name, dropped)
            except Malformed as m:
                self.fail(loc, name, "<decoded cleanly>", f"python fails: {text[:120]}; strict scan: {m}")
                return None
            if not dropped:
                self.fail(loc, name, "<decoded cleanly>", f"python fails: {text[:200]}")
                return None
            try:
                py = cls.parse(sanitized)
            except Exception as e:
                self.fail(loc, name, "<decoded cleanly>", f"python fails even without mismatched wire types "
                          f"and groups: {e!r}"[:200])
                return None
            if any(declared and wire_type != 3 for _, _, wire_type, declared in dropped):
                self.count_exception("X1", loc, name)
            if any(wire_type == 3 for _, _, wire_type, _ in dropped):
                self.count_exception("X6", loc, name)
            for path, offset, wire_type, declared in dropped:
                # Each removed occurrence must be a golden unknown entry at the same place
                # (check_unknown then checks its wire type and value against the bytes).
                match = [u for u in ours_unknown if isinstance(u, dict) and u.get("offset") == offset
                         and u.get("path") == path]
                if not match or (declared and not match[0].get("schema")):
                    self.fail(loc, path, "<no unknown entry" + (" with a schema kind>" if declared else ">"),
                              f"field at offset {offset} has wire type {wire_type}"
                              + (", unlike the schema" if declared else " (a group)"))
        tolerant = False
        if ours_error:
            try:
                self.sanitize(cls, data, 0, len(data), name, [])
                self.fail(loc, name, "<decode_error>", "<python parses it; strict scan finds it well-formed>")
                return py
            except Malformed:
                self.count_exception("X2", loc, name)
                tolerant = True
        elif issues:
            self.fail(loc, name, show(issues), "<python parses it without error>")
        if ours_fields is MISSING:
            self.fail(loc, name, ours_fields, "<fields expected>")
            return py
        self.compare_message(loc, py, ours_fields, name, skip=skip, tolerant=tolerant, unknown=ours_unknown)
        self.check_unknown(loc, cls, data, name, ours_unknown, tolerant)
        return py

    def sanitize(self, cls, b, start, end, path, dropped):
        """Strict walk of b[start:end] as `cls`: raises Malformed; drops (and lists) declared
        fields whose wire type does not fit python's schema. Returns the kept bytes."""
        meta = cls._betterproto
        out = bytearray()
        try:
            for number, wire_type, offset, value, field_end in iter_fields(b, start, end):
                name = meta.field_name_by_number.get(number)
                if wire_type == 3:
                    # betterproto2 cannot skip groups (it reads their contents as fields of the
                    # enclosing message).
                    dropped.append((f"{path}.{name or number}", offset, 3, name is not None))
                    continue
                if name is None:
                    out += b[offset:field_end]
                    continue
                fm = meta.meta_by_field_name[name]
                pt = fm.proto_type
                if wire_type == 2 and pt in ("message", "map"):
                    sub = self.sanitize(meta.cls_by_field[name], b, value[0], value[1], f"{path}.{name}", dropped)
                    out += encode_varint(number << 3 | 2) + encode_varint(len(sub)) + sub
                    continue
                if not self.ref.wire_type_fits(pt, wire_type, fm.repeated):
                    dropped.append((f"{path}.{name}", offset, wire_type, True))
                    continue
                if wire_type == 2 and pt in self.ref.PACKED:
                    i, e = value
                    if pt in self.ref.VARINT:
                        while i < e:
                            _, i = read_varint(b, i, e)
                    elif (e - i) % (4 if pt in self.ref.FIXED32 else 8):
                        raise Malformed("packed fixed-size values of a wrong length", offset)
                elif wire_type == 2 and pt == "string":
                    try:
                        bytes(b[value[0]:value[1]]).decode("utf-8")
                    except UnicodeDecodeError:
                        raise Malformed("invalid UTF-8 in a string field", offset, f"{path}.{name}") from None
                out += b[offset:field_end]
        except Malformed as m:
            if not m.path:
                raise Malformed(m.message, m.offset, path) from None
            raise
        return bytes(out)

    # ---- field comparison

    def eq(self, loc, path, ours, python, note=""):
        self.values += 1
        if isinstance(ours, Missing) or ours != python or type(ours) is not type(python):
            if isinstance(ours, (int, float)) and isinstance(python, (int, float)) and not isinstance(ours, bool) \
                    and not isinstance(python, bool) and ours == python:
                return
            self.fail(loc, path, ours, python, note)

    def is_default(self, py, name, value):
        default = py._betterproto.default_gen[name]()
        return value == default

    def compare_message(self, loc, py, ours, path, skip=(), tolerant=False, unknown=None, upath=None):
        """(a) and (b) for one message; `path` is for display (with indexes), `upath` the golden
        unknown-entry form (without indexes)."""
        upath = upath or path
        meta = py._betterproto
        if not isinstance(ours, dict):
            self.fail(loc, path, ours, f"<{type(py).__name__} message>")
            return
        for key, ov in ours.items():
            fm = meta.meta_by_field_name.get(key)
            if fm is None or key in skip:
                self.fail(loc, f"{path}.{key}", ov, "<no such field in the tiktoklive class>"
                          if fm is None else "<not reported in fields by convention>")
                continue
            self.compare_field(loc, getattr(py, key), ov, fm, meta, key, f"{path}.{key}", f"{upath}.{key}",
                               tolerant, unknown)
        if tolerant:
            return
        for name, fm in meta.meta_by_field_name.items():
            if name in ours or name in skip:
                continue
            value = getattr(py, name)
            if self.is_default(py, name, value):
                continue
            self.values += 1
            targets = {f"{upath}.{fm.number}", f"{upath}.{name}"}
            if not unknown or not any(u.get("path") in targets for u in unknown):
                self.fail(loc, f"{path}.{name}", MISSING, self.to_json(value, fm, meta, name),
                          "python has a non-default value; golden has neither the field nor an unknown entry")

    def compare_field(self, loc, pv, ov, fm, meta, name, path, upath, tolerant, unknown):
        pt = fm.proto_type
        if pt == "map" or (fm.repeated and pt == "message" and isinstance(ov, dict)):
            self.compare_map(loc, pv, ov, fm, meta, name, path, upath, tolerant, unknown)
            return
        if fm.repeated:
            if not isinstance(ov, list):
                self.fail(loc, path, ov, self.to_json(pv, fm, meta, name), "golden value is not an array")
                return
            if len(ov) != len(pv) and not (tolerant and len(ov) <= len(pv)):
                self.fail(loc, path, f"{len(ov)} elements", f"{len(pv)} elements")
            for i, (p, o) in enumerate(zip(pv, ov)):
                self.compare_single(loc, p, o, pt, meta.cls_by_field.get(name), f"{path}[{i}]", upath, tolerant, unknown)
            return
        self.compare_single(loc, pv, ov, pt, meta.cls_by_field.get(name), path, upath, tolerant, unknown)

    def compare_map(self, loc, pv, ov, fm, meta, name, path, upath, tolerant, unknown):
        if fm.proto_type == "map":
            key_type, value_type = fm.map_meta[0].proto_type, fm.map_meta[1].proto_type
            value_cls = meta.cls_by_field.get(f"{name}.value")
            items = dict(pv)
        else:
            # golden map<string,string> for python's repeated {1 key, 2 value} (PushHeader):
            # same wire form; the last value of a key wins, as in a map.
            entry = meta.cls_by_field[name]._betterproto
            if set(entry.meta_by_field_name) != {"key", "value"}:
                self.fail(loc, path, ov, "<repeated message, not a map>")
                return
            key_type = entry.meta_by_field_name["key"].proto_type
            value_type = entry.meta_by_field_name["value"].proto_type
            value_cls = entry.cls_by_field.get("value")
            items = {}
            for item in pv:
                items[item.key] = item.value
        if not isinstance(ov, dict):
            self.fail(loc, path, ov, "<map>")
            return
        expected = {}
        for k, v in items.items():
            if key_type == "bool":
                ks = "true" if k else "false"
            else:
                ks = str(int(k)) if key_type != "string" else k
            expected[ks] = v
        self.values += 1
        if set(expected) != set(ov) and not (tolerant and set(ov) <= set(expected)):
            self.fail(loc, path, sorted(ov), sorted(expected), "map keys differ")
        for k in ov:
            if k in expected:
                self.compare_single(loc, expected[k], ov[k], value_type, value_cls, f"{path}[{k}]",
                                    f"{upath}.value", tolerant, unknown)

    def compare_single(self, loc, pv, ov, pt, cls, path, upath, tolerant, unknown):
        if pt == "message":
            if pv is None:
                self.fail(loc, path, ov, None)
                return
            self.compare_message(loc, pv, ov, path, tolerant=tolerant, unknown=unknown, upath=upath)
            return
        self.values += 1
        expected = self.scalar_json(pv, pt)
        if not self.scalar_equal(ov, expected, pt):
            self.fail(loc, path, ov, expected, "" if type(ov) is type(expected) else
                      f"golden JSON type {type(ov).__name__}, python {pt}")

    def scalar_json(self, pv, pt):
        if pt in self.ref.INT32:
            return int(pv)
        if pt in self.ref.INT64:
            return str(int(pv))
        if pt == "bool":
            return bool(pv)
        if pt in ("float", "double"):
            return float(pv)
        if pt == "bytes":
            return b64encode(pv)
        return pv

    def scalar_equal(self, ov, expected, pt):
        if pt in ("float", "double"):
            if isinstance(ov, str):
                ov = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}.get(ov)
            if isinstance(ov, bool) or not isinstance(ov, (int, float)):
                return False
            if math.isnan(expected):
                return math.isnan(ov)
            return float(ov) == expected
        if type(ov) is not type(expected):
            return False
        return ov == expected

    def to_json(self, pv, fm, meta, name):
        """Python's value in transcript form, for failure messages."""
        try:
            if pv is None:
                return None
            if fm.proto_type == "map":
                return {str(k): self.value_json(v) for k, v in pv.items()}
            if fm.repeated:
                return [self.value_json(v, fm.proto_type) for v in pv]
            return self.value_json(pv, fm.proto_type)
        except Exception:
            return repr(pv)

    def value_json(self, v, pt=None):
        if hasattr(v, "_betterproto"):
            m = v._betterproto
            return {n: self.to_json(getattr(v, n), m.meta_by_field_name[n], m, n)
                    for n in m.sorted_field_names if not self.is_default(v, n, getattr(v, n))}
        if pt is None:
            return v if not isinstance(v, bytes) else b64encode(v)
        return self.scalar_json(v, pt)

    # ---- unknown entries (u)

    def check_unknown(self, loc, cls, data, root, ours_unknown, tolerant):
        """Every golden unknown entry must sit on a field tag at its offset (its path naming the
        enclosing fields, its wire type and value matching the bytes), and every field that
        tiktoklive does not declare must be reported."""
        by_offset = {}
        for u in ours_unknown:
            if not isinstance(u, dict) or not isinstance(u.get("offset"), int):
                self.fail(loc, "unknown", show(u), "<entry without an offset>")
                continue
            by_offset.setdefault(u["offset"], []).append(u)
        used = set()
        try:
            self.walk_unknown(loc, cls, data, 0, len(data), root, by_offset, used)
        except Malformed as m:
            if not tolerant:
                self.fail(loc, root, "<no decode error>", f"strict scan: {m}", "python accepts it")
        for offset, entries in by_offset.items():
            if offset not in used:
                for u in entries:
                    self.fail(loc, u.get("path"), show(u), "<no field tag at this offset>")

    def walk_unknown(self, loc, cls, b, start, end, path, by_offset, used):
        meta = cls._betterproto
        for number, wire_type, offset, value, _ in iter_fields(b, start, end):
            name = meta.field_name_by_number.get(number)
            entries = by_offset.get(offset)
            if entries:
                used.add(offset)
                u = entries[0]
                self.values += 1
                expected_paths = [f"{path}.{number}"] + ([f"{path}.{name}"] if name else [])
                if u.get("path") not in expected_paths:
                    self.fail(loc, u.get("path"), show(u), expected_paths[-1], "unknown entry path")
                    continue
                if u.get("wire_type") != wire_type:
                    self.fail(loc, u["path"] + ".wire_type", u.get("wire_type"), wire_type)
                # A number path: our schema does not declare the field (fine, it is partial; rule
                # (b) checks python's value is covered). A name path: declared with another wire type.
                if name is not None and u["path"] == f"{path}.{name}" and not u.get("schema"):
                    self.fail(loc, u["path"], show(u), "<schema kind expected for a declared field>")
                raw = bytes(b[value[0]:value[1]]) if wire_type in (2, 3) else value
                if not match_raw_value(wire_type, raw, u.get("value")):
                    self.fail(loc, u["path"] + ".value", u.get("value"),
                              {"bytes": b64encode(raw)} if wire_type == 2 else raw, "unknown entry value")
                continue
            if name is None:
                self.values += 1
                self.fail(loc, f"{path}.{number}", MISSING, f"<field {number} at offset {offset}>",
                          "tiktoklive does not declare this field; golden reports no unknown entry")
                continue
            fm = meta.meta_by_field_name[name]
            if wire_type == 2 and fm.proto_type in ("message", "map"):
                sub = meta.cls_by_field[name]
                if fm.proto_type == "map":
                    # entries: descend into the value (path form of the golden: field.value...)
                    emeta = sub._betterproto
                    for n2, w2, o2, v2, _ in iter_fields(b, value[0], value[1]):
                        if o2 in by_offset:
                            self.fail(loc, f"{path}.{name}", show(by_offset[o2]), "<unknown entry inside a map entry>")
                            used.add(o2)
                        elif n2 == 2 and w2 == 2 and emeta.meta_by_field_name["value"].proto_type == "message":
                            self.walk_unknown(loc, emeta.cls_by_field["value"], b, v2[0], v2[1],
                                              f"{path}.{name}.value", by_offset, used)
                else:
                    self.walk_unknown(loc, sub, b, value[0], value[1], f"{path}.{name}", by_offset, used)

    # ---- schema-less golden vs python object

    def compare_raw_message(self, loc, py, obj, path, tolerant=False):
        meta = py._betterproto
        if not isinstance(obj, dict):
            self.fail(loc, path, obj, "<message>")
            return
        for key, node in obj.items():
            if not key.isdigit():
                self.fail(loc, f"{path}.{key}", node, "<schema-less fields are keyed by number>")
                continue
            name = meta.field_name_by_number.get(int(key))
            if name is None:
                continue  # not declared by python either; bytes were matched by match_generic
            fm = meta.meta_by_field_name[name]
            self.compare_raw_field(loc, getattr(py, name), node, fm, meta, name, f"{path}.{name}")
        if tolerant:
            return
        for name, fm in meta.meta_by_field_name.items():
            value = getattr(py, name)
            if str(fm.number) not in obj and not self.is_default(py, name, value):
                self.values += 1
                self.fail(loc, f"{path}.{name}", MISSING, self.to_json(value, fm, meta, name),
                          f"field {fm.number} missing from the schema-less decode")

    def compare_raw_field(self, loc, pv, node, fm, meta, name, path):
        pt = fm.proto_type
        nodes = node if isinstance(node, list) else [node]
        if pt == "map":
            value_cls = meta.cls_by_field.get(f"{name}.value")
            kt, vt = fm.map_meta[0].proto_type, fm.map_meta[1].proto_type
            for n in nodes:
                self.values += 1
                if not (isinstance(n, dict) and isinstance(n.get("message"), dict)):
                    self.fail(loc, path, n, "<map entry>")
                    continue
                entry = n["message"]
                key = self.raw_scalar(entry.get("1", "0" if kt != "string" else {"string": ""}), kt)
                if key not in pv:
                    self.fail(loc, f"{path}[{key}]", n, "<no such key>")
                    continue
                self.compare_raw_single(loc, pv[key], entry.get("2"), vt, value_cls, f"{path}[{key}]")
            return
        if fm.repeated:
            if pt in self.ref.PACKED and any(isinstance(n, dict) for n in nodes):
                if len(nodes) == 1:
                    packed = b"".join(self.ref.bp._preprocess_single(pt, None, v) for v in pv)
                    self.values += 1
                    if not match_generic(packed, nodes[0]):
                        self.fail(loc, path, nodes[0], [self.scalar_json(v, pt) for v in pv], "packed values")
                else:
                    self.fail(loc, path, node, "<several packed runs are not compared>")
                return
            if len(nodes) != len(pv):
                self.fail(loc, path, f"{len(nodes)} elements", f"{len(pv)} elements")
            for i, (p, n) in enumerate(zip(pv, nodes)):
                self.compare_raw_single(loc, p, n, pt, meta.cls_by_field.get(name), f"{path}[{i}]")
            return
        self.compare_raw_single(loc, pv, nodes[-1], pt, meta.cls_by_field.get(name), path)

    def raw_scalar(self, node, pt):
        """The python value a schema-less node stands for, under python's type `pt`."""
        if pt in self.ref.VARINT and isinstance(node, str):
            u = int(node)
            if pt in ("int32", "int64", "enum"):
                bits = 32 if pt == "int32" else 64
                u &= (1 << bits) - 1
                return u - (1 << bits) if u >> (bits - 1) else u
            if pt == "uint32":
                return u & 0xFFFFFFFF
            if pt in ("sint32", "sint64"):
                u &= 0xFFFFFFFF if pt == "sint32" else 0xFFFFFFFFFFFFFFFF
                return (u >> 1) ^ -(u & 1)
            if pt == "bool":
                return u > 0
            return u
        if pt in self.ref.FIXED64 and isinstance(node, str):
            return struct.unpack(self.fmt(pt), struct.pack("<Q", int(node)))[0]
        if pt in self.ref.FIXED32 and isinstance(node, int):
            return struct.unpack(self.fmt(pt), struct.pack("<I", node))[0]
        if pt in ("string", "bytes") and isinstance(node, dict):
            if "string" in node:
                data = node["string"].encode("utf-8")
            elif "bytes" in node:
                data = b64decode(node["bytes"])
            else:
                return MISSING
            return data.decode("utf-8") if pt == "string" else data
        return MISSING

    @staticmethod
    def fmt(pt):
        return {"double": "<d", "float": "<f", "fixed32": "<I", "fixed64": "<Q", "sfixed32": "<i",
                "sfixed64": "<q"}[pt]

    def compare_raw_single(self, loc, pv, node, pt, cls, path):
        self.values += 1
        if pt == "message":
            if isinstance(node, dict) and isinstance(node.get("message"), dict):
                self.values -= 1
                self.compare_raw_message(loc, pv, node["message"], path)
                return
            data = self.raw_scalar(node, "bytes")
            try:
                same = not isinstance(data, Missing) and cls.parse(data) == pv
            except Exception:
                same = False
            if not same:
                self.fail(loc, path, node, self.value_json(pv), "schema-less message")
            return
        if pt in ("string", "bytes") and isinstance(node, dict) and "message" in node:
            data = pv.encode("utf-8") if pt == "string" else pv
            if not match_generic(data, node):
                self.fail(loc, path, node, self.scalar_json(pv, pt), "schema-less value")
            return
        value = self.raw_scalar(node, pt)
        same = not isinstance(value, Missing) and (value == pv or (isinstance(value, float) and math.isnan(value)
                                                                    and math.isnan(pv)))
        if not same:
            self.fail(loc, path, node, self.scalar_json(pv, pt), "schema-less value")


# --------------------------------------------------------------------------- main

def golden_path(tape, golden_dir):
    base = os.path.basename(tape)
    stem = base[:-5] if base.endswith(".tape") else base
    directory = golden_dir if golden_dir else os.path.dirname(tape)
    return os.path.join(directory, stem + ".wire.golden.jsonl")


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tapes", nargs="+", help="tapes to check")
    parser.add_argument("--golden-dir", help="directory of the goldens (default: beside each tape)")
    args = parser.parse_args(argv)

    started = time.monotonic()
    ref = reference()
    passed = failed = 0
    seen_exceptions = set()
    unusable = False
    for tape in args.tapes:
        tape_started = time.monotonic()
        golden_file = golden_path(tape, args.golden_dir)
        name = os.path.relpath(tape) if not os.path.isabs(tape) or tape.startswith(os.getcwd()) else tape
        try:
            if not os.path.isfile(tape):
                raise UnusableInput(f"{tape}: no such tape")
            if not os.path.exists(golden_file):
                raise UnusableInput(f"{tape}: no golden {golden_file}")
            check = TapeCheck(ref, tape, load_golden(golden_file))
            check.run()
        except UnusableInput as e:
            print(f"crosscheck {name}: unusable input: {e}")
            unusable = True
            failed += 1
            continue
        exceptions = sum(check.exceptions.values())
        seen_exceptions.update(check.exceptions)
        print(f"crosscheck {name}: {check.values} values compared, {check.messages} messages, "
              f"{check.frames} frames, {exceptions} documented exceptions, {len(check.failures)} failures")
        details = []
        if check.exceptions:
            details.append("exceptions " + ", ".join(f"{k}×{v}" for k, v in sorted(check.exceptions.items())))
        if check.agreed:
            details.append("errors on both sides " + ", ".join(f"{k}×{v}" for k, v in sorted(check.agreed.items())))
        if check.notes:
            details.append(", ".join(f"{k}×{v}" for k, v in sorted(check.notes.items())))
        details.append(f"{time.monotonic() - tape_started:.1f}s")
        print("  " + "; ".join(details))
        for loc, path, ours, python, note in check.failures[:MAX_REPORTED]:
            print(f"  FAIL {loc}: {path}: ours={show(ours)} python={show(python)}" + (f" ({note})" if note else ""))
        if len(check.failures) > MAX_REPORTED:
            print(f"  … {len(check.failures) - MAX_REPORTED} more failures")
        if check.failures:
            failed += 1
        else:
            passed += 1
    for key in sorted(seen_exceptions):
        print(f"  {key}: {EXCEPTIONS[key]} (tools/crosscheck-exceptions.md)")
    print(f"crosscheck: {passed} passed, {failed} failed")
    if unusable:
        return 2
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
