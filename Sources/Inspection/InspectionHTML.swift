import JSONKit

/// The `--html` pages of `livetape inspect` and `livetape compare`: one self-contained file —
/// inline CSS and SVG, no script, nothing fetched (its Content-Security-Policy forbids it) —
/// of plain HTML with real tables and an id on each main section (`summary`, `changes`,
/// `timeline`, `methods`, `unknown-fields`, `decode-errors`, `signing`, `handshakes`, `frames`,
/// `client`). Every string from a capture is escaped.
public enum InspectionHTML {
    /// The page of one capture's `CaptureInspector.report`; `source` names the capture.
    public static func inspectPage(_ report: JSONValue, source: String) -> String {
        let capture = InspectionReport(report)
        var html = HTMLWriter()
        begin(&html, title: "livetape inspect: \(source)")
        html.element("h1", text: "Capture \(source)")
        html.section(id: "summary", title: "Summary") { html in
            html.facts(summary(capture))
        }
        html.section(id: "timeline", title: "Timeline") { html in
            TimelineChart(json: report["timeline"] ?? .null).write(into: &html, id: "timeline")
        }
        html.section(id: "methods", title: "Methods") { html in
            let errors = decodeErrorCounts(capture)
            html.table("Messages per method", headers: ["Method", "Messages", "Decode errors", "Schema"],
                       rows: byCount(capture.methods).map { method, count in
                           [method, String(count), String(errors[method] ?? 0), capture.unknownMethods.contains(method) ? "unknown" : "known"]
                       }, numeric: [1, 2], empty: "No messages.")
        }
        html.section(id: "unknown-fields", title: "Unknown fields") { html in
            html.table("Fields the schema does not declare, or declares with another wire type",
                       headers: ["Path", "Wire type", "Declared as", "Count", "Example"],
                       rows: capture.unknownFields.sorted { $0.key < $1.key }.map { path, field in
                           [path, text(field["wire_type"]), text(field["schema"]), text(field["count"]), text(field["example"])]
                       }, numeric: [1, 3], empty: "No unknown fields.")
        }
        html.section(id: "decode-errors", title: "Decode errors") { html in
            html.table("Decode errors per method or stage", headers: ["Method or stage", "Count", "First at tape line", "First error"],
                       rows: capture.decodeErrors.map { [text($0["method"]), text($0["count"]), text($0["line"]), text($0["example"])] },
                       numeric: [1, 2], empty: "No decode errors.")
        }
        html.section(id: "signing", title: "Signing") { html in
            html.table("Signing exchanges", headers: ["Request", "Status", "Body bytes", "push_server", "Cookies set", "Rate limited", "Error"],
                       rows: (report["signing"]?.arrayValue ?? []).map { exchange in
                           ["\(text(exchange["method"])) \(text(exchange["path"]))", text(exchange["status"]), text(exchange["body_bytes"]),
                            text(exchange["push_server"]), list(exchange["cookies_set"]), text(exchange["rate_limited"]), text(exchange["error"])]
                       }, numeric: [1, 2], empty: "No signing exchanges.")
        }
        html.section(id: "handshakes", title: "Handshakes") { html in
            let handshakes = report["handshakes"]?.arrayValue ?? []
            if handshakes.isEmpty { html.element("p", [("class", "none")], text: "No WebSocket handshakes.") }
            for (index, shake) in handshakes.enumerated() {
                html.table("WebSocket handshake \(index + 1)", headers: ["Property", "Value"],
                           rows: handshakeProperties.map { label, key in [label, list(shake[key])] })
            }
        }
        html.section(id: "frames", title: "Frames") { html in
            html.table("Received frames per compress_type", headers: ["compress_type", "Frames", "Unreadable"],
                       rows: byCount(capture.compressTypes).map { [$0.0, String($0.1), String(capture.undecodableFrames[$0.0] ?? 0)] },
                       numeric: [1, 2], empty: "No frames received.")
            html.table("Received frames per payload_type", headers: ["payload_type", "Frames"],
                       rows: InspectionReport.pairs(report["frames"]?["payload_type"]).map { [$0.0, text($0.1)] }, numeric: [1], empty: "")
            html.table("Notices", headers: ["Notice", "Count", "First"],
                       rows: (report["frames"]?["notices"]?.arrayValue ?? []).map { [text($0["kind"]), text($0["count"]), text($0["example"])] },
                       numeric: [1], empty: "No notices.")
        }
        html.section(id: "client", title: "Client and timing") { html in
            html.facts(clientFacts(report))
        }
        return end(&html)
    }

