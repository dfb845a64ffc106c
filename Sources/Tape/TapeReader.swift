#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import JSONKit

/// One line's outcome: its 1-based line number and the record or the error for that line.
public typealias TapeEntry = (line: Int, result: Result<TapeRecord, TapeError>)

/// Reads a tape: validates the header on creation, then streams records line by line in
/// constant memory (chunked reads; only the current line is held).
///
/// Each iteration re-reads the source from the first record, so the reader can be iterated
/// more than once. A bad line yields a failure for that line and reading continues; blank
/// lines are skipped. See `TapeError` for what each failure means.
public struct TapeReader: Sequence, Sendable {
    /// Reader settings.
    public struct Options: Sendable {
        /// Longest line accepted, in bytes (without the newline). Longer lines are skipped
        /// and reported as `lineTooLong` without being loaded.
        public var maxLineBytes: Int
        /// Read tapes whose version is newer than `TapeFormat.version` (best effort)
        /// instead of failing with `unsupportedVersion`.
        public var acceptNewerVersions: Bool
        /// Bytes requested per `read(2)`.
        public var chunkBytes: Int

        public init(maxLineBytes: Int = TapeFormat.defaultMaxLineBytes, acceptNewerVersions: Bool = false, chunkBytes: Int = 1 << 20) {
            self.maxLineBytes = Swift.max(1, maxLineBytes)
            self.acceptNewerVersions = acceptNewerVersions
            self.chunkBytes = Swift.max(16, chunkBytes)
        }
    }

    enum Storage: Sendable {
        case file(path: String)
        case memory([UInt8])
    }

    /// The validated header (line 1).
    public let header: TapeHeader
    /// The path, or the name given to `init(bytes:name:)`; used in error messages.
    public let name: String
    public let options: Options
    let storage: Storage
    /// Byte offset of line 2.
    let recordsOffset: UInt64

    /// Opens the file at `path` and validates its header.
    /// - Throws: `io`, `emptyFile`, `notATape`, `malformedHeader`, `unsupportedVersion`,
    ///   `lineTooLong` or `truncatedLine`.
    public init(path: String, options: Options = Options()) throws(TapeError) {
        let source = try Self.open(path, offset: 0, firstLine: 1, options: options)
        try self.init(name: path, storage: .file(path: path), source: source, options: options)
    }

    /// Reads an in-memory tape; `name` is used in error messages.
    public init(bytes: [UInt8], name: String = "<memory>", options: Options = Options()) throws(TapeError) {
        let source = LineReader(bytes: bytes, maxLineBytes: options.maxLineBytes)
        try self.init(name: name, storage: .memory(bytes), source: source, options: options)
    }

    private static func open(_ path: String, offset: UInt64, firstLine: Int, options: Options) throws(TapeError) -> LineReader {
        do {
            return try LineReader(path: path, offset: offset, firstLine: firstLine, maxLineBytes: options.maxLineBytes, chunkBytes: options.chunkBytes)
        } catch {
            throw .io(file: path, operation: error.operation, message: error.message)
        }
    }

    private init(name: String, storage: Storage, source: LineReader, options: Options) throws(TapeError) {
        self.name = name
        self.storage = storage
        self.options = options
        let line = source.nextLine()
        switch line {
        case .end:
            throw .emptyFile(file: name)
        case .ioError(let message):
            throw .io(file: name, operation: "read", message: message)
        case .tooLong(let number, let offset, let bytes):
            throw .lineTooLong(TapeLocation(file: name, line: number, byteOffset: offset), bytes: bytes, limit: options.maxLineBytes)
        case .line(let bytes, let number, let offset, let terminated):
            let location = TapeLocation(file: name, line: number, byteOffset: offset)
            var content = bytes
            if content.count >= 3 && content[0] == 0xEF && content[1] == 0xBB && content[2] == 0xBF {
                content = UnsafeBufferPointer(rebasing: content[3...])
            }
            if LineReader.isBlank(content) {
                if !terminated { throw .emptyFile(file: name) }
                throw .notATape(location, reason: "line 1 is empty; a tape starts with a header line {\"format\":\"\(TapeFormat.name)\",…}")
            }
            let parsed: JSONValue
            do throws(JSONParseError) {
                parsed = try JSONParser.parse(content)
            } catch {
                if !terminated {
                    throw .notATape(location, reason: "line 1 is not JSON and has no newline (\(content.count) bytes)")
                }
                var l = location
                l.column = error.offset + 1 + (bytes.count - content.count)
                throw .notATape(l, reason: "line 1 is not JSON: \(error.message)")
            }
            guard let fields = FieldReader(parsed) else {
                throw .notATape(location, reason: "line 1 is \(parsed.typeName), not a header object")
            }
            switch RecordDecoding.header(fields, allowNewer: options.acceptNewerVersions) {
            case .success(let header):
                self.header = header
            case .failure(.notATape(let reason)):
                throw .notATape(location, reason: reason)
            case .failure(.malformed(let message)):
                throw .malformedHeader(location, message: message)
            case .failure(.newerVersion(let version)):
                throw .unsupportedVersion(location, version: version, supported: TapeFormat.version)
            }
        }
        recordsOffset = source.consumedOffset
    }

