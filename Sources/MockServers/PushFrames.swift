import SwiftProtobuf
import WebcastProto
import WireKit

/// What the push server needs to know of a frame it sends: whether the client must ack it.
public struct ServerFrameFacts: Sendable, Hashable {
    /// The frame's `log_id`, which the ack must echo.
    public var logID: Int64
    /// `need_ack` of the fetch result inside a `msg` frame.
    public var needsAck: Bool
    /// The fetch result's `internal_ext`: the ack's payload (clients send `-` when it is empty).
    public var internalExt: String

    /// Reads a server → client frame; nil when it is not a decodable `msg` push frame (the push
    /// server then expects nothing back for it).
    public init?(frame bytes: [UInt8]) {
        guard let frame = try? WebcastPushFrame(serializedBytes: bytes), frame.payloadType == "msg" else { return nil }
        var payload = [UInt8](frame.payload)
        if Inflate.looksLikeGzip(payload) {
            guard let inflated = try? Inflate.gunzip(payload) else { return nil }
            payload = inflated
        }
        guard let result = try? ProtoMessageFetchResult(serializedBytes: payload) else { return nil }
        logID = frame.logID
        needsAck = result.needAck
        internalExt = result.internalExt
    }
}

/// A client → server frame as the push server checks it.
public enum ClientFrame: Sendable, Hashable {
    /// `hb`, with the heartbeat's room id and sequence number.
    case heartbeat(roomID: Int64, sequence: Int64)
    /// `ack` of the frame with `logID`; `payload` is what the client echoed.
    case ack(logID: Int64, payload: [UInt8])
    /// `im_enter_room` for `roomID`.
    case enterRoom(roomID: Int64)
    /// A push frame of another `payload_type`.
    case other(payloadType: String)
    /// Bytes that are not a push frame.
    case undecodable

    /// Classifies the payload of a binary message from the client.
    public init(_ bytes: [UInt8]) {
        guard let frame = try? WebcastPushFrame(serializedBytes: bytes) else {
            self = .undecodable
            return
        }
        switch frame.payloadType {
        case "hb":
            let beat = (try? HeartBeatMessage(serializedBytes: frame.payload)) ?? HeartBeatMessage()
            self = .heartbeat(roomID: beat.roomID, sequence: beat.sendPacketSeqID)
        case "ack":
            self = .ack(logID: frame.logID, payload: [UInt8](frame.payload))
        case "im_enter_room":
            let enter = (try? WebcastImEnterRoomMessage(serializedBytes: frame.payload)) ?? WebcastImEnterRoomMessage()
            self = .enterRoom(roomID: enter.roomID)
        default:
            self = .other(payloadType: frame.payloadType)
        }
    }
}
