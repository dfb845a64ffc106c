import Foundation
import Capture
import MockServers
import Tape
import Testing
import WireKit

/// The `tshark` executable on PATH (Debian's package, installed by tools/setup), or nil.
let tshark: String? = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
    .map { "\($0)/tshark" }.first { FileManager.default.isExecutableFile(atPath: $0) }

/// Why a cross-check could not run: tshark failed, or the loopback session could not be played.
struct CrossCheckError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) { self.description = description }
}

/// The WebSocket messages of one connection in a capture, per direction.
struct WebSocketTraffic {
    var sent: [[UInt8]] = []
    var received: [[UInt8]] = []
    /// The first close frame: who sent it, and its code.
    var close: String?

    /// What `livetape import` makes of `records`.
    init(imported records: [TapeRecord]) {
        for record in records {
            switch record {
            case .wsMessage(let m) where m.direction == .send: sent.append(m.payload.bytes)
            case .wsMessage(let m): received.append(m.payload.bytes)
            case .wsClose(let c) where c.by != .abnormal: close = "\(c.by.rawValue) \(c.code ?? 0)"
            default: break
            }
        }
    }

    /// What tshark makes of `capture`, with the server on `serverPort` read as HTTP: every
    /// message's payload as tshark hands it on (`data.data`: unmasked, fragments joined,
    /// permessage-deflate inflated), one line per packet, and the first close frame.
    init(tshark executable: String, capture: String, serverPort: Int) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-r", capture, "-o", "tcp.desegment_tcp_streams:TRUE", "-d", "tcp.port==\(serverPort),http",
                             "-Y", "websocket", "-T", "fields", "-E", "separator=/t",
                             "-e", "tcp.srcport", "-e", "data.data", "-e", "websocket.payload.close.status_code"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CrossCheckError("tshark exited \(process.terminationStatus)") }
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 3, let port = Int(fields[0]) else { continue }
            let fromClient = port != serverPort
            for hex in fields[1].split(separator: ",") {
                let payload = Self.bytes(hex: hex)
                if fromClient { sent.append(payload) } else { received.append(payload) }
            }
            if close == nil, let code = fields[2].split(separator: ",").first {
                close = "\(fromClient ? "client" : "server") \(code)"
            }
        }
    }

    private static func bytes(hex: Substring) -> [UInt8] {
        let digits = Array(hex.utf8)
        return stride(from: 0, to: digits.count - 1, by: 2).map { UInt8(String(decoding: digits[$0...$0 + 1], as: UTF8.self), radix: 16)! }
    }
}

