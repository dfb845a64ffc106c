"""Tests of tools/crosscheck.py on small hand-made tapes and hand-written goldens.

Run with the cross-check's venv (tools/crosscheck creates it):
    .venv-crosscheck/bin/python -m unittest discover -s Tests/crosscheck -v

The tapes are built with tiktoklive's own classes; the goldens are written by hand following
docs/transcript-format.md (not by LiveTape), so these tests do not depend on the Swift build.
Each mutation of a golden must make the check fail and name the mutated path.
"""

import base64
import contextlib
import copy
import gzip
import io
import json
import os
import subprocess
import sys
import tempfile
import unittest

import TikTokLive.proto  # noqa: F401
from TikTokLiveProto.v3.webcast.im import HeartBeatMessage, PushHeader, WebcastImEnterRoomMessage, WebcastPushFrame
from TikTokLiveProto.v3.webcast.model import FansClubData, FansClubMember
from TikTokLiveProto.v3.webcast.model.base.user import User
from TikTokLiveProto.v3.webcast.model.message import (
    WebcastGiftMessage, WebcastLinkMessage, WebcastRoomUserSeqMessage)
from TikTokLiveProto.v3.webcast.shared.message import BaseProtoMessage, CommonMessageData, ProtoMessageFetchResult

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "crosscheck.py")


