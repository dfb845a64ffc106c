import Foundation

/// A small description of one synthetic TikTok LIVE session, read from JSON
/// (`Fixtures/scenarios/*.json`, documented in `Fixtures/scenarios/README.md`).
///
/// The synthesizer turns a scenario into a tape: the signing-service fetch, the WebSocket
/// handshake, the client's `im_enter_room` / `hb` / `ack` frames and the server's push
/// frames. Every value that is not in the scenario is drawn from a SplitMix64 stream seeded
/// by `seed`, so one scenario always gives the same bytes.
///
/// JSON keys are snake_case. Only `name` and `seed` are required; every other key falls back
/// to the default documented on its property. 64-bit ids are JSON strings (`"room_id":
/// "7441…"`) so that tools with 53-bit numbers (jq, JavaScript) keep them intact.
public struct Scenario: Codable, Sendable, Equatable {
    /// A WebSocket handshake answered with HTTP 200 instead of 101 (PROTOCOL.md §1 item 5).
    public struct HandshakeRejection: Codable, Sendable, Equatable {
        /// Value of the `Handshake-Status` response header, e.g. 415 or 417.
        public var status: Int
        /// Value of the `Handshake-Msg` response header, e.g. `DEVICE_BLOCKED`.
        public var message: String

        public init(status: Int, message: String) {
            self.status = status
            self.message = message
        }
    }

    /// A real-world failure (PROTOCOL.md §6) planted in one server frame. Each listed defect
    /// is injected exactly once, in its own frame; the frames are spread evenly through the
    /// session. Message-level defects sit between valid messages of the same frame.
    public enum Defect: String, Codable, Sendable, CaseIterable {
        /// A `WebcastInRoomBannerMessage` whose payload carries tag byte `0x6E`: field 13 with
        /// the illegal wire type 6 ("illegal tag: field no 13 wire type 6").
        case illegalWireType = "illegal_wire_type"
        /// A `WebcastLikeMessage` whose `total` (field 3) is an 11-byte varint
        /// ("Too many bytes when decoding varint").
        case overlongVarint = "overlong_varint"
        /// A `WebcastChatMessage` whose `content` (field 3) declares more bytes than remain.
        case lengthPastEnd = "length_past_end"
        /// A `WebcastChatMessage` whose `content` is not valid UTF-8.
        case invalidUTF8 = "invalid_utf8"
        /// A frame whose gzip payload is cut short (about 60 % of its bytes are kept).
        case gzipTruncated = "gzip_truncated"
        /// A frame whose gzip payload has four bytes inverted in the middle of the deflate data.
        case gzipCorrupt = "gzip_corrupt"
        /// A frame whose payload is 80 MiB of zeros, gzip-compressed (about 80 KB on the wire).
        case gzipBomb = "gzip_bomb"
        /// A message with the method name `WebcastFancyNewMessage` and a valid payload.
        case unknownMethod = "unknown_method"
        /// A `WebcastChatMessage` whose `User` carries the undeclared field 77.
        case unknownField = "unknown_field"
        /// A frame with header `compress_type: br` whose payload is really gzip.
        case compressTypeBr = "compress_type_br"
        /// A fetch result with `need_ack = true` but an empty `internal_ext` (the client acks "-").
        case needAckEmptyInternalExt = "need_ack_empty_internal_ext"

        /// The `method` of the message that carries a message-level defect; nil for frame-level ones.
        public var carrierMethod: String? {
            switch self {
            case .illegalWireType: "WebcastInRoomBannerMessage"
            case .overlongVarint: "WebcastLikeMessage"
            case .lengthPastEnd, .invalidUTF8, .unknownField: "WebcastChatMessage"
            case .unknownMethod: Scenario.unknownMethodName
            case .gzipTruncated, .gzipCorrupt, .gzipBomb, .compressTypeBr, .needAckEmptyInternalExt: nil
            }
        }
    }