/// A WebSocket session over one loopback TCP connection with permessage-deflate negotiated,
/// both ends in this process (`livetape serve` does not compress): the upgrade, `messages` in
/// order, each compressed by its sender with one window per direction kept across messages,
/// client frames masked, then a close from the client answered by the server.
struct DeflatedLoopbackSession {
    let port: Int
    private let listener: Int32

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = Self.loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, length) == 0 && listen(listener, 1) == 0 && getsockname(listener, $0, &length) == 0
            }
        }
        guard listener >= 0, listening else { throw CrossCheckError("cannot listen on 127.0.0.1: errno \(errno)") }
        self.listener = listener
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    private static func loopback(port: Int) -> sockaddr_in {
        sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: in_port_t(UInt16(port).bigEndian),
                    sin_addr: in_addr(s_addr: inet_addr("127.0.0.1")), sin_zero: (0, 0, 0, 0, 0, 0, 0, 0))
    }

    /// Plays the session; one thread drives both ends, so each write is read before the next.
    func play(_ messages: [(fromClient: Bool, payload: [UInt8])]) throws {
        defer { close(listener) }
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = Self.loopback(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        let server = accept(listener, nil, nil)
        defer { close(client); close(server) }
        guard connected, server >= 0 else { throw CrossCheckError("cannot connect on loopback: errno \(errno)") }
        // The key and accept value of RFC 6455's example handshake.
        try transfer(Array(("GET /webcast/im/push/v2/?room_id=1 HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            + "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n").utf8), from: client, to: server)
        try transfer(Array(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n").utf8), from: server, to: client)
        let deflaters = (client: StreamingDeflater(), server: StreamingDeflater())
        for message in messages {
            let compressed = (message.fromClient ? deflaters.client : deflaters.server).deflate(message.payload)
            let frame = webSocketFrame(first: 0xC2, payload: compressed, masked: message.fromClient)
            try transfer(frame, from: message.fromClient ? client : server, to: message.fromClient ? server : client)
        }
        try transfer(webSocketFrame(first: 0x88, payload: [0x03, 0xE8], masked: true), from: client, to: server)
        try transfer(webSocketFrame(first: 0x88, payload: [0x03, 0xE8], masked: false), from: server, to: client)
    }

    /// Writes `bytes` on `source` and reads them back from `destination`, 16 KiB at a time.
    private func transfer(_ bytes: [UInt8], from source: Int32, to destination: Int32) throws {
        var buffer = [UInt8](repeating: 0, count: 16 << 10)
        for start in stride(from: 0, to: bytes.count, by: buffer.count) {
            let chunk = bytes[start..<min(bytes.count, start + buffer.count)]
            guard chunk.withUnsafeBytes({ send(source, $0.baseAddress, $0.count, 0) }) == chunk.count else {
                throw CrossCheckError("loopback write failed: errno \(errno)")
            }
            var received = 0
            while received < chunk.count {
                let n = buffer.withUnsafeMutableBytes { recv(destination, $0.baseAddress, chunk.count - received, 0) }
                guard n > 0 else { throw CrossCheckError("loopback read failed: errno \(errno)") }
                received += n
            }
        }
    }
}

/// `livetape import` and tshark read the same loopback captures: every WebSocket message, per
/// direction and in order, with the same payload bytes, and the same first close frame. tshark 4.0
/// unmasks, joins fragments and inflates permessage-deflate (context takeover included), so
/// nothing is left out of the comparison.
@Suite(.timeLimit(.minutes(2)), .enabled(if: tshark != nil, "tshark is not installed (tools/setup installs it): no cross-check"))
struct TsharkCrossCheckTests {
    @Test func aCaptureOfLivetapeServeImportsAsTsharkReadsIt() async throws {
        let tape = try ServedTape(path: fixtures.appendingPathComponent("session-5min.tape").path)
        let (capture, pushPort) = try await captureOfServedSession(tape)
        defer { try? FileManager.default.removeItem(atPath: capture) }
        try expectSameTraffic(capture, serverPort: pushPort, played: tape.sessions[0])
    }

    @Test func aPermessageDeflateCaptureImportsAsTsharkInflatesIt() async throws {
        let tape = try ServedTape(path: fixtures.appendingPathComponent("compress-none.tape").path)
        let messages = (tape.sessions[0].clientMessages.map { (true, $0) } + tape.sessions[0].serverMessages.map { (false, $0) })
            .sorted { $0.1.offsetMicros < $1.1.offsetMicros }.map { (fromClient: $0.0, payload: $0.1.payload) }
        let session = try DeflatedLoopbackSession()
        let capture = try await withLoopbackCapture(ports: [session.port]) { try session.play(messages) }
        defer { try? FileManager.default.removeItem(atPath: capture) }
        let records = try expectSameTraffic(capture, serverPort: session.port, played: tape.sessions[0])
        let compressed = records.filter { if case .wsMessage(let m) = $0 { m.compressed } else { false } }
        #expect(compressed.count == messages.count)
    }

    /// Imports `capture` and compares it with tshark's reading; both must hold as many messages
    /// each way as `played` has, so that two empty readings cannot agree. Returns the records imported.
    @discardableResult
    private func expectSameTraffic(_ capture: String, serverPort: Int, played: RecordedSession) throws -> [TapeRecord] {
        let (records, summary, readError) = try CaptureImporter.importFile(capture)
        #expect(readError == nil && summary.gaps == 0 && summary.unparsed == [], "\(summary)")
        let imported = WebSocketTraffic(imported: records)
        let theirs = try WebSocketTraffic(tshark: tshark!, capture: capture, serverPort: serverPort)
        #expect(imported.close == "client 1000")
        #expect(theirs.close == imported.close)
        for (sender, ours, tsharks, count) in [("server", imported.received, theirs.received, played.serverMessages.count),
                                               ("client", imported.sent, theirs.sent, played.clientMessages.count)] {
            #expect(ours.count == count, "\(sender) messages imported")
            #expect(tsharks.count == count, "\(sender) messages read by tshark")
            if let index = zip(ours, tsharks).enumerated().first(where: { $1.0 != $1.1 })?.offset {
                Issue.record("\(sender) message \(index): livetape import has \(ours[index].count) bytes, tshark \(tsharks[index].count)")
            }
        }
        return records
    }
}
