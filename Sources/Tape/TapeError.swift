/// A place in a tape: file, 1-based line, optional 1-based byte column, and the byte
/// offset of the line's first byte in the file.
public struct TapeLocation: Sendable, Hashable, CustomStringConvertible {
    /// Path as given to the reader, or the name given for in-memory tapes.
    public var file: String
    public var line: Int
    public var column: Int?
    public var byteOffset: UInt64

    public init(file: String, line: Int, column: Int? = nil, byteOffset: UInt64 = 0) {
        self.file = file
        self.line = line
        self.column = column
        self.byteOffset = byteOffset
    }

    /// `file:line` or `file:line:column`.
    public var description: String {
        if let column { return "\(file):\(line):\(column)" }
        return "\(file):\(line)"
    }
}

/// Everything that can go wrong reading or writing a tape. Errors about one line carry its
/// `TapeLocation`; `description` starts with `file:line:` like a compiler diagnostic.
public enum TapeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file could not be opened, read, written or closed.
    case io(file: String, operation: String, message: String)
    /// The file has no bytes, so no header.
    case emptyFile(file: String)
    /// Line 1 is not a tape header (not JSON, or no/other `format`).
    case notATape(TapeLocation, reason: String)
    /// Line 1 is a tape header with a missing or mistyped field.
    case malformedHeader(TapeLocation, message: String)
    /// The header's version is newer than this reader supports.
    case unsupportedVersion(TapeLocation, version: Int, supported: Int)
    /// A record line is not valid JSON, or a field is missing or has the wrong type.
    case malformedRecord(TapeLocation, message: String)
    /// The last line has no newline and is not complete JSON (a torn write).
    case truncatedLine(TapeLocation, bytes: Int)
    /// A line is longer than the reader's limit; it was skipped without being loaded.
    case lineTooLong(TapeLocation, bytes: UInt64, limit: Int)
    /// A version-1 tape holds a record whose `kind` version 1 does not define.
    case unknownKind(TapeLocation, kind: String)
    /// A tape of a newer version (read with `acceptNewerVersions`) holds an unknown kind.
    case unknownKindInNewerVersion(TapeLocation, kind: String, version: Int)
    /// The record's `t_us` is smaller than the previous record's. The record was parsed
    /// and is attached, so callers may keep it.
    case timeWentBackwards(TapeLocation, timeMicros: UInt64, previousMicros: UInt64, record: TapeRecord)
    /// `append` or `close` was called on a closed writer.
    case writerClosed(file: String)

    /// The line the error is about, if it is about one.
    public var location: TapeLocation? {
        switch self {
        case .io, .emptyFile, .writerClosed: nil
        case .notATape(let l, _), .malformedHeader(let l, _), .unsupportedVersion(let l, _, _),
             .malformedRecord(let l, _), .truncatedLine(let l, _), .lineTooLong(let l, _, _),
             .unknownKind(let l, _), .unknownKindInNewerVersion(let l, _, _),
             .timeWentBackwards(let l, _, _, _):
            l
        }
    }

    /// 1-based line number, if the error is about one line.
    public var line: Int? { location?.line }

    /// The record that was read despite the error (only for `timeWentBackwards`).
    public var recoveredRecord: TapeRecord? {
        if case .timeWentBackwards(_, _, _, let record) = self { return record }
        return nil
    }

    public var description: String {
        switch self {
        case .io(let file, let operation, let message):
            return "\(file): cannot \(operation): \(message)"
        case .emptyFile(let file):
            return "\(file): empty file, not a tape (a tape starts with a header line {\"format\":\"\(TapeFormat.name)\",…})"
        case .notATape(let l, let reason):
            return "\(l): not a \(TapeFormat.name) file: \(reason)"
        case .malformedHeader(let l, let message):
            return "\(l): malformed tape header: \(message)"
        case .unsupportedVersion(let l, let version, let supported):
            return "\(l): tape format version \(version) is newer than this reader supports (version \(supported)); use a newer livetape to read it"
        case .malformedRecord(let l, let message):
            return "\(l): malformed record: \(message)"
        case .truncatedLine(let l, let bytes):
            return "\(l): truncated record (no newline at end of file; \(bytes) bytes)"
        case .lineTooLong(let l, let bytes, let limit):
            return "\(l): line too long (\(bytes) bytes; limit \(limit)); skipped"
        case .unknownKind(let l, let kind):
            return "\(l): unknown record kind \"\(kind)\" (tape version \(TapeFormat.version) defines \(TapeFormat.recordKinds.joined(separator: ", "))); skipped"
        case .unknownKindInNewerVersion(let l, let kind, let version):
            return "\(l): record kind \"\(kind)\" belongs to tape format version \(version), newer than this reader (version \(TapeFormat.version)); skipped"
        case .timeWentBackwards(let l, let time, let previous, _):
            return "\(l): t_us \(time) is earlier than the previous record's \(previous) (record kept)"
        case .writerClosed(let file):
            return "\(file): tape writer is already closed"
        }
    }
}
