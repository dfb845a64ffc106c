#!/usr/bin/env python3
"""Runs the real `tiktoklive` Python client (TikTokLive 7.0.1) against LiveTape's mock servers,
offline on loopback, and compares the events it emits with the tape's events golden transcript.

The server command (default: `.build/debug/livetape serve TAPE --speed max`) must print one
JSON line with `sign_url` on standard output, then serve until SIGTERM. The client runs with
`SIGN_API_URL=<sign_url>` and `start(room_id=<the tape's room id>, fetch_live_check=False)`;
every event it emits is rendered in the events-transcript vocabulary
(docs/transcript-format.md) and compared with the golden, value by value and in order.
Every connection and name lookup of this process off loopback is refused.

Usage: realclient.py [--tape TAPE] [--golden GOLDEN] [--server 'CMD ARGS' | --standin]
                     [--timeout SECONDS] [--events-out FILE]
Exit status: 0 the events match, 1 a mismatch or the client failed, 2 unusable input (no
tape or golden, the server did not start or printed no JSON line).
Run it with the cross-check's venv (`tools/crosscheck --prepare-only` creates it).
"""

import argparse
import asyncio
import difflib
import json
import logging
import os
import select
import shlex
import signal
import subprocess
import sys
import urllib.parse

from TikTokLive.client.client import TikTokLiveClient
from TikTokLive.events import custom_events as ce, proto_events as pe

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEFAULT_TAPE = os.path.join(ROOT, "Fixtures", "session-5min.tape")
LIVETAPE = os.path.join(ROOT, ".build", "debug", "livetape")
STANDIN = os.path.join(HERE, "standin_server.py")
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "ws_proxy", "wss_proxy")
# Keys that place a record in the tape, not facts of the event.
CONTEXT_KEYS = ("line", "t_us", "conn")
# The client reports `connect` when the WebSocket opens, before the messages of the signing
# service's fetch that the golden lists first (they come from an earlier tape line); these
# events are therefore aligned on their own, the message events on theirs.
LIFECYCLE = ("connect", "disconnect")
MAX_REPORTED = 20
SERVER_START_TIMEOUT = 30


class Unusable(Exception):
    pass


# --------------------------------------------------------------------------- the client's events

def part(message, name):
    """A sub-message, or its empty default when absent (as the golden renders it)."""
    value = getattr(message, name)
    return value if value is not None else message._betterproto.cls_by_field[name]()


def user(u):
    if u is None:
        return {"id": "0", "display_id": "", "nickname": ""}
    return {"id": str(u.id), "display_id": u.display_id, "nickname": u.nickname}


def comment(e):
    fields = {"user": user(e.user), "text": e.content}
    if e.content_language:
        fields["language"] = e.content_language
    return fields


def gift(e):
    g = part(e, "gift")
    fields = {"user": user(e.user)}
    if e.to_user is not None:
        fields["to_user"] = user(e.to_user)
    streakable = e.gift is not None and e.gift.streakable
    fields.update({
        "gift": {"id": str(g.id or e.gift_id), "name": g.name, "diamond_count": g.diamond_count,
                 "streakable": streakable},
        "group_id": str(e.group_id),
        "repeat_count": e.repeat_count,
        "streak": ("ongoing" if e.streaking else "end") if streakable else None,
        # Derived from the compared diamond_count and repeat_count: the client's own `value`
        # is in USD and absent while a streak runs.
        "diamonds": g.diamond_count * max(e.repeat_count, 1),
    })
    return fields


def social(e):
    return {"user": user(e.user), "action": str(e.action)}


def follow(e):
    return {**social(e), "follow_count": str(e.follow_count)}


def share(e):
    return {**social(e), "share_type": str(e.share_type), "share_count": e.share_count}


def question(data):
    return {"user": user(data.user), "question_id": str(data.question_id), "text": data.content}


def envelope(info):
    return {"envelope_id": info.envelope_id, "sender": info.send_user_name,
            "diamond_count": info.diamond_count, "people_count": info.people_count}


def control(e):
    return {"action": int(e.action)}


