import JSONKit

/// Renders a `DiffReport` as readable text: one line per change
/// (`frame 41 › WebcastGiftMessage 7291…03 › repeat_count: 3 → 4`), a few indented lines of
/// context under it, and the summary. ANSI colour only when `colour` is set (the caller
/// decides: a terminal, no `NO_COLOR`).
public struct TextReportRenderer: Sendable {
    /// Use ANSI colours.
    public var colour: Bool
    /// Show the location and context lines under each change.
    public var showContext: Bool
    /// Longest value shown before it is cut with `…`.
    public var maxValueLength: Int

    /// A renderer.
    public init(colour: Bool = false, showContext: Bool = true, maxValueLength: Int = 120) {
        self.colour = colour
        self.showContext = showContext
        self.maxValueLength = max(8, maxValueLength)
    }

    /// The whole report, ending with a newline.
    public func render(_ report: DiffReport) -> String {
        var out = ""
        out += paint("--- \(report.expected.name) (\(report.expected.header.view.rawValue) view)", .bold) + "\n"
        out += paint("+++ \(report.actual.name) (\(report.actual.header.view.rawValue) view)", .bold) + "\n"
        for change in report.changes {
            out += render(change)
        }
        if report.truncated {
            out += "… \(report.summary.changes - report.changes.count) more changes not listed (counted below)\n"
        }
        out += renderSummary(report)
        return out
    }

    /// One change: its line, then (with `showContext`) location and context lines.
    public func render(_ change: DiffChange) -> String {
        let glyph: String
        let style: Style
        switch change.kind {
        case .changed: glyph = "~"; style = .yellow
        case .added, .unknownFieldAppeared, .decodeErrorAppeared: glyph = "+"; style = .green
        case .removed, .unknownFieldVanished, .decodeErrorVanished: glyph = "-"; style = .red
        }
        var out = paint("\(glyph) \(Self.line(change, maxValueLength: maxValueLength))", style) + "\n"
        guard showContext else { return out }
        out += paint("    \(Self.locationText(change))", .dim) + "\n"
        switch change.kind {
        case .changed:
            let key = Self.lastComponent(change.path)
            for line in change.contextBefore { out += paint("      \(line)", .dim) + "\n" }
            out += paint("    - \(key): \(value(change.expected))", .red) + "\n"
            out += paint("    + \(key): \(value(change.actual))", .green) + "\n"
            for line in change.contextAfter { out += paint("      \(line)", .dim) + "\n" }
        case .added, .removed:
            let record = change.kind == .added ? change.actual : change.expected
            out += paint("    \(record.map { cut(CanonicalJSON.string($0), maxValueLength * 2) } ?? "")", .dim) + "\n"
        case .unknownFieldAppeared, .unknownFieldVanished, .decodeErrorAppeared, .decodeErrorVanished:
            break
        }
        return out
    }

    /// The summary lines.
    public func renderSummary(_ report: DiffReport) -> String {
        let s = report.summary
        var out = ""
        let ignored = s.ignored > 0 ? "; \(s.ignored) difference\(s.ignored == 1 ? "" : "s") ignored" : ""
        if report.isIdentical {
            out += paint("no differences: \(s.compared) records compared\(ignored)", .bold) + "\n"
            return out
        }
        out += paint("\(s.changes) change\(s.changes == 1 ? "" : "s"): \(s.changed) changed, \(s.added) added, \(s.removed) removed "
            + "(\(s.compared) records compared; \(s.expectedRecords) expected, \(s.actualRecords) actual\(ignored))", .bold) + "\n"
        let kinds = DiffChange.Kind.allCases.compactMap { kind -> String? in
            guard let n = s.byKind[kind], n > 0, kind != .changed, kind != .added, kind != .removed else { return nil }
            return "\(n) \(kind.rawValue.replacingUnderscores)"
        }
        if !kinds.isEmpty { out += "  \(kinds.joined(separator: ", "))\n" }
        for (title, table) in [("by type", s.byType), ("by method", s.byMethod)] {
            let rows = table.filter { $0.value.hasDifferences }.sorted { $0.key < $1.key }
            guard !rows.isEmpty else { continue }
            out += "  \(title): " + rows.map { "\($0.key) \(Self.counts($0.value))" }.joined(separator: "; ") + "\n"
        }
        return out
    }

