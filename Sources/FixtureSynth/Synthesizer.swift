import Foundation
import SwiftProtobuf
import Tape
import WebcastProto
import WireKit

/// Turns a `Scenario` into a tape of a TikTok LIVE session (PROTOCOL.md §1, §3, §7):
///
/// 1. `http`: the signing service's `GET /webcast/fetch` answered 200 with a raw
///    `ProtoMessageFetchResult` (route_params, push_server, is_first, history comments) and
///    `X-Set-TT-Cookie`; secrets are `<redacted:NAME:1>` placeholders.
/// 2. `ws_open`: push_server + `?` + route_params + static parameters +
///    `&version_code=270000`, answered 101 with `Handshake-Options: ping-interval=N`
///    (or rejected with HTTP 200 + `Handshake-Status`/`Handshake-Msg`, then `ws_close`).
/// 3. Client frames: `im_enter_room`, `hb` right away and every interval, one `ack` per
///    `need_ack` fetch result (log_id of that frame, payload internal_ext or `-`).
/// 4. Server frames: an `im_enter_room_resp`, then `server_frames` `msg` frames whose
///    payload is a (gzip) `ProtoMessageFetchResult` with 1–4 messages; the last one carries
///    `WebcastControlMessage` action 3; then the client closes with 1000.
///
/// Output is a pure function of the scenario: no clock, no system randomness, no
/// dictionary iteration, deterministic protobuf map order.
public enum Synthesizer {
    /// Names of the secrets replaced by placeholders (the tape header's `redacted`).
    public static let redactedNames = ["x-api-key", "cookie:ttwid", "cookie:tt_csrf_token"]
    /// User-Agent of the browser the session pretends to be (signing query and handshake).
    public static let browserUserAgent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

    /// The tape header and records for `scenario`, in time order. Out-of-range values are
    /// clamped; use `Scenario.validate()` to reject them instead.
    public static func records(for scenario: Scenario) -> (TapeHeader, [TapeRecord]) {
        var session = Session(scenario: scenario)
        let records = session.run()
        let header = TapeHeader(
            created: scenario.created,
            source: TapeSource(kind: "synth", detail: "livetape synth: scenario \(scenario.name), seed \(scenario.seed)"),
            redacted: redactedNames)
        return (header, records)
    }

    /// The whole tape file for `scenario` (header line and record lines).
    public static func tape(for scenario: Scenario) -> [UInt8] {
        let (header, records) = records(for: scenario)
        var out = TapeEncoder.encode(header)
        for record in records { TapeEncoder.encode(record, into: &out) }
        return out
    }