    /// A change of the protocol itself (PROTOCOL.md §6) applied to the whole session, where a
    /// defect is planted once. The changed-protocol fixture set (`ProtocolVariant`) is made of them.
    public enum ProtocolChange: String, Codable, Sendable, CaseIterable {
        /// Every viewer's `User` carries the undeclared field `newUserFieldNumber` (a nested message).
        case userField = "user_field"
        /// Chat messages arrive with the method (and `common.method`) `renamedChatMethod`.
        case renamedMethod = "renamed_method"
        /// Server frames say `compress_type: deflate` and carry raw deflate, which no client reads.
        case newCompressType = "new_compress_type"
        /// Every fetch result with `need_ack` has an empty `internal_ext` (the client acks "-").
        case needAckEmptyInternalExt = "need_ack_empty_internal_ext"
        /// The signing fetch answers a fallback stub: a fetch result without messages, route
        /// parameters or internal_ext (about a hundred bytes instead of kilobytes).
        case signingStub = "signing_stub"
        /// `WebcastLikeMessage.count` (field 2, an int32 varint) is sent length-delimited, as
        /// its decimal digits.
        case fieldWireType = "field_wire_type"
    }

    /// Field number added to every viewer's `User` by the `user_field` protocol change.
    public static let newUserFieldNumber = 1095
    /// The method chat messages carry under the `renamed_method` protocol change.
    public static let renamedChatMethod = "WebcastCommentMessage"
    /// The frame header `compress_type` of the `new_compress_type` protocol change.
    public static let newCompressType = "deflate"

    /// Method name used by the `unknown_method` defect.
    public static let unknownMethodName = "WebcastFancyNewMessage"
    /// Field number added to a `User` by the `unknown_field` defect.
    public static let unknownFieldNumber = 77
    /// Uncompressed size of the `gzip_bomb` payload: 80 MiB.
    public static let gzipBombSize = 80 << 20

    /// Short name; also the tape header's `source.detail`. Required.
    public var name: String
    /// Free text for humans. Default "".
    public var description: String
    /// Seed of every random choice. Required.
    public var seed: UInt64
    /// Capture start, RFC 3339 UTC (`2026-11-29T12:00:00Z`): the header's `created` and the
    /// base of every server timestamp. Default `2026-11-29T20:00:00Z`.
    public var created: String
    /// The live room. JSON: a string of digits. Default `7441523998651237126`.
    public var roomID: Int64
    /// The streamer's @handle (without `@`). Default `lofi.mika`.
    public var uniqueID: String
    /// Seconds from the handshake to the end of the stream. Default 300.
    public var durationSeconds: Int
    /// Number of `msg` frames from the server (the `im_enter_room_resp` frame is extra).
    /// Default 2000.
    public var serverFrames: Int
    /// Push-frame header `compress_type`: `gzip` (payload gzipped) or `none`. Default `gzip`.
    public var compressType: String
    /// Heartbeat interval in seconds; also the handshake's `Handshake-Options: ping-interval`.
    /// Default 10.
    public var heartbeatIntervalSeconds: Int
    /// Fraction (0...1) of `msg` frames whose fetch result has `need_ack`. Default 0.15.
    public var needAckRatio: Double
    /// Size of the viewer pool. Default 150 (at least 16 are used).
    public var users: Int
    /// When set, the handshake is rejected and no frames follow. Default none.
    public var handshakeRejection: HandshakeRejection?
    /// Defects to plant, each once. Default none.
    public var defects: [Defect]
    /// Changes of the protocol applied to the whole session. Default none.
    public var protocolChanges: [ProtocolChange]
    /// Whether the stream ends with `WebcastControlMessage` action 3 (then the client closes
    /// with 1000). When false the client simply closes with 1000. Default true.
    public var streamEnd: Bool
    /// Whether the first server frame is an `im_enter_room_resp`. Default true.
    public var enterRoomResponse: Bool
    /// `push_server` of the signing fetch result (the WebSocket URL without query).
    /// Default `wss://webcast16-ws-useast1a.tiktok.com/webcast/im/push/v2/`.
    public var pushServer: String

