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
        let source = try LineSource(path: path, offset: 0, firstLine: 1, options: options)
        try self.init(name: path, storage: .file(path: path), source: source, options: options)
    }

    /// Reads an in-memory tape; `name` is used in error messages.
    public init(bytes: [UInt8], name: String = "<memory>", options: Options = Options()) throws(TapeError) {
        let source = LineSource(bytes: bytes, offset: 0, firstLine: 1, options: options)
        try self.init(name: name, storage: .memory(bytes), source: source, options: options)
    }

    private init(name: String, storage: Storage, source: LineSource, options: Options) throws(TapeError) {
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
            if isBlank(content) {
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
                let source = try LineSource(path: path, offset: recordsOffset, firstLine: 2, options: options)
                return Iterator(reader: self, source: source)
            } catch {
                return Iterator(reader: self, source: nil, pendingError: error)
            }
        case .memory(let bytes):
            return Iterator(reader: self, source: LineSource(bytes: bytes, offset: recordsOffset, firstLine: 2, options: options))
        }
    }

    /// Yields one `TapeEntry` per non-blank line after the header.
    public struct Iterator: IteratorProtocol {
        let name: String
        let version: Int
        let maxLineBytes: Int
        let source: LineSource?
        var pendingError: TapeError?
        var previousTime: UInt64?
        var finished = false

        init(reader: TapeReader, source: LineSource?, pendingError: TapeError? = nil) {
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
                    if isBlank(bytes) { continue }
                    return (number, decode(bytes, number: number, offset: offset, terminated: terminated))
                }
            }
        }

        private mutating func decode(_ bytes: UnsafeBufferPointer<UInt8>, number: Int, offset: UInt64, terminated: Bool) -> Result<TapeRecord, TapeError> {
            var location = TapeLocation(file: name, line: number, byteOffset: offset)
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
                let time = record.timeMicros
                defer { previousTime = time }
                if let previous = previousTime, time < previous {
                    return .failure(.timeWentBackwards(location, timeMicros: time, previousMicros: previous, record: record))
                }
                return .success(record)
            }
        }
    }
}

func isBlank(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    for b in bytes where b != 0x20 && b != 0x09 && b != 0x0D { return false }
    return true
}

/// Splits a file or byte array into lines, holding at most one line (plus one chunk).
final class LineSource {
    enum Line {
        /// `bytes` is valid until the next call. `terminated` is false for a last line
        /// without a newline.
        case line(bytes: UnsafeBufferPointer<UInt8>, number: Int, offset: UInt64, terminated: Bool)
        case tooLong(number: Int, offset: UInt64, bytes: UInt64)
        case ioError(String)
        case end
    }

    private var fd: Int32 = -1
    private var storage: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// Valid bytes are storage[start..<end]; storage[0] is at file offset `base`.
    private var start = 0
    private var end = 0
    /// Where the search for the next newline resumes.
    private var scan = 0
    private var base: UInt64
    private var eof = false
    private let maxLine: Int
    private let chunk: Int
    /// Number the next line will get.
    private(set) var lineNumber: Int

    init(path: String, offset: UInt64, firstLine: Int, options: TapeReader.Options) throws(TapeError) {
        let fd = posixOpen(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw .io(file: path, operation: "open", message: posixErrorMessage(errno)) }
        if offset > 0 && lseek(fd, off_t(offset), SEEK_SET) < 0 {
            let message = posixErrorMessage(errno)
            _ = posixClose(fd)
            throw .io(file: path, operation: "seek", message: message)
        }
        self.fd = fd
        self.base = offset
        self.lineNumber = firstLine
        self.maxLine = options.maxLineBytes
        self.chunk = options.chunkBytes
        self.capacity = options.chunkBytes
        self.storage = .allocate(capacity: capacity)
    }

    init(bytes: [UInt8], offset: UInt64, firstLine: Int, options: TapeReader.Options) {
        let from = Int(min(offset, UInt64(bytes.count)))
        let count = bytes.count - from
        let capacity = Swift.max(count, 1)
        let storage = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        bytes.withUnsafeBufferPointer { p in
            if count > 0 { storage.initialize(from: p.baseAddress! + from, count: count) }
        }
        self.capacity = capacity
        self.storage = storage
        self.end = count
        self.eof = true
        self.base = UInt64(from)
        self.lineNumber = firstLine
        self.maxLine = options.maxLineBytes
        self.chunk = options.chunkBytes
    }

    deinit {
        storage.deallocate()
        if fd >= 0 { _ = posixClose(fd) }
    }

    /// File offset just past the last line returned.
    var consumedOffset: UInt64 { base + UInt64(start) }

    func nextLine() -> Line {
        while true {
            if let newline = findNewline() {
                let number = lineNumber
                lineNumber += 1
                let offset = base + UInt64(start)
                let lineStart = start
                start = newline + 1
                scan = start
                let length = newline - lineStart
                if length > maxLine { return .tooLong(number: number, offset: offset, bytes: UInt64(length)) }
                return .line(bytes: UnsafeBufferPointer(start: storage + lineStart, count: length), number: number, offset: offset, terminated: true)
            }
            scan = end
            if end - start > maxLine { return skipLongLine() }
            if eof {
                guard start < end else { return .end }
                let number = lineNumber
                lineNumber += 1
                let offset = base + UInt64(start)
                let lineStart = start
                start = end
                scan = end
                return .line(bytes: UnsafeBufferPointer(start: storage + lineStart, count: end - lineStart), number: number, offset: offset, terminated: false)
            }
            if let message = fill() { return .ioError(message) }
        }
    }

    private func findNewline() -> Int? {
        guard scan < end else { return nil }
        guard let hit = memchr(storage + scan, 0x0A, end - scan) else { return nil }
        return storage.distance(to: hit.assumingMemoryBound(to: UInt8.self))
    }

    /// Discards the current over-long line up to and including its newline.
    private func skipLongLine() -> Line {
        let number = lineNumber
        lineNumber += 1
        let offset = base + UInt64(start)
        var length = UInt64(end - start)
        base += UInt64(end)
        start = 0
        end = 0
        scan = 0
        while true {
            if eof { return .tooLong(number: number, offset: offset, bytes: length) }
            if let message = fill() { return .ioError(message) }
            if let newline = findNewline() {
                length += UInt64(newline)
                start = newline + 1
                scan = start
                return .tooLong(number: number, offset: offset, bytes: length)
            }
            length += UInt64(end)
            base += UInt64(end)
            end = 0
            scan = 0
        }
    }

    /// Reads one chunk after `end`, compacting or growing the buffer first. Returns an
    /// error message on failure; sets `eof` at end of file.
    private func fill() -> String? {
        if start > 0 && (start == end || capacity - end < chunk) {
            let remaining = end - start
            if remaining > 0 { memmove(storage, storage + start, remaining) }
            base += UInt64(start)
            scan -= start
            end = remaining
            start = 0
        }
        if capacity - end < chunk {
            let newCapacity = max(capacity * 2, end + chunk)
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
            grown.update(from: storage, count: end)
            storage.deallocate()
            storage = grown
            capacity = newCapacity
        }
        while true {
            let n = read(fd, storage + end, capacity - end)
            if n > 0 {
                end += n
                return nil
            }
            if n == 0 {
                eof = true
                return nil
            }
            if errno == EINTR { continue }
            eof = true
            return posixErrorMessage(errno)
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
