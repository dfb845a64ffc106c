import Foundation
import Capture
import MockServers
import Tape
import Testing

/// The `tshark` executable on PATH (Debian's package, installed by tools/setup), or nil.
let tshark: String? = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
    .map { "\($0)/tshark" }.first { FileManager.default.isExecutableFile(atPath: $0) }

/// Why a cross-check could not run: tshark failed.
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

/// `livetape import` and tshark read the same loopback captures: every WebSocket message, per
/// direction and in order, with the same payload bytes, and the same first close frame. tshark 4.0
/// unmasks, joins fragments and inflates permessage-deflate (context takeover included), so
/// nothing is left out of the comparison.
@Suite(.timeLimit(.minutes(2)), .enabled(if: tshark != nil, "tshark is not installed (tools/setup installs it): no cross-check"))
struct TsharkCrossCheckTests {
    /// A capture of `livetape serve` with and without permessage-deflate negotiated.
    @Test(arguments: [false, true])
    func aCaptureOfLivetapeServeImportsAsTsharkReadsIt(deflate: Bool) async throws {
        let tape = try ServedTape(path: fixtures.appendingPathComponent("session-5min.tape").path)
        let (capture, pushPort) = try await captureOfServedSession(deflate ? offeringPermessageDeflate(tape) : tape)
        defer { try? FileManager.default.removeItem(atPath: capture) }
        let records = try expectSameTraffic(capture, serverPort: pushPort, played: tape.sessions[0])
        let compressed = records.filter { if case .wsMessage(let m) = $0 { m.compressed } else { false } }
        #expect(compressed.count == (deflate ? tape.sessions[0].serverMessages.count + tape.sessions[0].clientMessages.count : 0))
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