    /// The page of `comparison` between the reports `old` and `new`: the changes ranked, then
    /// both captures side by side.
    public static func comparePage(_ comparison: CaptureComparison, old: JSONValue, new: JSONValue, oldSource: String, newSource: String) -> String {
        let a = InspectionReport(old), b = InspectionReport(new)
        var html = HTMLWriter()
        begin(&html, title: "livetape compare: \(oldSource) → \(newSource)")
        html.element("h1", text: "Compare \(oldSource) with \(newSource)")
        html.section(id: "summary", title: "Summary") { html in
            let verdict = comparison.changes.isEmpty ? "No protocol changes."
                : "\(comparison.changes.count) changes; the most likely cause of a breakage first."
            html.element("p", [("class", "verdict")], text: verdict)
            html.table("Captures", headers: ["Property", "Old", "New"],
                       rows: [["Capture", oldSource, newSource]] + zip(summary(a), summary(b)).map { [$0.0, $0.1, $1.1] }, numeric: [1, 2])
        }
        html.section(id: "changes", title: "Changes") { html in
            html.table("Protocol changes, ranked", headers: ["#", "Kind", "Subject", "Old", "New", "Rank"],
                       rows: comparison.changes.enumerated().map { index, change in
                           [String(index + 1), change.kind.rawValue, change.subject, change.old, change.new, String(change.rank)]
                       }, numeric: [5], empty: "No protocol changes.")
        }
        html.section(id: "timeline", title: "Timeline, old and new on one scale") { html in
            let charts = (TimelineChart(json: old["timeline"] ?? .null), TimelineChart(json: new["timeline"] ?? .null))
            let scale = charts.0.scale.union(charts.1.scale)
            for (label, chart, id) in [("Old: \(oldSource)", charts.0, "timeline-old"), ("New: \(newSource)", charts.1, "timeline-new")] {
                html.element("h3", text: label)
                chart.write(into: &html, id: id, scale: scale)
            }
        }
        html.section(id: "methods", title: "Methods") { html in
            let methods = Set(a.methods.keys).union(b.methods.keys).sorted { (b.methods[$0] ?? 0, a.methods[$0] ?? 0, $1) > (b.methods[$1] ?? 0, a.methods[$1] ?? 0, $0) }
            html.table("Messages per method", headers: ["Method", "Old", "New"],
                       rows: methods.map { [$0, String(a.methods[$0] ?? 0), String(b.methods[$0] ?? 0)] }, numeric: [1, 2], empty: "No messages.")
        }
        html.section(id: "unknown-fields", title: "Unknown fields") { html in
            let paths = Set(a.unknownFields.keys).union(b.unknownFields.keys).sorted()
            html.table("Unknown fields", headers: ["Path", "Old", "New", "Wire type (old → new)", "Example"],
                       rows: paths.map { path in
                           let x = a.unknownFields[path], y = b.unknownFields[path]
                           return [path, text(x?["count"], absent: "0"), text(y?["count"], absent: "0"),
                                   "\(text(x?["wire_type"])) → \(text(y?["wire_type"]))", text((y ?? x)?["example"])]
                       }, numeric: [1, 2], empty: "No unknown fields.")
        }
        html.section(id: "decode-errors", title: "Decode errors") { html in
            let oldErrors = decodeErrorCounts(a), newErrors = decodeErrorCounts(b)
            let examples = Dictionary((a.decodeErrors + b.decodeErrors).map { (text($0["method"]), text($0["example"])) }, uniquingKeysWith: { _, later in later })
            html.table("Decode errors per method or stage", headers: ["Method or stage", "Old", "New", "Example"],
                       rows: Set(oldErrors.keys).union(newErrors.keys).sorted().map { key in
                           [key, String(oldErrors[key] ?? 0), String(newErrors[key] ?? 0), examples[key] ?? "—"]
                       }, numeric: [1, 2], empty: "No decode errors.")
        }
        html.section(id: "signing", title: "Signing") { html in
            let paths = Set(a.signing.keys).union(b.signing.keys).sorted()
            let properties = [("status", "status"), ("body bytes", "body_bytes"), ("push_server", "push_server"), ("cookies set", "cookies_set")]
            html.table("Signing exchanges, old and new", headers: ["Request", "Old", "New"],
                       rows: paths.flatMap { path in
                           properties.map { label, key in ["\(path) \(label)", list(a.signing[path]?[key]), list(b.signing[path]?[key])] }
                       }, empty: "No signing exchanges.")
        }
        html.section(id: "handshakes", title: "Handshakes") { html in
            html.table("First WebSocket handshake, old and new", headers: ["Property", "Old", "New"],
                       rows: handshakeProperties.map { label, key in [label, list(a.handshake?[key]), list(b.handshake?[key])] })
        }
        html.section(id: "client", title: "Client and timing") { html in
            html.table("Client behaviour and timing, old and new", headers: ["Property", "Old", "New"],
                       rows: zip(clientFacts(old), clientFacts(new)).map { [$0.0, $0.1, $1.1] }, numeric: [1, 2])
        }
        return end(&html)
    }

    // MARK: Parts

