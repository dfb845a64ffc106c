import Foundation
import Capture
import Tape
import Testing
import TLSDecryption
import WireKit

let fixtures = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures")

/// A capture of a tape's traffic as it would have crossed the wire in clear text: each
/// connection's bytes (HTTP/1.1, WebSocket frames — client frames masked, server frames
/// optionally permessage-deflate), cut into segments and written in the tape's time order.
struct WireCapture {
    var writer = PcapWriter()
    var sequences: [Int: (client: UInt32, server: UInt32)] = [:]
    let deflate: Bool
    let deflater = StreamingDeflater()

    init(tape records: [TapeRecord], deflate: Bool, segmentSize: Int = 1400) {
        self.deflate = deflate
        for record in records {
            switch record {
            case .http(let e):
                let target = Self.target(of: e.request.url)
                var request = "\(e.request.method) \(target) HTTP/1.1\r\nHost: signing.example\r\n"
                request += e.request.headers.filter { $0.name.lowercased() != "host" }.map { "\($0.name): \($0.value)\r\n" }.joined() + "\r\n"
                send(conn: e.conn ?? 1, fromClient: true, Array(request.utf8), time: e.timeMicros, size: segmentSize)
                guard let r = e.response else { continue }
                var response = "HTTP/1.1 \(r.status) \(r.reason ?? "OK")\r\n"
                response += r.headers.filter { $0.name.lowercased() != "content-length" }.map { "\($0.name): \($0.value)\r\n" }.joined()
                response += "Content-Length: \(r.body.count)\r\n\r\n"
                send(conn: e.conn ?? 1, fromClient: false, Array(response.utf8) + r.body.bytes, time: e.timeMicros + 1000, size: segmentSize)
            case .wsOpen(let o):
                let target = Self.target(of: o.url)
                var request = "GET \(target) HTTP/1.1\r\nHost: push.example\r\n"
                request += o.requestHeaders.filter { $0.name.lowercased() != "host" }.map { "\($0.name): \($0.value)\r\n" }.joined() + "\r\n"
                send(conn: o.conn, fromClient: true, Array(request.utf8), time: o.timeMicros, size: segmentSize)
                guard let r = o.response else { continue }
                var response = "HTTP/1.1 \(r.status) \(r.reason ?? "")\r\n" + r.headers.map { "\($0.name): \($0.value)\r\n" }.joined()
                if deflate && r.status == 101 { response += "Sec-WebSocket-Extensions: permessage-deflate\r\n" }
                send(conn: o.conn, fromClient: false, Array((response + "\r\n").utf8), time: o.timeMicros + 500, size: segmentSize)
            case .wsMessage(let m):
                let fromClient = m.direction == .send
                var payload = m.payload.bytes
                var first: UInt8 = 0x80 | m.opcode.rawValue
                if deflate && !fromClient {
                    payload = deflater.deflate(payload)
                    first |= 0x40
                }
                send(conn: m.conn, fromClient: fromClient, frame(first, payload, masked: fromClient), time: m.timeMicros, size: segmentSize)
            case .wsClose(let c):
                guard c.by != .abnormal else { continue }
                let code = c.code.map { [UInt8($0 >> 8), UInt8($0 & 0xFF)] } ?? []
                send(conn: c.conn, fromClient: c.by == .client, frame(0x88, code, masked: c.by == .client), time: c.timeMicros, size: segmentSize)
            case .gap:
                continue
            }
        }
    }

    /// Path and query of an absolute URL.
    static func target(of url: String) -> String {
        let rest = url[url.range(of: "://")!.upperBound...]
        return String(rest[(rest.firstIndex(of: "/") ?? rest.endIndex)...])
    }

    private func frame(_ first: UInt8, _ payload: [UInt8], masked: Bool) -> [UInt8] {
        webSocketFrame(first: first, payload: payload, masked: masked)
    }

    /// Adds `bytes` of one direction of connection `conn` (opened with a SYN before its first bytes).
    mutating func send(conn: Int, fromClient: Bool, _ bytes: [UInt8], time: UInt64, size: Int) {
        if sequences[conn] == nil {
            sequences[conn] = (1000, 9000)
            writer.segment(conn: conn, fromClient: true, sequence: 999, flags: 0x02, payload: [], time: time)
        }
        var offset = 0
        while offset < bytes.count {
            let piece = Array(bytes[offset..<min(bytes.count, offset + size)])
            let sequence = fromClient ? sequences[conn]!.client : sequences[conn]!.server
            writer.segment(conn: conn, fromClient: fromClient, sequence: sequence, payload: piece, time: time)
            if fromClient { sequences[conn]!.client &+= UInt32(piece.count) } else { sequences[conn]!.server &+= UInt32(piece.count) }
            offset += size
        }
    }
}

