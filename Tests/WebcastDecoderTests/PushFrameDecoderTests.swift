import Foundation
import Tape
import Testing
import JSONKit
import WebcastDecoder
import WebcastProto
import WireKit

@Suite struct PushFrameDecoderTests {
    let decoder = PushFrameDecoder()

    private func fetchResult(of frame: DecodedFrame) -> DecodedFetchResult? {
        if case .fetchResult(let result) = frame.body { return result }
        return nil
    }

    @Test func decodesAGzipFrameWithAChatMessage() throws {
        let chat = Build.chat("好綠茶喔，就是要我穿得最好看🤔")
        let frame = decoder.decodeFrame(Build.frame(payload: Build.fetchResult([Build.bytes(Build.envelope("WebcastChatMessage", Build.bytes(chat), msgID: 99))])))
        #expect(frame.errors.isEmpty)
        #expect(frame.notices.isEmpty)
        #expect(frame.payloadType == "msg")
        #expect(frame.fields["seq_id"] == .string("41"))
        #expect(frame.fields["log_id"] == .string("7500000000000000001"))
        #expect(frame.fields.at("headers.compress_type") == .string("gzip"))
        #expect(frame.compression.gzipMagic)
        #expect(frame.compression.inflatedSize != nil)
        let result = try #require(fetchResult(of: frame))
        #expect(result.fields["cursor"] == .string("c1"))
        #expect(result.messages.count == 1)
        let message = result.messages[0]
        #expect(message.method == "WebcastChatMessage")
        #expect(message.msgID == 99)
        #expect(message.fields["content"] == .string("好綠茶喔，就是要我穿得最好看🤔"))
        #expect(message.fields.at("user.display_id") == .string("alice"))
        #expect(message.fields.at("user.id") == .string("7300000000000000001"))
        #expect(message.fields.at("common.msg_id") == .string("7400000000000000001"))
        #expect(message.unknown.isEmpty)
        #expect(message.error == nil)
    }

    @Test func oneCorruptMessageDoesNotStopTheOthers() throws {
        let good1 = Build.bytes(Build.envelope("WebcastChatMessage", Build.bytes(Build.chat("first")), msgID: 1))
        // Field 13 with wire type 6 — "illegal tag: field no 13 wire type 6" — after a valid field.
        let bad = Build.bytes(Build.envelope("WebcastInRoomBannerMessage", [0x0A, 0x00, 0x6E, 0x01, 0x02], msgID: 2))
        let good2 = Build.bytes(Build.envelope("WebcastChatMessage", Build.bytes(Build.chat("third")), msgID: 3))
        let frame = decoder.decodeFrame(Build.frame(payload: Build.fetchResult([good1, bad, good2])))
        let result = try #require(fetchResult(of: frame))
        #expect(result.messages.count == 3)
        #expect(result.messages[0].fields["content"] == .string("first"))
        #expect(result.messages[2].fields["content"] == .string("third"))
        let error = try #require(result.messages[1].error)
        #expect(error.stage == .message)
        #expect(error.method == "WebcastInRoomBannerMessage")
        #expect(error.index == 1)
        #expect(error.offset == 2)
        #expect(error.payloadSize == 5)
        #expect(error.message.contains("wire type 6"))
        #expect(error.partial?["common"] == .object([]))
        #expect(frame.errors.count == 1)
    }

    @Test func unknownFieldsAreReportedWithPathAndWireType() throws {
        var chatBytes = Build.bytes(Build.chat("hi"))
        // Append field 77 (varint 5) inside the user: rebuild the user with an extra field.
        var userBytes = Build.bytes(Build.user())
        Wire.appendTag(field: 77, wireType: .varint, to: &userBytes)
        Wire.appendVarint(5, to: &userBytes)
        Wire.appendTag(field: 2, wireType: .lengthDelimited, to: &chatBytes)
        Wire.appendVarint(UInt64(userBytes.count), to: &chatBytes)
        chatBytes += userBytes
        let message = decoder.decodeMessage(method: "WebcastChatMessage", payload: chatBytes)
        #expect(message.error == nil)
        #expect(message.unknown.count == 1)
        let unknown = try #require(message.unknown.first)
        #expect(unknown.path == "WebcastChatMessage.user.77")
        #expect(unknown.wireType == .varint)
        #expect(unknown.value == .string("5"))
        #expect(unknown.schemaKind == nil)
    }

