import Foundation
import JSONKit
import Tape
import WebcastDecoder

/// A one-screen account of a capture, for diagnosing what a client ran into: the signing
/// exchanges, the handshakes, the frames and messages (with decode errors, unknown methods and
/// unknown fields), how the client behaved and the timing. Fed records in tape order.
public struct CaptureInspector {
    private var transcriber = TapeTranscriber(view: .wire)
    private var line = 1
    private var first: UInt64?
    private var last: UInt64 = 0

    private var signing: [JSONValue] = []
    /// Whether the record being transcribed is an HTTP exchange (its fetch result is the
    /// signing service's, not a pushed frame's).
    private var inExchange = false
    private var unknownMethods: Set<String> = []
    /// The values at every field path of the decoded messages.
    private var fields = FieldCensus()
    private var timeline = Timeline()
    private var handshakes: [JSONValue] = []
    private var compressTypes: [String: Int] = [:]
    /// Received frames whose payload could not be inflated or read as a fetch result, per
    /// compress_type.
    private var undecodableFrames: [String: Int] = [:]
    /// The compress_type of the received frame being transcribed, until one of its errors is counted.
    private var frameCompressType: String?
    private var payloadTypes: [String: Int] = [:]
    private var methods: [String: Int] = [:]
    private var decodeErrors: [String: (count: Int, example: String, line: Int)] = [:]
    private var unknownFields: [String: (wireType: Int64, schema: String?, count: Int, example: JSONValue)] = [:]
    private var notices: [String: (count: Int, example: String)] = [:]
    private var framesIn = 0, framesOut = 0
    private var heartbeats: [UInt64] = []
    private var acks = 0, needAck = 0, enterRooms = 0
    private var gaps = 0, gapBytes: UInt64 = 0

    public init() {}

    /// Adds the next record of the capture.
    public mutating func add(_ record: TapeRecord) {
        line += 1
        first = first ?? record.timeMicros
        last = max(last, record.timeMicros)
        timeline.reach(record.timeMicros)
        inExchange = false
        frameCompressType = nil
        switch record {
        case .http(let exchange):
            addExchange(exchange)
            inExchange = true
        case .wsOpen(let open): addHandshake(open)
        case .gap(let gap):
            gaps += 1
            gapBytes += gap.length
        default: break
        }
        for out in transcriber.records(for: record, line: line) { addTranscript(out) }
    }

    private mutating func addExchange(_ exchange: HTTPExchange) {
        var o = JSONObjectBuilder()
        o.set("method", .string(exchange.request.method))
        o.set("path", .string(Self.path(of: exchange.request.url)))
        o.set("status", exchange.response.map { .int(Int64($0.status)) } ?? .null)
        if let error = exchange.error { o.set("error", .string(error)) }
        if let response = exchange.response {
            o.set("body_bytes", .int(Int64(response.body.count)))
            let cookies = response.headers.filter { ["set-cookie", "x-set-tt-cookie"].contains($0.name.lowercased()) }
                .flatMap { $0.value.split(separator: ";").compactMap { pair -> String? in
                    let name = pair.split(separator: "=", maxSplits: 1).first?.trimmingCharacters(in: .whitespaces) ?? ""
                    return name.isEmpty || ["path", "domain", "expires", "max-age", "secure", "httponly", "samesite"].contains(name.lowercased()) ? nil : name
                } }
            if !cookies.isEmpty { o.set("cookies_set", .array(cookies.map { .string($0) })) }
            if response.status == 429, let label = (try? JSONParser.parse(response.body.bytes))?["limit_label"]?.stringValue {
                o.set("rate_limited", .string(label))
            }
        }
        signing.append(o.value)
    }

    private mutating func addHandshake(_ open: WebSocketOpen) {
        var o = JSONObjectBuilder()
        o.set("url", .string(String(open.url.prefix { $0 != "?" })))
        o.set("status", open.response.map { .int(Int64($0.status)) } ?? .null)
        for name in ["Handshake-Status", "Handshake-Msg", "Handshake-Options"] {
            if let value = open.response?.headers.first(where: { $0.name.lowercased() == name.lowercased() })?.value {
                o.set(name.lowercased().replacingOccurrences(of: "-", with: "_"), .string(value))
            }
        }
        if let subprotocol = open.subprotocol { o.set("subprotocol", .string(subprotocol)) }
        if let error = open.error { o.set("error", .string(error)) }
        let query = open.url.split(separator: "?", maxSplits: 1).dropFirst().first.map { $0.split(separator: "&").map { String($0.prefix { $0 != "=" }) } } ?? []
        o.set("query_keys", .array(query.map { .string($0) }))
        handshakes.append(o.value)
    }

