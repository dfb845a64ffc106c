import Foundation
/// A glob over a change's dotted path, `<label>.<field path>`: `*` matches any run of
/// characters, dots included; `?` matches one character; everything else matches itself.
/// Examples: `*.common.create_time`, `WebcastRoomUserSeqMessage.total`, `*.t_us`.
public struct IgnorePattern: Sendable, Hashable, CustomStringConvertible {
    /// The pattern as written.
    public let text: String
    private let scalars: [Unicode.Scalar]

    /// A pattern; any string is a valid pattern.
    public init(_ text: String) {
        self.text = text
        self.scalars = Array(text.unicodeScalars)
    }

    /// The pattern as written.
    public var description: String { text }

    /// Whether the whole of `path` matches (not a substring).
    public func matches(_ path: String) -> Bool {
        let s = Array(path.unicodeScalars)
        var p = 0, i = 0
        var star = -1, resume = 0
        while i < s.count {
            if p < scalars.count && (scalars[p] == "?" || (scalars[p] != "*" && scalars[p] == s[i])) {
                p += 1
                i += 1
            } else if p < scalars.count && scalars[p] == "*" {
                star = p
                resume = i
                p += 1
            } else if star >= 0 {
                p = star + 1
                resume += 1
                i = resume
            } else {
                return false
            }
        }
        while p < scalars.count && scalars[p] == "*" { p += 1 }
        return p == scalars.count
    }
}

/// The ignore rules of a diff: a difference is not reported when one of its paths matches a
/// pattern (see `DiffChange.ignorePaths`). Load them from a file with `load(path:)`, add
/// command-line ones with `add(_:)`.
public struct IgnoreRules: Sendable, Equatable {
    /// The patterns, in the order they were added.
    public private(set) var patterns: [IgnorePattern]

    /// Rules from patterns.
    public init(patterns: [IgnorePattern] = []) {
        self.patterns = patterns
    }

    /// Rules from pattern strings.
    public init(_ patterns: [String]) {
        self.patterns = patterns.map(IgnorePattern.init)
    }

    /// Adds one pattern (e.g. from `--ignore`); empty strings are ignored.
    public mutating func add(_ pattern: String) {
        let trimmed = pattern.trimmingWhitespace
        if !trimmed.isEmpty { patterns.append(IgnorePattern(trimmed)) }
    }

    /// Adds every pattern of `other`.
    public mutating func add(contentsOf other: IgnoreRules) {
        patterns.append(contentsOf: other.patterns)
    }

    /// Whether no pattern is set.
    public var isEmpty: Bool { patterns.isEmpty }

    /// The first pattern matching any of `paths`.
    public func match(_ paths: [String]) -> IgnorePattern? {
        for pattern in patterns {
            for path in paths where pattern.matches(path) { return pattern }
        }
        return nil
    }

    /// Parses a pattern file's text: one pattern per line; `#` starts a comment (whole line or
    /// after white space); blank lines are skipped; surrounding white space is trimmed.
    /// - Throws: `invalidPattern` for a line with inner white space (a pattern holds none).
    public static func parse(_ text: String, file: String = "<patterns>") throws(TranscriptError) -> IgnoreRules {
        var rules = IgnoreRules()
        var number = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            var line = Substring(rawLine)
            if let hash = commentStart(line) { line = line[..<hash] }
            let pattern = String(line).trimmingWhitespace
            if pattern.isEmpty { continue }
            if pattern.contains(where: { $0 == " " || $0 == "\t" }) {
                throw .invalidPattern(file: file, line: number, message: "'\(pattern)' contains white space (one pattern per line; '#' starts a comment)")
            }
            rules.patterns.append(IgnorePattern(pattern))
        }
        return rules
    }

    /// Reads a pattern file (see `parse(_:file:)`).
    /// - Throws: `io` when the file cannot be read, `invalidPattern`.
    public static func load(path: String) throws(TranscriptError) -> IgnoreRules {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .io(file: path, operation: "read", message: "cannot read the file")
        }
        return try parse(String(decoding: data, as: UTF8.self), file: path)
    }

    /// A `#` at the start of the line or after white space.
    private static func commentStart(_ line: Substring) -> Substring.Index? {
        var previous: Character = " "
        for index in line.indices {
            let c = line[index]
            if c == "#" && (previous == " " || previous == "\t") { return index }
            previous = c
        }
        return nil
    }
}

extension String {
    var trimmingWhitespace: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
