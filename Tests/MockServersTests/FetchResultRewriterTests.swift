import Foundation
import MockServers
import SwiftProtobuf
import Tape
import Testing
import WebcastProto

@Suite struct FetchResultRewriterTests {
    static let mockURL = "ws://127.0.0.1:9000/webcast/im/push/"

    @Test func changesOnlyPushServer() throws {
        let body = try #require(fixtureFetch().response?.body.bytes)
        let before = try ProtoMessageFetchResult(serializedBytes: body)
        #expect(!before.messages.isEmpty && !before.cursor.isEmpty && !before.routeParams.isEmpty)
        #expect(!before.pushServer.isEmpty && before.pushServer != Self.mockURL)

        let rewritten = try FetchResultRewriter.rewritePushServer(body, to: Self.mockURL)
        let after = try ProtoMessageFetchResult(serializedBytes: rewritten)
        #expect(after.pushServer == Self.mockURL)
        #expect(after.messages == before.messages)
        #expect(after.cursor == before.cursor)
        #expect(after.fetchInterval == before.fetchInterval)
        #expect(after.now == before.now)
        #expect(after.internalExt == before.internalExt)
        #expect(after.fetchType == before.fetchType)
        #expect(after.routeParams == before.routeParams)
        #expect(after.heartbeatDuration == before.heartbeatDuration)
        #expect(after.needAck == before.needAck)
        #expect(after.isFirst == before.isFirst)
        #expect(after.historyCommentCursor == before.historyCommentCursor)
        #expect(after.historyNoMore == before.historyNoMore)
        #expect(after.unknownFields == before.unknownFields)
        // Nothing else: put the old push server back and the messages are equal.
        var restored = after
        restored.pushServer = before.pushServer
        #expect(restored == before)
        // Deterministic bytes.
        #expect(try FetchResultRewriter.rewritePushServer(body, to: Self.mockURL) == rewritten)
        #expect(try FetchResultRewriter.rewritePushServer(rewritten, to: Self.mockURL) == rewritten)
    }

    @Test func unknownFieldsSurviveAtEveryLevel() throws {
        // Top level: field 99 (varint 150) and field 100 (bytes "hi").
        let topUnknown: [UInt8] = [0x98, 0x06, 0x96, 0x01, 0xA2, 0x06, 0x02, 0x68, 0x69]
        // Inside a BaseProtoMessage (field 1 of the result): field 50, varint 7.
        var inner = try BaseProtoMessage.with { $0.method = "WebcastChatMessage"; $0.msgID = 42 }.serializedBytes() as [UInt8]
        let innerUnknown: [UInt8] = [0x90, 0x03, 0x07]
        inner += innerUnknown
        var body = try ProtoMessageFetchResult.with {
            $0.cursor = "c1"
            $0.pushServer = "wss://webcast16-ws-useast1a.tiktok.com/webcast/im/push/"
            $0.routeParams = ["b": "2", "a": "1"]
            $0.isFirst = true
        }.serializedBytes() as [UInt8]
        body += [0x0A, UInt8(inner.count)] + inner
        body += topUnknown

        let after = try ProtoMessageFetchResult(serializedBytes: FetchResultRewriter.rewritePushServer(body, to: Self.mockURL))
        #expect(after.pushServer == Self.mockURL)
        #expect([UInt8](after.unknownFields.data) == topUnknown)
        #expect(after.messages.count == 1)
        #expect(after.messages.first?.msgID == 42)
        #expect(after.messages.first.map { [UInt8]($0.unknownFields.data) } == innerUnknown)
        #expect(after.routeParams == ["a": "1", "b": "2"])
        #expect(after.cursor == "c1" && after.isFirst)
    }

    @Test func invalidBodyThrows() {
        #expect(throws: (any Error).self) { try FetchResultRewriter.rewritePushServer([0x0A, 0x05, 0x01], to: Self.mockURL) }
    }
}
