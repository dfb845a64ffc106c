import Foundation
import Testing
@testable import Tape

@Suite struct HeaderErrorTests {
    @Test func emptyFileIsRejected() throws {
        let memory = tapeError { _ = try TapeReader(bytes: [], name: "empty.tape") }
        #expect(memory == .emptyFile(file: "empty.tape"))
        #expect(memory?.description.hasPrefix("empty.tape: empty file") == true)

        let path = temporaryPath("empty.tape")
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        #expect(tapeError { _ = try TapeReader(path: path) } == .emptyFile(file: path))
    }

    @Test func missingFileIsAnIOError() {
        let error = tapeError { _ = try TapeReader(path: "/nonexistent/dir/x.tape") }
        guard case .io(let file, let operation, _) = error else {
            Issue.record("expected an io error, got \(String(describing: error))")
            return
        }
        #expect(file == "/nonexistent/dir/x.tape")
        #expect(operation == "open")
    }

    @Test func headerThatIsNotJSONIsNotATape() {
        let error = tapeError { _ = try TapeReader(bytes: Array("hello world\n{}\n".utf8), name: "t.tape") }
        guard case .notATape(let location, _) = error else {
            Issue.record("expected notATape, got \(String(describing: error))")
            return
        }
        #expect(location.line == 1)
        #expect(location.column == 1)
        #expect(error?.description.hasPrefix("t.tape:1:1: not a livetape-tape file: line 1 is not JSON") == true)
    }

