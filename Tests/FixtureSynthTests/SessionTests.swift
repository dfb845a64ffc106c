import FixtureSynth
import Foundation
import Tape
import Testing
import WebcastProto
import WireKit

/// The demo session, checked with the generated swift-protobuf types only.
@Suite("session-5min")
struct SessionTests {
    let tape: ParsedTape

    init() throws { tape = try Tapes.session.get() }
    let demo = Scenario.demo

    @Test("Signing fetch: the eulerstream request and a usable first fetch result")
    func signingFetch() throws {
        try #require(tape.http.count == 1)
        let exchange = tape.http[0]
        let url = exchange.request.url
        #expect(url.hasPrefix("https://tiktok.eulerstream.com/webcast/fetch?client=ttlive-python&room_id=\(demo.roomID)&user_agent=Mozilla%2F5.0"))
        #expect(url.hasSuffix("&client_enter=true&platform=web&tt_target_idc=useast1a"))
        #expect(exchange.request.headers.value(for: "user-agent") == "TikTokLive.py/7.0.1")
        #expect(exchange.request.headers.value(for: "x-api-key") == "<redacted:x-api-key:1>")
        let response = try #require(exchange.response)
        #expect(response.status == 200)
        #expect(response.headers.value(for: "content-type") == "application/x-protobuf")
        #expect(response.headers.value(for: "x-room-id") == String(demo.roomID))
        #expect(response.headers.value(for: "x-request-id")?.count == 36)
        let cookies = try #require(response.headers.value(for: "x-set-tt-cookie"))
        #expect(cookies.contains("ttwid=<redacted:ttwid:1>") && cookies.contains("tt_csrf_token=<redacted:tt_csrf_token:1>"))
        let result = try ProtoMessageFetchResult(serializedBytes: response.body.bytes)
        #expect(result.isFirst)
        #expect(!result.cursor.isEmpty && !result.internalExt.isEmpty)
        #expect(!result.routeParams.isEmpty)
        #expect(result.pushServer == "wss://webcast16-ws-useast1a.tiktok.com/webcast/im/push/v2/")
        #expect(result.fetchInterval > 0 && result.now > 1_700_000_000_000)
        #expect(result.heartbeatDuration == 10_000)
        #expect(result.needAck)
        #expect(result.messages.count >= 3)
        #expect(result.messages.contains { $0.isHistory && $0.method == "WebcastChatMessage" })
        for message in result.messages { _ = try decodeCommon(message) }
    }

    @Test("Handshake: push_server + route_params + static parameters + version_code quirk; 101")
    func handshake() throws {
        try #require(tape.opens.count == 1)
        let open = tape.opens[0]
        let first = try ProtoMessageFetchResult(serializedBytes: tape.http[0].response!.body.bytes)
        #expect(open.url.hasPrefix(first.pushServer + "?"))
        for key in first.routeParams.keys.sorted() {
            #expect(open.url.contains("\(key)=\(first.routeParams[key]!)"), "route param \(key)")
        }
        for param in ["aid=1988", "app_name=tiktok_web", "version_code=180800", "update_version_code=2.0.0",
                      "device_platform=web", "identity=audience", "live_id=12", "sup_ws_ds_opt=1", "did_rule=3",
                      "client_enter=1", "resp_content_type=protobuf", "history_comment_count=6", "last_rtt=",
                      "ws_direct=0", "heartbeat_duration=0", "compress=gzip", "room_id=\(demo.roomID)", "cursor=", "internal_ext="] {
            #expect(open.url.contains("&\(param)") || open.url.contains("?\(param)"), "missing \(param)")
        }
        #expect(open.url.hasSuffix("&version_code=270000"))
        #expect(open.requestHeaders.value(for: "sec-websocket-protocol") == "echo-protocol")
        #expect(open.requestHeaders.value(for: "cookie")?.contains("<redacted:ttwid:1>") == true)
        #expect(open.requestHeaders.value(for: "user-agent") == Synthesizer.browserUserAgent)
        let response = try #require(open.response)
        #expect(response.status == 101)
        #expect(response.headers.value(for: "handshake-options") == "ping-interval=10")
        // RFC 6455 example: key dGhlIHNhbXBsZSBub25jZQ== → s3pPLMBiTxaQ9kYGzzhZRbK+xOo=; here just well-formed.
        #expect(response.headers.value(for: "sec-websocket-accept")?.count == 28)
        #expect(open.subprotocol == "echo-protocol")
    }

