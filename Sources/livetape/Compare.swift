import Foundation
import Transcript

/// The comparison of a golden transcript with a fresh one.
struct Comparison {
    var report: DiffReport

    var isSame: Bool { report.isIdentical }

    /// A short account, e.g. `3 changed, 1 added`.
    var headline: String {
        let s = report.summary
        let parts = [(s.changed, "changed"), (s.added, "added"), (s.removed, "removed")].filter { $0.0 > 0 }
        return parts.isEmpty ? "differs" : parts.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
    }

    /// The changes, one per line with a location line under each, and the summary.
    var text: String { TextReportRenderer(colour: false).render(report) }
}

/// Compares two transcript files, semantically (see docs/diff.md).
func compareTranscripts(expected: String, actual: String, ignore: IgnoreRules) throws(TranscriptError) -> Comparison {
    Comparison(report: try TranscriptDiff.diff(expected: expected, actual: actual, options: DiffOptions(ignore: ignore)))
}
