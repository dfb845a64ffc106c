import Foundation
import Testing
@testable import Tape

@Suite struct WriterTests {
    @Test func eachAppendIsVisibleWhileTheWriterIsOpen() throws {
        let path = temporaryPath()
        let writer = try TapeWriter(path: path, header: Sample.header)
        #expect(records(try TapeReader(path: path)).isEmpty)
        try writer.append(Sample.records[0])
        #expect(records(try TapeReader(path: path)) == [Sample.records[0]])
        try writer.append(Sample.records[5])
        let reader = try TapeReader(path: path)
        #expect(records(reader) == [Sample.records[0], Sample.records[5]])
        #expect(failures(reader).isEmpty)
        try writer.close()
        #expect(tapeError { try writer.append(Sample.records[1]) } == .writerClosed(file: path))
        try writer.close() // closing twice is harmless
    }

    @Test func writerTruncatesAnExistingFile() throws {
        let path = writeTemp(Array("old contents that are not a tape\n".utf8))
        let writer = try TapeWriter(path: path, header: Sample.header)
        try writer.close()
        let reader = try TapeReader(path: path)
        #expect(reader.header == Sample.header)
        #expect(entries(reader).isEmpty)
    }

    @Test func writerToAFileHandleLeavesTheHandleOpen() throws {
        let path = temporaryPath()
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        let handle = try #require(FileHandle(forWritingAtPath: path))
        let writer = try TapeWriter(fileHandle: handle, header: Sample.header, name: "handle")
        try writer.append(Sample.records[2])
        try writer.close()
        try handle.write(contentsOf: TapeEncoder.encode(Sample.records[3]))
        try handle.close()
        #expect(records(try TapeReader(path: path)) == [Sample.records[2], Sample.records[3]])
    }

    @Test func creatingInAMissingDirectoryFails() {
        let error = tapeError { _ = try TapeWriter(path: "/nonexistent/dir/out.tape", header: Sample.header) }
        guard case .io(_, let operation, _) = error else {
            Issue.record("expected io error, got \(String(describing: error))")
            return
        }
        #expect(operation == "create")
    }

    @Test func concurrentAppendsNeverInterleaveLines() async throws {
        let path = temporaryPath()
        let writer = try TapeWriter(path: path, header: Sample.header)
        let big = TapeRecord.wsMessage(WebSocketMessage(timeMicros: 1, conn: 1, direction: .recv, payload: Body([UInt8](repeating: 0xAB, count: 100_000))))
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<4 {
                group.addTask {
                    for i in 0..<50 {
                        try? writer.append(i % 10 == 0 ? big : .gap(CaptureGap(timeMicros: 1, conn: task, direction: .send, length: UInt64(i))))
                    }
                }
            }
        }
        try writer.close()
        let reader = try TapeReader(path: path)
        #expect(failures(reader).isEmpty)
        let read = records(reader)
        #expect(read.count == 200)
        #expect(read.filter { $0 == big }.count == 20)
    }

    /// Records appended together, more than one 1 MiB write of them, make the same file as
    /// records appended one by one.
    @Test func appendingManyAtOnceWritesWhatAppendingOneByOneDoes() throws {
        let batch = Sample.records.prefix(5) + (0..<40).map { i in
            TapeRecord.wsMessage(WebSocketMessage(timeMicros: 10_000 + UInt64(i), conn: 1, direction: .recv,
                                                  payload: Body([UInt8](repeating: UInt8(i), count: 50_000 + i))))
        }
        let (together, oneByOne) = (temporaryPath("together.tape"), temporaryPath("one-by-one.tape"))
        let writer = try TapeWriter(path: together, header: Sample.header)
        try writer.append(contentsOf: batch)
        #expect(writer.recordCount == batch.count)
        try writer.close()
        let single = try TapeWriter(path: oneByOne, header: Sample.header)
        for record in batch { try single.append(record) }
        try single.close()
        #expect(FileManager.default.contents(atPath: together) == FileManager.default.contents(atPath: oneByOne))
        #expect(records(try TapeReader(path: together)) == Array(batch))
        #expect(tapeError { try writer.append(contentsOf: batch) } == .writerClosed(file: together))
    }

    @Test func tornWriteLeavesEarlierRecordsReadable() throws {
        // Simulates a kill during a write: the file ends in part of a line.
        let path = temporaryPath()
        let writer = try TapeWriter(path: path, header: Sample.header)
        for record in Sample.records.prefix(3) { try writer.append(record) }
        try writer.close()
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: TapeEncoder.encode(Sample.records[3]).prefix(30))
        try handle.close()
        let read = entries(try TapeReader(path: path))
        #expect(try read.prefix(3).map { try $0.result.get() } == Array(Sample.records.prefix(3)))
        guard case .failure(.truncatedLine(let location, 30)) = read.last?.result else {
            Issue.record("expected truncatedLine, got \(String(describing: read.last))")
            return
        }
        #expect(location.line == 5)
    }
}

@Suite struct FormatDocumentTests {
    /// The example tape in docs/tape-format.md.
    private func documentedExample() throws -> String {
        let here = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        let doc = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/tape-format.md")
        let text = try String(contentsOf: doc, encoding: .utf8)
        let marker = "```jsonl\n"
        let start = try #require(text.range(of: marker))
        let end = try #require(text.range(of: "```", range: start.upperBound..<text.endIndex))
        return String(text[start.upperBound..<end.lowerBound])
    }

    /// The example in docs/tape-format.md must be a valid tape.
    @Test func documentedExampleIsAValidTape() throws {
        let example = try documentedExample()
        let reader = try TapeReader(bytes: Array(example.utf8), name: "example.tape")
        #expect(failures(reader).map { $0.error.description } == [])
        let read = records(reader)
        #expect(read.count >= 7)
        #expect(Set(read.map(\.kind)) == Set(TapeFormat.recordKinds))
        // The example is written canonically: re-encoding gives the same bytes.
        #expect(encodedTape(read, header: reader.header) == Array(example.utf8))
    }

    /// The example holds no secret the default redactor would find: it is already redacted.
    @Test func documentedExampleIsRedacted() throws {
        let reader = try TapeReader(bytes: Array(try documentedExample().utf8), name: "example.tape")
        var redactor = Redactor()
        let read = records(reader)
        #expect(read.map { redactor.redact($0) } == read)
        #expect(redactor.redacted.isEmpty)
    }
}