    /// The rows of a handshake table: label and report key.
    private static let handshakeProperties = [
        ("URL", "url"), ("Status", "status"), ("Handshake-Status", "handshake_status"), ("Handshake-Msg", "handshake_msg"),
        ("Handshake-Options", "handshake_options"), ("Subprotocol", "subprotocol"), ("Query parameters", "query_keys"),
    ]

    private static func text(_ value: JSONValue?, absent: String = "—") -> String {
        InspectionReport.text(value, absent: absent)
    }

    /// An array as its items separated by spaces; anything else as `text`.
    private static func list(_ value: JSONValue?) -> String {
        guard let items = value?.arrayValue else { return text(value) }
        return items.isEmpty ? "—" : items.map { text($0) }.joined(separator: " ")
    }

    private static func byCount(_ counts: [String: Int]) -> [(String, Int)] {
        counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { ($0.key, $0.value) }
    }

    private static func decodeErrorCounts(_ report: InspectionReport) -> [String: Int] {
        Dictionary(report.decodeErrors.map { (text($0["method"]), Int($0["count"]?.intValue ?? 0)) }, uniquingKeysWith: +)
    }

    private static func summary(_ report: InspectionReport) -> [(String, String)] {
        let timing = report.json["timing"]
        return [
            ("Session", "\(text(timing?["session_seconds"])) s"),
            ("Frames received", String(report.framesReceived)),
            ("Frames per second", text(timing?["frames_per_second"])),
            ("Messages", String(report.messages)),
            ("Methods", String(report.methods.count)),
            ("Decode errors", String(decodeErrorCounts(report).values.reduce(0, +))),
            ("Unknown methods", String(report.unknownMethods.count)),
            ("Unknown fields", String(report.unknownFields.count)),
        ]
    }

    private static func clientFacts(_ report: JSONValue) -> [(String, String)] {
        let client = report["client"], timing = report["timing"]
        return [
            ("im_enter_room sent", text(client?["im_enter_room"])),
            ("Heartbeats", text(client?["heartbeats"])),
            ("Heartbeat interval (ms)", text(client?["heartbeat_interval_ms"])),
            ("Acks", text(client?["acks"])),
            ("Frames with need_ack", text(client?["frames_with_need_ack"])),
            ("need_ack without internal_ext", text(client?["need_ack_without_internal_ext"])),
            ("Frames sent", text(report["frames"]?["sent"])),
            ("Gaps in the capture", "\(text(timing?["gaps"])) (\(text(timing?["gap_bytes"])) bytes)"),
        ]
    }

    private static func begin(_ html: inout HTMLWriter, title: String) {
        html.raw("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        html.raw("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n")
        html.raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
        html.element("title", text: title)
        html.raw("\n<style>\n\(stylesheet)</style>\n</head>\n<body>\n<main>\n")
    }

    private static func end(_ html: inout HTMLWriter) -> String {
        html.raw("\n</main>\n</body>\n</html>\n")
        return html.html
    }

    private static let stylesheet = """
        :root { color: #1b1b1b; background: #ffffff; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
        main { max-width: 1240px; margin: 0 auto; padding: 16px 24px 48px; }
        h1 { font-size: 1.5rem; margin: 0.4em 0 0.6em; overflow-wrap: anywhere; }
        h2 { font-size: 1.2rem; margin: 1.6em 0 0.5em; padding-bottom: 4px; border-bottom: 2px solid #1f77b4; }
        h3 { font-size: 1rem; margin: 0.6em 0 0.3em; }
        table { border-collapse: collapse; width: 100%; margin: 0.4em 0 1em; font-variant-numeric: tabular-nums; }
        caption { text-align: left; font-weight: 600; padding: 4px 0; color: #444; }
        th, td { border: 1px solid #c8c8c8; padding: 4px 8px; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
        thead th { background: #e8eef5; overflow-wrap: normal; white-space: nowrap; }
        tbody th { font-weight: 500; }
        tbody tr:nth-child(even) { background: #f6f8fa; }
        .num { text-align: right; }
        .none { color: #555; font-style: italic; }
        .verdict { font-size: 1.1rem; font-weight: 600; }
        .facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 8px; margin: 0; }
        .facts div { border: 1px solid #c8c8c8; border-radius: 4px; padding: 6px 10px; background: #f6f8fa; }
        .facts dt { font-size: 0.85rem; color: #444; }
        .facts dd { margin: 0; font-size: 1.15rem; font-weight: 600; }
        figure.chart { margin: 0 0 12px; }
        figcaption { font-weight: 600; color: #444; }
        svg { width: 100%; height: auto; display: block; }
        svg text { font-size: 11px; fill: #333; }
        svg .axis { fill: none; stroke: #666; stroke-width: 1; }
        .legend { list-style: none; padding: 0; margin: 0 0 12px; display: flex; flex-wrap: wrap; gap: 4px 16px; font-size: 0.85rem; }
        .swatch { display: inline-block; width: 12px; height: 12px; margin-right: 6px; vertical-align: -1px; border-radius: 2px; }

        """
}
