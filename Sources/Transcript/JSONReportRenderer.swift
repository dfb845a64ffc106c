import JSONKit

/// Renders a `DiffReport` as one canonical JSON object (`--format json`; documented in
/// `docs/diff.md`): `expected`, `actual`, `identical`, `summary`, `changes`, `truncated`.
/// A value absent on one side has no `expected` / `actual` key (JSON `null` is a value).
public enum JSONReportRenderer {
    /// The report as a JSON value.
    public static func value(_ report: DiffReport) -> JSONValue {
        var root = JSONObjectBuilder()
        root.set("expected", file(report.expected, records: report.summary.expectedRecords))
        root.set("actual", file(report.actual, records: report.summary.actualRecords))
        root.set("identical", .bool(report.isIdentical))
        root.set("window", .int(Int64(report.window)))
        root.set("summary", summary(report.summary))
        root.set("changes", .array(report.changes.map(change)))
        root.set("truncated", .bool(report.truncated))
        return root.value
    }

    /// The report as one line of JSON text (no trailing newline).
    public static func render(_ report: DiffReport) -> String {
        CanonicalJSON.string(value(report))
    }

    /// One change as a JSON object: `kind`, `type`, `category`, `group`, `record`, `path`,
    /// `json_path`, `expected`, `actual`, `expected_line`, `expected_tape_line`, `actual_line`,
    /// `actual_tape_line`, `context_before`, `context_after`, `text`.
    public static func change(_ change: DiffChange) -> JSONValue {
        var o = JSONObjectBuilder()
        o.set("kind", .string(change.kind.rawValue))
        o.set("type", .string(change.recordType))
        o.set("category", .string(change.category))
        o.set("group", change.group.map(JSONValue.string))
        o.set("record", .string(change.record))
        o.set("path", .string(change.path))
        o.set("json_path", .string(change.jsonPath))
        o.set("expected", change.expected)
        o.set("actual", change.actual)
        if let l = change.expectedLocation {
            o.set("expected_line", .int(Int64(l.line)))
            o.set("expected_tape_line", l.tapeLine.map { JSONValue.int(Int64($0)) })
        }
        if let l = change.actualLocation {
            o.set("actual_line", .int(Int64(l.line)))
            o.set("actual_tape_line", l.tapeLine.map { JSONValue.int(Int64($0)) })
        }
        if !change.contextBefore.isEmpty { o.set("context_before", .array(change.contextBefore.map(JSONValue.string))) }
        if !change.contextAfter.isEmpty { o.set("context_after", .array(change.contextAfter.map(JSONValue.string))) }
        o.set("text", .string(TextReportRenderer.line(change)))
        return o.value
    }

    private static func file(_ file: TranscriptFile, records: Int) -> JSONValue {
        ["file": .string(file.name), "view": .string(file.header.view.rawValue), "version": .int(Int64(file.header.version)),
         "records": .int(Int64(records))]
    }

    private static func counts(_ c: CategoryCounts) -> JSONValue {
        ["compared": .int(Int64(c.compared)), "changed": .int(Int64(c.changed)), "added": .int(Int64(c.added)),
         "removed": .int(Int64(c.removed))]
    }

    private static func summary(_ s: DiffSummary) -> JSONValue {
        var o = JSONObjectBuilder()
        o.set("compared", .int(Int64(s.compared)))
        o.set("changed", .int(Int64(s.changed)))
        o.set("added", .int(Int64(s.added)))
        o.set("removed", .int(Int64(s.removed)))
        o.set("changes", .int(Int64(s.changes)))
        o.set("ignored", .int(Int64(s.ignored)))
        o.set("by_kind", .object(DiffChange.Kind.allCases.compactMap { kind in
            s.byKind[kind].map { (kind.rawValue, JSONValue.int(Int64($0))) }
        }))
        o.set("by_type", .object(s.byType.sorted { $0.key < $1.key }.map { ($0.key, counts($0.value)) }))
        o.set("by_method", .object(s.byMethod.sorted { $0.key < $1.key }.map { ($0.key, counts($0.value)) }))
        return o.value
    }
}
