import JSONKit

extension CaptureInspector {
    /// `report` as one screen of text.
    public static func text(_ report: JSONValue) -> String {
        var out: [String] = []
        func value(_ v: JSONValue?) -> String {
            switch v?.resolved {
            case .string(let s)?: s
            case .int(let n)?: String(n)
            case .double(let d)?: String(d)
            case .bool(let b)?: String(b)
            case nil, .null?: "-"
            case let other?: CanonicalJSON.string(other)
            }
        }
        func counts(_ v: JSONValue?) -> String {
            guard case .object(let pairs)? = v?.resolved, !pairs.isEmpty else { return "-" }
            return pairs.map { "\($0.0) \(value($0.1))" }.joined(separator: ", ")
        }
        out.append("signing")
        for e in report["signing"]?.arrayValue ?? [] {
            var line = "  \(value(e["method"])) \(value(e["path"])) → \(value(e["status"]))"
            if let bytes = e["body_bytes"] { line += ", \(value(bytes)) bytes" }
            if let server = e["push_server"] { line += ", push_server \(value(server))" }
            if let cookies = e["cookies_set"]?.arrayValue { line += ", cookies " + cookies.map { value($0) }.joined(separator: " ") }
            if let label = e["rate_limited"] { line += ", rate limited (\(value(label)))" }
            if let error = e["error"] { line += ", failed: \(value(error))" }
            out.append(line)
        }
        out.append("handshakes")
        for h in report["handshakes"]?.arrayValue ?? [] {
            var line = "  \(value(h["url"])) → \(value(h["status"]))"
            for key in ["handshake_status", "handshake_msg", "handshake_options", "subprotocol", "error"] where h[key] != nil {
                line += ", \(key.replacingOccurrences(of: "_", with: "-")) \(value(h[key]))"
            }
            out.append(line)
            out.append("    query: " + (h["query_keys"]?.arrayValue?.map { value($0) }.joined(separator: " ") ?? ""))
        }
        let f = report["frames"]
        out.append("frames: \(value(f?["received"])) received, \(value(f?["sent"])) sent")
        out.append("  compress_type: \(counts(f?["compress_type"]))")
        out.append("  payload_type:  \(counts(f?["payload_type"]))")
        out.append("  methods:       \(counts(f?["methods"]))")
        for e in f?["decode_errors"]?.arrayValue ?? [] {
            out.append("  decode errors  \(value(e["method"])) ×\(value(e["count"])), first at tape line \(value(e["line"])): \(value(e["example"]))")
        }
        if let unknown = f?["unknown_methods"]?.arrayValue, !unknown.isEmpty {
            out.append("  unknown methods: " + unknown.map { value($0) }.joined(separator: ", "))
        }
        for u in f?["unknown_fields"]?.arrayValue ?? [] {
            out.append("  unknown field  \(value(u["path"])) (wire type \(value(u["wire_type"])), ×\(value(u["count"]))), e.g. \(value(u["example"]))")
        }
        for n in f?["notices"]?.arrayValue ?? [] {
            out.append("  notice         \(value(n["kind"])) ×\(value(n["count"])): \(value(n["example"]))")
        }
        let c = report["client"]
        out.append("client: im_enter_room \(value(c?["im_enter_room"])), heartbeats \(value(c?["heartbeats"])) every \(value(c?["heartbeat_interval_ms"])) ms, "
                   + "acks \(value(c?["acks"])) for \(value(c?["frames_with_need_ack"])) frames with need_ack, "
                   + "need_ack without internal_ext \(value(c?["need_ack_without_internal_ext"]))")
        let t = report["timing"]
        out.append("timing: \(value(t?["session_seconds"])) s, \(value(t?["frames_per_second"])) frames/s received, \(value(t?["gaps"])) gaps (\(value(t?["gap_bytes"])) bytes)")
        return out.joined(separator: "\n") + "\n"
    }
}