    @Test func aWireTypeChangeIsReportedAgainstTheSchema() throws {
        // content (field 3, a string) sent as a varint.
        var payload: [UInt8] = []
        Wire.appendTag(field: 3, wireType: .varint, to: &payload)
        Wire.appendVarint(300, to: &payload)
        let message = decoder.decodeMessage(method: "WebcastChatMessage", payload: payload)
        #expect(message.error == nil)
        #expect(message.fields["content"] == nil)
        let unknown = try #require(message.unknown.first)
        #expect(unknown.path == "WebcastChatMessage.content")
        #expect(unknown.schemaKind == "string")
        #expect(unknown.value == .string("300"))
    }

    @Test func unknownMethodsAreDecodedSchemaLess() throws {
        var payload: [UInt8] = []
        Wire.appendTag(field: 1, wireType: .varint, to: &payload)
        Wire.appendVarint(42, to: &payload)
        Wire.appendTag(field: 2, wireType: .lengthDelimited, to: &payload)
        Wire.appendVarint(5, to: &payload)
        payload += Array("hello".utf8)
        let envelope = Build.bytes(Build.envelope("WebcastFancyNewMessage", payload))
        let frame = decoder.decodeFrame(Build.frame(payload: Build.fetchResult([envelope])))
        let result = try #require(fetchResult(of: frame))
        let message = try #require(result.messages.first)
        #expect(message.isUnknownMethod)
        #expect(message.fields["1"] == .string("42"))
        #expect(message.fields["2"] == ["string": "hello"])
        #expect(frame.notices.contains { $0.kind == .unknownMethod && $0.detail.contains("WebcastFancyNewMessage") })
    }

    /// A message's method is looked up from its bytes: every top-level message by its name, and
    /// nothing else (a prefix, a longer name, another case, invalid UTF-8).
    @Test func methodsAreFoundByTheirExactName() throws {
        let names = Schema.webcast.messages.map(\.name).filter { Schema.webcast.message(forMethod: $0) != nil }
        #expect(names.count > 25)
        for method in names + ["WebcastChat", "WebcastChatMessage2", "webcastchatmessage", "", "WebcastChat\u{FFFD}"] {
            let envelope = Build.bytes(Build.envelope(method, Build.bytes(Build.chat("x"))))
            let message = try #require(fetchResult(of: decoder.decodeFrame(Build.frame(payload: Build.fetchResult([envelope]))))?.messages.first)
            #expect(message.method == method)
            #expect(message.isUnknownMethod == !names.contains(method), "\(method)")
        }
        var invalid = Build.bytes(Build.envelope("WebcastChatMessage", Build.bytes(Build.chat("x"))))
        let at = try #require(invalid.firstIndex(of: UInt8(ascii: "W")))
        invalid[at] = 0xFF
        let message = try #require(fetchResult(of: decoder.decodeFrame(Build.frame(payload: Build.fetchResult([invalid]))))?.messages.first)
        #expect(message.method == "")
        #expect(message.isUnknownMethod)
    }

    @Test func compressTypeNoneIsDecodedAsIs() throws {
        let payload = Build.fetchResult([Build.bytes(Build.envelope("WebcastChatMessage", Build.bytes(Build.chat("plain"))))])
        let frame = decoder.decodeFrame(Build.frame(payload: payload, compressType: "none", gzip: false))
        #expect(frame.notices.isEmpty)
        #expect(frame.compression.inflatedSize == nil)
        #expect(fetchResult(of: frame)?.messages.first?.fields["content"] == .string("plain"))
    }