    public init(
        name: String,
        description: String = "",
        seed: UInt64,
        created: String = Scenario.defaultCreated,
        roomID: Int64 = Scenario.defaultRoomID,
        uniqueID: String = Scenario.defaultUniqueID,
        durationSeconds: Int = 300,
        serverFrames: Int = 2000,
        compressType: String = "gzip",
        heartbeatIntervalSeconds: Int = 10,
        needAckRatio: Double = 0.15,
        users: Int = 150,
        handshakeRejection: HandshakeRejection? = nil,
        defects: [Defect] = [],
        protocolChanges: [ProtocolChange] = [],
        streamEnd: Bool = true,
        enterRoomResponse: Bool = true,
        pushServer: String = Scenario.defaultPushServer
    ) {
        self.name = name
        self.description = description
        self.seed = seed
        self.created = created
        self.roomID = roomID
        self.uniqueID = uniqueID
        self.durationSeconds = durationSeconds
        self.serverFrames = serverFrames
        self.compressType = compressType
        self.heartbeatIntervalSeconds = heartbeatIntervalSeconds
        self.needAckRatio = needAckRatio
        self.users = users
        self.handshakeRejection = handshakeRejection
        self.defects = defects
        self.protocolChanges = protocolChanges
        self.streamEnd = streamEnd
        self.enterRoomResponse = enterRoomResponse
        self.pushServer = pushServer
    }

    public static let defaultCreated = "2026-11-29T20:00:00Z"
    public static let defaultRoomID: Int64 = 7_441_523_998_651_237_126
    public static let defaultUniqueID = "lofi.mika"
    public static let defaultPushServer = "wss://webcast16-ws-useast1a.tiktok.com/webcast/im/push/v2/"

    /// The default session (`Fixtures/scenarios/session-5min.json`): five minutes, 2,000
    /// gzip `msg` frames, every event type, heartbeats every 10 s, acks, stream end.
    /// `livetape decode` replays it when given no tape.
    public static let demo = Scenario(
        name: "session-5min",
        description: "A healthy five-minute LIVE session: 2,000 gzip msg frames with all 19 event types, heartbeats, acks and a stream end.",
        seed: 20_261_129
    )

    // MARK: Codable

    enum CodingKeys: String, CodingKey {
        case name, description, seed, created
        case roomID = "room_id"
        case uniqueID = "unique_id"
        case durationSeconds = "duration_s"
        case serverFrames = "server_frames"
        case compressType = "compress_type"
        case heartbeatIntervalSeconds = "heartbeat_interval_s"
        case needAckRatio = "need_ack_ratio"
        case users
        case handshakeRejection = "handshake_rejection"
        case defects
        case protocolChanges = "protocol_changes"
        case streamEnd = "stream_end"
        case enterRoomResponse = "im_enter_room_resp"
        case pushServer = "push_server"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let roomText = try c.decodeIfPresent(String.self, forKey: .roomID)
        var roomID = Scenario.defaultRoomID
        if let roomText {
            guard let value = Int64(roomText), value > 0 else {
                throw DecodingError.dataCorruptedError(
                    forKey: .roomID, in: c, debugDescription: "expected a positive 64-bit integer as a string of digits, found \"\(roomText)\"")
            }
            roomID = value
        }
        self.init(
            name: try c.decode(String.self, forKey: .name),
            description: try c.decodeIfPresent(String.self, forKey: .description) ?? "",
            seed: try c.decode(UInt64.self, forKey: .seed),
            created: try c.decodeIfPresent(String.self, forKey: .created) ?? Scenario.defaultCreated,
            roomID: roomID,
            uniqueID: try c.decodeIfPresent(String.self, forKey: .uniqueID) ?? Scenario.defaultUniqueID,
            durationSeconds: try c.decodeIfPresent(Int.self, forKey: .durationSeconds) ?? 300,
            serverFrames: try c.decodeIfPresent(Int.self, forKey: .serverFrames) ?? 2000,
            compressType: try c.decodeIfPresent(String.self, forKey: .compressType) ?? "gzip",
            heartbeatIntervalSeconds: try c.decodeIfPresent(Int.self, forKey: .heartbeatIntervalSeconds) ?? 10,
            needAckRatio: try c.decodeIfPresent(Double.self, forKey: .needAckRatio) ?? 0.15,
            users: try c.decodeIfPresent(Int.self, forKey: .users) ?? 150,
            handshakeRejection: try c.decodeIfPresent(HandshakeRejection.self, forKey: .handshakeRejection),
            defects: try c.decodeIfPresent([Defect].self, forKey: .defects) ?? [],
            protocolChanges: try c.decodeIfPresent([ProtocolChange].self, forKey: .protocolChanges) ?? [],
            streamEnd: try c.decodeIfPresent(Bool.self, forKey: .streamEnd) ?? true,
            enterRoomResponse: try c.decodeIfPresent(Bool.self, forKey: .enterRoomResponse) ?? true,
            pushServer: try c.decodeIfPresent(String.self, forKey: .pushServer) ?? Scenario.defaultPushServer)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(description, forKey: .description)
        try c.encode(seed, forKey: .seed)
        try c.encode(created, forKey: .created)
        try c.encode(String(roomID), forKey: .roomID)
        try c.encode(uniqueID, forKey: .uniqueID)
        try c.encode(durationSeconds, forKey: .durationSeconds)
        try c.encode(serverFrames, forKey: .serverFrames)
        try c.encode(compressType, forKey: .compressType)
        try c.encode(heartbeatIntervalSeconds, forKey: .heartbeatIntervalSeconds)
        try c.encode(needAckRatio, forKey: .needAckRatio)
        try c.encode(users, forKey: .users)
        try c.encodeIfPresent(handshakeRejection, forKey: .handshakeRejection)
        try c.encode(defects, forKey: .defects)
        try c.encode(protocolChanges, forKey: .protocolChanges)
        try c.encode(streamEnd, forKey: .streamEnd)
        try c.encode(enterRoomResponse, forKey: .enterRoomResponse)
        try c.encode(pushServer, forKey: .pushServer)
    }

