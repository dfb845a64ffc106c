import Foundation
import JSONKit

/// Buffered line output to a file or standard output.
final class LineOutput {
    private let handle: UnsafeMutablePointer<FILE>
    private let ownsHandle: Bool
    private var pending = OutputLines(capacity: 1 << 16)

    /// Opens `path` for writing, or standard output when `path` is nil or `-`.
    init(path: String?) throws {
        if let path, path != "-" {
            guard let file = fopen(path, "w") else {
                throw CLIError.unreadable("\(path): cannot open for writing: \(String(cString: strerror(errno)))")
            }
            handle = file
            ownsHandle = true
        } else {
            guard let standardOutput = fdopen(STDOUT_FILENO, "w") else {
                throw CLIError.unreadable("cannot write to standard output")
            }
            handle = standardOutput
            ownsHandle = false
        }
    }

    func write(_ value: JSONValue) {
        pending.append(value)
        flushIfFull()
    }

    func write(line: String) {
        pending.append(line: line)
        flushIfFull()
    }

    func write(_ lines: OutputLines) {
        pending.append(contentsOf: lines)
        flushIfFull()
    }

    private func flushIfFull() {
        if pending.bytes.count >= 1 << 16 { flush() }
    }

    func flush() {
        pending.bytes.withUnsafeBytes { _ = fwrite($0.baseAddress, 1, $0.count, handle) }
        pending.removeAll()
        fflush(handle)
    }

    func close() {
        flush()
        if ownsHandle { fclose(handle) }
    }
}

/// Lines for a `LineOutput`: records as `LineOutput.write(_:)` writes them, or text, made on
/// one thread (the one that decoded the records) and written from another.
struct OutputLines: Sendable {
    private(set) var bytes: [UInt8] = []
    /// The lines held.
    private(set) var count = 0

    init(capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    init(records: [JSONValue]) {
        records.forEach { append($0) }
    }

    mutating func append(_ record: JSONValue) {
        CanonicalJSON.append(record, to: &bytes)
        bytes.append(0x0A)
        count += 1
    }

    mutating func append(line: String) {
        bytes.append(contentsOf: line.utf8)
        bytes.append(0x0A)
        count += 1
    }

    mutating func append(contentsOf lines: OutputLines) {
        bytes.append(contentsOf: lines.bytes)
        count += lines.count
    }

    /// Empties it, keeping its capacity.
    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        count = 0
    }
}

/// Errors the CLI reports with a documented exit code.
enum CLIError: Error, CustomStringConvertible {
    /// The input could not be read at all (missing file, not a tape): exit 2.
    case unreadable(String)

    var description: String {
        switch self {
        case .unreadable(let message): message
        }
    }
}

/// Exit codes shared by every command.
enum ExitCodes {
    /// Everything decoded.
    static let ok: Int32 = 0
    /// The command found what it looks for: input that could not be decoded (`decode`),
    /// differences (`diff`), failed goldens (`check`).
    static let findings: Int32 = 1
    /// The input could not be read at all.
    static let unreadable: Int32 = 2
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data(("livetape: " + message + "\n").utf8))
}