    /// Validates `scenario` and writes its tape to `path` (atomically: all or nothing).
    public static func write(_ scenario: Scenario, to path: String) throws {
        try scenario.validate()
        try Data(tape(for: scenario)).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

/// Builds one session's records.
private struct Session {
    let scenario: Scenario
    var room: Room
    var timing: SeededRandom
    var plan: SeededRandom
    var ids: SeededRandom
    let baseMs: Int64
    let interval: UInt64
    let frameCount: Int
    var events: [(t: UInt64, order: Int, record: TapeRecord)] = []
    var logID: Int64
    var seqID: Int64 = 0
    let deviceID: Int64
    let firstRequestMs: Int64
    var fetchSeq: Int64 = 0

    static let httpConn = 1
    static let wsConn = 2

    init(scenario: Scenario) {
        self.scenario = scenario
        room = Room(scenario: scenario)
        timing = SeededRandom(seed: scenario.seed, stream: 3)
        plan = SeededRandom(seed: scenario.seed, stream: 4)
        ids = SeededRandom(seed: scenario.seed, stream: 5)
        baseMs = (Scenario.epochSeconds(scenario.created) ?? 1_795_000_000) * 1000
        interval = UInt64(min(max(scenario.heartbeatIntervalSeconds, 1), 600)) * 1_000_000
        frameCount = min(max(scenario.serverFrames, 2 * scenario.defects.count + 2, 2), 1_000_000)
        logID = ids.int64(7_441_800_000_000_000_000...7_441_810_000_000_000_000)
        deviceID = ids.int64(7_300_000_000_000_000_000...7_440_000_000_000_000_000)
        firstRequestMs = baseMs + 90
    }

    mutating func emit(_ t: UInt64, _ record: TapeRecord) {
        var record = record
        record.timeMicros = t
        events.append((t, events.count, record))
    }

    func ms(_ t: UInt64) -> Int64 { baseMs + Int64(t / 1000) }

    // MARK: Fetch result helpers

    func cursor(_ ms: Int64) -> String { "t-\(ms)_r-1_d-1_u-1" }

    mutating func internalExt(_ ms: Int64) -> String {
        fetchSeq += 1
        return "internal_src:dim|wss_push_room_id:\(scenario.roomID)|wss_push_did:\(deviceID)"
            + "|first_req_ms:\(firstRequestMs)|fetch_time:\(ms)|seq:\(fetchSeq)|wss_info:0-\(ms)-0-0"
            + "|wrds_v:\(7_441_900_000_000_000_000 + fetchSeq)"
    }

    func base(_ message: InnerMessage, history: Bool = false) -> BaseProtoMessage {
        let message = Scenario.ProtocolChange.rewrite(message, for: scenario.protocolChanges)
        return BaseProtoMessage.with {
            $0.method = message.method
            $0.payload = Data(message.payload)
            $0.msgID = message.msgID
            $0.isHistory = history
        }
    }

    // MARK: The session

    mutating func run() -> [TapeRecord] {
        let signingMs = baseMs
        let (fetchBody, routeParams, firstCursor, firstExt) = signingFetch(ms: signingMs)
        let fetchDuration = UInt64(timing.int(150_000...260_000))
        let apiKey = "<redacted:x-api-key:1>"
        let query = "client=ttlive-python&room_id=\(scenario.roomID)&user_agent=\(percentEncode(Synthesizer.browserUserAgent))"
            + "&client_enter=true&platform=web&tt_target_idc=useast1a"
        let cookieJar = "ttwid=<redacted:ttwid:1>; tt_csrf_token=<redacted:tt_csrf_token:1>; tt-target-idc=useast1a"
        emit(0, .http(HTTPExchange(
            timeMicros: 0, conn: Self.httpConn, durationMicros: fetchDuration,
            request: HTTPRequest(method: "GET", url: "https://tiktok.eulerstream.com/webcast/fetch?" + query, headers: [
                HTTPHeader("Host", "tiktok.eulerstream.com"),
                HTTPHeader("Accept", "*/*"),
                HTTPHeader("Accept-Encoding", "gzip, deflate"),
                HTTPHeader("Connection", "keep-alive"),
                HTTPHeader("User-Agent", "TikTokLive.py/7.0.1"),
                HTTPHeader("X-Api-Key", apiKey),
            ]),
            response: HTTPResponse(status: 200, reason: "OK", headers: [
                HTTPHeader("Content-Type", "application/x-protobuf"),
                HTTPHeader("Content-Length", String(fetchBody.count)),
                HTTPHeader("Connection", "keep-alive"),
                HTTPHeader("X-Set-TT-Cookie", cookieJar),
                HTTPHeader("X-Room-Id", String(scenario.roomID)),
                HTTPHeader("X-Request-Id", uuid()),
                HTTPHeader("X-Agent-Id", "ttlive-python"),
                HTTPHeader("X-Log-Code", "0"),
            ], body: Body(fetchBody)))))

        // Handshake.
        let tOpen = fetchDuration + UInt64(timing.int(20_000...60_000))
        let wsKey = Data(ids.bytes(16)).base64EncodedString()
        let url = webSocketURL(routeParams: routeParams, cursor: firstCursor, internalExt: firstExt)
        let requestHeaders = [
            HTTPHeader("Host", host(of: scenario.pushServer)),
            HTTPHeader("Upgrade", "websocket"),
            HTTPHeader("Connection", "Upgrade"),
            HTTPHeader("Sec-WebSocket-Key", wsKey),
            HTTPHeader("Sec-WebSocket-Version", "13"),
            HTTPHeader("Sec-WebSocket-Protocol", "echo-protocol"),
            HTTPHeader("Cookie", cookieJar),
            HTTPHeader("User-Agent", Synthesizer.browserUserAgent),
        ]
        if let rejection = scenario.handshakeRejection {
            emit(tOpen, .wsOpen(WebSocketOpen(
                timeMicros: tOpen, conn: Self.wsConn, url: url, requestHeaders: requestHeaders,
                response: HTTPResponse(status: 200, reason: "OK", headers: [
                    HTTPHeader("Content-Type", "text/plain; charset=utf-8"),
                    HTTPHeader("Content-Length", "0"),
                    HTTPHeader("Handshake-Status", String(rejection.status)),
                    HTTPHeader("Handshake-Msg", rejection.message),
                ]))))
            let tClose = tOpen + UInt64(timing.int(30_000...90_000))
            emit(tClose, .wsClose(WebSocketClose(timeMicros: tClose, conn: Self.wsConn, code: nil, reason: "", by: .abnormal)))
            return sorted()
        }
        emit(tOpen, .wsOpen(WebSocketOpen(
            timeMicros: tOpen, conn: Self.wsConn, url: url, requestHeaders: requestHeaders,
            response: HTTPResponse(status: 101, reason: "Switching Protocols", headers: [
                HTTPHeader("Upgrade", "websocket"),
                HTTPHeader("Connection", "Upgrade"),
                HTTPHeader("Sec-WebSocket-Accept", SHA1.webSocketAccept(key: wsKey)),
                HTTPHeader("Sec-WebSocket-Protocol", "echo-protocol"),
                HTTPHeader("Handshake-Options", "ping-interval=\(interval / 1_000_000)"),
            ]),
            subprotocol: "echo-protocol")))

        // Client: im_enter_room, then heartbeats.
        let tEnter = tOpen + UInt64(timing.int(2_000...6_000))
        send(tEnter, WebcastPushFrame.with {
            $0.payloadType = "im_enter_room"
            $0.payload = Data(serialize(WebcastImEnterRoomMessage.with {
                $0.roomID = scenario.roomID
                $0.liveID = 12
                $0.identity = "audience"
                $0.cursor = firstCursor
                $0.filterWelcomeMsg = "0"
            }))
        })
        let tFirstHeartbeat = tEnter + UInt64(timing.int(500...1_500))

        // Server frames.
        var tFrame = tEnter + UInt64(timing.int(40_000...90_000))
        if scenario.enterRoomResponse {
            let result = ProtoMessageFetchResult.with {
                $0.cursor = cursor(ms(tFrame))
                $0.fetchInterval = 1000
                $0.now = ms(tFrame)
                $0.internalExt = internalExt(ms(tFrame))
            }
            receive(tFrame, payloadType: "im_enter_room_resp", result: result, defect: nil)
            tFrame += UInt64(timing.int(20_000...60_000))
        }
        let end = max(tFrame + UInt64(frameCount) * 1_000, tOpen + UInt64(min(max(scenario.durationSeconds, 1), 86_400)) * 1_000_000 - 100_000)
        let times = frameTimes(from: tFrame, to: end, count: frameCount)
        let kinds = planFrames(count: frameCount)
        let defects = defectAt
        for index in 0..<frameCount {
            let defect = defects[index]
            buildFrame(t: times[index], kinds: kinds[index], defect: defect, last: index == frameCount - 1)
        }
        let tClose = end + UInt64(timing.int(15_000...40_000))

        var seq: Int64 = 1
        var tBeat = tFirstHeartbeat
        while tBeat < tClose {
            send(tBeat, WebcastPushFrame.with {
                $0.payloadEncoding = "pb"
                $0.payloadType = "hb"
                $0.payload = Data(serialize(HeartBeatMessage.with { $0.roomID = scenario.roomID; $0.sendPacketSeqID = seq }))
            })
            seq += 1
            tBeat = tFirstHeartbeat + UInt64(seq - 1) * interval + UInt64(timing.int(0...1_500))
        }
        emit(tClose, .wsClose(WebSocketClose(timeMicros: tClose, conn: Self.wsConn, code: 1000, reason: "", by: .client)))
        return sorted()
    }

    func sorted() -> [TapeRecord] {
        events.sorted { ($0.t, $0.order) < ($1.t, $1.order) }.map(\.record)
    }

    mutating func uuid() -> String {
        let h = ids.hex(16)
        let c = Array(h)
        return String(c[0..<8]) + "-" + String(c[8..<12]) + "-4" + String(c[13..<16]) + "-a" + String(c[17..<20]) + "-" + String(c[20..<32])
    }

    func host(of url: String) -> String {
        let rest = url.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false)
        return rest.count > 2 ? String(rest[2]) : url
    }

    // MARK: Signing fetch and URL

    mutating func signingFetch(ms: Int64) -> (body: [UInt8], routeParams: [(String, String)], cursor: String, internalExt: String) {
        var history: [BaseProtoMessage] = []
        for i in 0..<6 {
            let user = Int(plan.below(UInt64(room.users.count)))
            history.append(base(room.chat(ms: ms - Int64(60_000 - i * 9_000), user: user), history: true))
        }
        history.append(base(room.make(.roomUserSeq, ms: ms - 800)))
        let routeParams: [(String, String)] = [
            ("imprp", ids.string(32, from: Content.base64url)),
            ("wrss", ids.string(43, from: Content.base64url)),
        ]
        let cursor = self.cursor(ms)
        let ext = internalExt(ms)
        let result = ProtoMessageFetchResult.with {
            $0.messages = history
            $0.cursor = cursor
            $0.fetchInterval = 1000
            $0.now = ms
            $0.internalExt = ext
            $0.routeParams = Dictionary(uniqueKeysWithValues: routeParams)
            $0.heartbeatDuration = Int64(interval / 1000)
            $0.needAck = true
            $0.pushServer = scenario.pushServer
            $0.isFirst = true
            $0.historyCommentCursor = cursor
        }
        guard scenario.protocolChanges.contains(.signingStub) else { return (serialize(result), routeParams, cursor, ext) }
        let stub = ProtoMessageFetchResult.with {
            $0.cursor = result.cursor
            $0.fetchInterval = result.fetchInterval
            $0.now = result.now
            $0.heartbeatDuration = result.heartbeatDuration
            $0.pushServer = result.pushServer
            $0.isFirst = true
        }
        return (serialize(stub), routeParams, cursor, ext)
    }

    mutating func webSocketURL(routeParams: [(String, String)], cursor: String, internalExt: String) -> String {
        let browserVersion = String(Synthesizer.browserUserAgent.dropFirst("Mozilla/".count))
        var params: [(String, String)] = routeParams
        params += [
            ("aid", "1988"), ("app_language", "en-US"), ("app_name", "tiktok_web"),
            ("browser_language", "en-US"), ("browser_name", "Mozilla"), ("browser_online", "true"),
            ("browser_platform", "Win32"), ("browser_version", browserVersion), ("cookie_enabled", "true"),
            ("device_platform", "web"), ("did_rule", "3"), ("focus_state", "true"), ("from_page", "user"),
            ("history_comment_count", "6"), ("identity", "audience"), ("is_fullscreen", "false"),
            ("is_page_visible", "true"), ("last_rtt", String(timing.int(60...400))), ("live_id", "12"),
            ("resp_content_type", "protobuf"), ("screen_height", "1080"), ("screen_width", "1920"),
            ("sup_ws_ds_opt", "1"), ("tz_name", "Etc/UTC"), ("update_version_code", "2.0.0"),
            ("version_code", "180800"), ("webcast_sdk_version", "2.0.0"), ("ws_direct", "0"),
            ("heartbeat_duration", "0"), ("client_enter", "1"),
            ("compress", "gzip"), ("room_id", String(scenario.roomID)), ("cursor", cursor), ("internal_ext", internalExt),
        ]
        let query = params.map { "\($0.0)=\(percentEncode($0.1))" }.joined(separator: "&")
        return scenario.pushServer + "?" + query + "&version_code=270000"
    }

    // MARK: Frames

    mutating func send(_ t: UInt64, _ frame: WebcastPushFrame) {
        emit(t, .wsMessage(WebSocketMessage(timeMicros: t, conn: Self.wsConn, direction: .send, payload: Body(serialize(frame)))))
    }

    /// Frame times: irregular gaps, scaled so the last frame lands exactly on `end`.
    mutating func frameTimes(from start: UInt64, to end: UInt64, count: Int) -> [UInt64] {
        var gaps: [UInt64] = []
        var total: UInt64 = 0
        for _ in 0..<count {
            let gap = UInt64(timing.chance(80) ? timing.int(2_500...6_000) : timing.int(150...1_800))
            gaps.append(gap)
            total += gap
        }
        let span = end - start
        var times: [UInt64] = []
        var running: UInt64 = 0
        for gap in gaps {
            running += gap
            let product = running.multipliedFullWidth(by: span)
            times.append(start + total.dividingFullWidth(product).quotient)
        }
        return times
    }

    var defectAt: [Int: Scenario.Defect] {
        var map: [Int: Scenario.Defect] = [:]
        let count = scenario.defects.count
        for (k, defect) in scenario.defects.enumerated() {
            map[(k + 1) * frameCount / (count + 1)] = defect
        }
        return map
    }

    /// Which messages each frame carries. Scheduled sequences (poll, pause, battle) and rare
    /// event types are placed first; the rest is a weighted mix.
    mutating func planFrames(count: Int) -> [[MessageKind]] {
        let defects = defectAt
        var frames: [[MessageKind]] = []
        for index in 0..<count {
            let n = plan.weighted([40, 30, 20, 10]) + 1
            if defects[index] != nil {
                frames.append((0..<max(2, n)).map { _ in MessageKind.plain[plan.weighted(MessageKind.plainWeights)] })
            } else {
                frames.append((0..<n).map { _ in MessageKind.common[plan.weighted(MessageKind.commonWeights)] })
            }
        }
        let last = count - 1
        /// The first frame at or after `index` that may take scheduled messages.
        func free(_ index: Int) -> Int {
            var i = min(max(index, 0), max(last - 1, 0))
            while defects[i] != nil && i < last - 1 { i += 1 }
            return i
        }
        func at(_ permille: Int) -> Int { free(count * permille / 1000) }
        func insert(_ kind: MessageKind, _ index: Int) {
            let position = Int(plan.below(UInt64(frames[index].count + 1)))
            frames[index].insert(kind, at: position)
        }
        func place(_ kind: MessageKind, atPermille permille: Int) {
            let index = at(permille)
            frames[index].append(kind)
        }
        // Poll: start, three vote updates, end.
        place(.poll(1), atPermille: 200)
        for p in [220, 240, 260] { place(.poll(2), atPermille: p) }
        place(.poll(3), atPermille: 280)
        // The streamer pauses briefly.
        place(.control(1), atPermille: 400)
        place(.control(2), atPermille: 415)
        // A link-mic battle with score updates.
        place(.battle(1), atPermille: 500)
        for p in stride(from: 510, through: 690, by: 20) { place(.armies, atPermille: p) }
        place(.battle(4), atPermille: 700)
        place(.battle(5), atPermille: 705)
        // Rare event types, spread at random.
        let rare: [(MessageKind, Int)] = [
            (.emoteChat, 120), (.subNotify, 200), (.question, 250), (.envelope, 400),
            (.goal, 150), (.banner, 300), (.imDelete, 300), (.rank, 200),
        ]
        for (kind, every) in rare {
            for _ in 0..<max(3, count / every) {
                let lower = kind == .imDelete ? count / 10 : 0
                insert(kind, free(lower + Int(plan.below(UInt64(max(1, last - lower))))))
            }
        }
        // At least three follows, shares and captions even in short sessions.
        for kind in [MessageKind.follow, .share, .caption] {
            var have = frames.reduce(0) { $0 + $1.filter { $0 == kind }.count }
            while have < 3 {
                insert(kind, free(Int(plan.below(UInt64(max(1, last))))))
                have += 1
            }
        }
        if scenario.streamEnd { frames[last] = [.control(3)] }
        return frames
    }

    mutating func buildFrame(t: UInt64, kinds: [MessageKind], defect: Scenario.Defect?, last: Bool) {
        let now = ms(t) - Int64(timing.int(15...60))
        var inner: [InnerMessage] = []
        if last && scenario.streamEnd {
            inner = room.closeStreaks(ms: now - 120)
        }
        for kind in kinds {
            inner.append(room.make(kind, ms: now - Int64(timing.int(20...900))))
        }
        if last && !scenario.streamEnd {
            inner.append(contentsOf: room.closeStreaks(ms: now - 20))
        }
        if let defect, let broken = brokenMessage(defect, ms: now - 300) {
            // Between valid messages of the same frame.
            let position = max(1, min(inner.count - 1, inner.count / 2))
            inner.insert(broken, at: position)
        }
        var needAck = timing.chance(probability: scenario.needAckRatio)
        var ext = internalExt(now)
        switch defect {
        case .needAckEmptyInternalExt:
            needAck = true
            ext = ""
        case .gzipTruncated, .gzipCorrupt, .gzipBomb, .compressTypeBr:
            needAck = false
        default:
            if needAck && scenario.protocolChanges.contains(.needAckEmptyInternalExt) { ext = "" }
        }
        let result = ProtoMessageFetchResult.with {
            $0.messages = inner.map { base($0) }
            $0.cursor = cursor(now)
            $0.fetchInterval = 1000
            $0.now = now
            $0.internalExt = ext
            $0.needAck = needAck
        }
        let frameLogID = receive(t, payloadType: "msg", result: result, defect: defect)
        if needAck {
            let tAck = t + UInt64(timing.int(300...2_500))
            send(tAck, WebcastPushFrame.with {
                $0.logID = frameLogID
                $0.payloadEncoding = "pb"
                $0.payloadType = "ack"
                $0.payload = Data((ext.isEmpty ? "-" : ext).utf8)
            })
        }
    }

    /// Emits one server frame; returns its log_id.
    @discardableResult
    mutating func receive(_ t: UInt64, payloadType: String, result: ProtoMessageFetchResult, defect: Scenario.Defect?) -> Int64 {
        seqID += 1
        logID += ids.int64(1_000_000...400_000_000)
        let plain = serialize(result)
        var compress = scenario.compressType
        var payload: [UInt8]
        switch defect {
        case .gzipTruncated:
            compress = "gzip"
            let full = Deflate.gzip(plain)
            payload = Array(full.prefix(full.count * 6 / 10))
        case .gzipCorrupt:
            compress = "gzip"
            payload = Deflate.gzip(plain)
            let middle = 10 + (payload.count - 18) / 2
            for i in (middle - 2)..<(middle + 2) { payload[i] ^= 0xFF }
        case .gzipBomb:
            compress = "gzip"
            payload = Deflate.gzip([UInt8](repeating: 0, count: Scenario.gzipBombSize), level: 9)
        case .compressTypeBr:
            compress = "br"
            payload = Deflate.gzip(plain)
        default:
            if scenario.protocolChanges.contains(.newCompressType) {
                compress = Scenario.newCompressType
                payload = Deflate.deflate(plain, format: .raw)
            } else {
                payload = compress == "none" ? plain : Deflate.gzip(plain)
            }
        }
        let frame = WebcastPushFrame.with {
            $0.seqID = seqID
            $0.logID = logID
            $0.service = 1
            $0.method = 1
            $0.headers = ["compress_type": compress]
            $0.payloadEncoding = "pb"
            $0.payloadType = payloadType
            $0.payload = Data(payload)
        }
        emit(t, .wsMessage(WebSocketMessage(timeMicros: t, conn: Self.wsConn, direction: .recv, payload: Body(serialize(frame)))))
        return logID
    }

    // MARK: Defects

    /// The broken inner message for a message-level defect; nil for frame-level defects.
    mutating func brokenMessage(_ defect: Scenario.Defect, ms: Int64) -> InnerMessage? {
        switch defect {
        case .illegalWireType:
            let (common, id) = room.bannerCommon(ms: ms)
            // Field 1 (common), then tag 0x6E = field 13, wire type 6 (undefined), then bytes.
            let payload = serialize(WebcastInRoomBannerMessage.with { $0.common = common })
                + [0x6E] + WireBytes.bytesField(1, Array("{\"banner\":1}".utf8))
            return InnerMessage(method: "WebcastInRoomBannerMessage", payload: payload, msgID: id)
        case .overlongVarint:
            var (like, id) = room.likeMessage(ms: ms)
            like.total = 0
            // Field 3 (total) as an 11-byte varint.
            let payload = serialize(like) + WireBytes.tag(3, 0) + [UInt8](repeating: 0xFF, count: 10) + [0x01]
            return InnerMessage(method: "WebcastLikeMessage", payload: payload, msgID: id)
        case .lengthPastEnd:
            var (chat, id) = room.chatMessage(ms: ms, user: Int(plan.below(UInt64(room.users.count))))
            let text = Array(chat.content.utf8.prefix(12))
            chat.content = ""
            // Field 3 (content) declares 200 bytes; only 12 follow.
            let payload = serialize(chat) + WireBytes.tag(3, 2) + WireBytes.varint(200) + text
            return InnerMessage(method: "WebcastChatMessage", payload: payload, msgID: id)
        case .invalidUTF8:
            var (chat, id) = room.chatMessage(ms: ms, user: Int(plan.below(UInt64(room.users.count))))
            chat.content = ""
            let bad: [UInt8] = Array("caf".utf8) + [0xC3, 0x28] + Array(" ok ".utf8) + [0xFF, 0xFE]
            let payload = serialize(chat) + WireBytes.bytesField(3, bad)
            return InnerMessage(method: "WebcastChatMessage", payload: payload, msgID: id)
        case .unknownMethod:
            return room.fancyNew(ms: ms)
        case .unknownField:
            var (chat, id) = room.chatMessage(ms: ms, user: Int(plan.below(UInt64(room.users.count))))
            let userBytes = serialize(chat.user) + WireBytes.bytesField(Scenario.unknownFieldNumber, Array("vip_frame_v2".utf8))
            do {
                chat.user = try User(serializedBytes: userBytes)
            } catch {
                preconditionFailure("re-decoding a user failed: \(error)")
            }
            return InnerMessage(method: "WebcastChatMessage", payload: serialize(chat), msgID: id)
        case .gzipTruncated, .gzipCorrupt, .gzipBomb, .compressTypeBr, .needAckEmptyInternalExt:
            return nil
        }
    }
}
