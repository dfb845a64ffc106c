import Foundation
import JSONKit

/// What changed between two captures, at the level of the protocol: handshake, signing
/// endpoints, compression, methods, fields, their wire and value types and the distribution of
/// their values — ranked so that the likely cause of a breakage comes first. Built from two
/// `CaptureInspector.report`s. Differences that sampling explains (something rare in one capture
/// and absent from a smaller other one) are left out; see `Sampling`.
public struct CaptureComparison {
    /// The kinds of change, each with its rank (higher: more likely to break a client).
    public enum Kind: String, Sendable, CaseIterable {
        case handshake = "handshake"
        case compressTypeUnreadable = "compress_type appeared, payloads unreadable"
        case decodeErrorsAppeared = "decode errors appeared"
        case signingStatus = "signing status"
        case compressTypeAppeared = "compress_type appeared"
        case pushServer = "push_server"
        case signingBodySize = "signing body size"
        case methodRenamed = "method renamed"
        case fieldWireTypeChanged = "field wire type changed"
        case framesStopped = "frames stopped"
        case methodVanished = "method vanished"
        case unknownFieldWireTypeChanged = "unknown field wire type changed"
        case stringBecameBytes = "string field became bytes"
        case fieldTypeChanged = "field type changed"
        case needAckWithoutInternalExt = "need_ack without internal_ext"
        case unknownMethodAppeared = "unknown method appeared"
        case unknownFieldAppeared = "unknown field appeared"
        case emptyFieldSet = "always-empty field set"
        case valueRangeChanged = "value range changed"
        case fieldVanished = "field vanished"
        case enumValuesAppeared = "new enum values"
        case handshakeParameterVanished = "handshake parameter vanished"
        case handshakeParameterAppeared = "handshake parameter appeared"
        case fieldAppeared = "field appeared"
        case unknownFieldVanished = "unknown field vanished"
        case knownCompressTypeAppeared = "known compress_type appeared"

        public var rank: Int {
            switch self {
            case .handshake: 100
            case .compressTypeUnreadable: 97
            case .decodeErrorsAppeared: 95
            case .signingStatus: 90
            case .compressTypeAppeared: 88
            case .pushServer: 85
            case .signingBodySize: 80
            case .methodRenamed: 75
            case .fieldWireTypeChanged: 74
            case .framesStopped: 72
            case .methodVanished: 70
            case .unknownFieldWireTypeChanged: 65
            case .stringBecameBytes: 62
            case .fieldTypeChanged, .needAckWithoutInternalExt: 60
            case .unknownMethodAppeared: 55
            case .unknownFieldAppeared: 50
            case .emptyFieldSet: 45
            case .valueRangeChanged: 42
            case .fieldVanished: 40
            case .enumValuesAppeared, .handshakeParameterVanished: 35
            case .handshakeParameterAppeared, .fieldAppeared: 30
            case .unknownFieldVanished: 25
            case .knownCompressTypeAppeared: 20
            }
        }
    }

    /// One change.
    public struct Change: Sendable, Equatable {
        public var kind: Kind
        public var subject: String
        public var old: String
        public var new: String

        public var rank: Int { kind.rank }

        public var json: JSONValue {
            ["rank": .int(Int64(rank)), "kind": .string(kind.rawValue), "subject": .string(subject), "old": .string(old), "new": .string(new)]
        }

        public var line: String { "\(kind.rawValue): \(subject): \(old) → \(new)" }
    }

    /// The changes, most likely cause of a breakage first.
    public private(set) var changes: [Change] = []

    public init(old: JSONValue, new: JSONValue) {
        let a = InspectionReport(old), b = InspectionReport(new)
        compareHandshakes(a, b)
        compareSigning(a, b)
        compareFrames(a, b)
        let renamed = compareMethods(a, b)
        let retyped = compareUnknownFields(a, b, skipping: renamed)
        compareFields(a, b, skipping: retyped)
        changes = changes.enumerated().sorted { ($0.element.rank, -$0.offset) > ($1.element.rank, -$1.offset) }.map(\.element)
    }

    mutating func add(_ kind: Kind, _ subject: String, _ old: String, _ new: String) {
        changes.append(Change(kind: kind, subject: subject, old: old, new: new))
    }

