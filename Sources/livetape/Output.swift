import Foundation
import JSONKit

/// Buffered line output to a file or standard output.
final class LineOutput {
    private let handle: UnsafeMutablePointer<FILE>
    private let ownsHandle: Bool
    private var pending = JSONLines(capacity: 1 << 16)

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
        pending.add(value)
        flushIfFull()
    }

    func write(line: String) {
        pending.append(line: line)
        flushIfFull()
    }

    func write(_ lines: JSONLines) {
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
