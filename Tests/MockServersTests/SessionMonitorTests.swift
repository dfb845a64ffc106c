import Foundation
import MockServers
import SwiftProtobuf
import Tape
import Testing
import WebcastProto

@Suite struct SessionMonitorTests {
    let session: RecordedSession

    init() throws {
        session = try #require(try ServedTape(path: sessionTape).sessions.first)
    }

    private var recordedRequest: IncomingRequest { IncomingRequest(method: "GET", target: session.open.url) }

    /// Feeds the monitor the recorded session: every server message sent, every recorded
    /// client message received at its recorded time, except those `drop` rejects.
    private func replay(_ monitor: inout SessionMonitor, drop: (ClientFrame) -> Bool = { _ in false }) {
        var next = 0
        for (index, message) in session.serverMessages.enumerated() {
            while next < session.clientMessages.count, session.clientMessages[next].serverMessagesBefore <= index {
                let client = session.clientMessages[next]
                if !drop(ClientFrame(client.payload)) { monitor.received(opcode: client.opcode, payload: client.payload, at: client.offsetMicros) }
                next += 1
            }
            monitor.sent(frame: index, payload: message.payload, at: message.offsetMicros)
        }
        for client in session.clientMessages[next...] where !drop(ClientFrame(client.payload)) {
            monitor.received(opcode: client.opcode, payload: client.payload, at: client.offsetMicros)
        }
    }

    @Test func theRecordedClientHasNoDeviations() {
        var monitor = SessionMonitor(recorded: session, request: recordedRequest)
        replay(&monitor)
        let report = monitor.report(session: 1, path: "/", close: nil)
        #expect(report.deviations == [])
        #expect(report.handshakeDifferences == [])
        #expect(report.acksExpected == 327 && report.acksReceived == 327)
        #expect(report.expectedHeartbeatMillis.map { (9_000...11_000).contains($0) } == true)
    }

    @Test func missingAcksAndEnterRoomAreDeviations() {
        var monitor = SessionMonitor(recorded: session, request: recordedRequest)
        var acksDropped = 0
        replay(&monitor) { frame in
            switch frame {
            case .enterRoom: return true
            case .ack:
                acksDropped += 1
                return acksDropped <= 2
            default: return false
            }
        }
        let report = monitor.report(session: 1, path: "/", close: nil)
        #expect(report.deviations.contains("no im_enter_room (the recorded client sent one)"))
        #expect(report.deviations.contains { $0.hasPrefix("2 of 327 frames with need_ack never acked: log_id ") })
    }

    @Test func wrongAckPayloadAndUnknownLogIDAreDeviations() throws {
        var monitor = SessionMonitor(recorded: session, request: recordedRequest)
        let (index, frame) = try #require(session.serverMessages.enumerated().lazy
            .compactMap { i, m in ServerFrameFacts(frame: m.payload).flatMap { $0.needsAck ? (i, $0) : nil } }.first)
        monitor.sent(frame: index, payload: session.serverMessages[index].payload, at: 0)
        monitor.received(opcode: .binary, payload: Self.ack(logID: frame.logID, payload: "-"), at: 1)
        monitor.received(opcode: .binary, payload: Self.ack(logID: 12345, payload: "-"), at: 2)
        let deviations = monitor.report(session: 1, path: "/", close: nil).deviations
        #expect(deviations.contains { $0.hasPrefix("ack for log_id \(frame.logID) (frame \(index)) carries \"-\", expected the frame's internal_ext") })
        #expect(deviations.contains("ack for log_id 12345, which no frame that needs an ack carried"))
    }

    @Test func heartbeatIntervalIsCheckedAtRecordedSpeedOnly() {
        var fast = SessionMonitor(recorded: session, request: recordedRequest)
        var unchecked = SessionMonitor(recorded: session, request: recordedRequest, checksHeartbeatInterval: false)
        for beat in 0..<5 {
            let bytes = Self.frame(type: "hb", payload: Data())
            fast.received(opcode: .binary, payload: bytes, at: UInt64(beat) * 1_000_000)
            unchecked.received(opcode: .binary, payload: bytes, at: UInt64(beat) * 1_000_000)
        }
        #expect(fast.report(session: 1, path: "/", close: nil).deviations.contains { $0.hasPrefix("heartbeat every 1000 ms, expected ") })
        #expect(!unchecked.report(session: 1, path: "/", close: nil).deviations.contains { $0.hasPrefix("heartbeat") })
    }

    @Test func handshakeDifferencesSkipBrowserFingerprints() {
        var target = session.open.url.replacingOccurrences(of: "screen_width=1920", with: "screen_width=800")
        target = target.replacingOccurrences(of: "room_id=7441523998651237126", with: "room_id=1")
        let monitor = SessionMonitor(recorded: session, request: IncomingRequest(method: "GET", target: target))
        #expect(monitor.queryDifferences.map(\.field.name) == ["query.room_id"])
    }

    static func frame(type: String, payload: Data, logID: Int64 = 0) -> [UInt8] {
        var frame = WebcastPushFrame()
        frame.payloadType = type
        frame.logID = logID
        frame.payload = payload
        return try! frame.serializedBytes()
    }

    static func ack(logID: Int64, payload: String) -> [UInt8] {
        frame(type: "ack", payload: Data(payload.utf8), logID: logID)
    }
}
