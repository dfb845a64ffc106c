/// Why a transcript (or an ignore-pattern file) cannot be used. Every case is "unusable
/// input": a diff that throws one of these has not compared anything and must not be taken
/// for "same" (the CLI maps all of them to exit code 2).
public enum TranscriptError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file could not be opened or read.
    case io(file: String, operation: String, message: String)
    /// The file has no bytes at all.
    case emptyFile(file: String)
    /// Line 1 is not a LiveTape transcript header: not JSON, not an object, a record where
    /// the header should be, or `transcript` is not `"livetape"`. `column` is 1-based, in bytes.
    case notATranscript(file: String, line: Int, column: Int?, reason: String)
    /// The header names LiveTape but its `view` or `version` is missing or invalid.
    case invalidHeader(file: String, reason: String)
    /// The header's `version` is newer than `TranscriptFormat.version`.
    case unsupportedVersion(file: String, version: Int64, supported: Int)
    /// A record line is not valid JSON. `column` is the 1-based byte column where parsing stopped.
    case malformedLine(file: String, line: Int, column: Int, message: String)
    /// A record line is valid JSON but not a record of the file's view (not an object, or
    /// without its `type` / `event` string).
    case invalidRecord(file: String, line: Int, message: String)
    /// A line longer than `TranscriptReader.Options.maxLineBytes`.
    case lineTooLong(file: String, line: Int, limit: Int)
    /// The two transcripts of a diff have different views.
    case viewMismatch(expectedFile: String, expectedView: String, actualFile: String, actualView: String)
    /// An ignore-pattern file has an unusable line.
    case invalidPattern(file: String, line: Int, message: String)

    /// The file the error is about (the expected file for `viewMismatch`).
    public var file: String {
        switch self {
        case .io(let file, _, _), .emptyFile(let file), .notATranscript(let file, _, _, _),
            .invalidHeader(let file, _), .unsupportedVersion(let file, _, _),
            .malformedLine(let file, _, _, _), .invalidRecord(let file, _, _),
            .lineTooLong(let file, _, _), .invalidPattern(let file, _, _):
            return file
        case .viewMismatch(let file, _, _, _):
            return file
        }
    }

    /// The 1-based line of `file` the error is about, when there is one.
    public var line: Int? {
        switch self {
        case .notATranscript(_, let line, _, _), .malformedLine(_, let line, _, _),
            .invalidRecord(_, let line, _), .lineTooLong(_, let line, _), .invalidPattern(_, let line, _):
            return line
        case .invalidHeader, .unsupportedVersion:
            return 1
        case .io, .emptyFile, .viewMismatch:
            return nil
        }
    }

    /// `file:line[:column]: what is wrong`, one line.
    public var description: String {
        switch self {
        case .io(let file, let operation, let message):
            return "\(file): cannot \(operation): \(message)"
        case .emptyFile(let file):
            return "\(file): empty file, not a transcript (a transcript starts with {\"transcript\":\"livetape\",…})"
        case .notATranscript(let file, let line, let column, let reason):
            return "\(file):\(line)\(column.map { ":\($0)" } ?? ""): not a LiveTape transcript: \(reason)"
        case .invalidHeader(let file, let reason):
            return "\(file):1: invalid transcript header: \(reason)"
        case .unsupportedVersion(let file, let version, let supported):
            return "\(file):1: transcript version \(version) is newer than this livetape understands (\(supported)); update livetape"
        case .malformedLine(let file, let line, let column, let message):
            return "\(file):\(line):\(column): malformed line: \(message)"
        case .invalidRecord(let file, let line, let message):
            return "\(file):\(line): invalid record: \(message)"
        case .lineTooLong(let file, let line, let limit):
            return "\(file):\(line): line longer than \(limit) bytes"
        case .viewMismatch(let expectedFile, let expectedView, let actualFile, let actualView):
            func article(_ view: String) -> String { view.first.map { "aeiou".contains($0) } == true ? "an \(view)" : "a \(view)" }
            return "cannot diff \(article(expectedView)) transcript (\(expectedFile)) with \(article(actualView)) transcript (\(actualFile)): both must have the same view"
        case .invalidPattern(let file, let line, let message):
            return "\(file):\(line): invalid ignore pattern: \(message)"
        }
    }
}
