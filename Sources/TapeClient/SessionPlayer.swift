import Foundation
import MockServers
import NIOCore
import NIOWebSocket
import SwiftProtobuf
import Tape
import WebcastProto

/// The client side of one WebSocket session.
struct SessionPlayer: Sendable {
    let session: RecordedSession
    let conn: Int
    let recorder: Recorder
    let roomID: Int64

    /// Pacing of recorded client messages: each waits for its recorded offset divided by the
    /// speed (none at `max`).
    let speed: ReplaySpeed
    /// permessage-deflate was negotiated: the client's messages go out compressed.
    let compresses: Bool

    /// Plays the session on `channel` until the server closes it, or the client closed it as
    /// recorded and the server answered. Records are emitted in the tape's order: a recorded
    /// client message is sent right after the server message the tape holds before it.
    func run(_ channel: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>) async throws {
        let generated = session.clientMessages.isEmpty
        let clientCloses = session.close.map { $0.by == .client } ?? true
        let started = ContinuousClock.now
        try await channel.executeThenClose { inbound, outbound in
            try await withThrowingTaskGroup(of: Void.self) { group in
                var pending = session.clientMessages[...]
                var received = 0
                var closed = false
                /// Sends the recorded client messages due once `received` server messages arrived,
                /// then the client's close when the tape says the client closed after the last one.
                func sendDue() async throws {
                    while let next = pending.first, next.serverMessagesBefore <= received {
                        if let delay = speed.delayNanos(next.offsetMicros) {
                            try await Task.sleep(until: started + .nanoseconds(delay), clock: .continuous)
                        }
                        try await send(next.payload, opcode: next.opcode, outbound)
                        pending.removeFirst()
                    }
                    if clientCloses, !closed, pending.isEmpty, received >= session.serverMessages.count {
                        closed = true
                        let code = session.close?.code ?? 1000
                        let reason = session.close?.reason ?? ""
                        try await outbound.write(Self.closeFrame(code: code, reason: reason))
                        recorder.emit { .wsClose(WebSocketClose(timeMicros: $0, conn: conn, code: code, reason: reason, by: .client)) }
                    }
                }
                if generated {
                    let interval = Duration.milliseconds(session.heartbeatIntervalMillis ?? 10_000)
                    try await send(ClientFrames.enterRoom(roomID: roomID), outbound)
                    group.addTask {
                        var sequence: Int64 = 1
                        while !Task.isCancelled {
                            try await send(ClientFrames.heartbeat(roomID: roomID, sequence: sequence), outbound)
                            sequence += 1
                            try await Task.sleep(for: interval)
                        }
                    }
                }
                do {
                    try await sendDue()
                    for try await frame in inbound {
                        switch frame.opcode {
                        case .connectionClose:
                            if !closed {
                                closed = true
                                var data = frame.unmaskedData
                                let code = data.readInteger(as: UInt16.self).map(Int.init)
                                let reason = data.readString(length: data.readableBytes) ?? ""
                                recorder.emit { .wsClose(WebSocketClose(timeMicros: $0, conn: conn, code: code, reason: reason, by: .server)) }
                                try? await outbound.write(Self.closeFrame(code: code, reason: ""))
                            }
                            group.cancelAll()
                            return
                        case .ping:
                            try await outbound.write(WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData))
                        case .pong:
                            continue
                        default:
                            guard let opcode = Tape.WebSocketOpcode(rawValue: UInt8(webSocketOpcode: frame.opcode)) else { continue }
                            let payload = Array(frame.unmaskedData.readableBytesView)
                            recorder.emit { .wsMessage(WebSocketMessage(timeMicros: $0, conn: conn, direction: .recv, opcode: opcode, payload: Body(payload),
                                                                        compressed: frame.rsv1)) }
                            received += 1
                            if generated, let facts = ServerFrameFacts(frame: payload), facts.needsAck {
                                try await send(ClientFrames.ack(facts), outbound)
                            }
                            try await sendDue()
                        }
                    }
                } catch is CancellationError {
                    throw CancellationError()
                } catch {
                    // A reset, a protocol error or a write after the server closed ends the
                    // session like an EOF.
                }
                if !closed {
                    recorder.emit { .wsClose(WebSocketClose(timeMicros: $0, conn: conn, by: .abnormal)) }
                }
                group.cancelAll()
            }
        }
    }

    private func send(_ payload: [UInt8], opcode: Tape.WebSocketOpcode = .binary, _ outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>) async throws {
        guard let code = NIOWebSocket.WebSocketOpcode(encodedWebSocketOpcode: opcode.rawValue) else { return }
        try await outbound.write(WebSocketFrame(fin: true, opcode: code, maskKey: .random(), data: ByteBuffer(bytes: payload)))
        recorder.emit { .wsMessage(WebSocketMessage(timeMicros: $0, conn: conn, direction: .send, opcode: opcode, payload: Body(payload),
                                                    compressed: compresses)) }
    }

    private static func closeFrame(code: Int?, reason: String) -> WebSocketFrame {
        var data = ByteBuffer()
        if let code {
            data.writeInteger(UInt16(truncatingIfNeeded: code))
            data.writeString(reason)
        }
        return WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: data)
    }
}

/// Client → server push frames, built the way current clients build them.
enum ClientFrames {
    static func enterRoom(roomID: Int64) -> [UInt8] {
        var enter = WebcastImEnterRoomMessage()
        enter.roomID = roomID
        enter.identity = "audience"
        enter.liveID = 12
        return frame(type: "im_enter_room", payload: enter)
    }

    static func heartbeat(roomID: Int64, sequence: Int64) -> [UInt8] {
        var beat = HeartBeatMessage()
        beat.roomID = roomID
        beat.sendPacketSeqID = sequence
        return frame(type: "hb", payload: beat)
    }

    static func ack(_ facts: ServerFrameFacts) -> [UInt8] {
        var frame = WebcastPushFrame()
        frame.logID = facts.logID
        frame.payloadType = "ack"
        frame.payload = Data((facts.internalExt.isEmpty ? "-" : facts.internalExt).utf8)
        return (try? frame.serializedBytes()) ?? []
    }

    private static func frame(type: String, payload: some SwiftProtobuf.Message) -> [UInt8] {
        var frame = WebcastPushFrame()
        frame.payloadEncoding = "pb"
        frame.payloadType = type
        frame.payload = (try? payload.serializedData()) ?? Data()
        return (try? frame.serializedBytes()) ?? []
    }
}
