import Foundation
import SwiftProtobuf
import Tape
import WebcastProto
import WireKit

import FixtureSynth

/// The repository root, found from this file's path (Tests/FixtureSynthTests/Support.swift).
let repoRoot: URL = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func fixturePath(_ relative: String) -> String { repoRoot.appendingPathComponent(relative).path }

func scenario(_ name: String) throws -> Scenario {
    try Scenario.load(path: fixturePath("Fixtures/scenarios/\(name).json"))
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A WebSocket message decoded with the generated types (never with a LiveTape decoder).
struct Frame: Sendable {
    var t: UInt64
    var direction: TapeDirection
    var raw: [UInt8]
    var frame: WebcastPushFrame
    var compressType: String { frame.headers["compress_type"] ?? "" }
    var payload: [UInt8] { [UInt8](frame.payload) }

    /// The fetch result of a `msg` / `im_enter_room_resp` frame (gzip inflated when the header says so).
    func fetchResult() throws -> ProtoMessageFetchResult {
        let bytes = compressType == "gzip" ? try Inflate.gunzip(payload) : payload
        return try ProtoMessageFetchResult(serializedBytes: bytes)
    }
}

/// A tape split into its parts.
struct ParsedTape: Sendable {
    var header: TapeHeader
    var records: [TapeRecord]
    var http: [HTTPExchange] = []
    var opens: [WebSocketOpen] = []
    var closes: [WebSocketClose] = []
    var sent: [Frame] = []
    var received: [Frame] = []

    init(bytes: [UInt8]) throws {
        let reader = try TapeReader(bytes: bytes, name: "synth")
        header = reader.header
        records = []
        for entry in reader {
            let record = try entry.result.get()
            records.append(record)
            switch record {
            case .http(let r): http.append(r)
            case .wsOpen(let r): opens.append(r)
            case .wsClose(let r): closes.append(r)
            case .wsMessage(let m):
                let frame = Frame(t: m.timeMicros, direction: m.direction, raw: m.payload.bytes,
                                  frame: try WebcastPushFrame(serializedBytes: m.payload.bytes))
                if m.direction == .send { sent.append(frame) } else { received.append(frame) }
            case .gap: throw TestFailure("unexpected gap record")
            }
        }
    }

    /// Received `msg` frames.
    var messageFrames: [Frame] { received.filter { $0.frame.payloadType == "msg" } }
}

/// Every inner message of the decodable `msg` frames, in order, with the frame index.
func innerMessages(_ tape: ParsedTape) throws -> [(frame: Int, message: BaseProtoMessage)] {
    var out: [(Int, BaseProtoMessage)] = []
    for (index, frame) in tape.messageFrames.enumerated() {
        for message in try frame.fetchResult().messages { out.append((index, message)) }
    }
    return out
}

/// Caches synthesized tapes: synthesis is deterministic, so one copy per scenario will do.
enum Tapes {
    static let session = load("session-5min")
    static let rejected = load("handshake-rejected")
    static let compressNone = load("compress-none")
    static let corrupt = load("corrupt-messages")

    static func load(_ name: String) -> Result<ParsedTape, TestFailure> {
        do {
            return .success(try ParsedTape(bytes: Synthesizer.tape(for: scenario(name))))
        } catch {
            return .failure(TestFailure("cannot synthesize \(name): \(error)"))
        }
    }
}

extension Array where Element == UInt8 {
    /// Offsets at which `needle` occurs.
    func occurrences(of needle: [UInt8]) -> [Int] {
        guard !needle.isEmpty, count >= needle.count else { return [] }
        var hits: [Int] = []
        for i in 0...(count - needle.count) where self[i] == needle[0] {
            if self[i..<(i + needle.count)].elementsEqual(needle) { hits.append(i) }
        }
        return hits
    }
}

/// The 19 event methods the session must contain.
let allMethods = [
    "WebcastChatMessage", "WebcastMemberMessage", "WebcastGiftMessage", "WebcastLikeMessage",
    "WebcastRoomUserSeqMessage", "WebcastSocialMessage", "WebcastControlMessage", "WebcastLinkMicBattle",
    "WebcastLinkMicArmies", "WebcastEmoteChatMessage", "WebcastSubNotifyMessage", "WebcastQuestionNewMessage",
    "WebcastEnvelopeMessage", "WebcastPollMessage", "WebcastGoalUpdateMessage", "WebcastInRoomBannerMessage",
    "WebcastImDeleteMessage", "WebcastRankUpdateMessage", "WebcastCaptionMessage",
]

/// Decodes an inner message payload with the generated type for its method and returns its
/// `common` field; throws for unknown methods and undecodable payloads.
func decodeCommon(_ message: BaseProtoMessage) throws -> CommonMessageData {
    let b = message.payload
    switch message.method {
    case "WebcastChatMessage": return try WebcastChatMessage(serializedBytes: b).common
    case "WebcastMemberMessage": return try WebcastMemberMessage(serializedBytes: b).common
    case "WebcastGiftMessage": return try WebcastGiftMessage(serializedBytes: b).common
    case "WebcastLikeMessage": return try WebcastLikeMessage(serializedBytes: b).common
    case "WebcastRoomUserSeqMessage": return try WebcastRoomUserSeqMessage(serializedBytes: b).common
    case "WebcastSocialMessage": return try WebcastSocialMessage(serializedBytes: b).common
    case "WebcastControlMessage": return try WebcastControlMessage(serializedBytes: b).common
    case "WebcastLinkMicBattle": return try WebcastLinkMicBattle(serializedBytes: b).common
    case "WebcastLinkMicArmies": return try WebcastLinkMicArmies(serializedBytes: b).common
    case "WebcastEmoteChatMessage": return try WebcastEmoteChatMessage(serializedBytes: b).common
    case "WebcastSubNotifyMessage": return try WebcastSubNotifyMessage(serializedBytes: b).common
    case "WebcastQuestionNewMessage": return try WebcastQuestionNewMessage(serializedBytes: b).common
    case "WebcastEnvelopeMessage": return try WebcastEnvelopeMessage(serializedBytes: b).common
    case "WebcastPollMessage": return try WebcastPollMessage(serializedBytes: b).common
    case "WebcastGoalUpdateMessage": return try WebcastGoalUpdateMessage(serializedBytes: b).common
    case "WebcastInRoomBannerMessage": return try WebcastInRoomBannerMessage(serializedBytes: b).common
    case "WebcastImDeleteMessage": return try WebcastImDeleteMessage(serializedBytes: b).common
    case "WebcastRankUpdateMessage": return try WebcastRankUpdateMessage(serializedBytes: b).common
    case "WebcastCaptionMessage": return try WebcastCaptionMessage(serializedBytes: b).common
    default: throw TestFailure("no generated type for \(message.method)")
    }
}
