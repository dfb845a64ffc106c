#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits a file (read in chunks with read(2)) or a byte array into lines, holding at most one
/// line plus one chunk. A returned line is valid until the next call; it excludes the newline
/// and a trailing carriage return.
final class LineSource {
    let name: String
    private var fd: Int32 = -1
    private var storage: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// Valid bytes are storage[start..<end].
    private var start = 0
    private var end = 0
    /// Where the search for the next newline resumes.
    private var scan = 0
    private var eof = false
    private let maxLine: Int
    private let chunk: Int
    /// The number the next line will get (1-based).
    private(set) var nextLineNumber = 1
    /// Bytes delivered so far (lines and their terminators); 0 means nothing was read.
    private(set) var consumed: UInt64 = 0

    init(path: String, chunkBytes: Int, maxLineBytes: Int) throws(TranscriptError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw .io(file: path, operation: "open", message: Self.errorMessage(errno)) }
        var info = stat()
        if fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw .io(file: path, operation: "read", message: "is a directory")
        }
        self.fd = fd
        self.name = path
        self.chunk = max(16, chunkBytes)
        self.maxLine = max(1, maxLineBytes)
        self.capacity = self.chunk
        self.storage = .allocate(capacity: self.capacity)
    }

    init(bytes: [UInt8], name: String, maxLineBytes: Int) {
        let capacity = max(bytes.count, 1)
        let storage = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        bytes.withUnsafeBufferPointer { p in
            if let base = p.baseAddress, p.count > 0 { storage.initialize(from: base, count: p.count) }
        }
        self.storage = storage
        self.capacity = capacity
        self.end = bytes.count
        self.eof = true
        self.name = name
        self.chunk = 16
        self.maxLine = max(1, maxLineBytes)
    }

    deinit {
        storage.deallocate()
        if fd >= 0 { close(fd) }
    }

    static func errorMessage(_ code: Int32) -> String {
        "\(String(cString: strerror(code))) (errno \(code))"
    }

    /// The next line, or nil at the end of the input.
    func nextLine() throws(TranscriptError) -> UnsafeBufferPointer<UInt8>? {
        while true {
            if scan < end, let hit = memchr(storage + scan, 0x0A, end - scan) {
                let newline = storage.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                let lineStart = start
                var length = newline - lineStart
                if length > maxLine { throw .lineTooLong(file: name, line: nextLineNumber, limit: maxLine) }
                consumed += UInt64(length + 1)
                nextLineNumber += 1
                start = newline + 1
                scan = start
                if length > 0 && storage[lineStart + length - 1] == 0x0D { length -= 1 }
                return UnsafeBufferPointer(start: storage + lineStart, count: length)
            }
            scan = end
            if end - start > maxLine { throw .lineTooLong(file: name, line: nextLineNumber, limit: maxLine) }
            if eof {
                guard start < end else { return nil }
                let lineStart = start
                var length = end - start
                consumed += UInt64(length)
                nextLineNumber += 1
                start = end
                scan = end
                if storage[lineStart + length - 1] == 0x0D { length -= 1 }
                return UnsafeBufferPointer(start: storage + lineStart, count: length)
            }
            try fill()
        }
    }

    /// Reads one chunk after `end`, compacting or growing the buffer first.
    private func fill() throws(TranscriptError) {
        if start > 0 && (start == end || capacity - end < chunk) {
            let remaining = end - start
            if remaining > 0 { memmove(storage, storage + start, remaining) }
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
                return
            }
            if n == 0 {
                eof = true
                return
            }
            if errno == EINTR { continue }
            let message = Self.errorMessage(errno)
            eof = true
            throw .io(file: name, operation: "read", message: message)
        }
    }
}
