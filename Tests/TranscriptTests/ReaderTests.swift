import Foundation
import JSONKit
import Testing
@testable import Transcript

@Suite struct ReaderTests {
    private func reader(_ text: String, name: String = "t.jsonl") throws -> TranscriptReader {
        try TranscriptReader(bytes: Array(text.utf8), name: name)
    }

    private let wireHeader = #"{"transcript":"livetape","view":"wire","version":1}"#

    @Test func streamsTheGoldenWithFileLineNumbers() throws {
        let lines = try Fixtures.lines("corrupt-messages.wire.golden.jsonl")
        let reader = try TranscriptReader(path: Fixtures.path("corrupt-messages.wire.golden.jsonl"),
                                          options: .init(chunkBytes: 4096))
        #expect(reader.header == TranscriptHeader(view: .wire, version: 1))
        var count = 0
        while let entry = try reader.next() {
            count += 1
            #expect(entry.line == count + 1)
            if count == 5 { #expect(canonical(entry.record) == lines[5]) }
        }
        #expect(count == lines.count - 1)
    }

    @Test func skipsBlankLinesButKeepsTheirNumbers() throws {
        let r = try reader(wireHeader + "\n\n" + #"{"type":"gap","line":3,"t_us":1,"conn":2,"dir":"recv","length":9}"# + "\r\n   \n")
        let entry = try #require(try r.next())
        #expect(entry.line == 3)
        #expect(entry.record["length"] == 9)
        #expect(try r.next() == nil)
    }

    @Test func emptyFileIsAnError() {
        let error = caught { try reader("", name: "empty.jsonl") }
        #expect(error == .emptyFile(file: "empty.jsonl"))
        #expect(error?.description.hasPrefix("empty.jsonl: empty file") == true)
    }

    @Test func aTapeIsNotATranscript() throws {
        let error = caught { try TranscriptReader(path: Fixtures.path("session-5min.tape")) }
        guard case .notATranscript(let file, 1, nil, let reason)? = error else {
            Issue.record("unexpected \(String(describing: error))")
            return
        }
        #expect(file.hasSuffix("session-5min.tape"))
        #expect(reason.contains("tape"))
    }

    @Test func aMissingHeaderIsNamed() {
        let error = caught { try reader(#"{"type":"gap","line":3,"t_us":1}"# + "\n") }
        guard case .notATranscript(_, 1, _, let reason)? = error else {
            Issue.record("unexpected \(String(describing: error))")
            return
        }
        #expect(reason.contains("header is missing"))
    }

    @Test func headerThatIsNotJSONHasAColumn() {
        let error = caught { try reader("{\"transcript\":livetape}\n") }
        guard case .notATranscript("t.jsonl", 1, let column?, _)? = error else {
            Issue.record("unexpected \(String(describing: error))")
            return
        }
        #expect(column == 15)
    }

    @Test func newerVersionIsUnsupported() {
        let error = caught { try reader(#"{"transcript":"livetape","view":"wire","version":2}"# + "\n") }
        #expect(error == .unsupportedVersion(file: "t.jsonl", version: 2, supported: 1))
        #expect(error?.description.contains("newer") == true)
    }

    @Test func invalidViewAndVersionAreHeaderErrors() {
        for header in [#"{"transcript":"livetape","view":"audio","version":1}"#,
                       #"{"transcript":"livetape","view":"wire","version":"1"}"#,
                       #"{"transcript":"livetape","view":"wire","version":0}"#,
                       #"{"transcript":"livetape","version":1}"#] {
            let error = caught { try reader(header + "\n") }
            guard case .invalidHeader("t.jsonl", _)? = error else {
                Issue.record("\(header): unexpected \(String(describing: error))")
                continue
            }
        }
        let other = caught { try reader(#"{"transcript":"othertool","view":"wire","version":1}"# + "\n") }
        guard case .notATranscript? = other else {
            Issue.record("unexpected \(String(describing: other))")
            return
        }
    }

    @Test func malformedLineNamesFileLineAndColumn() throws {
        let r = try reader(wireHeader + "\n" + #"{"type":"gap","line":3,"t_us":1,,"conn":2}"# + "\n", name: "bad.jsonl")
        let error = caught { try r.next() }
        #expect(error == .malformedLine(file: "bad.jsonl", line: 2, column: 33, message: "unexpected ',', expected a quoted key"))
        #expect(error?.description.hasPrefix("bad.jsonl:2:33: malformed line") == true)
    }

    @Test func recordsMustBelongToTheView() throws {
        let r = try reader(wireHeader + "\n" + #"{"event":"comment","line":3}"# + "\n[1,2]\n")
        #expect(caught { try r.next() } == .invalidRecord(file: "t.jsonl", line: 2, message: "an events record (\"event\") in a wire transcript"))
        #expect(caught { try r.next() } == .invalidRecord(file: "t.jsonl", line: 3, message: "a record is a JSON object, found an array"))
    }

    @Test func overlongLineIsAnErrorNotAnAllocation() throws {
        let r = try TranscriptReader(bytes: Array((wireHeader + "\n" + String(repeating: " ", count: 5000) + "{}\n").utf8),
                                     name: "long.jsonl", options: .init(maxLineBytes: 1000))
        #expect(caught { try r.next() } == .lineTooLong(file: "long.jsonl", line: 2, limit: 1000))
    }

    @Test func missingFileIsAnIOError() {
        let error = caught { try TranscriptReader(path: "/nonexistent/x.jsonl") }
        guard case .io("/nonexistent/x.jsonl", "open", _)? = error else {
            Issue.record("unexpected \(String(describing: error))")
            return
        }
    }

    @Test func validatorAgreesWithTheParser() {
        let samples = [
            #"{"a":1}"#, #"{"a":1,}"#, #"[1,2]"#, #"[1,,2]"#, #"[01]"#, #"[-0]"#, #"[1.]"#, #"[1e+5]"#, #"[1e]"#,
            #""\ud83e\udd14""#, #""\ud83e""#, #""\udd14""#, #""\ud83e\u0041""#, #""\x""#, "\"a\u{1}\"", #"truex"#,
            #"  {"k" : [true,false,null] }  "#, #"{"k":tru}"#, #"{"#, #"{"a" 1}"#, #""é""#, #"[1] 2"#, "",
            #"{"a":{"b":[{"c":"\n\t\/"}]}}"#, #"[-]"#, #"[1E-2]"#, #"nul"#, #""\uZZZZ""#,
            String(repeating: "[", count: 512) + String(repeating: "]", count: 512),
            String(repeating: "[", count: 513) + String(repeating: "]", count: 513),
        ]
        for sample in samples {
            let parsed = (try? JSONParser.parse(sample)) != nil
            #expect(JSONValidator.isValid(Array(sample.utf8)) == parsed, "\(sample.prefix(40))")
        }
        // Invalid UTF-8 inside a string.
        let bad: [UInt8] = [0x22, 0xC3, 0x28, 0x22]
        #expect(JSONValidator.isValid(bad) == false)
        #expect((try? JSONParser.parse(bad)) == nil)
    }
}