    @Test("im_enter_room is the first client frame and precedes every server frame")
    func enterRoomFirst() throws {
        let first = try #require(tape.sent.first)
        #expect(first.frame.payloadType == "im_enter_room")
        let enter = try WebcastImEnterRoomMessage(serializedBytes: first.payload)
        #expect(enter.roomID == demo.roomID)
        #expect(enter.identity == "audience")
        #expect(enter.liveID == 12)
        #expect(enter.filterWelcomeMsg == "0")
        #expect(!enter.cursor.isEmpty)
        #expect(tape.sent.filter { $0.frame.payloadType == "im_enter_room" }.count == 1)
        #expect(first.t <= tape.received.first!.t)
        #expect(tape.received.first?.frame.payloadType == "im_enter_room_resp")
    }

    @Test("At least 2,000 msg frames over about 300 s, gzip, realistic log ids")
    func serverFrames() throws {
        let frames = tape.messageFrames
        #expect(frames.count >= 2000)
        let span = frames.last!.t - frames.first!.t
        #expect(span > 290_000_000 && span < 310_000_000)
        var lastSeq: Int64 = 0
        var logIDs = Set<Int64>()
        for f in frames {
            #expect(f.compressType == "gzip")
            #expect(Inflate.looksLikeGzip(f.payload))
            #expect(f.frame.payloadEncoding == "pb")
            #expect(f.frame.seqID > lastSeq)
            lastSeq = f.frame.seqID
            #expect(f.frame.logID > 7_000_000_000_000_000_000)
            logIDs.insert(f.frame.logID)
            let result = try f.fetchResult()
            #expect((1...8).contains(result.messages.count))
            #expect(!result.cursor.isEmpty && result.now > 0 && result.fetchInterval > 0)
        }
        #expect(logIDs.count == frames.count)
    }

    @Test("All 19 event types, each several times, with CommonMessageData filled in")
    func everyMethod() throws {
        let messages = try innerMessages(tape)
        var counts: [String: Int] = [:]
        var msgIDs = Set<Int64>()
        for (_, message) in messages {
            counts[message.method, default: 0] += 1
            let common = try decodeCommon(message)
            #expect(common.method == message.method)
            #expect(common.msgID == message.msgID && common.msgID != 0)
            #expect(common.roomID == demo.roomID)
            #expect(common.createTime > 1_700_000_000_000)
            msgIDs.insert(message.msgID)
        }
        #expect(msgIDs.count == messages.count, "msg_id must be unique")
        for method in allMethods {
            #expect(counts[method, default: 0] >= 3, "\(method): \(counts[method, default: 0])")
        }
        #expect(Set(counts.keys) == Set(allMethods), "unexpected methods: \(Set(counts.keys).subtracting(allMethods))")
        // The mix is dominated by chat, like, member, room-user-seq and gift.
        let dominant = ["WebcastChatMessage", "WebcastLikeMessage", "WebcastMemberMessage", "WebcastRoomUserSeqMessage", "WebcastGiftMessage"]
        let dominantCount = dominant.reduce(0) { $0 + counts[$1, default: 0] }
        #expect(dominantCount * 10 > messages.count * 8)
        #expect(counts["WebcastChatMessage", default: 0] > counts["WebcastLikeMessage", default: 0])
    }

    @Test("Social messages include follows and shares, told apart by display_text.key")
    func social() throws {
        var keys: [String: Int] = [:]
        for (_, m) in try innerMessages(tape) where m.method == "WebcastSocialMessage" {
            let social = try WebcastSocialMessage(serializedBytes: m.payload)
            keys[social.common.displayText.key, default: 0] += 1
            #expect(social.hasUser)
        }
        #expect(keys["pm_main_follow_message_viewer_2", default: 0] >= 3)
        #expect(keys["pm_mt_guidance_share", default: 0] >= 3)
    }