    public func makeIterator() -> Iterator {
        switch storage {
        case .file(let path):
            do throws(TapeError) {
                let source = try Self.open(path, offset: recordsOffset, firstLine: 2, options: options)
                return Iterator(reader: self, source: source)
            } catch {
                return Iterator(reader: self, source: nil, pendingError: error)
            }
        case .memory(let bytes):
            return Iterator(reader: self, source: LineReader(bytes: bytes, offset: recordsOffset, firstLine: 2, maxLineBytes: options.maxLineBytes))
        }
    }

    /// Yields one `TapeEntry` per non-blank line after the header.
    public struct Iterator: IteratorProtocol {
        let name: String
        let version: Int
        let maxLineBytes: Int
        let source: LineReader?
        var pendingError: TapeError?
        var previousTime: UInt64?
        var finished = false

        init(reader: TapeReader, source: LineReader?, pendingError: TapeError? = nil) {
            self.name = reader.name
            self.version = reader.header.version
            self.maxLineBytes = reader.options.maxLineBytes
            self.source = source
            self.pendingError = pendingError
        }

        public mutating func next() -> TapeEntry? {
            if finished { return nil }
            if let error = pendingError {
                finished = true
                pendingError = nil
                return (2, .failure(error))
            }
            guard let source else { return nil }
            while true {
                switch source.nextLine() {
                case .end:
                    finished = true
                    return nil
                case .ioError(let message):
                    finished = true
                    return (source.lineNumber, .failure(.io(file: name, operation: "read", message: message)))
                case .tooLong(let number, let offset, let bytes):
                    let location = TapeLocation(file: name, line: number, byteOffset: offset)
                    return (number, .failure(.lineTooLong(location, bytes: bytes, limit: maxLineBytes)))
                case .line(let bytes, let number, let offset, let terminated):
                    if LineReader.isBlank(bytes) { continue }
                    return (number, decode(bytes, number: number, offset: offset, terminated: terminated))
                }
            }
        }

        private mutating func decode(_ bytes: UnsafeBufferPointer<UInt8>, number: Int, offset: UInt64, terminated: Bool) -> Result<TapeRecord, TapeError> {
            let location = TapeLocation(file: name, line: number, byteOffset: offset)
            if let message = MessageLine.decode(bytes) { return inOrder(.wsMessage(message), at: location) }
            return decodeGeneral(bytes, location: location, terminated: terminated)
        }

        /// A line read as any JSON, then as a record.
        private mutating func decodeGeneral(_ bytes: UnsafeBufferPointer<UInt8>, location: TapeLocation, terminated: Bool) -> Result<TapeRecord, TapeError> {
            var location = location
            let parsed: JSONValue
            do throws(JSONParseError) {
                parsed = try JSONParser.parse(bytes)
            } catch {
                if !terminated { return .failure(.truncatedLine(location, bytes: bytes.count)) }
                location.column = error.offset + 1
                return .failure(.malformedRecord(location, message: error.message))
            }
            guard let fields = FieldReader(parsed) else {
                return .failure(.malformedRecord(location, message: "a record must be a JSON object, found \(parsed.typeName)"))
            }
            let outcome: RecordDecoding.Outcome
            do throws(SchemaError) {
                outcome = try RecordDecoding.record(fields)
            } catch {
                return .failure(.malformedRecord(location, message: error.message))
            }
            switch outcome {
            case .unknownKind(let kind):
                if version > TapeFormat.version {
                    return .failure(.unknownKindInNewerVersion(location, kind: kind, version: version))
                }
                return .failure(.unknownKind(location, kind: kind))
            case .record(let record):
                return inOrder(record, at: location)
            }
        }

        /// The record, or a failure that carries it when its time is before the previous record's.
        private mutating func inOrder(_ record: TapeRecord, at location: TapeLocation) -> Result<TapeRecord, TapeError> {
            let time = record.timeMicros
            defer { previousTime = time }
            if let previous = previousTime, time < previous {
                return .failure(.timeWentBackwards(location, timeMicros: time, previousMicros: previous, record: record))
            }
            return .success(record)
        }
    }
}


func posixOpen(_ path: String, _ flags: Int32, _ mode: mode_t = 0) -> Int32 {
    open(path, flags, mode)
}

func posixClose(_ fd: Int32) -> Int32 {
    close(fd)
}

func posixErrorMessage(_ code: Int32) -> String {
    "\(String(cString: strerror(code))) (errno \(code))"
}