    static func counts(_ c: CategoryCounts) -> String {
        var parts: [String] = []
        if c.changed > 0 { parts.append("\(c.changed) changed") }
        if c.added > 0 { parts.append("\(c.added) added") }
        if c.removed > 0 { parts.append("\(c.removed) removed") }
        return parts.joined(separator: ", ")
    }

    /// One line for a change, without colour or glyph:
    /// `frame 41 › WebcastGiftMessage 7291…03 › repeat_count: 3 → 4`.
    public static func line(_ change: DiffChange, maxValueLength: Int = 120) -> String {
        func v(_ value: JSONValue?) -> String {
            value.map { cut(CanonicalJSON.string($0), maxValueLength) } ?? "(absent)"
        }
        let title = change.title
        switch change.kind {
        case .changed:
            let path = change.path.isEmpty ? "" : " › \(change.path)"
            return "\(title)\(path): \(v(change.expected)) → \(v(change.actual))"
        case .added:
            return "\(title): added"
        case .removed:
            return "\(title): removed"
        case .unknownFieldAppeared:
            return "\(title) › \(change.path) appeared: \(v(change.actual?["value"] ?? change.actual))"
        case .unknownFieldVanished:
            return "\(title) › \(change.path) vanished (was \(v(change.expected?["value"] ?? change.expected)))"
        case .decodeErrorAppeared:
            return "\(title): decode error appeared: \(RecordIdentity.text(change.actual?["error"]) ?? "?")"
        case .decodeErrorVanished:
            return "\(title): decode error vanished (was: \(RecordIdentity.text(change.expected?["error"]) ?? "?"))"
        }
    }

    /// `expected line 12 (tape line 5), actual line 13 (tape line 5)`.
    public static func locationText(_ change: DiffChange) -> String {
        func text(_ name: String, _ l: RecordLocation?) -> String? {
            guard let l else { return nil }
            return "\(name) line \(l.line)" + (l.tapeLine.map { " (tape line \($0))" } ?? "")
        }
        return [text("expected", change.expectedLocation), text("actual", change.actualLocation)]
            .compactMap { $0 }.joined(separator: ", ")
    }

    /// The last component of a display path: `user.nickname` → `nickname`, `top[0]` → `[0]`,
    /// `unknown[A.b.7]` → `unknown[A.b.7]`.
    static func lastComponent(_ path: String) -> String {
        var depth = 0
        var index = path.endIndex
        while index > path.startIndex {
            let previous = path.index(before: index)
            switch path[previous] {
            case "]": depth += 1
            case "[":
                depth -= 1
                if depth == 0 && !path[..<previous].hasSuffix("unknown") { return String(path[previous...]) }
            case "." where depth == 0: return String(path[index...])
            default: break
            }
            index = previous
        }
        return path.isEmpty ? "(record)" : path
    }

    private func value(_ value: JSONValue?) -> String {
        value.map { cut(CanonicalJSON.string($0), maxValueLength) } ?? "(absent)"
    }

    enum Style: String {
        case bold = "1", dim = "2", red = "31", green = "32", yellow = "33"
    }

    private func paint(_ text: String, _ style: Style) -> String {
        colour ? "\u{1B}[\(style.rawValue)m\(text)\u{1B}[0m" : text
    }
}

func cut(_ text: String, _ limit: Int) -> String {
    text.count > limit ? "\(text.prefix(limit - 1))…" : text
}

extension String {
    var replacingUnderscores: String { String(map { $0 == "_" ? " " : $0 }) }
}
