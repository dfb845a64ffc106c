import Synchronization

/// A client that does not behave, and what the server must do about it (docs/replay.md, "Bad input").
public enum Misbehaviour: String, CaseIterable, Sendable, Hashable {
    /// Reads 32 bytes every 100 ms (a 4 KiB receive buffer) until the well-behaved clients are done.
    case slowReader = "slow reader"
    /// Resets the connection (SO_LINGER 0) halfway through the replay.
    case resetMidReplay = "reset mid-replay"
    /// Closes the connection (FIN) halfway through the replay.
    case closeMidReplay = "close mid-replay"
    /// Sends a frame with every reserved bit and a reserved opcode.
    case garbageFrame = "garbage frame"
    case unmaskedFrame = "unmasked frame"
    /// Sends a frame header announcing twice the largest message the server accepts.
    case oversizedFrame = "oversized frame"
    /// Sends part of an upgrade request and waits.
    case stalledHandshake = "stalled handshake"
    /// Sends bytes that are not HTTP to the signing server.
    case malformedRequest = "malformed signing request"

    /// What the server must do, in words.
    public var expectedReaction: String {
        switch self {
        case .slowReader: "written to as fast as it reads: an exact prefix of the replay, the connection kept"
        case .resetMidReplay, .closeMidReplay: "an exact prefix of the replay; its session ends, reported abnormal"
        case .garbageFrame, .unmaskedFrame: "whole frames of the replay, a close frame with 1002, then the end"
        case .oversizedFrame: "whole frames of the replay, a close frame with 1009, then the end"
        case .stalledHandshake: "HTTP 408 after --handshake-timeout, then the end"
        case .malformedRequest: "HTTP 400, then the end"
        }
    }

    /// Whether the client completes a WebSocket handshake, and so has a session report.
    var upgrades: Bool { self != .stalledHandshake && self != .malformedRequest }

    /// The close code the server sends and reports, for a client that breaks the protocol.
    var closeCode: Int? {
        switch self {
        case .garbageFrame, .unmaskedFrame: 1002
        case .oversizedFrame: 1009
        default: nil
        }
    }
}

/// How one misbehaving client fared.
public struct MisbehaviourOutcome: Sendable {
    public var kind: Misbehaviour
    /// How the server's reaction differed from `kind.expectedReaction`; nil when it did not.
    public var problem: String?
    /// Bytes of the replay the client read.
    public var replayBytes = 0
}

/// Set once; read from any task.
final class Flag: Sendable {
    private let value = Atomic(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}

/// Runs the misbehaving clients of one load run.
struct MisbehavingClients: Sendable {
    let host: String
    let pushPort: Int
    let signPort: Int
    /// Path and query of the replayed session's upgrade request.
    let target: String
    let stream: ReplayStream
    /// The largest message the server accepts (`--max-frame-bytes`).
    let maxFrameBytes: Int
    /// Set when the well-behaved clients are done: slow readers stop reading then.
    let released: Flag
    let deadline: ContinuousClock.Instant

    func run(_ kind: Misbehaviour) async -> MisbehaviourOutcome {
        var outcome = MisbehaviourOutcome(kind: kind)
        do {
            let port = kind == .malformedRequest ? signPort : pushPort
            try await RawConnection.run(host: host, port: port, deadline: deadline, slowReads: kind == .slowReader) { connection in
                outcome = try await play(kind, on: &connection)
            }
        } catch {
            outcome.problem = "\(error)"
        }
        return outcome
    }

    private func play(_ kind: Misbehaviour, on connection: inout RawConnection) async throws -> MisbehaviourOutcome {
        var outcome = MisbehaviourOutcome(kind: kind)
        switch kind {
        case .malformedRequest:
            try await connection.send(Array("GARBAGE \u{1}\u{2} nonsense\r\n\r\n".utf8))
            try await connection.readToEnd()
            outcome.problem = expectStatus(400, in: connection.received)
            return outcome
        case .stalledHandshake:
            try await connection.send(Array("GET \(target) HTTP/1.1\r\nHost: \(host)\r\nUpgrade: websocket\r\n".utf8))
            try await connection.readToEnd()
            outcome.problem = expectStatus(408, in: connection.received)
            return outcome
        default:
            break
        }
        try await connection.send(upgradeRequest)
        try await connection.read { responseHead($0) != nil }
        guard let head = responseHead(connection.received), head.statusLine.hasPrefix("HTTP/1.1 101") else {
            outcome.problem = "handshake answered \(responseHead(connection.received)?.statusLine ?? "with nothing")"
            return outcome
        }
        switch kind {
        case .slowReader:
            while !released.isSet, try await connection.readSome() {
                try await Task.sleep(for: .milliseconds(100))
            }
            if connection.ended { outcome.problem = "the server closed the connection of a slow reader" }
        case .resetMidReplay, .closeMidReplay:
            let half = head.length + stream.bytes.count / 2
            try await connection.read { $0.count >= half }
            if connection.ended { outcome.problem = "the connection ended before half the replay" }
            if kind == .resetMidReplay { try await connection.resetOnClose() }
        default:
            try await connection.send(badFrame(kind))
            try await connection.readToEnd()
        }
        let replay = connection.received[head.length...]
        let agreeing = stream.agreeingPrefix(replay)
        outcome.replayBytes = agreeing
        guard let code = kind.closeCode else {
            if agreeing < replay.count { outcome.problem = outcome.problem ?? "replay byte \(agreeing) differs from the tape" }
            return outcome
        }
        guard stream.isFrameStart(agreeing) else {
            outcome.problem = "replay byte \(agreeing) differs from the tape"
            return outcome
        }
        let rest = Array(replay.dropFirst(agreeing))
        let expected: [UInt8] = [0x88, 2, UInt8(code >> 8), UInt8(code & 0xFF)]
        if rest != expected {
            outcome.problem = "after \(agreeing) bytes of the replay: \(rest.prefix(8).map { String($0, radix: 16) }) (\(rest.count) bytes) instead of a close frame with \(code) and the end"
        }
        return outcome
    }

    private var upgradeRequest: [UInt8] {
        Array(("GET \(target) HTTP/1.1\r\nHost: \(host)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").utf8)
    }

    private func badFrame(_ kind: Misbehaviour) -> [UInt8] {
        let mask: [UInt8] = [0x1F, 0x2E, 0x3D, 0x4C]
        switch kind {
        case .garbageFrame:
            return [0xFB, 0x80 | 16] + mask + (0..<16).map { UInt8($0 * 37 & 0xFF) }
        case .unmaskedFrame:
            return [0x82, 3, 1, 2, 3]
        default:
            let announced = UInt64(maxFrameBytes) * 2
            return [0x82, 0x80 | 127] + (0..<8).reversed().map { UInt8((announced >> ($0 * 8)) & 0xFF) } + mask + [1, 2, 3, 4]
        }
    }

    private func expectStatus(_ status: Int, in received: [UInt8]) -> String? {
        let line = responseHead(received)?.statusLine ?? String(decoding: received.prefix(40), as: UTF8.self)
        return line.hasPrefix("HTTP/1.1 \(status) ") ? nil : "answered \"\(line)\" instead of \(status)"
    }
}
