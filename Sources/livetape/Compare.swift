import Foundation

/// The comparison of a golden transcript with a fresh one.
struct Comparison {
    var isSame: Bool
    /// A short account, e.g. `3 changed, 1 added`.
    var headline: String
    /// The changes, readable, one per line.
    var text: String
}

/// Reads an ignore file: one pattern per line, `#` comments, blank lines skipped.
enum IgnoreFile {
    static func patterns(in text: String) -> [String] {
        text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }
}

/// Compares two transcript files.
func compareTranscripts(expected: String, actual: String, ignore: [String]) throws -> Comparison {
    let a = try String(contentsOfFile: expected, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
    let b = try String(contentsOfFile: actual, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
    guard let first = zip(a, b).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset ?? (a.count == b.count ? nil : min(a.count, b.count)) else {
        return Comparison(isSame: true, headline: "same", text: "")
    }
    return Comparison(isSame: false, headline: "differs", text: "    line \(first + 1) differs\n")
}
