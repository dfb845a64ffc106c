#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits a file (read with read(2) in chunks) or a byte array into lines, holding at most one
/// line plus one chunk, so that JSON Lines files of any size are read in constant memory. A line
/// longer than the limit is skipped without being held.
public final class LineReader {
    public enum Line {
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
    public private(set) var lineNumber: Int

    /// Why a file could not be opened for reading.
    public struct OpenError: Error, Sendable {
        public var operation: String
        public var message: String
    }

    /// Reads `path` from byte `offset`, numbering lines from `firstLine`.
    public init(path: String, offset: UInt64 = 0, firstLine: Int = 1, maxLineBytes: Int, chunkBytes: Int = 1 << 20) throws(OpenError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw OpenError(operation: "open", message: Self.errorMessage(errno)) }
        var info = stat()
        if fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw OpenError(operation: "read", message: "is a directory")
        }
        if offset > 0 && lseek(fd, off_t(offset), SEEK_SET) < 0 {
            let message = Self.errorMessage(errno)
            close(fd)
            throw OpenError(operation: "seek", message: message)
        }
        self.fd = fd
        self.base = offset
        self.lineNumber = firstLine
        self.maxLine = max(1, maxLineBytes)
        self.chunk = max(16, chunkBytes)
        self.capacity = self.chunk
        self.storage = .allocate(capacity: capacity)
    }

    /// Reads `bytes` from `offset`, numbering lines from `firstLine`.
    public init(bytes: [UInt8], offset: UInt64 = 0, firstLine: Int = 1, maxLineBytes: Int) {
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
        self.maxLine = max(1, maxLineBytes)
        self.chunk = 16
    }

    deinit {
        storage.deallocate()
        if fd >= 0 { close(fd) }
    }

    /// File offset just past the last line returned.
    public var consumedOffset: UInt64 { base + UInt64(start) }

    /// The next line; `.end` at the end of the input.
    public func nextLine() -> Line {
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
            return Self.errorMessage(errno)
        }
    }

    /// Whether a line holds only spaces, tabs and carriage returns.
    public static func isBlank(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        for b in bytes where b != 0x20 && b != 0x09 && b != 0x0D { return false }
        return true
    }

    static func errorMessage(_ code: Int32) -> String {
        "\(String(cString: strerror(code))) (errno \(code))"
    }
}