    @Test("Gift streaks: same group_id, repeat_count 1…N with repeat_end 0, then N with repeat_end 1")
    func giftStreaks() throws {
        var runs: [Int64: [WebcastGiftMessage]] = [:]
        var order: [Int64] = []
        for (_, m) in try innerMessages(tape) where m.method == "WebcastGiftMessage" {
            let gift = try WebcastGiftMessage(serializedBytes: m.payload)
            if runs[gift.groupID] == nil { order.append(gift.groupID) }
            runs[gift.groupID, default: []].append(gift)
        }
        var streaks = 0
        var singles = 0
        for groupID in order {
            let run = runs[groupID]!
            let first = run[0]
            #expect(run.allSatisfy { $0.giftID == first.giftID && $0.user.id == first.user.id && $0.gift.type == first.gift.type })
            if first.gift.type == 1 {
                streaks += 1
                let n = Int32(run.count - 1)
                #expect(n >= 1, "streak \(groupID) has no end")
                #expect(run.map(\.repeatCount) == Array(1...n) + [n], "group \(groupID): \(run.map(\.repeatCount))")
                #expect(run.map(\.repeatEnd) == Array(repeating: 0, count: Int(n)) + [1], "group \(groupID)")
            } else {
                singles += 1
                #expect(first.gift.type == 2)
                #expect(run.count == 1 && first.repeatEnd == 1 && first.repeatCount == 1, "group \(groupID)")
            }
        }
        #expect(streaks >= 20)
        #expect(singles >= 3)
        #expect(order.contains { runs[$0]!.count >= 6 }, "some streak should be long")
    }

    @Test("Heartbeats right after entering and then every interval, seq from 1")
    func heartbeats() throws {
        let beats = tape.sent.filter { $0.frame.payloadType == "hb" }
        let interval = UInt64(demo.heartbeatIntervalSeconds) * 1_000_000
        #expect(beats.count >= demo.durationSeconds / demo.heartbeatIntervalSeconds)
        #expect(beats.first!.t - tape.sent.first!.t < 100_000, "first hb right after im_enter_room")
        for (index, beat) in beats.enumerated() {
            let hb = try HeartBeatMessage(serializedBytes: beat.payload)
            #expect(hb.roomID == demo.roomID)
            #expect(hb.sendPacketSeqID == Int64(index + 1))
            #expect(beat.frame.payloadEncoding == "pb")
            if index > 0 {
                let gap = beat.t - beats[index - 1].t
                #expect(gap > interval - 5_000 && gap < interval + 5_000, "gap \(gap) µs")
            }
        }
        #expect(tape.closes[0].timeMicros - beats.last!.t <= interval)
    }

    @Test("One ack per need_ack frame, carrying its log_id and internal_ext")
    func acks() throws {
        let acks = tape.sent.filter { $0.frame.payloadType == "ack" }
        var expected: [(logID: Int64, payload: [UInt8], t: UInt64)] = []
        for f in tape.received {
            let result = try f.fetchResult()
            if result.needAck { expected.append((f.frame.logID, Array(result.internalExt.utf8), f.t)) }
        }
        #expect(expected.count > 150 && expected.count < 500, "need_ack ratio ~0.15: \(expected.count)")
        try #require(acks.count == expected.count)
        for (ack, want) in zip(acks, expected) {
            #expect(ack.frame.logID == want.logID)
            #expect(ack.payload == want.payload)
            #expect(ack.frame.payloadEncoding == "pb")
            #expect(ack.t > want.t && ack.t - want.t < 10_000)
        }
    }

    @Test("The stream ends with WebcastControlMessage action 3, then the client closes with 1000")
    func streamEnd() throws {
        let last = try #require(tape.messageFrames.last).fetchResult()
        let final = try #require(last.messages.last)
        #expect(final.method == "WebcastControlMessage")
        #expect(try WebcastControlMessage(serializedBytes: final.payload).action == 3)
        var actions: [Int32] = []
        for (_, m) in try innerMessages(tape) where m.method == "WebcastControlMessage" {
            actions.append(try WebcastControlMessage(serializedBytes: m.payload).action)
        }
        #expect(actions.filter { $0 == 3 }.count == 1)
        try #require(tape.closes.count == 1)
        #expect(tape.closes[0].code == 1000 && tape.closes[0].by == .client)
        guard case .wsClose = tape.records.last else {
            Issue.record("the tape must end with ws_close")
            return
        }
        #expect(tape.closes[0].timeMicros > tape.received.last!.t)
    }