def vi(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def ld(n, b):
    return vi(n << 3 | 2) + vi(len(b)) + b


def b64(b):
    return base64.b64encode(b).decode()


def write_dev(d):
    ROOM=7441523998651237126
    # fetch (line 2)
    seq = WebcastRoomUserSeqMessage(common=CommonMessageData(method="WebcastRoomUserSeqMessage", msg_id=111, room_id=ROOM), total=42, total_user=900)
    fr0 = ProtoMessageFetchResult(messages=[BaseProtoMessage(method="WebcastRoomUserSeqMessage", payload=bytes(seq), msg_id=111)],
          cursor="c1", fetch_interval=1000, now=1764446400000, internal_ext="ie0", route_params={"a":"1"}, push_server="wss://x/webcast/im/push/v2/", is_first=True)
    # chat with unknown user.77 and fans_club (24)
    user = User(id=5001, nickname="Mika", display_id="mika")
    ub = bytes(user) + vi(77<<3|0) + vi(3)
    fc = bytes(FansClubMember(data=FansClubData(club_name="club", level=2)))
    ub += vi(24<<3|2) + vi(len(fc)) + fc
    chat_common = bytes(CommonMessageData(method="WebcastChatMessage", msg_id=222, room_id=ROOM, create_time=1764446401000))
    chat = vi(1<<3|2)+vi(len(chat_common))+chat_common + vi(2<<3|2)+vi(len(ub))+ub + vi(3<<3|2)+vi(5)+b"hello"
    gift = WebcastGiftMessage(common=CommonMessageData(method="WebcastGiftMessage", msg_id=333), gift_id=5655, repeat_count=7, group_count=1, repeat_end=1)
    fancy = b"\x08\x2a\x12\x05hello"
    link = WebcastLinkMessage(common=CommonMessageData(method="WebcastLinkMessage", msg_id=444), message_type=2, linker_id=99)
    fr1 = ProtoMessageFetchResult(messages=[
        BaseProtoMessage(method="WebcastChatMessage", payload=chat, msg_id=222),
        BaseProtoMessage(method="WebcastGiftMessage", payload=bytes(gift), msg_id=333, msg_type=1),
        BaseProtoMessage(method="WebcastFancyNewMessage", payload=fancy, msg_id=555),
        BaseProtoMessage(method="WebcastLinkMessage", payload=bytes(link), msg_id=444),
      ], cursor="c2", now=1764446402000, internal_ext="ie1", need_ack=True)
    inner1 = bytes(fr1)
    payload1 = gzip.compress(inner1, mtime=0)
    f_msg = WebcastPushFrame(seq_id=1, log_id=77001, payload_encoding="pb", payload_type="msg", headers=[PushHeader(key="compress_type", value="gzip")], payload=payload1)
    enter = WebcastImEnterRoomMessage(room_id=ROOM, live_id=12, identity="audience")
    f_enter = WebcastPushFrame(payload_type="im_enter_room", payload=bytes(enter))
    hb = HeartBeatMessage(room_id=ROOM, send_packet_seq_id=1)
    f_hb = WebcastPushFrame(payload_encoding="pb", payload_type="hb", payload=bytes(hb))
    f_ack = WebcastPushFrame(log_id=77001, payload_encoding="pb", payload_type="ack", payload=b"ie1")

    tape = [
     {"format":"livetape-tape","version":1,"created":"2026-11-29T20:00:00Z","source":{"kind":"manual","detail":"crosscheck dev"}},
     {"t_us":0,"kind":"http","conn":1,"request":{"method":"GET","url":"https://api.eulerstream.com/webcast/fetch?room_id=1"},"response":{"status":200,"body":{"base64":b64(bytes(fr0))}}},
     {"t_us":10,"kind":"ws_open","conn":2,"url":"wss://x/webcast/im/push/v2/?room_id=1","response":{"status":101}},
     {"t_us":20,"kind":"ws_message","conn":2,"dir":"send","opcode":"binary","payload":{"base64":b64(bytes(f_enter))}},
     {"t_us":30,"kind":"ws_message","conn":2,"dir":"send","opcode":"binary","payload":{"base64":b64(bytes(f_hb))}},
     {"t_us":40,"kind":"ws_message","conn":2,"dir":"recv","opcode":"binary","payload":{"base64":b64(bytes(f_msg))}},
     {"t_us":50,"kind":"ws_message","conn":2,"dir":"send","opcode":"binary","payload":{"base64":b64(bytes(f_ack))}},
     {"t_us":60,"kind":"ws_close","conn":2,"by":"client","code":1000},
    ]
    with open(os.path.join(d, "dev.tape"),"w") as f:
        for r in tape: f.write(json.dumps(r, separators=(",",":"))+"\n")

    # hand-written golden
    off77 = chat.index(vi(77<<3|0)+vi(3))
    off24 = chat.index(vi(24<<3|2)+vi(len(fc)))
    g = [
     {"transcript":"livetape","view":"wire","version":1},
     {"type":"http","line":2,"t_us":0,"conn":1,"method":"GET","url":"https://api.eulerstream.com/webcast/fetch?room_id=1","request_bytes":0,"status":200,"response_bytes":len(bytes(fr0))},
     {"type":"fetch_result","line":2,"t_us":0,"conn":1,"fields":{"cursor":"c1","fetch_interval":"1000","now":"1764446400000","internal_ext":"ie0","route_params":{"a":"1"},"push_server":"wss://x/webcast/im/push/v2/","is_first":True},"message_count":1},
     {"type":"message","line":2,"t_us":0,"conn":1,"index":0,"method":"WebcastRoomUserSeqMessage","msg_id":"111","envelope":{"method":"WebcastRoomUserSeqMessage","msg_id":"111"},
       "fields":{"common":{"method":"WebcastRoomUserSeqMessage","msg_id":"111","room_id":str(ROOM)},"total":"42","total_user":"900"}},
     {"type":"ws_open","line":3,"t_us":10,"conn":2,"url":"wss://x/webcast/im/push/v2/?room_id=1","status":101},
     {"type":"frame","line":4,"t_us":20,"conn":2,"dir":"send","size":len(bytes(f_enter)),"fields":{"payload_type":"im_enter_room"},"payload_size":len(bytes(enter)),"compression":{"gzip_magic":False},
       "payload_schema":"WebcastImEnterRoomMessage","payload":{"room_id":str(ROOM),"live_id":"12","identity":"audience"}},
     {"type":"frame","line":5,"t_us":30,"conn":2,"dir":"send","size":len(bytes(f_hb)),"fields":{"payload_encoding":"pb","payload_type":"hb"},"payload_size":len(bytes(hb)),"compression":{"gzip_magic":False},
       "payload_schema":"HeartBeatMessage","payload":{"room_id":str(ROOM),"send_packet_seq_id":"1"}},
     {"type":"frame","line":6,"t_us":40,"conn":2,"dir":"recv","size":len(bytes(f_msg)),"fields":{"seq_id":"1","log_id":"77001","headers":{"compress_type":"gzip"},"payload_encoding":"pb","payload_type":"msg"},"payload_size":len(payload1),"compression":{"header":"gzip","gzip_magic":True,"inflated_size":len(inner1)}},
     {"type":"fetch_result","line":6,"t_us":40,"conn":2,"fields":{"cursor":"c2","now":"1764446402000","internal_ext":"ie1","need_ack":True},"message_count":4},
     {"type":"message","line":6,"t_us":40,"conn":2,"index":0,"method":"WebcastChatMessage","msg_id":"222","envelope":{"method":"WebcastChatMessage","msg_id":"222"},
       "fields":{"common":{"method":"WebcastChatMessage","msg_id":"222","room_id":str(ROOM),"create_time":"1764446401000"},"user":{"id":"5001","nickname":"Mika","display_id":"mika"},"content":"hello"},
       "unknown":[{"path":"WebcastChatMessage.user.77","wire_type":0,"offset":off77,"value":"3"},
                  {"path":"WebcastChatMessage.user.24","wire_type":2,"offset":off24,"value":{"message":{"1":{"message":{"1":{"string":"club"},"2":"2"}}}}}]},
     {"type":"message","line":6,"t_us":40,"conn":2,"index":1,"method":"WebcastGiftMessage","msg_id":"333","envelope":{"method":"WebcastGiftMessage","msg_id":"333","msg_type":1},
       "fields":{"common":{"method":"WebcastGiftMessage","msg_id":"333"},"gift_id":"5655","group_count":1,"repeat_count":7,"repeat_end":1}},
     {"type":"message","line":6,"t_us":40,"conn":2,"index":2,"method":"WebcastFancyNewMessage","msg_id":"555","envelope":{"method":"WebcastFancyNewMessage","msg_id":"555"},"schema":"none",
       "fields":{"1":"42","2":{"string":"hello"}}},
     {"type":"message","line":6,"t_us":40,"conn":2,"index":3,"method":"WebcastLinkMessage","msg_id":"444","envelope":{"method":"WebcastLinkMessage","msg_id":"444"},"schema":"none",
       "fields":{"1":{"message":{"1":{"string":"WebcastLinkMessage"},"2":"444"}},"2":"2","3":"99"}},
     {"type":"notice","line":6,"t_us":40,"conn":2,"kind":"unknown_method","detail":"x"},
     {"type":"frame","line":7,"t_us":50,"conn":2,"dir":"send","size":len(bytes(f_ack)),"fields":{"log_id":"77001","payload_encoding":"pb","payload_type":"ack"},"payload_size":3,"compression":{"gzip_magic":False},"payload":{"text":"ie1"}},
     {"type":"ws_close","line":8,"t_us":60,"conn":2,"code":1000,"reason":"","by":"client"},
    ]
    with open(os.path.join(d, "dev.wire.golden.jsonl"),"w") as f:
        for r in g: f.write(json.dumps(r, separators=(",",":"), ensure_ascii=False)+"\n")


def write_defects(d):
    common = lambda m,i: ld(1, ld(1,m.encode())+vi(2<<3)+vi(i))
    good_chat = common("WebcastChatMessage",1)+ld(3,b"ok")
    msgs = {
     "illegal": ("WebcastInRoomBannerMessage", common("WebcastInRoomBannerMessage",2)+bytes([0x6E])+b"\x01\x02"),
     "overlong": ("WebcastLikeMessage", common("WebcastLikeMessage",3)+vi(3<<3)+b"\xff"*10+b"\x01"),
     "pastend": ("WebcastChatMessage", common("WebcastChatMessage",4)+vi(3<<3|2)+vi(50)+b"short"),
     "utf8": ("WebcastChatMessage", common("WebcastChatMessage",5)+ld(3,b"bad\xff\xfe")),
     "mismatch": ("WebcastChatMessage", common("WebcastChatMessage",6)+vi(3<<3)+vi(12345)+ld(14,b"en")),
    }
    def frame(inner_msgs, compress="gzip", mangle=None, log=1):
        fr = ProtoMessageFetchResult(messages=[BaseProtoMessage(method=m,payload=p,msg_id=i+10) for i,(m,p) in enumerate(inner_msgs)], cursor="c")
        raw = bytes(fr)
        pl = gzip.compress(raw, mtime=0)
        if mangle: pl = mangle(pl)
        f = WebcastPushFrame(seq_id=log, log_id=log, payload_encoding="pb", payload_type="msg", headers=[PushHeader(key="compress_type", value=compress)], payload=pl)
        return bytes(f), raw, pl
    lines=[]; golden=[]
    def add(f):
        lines.append({"t_us":len(lines)*10,"kind":"ws_message","conn":2,"dir":"recv","opcode":"binary","payload":{"base64":b64(f)}})
        return len(lines)+1  # tape line (header is line 1)
    def frec(L, fb, pl, raw, compress="gzip", inflated=True):
        c={"header":compress,"gzip_magic":True}
        if inflated: c["inflated_size"]=len(raw)
        return {"type":"frame","line":L,"t_us":(L-2)*10,"conn":2,"dir":"recv","size":len(fb),"fields":{"seq_id":str(L),"log_id":str(L),"headers":{"compress_type":compress},"payload_encoding":"pb","payload_type":"msg"},"payload_size":len(pl),"compression":c}
    def env(m,i): return {"method":m,"msg_id":str(i+10)}
    # frame A: good chat, illegal, overlong, good chat
    A=[("WebcastChatMessage",good_chat), msgs["illegal"], msgs["overlong"], msgs["pastend"], msgs["utf8"], msgs["mismatch"]]
    fb,raw,pl = frame(A, log=2); L=add(fb)
    golden += [frec(L,fb,pl,raw), {"type":"fetch_result","line":L,"fields":{"cursor":"c"},"message_count":len(A)},
     {"type":"message","line":L,"index":0,"method":"WebcastChatMessage","msg_id":"10","envelope":env("WebcastChatMessage",0),"fields":{"common":{"method":"WebcastChatMessage","msg_id":"1"},"content":"ok"}},
     {"type":"message","line":L,"index":1,"method":"WebcastInRoomBannerMessage","msg_id":"11","envelope":env("WebcastInRoomBannerMessage",1),"fields":{"common":{"method":"WebcastInRoomBannerMessage","msg_id":"2"}},"decode_error":True},
     {"type":"message","line":L,"index":2,"method":"WebcastLikeMessage","msg_id":"12","envelope":env("WebcastLikeMessage",2),"fields":{"common":{"method":"WebcastLikeMessage","msg_id":"3"}},"decode_error":True},
     {"type":"message","line":L,"index":3,"method":"WebcastChatMessage","msg_id":"13","envelope":env("WebcastChatMessage",3),"fields":{"common":{"method":"WebcastChatMessage","msg_id":"4"}},"decode_error":True},
     {"type":"message","line":L,"index":4,"method":"WebcastChatMessage","msg_id":"14","envelope":env("WebcastChatMessage",4),"fields":{"common":{"method":"WebcastChatMessage","msg_id":"5"},"content":{"invalid_utf8_base64":b64(b"bad\xff\xfe")}},"issues":[{"path":"WebcastChatMessage.content","offset":0,"error":"invalid UTF-8 in string field"}]},
     {"type":"message","line":L,"index":5,"method":"WebcastChatMessage","msg_id":"15","envelope":env("WebcastChatMessage",5),"fields":{"common":{"method":"WebcastChatMessage","msg_id":"6"},"content_language":"en"},
        "unknown":[{"path":"WebcastChatMessage.content","wire_type":0,"schema":"string","offset":len(common("WebcastChatMessage",6)),"value":"12345"}]},
     {"type":"decode_error","line":L,"stage":"message","index":1,"error":"x"},
     {"type":"decode_error","line":L,"stage":"message","index":2,"error":"x"},
     {"type":"decode_error","line":L,"stage":"message","index":3,"error":"x"},
    ]
    # gzip truncated
    fb,raw,pl = frame([("WebcastChatMessage",good_chat)]*5, mangle=lambda p: p[:int(len(p)*0.6)], log=3); L=add(fb)
    golden += [frec(L,fb,pl,raw,inflated=False), {"type":"decode_error","line":L,"stage":"inflate","error":"truncated"}]
    # gzip corrupt
    def corrupt(p):
        p=bytearray(p); m=len(p)//2
        for k in range(m,m+4): p[k]^=0xff
        return bytes(p)
    fb,raw,pl = frame([("WebcastChatMessage",good_chat)]*5, mangle=corrupt, log=4); L=add(fb)
    golden += [frec(L,fb,pl,raw,inflated=False), {"type":"decode_error","line":L,"stage":"inflate","error":"corrupt"}]
    # bomb
    bomb = gzip.compress(b"\0"*(80<<20), compresslevel=9, mtime=0)
    f = bytes(WebcastPushFrame(seq_id=5, log_id=5, payload_encoding="pb", payload_type="msg", headers=[PushHeader(key="compress_type", value="gzip")], payload=bomb)); L=add(f)
    golden += [{"type":"frame","line":L,"t_us":(L-2)*10,"conn":2,"dir":"recv","size":len(f),"fields":{"seq_id":"5","log_id":"5","headers":{"compress_type":"gzip"},"payload_encoding":"pb","payload_type":"msg"},"payload_size":len(bomb),"compression":{"header":"gzip","gzip_magic":True}},
               {"type":"decode_error","line":L,"stage":"inflate","error":"limit"}]
    # br header
    fb,raw,pl = frame([("WebcastChatMessage",good_chat)], compress="br", log=6); L=add(fb)
    golden += [frec(L,fb,pl,raw,compress="br"), {"type":"fetch_result","line":L,"fields":{"cursor":"c"},"message_count":1},
     {"type":"message","line":L,"index":0,"method":"WebcastChatMessage","msg_id":"10","envelope":env("WebcastChatMessage",0),"fields":{"common":{"method":"WebcastChatMessage","msg_id":"1"},"content":"ok"}},
     {"type":"notice","line":L,"kind":"unknown_compress_type","detail":"br"}]
    # malformed tape line
    lines.append("{not json")
    golden.append({"type":"decode_error","line":len(lines)+1,"stage":"tape","error":"malformed"})
    with open(os.path.join(d, "dev2.tape"),"w") as o:
        o.write(json.dumps({"format":"livetape-tape","version":1,"created":"2026-11-29T20:00:00Z","source":{"kind":"manual"}})+"\n")
        for l in lines: o.write((l if isinstance(l,str) else json.dumps(l))+"\n")
    with open(os.path.join(d, "dev2.wire.golden.jsonl"),"w") as o:
        o.write(json.dumps({"transcript":"livetape","view":"wire","version":1})+"\n")
        for r in golden: o.write(json.dumps(r)+"\n")


def run(tapes, golden_dir=None):
    """Runs the check in a subprocess, as tools/crosscheck does."""
    args = [sys.executable, SCRIPT] + (["--golden-dir", golden_dir] if golden_dir else []) + tapes
    p = subprocess.run(args, capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def run_here(tapes, golden_dir=None):
    """Runs the check in this process (the reference classes are loaded once)."""
    sys.path.insert(0, os.path.dirname(SCRIPT))
    try:
        import crosscheck
    finally:
        sys.path.pop(0)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = crosscheck.main((["--golden-dir", golden_dir] if golden_dir else []) + tapes)
    return code, out.getvalue()


def find(golden, line, typ, index=None, stage=None):
    for r in golden:
        if r.get("line") == line and r.get("type") == typ and (index is None or r.get("index") == index) \
                and (stage is None or r.get("stage") == stage):
            return r
    raise KeyError((line, typ, index, stage))


# (tape, description, mutation, text the failure must contain)
MUTATIONS = [
    ("dev", "chat content", lambda g: find(g, 6, "message", 0)["fields"].__setitem__("content", "hellO"),
     "WebcastChatMessage.content: ours=\"hellO\" python=\"hello\""),
    ("dev", "repeat_count", lambda g: find(g, 6, "message", 1)["fields"].__setitem__("repeat_count", 8),
     "WebcastGiftMessage.repeat_count: ours=8 python=7"),
    ("dev", "int32 as string", lambda g: find(g, 6, "message", 1)["fields"].__setitem__("repeat_count", "7"),
     "WebcastGiftMessage.repeat_count"),
    ("dev", "missing field", lambda g: find(g, 6, "message", 1)["fields"].pop("gift_id"), "WebcastGiftMessage.gift_id"),
    ("dev", "extra field", lambda g: find(g, 6, "message", 1)["fields"].__setitem__("bogus", 1), "WebcastGiftMessage.bogus"),
    ("dev", "unknown value", lambda g: find(g, 6, "message", 0)["unknown"][0].__setitem__("value", "4"),
     "WebcastChatMessage.user.77.value"),
    ("dev", "unknown dropped", lambda g: find(g, 6, "message", 0)["unknown"].pop(0), "WebcastChatMessage.user.77"),
    ("dev", "unknown for a python field dropped", lambda g: find(g, 6, "message", 0)["unknown"].pop(1),
     "WebcastChatMessage.user.fans_club"),
    ("dev", "map value", lambda g: find(g, 2, "fetch_result")["fields"]["route_params"].__setitem__("a", "2"),
     "ProtoMessageFetchResult.route_params[a]"),
    ("dev", "64-bit id", lambda g: find(g, 2, "message", 0)["fields"]["common"].__setitem__("room_id", "1"),
     "WebcastRoomUserSeqMessage.common.room_id"),
    ("dev", "msg_id", lambda g: find(g, 6, "message", 1).__setitem__("msg_id", "334"), "msg_id"),
    ("dev", "schema-less value", lambda g: find(g, 6, "message", 3)["fields"].__setitem__("3", "98"),
     "WebcastLinkMessage.linker_id"),
    ("dev", "no-class schema-less value", lambda g: find(g, 6, "message", 2)["fields"].__setitem__("1", "43"),
     "WebcastFancyNewMessage"),
    ("dev", "heartbeat", lambda g: find(g, 5, "frame")["payload"].__setitem__("send_packet_seq_id", "2"),
     "HeartBeatMessage.send_packet_seq_id"),
    ("dev", "ack text", lambda g: find(g, 7, "frame")["payload"].__setitem__("text", "x"), "frame.payload.text"),
    ("dev", "frame header", lambda g: find(g, 6, "frame")["fields"]["headers"].__setitem__("compress_type", "none"),
     "WebcastPushFrame.headers[compress_type]"),
    ("dev", "message count", lambda g: find(g, 6, "fetch_result").__setitem__("message_count", 5),
     "fetch_result.message_count"),
    ("dev", "record on another line", lambda g: find(g, 7, "frame").__setitem__("line", 8), "line 7: frame"),
    ("defects", "tolerated truncation reported clean",
     lambda g: (find(g, 2, "message", 3).pop("decode_error"), g.remove(find(g, 2, "decode_error", 3))),
     "WebcastChatMessage.content"),
    ("defects", "overlong varint reported clean",
     lambda g: (find(g, 2, "message", 2).pop("decode_error"), g.remove(find(g, 2, "decode_error", 2))),
     "Too many bytes when decoding varint"),
    ("defects", "invalid UTF-8 without issue", lambda g: find(g, 2, "message", 4).pop("issues"), "UnicodeDecodeError"),
    ("defects", "wire-type mismatch not reported", lambda g: find(g, 2, "message", 5).pop("unknown"),
     "WebcastChatMessage.content"),
    ("defects", "well-formed message flagged", lambda g: find(g, 2, "message", 0).__setitem__("decode_error", True),
     "strict scan finds it well-formed"),
    ("defects", "gzip error missed", lambda g: g.remove(find(g, 3, "decode_error", stage="inflate")), "gunzip fails"),
    ("defects", "gzip bomb missed", lambda g: g.remove(find(g, 5, "decode_error", stage="inflate")), "inflates to more"),
    ("defects", "partial value", lambda g: find(g, 2, "message", 3)["fields"]["common"].__setitem__("msg_id", "5"),
     "WebcastChatMessage.common.msg_id"),
]


class CrosscheckTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = cls.tmp.name
        write_dev(cls.dir)
        write_defects(cls.dir)
        cls.tapes = {"dev": os.path.join(cls.dir, "dev.tape"), "defects": os.path.join(cls.dir, "dev2.tape")}

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def golden(self, name):
        path = self.tapes[name][:-5] + ".wire.golden.jsonl"
        with open(path) as f:
            return [json.loads(line) for line in f]

    def test_hand_written_goldens_pass(self):
        code, out = run(list(self.tapes.values()))
        self.assertEqual(code, 0, out)
        self.assertIn("crosscheck: 2 passed, 0 failed", out)
        self.assertIn("exceptions X5×1", out)
        self.assertIn("exceptions X1×1, X2×2", out)

    def test_mutations_fail_naming_the_path(self):
        for tape, description, mutate, expected in MUTATIONS:
            with self.subTest(description):
                golden = copy.deepcopy(self.golden(tape))
                mutate(golden)
                with tempfile.TemporaryDirectory() as d:
                    stem = os.path.basename(self.tapes[tape])[:-5]
                    with open(os.path.join(d, stem + ".wire.golden.jsonl"), "w") as f:
                        for record in golden:
                            f.write(json.dumps(record, ensure_ascii=False) + "\n")
                    code, out = run_here([self.tapes[tape]], golden_dir=d)
                self.assertEqual(code, 1, out)
                self.assertIn("crosscheck: 0 passed, 1 failed", out)
                self.assertIn(expected, out)

    def test_unusable_input(self):
        code, out = run([os.path.join(self.dir, "missing.tape")])
        self.assertEqual(code, 2, out)
        with open(os.path.join(self.dir, "orphan.tape"), "w") as f:
            f.write('{"format":"livetape-tape","version":1,"created":"x","source":{"kind":"manual"}}\n')
        code, out = run([os.path.join(self.dir, "orphan.tape")])
        self.assertEqual(code, 2, out)
        self.assertIn("no golden", out)


if __name__ == "__main__":
    unittest.main()
