import Foundation
import JSONKit
import Testing
@testable import Tape

/// `ws_message` lines in the writer's layout are read without a JSON tree; whatever that path
/// reads must be what the general reader reads, and whatever it has doubts about it must leave
/// to the general reader.
@Suite struct MessageLineTests {
    /// The record the general reader makes of a line, or nil when it makes an error of it.
    private func general(_ line: String) -> TapeRecord? {
        var bytes = Array(line.utf8)
        return bytes.withUnsafeMutableBufferPointer { buffer -> TapeRecord? in
            guard let parsed = try? JSONParser.parse(UnsafeBufferPointer(buffer)), let fields = FieldReader(parsed),
                  case .record(let record)? = try? RecordDecoding.record(fields) else { return nil }
            return record
        }
    }

    private func fast(_ line: String) -> WebSocketMessage? {
        var bytes = Array(line.utf8)
        return bytes.withUnsafeMutableBufferPointer { MessageLine.decode(UnsafeBufferPointer($0)) }
    }

    @Test func everyWrittenMessageIsReadAsTheGeneralReaderReadsIt() throws {
        let messages: [WebSocketMessage] = [
            WebSocketMessage(timeMicros: 0, conn: 1, direction: .recv, payload: Body(Sample.binary)),
            WebSocketMessage(timeMicros: 7, conn: 0, direction: .send, payload: Body(Sample.binary), compressed: true),
            WebSocketMessage(timeMicros: UInt64(Int64.max), conn: Int(Int64.max), direction: .recv, payload: .empty),
            WebSocketMessage(timeMicros: 10, conn: 2, direction: .send, opcode: .ping, payload: Body([0, 1, 2])),
            WebSocketMessage(timeMicros: 10, conn: 2, direction: .recv, opcode: .continuation, payload: Body(Array(0...255))),
        ]
        for message in messages {
            let line = String(decoding: TapeEncoder.encode(.wsMessage(message)).dropLast(), as: UTF8.self)
            #expect(fast(line) == message, "\(line)")
            #expect(general(line) == .wsMessage(message), "\(line)")
        }
    }

    @Test func aLineTheFastPathDoubtsIsLeftToTheGeneralReader() {
        let base64 = #""payload":{"base64":"CJYBH4sIAP8AOgJoYg=="}"#
        let lines = [
            #"{"t_us":01,"kind":"ws_message","conn":1,"dir":"recv","opcode":"binary",\#(base64)}"#,
            #"{"t_us":-1,"kind":"ws_message","conn":1,"dir":"recv","opcode":"binary",\#(base64)}"#,
            #"{"t_us":1.5,"kind":"ws_message","conn":1,"dir":"recv","opcode":"binary",\#(base64)}"#,
            #"{"t_us":1e3,"kind":"ws_message","conn":1,"dir":"recv","opcode":"binary",\#(base64)}"#,
            #"{"t_us":9223372036854775808,"kind":"ws_message","conn":1,"dir":"recv","opcode":"binary",\#(base64)}"#,
            #"{"t_us":1,"kind":"ws_message","conn":-3,"dir":"recv","opcode":"binary",\#(base64)}"#,
            #"{"t_us":1,"kind":"ws_message","conn":1,"dir":"sideways","opcode":"binary",\#(base64)}"#,
            #"{"t_us":1,"kind":"ws_message","conn":1,"dir":"recv","opcode":"close",\#(base64)}"#,
            #"{"t_us":1,"kind":"ws_message","conn":1,"dir":"recv","opcode":2,\#(base64)}"#,
            #"{"t_us":1,"kind":"ws_message","conn":1,"dir":"recv","opcode":"bin\u0061ry",\#(base64)}"#,
            #"{"t_us":1,"kind":"ws_message","conn":1,"dir":"recv","opcode":"binary","payload":{"base64":"CJYB\u0048"}}"#,
            #"{"t_us":1,"kind":"ws_message","conn":1,"dir":"recv","opcode":"binary","payload":{"base64":"C*YB"}}"#,
            #"{"t_us":1,"kind":"ws_message","conn":1,"dir":"recv","opcode":"binary","payload":{"text":"hi"}}"#,
            #"{"t_us":1,"kind":"ws_message","conn":1,"dir":"recv","opcode":"binary",\#(base64),"conn":2}"#,
            #"{"t_us":1,"kind":"ws_message","conn":1,"dir":"recv","opcode":"binary",\#(base64)} "#,
            #"{"t_us":1,"kind":"ws_message","conn":1,"dir":"recv","opcode":"binary",\#(base64)"#,
            #"{"t_us":1, "kind":"ws_message","conn":1,"dir":"recv","opcode":"binary",\#(base64)}"#,
        ]
        for line in lines {
            #expect(fast(line) == nil, "\(line)")
        }
        // What the general reader makes of some of them, so that leaving them to it loses nothing.
        #expect(general(lines[13]).map { if case .wsMessage(let m) = $0 { m.conn } else { -1 } } == 2)
        #expect(general(lines[14]) != nil)
        #expect(general(lines[16]) != nil)
        #expect(general(lines[0]) == nil)
    }

    @Test func fixtureTapesReadTheSameEitherWay() throws {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Fixtures").standardizedFileURL
        var read = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: fixtures.path) where name.hasSuffix(".tape") {
            let text = try String(contentsOf: fixtures.appendingPathComponent(name), encoding: .utf8)
            for line in text.split(separator: "\n").dropFirst() {
                guard let message = fast(String(line)) else { continue }
                #expect(general(String(line)) == .wsMessage(message))
                read += 1
            }
        }
        #expect(read > 2000)
    }
}
