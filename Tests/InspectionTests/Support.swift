import Foundation
import Inspection
import JSONKit
import SwiftProtobuf
import Tape
import WebcastProto

/// Protobuf fields written by hand, for values the generated types would not send (explicit
/// zeros, invalid UTF-8).
enum WireField {
    static func varint(_ value: UInt64) -> [UInt8] {
        var rest = value, out: [UInt8] = []
        while rest >= 0x80 {
            out.append(UInt8(rest & 0x7F) | 0x80)
            rest >>= 7
        }
        return out + [UInt8(rest)]
    }

    /// Field `number` as a varint (wire type 0).
    static func int(_ number: Int, _ value: Int64) -> [UInt8] {
        varint(UInt64(number << 3)) + varint(UInt64(bitPattern: value))
    }

    /// Field `number` length-delimited (wire type 2).
    static func bytes(_ number: Int, _ value: [UInt8]) -> [UInt8] {
        varint(UInt64(number << 3 | 2)) + varint(UInt64(value.count)) + value
    }
}

/// A capture made of received push frames carrying one message each, for inspecting and
/// comparing hand-made distributions of values.
struct SynthesizedCapture {
    private(set) var records: [TapeRecord] = []

    init() {}

    /// A capture of `count` messages of `method` (see `receive`).
    init(_ count: Int, _ method: String, _ payload: (Int) -> [UInt8]) {
        receive(count, method, payload)
    }

    /// Adds `count` messages of `method`, the i-th with the payload `payload(i)`, one a second.
    mutating func receive(_ count: Int, _ method: String, _ payload: (Int) -> [UInt8]) {
        for index in 0..<count {
            let result = ProtoMessageFetchResult.with {
                $0.messages = [BaseProtoMessage.with { $0.method = method; $0.payload = Data(payload(index)) }]
            }
            let frame = WebcastPushFrame.with {
                $0.headers = ["compress_type": "none"]
                $0.payloadType = "msg"
                $0.payload = (try? result.serializedData()) ?? Data()
            }
            let time = UInt64(records.count) * 1_000_000
            let bytes = [UInt8]((try? frame.serializedData()) ?? Data())
            records.append(.wsMessage(WebSocketMessage(timeMicros: time, conn: 1, direction: .recv, payload: Body(bytes))))
        }
    }

    /// Adds the close of the WebSocket, `seconds` after the last message.
    mutating func close(after seconds: UInt64) {
        let time = UInt64(records.count - 1 + Int(seconds)) * 1_000_000
        records.append(.wsClose(WebSocketClose(timeMicros: time, conn: 1, code: 1000, by: .client)))
    }

    var report: JSONValue {
        var inspector = CaptureInspector()
        for record in records { inspector.add(record) }
        return inspector.report
    }

    /// The changes from `self` to `new`, most likely cause first.
    func changes(to new: SynthesizedCapture) -> [CaptureComparison.Change] {
        CaptureComparison(old: report, new: new.report).changes
    }
}
