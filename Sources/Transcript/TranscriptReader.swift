import JSONKit

/// Constants of the transcript format (`docs/transcript-format.md`).
public enum TranscriptFormat {
    /// The value of the header's `transcript` key.
    public static let name = "livetape"
    /// The newest transcript version this library reads.
    public static let version = 1
}

/// The two transcript views.
public enum TranscriptView: String, Sendable, CaseIterable {
    /// Lossless: every frame, fetch result, message, decode error, notice…; records have `type`.
    case wire
    /// What an app consumes: comment, gift, like…; records have `event`.
    case events

    /// The key that names a record's kind in this view: `type` or `event`.
    public var kindKey: String { self == .wire ? "type" : "event" }
}

/// A validated header line.
public struct TranscriptHeader: Sendable, Equatable {
    /// The view the file holds.
    public var view: TranscriptView
    /// The format version (1 ... `TranscriptFormat.version`).
    public var version: Int

    /// A header for `view` at `version`.
    public init(view: TranscriptView, version: Int = TranscriptFormat.version) {
        self.view = view
        self.version = version
    }

    /// The header line's value: `{"transcript":"livetape","view":…,"version":…}`.
    public var json: JSONValue {
        ["transcript": .string(TranscriptFormat.name), "view": .string(view.rawValue), "version": .int(Int64(version))]
    }
}

/// One record of a transcript and the 1-based line of the transcript file it is on (the header
/// is line 1). Not to be confused with the record's own `line` key, the tape line it came from.
public struct TranscriptEntry: Sendable, Equatable {
    /// Line within the transcript file.
    public var line: Int
    /// The record, keys in file order.
    public var record: JSONValue

    /// An entry for `record` on `line`.
    public init(line: Int, record: JSONValue) {
        self.line = line
        self.record = record
    }
}

/// Streams a transcript in constant memory (chunked reads, one line at a time): validates the
/// header on creation, then yields each record with its file line. Blank lines are skipped.
/// Every failure is a `TranscriptError` naming the file and line. A reader is read once, from
/// one task at a time (it owns an open file).
public final class TranscriptReader {
    /// Reader settings.
    public struct Options: Sendable {
        /// Bytes requested per read(2).
        public var chunkBytes: Int
        /// Longest line accepted; a longer one is a `lineTooLong` error, not an allocation.
        public var maxLineBytes: Int

        /// Settings; the defaults suit any transcript `livetape decode` writes.
        public init(chunkBytes: Int = 1 << 20, maxLineBytes: Int = 256 << 20) {
            self.chunkBytes = chunkBytes
            self.maxLineBytes = maxLineBytes
        }
    }

    /// The path, or the name given to `init(bytes:name:)`; used in every error.
    public let name: String
    /// The validated header.
    public let header: TranscriptHeader
    private let source: LineReader
    private let maxLineBytes: Int

    /// Opens the transcript at `path` and validates its header line.
    /// - Throws: `io`, `emptyFile`, `notATranscript`, `invalidHeader`, `unsupportedVersion`, `lineTooLong`.
    public convenience init(path: String, options: Options = Options()) throws(TranscriptError) {
        let source: LineReader
        do {
            source = try LineReader(path: path, maxLineBytes: options.maxLineBytes, chunkBytes: options.chunkBytes)
        } catch {
            throw .io(file: path, operation: error.operation, message: error.message)
        }
        try self.init(source: source, name: path, maxLineBytes: options.maxLineBytes)
    }

    /// Reads an in-memory transcript; `name` stands for the file in errors.
    public convenience init(bytes: [UInt8], name: String = "<memory>", options: Options = Options()) throws(TranscriptError) {
        try self.init(source: LineReader(bytes: bytes, maxLineBytes: options.maxLineBytes), name: name, maxLineBytes: options.maxLineBytes)
    }

    private init(source: LineReader, name: String, maxLineBytes: Int) throws(TranscriptError) {
        self.source = source
        self.name = name
        self.maxLineBytes = maxLineBytes
        guard let first = try Self.line(from: source, file: name, maxLineBytes: maxLineBytes) else { throw .emptyFile(file: name) }
        self.header = try Self.parseHeader(first.bytes, file: name)
    }

    /// The next line without its newline or a trailing carriage return, with its number; nil at the end.
    private static func line(from source: LineReader, file: String, maxLineBytes: Int) throws(TranscriptError) -> (bytes: UnsafeBufferPointer<UInt8>, line: Int)? {
        switch source.nextLine() {
        case .end:
            return nil
        case .ioError(let message):
            throw .io(file: file, operation: "read", message: message)
        case .tooLong(let number, _, _):
            throw .lineTooLong(file: file, line: number, limit: maxLineBytes)
        case .line(let bytes, let number, _, _):
            let trimmed = bytes.last == 0x0D ? UnsafeBufferPointer(rebasing: bytes.dropLast()) : bytes
            return (trimmed, number)
        }
    }