# (client event, our event name, its fields) for every kind of the events view that the client
# reports. A specialised event (FollowEvent, LiveEndEvent, ...) is emitted just before the generic
# event of the same message (SocialEvent, ControlEvent), which then gives nothing.
RENDERERS = [
    (ce.ConnectEvent, "connect", None),
    (ce.DisconnectEvent, "disconnect", None),
    (pe.CommentEvent, "comment", comment),
    (pe.EmoteChatEvent, "emote_chat",
     lambda e: {"user": user(e.user), "emotes": [x.emote_id for x in e.emote_list]}),
    (pe.GiftEvent, "gift", gift),
    (pe.LikeEvent, "like", lambda e: {"user": user(e.user), "count": e.count, "total": str(e.total)}),
    (pe.JoinEvent, "join",
     lambda e: {"user": user(e.user), "action": int(e.action), "member_count": e.member_count}),
    (ce.FollowEvent, "follow", follow),
    (ce.ShareEvent, "share", share),
    (pe.SocialEvent, "social", social),
    (pe.SubNotifyEvent, "subscribe", lambda e: {"user": user(e.user), "sub_month": str(e.sub_month)}),
    (pe.RoomUserSeqEvent, "viewer_count", lambda e: {
        "viewers": str(e.total), "total_user": str(e.total_user),
        "top": [{"rank": str(r.rank), "score": str(r.score), "user": user(r.user)} for r in e.ranks]}),
    (ce.LiveEndEvent, "live_end", control),
    (ce.LivePauseEvent, "live_pause", control),
    (ce.LiveUnpauseEvent, "live_unpause", control),
    (pe.ControlEvent, "control", control),
    (pe.QuestionNewEvent, "question", lambda e: question(part(e, "data"))),
    (pe.EnvelopeEvent, "envelope", lambda e: envelope(part(e, "envelope_info"))),
    (pe.PollEvent, "poll", lambda e: {"poll_id": str(e.poll_id), "message_type": str(e.message_type)}),
    (pe.GoalUpdateEvent, "goal_update", lambda e: {
        "goal_id": str(part(e, "goal").id), "contributor_id": str(e.contributor_id),
        "contribute_count": str(e.contribute_count)}),
    (pe.InRoomBannerEvent, "in_room_banner", lambda e: {}),
    (pe.ImDeleteEvent, "im_delete", lambda e: {
        "msg_ids": [str(i) for i in e.delete_msg_ids], "user_ids": [str(i) for i in e.delete_user_ids]}),
    (pe.RankUpdateEvent, "rank_update", lambda e: {
        "updates": [{"rank_type": int(u.rank_type), "own_rank": str(u.own_rank)} for u in e.updates]}),
    (pe.CaptionEvent, "caption", lambda e: {"lines": [{"lang": x.lang, "text": x.content} for x in e.content]}),
    (pe.LinkMicBattleEvent, "link_mic_battle", lambda e: {"battle_id": str(e.battle_id), "action": int(e.action)}),
    (pe.LinkMicArmiesEvent, "link_mic_armies", lambda e: {
        "battle_id": str(e.battle_id), "gift_id": str(e.gift_id), "total_diamond_count": e.total_diamond_count}),
]
KINDS = {name for _, name, _ in RENDERERS}


GENERIC = ("social", "control")


def record(events, name, render):
    """A handler that appends the event, in our vocabulary, to `events`."""

    def handle(e):
        if render is None:
            events.append({"event": name})
            return
        # The client exposes `common.msg_id` only; the golden's msg_id is the envelope's
        # (BaseProtoMessage.msg_id). A difference between the two is reported.
        msg_id = str(e.common.msg_id) if e.common else "0"
        if name in GENERIC and events and events[-1].get("msg_id") == msg_id:
            return
        events.append({"event": name, "msg_id": msg_id, **render(e)})

    return handle


def cause_chain(e):
    causes = []
    while e is not None:
        text = f"{type(e).__name__}: {e}"
        if text not in causes:
            causes.append(text)
        e = e.__cause__ or e.__context__
    return " <- ".join(causes)