    // MARK: Loading and validation

    /// Decodes and validates a scenario from JSON bytes. `source` names the input in errors.
    public static func decode(json: Data, source: String = "<scenario>") throws(ScenarioError) -> Scenario {
        let scenario: Scenario
        do {
            scenario = try JSONDecoder().decode(Scenario.self, from: json)
        } catch let error as DecodingError {
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty, let syntax = ScenarioError.syntaxError(in: json) {
                throw ScenarioError.invalidJSON(source: source, detail: syntax)
            }
            throw ScenarioError.invalidJSON(source: source, detail: ScenarioError.describe(error))
        } catch {
            throw ScenarioError.invalidJSON(source: source, detail: String(describing: error))
        }
        try scenario.validate(source: source)
        return scenario
    }

    /// Reads, decodes and validates the scenario file at `path`.
    public static func load(path: String) throws(ScenarioError) -> Scenario {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ScenarioError.unreadable(path: path, detail: "no such file")
        }
        if isDirectory.boolValue { throw ScenarioError.unreadable(path: path, detail: "is a directory") }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ScenarioError.unreadable(path: path, detail: (error as NSError).localizedDescription)
        }
        return try decode(json: data, source: path)
    }

    /// Checks the values the synthesizer relies on.
    public func validate(source: String = "<scenario>") throws(ScenarioError) {
        func fail(_ message: String) -> ScenarioError { .invalidValue(source: source, detail: message) }
        if name.isEmpty { throw fail("name: must not be empty") }
        if Self.epochSeconds(created) == nil { throw fail("created: expected RFC 3339 UTC like 2026-11-29T20:00:00Z, found \"\(created)\"") }
        if uniqueID.isEmpty { throw fail("unique_id: must not be empty") }
        if !(1...86_400).contains(durationSeconds) { throw fail("duration_s: must be 1...86400, found \(durationSeconds)") }
        if !(1...1_000_000).contains(serverFrames) { throw fail("server_frames: must be 1...1000000, found \(serverFrames)") }
        if compressType != "gzip" && compressType != "none" { throw fail("compress_type: must be \"gzip\" or \"none\", found \"\(compressType)\"") }
        if !(1...600).contains(heartbeatIntervalSeconds) { throw fail("heartbeat_interval_s: must be 1...600, found \(heartbeatIntervalSeconds)") }
        if !(0...1).contains(needAckRatio) { throw fail("need_ack_ratio: must be 0...1, found \(needAckRatio)") }
        if !(1...100_000).contains(users) { throw fail("users: must be 1...100000, found \(users)") }
        if Set(defects).count != defects.count { throw fail("defects: each defect may be listed once") }
        if Set(protocolChanges).count != protocolChanges.count { throw fail("protocol_changes: each change may be listed once") }
        if serverFrames < 2 * defects.count + 2 { throw fail("server_frames: \(serverFrames) is too few for \(defects.count) defects (need \(2 * defects.count + 2))") }
        if let rejection = handshakeRejection, !(100...999).contains(rejection.status) { throw fail("handshake_rejection.status: must be a 3-digit code, found \(rejection.status)") }
        if !(pushServer.hasPrefix("wss://") || pushServer.hasPrefix("ws://")) { throw fail("push_server: must start with wss:// or ws://") }
    }

    /// Seconds since 1970 for `YYYY-MM-DDTHH:MM:SSZ`, or nil.
    static func epochSeconds(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        guard b.count == 20, b[4] == 0x2D, b[7] == 0x2D, b[10] == 0x54, b[13] == 0x3A, b[16] == 0x3A, b[19] == 0x5A else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var v: Int64 = 0
            for i in range {
                guard b[i] >= 0x30 && b[i] <= 0x39 else { return nil }
                v = v * 10 + Int64(b[i] - 0x30)
            }
            return v
        }
        guard let y = number(0..<4), let m = number(5..<7), let d = number(8..<10),
              let hh = number(11..<13), let mm = number(14..<16), let ss = number(17..<19),
              (1...12).contains(m), (1...31).contains(d), hh < 24, mm < 60, ss < 61 else { return nil }
        // Days from civil (Howard Hinnant).
        let yy = m <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let mp = (m + 9) % 12
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return days * 86_400 + hh * 3600 + mm * 60 + ss
    }
}