    @Test func headerAndBytesThatDisagreeAreReported() throws {
        let payload = Build.fetchResult([Build.bytes(Build.envelope("WebcastChatMessage", Build.bytes(Build.chat("x"))))])
        let saysGzip = decoder.decodeFrame(Build.frame(payload: payload, compressType: "gzip", gzip: false))
        #expect(saysGzip.notices.map(\.kind) == [.compressionMismatch])
        #expect(fetchResult(of: saysGzip)?.messages.first?.fields["content"] == .string("x"))
        let saysNone = decoder.decodeFrame(Build.frame(payload: payload, compressType: "none", gzip: true))
        #expect(saysNone.notices.map(\.kind) == [.compressionMismatch])
        #expect(fetchResult(of: saysNone)?.messages.first?.fields["content"] == .string("x"))
        let brotli = decoder.decodeFrame(Build.frame(payload: payload, compressType: "br", gzip: true))
        #expect(brotli.notices.map(\.kind) == [.unknownCompressType])
        #expect(brotli.notices.first?.detail.contains("'br'") == true)
    }

    /// compress_type gzip with bytes that are neither gzip nor protobuf: the errors say what is likely wrong.
    @Test func aFailureOfAPayloadThatShouldBeGzipNamesTheMissingMagic() throws {
        let frame = decoder.decodeFrame(Build.frame(payload: [0x1F, 0x8C, 0x08, 0x00], compressType: "gzip", gzip: false))
        #expect(frame.errors.map(\.message) == [
            "illegal wire type 7 for field 3 at byte 0 (compress_type is gzip but the payload has no gzip magic; decoded as is)",
        ])
    }

    @Test func aGzipBombIsADecodeErrorNotAnOutOfMemory() throws {
        let small = PushFrameDecoder(inflateLimit: 1 << 20)
        let bomb = [UInt8](repeating: 0, count: 16 << 20)
        let frame = small.decodeFrame(Build.frame(payload: bomb))
        let error = try #require(frame.errors.first)
        #expect(error.stage == .inflate)
        #expect(error.message.contains("limit"))
        #expect(frame.compression.inflatedSize == nil)
    }

    @Test func corruptAndTruncatedGzipAreDecodeErrors() throws {
        var gzip = Deflate.gzip(Array(repeating: 7, count: 4096))
        let truncated = Array(gzip.prefix(gzip.count / 2))
        gzip[12] ^= 0xFF
        for payload in [truncated, gzip] {
            var frame = WebcastPushFrame()
            frame.headers = ["compress_type": "gzip"]
            frame.payloadType = "msg"
            frame.payload = Data(payload)
            let decoded = decoder.decodeFrame(Build.bytes(frame))
            #expect(decoded.errors.map(\.stage) == [.inflate])
        }
    }

    @Test func clientFramesDecode() throws {
        var heartbeat = HeartBeatMessage()
        heartbeat.roomID = 7_540_589_352_666_090_247
        heartbeat.sendPacketSeqID = 3
        let hb = decoder.decodeFrame(Build.frame(payload: Build.bytes(heartbeat), compressType: nil, gzip: false, payloadType: "hb"))
        guard case .message(let name, let walk) = hb.body else { Issue.record("hb body"); return }
        #expect(name == "HeartBeatMessage")
        #expect(walk.fields["room_id"] == .string("7540589352666090247"))
        #expect(walk.fields["send_packet_seq_id"] == .string("3"))

        let ack = decoder.decodeFrame(Build.frame(payload: Array("internal-ext-1".utf8), compressType: nil, gzip: false, payloadType: "ack"))
        guard case .text(let text) = ack.body else { Issue.record("ack body"); return }
        #expect(text == "internal-ext-1")

        var enter = WebcastImEnterRoomMessage()
        enter.roomID = 12
        enter.identity = "audience"
        enter.liveID = 12
        let im = decoder.decodeFrame(Build.frame(payload: Build.bytes(enter), compressType: nil, gzip: false, payloadType: "im_enter_room"))
        guard case .message(_, let enterWalk) = im.body else { Issue.record("im_enter_room body"); return }
        #expect(enterWalk.fields["identity"] == .string("audience"))
    }

    @Test func malformedWireDataGivesTheOffset() throws {
        // A valid content field, then a varint of 11 bytes at offset 4.
        var payload: [UInt8] = [0x1A, 0x02, 0x68, 0x69, 0x08]
        payload += Array(repeating: 0xFF, count: 10) + [0x01]
        let tooLong = decoder.decodeMessage(method: "WebcastChatMessage", payload: payload)
        let error = try #require(tooLong.error)
        #expect(error.message.contains("varint"))
        #expect(error.offset == 5)
        #expect(tooLong.fields["content"] == .string("hi"))

        let pastEnd = decoder.decodeMessage(method: "WebcastChatMessage", payload: [0x1A, 0x02, 0x68, 0x69, 0x1A, 0x40, 0x41])
        let pastEndError = try #require(pastEnd.error)
        #expect(pastEndError.offset == 5)  // the length that runs past the end
        #expect(pastEndError.message.contains("past end"))
    }

    @Test func invalidUTF8IsAnIssueAndTheValueIsKept() throws {
        let payload: [UInt8] = [0x1A, 0x03, 0x61, 0xFF, 0x62]
        let message = decoder.decodeMessage(method: "WebcastChatMessage", payload: payload)
        #expect(message.error == nil)
        #expect(message.issues.count == 1)
        #expect(message.issues.first?.path == "WebcastChatMessage.content")
        #expect(message.issues.first?.offset == 0)
        #expect(message.fields["content"] == ["invalid_utf8_base64": .string(Data([0x61, 0xFF, 0x62]).base64EncodedString())])
    }

    @Test func ackRequestsWithoutInternalExtAreNoticed() throws {
        let payload = Build.fetchResult([], needAck: true, internalExt: "")
        let frame = decoder.decodeFrame(Build.frame(payload: payload))
        #expect(frame.notices.map(\.kind) == [.ackWithoutInternalExt])
    }

    @Test func mapsAndPackedRepeatedFieldsDecode() throws {
        var result = ProtoMessageFetchResult()
        result.routeParams = ["b": "2", "a": "1"]
        var delete = WebcastImDeleteMessage()
        delete.deleteMsgIds = [1, 7_400_000_000_000_000_000]
        let decoded = decoder.decodeFetchResult(Build.fetchResult([Build.bytes(Build.envelope("WebcastImDeleteMessage", Build.bytes(delete)))]) + Build.bytes(result))
        #expect(decoded.fields["route_params"] == ["a": "1", "b": "2"])
        #expect(decoded.messages.first?.fields["delete_msg_ids"] == ["1", "7400000000000000000"])
    }

    /// The messages of a fetch result share one JSON buffer: one that only the tree can decode (its fields out of
    /// number order), or whose envelope is out of order, leaves no trace in its neighbours, and each message reads
    /// as when it is decoded alone.
    @Test func messagesOfAFetchResultReadAsAlone() throws {
        let chat = Build.bytes(Build.chat("first"))
        let outOfOrder: [UInt8] = [0x1A, 0x02, 0x68, 0x69] + Build.bytes(Build.chat("second"))  // content, then common
        let last = Build.bytes(Build.chat("last 主播"))
        var envelope = Build.envelope("WebcastChatMessage", last, msgID: 3)
        envelope.msgType = 2
        // The envelope's fields out of order: msg_type, then method and the rest.
        let reordered = [0x20, 0x02] + Build.bytes(Build.envelope("WebcastChatMessage", last, msgID: 3))
        let result = decoder.decodeFetchResult(Build.fetchResult([
            Build.bytes(Build.envelope("WebcastChatMessage", chat, msgID: 1)),
            Build.bytes(Build.envelope("WebcastChatMessage", outOfOrder, msgID: 2)),
            reordered, Build.bytes(envelope),
        ]))
        #expect(result.errors.isEmpty)
        try #require(result.messages.count == 4)
        let payloads = [chat, outOfOrder, last, last]
        for (message, payload) in zip(result.messages, payloads) {
            let alone = decoder.decodeMessage(method: "WebcastChatMessage", payload: payload)
            #expect(CanonicalJSON.string(message.fields) == CanonicalJSON.string(alone.fields))
        }
        #expect(result.messages[0].fields["content"] == "first")
        #expect(result.messages[1].fields["content"] == "second")  // the last of a singular field wins
        for index in [2, 3] {
            #expect(result.messages[index].envelope == ["method": "WebcastChatMessage", "msg_id": "3", "msg_type": 2])
        }
        if case .encoded = result.messages[1].fields { Issue.record("out-of-order fields must come as a tree") }
        if case .encoded = result.messages[2].envelope { Issue.record("an out-of-order envelope must come as a tree") }
        #expect(CanonicalJSON.string(result.messages[2].envelope) == CanonicalJSON.string(result.messages[3].envelope))
    }

    @Test func bytesThatAreNotProtobufAreAFrameError() throws {
        let frame = decoder.decodeFrame(Array("GET / HTTP/1.1\r\n".utf8))
        let error = try #require(frame.errors.first)
        #expect(error.stage == .frame)
        #expect(error.offset == 0)
        #expect(error.message.contains("wire type"))
        #expect(frame.errors.count == 1)
    }

    @Test func frameErrorsCarryTheFrameSeqIDAndIssuesBecomeErrors() throws {
        let invalid: [UInt8] = [0x1A, 0x02, 0xC3, 0x28]
        let frame = decoder.decodeFrame(Build.frame(payload: Build.fetchResult([Build.bytes(Build.envelope("WebcastChatMessage", invalid))]), seqID: 1234))
        let error = try #require(frame.errors.first)
        #expect(error.seqID == "1234")
        #expect(error.method == "WebcastChatMessage")
        #expect(error.offset == 0)
        #expect(error.message == "WebcastChatMessage.content: invalid UTF-8 in string field at byte 0")
    }

    @Test func mapEntriesWithoutKeyOrValueTakeTheDefaults() throws {
        // admin_permissions (25) is map<int32, int32>: one entry without its key, one without its value.
        let message = decoder.decodeMessage(method: "WebcastMemberMessage", payload: [0xCA, 0x01, 0x02, 0x10, 0x07, 0xCA, 0x01, 0x02, 0x08, 0x03])
        #expect(message.error == nil)
        #expect(message.fields["admin_permissions"] == ["0": 7, "3": 0])
    }

    @Test func aRepeatedMapKeyKeepsTheLastValue() throws {
        var frame: [UInt8] = []
        for (key, value) in [("compress_type", "gzip"), ("compress_type", "none")] {
            var entry: [UInt8] = [0x0A, UInt8(key.utf8.count)] + Array(key.utf8)
            entry += [0x12, UInt8(value.utf8.count)] + Array(value.utf8)
            frame += [0x2A, UInt8(entry.count)] + entry
        }
        let decoded = decoder.decodeFrame(frame)
        #expect(decoded.fields["headers"] == ["compress_type": "none"])
        #expect(decoded.compression.header == "none")
    }

    @Test func aPackedSingularScalarIsAWireTypeChange() throws {
        // repeat_count (5) is a singular int32, here sent packed.
        let message = decoder.decodeMessage(method: "WebcastGiftMessage", payload: [0x2A, 0x02, 0x04, 0x06])
        #expect(message.fields["repeat_count"] == nil)
        let unknown = try #require(message.unknown.first)
        #expect(unknown.path == "WebcastGiftMessage.repeat_count")
        #expect(unknown.schemaKind == "int32")
        #expect(unknown.wireType == .lengthDelimited)
    }

    @Test func frameAndPayloadUnknownFieldsShareOneList() throws {
        var heartbeat = Build.bytes(HeartBeatMessage())
        heartbeat += [0x48, 0x01]  // field 9 = 1, unknown to HeartBeatMessage
        var frame = Build.frame(payload: heartbeat, compressType: nil, gzip: false, payloadType: "hb")
        frame += [0xA0, 0x01, 0x05]  // field 20 = 5, unknown to WebcastPushFrame
        let decoded = decoder.decodeFrame(frame)
        let message = WebSocketMessage(timeMicros: 0, conn: 1, direction: .send, payload: Body(frame))
        let record = try #require(WireTranscript.frame(decoded, message: message, context: RecordContext(line: 1, timeMicros: 0, conn: 1)).first)
        guard case .object(let pairs) = record else { Issue.record("not an object"); return }
        #expect(pairs.filter { $0.0 == "unknown" }.count == 1)
        let paths = record["unknown"]?.arrayValue?.compactMap { $0["path"]?.stringValue }
        #expect(paths == ["WebcastPushFrame.20", "HeartBeatMessage.9"])
    }
}
