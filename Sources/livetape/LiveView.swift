import JSONKit

/// The readable live view of a transcript: one line per event, like a client's console.
enum LiveView {
    static func line(_ record: JSONValue) -> String? {
        let time = clock(record["t_us"]?.intValue ?? 0)
        if let event = record["event"]?.stringValue {
            return eventLine(event, record).map { "\(time)  \($0)" }
        }
        if let type = record["type"]?.stringValue {
            return wireLine(type, record).map { "\(time)  \($0)" }
        }
        return nil
    }

    private static func clock(_ micros: Int64) -> String {
        let seconds = micros / 1_000_000
        let millis = (micros / 1_000) % 1_000
        return "\(pad(seconds / 60)):\(pad(seconds % 60)).\(pad(millis, width: 3))"
    }

    private static func pad(_ n: Int64, width: Int = 2) -> String {
        let text = String(n)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }

    private static func who(_ user: JSONValue?) -> String {
        let handle = user?["display_id"]?.stringValue ?? ""
        let nickname = user?["nickname"]?.stringValue ?? ""
        if handle.isEmpty { return nickname.isEmpty ? "someone" : nickname }
        return nickname.isEmpty || nickname == handle ? "@\(handle)" : "@\(handle) (\(nickname))"
    }

    private static func text(_ value: JSONValue?) -> String {
        switch value {
        case .string(let s)?: return s
        case .int(let n)?: return String(n)
        case .bool(let b)?: return String(b)
        default: return "?"
        }
    }

    private static func eventLine(_ event: String, _ r: JSONValue) -> String? {
        switch event {
        case "connect": return "connected  \(text(r["url"]))"
        case "handshake_rejected":
            return "handshake rejected: HTTP \(text(r["http_status"])) Handshake-Status \(text(r["status"])) \(text(r["message"]))"
        case "disconnect": return "disconnected (code \(text(r["code"])), by \(text(r["by"])))"
        case "comment": return "💬 \(who(r["user"])): \(text(r["text"]))"
        case "emote_chat": return "😀 \(who(r["user"])) sent an emote"
        case "gift":
            let gift = r["gift"]
            var line = "🎁 \(who(r["user"])) sent \(text(gift?["name"])) ×\(text(r["repeat_count"]))"
            if let streak = r["streak"]?.stringValue { line += streak == "end" ? " (streak ended)" : " (streak…)" }
            return line
        case "like": return "❤️ \(who(r["user"])) liked ×\(text(r["count"])) (total \(text(r["total"])))"
        case "join": return "👋 \(who(r["user"])) joined"
        case "follow": return "➕ \(who(r["user"])) followed"
        case "share": return "↗️ \(who(r["user"])) shared the stream"
        case "subscribe": return "⭐ \(who(r["user"])) subscribed"
        case "viewer_count": return "👥 viewers \(text(r["viewers"]))"
        case "question": return "❓ \(who(r["user"])) asked: \(text(r["text"]))"
        case "live_end": return "■ stream ended"
        case "live_pause": return "⏸ stream paused"
        case "live_unpause": return "▶ stream resumed"
        case "decode_error": return "⚠ decode error (\(text(r["stage"]))\(r["method"].map { " " + text($0) } ?? "")): \(text(r["error"]))"
        case "unknown": return "? unknown message \(text(r["method"]))"
        default: return "· \(event.replacingOccurrences(of: "_", with: " "))"
        }
    }

    private static func wireLine(_ type: String, _ r: JSONValue) -> String? {
        switch type {
        case "frame":
            let fields = r["fields"]
            return "frame \(text(r["dir"])) \(text(fields?["payload_type"])) seq \(text(fields?["seq_id"])) (\(text(r["size"])) bytes)"
        case "message": return "  \(text(r["method"])) \(text(r["msg_id"]))"
        case "decode_error": return "⚠ \(text(r["stage"])): \(text(r["error"]))"
        case "notice": return "! \(text(r["kind"])): \(text(r["detail"]))"
        case "http": return "http \(text(r["method"])) \(text(r["url"])) → \(text(r["status"]))"
        case "ws_open": return "ws open \(text(r["url"])) → \(text(r["status"]))"
        case "ws_close": return "ws close \(text(r["code"])) by \(text(r["by"]))"
        default: return type
        }
    }
}
