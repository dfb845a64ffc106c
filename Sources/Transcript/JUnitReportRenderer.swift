/// Renders diff reports as JUnit XML for CI. With `.recordGroup`, each report is a
/// `<testsuite>` (named after the actual file) with one failing `<testcase>` per record group
/// that differs (`frame 41`, `http GET …`; in the events view, per event) plus one passing
/// `unchanged records` case; with `.tape`, each report is one `<testcase>`. Failures carry the
/// change lines.
public struct JUnitReportRenderer: Sendable {
    /// What a test case stands for.
    public enum Granularity: String, Sendable, CaseIterable {
        /// One test case per record group with differences (and one for the rest).
        case recordGroup = "group"
        /// One test case per diffed pair of transcripts.
        case tape
    }

    /// What a test case stands for.
    public var granularity: Granularity
    /// The `name` of `<testsuites>` (and of the suite with `.tape`).
    public var suiteName: String

    /// A renderer.
    public init(granularity: Granularity = .recordGroup, suiteName: String = "livetape") {
        self.granularity = granularity
        self.suiteName = suiteName
    }

    private struct Case {
        var name: String
        var classname: String
        var failure: (message: String, body: String)?
    }

    /// The XML document for one or more reports.
    public func render(_ reports: [DiffReport]) -> String {
        var suites: [(name: String, cases: [Case])] = []
        switch granularity {
        case .tape:
            let cases = reports.map { report -> Case in
                var c = Case(name: report.actual.name, classname: suiteName)
                if !report.isIdentical { c.failure = (Self.failureMessage(report), Self.body(report)) }
                return c
            }
            suites.append((suiteName, cases))
        case .recordGroup:
            for report in reports {
                suites.append((report.actual.name, groupCases(report)))
            }
        }
        let total = suites.reduce(0) { $0 + $1.cases.count }
        let failures = suites.reduce(0) { $0 + $1.cases.filter { $0.failure != nil }.count }
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites name=\"\(MarkupText.escape(suiteName))\" tests=\"\(total)\" failures=\"\(failures)\" errors=\"0\">\n"
        for suite in suites {
            let suiteFailures = suite.cases.filter { $0.failure != nil }.count
            out += "  <testsuite name=\"\(MarkupText.escape(suite.name))\" tests=\"\(suite.cases.count)\" failures=\"\(suiteFailures)\" errors=\"0\" skipped=\"0\">\n"
            for c in suite.cases {
                let open = "    <testcase classname=\"\(MarkupText.escape(c.classname))\" name=\"\(MarkupText.escape(c.name))\""
                if let failure = c.failure {
                    out += open + ">\n"
                    out += "      <failure type=\"transcript-diff\" message=\"\(MarkupText.escape(failure.message))\">\(MarkupText.escape(failure.body, attribute: false))</failure>\n"
                    out += "    </testcase>\n"
                } else {
                    out += open + "/>\n"
                }
            }
            out += "  </testsuite>\n"
        }
        out += "</testsuites>\n"
        return out
    }

    private func groupCases(_ report: DiffReport) -> [Case] {
        var order: [String] = []
        var lines: [String: [String]] = [:]
        for change in report.changes {
            let group = change.group ?? change.record
            if lines[group] == nil { order.append(group) }
            lines[group, default: []].append(TextReportRenderer.line(change) + "  [" + TextReportRenderer.locationText(change) + "]")
        }
        let classname = report.actual.name
        var cases = order.map { group -> Case in
            let list = lines[group] ?? []
            return Case(name: group, classname: classname,
                        failure: ("\(list.count) difference\(list.count == 1 ? "" : "s")", list.joined(separator: "\n")))
        }
        if report.truncated {
            let more = report.summary.changes - report.changes.count
            cases.append(Case(name: "further differences", classname: classname,
                              failure: ("\(more) more differences not listed", "the report was truncated; see the summary")))
        }
        cases.append(Case(name: "unchanged records", classname: classname, failure: nil))
        return cases
    }

    private static func failureMessage(_ report: DiffReport) -> String {
        let s = report.summary
        return "\(s.changes) difference\(s.changes == 1 ? "" : "s"): \(s.changed) changed, \(s.added) added, \(s.removed) removed"
    }

    private static func body(_ report: DiffReport) -> String {
        var lines = report.changes.map { TextReportRenderer.line($0) + "  [" + TextReportRenderer.locationText($0) + "]" }
        if report.truncated { lines.append("… \(report.summary.changes - report.changes.count) more") }
        return lines.joined(separator: "\n")
    }
}
