import Foundation
import Testing
@testable import Tape

enum Sample {
    static let header = TapeHeader(
        created: "2026-11-29T12:00:00Z",
        source: TapeSource(kind: "synth", detail: "TapeTests"),
        redacted: ["x-api-key", "cookie:sessionid"])

    static let headerLine = #"{"format":"livetape-tape","version":1,"created":"2026-11-29T12:00:00Z","source":{"kind":"synth"}}"#

    /// Protobuf-like bytes with control characters and gzip magic: must be stored as base64.
    static let binary: [UInt8] = [0x08, 0x96, 0x01, 0x1F, 0x8B, 0x08, 0x00, 0xFF, 0x00, 0x3A, 0x02, 0x68, 0x62]

    /// One record of every kind, with optional fields both set and unset.
    static let records: [TapeRecord] = [
        .http(HTTPExchange(
            timeMicros: 0, conn: 1, durationMicros: 250_000,
            request: HTTPRequest(
                method: "GET",
                url: "https://api.eulerstream.com/webcast/fetch?client=ttlive-python&room_id=7&version_code=180800&version_code=270000",
                headers: [HTTPHeader("User-Agent", "TikTokLive.py/7.0.1"), HTTPHeader("x-api-key", "<redacted>"),
                          HTTPHeader("Accept", "a"), HTTPHeader("Accept", "b")]),
            response: HTTPResponse(
                status: 200, reason: "OK",
                headers: [HTTPHeader("Content-Encoding", "gzip"), HTTPHeader("X-Set-TT-Cookie", "ttwid=x; tt_csrf_token=y")],
                contentEncoding: "gzip",
                body: Body(binary)))),
        .http(HTTPExchange(
            timeMicros: 1_000,
            request: HTTPRequest(method: "POST", url: "http://127.0.0.1:8080/api/eulerstream",
                                 headers: [HTTPHeader("Content-Type", "application/json")],
                                 body: Body(text: #"{"url": "https://www.tiktok.com/@id/live"}"#)),
            response: nil,
            error: "connection refused")),
        .wsOpen(WebSocketOpen(
            timeMicros: 2_000, conn: 2,
            url: "wss://webcast16-ws-useast1a.tiktok.com/webcast/im/push/?room_id=7&compress=gzip",
            requestHeaders: [HTTPHeader("Cookie", "tt-target-idc=useast1a"), HTTPHeader("Sec-WebSocket-Protocol", "echo-protocol")],
            response: HTTPResponse(status: 101, reason: "Switching Protocols",
                                   headers: [HTTPHeader("Upgrade", "websocket"), HTTPHeader("Handshake-Options", "ping-interval=10")]),
            subprotocol: "echo-protocol")),
        .wsOpen(WebSocketOpen(
            timeMicros: 2_500, conn: 3, url: "wss://webcast-ws.tiktok.com/webcast/im/push/",
            response: HTTPResponse(status: 200, headers: [HTTPHeader("Handshake-Status", "417"), HTTPHeader("Handshake-Msg", "illegal secret key")]))),
        .wsOpen(WebSocketOpen(timeMicros: 2_600, conn: 4, url: "ws://127.0.0.1:9/", response: nil, error: "timed out")),
        .wsMessage(WebSocketMessage(timeMicros: 3_000, conn: 2, direction: .recv, opcode: .binary, payload: Body(binary), compressed: true)),
        .wsMessage(WebSocketMessage(timeMicros: 3_000, conn: 2, direction: .send, opcode: .text, payload: "héllo \"wörld\"\n😀")),
        .wsMessage(WebSocketMessage(timeMicros: 3_100, conn: 2, direction: .recv, opcode: .ping, payload: .empty)),
        .wsMessage(WebSocketMessage(timeMicros: 3_200, conn: 2, direction: .send, opcode: .reserved(3), payload: Body([0xC3, 0x28]))),
        .wsMessage(WebSocketMessage(timeMicros: 3_300, conn: 2, direction: .recv, opcode: .continuation, payload: "tail")),
        .gap(CaptureGap(timeMicros: 4_000, conn: 2, direction: .recv, length: 1_460)),
        .wsClose(WebSocketClose(timeMicros: 5_000, conn: 2, code: 1000, reason: "bye", by: .server)),
        .wsClose(WebSocketClose(timeMicros: 9_007_199_254_740_991, conn: 3, by: .abnormal)),
    ]
}

/// Header line plus the given lines, each followed by a newline.
func tape(_ lines: [String], header: String = Sample.headerLine) -> [UInt8] {
    Array(([header] + lines).map { $0 + "\n" }.joined().utf8)
}

/// Encodes the sample header and `records` with `TapeEncoder`.
func encodedTape(_ records: [TapeRecord], header: TapeHeader = Sample.header) -> [UInt8] {
    records.reduce(TapeEncoder.encode(header)) { $0 + TapeEncoder.encode($1) }
}

func line(_ record: TapeRecord) -> String {
    var bytes = TapeEncoder.encode(record)
    bytes.removeLast()
    return String(decoding: bytes, as: UTF8.self)
}

func entries(_ reader: TapeReader) -> [TapeEntry] { Array(reader) }

func records(_ reader: TapeReader) -> [TapeRecord] {
    reader.compactMap { try? $0.result.get() }
}

func failures(_ reader: TapeReader) -> [(line: Int, error: TapeError)] {
    reader.compactMap { entry in
        if case .failure(let error) = entry.result { return (entry.line, error) }
        return nil
    }
}

/// A fresh path in a per-test temporary directory.
func temporaryPath(_ name: String = "test.tape") -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("TapeTests-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent(name).path
}

/// Expects `body` to throw a `TapeError` and returns it.
func tapeError(_ body: () throws -> Void) -> TapeError? {
    do {
        try body()
        return nil
    } catch let error as TapeError {
        return error
    } catch {
        Issue.record("expected a TapeError, got \(error)")
        return nil
    }
}
