import JSONKit

/// The parts of a `CaptureInspector.report` that comparisons and pages read, typed.
struct InspectionReport {
    let json: JSONValue
    /// The first WebSocket handshake.
    let handshake: JSONValue?
    /// Signing exchanges by path (the first of each).
    let signing: [String: JSONValue]
    let framesReceived: Int
    let compressTypes: [String: Int]
    let undecodableFrames: [String: Int]
    let decodeErrors: [JSONValue]
    /// Messages per method, and their sum.
    let methods: [String: Int]
    let messages: Int
    let unknownMethods: Set<String>
    /// Unknown fields by path.
    let unknownFields: [String: JSONValue]
    let fields: [String: FieldStatistics]
    let needAckWithoutInternalExt: Int

    init(_ json: JSONValue) {
        self.json = json
        let frames = json["frames"]
        handshake = json["handshakes"]?.arrayValue?.first
        signing = Dictionary((json["signing"]?.arrayValue ?? []).map { (Self.text($0["path"]), $0) }, uniquingKeysWith: { first, _ in first })
        framesReceived = Int(frames?["received"]?.intValue ?? 0)
        compressTypes = Self.counts(frames?["compress_type"])
        undecodableFrames = Self.counts(frames?["undecodable_by_compress_type"])
        decodeErrors = frames?["decode_errors"]?.arrayValue ?? []
        methods = Self.counts(frames?["methods"])
        messages = methods.values.reduce(0, +)
        unknownMethods = Set(frames?["unknown_methods"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        unknownFields = Dictionary((frames?["unknown_fields"]?.arrayValue ?? []).map { (Self.text($0["path"]), $0) }, uniquingKeysWith: { first, _ in first })
        fields = Dictionary(Self.pairs(json["fields"]).map { ($0.0, FieldStatistics(json: $0.1)) }, uniquingKeysWith: { first, _ in first })
        needAckWithoutInternalExt = Int(json["client"]?["need_ack_without_internal_ext"]?.intValue ?? 0)
    }

    /// A report value as text: strings as they are, absent values as `absent`, the rest as JSON.
    static func text(_ value: JSONValue?, absent: String = "(none)") -> String {
        switch value?.resolved {
        case nil, .null?: absent
        case .string(let s)?: s
        case let other?: CanonicalJSON.string(other)
        }
    }

    /// The method a field path starts with (`WebcastChatMessage` of `WebcastChatMessage.user.77`).
    static func method(of path: String) -> String { String(path.prefix { $0 != "." }) }

    /// The pairs of a JSON object, in order; none for anything else.
    static func pairs(_ value: JSONValue?) -> [(String, JSONValue)] {
        if case .object(let pairs)? = value?.resolved { return pairs }
        return []
    }

    private static func counts(_ value: JSONValue?) -> [String: Int] {
        Dictionary(pairs(value).map { ($0.0, Int($0.1.intValue ?? 0)) }, uniquingKeysWith: +)
    }
}