func webSocketFrame(first: UInt8, payload: [UInt8], masked: Bool) -> [UInt8] {
    var frame: [UInt8] = [first]
    let maskBit: UInt8 = masked ? 0x80 : 0
    switch payload.count {
    case ..<126: frame.append(maskBit | UInt8(payload.count))
    case ..<65536: frame += [maskBit | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
    default: frame += [maskBit | 127] + (0..<8).reversed().map { UInt8((payload.count >> ($0 * 8)) & 0xFF) }
    }
    guard masked else { return frame + payload }
    let key: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
    return frame + key + payload.enumerated().map { $1 ^ key[$0 % 4] }
}

func importCapture(_ writer: PcapWriter, keyLog: KeyLog? = nil) throws -> (records: [TapeRecord], summary: CaptureImporter.Summary) {
    let path = temporaryCapture()
    defer { try? FileManager.default.removeItem(atPath: path) }
    try writer.write(to: path)
    let file = try PcapFile(path: path)
    var importer = CaptureImporter(keyLog: keyLog)
    while let packet = try file.next() { importer.add(packet, linkType: file.linkType) }
    let records = importer.finish()
    return (records, importer.summary)
}

@Suite struct CaptureImportTests {
    let original: [TapeRecord]
    init() throws {
        original = try TapeReader(path: fixtures.appendingPathComponent("session-5min.tape").path).map { try $0.result.get() }
    }

    private func messages(_ records: [TapeRecord], _ direction: TapeDirection) -> [[UInt8]] {
        records.compactMap { if case .wsMessage(let m) = $0, m.direction == direction { m.payload.bytes } else { nil } }
    }

    @Test(arguments: [false, true])
    func aClearTextCaptureOfASessionGivesBackItsTraffic(deflate: Bool) throws {
        let (records, summary) = try importCapture(WireCapture(tape: original, deflate: deflate).writer)
        #expect(summary.connections == 2 && summary.exchanges == 1 && summary.webSocketSessions == 1)
        #expect(summary.gaps == 0 && summary.unparsed == [])
        #expect(messages(records, .recv) == messages(original, .recv), "every server message, inflated, in order")
        #expect(messages(records, .send) == messages(original, .send))
        let exchange = try #require(records.compactMap { if case .http(let e) = $0 { e } else { nil } }.first)
        let recorded = try #require(original.compactMap { if case .http(let e) = $0 { e } else { nil } }.first)
        #expect(exchange.response?.body == recorded.response?.body)
        #expect(exchange.request.url.hasSuffix("/webcast/fetch?" + recorded.request.url.split(separator: "?", maxSplits: 1)[1]))
        let open = records.compactMap { if case .wsOpen(let o) = $0 { o } else { nil } }.first
        #expect(open?.response?.status == 101 && open?.subprotocol == "echo-protocol")
        let close = records.compactMap { if case .wsClose(let c) = $0 { c } else { nil } }
        #expect(close.count == 1 && close.first?.by == .client && close.first?.code == 1000)
        #expect(records.filter { if case .wsMessage(let m) = $0 { m.compressed } else { false } }.count == (deflate ? messages(original, .recv).count : 0))
    }

    @Test func smallSegmentsAndTheirOrderDoNotMatter() throws {
        var capture = WireCapture(tape: Array(original.prefix(40)), deflate: false, segmentSize: 97).writer
        capture.packets.swapAt(5, 6)
        capture.packets.insert(capture.packets[10], at: 12)   // a retransmission
        let (records, summary) = try importCapture(capture)
        #expect(summary.gaps == 0)
        #expect(messages(records, .recv) == messages(Array(original.prefix(40)), .recv))
    }

    /// Many small segments over minutes of capture time: records leave the importer while it
    /// reads (in batches), in time order, and nothing is lost.
    @Test func recordsAreWrittenAsTheImportGoes() throws {
        let path = temporaryCapture()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try WireCapture(tape: original, deflate: false, segmentSize: 150).writer.write(to: path)
        var batches: [[TapeRecord]] = []
        var progress: [Int] = []
        let (summary, readError) = try CaptureImporter.importFile(path, progress: { progress.append($0) }) { batches.append($0) }
        #expect(readError == nil && summary.gaps == 0)
        #expect(batches.filter { !$0.isEmpty }.count > 2, "records came out before the end")
        #expect(progress.count > 2 && progress == progress.sorted())
        let records = batches.flatMap { $0 }
        #expect(zip(records, records.dropFirst()).allSatisfy { $0.timeMicros <= $1.timeMicros })
        #expect(messages(records, .recv) == messages(original, .recv))
        #expect(messages(records, .send) == messages(original, .send))
    }

    /// A connection that ended with a FIN each way is finished then, not at the end of the
    /// capture (so memory holds only open connections): a response that lasts until the close is
    /// complete as soon as both FINs are in, a late retransmission opens nothing, and a new SYN
    /// on the same ports is a new connection.
    @Test func aConnectionIsFinishedWhenBothSidesCloseIt() throws {
        let request = Array("GET /a HTTP/1.1\r\nHost: h\r\n\r\n".utf8), response = Array("HTTP/1.1 200 OK\r\n\r\nuntil the close".utf8)
        var capture = PcapWriter()
        capture.segment(fromClient: true, sequence: 999, flags: 0x02, payload: [])
        capture.segment(fromClient: true, sequence: 1000, payload: request)
        capture.segment(fromClient: false, sequence: 9000, payload: response)
        capture.segment(fromClient: true, sequence: 1000 + UInt32(request.count), flags: 0x11, payload: [])
        capture.segment(fromClient: false, sequence: 9000 + UInt32(response.count), flags: 0x11, payload: [])
        let closedAt = capture.packets.count
        capture.segment(fromClient: false, sequence: 9000, payload: response)
        capture.segment(fromClient: true, sequence: 4999, flags: 0x02, payload: [])
        capture.segment(fromClient: true, sequence: 5000, payload: Array("GET /b HTTP/1.1\r\nHost: h\r\n\r\n".utf8))
        capture.segment(fromClient: false, sequence: 7000, payload: Array("HTTP/1.1 204 No Content\r\n\r\n".utf8))
        let path = temporaryCapture()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try capture.write(to: path)
        let file = try PcapFile(path: path)
        var importer = CaptureImporter()
        var beforeTheEnd: [TapeRecord] = []
        while let packet = try file.next() {
            importer.add(packet, linkType: file.linkType)
            if packet.number == closedAt { beforeTheEnd = importer.drain(before: .max) }
        }
        let exchanges = (beforeTheEnd + importer.finish()).compactMap { if case .http(let e) = $0 { e } else { nil } }
        guard case .http(let first)? = beforeTheEnd.first else {
            Issue.record("no exchange before the end: \(beforeTheEnd)")
            return
        }
        #expect(first.response?.body == Body(text: "until the close"))
        #expect(exchanges.map(\.conn) == [1, 2])
        #expect(exchanges.map(\.request.url) == ["http://h/a", "http://h/b"])
        #expect(importer.summary.connections == 2 && importer.summary.gaps == 0 && importer.summary.unparsed == [], "\(importer.summary)")
    }

    /// A gzip body that does not inflate is stored as sent; a compressed message that does not
    /// inflate is left out; both are named.
    @Test func whatDoesNotInflateIsNamed() throws {
        let corrupt: [UInt8] = [0x1F, 0x8B, 0x08, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF]
        let exchange = HTTPExchange(timeMicros: 0, conn: 1, request: HTTPRequest(url: "http://signing.example/webcast/fetch"),
                                    response: HTTPResponse(status: 200, headers: [HTTPHeader("Content-Encoding", "gzip")], body: Body(corrupt)))
        let open = WebSocketOpen(timeMicros: 10, conn: 2, url: "ws://push.example/", response: HTTPResponse(status: 101, reason: "Switching Protocols"))
        let message = WebSocketMessage(timeMicros: 20, conn: 2, direction: .recv, payload: "hello")
        var writer = WireCapture(tape: [.http(exchange), .wsOpen(open), .wsMessage(message)], deflate: true).writer
        let last = writer.packets.count - 1
        writer.packets[last].bytes.replaceSubrange(56..., with: repeatElement(0xFF, count: writer.packets[last].bytes.count - 56))
        let (records, summary) = try importCapture(writer)
        #expect(summary.unparsed == [
            "connection 1: gzip body of a 200 response stored as sent: corrupt compressed data (invalid block type) at input byte 11",
            "connection 2: permessage-deflate: corrupt compressed data (invalid block type) at input byte 1",
        ])
        let stored = records.compactMap { if case .http(let e) = $0 { e.response } else { nil } }.first
        #expect(stored?.body.bytes == corrupt && stored?.contentEncoding == nil)
        #expect(messages(records, .recv).isEmpty)
    }

    /// A capture that ends inside a response or a frame says so; the request is kept, with an error.
    @Test func whatTheCaptureEndsInsideIsNamed() throws {
        let exchange = HTTPExchange(timeMicros: 0, conn: 1, request: HTTPRequest(url: "http://signing.example/webcast/fetch"),
                                    response: HTTPResponse(status: 200, body: Body([UInt8](repeating: 0x41, count: 3000))))
        let open = WebSocketOpen(timeMicros: 10, conn: 2, url: "ws://push.example/", response: HTTPResponse(status: 101, reason: "Switching Protocols"))
        let message = WebSocketMessage(timeMicros: 20, conn: 2, direction: .recv, payload: Body([UInt8](repeating: 0x42, count: 3000)))
        for (tape, unfinished, kinds) in [([TapeRecord.http(exchange)], "a response body, 2759 of its 3000 bytes", ["http"]),
                                          ([.wsOpen(open), .wsMessage(message)], "a WebSocket frame, after 2800 bytes", ["ws_open", "ws_close"])] {
            var writer = WireCapture(tape: tape, deflate: false).writer
            writer.packets.removeLast()
            let (records, summary) = try importCapture(writer)
            #expect(summary.unparsed == ["connection 1: the capture ends inside \(unfinished)"])
            #expect(records.map(\.kind) == kinds)
            for case .http(let cut) in records { #expect(cut.response == nil && cut.error == "no complete response in the capture") }
        }
    }

    @Test func aTLSConnectionIsListedAndSkipped() throws {
        var capture = PcapWriter()
        capture.segment(fromClient: true, sequence: 1, payload: [0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5])
        let (records, summary) = try importCapture(capture)
        #expect(records.isEmpty)
        #expect(summary.skippedTLS.count == 1)
    }
}

