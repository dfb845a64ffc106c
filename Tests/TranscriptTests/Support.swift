import Foundation
import JSONKit
import Transcript

/// The fixtures of the repository this test file is in.
enum Fixtures {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        for _ in 0..<3 { url.deleteLastPathComponent() }  // Tests/TranscriptTests/Support.swift
        return url.path
    }()

    static func path(_ name: String) -> String { "\(root)/Fixtures/\(name)" }

    /// Every line of a fixture file (the header included), without newlines.
    static func lines(_ name: String) throws -> [String] {
        let text = try String(contentsOfFile: path(name), encoding: .utf8)
        return text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }

    static let wireGoldens = ["session-5min", "corrupt-messages", "handshake-rejected", "compress-none"].map { "\($0).wire.golden.jsonl" }
    static let eventsGoldens = ["session-5min", "corrupt-messages", "handshake-rejected", "compress-none"].map { "\($0).events.golden.jsonl" }
}

/// Diffs two transcripts given as lines, in memory.
func diffLines(_ expected: [String], _ actual: [String], options: DiffOptions = DiffOptions(),
               names: (String, String) = ("expected.jsonl", "actual.jsonl")) throws -> DiffReport {
    let a = try TranscriptReader(bytes: Array((expected.joined(separator: "\n") + "\n").utf8), name: names.0)
    let b = try TranscriptReader(bytes: Array((actual.joined(separator: "\n") + "\n").utf8), name: names.1)
    return try TranscriptDiff.diff(expected: a, actual: b, options: options)
}

/// The error a throwing call threw, or nil.
func caught<T>(_ body: () throws -> T) -> TranscriptError? {
    do {
        _ = try body()
        return nil
    } catch let error as TranscriptError {
        return error
    } catch {
        return nil
    }
}

func parse(_ line: String) -> JSONValue {
    (try? JSONParser.parse(line)) ?? .null
}

func canonical(_ value: JSONValue) -> String { CanonicalJSON.string(value) }

/// `value` with the member at `path` replaced (nil removes it).
func setting(_ value: JSONValue, _ path: [String], _ newValue: JSONValue?) -> JSONValue {
    guard let key = path.first, case .object(var pairs) = value else { return value }
    let index = pairs.firstIndex { $0.0 == key }
    if path.count == 1 {
        if let index {
            if let newValue { pairs[index].1 = newValue } else { pairs.remove(at: index) }
        } else if let newValue {
            pairs.append((key, newValue))
        }
    } else if let index {
        pairs[index].1 = setting(pairs[index].1, Array(path.dropFirst()), newValue)
    }
    return .object(pairs)
}

/// A line with the member at `path` replaced.
func edit(_ line: String, _ path: [String], _ newValue: JSONValue?) -> String {
    canonical(setting(parse(line), path, newValue))
}

/// The index of the first line containing all of `fragments`.
func firstIndex(_ lines: [String], containing fragments: String...) -> Int? {
    lines.firstIndex { line in fragments.allSatisfy { line.contains($0) } }
}
