#!/usr/bin/env python3
"""Stand-in for `livetape serve TAPE --speed max`, used only by the harness's own self-test
(`realclient.py --standin`), so that the harness can be exercised without the livetape binary.

Serves, on one loopback port, the signing service's `GET /webcast/fetch` (the tape's first
`/webcast/fetch` answer, with `push_server` rewritten to this server) and the push WebSocket:
after the client's first message (im_enter_room) it sends every recorded server-to-client
binary message in order, as fast as it can, then reads the client's heartbeats and acks until
the client closes. Prints the same JSON line as `livetape serve` and runs until SIGINT/SIGTERM.

Usage: standin_server.py TAPE
"""

import asyncio
import base64
import contextlib
import json
import signal
import socket
import sys
import urllib.parse

from websockets.asyncio.server import serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Response

from TikTokLive.proto import ProtoMessageFetchResult

PUSH_PATH = "/webcast/im/push/v2/"
# Describe the recorded body and connection; replaced for the rewritten body.
DROPPED_HEADERS = {"content-length", "content-encoding", "transfer-encoding", "connection"}


def body_bytes(body):
    if not body:
        return b""
    if "base64" in body:
        return base64.b64decode(body["base64"] + "=" * (-len(body["base64"]) % 4))
    return body.get("text", "").encode()


def read_tape(path):
    """The first /webcast/fetch answer (headers, body) and the recorded server-to-client messages."""
    fetch = None
    pushed = []
    with open(path, encoding="utf-8") as f:
        records = [json.loads(line) for line in f.readlines()[1:] if line.strip()]
    for r in records:
        if (fetch is None and r["kind"] == "http" and r.get("response")
                and urllib.parse.urlsplit(r["request"]["url"]).path.endswith("/webcast/fetch")):
            fetch = (r["response"].get("headers", []), body_bytes(r["response"].get("body")))
        elif r["kind"] == "ws_message" and r["dir"] == "recv" and r["opcode"] in ("binary", 2):
            pushed.append(body_bytes(r.get("payload")))
    if fetch is None:
        sys.exit(f"{path}: no /webcast/fetch answer")
    return fetch, pushed


async def main(tape):
    (headers, body), pushed = read_tape(tape)
    sock = socket.create_server(("127.0.0.1", 0))
    base = "127.0.0.1:%d" % sock.getsockname()[1]
    result = ProtoMessageFetchResult().parse(body)
    result.push_server = f"ws://{base}{PUSH_PATH}"
    fetch_body = bytes(result)
    fetch_headers = [(k, v) for k, v in headers if k.lower() not in DROPPED_HEADERS]
    fetch_headers += [("Content-Length", str(len(fetch_body))), ("Connection", "close")]

    def process_request(connection, request):
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return None
        if urllib.parse.urlsplit(request.path).path != "/webcast/fetch":
            return connection.respond(404, "not found\n")
        return Response(200, "OK", Headers(fetch_headers), fetch_body)

    async def push(ws):
        await ws.recv()

        async def send_all():
            with contextlib.suppress(ConnectionClosed):
                for payload in pushed:
                    await ws.send(payload)

        sender = asyncio.create_task(send_all())
        with contextlib.suppress(ConnectionClosed):
            async for _ in ws:
                pass
        await sender

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with serve(push, sock=sock, process_request=process_request, subprotocols=["echo-protocol"]):
        print(json.dumps({"sign_url": f"http://{base}", "push_url": f"ws://{base}{PUSH_PATH}",
                          "eulerstream_url": f"http://{base}/api/eulerstream"}, separators=(",", ":")), flush=True)
        await stop.wait()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[-1])
    asyncio.run(main(sys.argv[1]))