@Suite struct ResynchronizationTests {
    let original: [TapeRecord]
    init() throws {
        original = try TapeReader(path: fixtures.appendingPathComponent("session-5min.tape").path).map { try $0.result.get() }
    }

    private func recv(_ records: [TapeRecord]) -> [[UInt8]] {
        records.compactMap { if case .wsMessage(let m) = $0, m.direction == .recv { m.payload.bytes } else { nil } }
    }

    /// Server packets of the WebSocket connection (client port 50001), by index in the capture.
    private func serverPackets(_ writer: PcapWriter, conn: Int = 2) -> [Int] {
        let port = UInt8((50000 + conn - 1) & 0xFF)
        return writer.packets.indices.filter { i in
            let p = writer.packets[i].bytes
            return p.count > 54 && p[34] == 0x01 && p[35] == 0xBB && p[37] == port
        }
    }

    /// A capture that starts in the middle of a WebSocket session (no SYN, no handshake, the
    /// first packet cut mid-frame) still yields the messages from the first whole frame on.
    @Test func aCaptureThatStartsMidSessionFindsTheFrameBoundary() throws {
        var writer = WireCapture(tape: original, deflate: false, segmentSize: 300).writer
        let server = serverPackets(writer)
        // Keep the WebSocket connection only, from its 40th server packet (mid-frame).
        let start = server[40]
        writer.packets = writer.packets.enumerated().filter { i, packet in
            let p = packet.bytes
            return i >= start && ((p[34] == 0xC3 && p[35] == 0x51) || (p[36] == 0xC3 && p[37] == 0x51))
        }.map(\.element)
        let (records, summary) = try importCapture(writer)
        #expect(summary.webSocketSessions == 1)
        #expect(summary.resynchronized.count == 1, "\(summary)")
        let open = records.compactMap { if case .wsOpen(let o) = $0 { o } else { nil } }.first
        #expect(open?.error == "the capture starts after the WebSocket handshake")
        let got = recv(records), all = recv(original)
        #expect(got.count > all.count / 2 && got.count < all.count, "\(got.count) of \(all.count); \(summary)")
        #expect(Array(all.suffix(got.count)) == got, "a suffix of the session, nothing spliced")
    }

    /// A stretch missing from the middle of the server's stream is a gap record; the messages
    /// on both sides of it are intact.
    @Test func aGapInsideASessionIsSkippedToTheNextFrame() throws {
        var writer = WireCapture(tape: original, deflate: false, segmentSize: 300).writer
        let server = serverPackets(writer)
        writer.packets.removeSubrange(server[500]...server[503])
        let (records, summary) = try importCapture(writer)
        #expect(summary.gaps == 1 && summary.resynchronized.count == 1)
        #expect(records.contains { if case .gap(let g) = $0 { g.direction == .recv && g.length > 0 } else { false } })
        let got = recv(records), all = recv(original)
        #expect(got.count < all.count && got.count > all.count - 10)
        // Everything received is in the original, in order: a prefix and a suffix around the hole.
        var prefix = 0
        while prefix < got.count, got[prefix] == all[prefix] { prefix += 1 }
        #expect(Array(got[prefix...]) == Array(all.suffix(got.count - prefix)))
    }
}