    static func parseHeader(_ bytes: UnsafeBufferPointer<UInt8>, file: String) throws(TranscriptError) -> TranscriptHeader {
        var content = bytes
        if content.count >= 3 && content[0] == 0xEF && content[1] == 0xBB && content[2] == 0xBF {
            content = UnsafeBufferPointer(rebasing: content[3...])
        }
        if LineReader.isBlank(content) {
            throw .notATranscript(file: file, line: 1, column: nil, reason: "line 1 is empty; a transcript starts with {\"transcript\":\"livetape\",\"view\":…,\"version\":1}")
        }
        let value: JSONValue
        do throws(JSONParseError) {
            value = try JSONParser.parse(content)
        } catch {
            let column = error.offset + 1 + (bytes.count - content.count)
            throw .notATranscript(file: file, line: 1, column: column, reason: "line 1 is not JSON: \(error.message)")
        }
        guard case .object = value else {
            throw .notATranscript(file: file, line: 1, column: nil, reason: "line 1 is \(value.typeName), not a header object")
        }
        guard let marker = value["transcript"] else {
            if value["format"]?.stringValue == "livetape-tape" {
                throw .notATranscript(file: file, line: 1, column: nil, reason: "this is a tape, not a transcript (decode it first: livetape decode)")
            }
            if value["type"] != nil || value["event"] != nil {
                throw .notATranscript(file: file, line: 1, column: nil, reason: "line 1 is a record, not the header line {\"transcript\":\"livetape\",…}: the header is missing")
            }
            throw .notATranscript(file: file, line: 1, column: nil, reason: "line 1 has no \"transcript\" key")
        }
        guard marker.stringValue == TranscriptFormat.name else {
            throw .notATranscript(file: file, line: 1, column: nil, reason: "\"transcript\" is \(CanonicalJSON.string(marker)), not \"\(TranscriptFormat.name)\"")
        }
        guard let versionValue = value["version"] else { throw .invalidHeader(file: file, reason: "no \"version\"") }
        guard case .int(let version) = versionValue else {
            throw .invalidHeader(file: file, reason: "\"version\" is \(versionValue.typeName), not an integer")
        }
        if version > Int64(TranscriptFormat.version) {
            throw .unsupportedVersion(file: file, version: version, supported: TranscriptFormat.version)
        }
        guard version >= 1 else { throw .invalidHeader(file: file, reason: "\"version\" \(version) is not a version (1 or more)") }
        guard let viewValue = value["view"] else { throw .invalidHeader(file: file, reason: "no \"view\"") }
        guard let viewName = viewValue.stringValue, let view = TranscriptView(rawValue: viewName) else {
            throw .invalidHeader(file: file, reason: "\"view\" is \(CanonicalJSON.string(viewValue)), expected \"wire\" or \"events\"")
        }
        return TranscriptHeader(view: view, version: Int(version))
    }

    /// The next non-blank line's bytes and its file line, or nil at the end of the file.
    /// The bytes are valid until the next call.
    func nextRawLine() throws(TranscriptError) -> (bytes: UnsafeBufferPointer<UInt8>, line: Int)? {
        while true {
            guard let (bytes, number) = try Self.line(from: source, file: name, maxLineBytes: maxLineBytes) else { return nil }
            if LineReader.isBlank(bytes) { continue }
            return (bytes, number)
        }
    }

    /// The next record, or nil at the end of the file.
    /// - Throws: `malformedLine` (with the byte column), `invalidRecord`, `lineTooLong`, `io`.
    public func next() throws(TranscriptError) -> TranscriptEntry? {
        guard let (bytes, line) = try nextRawLine() else { return nil }
        let record = try parseRecord(bytes, line: line)
        return TranscriptEntry(line: line, record: record)
    }

    /// Parses one record line and checks that it is a record of this view.
    func parseRecord(_ bytes: UnsafeBufferPointer<UInt8>, line: Int) throws(TranscriptError) -> JSONValue {
        let value: JSONValue
        do throws(JSONParseError) {
            value = try JSONParser.parse(bytes)
        } catch {
            throw .malformedLine(file: name, line: line, column: error.offset + 1, message: error.message)
        }
        try Self.checkRecord(value, view: header.view, file: name, line: line)
        return value
    }

    static func checkRecord(_ value: JSONValue, view: TranscriptView, file: String, line: Int) throws(TranscriptError) {
        guard case .object = value else {
            throw .invalidRecord(file: file, line: line, message: "a record is a JSON object, found \(value.typeName)")
        }
        guard let kind = value[view.kindKey] else {
            let other = view == .wire ? "event" : "type"
            if value[other] != nil {
                let what = view == .wire ? "an events record (\"event\") in a wire transcript" : "a wire record (\"type\") in an events transcript"
                throw .invalidRecord(file: file, line: line, message: what)
            }
            throw .invalidRecord(file: file, line: line, message: "no \"\(view.kindKey)\" key")
        }
        guard kind.stringValue != nil else {
            throw .invalidRecord(file: file, line: line, message: "\"\(view.kindKey)\" is \(kind.typeName), not a string")
        }
    }
}