    private mutating func addTranscript(_ record: JSONValue) {
        switch record["type"]?.stringValue {
        case "frame":
            let type = record["fields"]?["payload_type"]?.stringValue ?? "(none)"
            if record["dir"]?.stringValue == "send" {
                framesOut += 1
                switch type {
                case "hb": heartbeats.append(UInt64(record["t_us"]?.intValue ?? 0))
                case "ack": acks += 1
                case "im_enter_room": enterRooms += 1
                default: break
                }
            } else {
                framesIn += 1
                payloadTypes[type, default: 0] += 1
                let compressType = record["fields"]?["headers"]?["compress_type"]?.stringValue ?? "(none)"
                compressTypes[compressType, default: 0] += 1
                frameCompressType = compressType
            }
        case "fetch_result":
            if !inExchange {
                if record["fields"]?["need_ack"] == .bool(true) { needAck += 1 }
            } else if let server = record["fields"]?["push_server"]?.stringValue, case .object(var pairs)? = signing.last {
                pairs.append(("push_server", .string(server)))
                signing[signing.count - 1] = .object(pairs)
            }
        case "message":
            let method = record["method"]?.stringValue ?? "?"
            methods[method, default: 0] += 1
            if let values = record["fields"]?.resolved {
                fields.add(values, method: method)
                if !inExchange { timeline.add(method: method, fields: values, at: UInt64(record["t_us"]?.intValue ?? 0)) }
            }
            for entry in record["unknown"]?.arrayValue ?? [] {
                guard let path = entry["path"]?.stringValue else { continue }
                let current = unknownFields[path]
                unknownFields[path] = (entry["wire_type"]?.intValue ?? -1, entry["schema"]?.stringValue,
                                       (current?.count ?? 0) + 1, current?.example ?? entry["value"] ?? .null)
            }
        case "decode_error":
            if let compressType = frameCompressType, ["inflate", "fetch_result"].contains(record["stage"]?.stringValue) {
                undecodableFrames[compressType, default: 0] += 1
                frameCompressType = nil
            }
            let key = record["method"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? record["stage"]?.stringValue ?? "?"
            let current = decodeErrors[key]
            decodeErrors[key] = ((current?.count ?? 0) + 1, current?.example ?? (record["error"]?.stringValue ?? ""),
                                 current?.line ?? Int(record["line"]?.intValue ?? 0))
        case "notice":
            let kind = record["kind"]?.stringValue ?? "?"
            if kind == "unknown_method", let detail = record["detail"]?.stringValue,
               let open = detail.firstIndex(of: "'"), let close = detail[detail.index(after: open)...].firstIndex(of: "'") {
                unknownMethods.insert(String(detail[detail.index(after: open)..<close]))
            }
            notices[kind] = ((notices[kind]?.count ?? 0) + 1, notices[kind]?.example ?? (record["detail"]?.stringValue ?? ""))
        default:
            break
        }
    }

    /// The account, as JSON (the `--format json` output).
    public var report: JSONValue {
        let seconds = Double(last - min(last, first ?? last)) / 1e6
        var timing = JSONObjectBuilder()
        timing.set("session_seconds", .double((seconds * 1000).rounded() / 1000))
        timing.set("frames_per_second", .double(seconds > 0 ? (Double(framesIn) / seconds * 10).rounded() / 10 : 0))
        timing.set("gaps", .int(Int64(gaps)))
        timing.set("gap_bytes", .int(Int64(gapBytes)))
        var client = JSONObjectBuilder()
        client.set("im_enter_room", .int(Int64(enterRooms)))
        client.set("heartbeats", .int(Int64(heartbeats.count)))
        let gaps = zip(heartbeats.dropFirst(), heartbeats).map { $0 - $1 }.sorted()
        client.set("heartbeat_interval_ms", gaps.isEmpty ? .null : .int(Int64(gaps[gaps.count / 2] / 1000)))
        client.set("acks", .int(Int64(acks)))
        client.set("frames_with_need_ack", .int(Int64(needAck)))
        client.set("need_ack_without_internal_ext", .int(Int64(notices["need_ack_without_internal_ext"]?.count ?? 0)))
        var frames = JSONObjectBuilder()
        frames.set("received", .int(Int64(framesIn)))
        frames.set("sent", .int(Int64(framesOut)))
        frames.set("compress_type", Self.counts(compressTypes))
        frames.set("undecodable_by_compress_type", Self.counts(undecodableFrames))
        frames.set("payload_type", Self.counts(payloadTypes))
        frames.set("methods", Self.counts(methods))
        frames.set("decode_errors", .array(decodeErrors.sorted { $0.value.count > $1.value.count || ($0.value.count == $1.value.count && $0.key < $1.key) }.map { key, value in
            ["method": .string(key), "count": .int(Int64(value.count)), "example": .string(value.example), "line": .int(Int64(value.line))]
        }))
        frames.set("unknown_methods", .array(unknownMethods.sorted().map { .string($0) }))
        frames.set("unknown_fields", .array(unknownFields.sorted { $0.key < $1.key }.map { path, value in
            var o = JSONObjectBuilder()
            o.set("path", .string(path))
            o.set("wire_type", .int(value.wireType))
            o.set("schema", value.schema.map(JSONValue.string))
            o.set("count", .int(Int64(value.count)))
            o.set("example", value.example)
            return o.value
        }))
        frames.set("notices", .array(notices.sorted { $0.key < $1.key }.map { kind, value in
            ["kind": .string(kind), "count": .int(Int64(value.count)), "example": .string(value.example)]
        }))
        var o = JSONObjectBuilder()
        o.set("signing", .array(signing))
        o.set("handshakes", .array(handshakes))
        o.set("frames", frames.value)
        o.set("client", client.value)
        o.set("timing", timing.value)
        o.set("fields", fields.json)
        if fields.droppedValues > 0 { o.set("field_values_dropped", .int(Int64(fields.droppedValues))) }
        o.set("timeline", timeline.json)
        return o.value
    }

    private static func counts(_ table: [String: Int]) -> JSONValue {
        .object(table.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }.map { ($0.key, .int(Int64($0.value))) })
    }

    private static func path(of url: String) -> String {
        let rest = url.range(of: "://").map { String(url[$0.upperBound...]) } ?? url
        let path = rest.drop { $0 != "/" }.prefix { $0 != "?" }
        return path.isEmpty ? "/" : String(path)
    }
}
