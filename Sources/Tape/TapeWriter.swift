#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Appends records to a tape with no user-space buffering: every `write(2)` ends at the end of
/// a line, so after `append` returns its lines are visible to readers, and a killed process
/// leaves only complete lines (or a torn last one, which readers report as `truncatedLine`).
///
/// Thread-safe: appends from several threads are serialised. Records should be appended in
/// time order; the writer does not check it (readers report `timeWentBackwards`).
public final class TapeWriter: @unchecked Sendable {
    /// Path or descriptive name used in error messages.
    public let name: String
    private let lock = NSLock()
    private var fd: Int32
    private let ownsDescriptor: Bool
    private let handle: FileHandle?
    private var closed = false
    private var scratch: [UInt8] = []
    private var appended = 0

    /// Number of records appended so far.
    public var recordCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return appended
    }

    /// Creates (or truncates) the file at `path` and writes the header line.
    public init(path: String, header: TapeHeader) throws(TapeError) {
        let fd = posixOpen(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 { throw .io(file: path, operation: "create", message: posixErrorMessage(errno)) }
        self.fd = fd
        self.name = path
        self.ownsDescriptor = true
        self.handle = nil
        do throws(TapeError) {
            try writeLine(TapeEncoder.encode(header))
        } catch {
            _ = posixClose(fd)
            self.fd = -1
            closed = true
            throw error
        }
    }

    /// Writes a tape to an open handle such as `FileHandle.standardOutput`. The handle is
    /// not closed by `close()`.
    public init(fileHandle: FileHandle, header: TapeHeader, name: String = "<stdout>") throws(TapeError) {
        self.fd = fileHandle.fileDescriptor
        self.name = name
        self.ownsDescriptor = false
        self.handle = fileHandle
        try writeLine(TapeEncoder.encode(header))
    }

    deinit {
        if ownsDescriptor && fd >= 0 { _ = posixClose(fd) }
    }

    /// Encodes `record` and writes its line.
    public func append(_ record: TapeRecord) throws(TapeError) {
        try append(contentsOf: CollectionOfOne(record))
    }

    /// Encodes `records` and writes their lines, up to 1 MiB of them per `write(2)`: for many
    /// records at once, far fewer system calls than appending them one by one.
    public func append(contentsOf records: some Sequence<TapeRecord>) throws(TapeError) {
        lock.lock()
        defer { lock.unlock() }
        if closed { throw .writerClosed(file: name) }
        var lines = 0
        scratch.removeAll(keepingCapacity: true)
        for record in records {
            TapeEncoder.encode(record, into: &scratch)
            lines += 1
            if scratch.count >= 1 << 20 {
                try writeLine(scratch)
                appended += lines
                lines = 0
                scratch.removeAll(keepingCapacity: true)
            }
        }
        if lines > 0 {
            try writeLine(scratch)
            appended += lines
        }
    }

    /// Closes the file (not a caller's `FileHandle`). Further appends throw `writerClosed`.
    public func close() throws(TapeError) {
        lock.lock()
        defer { lock.unlock() }
        if closed { return }
        closed = true
        if ownsDescriptor {
            let result = posixClose(fd)
            fd = -1
            if result != 0 { throw .io(file: name, operation: "close", message: posixErrorMessage(errno)) }
        }
    }

    private func writeLine(_ bytes: [UInt8]) throws(TapeError) {
        let fd = self.fd
        let failure: Int32? = bytes.withUnsafeBytes { raw -> Int32? in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += n
            }
            return nil
        }
        if let failure { throw .io(file: name, operation: "write", message: posixErrorMessage(failure)) }
    }
}
