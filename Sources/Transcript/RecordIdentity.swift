import JSONKit

/// What the aligner and the renderers know about one record.
struct Identity: Sendable {
    /// Alignment key (never the tape `line`). Equal keys are the same record; keys may repeat.
    var key: String
    /// The key is made of content rather than ids (http url, notice detail, a send frame
    /// without ids…): such records may be paired as "changed" when their keys differ.
    var pairable: Bool
    /// Records of the same class can be paired by the fallback LCS.
    var pairClass: String
    /// `frame 41`, `WebcastGiftMessage 7291…03`, `notice unknown_method`…
    var label: String
    /// The method for wire messages, else the `type` / `event`: ignore rules and summaries.
    var category: String
    /// The record's `type` / `event`.
    var recordType: String
}

enum RecordIdentity {
    /// `7441631390420778950` → `7441…50`.
    static func shortID(_ id: String) -> String {
        guard id.count > 8 else { return id }
        return "\(id.prefix(4))…\(id.suffix(2))"
    }

    /// A JSON value as plain text for keys and labels: strings unquoted, others canonical.
    static func text(_ value: JSONValue?) -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let s)?: return s
        case .int(let n)?: return String(n)
        case let v?: return CanonicalJSON.string(v)
        }
    }

    /// `https://host/path?query` → `host/path`, at most 60 characters.
    static func shortURL(_ url: String) -> String {
        var s = Substring(url)
        if let colon = s.firstIndex(of: ":"), s[colon...].hasPrefix("://") { s = s[s.index(colon, offsetBy: 3)...] }
        if let query = s.firstIndex(where: { $0 == "?" || $0 == "#" }) { s = s[..<query] }
        return s.count > 60 ? "\(s.prefix(59))…" : String(s)
    }

    static func wire(_ record: JSONValue, group: Identity?) -> Identity {
        let type = record["type"]?.stringValue ?? "?"
        let fields = record["fields"]
        switch type {
        case "frame":
            let dir = text(record["dir"]) ?? "?"
            let seq = text(fields?["seq_id"])
            let log = text(fields?["log_id"])
            let payloadType = text(fields?["payload_type"])
            let opcode = record["opcode"] != nil
            var label: String
            if let seq {
                label = dir == "recv" ? "frame \(seq)" : "frame \(dir) \(seq)"
            } else if let payloadType {
                label = "frame \(dir) \(payloadType)"
            } else {
                label = opcode ? "frame \(dir) text" : "frame \(dir)"
            }
            if seq == nil, let log, payloadType == "ack" || payloadType == nil { label += " \(shortID(log))" }
            let hasIDs = seq != nil || log != nil
            let key = hasIDs
                ? "f|\(dir)|\(seq ?? "")|\(log ?? "")"
                : "f|\(dir)|\(payloadType ?? (opcode ? "text" : ""))"
            return Identity(key: key, pairable: !hasIDs, pairClass: "frame|\(dir)|\(payloadType ?? "")",
                            label: label, category: "frame", recordType: type)
        case "fetch_result":
            let key: String
            if let group {
                key = "r|\(group.key)"
            } else {
                key = "r|cursor|\(text(fields?["cursor"]) ?? "")"
            }
            // Always pairable: when its frame changed identity (or was dropped), the fetch result
            // is paired with the one of the same cursor in the gap and reported only if its
            // content differs.
            return Identity(key: key, pairable: true, pairClass: "fetch_result|\(text(fields?["cursor"]) ?? "")",
                            label: "fetch_result", category: type, recordType: type)
        case "message":
            let method = text(record["method"]) ?? "?"
            if let id = text(record["msg_id"]) {
                return Identity(key: "m|\(method)|\(id)", pairable: false, pairClass: "message|\(method)",
                                label: "\(method) \(shortID(id))", category: method, recordType: type)
            }
            let index = text(record["index"]) ?? "?"
            return Identity(key: "m|\(method)|#\(index)", pairable: true, pairClass: "message|\(method)",
                            label: "\(method) #\(index)", category: method, recordType: type)
        case "http":
            let method = text(record["method"]) ?? "?"
            let url = text(record["url"]) ?? ""
            return Identity(key: "h|\(method)|\(url)", pairable: true, pairClass: "http",
                            label: "http \(method) \(shortURL(url))", category: type, recordType: type)
        case "ws_open":
            let url = text(record["url"]) ?? ""
            return Identity(key: "o|\(url)", pairable: true, pairClass: "ws_open",
                            label: "ws_open \(shortURL(url))", category: type, recordType: type)
        case "ws_close", "gap":
            let conn = text(record["conn"]) ?? ""
            return Identity(key: "\(type)|\(conn)", pairable: true, pairClass: type,
                            label: conn.isEmpty ? type : "\(type) conn \(conn)", category: type, recordType: type)
        case "decode_error":
            return decodeError(record, type: type)
        case "notice":
            let kind = text(record["kind"]) ?? "?"
            return Identity(key: "n|\(kind)|\(text(record["detail"]) ?? "")", pairable: true, pairClass: "notice|\(kind)",
                            label: "notice \(kind)", category: type, recordType: type)
        default:
            return Identity(key: "?|\(type)", pairable: true, pairClass: type, label: type, category: type, recordType: type)
        }
    }

    static func decodeError(_ record: JSONValue, type: String) -> Identity {
        let stage = text(record["stage"]) ?? "?"
        let seq = text(record["seq_id"])
        let method = text(record["method"])
        let index = text(record["index"])
        var label = "decode_error \(stage)"
        if let method { label += " \(method)" }
        if let index { label += " #\(index)" }
        if let seq, stage != "message" { label += " (frame \(seq))" }
        return Identity(key: "e|\(stage)|\(seq ?? "")|\(method ?? "")|\(index ?? "")", pairable: seq == nil,
                        pairClass: "decode_error|\(stage)", label: label, category: type, recordType: type)
    }

    static func events(_ record: JSONValue) -> Identity {
        let event = record["event"]?.stringValue ?? "?"
        switch event {
        case "connect":
            let url = text(record["url"]) ?? ""
            return Identity(key: "connect|\(url)", pairable: true, pairClass: event, label: "connect", category: event, recordType: event)
        case "handshake_rejected", "disconnect":
            let conn = text(record["conn"]) ?? ""
            return Identity(key: "\(event)|\(conn)", pairable: true, pairClass: event,
                            label: event, category: event, recordType: event)
        case "decode_error":
            return decodeError(record, type: event)
        default:
            if let id = text(record["msg_id"]) {
                return Identity(key: "\(event)|\(id)", pairable: false, pairClass: event,
                                label: "\(event) \(shortID(id))", category: event, recordType: event)
            }
            return Identity(key: "\(event)|", pairable: true, pairClass: event, label: event, category: event, recordType: event)
        }
    }
}