    @Test func wrongFormatNameIsNotATape() {
        let error = tapeError { _ = try TapeReader(bytes: Array(#"{"format":"har","version":1}"#.utf8 + [0x0A]), name: "t.tape") }
        guard case .notATape(_, let reason) = error else {
            Issue.record("expected notATape, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("\"har\""))
        // A record line first (header forgotten) is also not a tape.
        let noHeader = tapeError { _ = try TapeReader(bytes: Array(line(Sample.records[0]).utf8 + [0x0A])) }
        #expect(noHeader?.description.contains("no \"format\" field") == true)
    }

    @Test func newerVersionIsRejectedNamingTheVersion() {
        let bytes = Array(#"{"format":"livetape-tape","version":2,"created":"x","source":{"kind":"synth"}}"#.utf8 + [0x0A])
        let error = tapeError { _ = try TapeReader(bytes: bytes, name: "new.tape") }
        #expect(error == .unsupportedVersion(TapeLocation(file: "new.tape", line: 1), version: 2, supported: 1))
        #expect(error?.description.contains("version 2") == true)
        #expect(error?.description.hasPrefix("new.tape:1:") == true)
    }

    @Test func newerVersionCanBeReadBestEffortAndNamesTheVersionForUnknownKinds() throws {
        let header = #"{"format":"livetape-tape","version":2,"created":"x","source":{"kind":"synth"}}"#
        let bytes = tape([line(Sample.records[5]), #"{"t_us":9999,"kind":"ws_batch","conn":1}"#], header: header)
        let reader = try TapeReader(bytes: bytes, options: .init(acceptNewerVersions: true))
        #expect(reader.header.version == 2)
        let read = entries(reader)
        #expect(try read[0].result.get() == Sample.records[5])
        guard case .failure(let error) = read[1].result else {
            Issue.record("expected a failure")
            return
        }
        #expect(error == .unknownKindInNewerVersion(TapeLocation(file: "<memory>", line: 3, byteOffset: UInt64(header.utf8.count + 1 + line(Sample.records[5]).utf8.count + 1)), kind: "ws_batch", version: 2))
        #expect(error.description.contains("version 2"))
    }

    @Test func malformedHeaderFieldsAreNamed() {
        let missingCreated = tapeError { _ = try TapeReader(bytes: Array(#"{"format":"livetape-tape","version":1,"source":{"kind":"x"}}"#.utf8)) }
        guard case .malformedHeader(_, let message) = missingCreated else {
            Issue.record("expected malformedHeader, got \(String(describing: missingCreated))")
            return
        }
        #expect(message.contains("\"created\""))
        let badVersion = tapeError { _ = try TapeReader(bytes: Array(#"{"format":"livetape-tape","version":"1","created":"x","source":{"kind":"x"}}"#.utf8)) }
        #expect(badVersion?.description.contains("field \"version\": expected an integer, found a string") == true)
    }

    @Test func headerOnlyTapeHasNoRecordsAndBOMIsAccepted() throws {
        let reader = try TapeReader(bytes: [0xEF, 0xBB, 0xBF] + Array(Sample.headerLine.utf8))
        #expect(reader.header.source.kind == "synth")
        #expect(reader.header.redacted == [])
        #expect(entries(reader).isEmpty)
    }
}

@Suite struct RecordErrorTests {
    @Test func garbageLineInTheMiddleIsReportedAndReadingGoesOn() throws {
        let bytes = tape([line(Sample.records[0]), #"{"t_us":5,"kind":"gap" oops"#, line(Sample.records[1])])
        let read = entries(try TapeReader(bytes: bytes, name: "g.tape"))
        #expect(read.count == 3)
        #expect(try read[0].result.get() == Sample.records[0])
        #expect(read[1].line == 3)
        guard case .failure(.malformedRecord(let location, let message)) = read[1].result else {
            Issue.record("expected malformedRecord, got \(read[1].result)")
            return
        }
        #expect(location.line == 3)
        #expect(location.column == 24)
        #expect(message.contains("expected ',' or '}'"))
        #expect(read[1].result.failureDescription?.hasPrefix("g.tape:3:24: malformed record") == true)
        #expect(read[2].line == 4)
        #expect(try read[2].result.get() == Sample.records[1])
    }

    @Test func truncatedLastLineIsReportedAfterAllEarlierRecords() throws {
        let complete = line(Sample.records[5])
        var bytes = tape([line(Sample.records[0]), complete])
        let torn = Array(complete.utf8.prefix(40))
        bytes += torn
        let read = entries(try TapeReader(bytes: bytes, name: "tape.tape"))
        #expect(read.count == 3)
        #expect(try read[0].result.get() == Sample.records[0])
        #expect(try read[1].result.get() == Sample.records[5])
        guard case .failure(let error) = read[2].result, case .truncatedLine(let location, let count) = error else {
            Issue.record("expected truncatedLine, got \(read[2].result)")
            return
        }
        #expect(read[2].line == 4)
        #expect(location.line == 4)
        #expect(count == 40)
        #expect(error.description == "tape.tape:4: truncated record (no newline at end of file; 40 bytes)")
    }

    @Test func completeLastLineWithoutNewlineIsARecord() throws {
        var bytes = tape([line(Sample.records[0])])
        bytes += Array(line(Sample.records[5]).utf8)
        let reader = try TapeReader(bytes: bytes)
        #expect(records(reader) == [Sample.records[0], Sample.records[5]])
        #expect(failures(reader).isEmpty)
    }

    @Test func unknownKindInVersion1() throws {
        let read = entries(try TapeReader(bytes: tape([#"{"t_us":1,"kind":"ws_frame","conn":1}"#, line(Sample.records[10])])))
        #expect(read.count == 2)
        guard case .failure(.unknownKind(let location, let kind)) = read[0].result else {
            Issue.record("expected unknownKind, got \(read[0].result)")
            return
        }
        #expect(location.line == 2)
        #expect(kind == "ws_frame")
        #expect(try read[1].result.get() == Sample.records[10])
    }

    @Test func overLongLineIsSkippedWithoutStoppingTheReader() throws {
        let long = #"{"t_us":1,"kind":"ws_message","conn":1,"dir":"recv","opcode":"text","payload":{"text":""# + String(repeating: "x", count: 5000) + #""}}"#
        let bytes = tape([line(Sample.records[0]), long, line(Sample.records[1])])
        let options = TapeReader.Options(maxLineBytes: 1000, chunkBytes: 64)
        for reader in [try TapeReader(bytes: bytes, options: options), try TapeReader(path: writeTemp(bytes), options: options)] {
            let read = entries(reader)
            #expect(read.count == 3)
            #expect(try read[0].result.get() == Sample.records[0])
            guard case .failure(.lineTooLong(let location, let count, let limit)) = read[1].result else {
                Issue.record("expected lineTooLong, got \(read[1].result)")
                continue
            }
            #expect(location.line == 3)
            #expect(count == UInt64(long.utf8.count))
            #expect(limit == 1000)
            #expect(try read[2].result.get() == Sample.records[1])
            #expect(read[2].line == 4)
        }
        // An over-long unterminated last line is reported too.
        let tail = tape([line(Sample.records[0])]) + Array(long.utf8)
        let read = entries(try TapeReader(path: writeTemp(tail), options: options))
        #expect(read.count == 2)
        #expect(read[1].result.failureDescription?.contains("line too long (\(long.utf8.count) bytes; limit 1000)") == true)
    }

    @Test func schemaErrorsNameTheField() throws {
        let read = entries(try TapeReader(bytes: tape([
            #"{"kind":"gap","conn":1,"dir":"recv","length":1}"#,
            #"{"t_us":-1,"kind":"gap","conn":1,"dir":"recv","length":1}"#,
            #"{"t_us":1,"kind":"ws_message","conn":1,"dir":"up","opcode":"binary"}"#,
            #"{"t_us":1,"kind":"ws_message","conn":1,"dir":"recv","opcode":"binary","payload":{"base64":"!!!!"}}"#,
            #"{"t_us":1,"kind":"http","request":{"method":"GET","url":"u","headers":[["a"]]}}"#,
            #"{"t_us":1,"kind":"ws_message","conn":1,"dir":"recv","opcode":8}"#,
            #"{"t_us":1,"kind":"ws_close","conn":1,"by":"server","code":70000}"#,
            #"[1,2]"#,
        ])))
        let messages = read.map { $0.result.failureDescription ?? "OK" }
        #expect(messages.count == 8)
        #expect(messages[0].contains("missing field \"t_us\""))
        #expect(messages[1].contains("field \"t_us\": -1 is out of range"))
        #expect(messages[2].contains("\"up\" is not \"recv\" or \"send\""))
        #expect(messages[3].contains("field \"payload.base64\": invalid base64 character at character 1"))
        #expect(messages[4].contains("field \"request.headers\", item 0"))
        #expect(messages[5].contains("ws_close"))
        #expect(messages[6].contains("70000 is out of range"))
        #expect(messages[7].contains("must be a JSON object"))
        #expect(read.map(\.line) == Array(2...9))
    }

    @Test func timeGoingBackwardsIsReportedButTheRecordIsKept() throws {
        let a = TapeRecord.gap(CaptureGap(timeMicros: 100, conn: 1, direction: .recv, length: 1))
        let b = TapeRecord.gap(CaptureGap(timeMicros: 50, conn: 1, direction: .recv, length: 2))
        let c = TapeRecord.gap(CaptureGap(timeMicros: 60, conn: 1, direction: .recv, length: 3))
        let read = entries(try TapeReader(bytes: encodedTape([a, a, b, c]), name: "t.tape"))
        #expect(read.count == 4)
        #expect(try read[1].result.get() == a, "equal timestamps are fine")
        guard case .failure(let error) = read[2].result else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.recoveredRecord == b)
        #expect(error.description == "t.tape:4: t_us 50 is earlier than the previous record's 100 (record kept)")
        #expect(try read[3].result.get() == c, "compared with the record just before")
    }

    @Test func blankLinesAndCRLFAreTolerated() throws {
        let text = Sample.headerLine + "\r\n\r\n" + line(Sample.records[0]) + "\r\n   \n" + line(Sample.records[1]) + "\r\n"
        let read = entries(try TapeReader(bytes: Array(text.utf8)))
        #expect(read.map(\.line) == [3, 5])
        #expect(try read.map { try $0.result.get() } == [Sample.records[0], Sample.records[1]])
    }

    @Test func invalidUTF8InALineIsAnErrorForThatLine() throws {
        var bytes = tape([])
        bytes += Array(#"{"t_us":1,"kind":"gap","conn":1,"dir":""#.utf8) + [0xFF] + Array(#"","length":1}"#.utf8) + [0x0A]
        bytes += Array(line(Sample.records[0]).utf8) + [0x0A]
        let read = entries(try TapeReader(bytes: bytes))
        #expect(read[0].result.failureDescription?.contains("invalid UTF-8") == true)
        #expect(try read[1].result.get() == Sample.records[0])
    }

    @Test func deepNestingIsAnErrorNotACrash() throws {
        let deep = #"{"t_us":1,"kind":"gap","x":"# + String(repeating: "[", count: 100_000) + "}"
        let read = entries(try TapeReader(bytes: tape([deep, line(Sample.records[0])])))
        #expect(read[0].result.failureDescription?.contains("nesting deeper than") == true)
        #expect(try read[1].result.get() == Sample.records[0])
    }
}

func writeTemp(_ bytes: [UInt8]) -> String {
    let path = temporaryPath()
    let created = FileManager.default.createFile(atPath: path, contents: Data(bytes))
    #expect(created, "could not create \(path)")
    return path
}

extension Result where Failure == TapeError {
    var failureDescription: String? {
        if case .failure(let error) = self { return error.description }
        return nil
    }
}
