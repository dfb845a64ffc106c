import Capture
import JSONKit
import Tape
import Transcript
import WebcastDecoder

enum TapeTarget {
    /// Small, so that over-long lines are met; the file is read in small chunks, so that lines
    /// straddle reads.
    static let options = TapeReader.Options(maxLineBytes: 8192, chunkBytes: 16)

    static func run(_ input: [UInt8]) {
        ScratchFile.with(input) { path in readTwice(input, file: path) }
    }

    /// The tape read from the file and from memory.
    private static func readTwice(_ input: [UInt8], file path: String) {
        let fromFile = Result { () throws(TapeError) in try TapeReader(path: path, options: options) }
        let fromMemory = Result { () throws(TapeError) in try TapeReader(bytes: input, name: path, options: options) }
        switch (fromFile, fromMemory) {
        case (.success(let file), .success(let memory)):
            Invariant.check(file.header == memory.header, "the header differs read from a file and from memory")
            readAlike(file, memory)
        case (.failure(let a), .failure(let b)):
            Invariant.check(a == b, "the header fails differently from a file (\(a)) and from memory (\(b))")
        default:
            fatalError("invariant violated: the header reads from a file or from memory only: \(fromFile), \(fromMemory)")
        }
    }

    /// Both readers give the same entries; every record re-encodes to itself; the transcript lines are JSON.
    private static func readAlike(_ tape: TapeReader, _ copy: TapeReader) {
        var transcriber = TapeTranscriber(views: [.wire, .events], decoder: PushFrameTarget.decoder)
        var entries = copy.makeIterator()
        for entry in tape {
            let other = entries.next()
            Invariant.check(other.map { $0.line == entry.line && $0.result == entry.result } == true,
                            "line \(entry.line) reads differently from a file and from memory")
            if case .success(let record) = entry.result { Invariant.roundTrips(record) }
            for records in transcriber.recordsByView(for: entry) { records.forEach(Invariant.writesValidJSON) }
        }
        Invariant.check(entries.next() == nil, "memory holds more lines than the file")
    }
}

enum TranscriptTarget {
    /// Read from a file in small chunks on one side and from memory on the other: the diff of a
    /// transcript with itself finds nothing.
    static func run(_ input: [UInt8]) {
        ScratchFile.with(input) { path in diffWithItself(input, file: path) }
    }

    private static func diffWithItself(_ input: [UInt8], file path: String) {
        let options = DiffOptions(reader: TranscriptReader.Options(chunkBytes: 16, maxLineBytes: 8192))
        do {
            let file = try TranscriptReader(path: path, options: options.reader)
            let memory = try TranscriptReader(bytes: input, name: path, options: options.reader)
            let report = try TranscriptDiff.diff(expected: file, actual: memory, options: options)
            Invariant.check(report.isIdentical, "a transcript differs from itself: \(report.changes.first.map(\.title) ?? "")")
        } catch {
            // Unusable input: what the diff command reports with exit code 2.
        }
    }
}

enum HARTarget {
    static func run(_ input: [UInt8]) {
        guard let imported = try? HARImporter.read(input) else { return }
        Invariant.importable(imported.records)
    }
}

enum PcapTarget {
    /// The file is imported as `livetape import` does, when it starts like a pcap or pcapng file.
    static func run(_ input: [UInt8]) {
        switch CaptureFileKind(detecting: Array(input.prefix(4))) {
        case .pcap?, .pcapng?:
            ScratchFile.with(input) { path in
                _ = try? CaptureImporter.importFile(path, bufferLimit: 1 << 16) { Invariant.importable($0) }
            }
        default:
            return
        }
    }
}