    @Test("About 150 users with 64-bit ids, handles, CJK/emoji/diacritic nicknames; chat in several scripts")
    func people() throws {
        var users: [Int64: User] = [:]
        var contents: [String] = []
        for (_, m) in try innerMessages(tape) {
            switch m.method {
            case "WebcastChatMessage":
                let chat = try WebcastChatMessage(serializedBytes: m.payload)
                users[chat.user.id] = chat.user
                contents.append(chat.content)
            case "WebcastMemberMessage":
                let member = try WebcastMemberMessage(serializedBytes: m.payload)
                users[member.user.id] = member.user
            case "WebcastLikeMessage":
                let like = try WebcastLikeMessage(serializedBytes: m.payload)
                users[like.user.id] = like.user
            default: break
            }
        }
        #expect(users.count >= 120 && users.count <= 150, "\(users.count) users")
        #expect(users.keys.allSatisfy { $0 > 1 << 53 })
        #expect(users.values.allSatisfy { !$0.displayID.isEmpty && $0.idStr == String($0.id) && !$0.nickname.isEmpty })
        let nicknames = Set(users.values.map(\.nickname))
        for name in ["好綠茶喔", "不错看啊", "🎉主播加油", "Ünïcödé"] {
            #expect(nicknames.contains(name), "\(name)")
        }
        func has(_ range: ClosedRange<UInt32>) -> Bool {
            contents.contains { $0.unicodeScalars.contains { range.contains($0.value) } }
        }
        #expect(has(0x4E00...0x9FFF), "CJK")
        #expect(has(0x3040...0x30FF), "kana")
        #expect(has(0xAC00...0xD7AF), "hangul")
        #expect(has(0x0600...0x06FF), "arabic")
        #expect(has(0x0400...0x04FF), "cyrillic")
        #expect(has(0x1F300...0x1FAFF), "emoji")
    }

    @Test("Viewer counts drift: bounded steps, not constant, total_user never decreases")
    func viewerDrift() throws {
        var totals: [Int64] = []
        var totalUsers: [Int64] = []
        for (_, m) in try innerMessages(tape) where m.method == "WebcastRoomUserSeqMessage" {
            let seq = try WebcastRoomUserSeqMessage(serializedBytes: m.payload)
            totals.append(seq.total)
            totalUsers.append(seq.totalUser)
        }
        #expect(totals.count >= 100)
        #expect(Set(totals).count > totals.count / 3, "viewer count should move")
        #expect(totals.min()! >= 50 && totals.max()! < 5_000)
        for i in 1..<totals.count { #expect(abs(totals[i] - totals[i - 1]) < 200, "jump \(totals[i - 1]) → \(totals[i])") }
        #expect(zip(totalUsers, totalUsers.dropFirst()).allSatisfy { $0 <= $1 })
    }

    @Test("Poll and battle sequences are in order")
    func sequences() throws {
        var pollStages: [Int64] = []
        var battleActions: [Int32] = []
        var armies = 0
        for (_, m) in try innerMessages(tape) {
            switch m.method {
            case "WebcastPollMessage": pollStages.append(try WebcastPollMessage(serializedBytes: m.payload).messageType)
            case "WebcastLinkMicBattle": battleActions.append(try WebcastLinkMicBattle(serializedBytes: m.payload).action)
            case "WebcastLinkMicArmies":
                #expect(battleActions.first == 1, "armies only during a battle")
                let a = try WebcastLinkMicArmies(serializedBytes: m.payload)
                #expect(a.armies.count == 2)
                armies += 1
            default: break
            }
        }
        #expect(pollStages == [1, 2, 2, 2, 3])
        #expect(battleActions == [1, 4, 5])
        #expect(armies >= 5)
    }

    @Test("No secrets: placeholders only")
    func noSecrets() throws {
        let text = String(decoding: Synthesizer.tape(for: demo).prefix(20_000), as: UTF8.self)
        #expect(text.contains("<redacted:x-api-key:1>"))
        #expect(!text.lowercased().contains("sessionid="))
        #expect(!text.contains("x-signature"))
        #expect(!text.contains("X-Bogus"))
    }
}
