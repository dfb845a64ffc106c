import Foundation
import JSONKit
import Tape
import WireKit

/// Watches one client through a push-server replay and reports how it deviated from what the
/// tape recorded: `im_enter_room`, the heartbeat interval and an `ack` with the right `log_id`
/// and payload for every frame with `need_ack`. Handshake query differences are reported
/// apart: clients legitimately vary them.
///
/// Times are the server's clock in microseconds since the handshake. Not thread-safe: one
/// connection feeds it.
public struct SessionMonitor: Sendable {
    /// The recorded session being replayed.
    public let recorded: RecordedSession
    /// Handshake query differences (recorded vs received); volatile and browser-fingerprint
    /// keys (`MatchRules.fingerprintQueryKeys`) excluded.
    public let queryDifferences: [Difference]
    /// The heartbeat interval the client should keep (`RecordedSession.heartbeatIntervalMillis`).
    public let expectedHeartbeatMillis: Int?
    /// Whether a heartbeat interval off by more than 25% is a deviation. Only meaningful when
    /// the replay runs at the recorded speed: a client keeps its own clock.
    public let checksHeartbeatInterval: Bool
    /// The permessage-deflate the session negotiated; nil when it is not compressed.
    public let permessageDeflate: PerMessageDeflate?
    private let recordedEnterRooms: [Int64]

    private(set) var framesSent = 0
    private var awaitingAck: [Int64: (frame: Int, internalExt: String)] = [:]
    private var ackedLogIDs: Set<Int64> = []
    private var expectedAcks = 0
    private var heartbeatTimes: [UInt64] = []
    private var enterRooms: [Int64] = []
    private var problems: [String] = []
    private var lastTime: UInt64 = 0

    /// A monitor for a client that asked for `request` and is served `recorded`.
    public init(recorded: RecordedSession, request: IncomingRequest, rules: MatchRules = .default, checksHeartbeatInterval: Bool = true,
                permessageDeflate: PerMessageDeflate? = nil) {
        self.recorded = recorded
        self.checksHeartbeatInterval = checksHeartbeatInterval
        self.permessageDeflate = permessageDeflate
        queryDifferences = NormalizedRequest(IncomingRequest(method: "GET", target: recorded.open.url))
            .differences(to: NormalizedRequest(IncomingRequest(method: "GET", path: request.path, query: request.query)),
                         rules: rules.ignoring(MatchRules.fingerprintQueryKeys))
            .filter { if case .query = $0.field { true } else { false } }
        recordedEnterRooms = recorded.clientMessages.compactMap { message in
            guard message.opcode == .binary, case .enterRoom(let room) = ClientFrame(message.payload) else { return nil }
            return room
        }
        expectedHeartbeatMillis = recorded.heartbeatIntervalMillis
    }

    /// Notes that the server sent recorded frame `index` at `time`.
    public mutating func sent(frame index: Int, payload: [UInt8], at time: UInt64) {
        framesSent += 1
        lastTime = max(lastTime, time)
        guard let facts = ServerFrameFacts(frame: payload), facts.needsAck else { return }
        expectedAcks += 1
        awaitingAck[facts.logID] = (index, facts.internalExt)
    }

    /// Notes a message from the client.
    public mutating func received(opcode: WebSocketOpcode, payload: [UInt8], at time: UInt64) {
        lastTime = max(lastTime, time)
        guard opcode == .binary else {
            if opcode == .text { problems.append("text message from the client (\(payload.count) bytes); the protocol is binary") }
            return
        }
        switch ClientFrame(payload) {
        case .heartbeat:
            heartbeatTimes.append(time)
        case .enterRoom(let room):
            enterRooms.append(room)
        case .ack(let logID, let echoed):
            guard let expected = awaitingAck.removeValue(forKey: logID) else {
                problems.append(ackedLogIDs.contains(logID) ? "second ack for log_id \(logID)" : "ack for log_id \(logID), which no frame that needs an ack carried")
                return
            }
            ackedLogIDs.insert(logID)
            let wanted = expected.internalExt.isEmpty ? "-" : expected.internalExt
            if echoed != Array(wanted.utf8) && echoed != Array(expected.internalExt.utf8) {
                problems.append("ack for log_id \(logID) (frame \(expected.frame)) carries \(Self.describe(echoed)), expected the frame's internal_ext \(Self.describe(Array(wanted.utf8)))")
            }
        case .other(let type):
            problems.append("client frame of payload_type \(CanonicalJSON.string(.string(type)))")
        case .undecodable:
            problems.append("client message of \(payload.count) bytes is not a push frame")
        }
    }

