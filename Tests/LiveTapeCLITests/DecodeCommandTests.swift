import Foundation
import SwiftProtobuf
import Tape
import Testing
import JSONKit
import WebcastProto
import WireKit

@Suite struct DecodeCommandTests {
    private func chatFrame(_ text: String, seqID: Int64) throws -> [UInt8] {
        var chat = WebcastChatMessage()
        chat.content = text
        chat.user.displayID = "bob"
        var envelope = BaseProtoMessage()
        envelope.method = "WebcastChatMessage"
        envelope.msgID = seqID
        envelope.payload = try chat.serializedBytes()
        var result = ProtoMessageFetchResult()
        result.messages = [envelope]
        var frame = WebcastPushFrame()
        frame.seqID = seqID
        frame.headers = ["compress_type": "gzip"]
        frame.payloadType = "msg"
        frame.payload = Data(Deflate.gzip(try result.serializedBytes()))
        return try frame.serializedBytes()
    }

    private func tapeLine(_ record: TapeRecord) -> String {
        String(decoding: TapeEncoder.encode(record), as: UTF8.self)
    }

    /// A tape with two good frames around a garbage line, and a torn last line.
    private func damagedTape() throws -> URL {
        let header = TapeHeader(created: "2026-11-29T00:00:00Z", source: TapeSource(kind: "test"))
        let first = WebSocketMessage(timeMicros: 10, conn: 1, direction: .recv, payload: Body(try chatFrame("before", seqID: 1)))
        let second = WebSocketMessage(timeMicros: 20, conn: 1, direction: .recv, payload: Body(try chatFrame("after", seqID: 2)))
        let text = String(decoding: TapeEncoder.encode(header), as: UTF8.self)
            + tapeLine(.wsMessage(first))
            + "{\"kind\":\"ws_message\",\"t_us\":\n"
            + tapeLine(.wsMessage(second))
            + "{\"kind\":\"ws_close\",\"t_us\":30"
        let url = try CLI.temporaryDirectory().appendingPathComponent("damaged.tape")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    @Test func aDamagedTapeIsDecodedAroundItsBadLines() throws {
        let tape = try damagedTape()
        let run = try CLI.run(["decode", tape.path, "--view", "events"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("damaged.tape:3"))
        #expect(run.stderr.contains("damaged.tape:5: truncated record"))
        let records = try run.records()
        #expect(records.first == ["transcript": "livetape", "view": "events", "version": 1])
        let comments = records.filter { $0["event"] == "comment" }.compactMap { $0["text"]?.stringValue }
        #expect(comments == ["before", "after"])
        let errors = records.filter { $0["event"] == "decode_error" }
        #expect(errors.map { $0["line"] } == [.int(3), .int(5)])
    }

    @Test func aMissingOrForeignFileIsUnreadable() throws {
        let missing = try CLI.run(["decode", "/nonexistent/x.tape"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("/nonexistent/x.tape"))
        #expect(missing.stdout.isEmpty)

        let foreign = try CLI.temporaryDirectory().appendingPathComponent("notes.tape")
        try "hello\n".write(to: foreign, atomically: true, encoding: .utf8)
        let notATape = try CLI.run(["decode", foreign.path])
        #expect(notATape.status == 2)
        #expect(notATape.stderr.contains("notes.tape:1"))
        #expect(notATape.stderr.contains("not a livetape-tape file"))
    }

    @Test func aNewerTapeVersionIsNamed() throws {
        let url = try CLI.temporaryDirectory().appendingPathComponent("future.tape")
        try #"{"format":"livetape-tape","version":2,"created":"2030-01-01T00:00:00Z","source":{"kind":"x"},"redacted":[]}"#
            .appending("\n").write(to: url, atomically: true, encoding: .utf8)
        let run = try CLI.run(["decode", url.path])
        #expect(run.status == 2)
        #expect(run.stderr.contains("version 2"))
    }

    @Test func aPastedFrameDecodesFromHexOrBase64() throws {
        let frame = try chatFrame("pasted 🎉", seqID: 77)
        let hex = frame.map { String(format: "%02x", $0) }.joined(separator: " ")
        let base64 = Data(frame).base64EncodedString()
        for input in [hex, base64] {
            let run = try CLI.run(["decode", "--frame", "-"], stdin: Data(input.utf8))
            #expect(run.status == 0, "\(run.stderr)")
            let records = try run.records()
            #expect(records.contains { $0["type"] == "frame" && $0.at("fields.seq_id") == "77" })
            #expect(records.contains { $0["type"] == "message" && $0.at("fields.content") == "pasted 🎉" })
        }
    }

    @Test func aPastedMessageDecodesByMethod() throws {
        var like = WebcastLikeMessage()
        like.count = 15
        like.total = 9_000_000_000
        let file = try CLI.temporaryDirectory().appendingPathComponent("like.bin")
        let bytes: [UInt8] = try like.serializedBytes()
        try Data(bytes).write(to: file)
        let run = try CLI.run(["decode", "--message", "WebcastLikeMessage", file.path, "--view", "events"])
        #expect(run.status == 0, "\(run.stderr)")
        let event = try #require(try run.records().last)
        #expect(event["event"] == "like")
        #expect(event["count"] == 15)
        #expect(event["total"] == "9000000000")
    }

    @Test func aCorruptPastedMessageExitsOneWithItsOffset() throws {
        let run = try CLI.run(["decode", "--message", "WebcastChatMessage", "-"], stdin: Data("1a 05 68 69".utf8))
        #expect(run.status == 1)
        let error = try #require(try run.records().first { $0["type"] == "decode_error" })
        #expect(error["offset"] == 1)
        #expect(error["error"]?.stringValue?.contains("past end") == true)
    }

    @Test func theDemoPrintsALiveView() throws {
        let run = try CLI.run(["decode", "--view", "events", "--format", "text"])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n")
        #expect(lines.count > 1_000)
        #expect(lines.contains { $0.contains("connected  wss://") })
        #expect(lines.contains { $0.contains("💬 @") })
        #expect(lines.contains { $0.contains("🎁 @") && $0.contains("(streak ended)") })
        #expect(lines.contains { $0.contains("👥 viewers") })
        #expect(lines.contains { $0.hasSuffix("■ stream ended") })
    }

    @Test func invalidArgumentsAreUsageErrors() throws {
        let run = try CLI.run(["decode", "--message", "WebcastChatMessage"])
        #expect(run.status == 64)
        #expect(run.stderr.contains("--message takes a method name and a file"))
    }
}

extension JSONValue {
    func at(_ path: String) -> JSONValue? {
        path.split(separator: ".").reduce(self) { $0?[String($1)] }
    }
}