class ErrorLog(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.messages = []

    def emit(self, rec):
        self.messages.append(rec.getMessage().splitlines()[0])


async def run_client(sign_url, room_id, timeout):
    """The client's events and its failures (exceptions, errors it logged, a timeout)."""
    os.environ["SIGN_API_URL"] = sign_url
    client = TikTokLiveClient(unique_id="livetape")
    events = []
    for cls, name, render in RENDERERS:
        client.add_listener(cls, record(events, name, render))
    errors = ErrorLog()
    client.logger.addHandler(errors)
    failures = []
    deadline = asyncio.timeout(timeout)
    try:
        # On a timeout the client's task is cancelled, which closes its WebSocket.
        async with deadline:
            await (await client.start(room_id=room_id, fetch_live_check=False))
    except Exception as e:
        if isinstance(e, TimeoutError) and deadline.expired():
            failures.append(f"the client did not finish within {timeout:g} s")
        else:
            failures.append(f"the client failed: {cause_chain(e)}")
    finally:
        await client.web.close()
    failures += [f"the client logged: {m}" for m in errors.messages]
    return events, failures


# --------------------------------------------------------------------------- comparison

def load_golden(path):
    with open(path, encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    return [r for r in records if "event" in r]


def comparable(event):
    return {k: v for k, v in event.items() if k not in CONTEXT_KEYS}


def skip_unavailable(golden_event):
    """The golden's facts that the client cannot report: the WebSocket URL of `connect` is the
    recorded one (the client connects to the mock server's), and DisconnectEvent carries neither
    the close code nor who closed."""
    skipped = {"connect": ("url",), "disconnect": ("code", "by")}.get(golden_event["event"], ())
    return {k: v for k, v in golden_event.items() if k not in skipped}


ABSENT = object()


def show(value):
    return "<absent>" if value is ABSENT else json.dumps(value, ensure_ascii=False)


def diff_values(path, want, got, out):
    """Appends to `out` every path where `got` differs from `want` (JSON types count)."""
    if isinstance(want, dict) and isinstance(got, dict):
        for key in list(want) + [k for k in got if k not in want]:
            diff_values(f"{path}.{key}" if path else key, want.get(key, ABSENT), got.get(key, ABSENT), out)
    elif isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        for i, (w, g) in enumerate(zip(want, got)):
            diff_values(f"{path}[{i}]", w, g, out)
    elif type(want) is not type(got) or want != got:
        out.append(f"{path}: golden {show(want)}, client {show(got)}")


def describe(event):
    where = f" (tape line {event['line']})" if "line" in event else ""
    return f"{event['event']} {event.get('msg_id', '')}".rstrip() + where


def identity(event):
    return event["event"], event.get("msg_id")


def compare(golden, client):
    """Problems between the golden's events and the client's, in order; empty when they match.
    Golden events of kinds the client has no event for (unknown, decode_error, ...) are left out."""
    golden = [g for g in golden if g["event"] in KINDS]
    problems = []
    for lifecycle in (True, False):
        want = [g for g in golden if (g["event"] in LIFECYCLE) == lifecycle]
        got = [c for c in client if (c["event"] in LIFECYCLE) == lifecycle]
        matcher = difflib.SequenceMatcher(None, [identity(e) for e in want], [identity(e) for e in got],
                                          autojunk=False)
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            if op == "equal":
                for w, g in zip(want[i1:i2], got[j1:j2]):
                    out = []
                    diff_values("", comparable(skip_unavailable(w)), comparable(g), out)
                    problems += [f"different: {describe(w)}: {d}" for d in out]
                continue
            problems += [f"missing: {describe(w)}" for w in want[i1:i2]]
            following = f"before golden {describe(want[i2])}" if i2 < len(want) else "after the golden's last"
            problems += [f"extra: {describe(g)}, {following}" for g in got[j1:j2]]
    return problems


# --------------------------------------------------------------------------- server and main

def loopback_only():
    """Refuses, for the rest of this process, every connection and name lookup off loopback."""

    def hook(event, args):
        if event == "socket.connect" and isinstance(args[1], tuple):
            host = args[1][0]
        elif event == "socket.getaddrinfo" and args[0] is not None:
            host = args[0].decode() if isinstance(args[0], bytes) else args[0]
        else:
            return
        if host not in LOOPBACK:
            raise PermissionError(f"realclient: refused {event} to {host!r}: loopback only")

    sys.addaudithook(hook)


def room_id_of(tape):
    with open(tape, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if r.get("kind") == "http" and "/webcast/fetch" in r["request"]["url"]:
                query = urllib.parse.parse_qs(urllib.parse.urlsplit(r["request"]["url"]).query)
                headers = {k.lower(): v for k, v in (r.get("response") or {}).get("headers", [])}
                room_id = (query.get("room_id") or [headers.get("x-room-id")])[0]
                if room_id:
                    return int(room_id)
    raise Unusable(f"{tape}: no /webcast/fetch request with a room id")


def start_server(command, timeout):
    """The running server and the URLs of its JSON line."""
    try:
        server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT, start_new_session=True)
    except OSError as e:
        raise Unusable(f"cannot start {shlex.join(command)}: {e}")
    ready, _, _ = select.select([server.stdout], [], [], timeout)
    line = server.stdout.readline() if ready else ""
    try:
        urls = json.loads(line)
    except ValueError:
        urls = None
    if not isinstance(urls, dict) or not isinstance(urls.get("sign_url"), str):
        stop_server(server)
        raise Unusable(f"{shlex.join(command)} did not print a JSON line with a sign_url first"
                       f" (waited up to {timeout:g} s; got {line.strip()!r}, exit status {server.poll()})")
    return server, urls


def stop_server(server):
    """Stops the server's process group (a wrapper command's children too)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(server.pid, sig)
            server.wait(10)
            break
        except ProcessLookupError:
            break
        except subprocess.TimeoutExpired:
            continue
    server.stdout.close()


def isolate_environment():
    """No proxy, and no API key sent to the local server."""
    for name in PROXY_VARIABLES:
        os.environ.pop(name, None)
        os.environ.pop(name.upper(), None)
    os.environ.pop("SIGN_API_KEY", None)
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"


def golden_path(tape):
    stem = tape[:-5] if tape.endswith(".tape") else tape
    return stem + ".events.golden.jsonl"


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tape", default=DEFAULT_TAPE, help="tape (default: Fixtures/session-5min.tape)")
    parser.add_argument("--golden", help="events golden (default: beside the tape)")
    servers = parser.add_mutually_exclusive_group()
    servers.add_argument("--server", help="server command (default: .build/debug/livetape serve TAPE --speed max)")
    servers.add_argument("--standin", action="store_true",
                         help="use Tests/realclient/standin_server.py, the harness's self-test server")
    parser.add_argument("--timeout", type=float, default=60, help="seconds for the whole client run (default 60)")
    parser.add_argument("--events-out", help="also write the client's events there, as JSON Lines")
    args = parser.parse_args(argv)

    tape = os.path.abspath(args.tape)
    golden_file = os.path.abspath(args.golden or golden_path(tape))
    if args.standin:
        command = [sys.executable, STANDIN, tape]
    elif args.server:
        command = shlex.split(args.server)
    else:
        command = [LIVETAPE, "serve", tape, "--speed", "max"]

    try:
        for path in (tape, golden_file):
            if not os.path.isfile(path):
                raise Unusable(f"no such file: {path}")
        golden = load_golden(golden_file)
        room_id = room_id_of(tape)
        isolate_environment()
        loopback_only()
        server, urls = start_server(command, SERVER_START_TIMEOUT)
    except Unusable as e:
        print(f"realclient: unusable input: {e}")
        return 2
    try:
        events, failures = asyncio.run(run_client(urls["sign_url"], room_id, args.timeout))
    finally:
        stop_server(server)

    if args.events_out:
        with open(args.events_out, "w", encoding="utf-8") as f:
            f.writelines(json.dumps(e, ensure_ascii=False) + "\n" for e in events)
    problems = failures + compare(golden, events)
    compared = sum(1 for g in golden if g["event"] in KINDS)
    left_out = sorted({g["event"] for g in golden if g["event"] not in KINDS})
    print(f"realclient {os.path.relpath(tape, ROOT)}: {compared} golden events compared, {len(events)} client "
          f"events, {len(problems)} problems" + (f"; not compared: {', '.join(left_out)}" if left_out else ""))
    for problem in problems[:MAX_REPORTED]:
        print(f"  FAIL {problem}")
    if len(problems) > MAX_REPORTED:
        print(f"  … {len(problems) - MAX_REPORTED} more problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
