import Foundation
import SwiftProtobuf
import JSONKit
import WebcastProto
import WireKit

/// Builds wire bytes with the generated swift-protobuf types, independently of the decoder under test.
enum Build {
    static func bytes(_ message: some SwiftProtobuf.Message) -> [UInt8] {
        var options = BinaryEncodingOptions()
        options.useDeterministicOrdering = true
        return try! message.serializedBytes(options: options)
    }

    static func user(id: Int64 = 7_300_000_000_000_000_001, handle: String = "alice", nickname: String = "Alice 🌸") -> User {
        var user = User()
        user.id = id
        user.displayID = handle
        user.nickname = nickname
        return user
    }

    static func chat(_ text: String, user: User = Build.user(), msgID: Int64 = 7_400_000_000_000_000_001) -> WebcastChatMessage {
        var chat = WebcastChatMessage()
        chat.common.method = "WebcastChatMessage"
        chat.common.msgID = msgID
        chat.user = user
        chat.content = text
        return chat
    }

    static func envelope(_ method: String, _ payload: [UInt8], msgID: Int64 = 1) -> BaseProtoMessage {
        var envelope = BaseProtoMessage()
        envelope.method = method
        envelope.payload = Data(payload)
        envelope.msgID = msgID
        return envelope
    }

    /// A fetch result whose messages are given as raw envelopes, so a test can corrupt one.
    static func fetchResult(_ envelopes: [[UInt8]], cursor: String = "c1", needAck: Bool = false, internalExt: String = "ext") -> [UInt8] {
        var result = ProtoMessageFetchResult()
        result.cursor = cursor
        result.needAck = needAck
        result.internalExt = internalExt
        var out: [UInt8] = []
        for envelope in envelopes {
            Wire.appendTag(field: 1, wireType: .lengthDelimited, to: &out)
            Wire.appendVarint(UInt64(envelope.count), to: &out)
            out += envelope
        }
        return out + bytes(result)
    }

    static func frame(payload: [UInt8], compressType: String? = "gzip", gzip: Bool = true, payloadType: String = "msg",
                      seqID: Int64 = 41, logID: Int64 = 7_500_000_000_000_000_001) -> [UInt8] {
        var frame = WebcastPushFrame()
        frame.seqID = seqID
        frame.logID = logID
        if let compressType { frame.headers = ["compress_type": compressType] }
        frame.payloadEncoding = "pb"
        frame.payloadType = payloadType
        frame.payload = Data(gzip ? Deflate.gzip(payload) : payload)
        return bytes(frame)
    }
}

extension JSONValue {
    /// Follows a dotted path of object keys and array indexes, e.g. `fields.user.display_id`.
    func at(_ path: String) -> JSONValue? {
        var current: JSONValue? = self
        for part in path.split(separator: ".") {
            if let index = Int(part), case .array(let items)? = current {
                current = items.indices.contains(index) ? items[index] : nil
            } else {
                current = current?[String(part)]
            }
        }
        return current
    }
}
