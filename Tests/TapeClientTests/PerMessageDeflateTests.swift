import Foundation
import MockServers
import Synchronization
import Tape
import TapeClient
import Testing
import WireKit

/// The push server's permessage-deflate (RFC 7692), seen on the wire by a raw client, and the
/// tape client's.
@Suite(.serialized, .timeLimit(.minutes(2))) struct PerMessageDeflateTests {
    let tape: ServedTape
    init() throws { tape = try ServedTape(path: fixture("session-5min.tape")) }

    private var pushTarget: String { "/webcast/im/push/v2/?room_id=7441523998651237126" }

    /// Runs `body` with the mock servers for `tape` at full speed and the push server's port.
    private func withPushServer(_ configuration: ReplayServers.Configuration = .init(speed: .max),
                                _ body: (Int) async throws -> Void) async throws {
        let servers = try await ReplayServers.start(tape: tape, configuration: configuration)
        let pushPort = Int(servers.pushURL.split(separator: ":")[2].prefix { $0.isNumber })!
        do { try await body(pushPort) } catch {
            await servers.shutdown()
            throw error
        }
        await servers.shutdown()
    }

    /// Upgrades with `offer`, reads the response and one data frame per recorded server
    /// message: the response head and the frames.
    private func receiveSession(on port: Int, offer: String?) async throws -> (head: String, frames: [ServerFrame]) {
        let raw = try RawConnection(port: port)
        raw.send(upgradeRequest(pushTarget, extensions: offer))
        let count = tape.sessions[0].serverMessages.count
        let bytes = await raw.read { serverFrames(in: $0).count >= count }
        raw.send(webSocketFrame(opcode: 8, payload: [0x03, 0xE8]))
        let head = String(decoding: bytes.prefix(4096), as: UTF8.self).components(separatedBy: "\r\n\r\n")[0]
        return (head, serverFrames(in: bytes))
    }

    private func extensionsHeader(in head: String) -> String? {
        head.components(separatedBy: "\r\n").first { $0.lowercased().hasPrefix("sec-websocket-extensions:") }
            .map { String($0.drop { $0 != ":" }.dropFirst()).trimmingCharacters(in: .whitespaces) }
    }

    /// Every server message goes out compressed (RSV1) and inflates, in order, into the tape's
    /// message: with one window kept across messages, with a fresh one for each when the client
    /// asked for server_no_context_takeover, and within the window the client allowed. Offers
    /// the server cannot take (a leading zero, an unknown parameter) are declined for the next.
    @Test(arguments: [
        ("permessage-deflate; client_max_window_bits", "permessage-deflate", true, 15),
        ("permessage-deflate; server_no_context_takeover; client_no_context_takeover",
         "permessage-deflate; server_no_context_takeover; client_no_context_takeover", false, 15),
        ("permessage-deflate; server_max_window_bits=08, permessage-deflate; mystery, permessage-deflate; server_max_window_bits=8",
         "permessage-deflate; server_max_window_bits=8", true, 8),
    ])
    func serverMessagesAreCompressed(offer: String, accepted: String, contextTakeover: Bool, windowBits: Int) async throws {
        try await withPushServer { port in
            let (head, frames) = try await receiveSession(on: port, offer: offer)
            #expect(head.hasPrefix("HTTP/1.1 101"))
            #expect(extensionsHeader(in: head) == accepted)
            let recorded = tape.sessions[0].serverMessages.map(\.payload)
            #expect(frames.count == recorded.count)
            #expect(frames.allSatisfy { $0.rsv1 && $0.fin && $0.opcode == 2 })
            let inflater = StreamingInflater(windowBits: windowBits)
            for (index, (frame, message)) in zip(frames, recorded).enumerated() {
                if !contextTakeover { inflater.reset() }
                let inflated = try inflater.inflate(frame.payload)
                guard inflated == message else {
                    Issue.record("message \(index) inflates to \(inflated.count) bytes, recorded \(message.count)")
                    return
                }
            }
            if contextTakeover {
                // A window kept across messages: some message refers back to an earlier one.
                #expect(frames.contains { (try? StreamingInflater().inflate($0.payload)) == nil })
            }
        }
    }

    @Test func aClientThatOffersNothingGetsPlainFrames() async throws {
        try await withPushServer { port in
            let (head, frames) = try await receiveSession(on: port, offer: nil)
            #expect(head.hasPrefix("HTTP/1.1 101"))
            #expect(extensionsHeader(in: head) == nil)
            #expect(frames.allSatisfy { !$0.rsv1 })
            #expect(frames.map(\.payload) == tape.sessions[0].serverMessages.map(\.payload))
        }
    }

    /// The recorded client messages, compressed with one window, are inflated before the session
    /// monitor reads them: it finds the im_enter_room and every ack, and reports the compression.
    @Test func compressedClientMessagesAreInflatedForTheMonitor() async throws {
        let reports = Mutex<[SessionReport]>([])
        try await withPushServer(.init(speed: .max, report: { r in reports.withLock { $0.append(r) } })) { port in
            let raw = try RawConnection(port: port)
            raw.send(upgradeRequest(pushTarget, extensions: "permessage-deflate"))
            let count = tape.sessions[0].serverMessages.count
            _ = await raw.read { serverFrames(in: $0).count >= count }
            let deflater = StreamingDeflater()
            for message in tape.sessions[0].clientMessages {
                raw.send(webSocketFrame(opcode: 2, payload: deflater.deflate(message.payload), rsv1: true))
            }
            raw.send(webSocketFrame(opcode: 8, payload: [0x03, 0xE8]))
            _ = await raw.readAll()
            for _ in 0..<100 where reports.withLock({ $0.isEmpty }) { try await Task.sleep(for: .milliseconds(20)) }
        }
        let report = try #require(reports.withLock { $0.first })
        #expect(report.enterRooms == 1)
        #expect(report.acksExpected > 0 && report.acksReceived == report.acksExpected)
        #expect(report.deviations.isEmpty, "\(report.deviations)")
        #expect(report.permessageDeflate == "permessage-deflate")
        #expect(report.json["permessage_deflate"] == .string("permessage-deflate"))
    }

    /// A small compressed message that inflates past the server's message limit closes the
    /// connection with 1009.
    @Test func aDeflateBombIsClosedWith1009() async throws {
        let limit = 64 << 10
        let bomb = StreamingDeflater().deflate([UInt8](repeating: 0, count: 16 << 20))
        #expect(bomb.count < limit, "the compressed frame itself is within the limit")
        try await withPushServer(.init(speed: .max, maxFrameBytes: limit)) { port in
            let raw = try RawConnection(port: port)
            raw.send(upgradeRequest(pushTarget, extensions: "permessage-deflate"))
            #expect(String(decoding: await raw.read(until: "\r\n\r\n"), as: UTF8.self).hasPrefix("HTTP/1.1 101"))
            raw.send(webSocketFrame(opcode: 2, payload: bomb, rsv1: true))
            let rest = [UInt8]("HTTP/1.1 101\r\n\r\n".utf8) + (await raw.readAll())
            #expect(closeCode(in: rest) == 1009)
        }
    }

    /// With permessage-deflate negotiated, RSV1 on a message is the extension's, but the other
    /// reserved bits, RSV1 on a control frame and data that does not inflate still close the
    /// connection, with the session report naming the server's close and nothing sent after it.
    @Test(arguments: [("rsv2", 1002), ("rsv1 on a ping", 1002), ("corrupt data", 1007)])
    func aBadFrameOnACompressedConnectionIsClosedWithItsCode(name: String, code: Int) async throws {
        let frame = switch name {
        case "rsv2": webSocketFrame(opcode: 0x20 | 2, payload: [1])
        case "rsv1 on a ping": webSocketFrame(opcode: 9, payload: [1], rsv1: true)
        default: webSocketFrame(opcode: 2, payload: [0xFF, 0xFF, 0xFF, 0xFF], rsv1: true)
        }
        let reports = Mutex<[SessionReport]>([])
        try await withPushServer(.init(speed: .max, report: { r in reports.withLock { $0.append(r) } })) { port in
            let raw = try RawConnection(port: port)
            raw.send(upgradeRequest(pushTarget, extensions: "permessage-deflate"))
            #expect(String(decoding: await raw.read(until: "\r\n\r\n"), as: UTF8.self).hasPrefix("HTTP/1.1 101"))
            raw.send(frame)
            let rest = [UInt8]("HTTP/1.1 101\r\n\r\n".utf8) + (await raw.readAll())
            #expect(closeCode(in: rest) == code, "\(name)")
            #expect(framesAfterTheFirstClose(in: rest) == 0, "\(name): nothing follows the close frame")
            for _ in 0..<100 where reports.withLock({ $0.isEmpty }) { try await Task.sleep(for: .milliseconds(20)) }
        }
        let close = try #require(reports.withLock { $0.first }?.close)
        #expect(close.by == .server && close.code == code, "\(name)")
    }

    /// The tape client offers permessage-deflate when the recorded handshake did, and records
    /// both directions as compressed, with the tape's payloads.
    @Test func theTapeClientReplaysACompressedSession() async throws {
        var offering = tape
        offering.sessions[0].open.requestHeaders.append(HTTPHeader("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"))
        let collected = Collected()
        let outcome = try await OfflineReplay.run(tape: offering, configuration: .init(speed: .max), record: collected.append)
        let report = try #require(outcome.sessions.first)
        #expect(report.permessageDeflate == "permessage-deflate")
        #expect(report.deviations.isEmpty, "\(report.deviations)")
        let messages = collected.all.compactMap { if case .wsMessage(let m) = $0 { m } else { nil } }
        #expect(messages.filter { $0.direction == .recv }.map(\.payload.bytes) == tape.sessions[0].serverMessages.map(\.payload))
        #expect(messages.filter { $0.direction == .send }.map(\.payload.bytes) == tape.sessions[0].clientMessages.map(\.payload))
        #expect(!messages.isEmpty && messages.allSatisfy(\.compressed))
        let open = try #require(collected.all.compactMap { if case .wsOpen(let o) = $0 { o } else { nil } }.first)
        #expect(open.response?.headers.contains { $0.name.lowercased() == "sec-websocket-extensions" && $0.value == "permessage-deflate" } == true)
    }
}