    /// The report so far; call when the connection ended.
    public func report(session: Int, path: String, close: WebSocketClose?) -> SessionReport {
        var deviations: [String] = []
        if !recordedEnterRooms.isEmpty {
            if enterRooms.isEmpty {
                deviations.append("no im_enter_room (the recorded client sent one)")
            } else if enterRooms.count > recordedEnterRooms.count {
                deviations.append("im_enter_room sent \(enterRooms.count) times, recorded \(recordedEnterRooms.count)")
            }
            if let room = enterRooms.first, room != recordedEnterRooms[0] {
                deviations.append("im_enter_room for room \(room), recorded room \(recordedEnterRooms[0])")
            }
        }
        let median = Self.medianInterval(heartbeatTimes).map { Int($0 / 1000) }
        if let expected = expectedHeartbeatMillis, checksHeartbeatInterval {
            if heartbeatTimes.isEmpty, lastTime > UInt64(expected) * 2000 {
                deviations.append("no heartbeat in \(lastTime / 1000) ms (expected one every \(expected) ms)")
            } else if let median, abs(median - expected) * 4 > expected {
                deviations.append("heartbeat every \(median) ms, expected \(expected) ms")
            }
        }
        let missing = awaitingAck.sorted { $0.value.frame < $1.value.frame }
        if !missing.isEmpty {
            let shown = missing.prefix(5).map { "log_id \($0.key) (frame \($0.value.frame))" }.joined(separator: ", ")
            deviations.append("\(missing.count) of \(expectedAcks) frames with need_ack never acked: \(shown)\(missing.count > 5 ? ", …" : "")")
        }
        deviations += problems
        return SessionReport(
            session: session, path: path, recordedConn: recorded.open.conn,
            handshakeDifferences: queryDifferences.map { d in
                "\(d.field.name): recorded \(Self.list(d.recorded)), received \(Self.list(d.received))"
            },
            framesRecorded: recorded.serverMessages.count, framesSent: framesSent,
            enterRooms: enterRooms.count, heartbeats: heartbeatTimes.count,
            expectedHeartbeatMillis: expectedHeartbeatMillis, medianHeartbeatMillis: median,
            acksExpected: expectedAcks, acksReceived: ackedLogIDs.count,
            permessageDeflate: permessageDeflate?.headerValue, close: close, deviations: deviations)
    }

    static func medianInterval(_ times: [UInt64]) -> UInt64? {
        guard times.count >= 2 else { return nil }
        let gaps = zip(times.dropFirst(), times).map { $0 - min($0, $1) }.sorted()
        return gaps[gaps.count / 2]
    }

    /// `ping-interval=N` (seconds) of a `Handshake-Options` header, in milliseconds.
    static func pingIntervalMillis(_ response: HTTPResponse) -> Int? {
        guard let options = response.headers.first(where: { asciiEqualFolded($0.name, "Handshake-Options") })?.value else { return nil }
        for part in options.split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0] == "ping-interval", let seconds = Double(pair[1]) { return Int(seconds * 1000) }
        }
        return nil
    }

    private static func describe(_ bytes: [UInt8]) -> String {
        if let text = Body(bytes).text, bytes.count <= 200 { return CanonicalJSON.string(.string(text)) }
        return "<\(bytes.count) bytes>"
    }

    private static func list(_ values: [String]) -> String {
        values.isEmpty ? "(absent)" : values.map { CanonicalJSON.string(.string($0)) }.joined(separator: ",")
    }
}

/// How one client's replay went.
public struct SessionReport: Sendable {
    /// 1-based number of the client connection, in order of arrival.
    public var session: Int
    public var path: String
    /// `conn` of the recorded session that was replayed.
    public var recordedConn: Int
    /// How the client's handshake query differed from the recorded one, one sentence each.
    public var handshakeDifferences: [String]
    public var framesRecorded: Int
    public var framesSent: Int
    public var enterRooms: Int
    public var heartbeats: Int
    public var expectedHeartbeatMillis: Int?
    public var medianHeartbeatMillis: Int?
    public var acksExpected: Int
    public var acksReceived: Int
    /// The accepted `Sec-WebSocket-Extensions` permessage-deflate element; nil when the session
    /// was not compressed.
    public var permessageDeflate: String?
    /// How the connection ended.
    public var close: WebSocketClose?
    /// Every way the client differed from the recording, one sentence each.
    public var deviations: [String]

    /// The report as one JSON object (a line of the session report file).
    public var json: JSONValue {
        var o = JSONObjectBuilder()
        o.set("session", .int(Int64(session)))
        o.set("path", .string(path))
        o.set("recorded_conn", .int(Int64(recordedConn)))
        o.set("handshake_differences", .array(handshakeDifferences.map { .string($0) }))
        o.set("frames", ["recorded": .int(Int64(framesRecorded)), "sent": .int(Int64(framesSent))])
        o.set("im_enter_room", .int(Int64(enterRooms)))
        var beats = JSONObjectBuilder()
        beats.set("count", .int(Int64(heartbeats)))
        beats.set("expected_interval_ms", expectedHeartbeatMillis.map { .int(Int64($0)) } ?? .null)
        beats.set("median_interval_ms", medianHeartbeatMillis.map { .int(Int64($0)) } ?? .null)
        o.set("heartbeats", beats.value)
        o.set("acks", ["expected": .int(Int64(acksExpected)), "received": .int(Int64(acksReceived))])
        o.set("permessage_deflate", permessageDeflate.map { .string($0) } ?? .null)
        if let close {
            var c = JSONObjectBuilder()
            c.set("by", .string(close.by.rawValue))
            c.set("code", close.code.map { .int(Int64($0)) } ?? .null)
            o.set("close", c.value)
        } else {
            o.set("close", .null)
        }
        o.set("deviations", .array(deviations.map { .string($0) }))
        return o.value
    }
}
