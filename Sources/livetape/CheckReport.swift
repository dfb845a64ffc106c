import Foundation
import Transcript
import WebcastDecoder

/// What `check` found for one view of one tape.
enum ViewOutcome {
    case same
    case missingGolden
    /// The golden did not exist and was written (record mode missing or all).
    case written
    /// The golden differed and was rewritten (record mode all).
    case updated(Comparison)
    case differs(Comparison)
    case unusable(String)

    var passed: Bool {
        switch self {
        case .same, .written, .updated: true
        case .missingGolden, .differs, .unusable: false
        }
    }

    var word: String {
        switch self {
        case .same: "same"
        case .missingGolden: "no golden"
        case .written: "written"
        case .updated: "updated"
        case .differs(let comparison): comparison.headline
        case .unusable: "unusable"
        }
    }
}

/// The outcome of checking one tape.
struct TapeCheck {
    var tape: String
    var records: [TranscriptView: Int] = [:]
    var outcomes: [TranscriptView: ViewOutcome] = [:]
    /// Pending goldens this check wrote.
    var writtenPending: [String] = []

    var passed: Bool { outcomes.values.allSatisfy(\.passed) }

    var unusable: Bool {
        outcomes.values.contains { if case .unusable = $0 { true } else { false } }
    }

    private var name: String { (tape as NSString).lastPathComponent }

    /// One line: `ok       session-5min.tape  wire same (8461 records), events same (4099 records)`.
    var summaryLine: String {
        let status = passed ? "ok  " : "FAIL"
        let views = TranscriptView.allCases.compactMap { view -> String? in
            guard let outcome = outcomes[view] else { return nil }
            return "\(view.rawValue) \(outcome.word)" + (records[view].map { " (\($0) records)" } ?? "")
        }
        return "\(status)     \(name)  " + views.joined(separator: ", ")
    }

    /// The differences and errors behind a failure, indented under the tape.
    var details: String {
        var out = ""
        for view in TranscriptView.allCases {
            guard let outcome = outcomes[view] else { continue }
            switch outcome {
            case .differs(let comparison):
                out += "--- \(FixtureFiles.golden(for: tape, view: view))\n"
                out += comparison.text
            case .missingGolden:
                out += "    \(FixtureFiles.golden(for: tape, view: view)) does not exist (run with --record missing)\n"
            case .unusable(let message):
                out += "    \(view.rawValue): \(message)\n"
            default:
                break
            }
        }
        return out
    }
}

/// The summary table and the JUnit report of a check run.
enum CheckTable {
    /// A table: one row per tape, one column per view, then the totals.
    static func render(_ checks: [TapeCheck], views: [TranscriptView]) -> String {
        let header = ["tape"] + views.map(\.rawValue)
        let rows = checks.map { check in
            [(check.tape as NSString).lastPathComponent] + views.map { view in
                (check.outcomes[view]?.word ?? "-") + (check.records[view].map { " (\($0))" } ?? "")
            }
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            String(zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .reversed().drop { $0 == " " }.reversed())
        }
        let passed = checks.filter(\.passed).count
        return ([""] + [line(header)] + rows.map(line)
            + ["\(checks.count) tape\(checks.count == 1 ? "" : "s") checked: \(passed) passed, \(checks.count - passed) failed"])
            .joined(separator: "\n")
    }

    /// One test suite, one test case per tape and view.
    static func junit(_ checks: [TapeCheck]) -> String {
        var cases: [String] = []
        var failures = 0
        for check in checks {
            for (view, outcome) in check.outcomes.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                var element = "    <testcase classname=\"livetape.check\" name=\"\(xml((check.tape as NSString).lastPathComponent)) \(view.rawValue)\""
                switch outcome {
                case .differs(let comparison):
                    failures += 1
                    element += ">\n      <failure message=\"\(xml(comparison.headline))\">\(xml(comparison.text))</failure>\n    </testcase>"
                case .missingGolden, .unusable:
                    failures += 1
                    element += ">\n      <failure message=\"\(xml(outcome.word))\"/>\n    </testcase>"
                default:
                    element += "/>"
                }
                cases.append(element)
            }
        }
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <testsuite name="livetape check" tests="\(cases.count)" failures="\(failures)">
            \(cases.joined(separator: "\n"))
            </testsuite>

            """
    }

    static func xml(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