/// Why a scenario could not be used. `description` is one line for stderr.
public enum ScenarioError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file could not be read.
    case unreadable(path: String, detail: String)
    /// The JSON is malformed or does not match the scenario shape (detail names the position or key).
    case invalidJSON(source: String, detail: String)
    /// The JSON is well-formed but a value is out of range.
    case invalidValue(source: String, detail: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let detail): "cannot read scenario \(path): \(detail)"
        case .invalidJSON(let source, let detail): "\(source): invalid scenario JSON: \(detail)"
        case .invalidValue(let source, let detail): "\(source): invalid scenario: \(detail)"
        }
    }

    /// Where the JSON syntax breaks, as `line L, column C: message` (JSONDecoder on Linux does
    /// not say; JSONSerialization gives a byte offset, turned into a line and column here).
    static func syntaxError(in json: Data) -> String? {
        do {
            _ = try JSONSerialization.jsonObject(with: json, options: [.fragmentsAllowed])
            return nil
        } catch {
            let message = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "malformed JSON"
            let bytes = [UInt8](json)
            var offset = bytes.count
            if let range = message.range(of: "character ") {
                let digits = message[range.upperBound...].prefix { $0.isNumber }
                if let value = Int(digits) { offset = min(value, bytes.count) }
            }
            var line = 1
            var column = 1
            for byte in bytes[..<offset] {
                if byte == 0x0A {
                    line += 1
                    column = 1
                } else if byte & 0xC0 != 0x80 {
                    column += 1
                }
            }
            return "line \(line), column \(column): \(message)"
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { key in key.intValue.map { "[\($0)]" } ?? key.stringValue }
            return keys.isEmpty ? "" : keys.joined(separator: ".").replacingOccurrences(of: ".[", with: "[") + ": "
        }
        func underlying(_ context: DecodingError.Context) -> String {
            guard let inner = context.underlyingError else { return context.debugDescription }
            let text = (inner as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? String(describing: inner)
            return "\(context.debugDescription) (\(text))"
        }
        switch error {
        case .dataCorrupted(let context):
            return path(context) + underlying(context)
        case .keyNotFound(let key, let context):
            return path(context) + "missing key \"\(key.stringValue)\""
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return path(context) + context.debugDescription
        @unknown default:
            return String(describing: error)
        }
    }
}