    /// Handshakes: a refusal where there was an upgrade breaks everything.
    private mutating func compareHandshakes(_ a: InspectionReport, _ b: InspectionReport) {
        let old = a.handshake, new = b.handshake
        if text(old?["status"]) != text(new?["status"]) || text(old?["handshake_status"]) != text(new?["handshake_status"]) {
            add(.handshake, "status", "\(text(old?["status"])) \(text(old?["handshake_status"]))",
                "\(text(new?["status"])) \(text(new?["handshake_status"])) \(text(new?["handshake_msg"]))")
        }
        let oldKeys = Set(old?["query_keys"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        let newKeys = Set(new?["query_keys"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        for key in oldKeys.subtracting(newKeys).sorted() { add(.handshakeParameterVanished, key, "present", "(absent)") }
        for key in newKeys.subtracting(oldKeys).sorted() { add(.handshakeParameterAppeared, key, "(absent)", "present") }
    }

    /// Signing: endpoints, statuses, the fetch body and its push_server.
    private mutating func compareSigning(_ a: InspectionReport, _ b: InspectionReport) {
        for path in Set(a.signing.keys).union(b.signing.keys).sorted() {
            let old = a.signing[path], new = b.signing[path]
            if text(old?["status"]) != text(new?["status"]) { add(.signingStatus, path, text(old?["status"]), text(new?["status"])) }
            if Self.host(text(old?["push_server"])) != Self.host(text(new?["push_server"])) {
                add(.pushServer, path, text(old?["push_server"]), text(new?["push_server"]))
            }
            if let x = old?["body_bytes"]?.intValue, let y = new?["body_bytes"]?.intValue, x > 0, y * 4 < x || x * 4 < y {
                add(.signingBodySize, path, "\(x) bytes", "\(y) bytes")
            }
        }
    }

    /// Frames: compression, decode errors, acks.
    private mutating func compareFrames(_ a: InspectionReport, _ b: InspectionReport) {
        for (value, count) in b.compressTypes.sorted(by: { $0.key < $1.key }) where a.compressTypes[value] == nil {
            if ["gzip", "none"].contains(value) {
                add(.knownCompressTypeAppeared, value, "(absent)", "\(count) frames")
            } else if let unreadable = b.undecodableFrames[value] {
                add(.compressTypeUnreadable, value, "(absent)", "\(count) frames, \(unreadable) unreadable")
            } else {
                add(.compressTypeAppeared, value, "(absent)", "\(count) frames")
            }
        }
        for error in b.decodeErrors where a.decodeErrors.allSatisfy({ text($0["method"]) != text(error["method"]) }) {
            add(.decodeErrorsAppeared, text(error["method"]), "0", "\(text(error["count"])) (\(text(error["example"])))")
        }
        if a.framesReceived > 0 && b.framesReceived == 0 {
            add(.framesStopped, "received frames", String(a.framesReceived), "0")
        }
        if a.needAckWithoutInternalExt == 0 && b.needAckWithoutInternalExt > 0 {
            add(.needAckWithoutInternalExt, "frames", "0", String(b.needAckWithoutInternalExt))
        }
    }

    /// Methods that vanished, were renamed (one vanished while an unknown one appeared at a
    /// similar rate) or appeared without a schema. Returns the renamed methods, old names.
    private mutating func compareMethods(_ a: InspectionReport, _ b: InspectionReport) -> Set<String> {
        let vanished = a.methods.filter { method, count in
            b.methods[method] == nil && Sampling.isSignificant(seen: count, in: a.messages, absentFrom: b.messages)
        }
        var appeared = b.unknownMethods.subtracting(a.unknownMethods).subtracting(a.methods.keys)
        var renamed: Set<String> = []
        for (method, count) in vanished.sorted(by: { ($0.value, $1.key) > ($1.value, $0.key) }) {
            let oldRate = Double(count) / Double(a.messages)
            let candidates = appeared.map { name -> (String, Double) in
                let newRate = Double(b.methods[name] ?? 0) / Double(max(b.messages, 1))
                return (name, abs(log2(newRate / oldRate)))
            }.filter { $0.1 <= 1 }
            if let (name, _) = candidates.min(by: { ($0.1, $0.0) < ($1.1, $1.0) }) {
                appeared.remove(name)
                renamed.insert(method)
                add(.methodRenamed, method, "\(method) ×\(count)", "\(name) ×\(b.methods[name] ?? 0)")
            } else {
                add(.methodVanished, method, String(count), "0")
            }
        }
        for method in appeared.sorted() {
            add(.unknownMethodAppeared, method, "(absent)", String(b.methods[method] ?? 0))
        }
        return renamed
    }

    /// Unknown fields (numbers the schema lacks, or declared fields arriving with another wire
    /// type) that appeared, vanished or changed wire type. Returns the declared field paths whose
    /// wire type changed.
    private mutating func compareUnknownFields(_ a: InspectionReport, _ b: InspectionReport, skipping renamed: Set<String>) -> Set<String> {
        var retyped: Set<String> = []
        for (path, field) in b.unknownFields.sorted(by: { $0.key < $1.key }) {
            let before = a.unknownFields[path]
            if let schema = field["schema"]?.stringValue, text(before?["wire_type"]) != text(field["wire_type"]) {
                retyped.insert(path)
                let was = a.fields[path].map { "\(schema), \(Self.describeKinds($0))" } ?? schema
                add(.fieldWireTypeChanged, path, was, "wire type \(text(field["wire_type"])) ×\(text(field["count"])), e.g. \(text(field["example"]))")
            } else if let before {
                if text(before["wire_type"]) != text(field["wire_type"]) {
                    add(.unknownFieldWireTypeChanged, path, text(before["wire_type"]), text(field["wire_type"]))
                }
            } else {
                add(.unknownFieldAppeared, path, "(absent)", "wire type \(text(field["wire_type"])) ×\(text(field["count"])), e.g. \(text(field["example"]))")
            }
        }
        for path in a.unknownFields.keys.sorted() where b.unknownFields[path] == nil && !renamed.contains(InspectionReport.method(of: path)) {
            add(.unknownFieldVanished, path, "present", "(absent)")
        }
        return retyped
    }

    /// `kinds` of a field as text, e.g. `string ×12, bytes ×3`.
    static func describeKinds(_ field: FieldStatistics) -> String {
        field.kinds.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
    }

    private static func host(_ url: String) -> String {
        let rest = url.range(of: "://").map { String(url[$0.upperBound...]) } ?? url
        return String(rest.prefix { $0 != "/" })
    }
}

/// A report value as a change's text; absent values are `(none)`.
private func text(_ value: JSONValue?) -> String { InspectionReport.text(value) }
