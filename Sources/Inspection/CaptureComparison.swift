import JSONKit

/// What changed between two captures, at the level of the protocol: methods, fields and their
/// wire or value types, compression, handshake, signing endpoints — ranked so that the likely
/// cause of a breakage comes first. Built from two `CaptureInspector.report`s.
public struct CaptureComparison {
    /// One change, with its rank (higher: more likely to break a client).
    public struct Change: Sendable {
        public var rank: Int
        public var kind: String
        public var subject: String
        public var old: String
        public var new: String

        public var json: JSONValue {
            ["rank": .int(Int64(rank)), "kind": .string(kind), "subject": .string(subject), "old": .string(old), "new": .string(new)]
        }

        public var line: String { "\(kind): \(subject): \(old) → \(new)" }
    }

    /// The changes, most likely cause of a breakage first.
    public private(set) var changes: [Change] = []

    public init(old: JSONValue, new: JSONValue) {
        func text(_ v: JSONValue?) -> String {
            switch v?.resolved {
            case nil, .null?: "(none)"
            case .string(let s)?: s
            case let other?: CanonicalJSON.string(other)
            }
        }
        func add(_ rank: Int, _ kind: String, _ subject: String, _ old: String, _ new: String) {
            changes.append(Change(rank: rank, kind: kind, subject: subject, old: old, new: new))
        }
        func table(_ v: JSONValue?) -> [(String, JSONValue)] {
            if case .object(let pairs)? = v?.resolved { return pairs }
            return []
        }

        // Handshakes: a refusal where there was an upgrade breaks everything.
        let oldShake = old["handshakes"]?.arrayValue?.first, newShake = new["handshakes"]?.arrayValue?.first
        if text(oldShake?["status"]) != text(newShake?["status"]) || text(oldShake?["handshake_status"]) != text(newShake?["handshake_status"]) {
            add(100, "handshake", "status", "\(text(oldShake?["status"])) \(text(oldShake?["handshake_status"]))",
                "\(text(newShake?["status"])) \(text(newShake?["handshake_status"])) \(text(newShake?["handshake_msg"]))")
        }
        let oldKeys = Set(oldShake?["query_keys"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        let newKeys = Set(newShake?["query_keys"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        for key in oldKeys.subtracting(newKeys).sorted() { add(35, "handshake parameter vanished", key, "present", "(absent)") }
        for key in newKeys.subtracting(oldKeys).sorted() { add(30, "handshake parameter appeared", key, "(absent)", "present") }

        // Signing: endpoints, statuses, the fetch body and its push_server.
        let oldSigning = Dictionary((old["signing"]?.arrayValue ?? []).map { (text($0["path"]), $0) }, uniquingKeysWith: { a, _ in a })
        let newSigning = Dictionary((new["signing"]?.arrayValue ?? []).map { (text($0["path"]), $0) }, uniquingKeysWith: { a, _ in a })
        for path in Set(oldSigning.keys).union(newSigning.keys).sorted() {
            let a = oldSigning[path], b = newSigning[path]
            if text(a?["status"]) != text(b?["status"]) { add(90, "signing status", path, text(a?["status"]), text(b?["status"])) }
            if Self.host(text(a?["push_server"])) != Self.host(text(b?["push_server"])) {
                add(85, "push_server", path, text(a?["push_server"]), text(b?["push_server"]))
            }
            if let x = a?["body_bytes"]?.intValue, let y = b?["body_bytes"]?.intValue, x > 0, y * 4 < x || x * 4 < y {
                add(80, "signing body size", path, "\(x) bytes", "\(y) bytes")
            }
        }

        // Frames.
        let oldFrames = old["frames"], newFrames = new["frames"]
        let oldCompress = Set(table(oldFrames?["compress_type"]).map(\.0)), newCompress = Set(table(newFrames?["compress_type"]).map(\.0))
        for value in newCompress.subtracting(oldCompress).sorted() { add(88, "compress_type appeared", value, "(absent)", "present") }
        let oldErrors = Dictionary((oldFrames?["decode_errors"]?.arrayValue ?? []).map { (text($0["method"]), $0) }, uniquingKeysWith: { a, _ in a })
        for error in newFrames?["decode_errors"]?.arrayValue ?? [] where oldErrors[text(error["method"])] == nil {
            add(95, "decode errors appeared", text(error["method"]), "0", "\(text(error["count"])) (\(text(error["example"])))")
        }
        let oldMethods = Dictionary(uniqueKeysWithValues: table(oldFrames?["methods"])), newMethods = Dictionary(uniqueKeysWithValues: table(newFrames?["methods"]))
        for (method, count) in oldMethods.sorted(by: { $0.key < $1.key }) where newMethods[method] == nil { add(70, "method vanished", method, text(count), "0") }
        let oldUnknownMethods = Set(oldFrames?["unknown_methods"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        for method in (newFrames?["unknown_methods"]?.arrayValue?.compactMap(\.stringValue) ?? []) where !oldUnknownMethods.contains(method) {
            add(55, "unknown method appeared", method, "(absent)", text(newMethods[method]))
        }
        let oldUnknown = Dictionary((oldFrames?["unknown_fields"]?.arrayValue ?? []).map { (text($0["path"]), $0) }, uniquingKeysWith: { a, _ in a })
        let newUnknown = Dictionary((newFrames?["unknown_fields"]?.arrayValue ?? []).map { (text($0["path"]), $0) }, uniquingKeysWith: { a, _ in a })
        for (path, field) in newUnknown.sorted(by: { $0.key < $1.key }) {
            if let before = oldUnknown[path] {
                if text(before["wire_type"]) != text(field["wire_type"]) {
                    add(65, "unknown field wire type changed", path, text(before["wire_type"]), text(field["wire_type"]))
                }
            } else {
                add(50, "unknown field appeared", path, "(absent)", "wire type \(text(field["wire_type"])), e.g. \(text(field["example"]))")
            }
        }
        for path in oldUnknown.keys.sorted() where newUnknown[path] == nil { add(25, "unknown field vanished", path, "present", "(absent)") }
        let emptyExt = (text(old["client"]?["need_ack_without_internal_ext"]), text(new["client"]?["need_ack_without_internal_ext"]))
        if emptyExt.0 == "0", emptyExt.1 != "0" { add(60, "need_ack without internal_ext", "frames", "0", emptyExt.1) }

        // Field shapes of the methods both captures carry.
        let oldShapes = Dictionary(uniqueKeysWithValues: table(old["field_shapes"])), newShapes = Dictionary(uniqueKeysWithValues: table(new["field_shapes"]))
        let shared = Set(oldMethods.keys).intersection(newMethods.keys)
        func method(_ path: String) -> String { String(path.prefix { $0 != "." }) }
        for (path, types) in newShapes.sorted(by: { $0.key < $1.key }) where shared.contains(method(path)) {
            if let before = oldShapes[path] {
                if text(before) != text(types) { add(60, "field type changed", path, text(before), text(types)) }
            } else {
                add(30, "field appeared", path, "(absent)", text(types))
            }
        }
        for path in oldShapes.keys.sorted() where shared.contains(method(path)) && newShapes[path] == nil {
            add(40, "field vanished", path, text(oldShapes[path]), "(absent)")
        }
        changes = changes.enumerated().sorted { ($0.element.rank, -$0.offset) > ($1.element.rank, -$1.offset) }.map(\.element)
    }

    private static func host(_ url: String) -> String {
        let rest = url.range(of: "://").map { String(url[$0.upperBound...]) } ?? url
        return String(rest.prefix { $0 != "/" })
    }
}
