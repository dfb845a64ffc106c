import Foundation
import SwiftProtobuf
import WebcastProto

/// The kinds of inner message the session plan is made of.
enum MessageKind: Sendable, Equatable {
    case chat, member, gift, like, roomUserSeq, follow, share
    case control(Int32)
    case battle(Int32)
    case armies
    case emoteChat, subNotify, question, envelope
    case poll(Int64)
    case goal, banner, imDelete, rank, caption

    /// Kinds placed by weighted choice into ordinary slots.
    static let common: [MessageKind] = [.chat, .like, .member, .gift, .roomUserSeq, .follow, .share, .caption]
    static let commonWeights: [Int] = [34, 18, 16, 14, 7, 4, 2, 3]
    /// Kinds allowed in frames that carry a defect (no gifts, so streaks stay intact).
    static let plain: [MessageKind] = [.chat, .like, .member]
    static let plainWeights: [Int] = [5, 3, 2]
}

/// One inner message ready for a `BaseProtoMessage`.
struct InnerMessage {
    var method: String
    var payload: [UInt8]
    var msgID: Int64
}

/// Serializes with deterministic map ordering (required for byte-identical fixtures).
func serialize(_ message: some SwiftProtobuf.Message) -> [UInt8] {
    var options = BinaryEncodingOptions()
    options.useDeterministicOrdering = true
    do {
        return try message.serializedBytes(options: options)
    } catch {
        preconditionFailure("serializing \(type(of: message)) failed: \(error)")
    }
}

/// The live room: its people and running counters, and a factory for each event message.
/// Counters (likes, viewers, followers, …) evolve as messages are made, so the session reads
/// like one coherent stream.
struct Room {
    var rng: SeededRandom
    let roomID: Int64
    let anchor: Persona
    let opponent: Persona
    let users: [Persona]
    private(set) var nextMsgID: Int64
    private var likesTotal: Int64
    private(set) var viewers: Int64
    private var viewerTarget: Int64
    private var totalUser: Int64
    private var followers: Int64
    private var shareCount: Int32
    private var contributions: [Int64]
    private var recentChats: [(msgID: Int64, userID: Int64)] = []
    private var streaks: [Streak] = []
    private var nextGroupID: Int64
    private var pollID: Int64
    private var pollVotes: [Int64] = [0, 0, 0]
    private var battleID: Int64
    private var battleStartMs: Int64 = 0
    private var battleScores: (anchor: Int64, opponent: Int64) = (0, 0)
    private var goalProgress: Int64 = 212
    private var captionSequence: Int64 = 0
    private var questionID: Int64

    struct Streak {
        var user: Int
        var gift: Int
        var groupID: Int64
        var count: Int32
        var target: Int32
    }

    init(scenario: Scenario) {
        var peopleRNG = SeededRandom(seed: scenario.seed, stream: 1)
        let pool = People.pool(count: min(max(16, scenario.users), 100_000), rng: &peopleRNG)
        users = scenario.protocolChanges.contains(.userField) ? pool.map(Scenario.ProtocolChange.addingNewUserField) : pool
        anchor = People.anchor(handle: scenario.uniqueID, rng: &peopleRNG)
        opponent = People.opponent(rng: &peopleRNG)
        rng = SeededRandom(seed: scenario.seed, stream: 2)
        roomID = scenario.roomID
        nextMsgID = rng.int64(7_441_600_000_000_000_000...7_441_700_000_000_000_000)
        likesTotal = Int64(rng.int(8_000...30_000))
        viewers = Int64(rng.int(700...1_100))
        viewerTarget = viewers + 400
        totalUser = viewers * 3 + Int64(rng.int(0...500))
        followers = 184_233
        shareCount = Int32(rng.int(40...120))
        contributions = Array(repeating: 0, count: users.count)
        nextGroupID = 0
        pollID = rng.int64(7_441_500_000_000_000_000...7_441_599_999_999_999_999)
        battleID = rng.int64(7_441_400_000_000_000_000...7_441_499_999_999_999_999)
        questionID = rng.int64(7_441_300_000_000_000_000...7_441_399_999_999_999_999)
    }

    /// True while a gift streak has not sent its `repeat_end = 1` message.
    var hasOpenStreaks: Bool { !streaks.isEmpty }

    // MARK: Helpers

    private mutating func takeMsgID() -> Int64 {
        nextMsgID += Int64(rng.int(1_000...900_000))
        return nextMsgID
    }

    /// A viewer index; the first 40 (the regulars) are chosen more often.
    private mutating func someone() -> Int {
        rng.chance(550) ? rng.int(0...min(39, users.count - 1)) : rng.int(0...(users.count - 1))
    }

    private func common(_ method: String, _ id: Int64, _ ms: Int64, text: Text? = nil) -> CommonMessageData {
        CommonMessageData.with {
            $0.method = method
            $0.msgID = id
            $0.roomID = roomID
            $0.createTime = ms
            $0.isShowMsg = true
            if let text { $0.displayText = text }
        }
    }

    private func userText(_ key: String, _ pattern: String, _ user: User, extra: [TextPiece] = []) -> Text {
        Text.with {
            $0.key = key
            $0.defaultPattern = pattern
            $0.defaultFormat = TextFormat.with { $0.color = "#ffffffff"; $0.weight = 400; $0.fontSize = 14 }
            $0.pieces = [TextPiece.with {
                $0.type = 11
                $0.format = TextFormat.with { $0.color = "#ff8bb4ff"; $0.weight = 400; $0.fontSize = 14 }
                $0.userValue = TextPieceUser.with { $0.user = user; $0.withColon = false }
            }] + extra
        }
    }

    private static func compact(_ n: Int64) -> String {
        n < 1_000 ? String(n) : "\(n / 1_000).\(n % 1_000 / 100)K"
    }

    private func finish(_ method: String, _ id: Int64, _ message: some SwiftProtobuf.Message) -> InnerMessage {
        InnerMessage(method: method, payload: serialize(message), msgID: id)
    }

    // MARK: Event messages

    mutating func make(_ kind: MessageKind, ms: Int64) -> InnerMessage {
        switch kind {
        case .chat: return chat(ms: ms, user: someone())
        case .member: return member(ms: ms)
        case .gift: return gift(ms: ms)
        case .like: return like(ms: ms)
        case .roomUserSeq: return roomUserSeq(ms: ms)
        case .follow: return social(ms: ms, follow: true)
        case .share: return social(ms: ms, follow: false)
        case .control(let action): return control(ms: ms, action: action)
        case .battle(let action): return battle(ms: ms, action: action)
        case .armies: return armies(ms: ms)
        case .emoteChat: return emoteChat(ms: ms)
        case .subNotify: return subNotify(ms: ms)
        case .question: return question(ms: ms)
        case .envelope: return envelope(ms: ms)
        case .poll(let stage): return poll(ms: ms, stage: stage)
        case .goal: return goal(ms: ms)
        case .banner: return banner(ms: ms)
        case .imDelete: return imDelete(ms: ms)
        case .rank: return rank(ms: ms)
        case .caption: return caption(ms: ms)
        }
    }

    /// The chat message parts; defects re-encode them with a broken field.
    mutating func chatMessage(ms: Int64, user index: Int) -> (WebcastChatMessage, Int64) {
        let id = takeMsgID()
        let persona = users[index]
        let line = rng.pick(Content.chatLines)
        var message = WebcastChatMessage.with {
            $0.common = common("WebcastChatMessage", id, ms)
            $0.user = persona.user
            $0.content = line.text
            $0.contentLanguage = line.language
            $0.userIdentity = UserIdentity.with {
                $0.isFollowerOfAnchor = persona.isFollower
                $0.isSubscriberOfAnchor = persona.isSubscriber
                $0.isModeratorOfAnchor = persona.isModerator
            }
            $0.screenTime = ms - Int64(rng.int(200...1_500))
        }
        if persona.isSubscriber && rng.chance(400) {
            message.emotes = [EmoteWithIndex.with {
                $0.index = Int32(line.text.utf16.count)  // UTF-16 offset: stable across Unicode versions
                $0.emote = emoteModel()
            }]
        } else if rng.chance(40) {
            message.content = "@\(anchor.displayID) " + line.text
            message.atUser = anchor.user
        }
        recentChats.append((id, persona.id))
        if recentChats.count > 32 { recentChats.removeFirst() }
        return (message, id)
    }

    mutating func chat(ms: Int64, user index: Int) -> InnerMessage {
        let (message, id) = chatMessage(ms: ms, user: index)
        return finish("WebcastChatMessage", id, message)
    }

    private mutating func member(ms: Int64) -> InnerMessage {
        let id = takeMsgID()
        let persona = users[someone()]
        viewers += 1
        totalUser += 1
        return finish("WebcastMemberMessage", id, WebcastMemberMessage.with {
            $0.common = common("WebcastMemberMessage", id, ms, text: userText("live_room_enter_toast", "{0:user} joined", persona.user))
            $0.user = persona.user
            $0.memberCount = Int32(viewers)
            $0.action = 1
            $0.enterType = rng.chance(800) ? 0 : 1
            $0.clientEnterSource = rng.pick(["homepage_hot-live_cell", "following-live_cell", "live_detail-live_cell", "others_homepage-live_cell"])
        })
    }

    private mutating func giftMessage(ms: Int64, streak: Streak, end: Bool) -> InnerMessage {
        let id = takeMsgID()
        let spec = Content.gifts[streak.gift]
        let persona = users[streak.user]
        let giftText = TextPiece.with {
            $0.type = 12
            $0.giftValue = TextPieceGift.with { $0.giftID = spec.id; $0.colorID = 0 }
        }
        if end || !spec.streakable { contributions[streak.user] += Int64(spec.diamonds) * Int64(streak.count) }
        return finish("WebcastGiftMessage", id, WebcastGiftMessage.with {
            $0.common = common("WebcastGiftMessage", id, ms, text: userText(
                "live_gift_send_message_to_anchor", "{0:user} sent {1:gift} × {2:string}", persona.user,
                extra: [giftText, TextPiece.with { $0.type = 1; $0.stringValue = String(streak.count) }]))
            $0.giftID = spec.id
            $0.fanTicketCount = spec.diamonds * streak.count
            $0.groupCount = 1
            $0.repeatCount = streak.count
            $0.comboCount = streak.count
            $0.user = persona.user
            $0.toUser = anchor.user
            $0.repeatEnd = end ? 1 : 0
            $0.groupID = streak.groupID
            $0.gift = Gift.with {
                $0.image = ImageModel.with {
                    $0.urlList = ["https://p16-webcast.tiktokcdn.com/img/maliva/webcast-va/\(String(spec.id, radix: 16))~tplv-obj.webp"]
                    $0.uri = "webcast-va/\(String(spec.id, radix: 16))"
                }
                $0.describe = "sent \(spec.name)"
                $0.id = spec.id
                $0.combo = spec.streakable
                $0.type = spec.streakable ? 1 : 2
                $0.diamondCount = spec.diamonds
                $0.name = spec.name
            }
            $0.logID = rng.hex(16)
            $0.userIdentity = UserIdentity.with { $0.isGiftGiverOfAnchor = true; $0.isFollowerOfAnchor = persona.isFollower }
        })
    }

    /// A gift message: continues an open streak, starts one, or sends a single
    /// non-streakable gift. Streaks: repeat_count 1…N with repeat_end 0, then N with repeat_end 1.
    private mutating func gift(ms: Int64) -> InnerMessage {
        if !streaks.isEmpty && (streaks.count >= 3 || rng.chance(700)) {
            let index = rng.int(0...(streaks.count - 1))
            if streaks[index].count < streaks[index].target {
                streaks[index].count += 1
                return giftMessage(ms: ms, streak: streaks[index], end: false)
            }
            let done = streaks.remove(at: index)
            return giftMessage(ms: ms, streak: done, end: true)
        }
        let giftIndex = rng.weighted(Content.giftWeights)
        nextGroupID = max(nextGroupID + 1, ms)
        let target = Int32(rng.pick([1, 1, 2, 3, 5, 5, 8, 10, 12, 20, 30]))
        let streak = Streak(user: someone(), gift: giftIndex, groupID: nextGroupID, count: 1, target: target)
        if Content.gifts[giftIndex].streakable {
            streaks.append(streak)
            return giftMessage(ms: ms, streak: streak, end: false)
        }
        return giftMessage(ms: ms, streak: streak, end: true)
    }

    /// Messages that close every open streak (used before the stream ends).
    mutating func closeStreaks(ms: Int64) -> [InnerMessage] {
        var out: [InnerMessage] = []
        while !streaks.isEmpty {
            let streak = streaks.removeFirst()
            out.append(giftMessage(ms: ms, streak: streak, end: true))
        }
        return out
    }

    mutating func likeMessage(ms: Int64) -> (WebcastLikeMessage, Int64) {
        let id = takeMsgID()
        let persona = users[someone()]
        let count = Int32(rng.pick([1, 1, 2, 3, 5, 8, 12, 15]))
        likesTotal += Int64(count) + Int64(rng.int(0...40))
        let message = WebcastLikeMessage.with {
            $0.common = common("WebcastLikeMessage", id, ms, text: userText("pm_mt_msg_viewer", "{0:user} liked the LIVE", persona.user))
            $0.count = count
            $0.total = likesTotal
            $0.user = persona.user
            $0.effectCnt = Int64(count)
        }
        return (message, id)
    }

    private mutating func like(ms: Int64) -> InnerMessage {
        let (message, id) = likeMessage(ms: ms)
        return finish("WebcastLikeMessage", id, message)
    }

    private mutating func roomUserSeq(ms: Int64) -> InnerMessage {
        let id = takeMsgID()
        // Drift toward a target that itself wanders; departures outweigh arrivals at times.
        if rng.chance(80) { viewerTarget = max(300, viewerTarget + Int64(rng.int(-300...300))) }
        let pull = (viewerTarget - viewers) / 12
        viewers = max(50, viewers + pull + Int64(rng.int(-25...25)))
        totalUser += Int64(rng.int(0...30))
        // Top three contributors by gift diamonds.
        var order = Array(users.indices)
        order.sort { (contributions[$0], $1) > (contributions[$1], $0) }
        let top = order.prefix(3)
        return finish("WebcastRoomUserSeqMessage", id, WebcastRoomUserSeqMessage.with {
            $0.common = common("WebcastRoomUserSeqMessage", id, ms)
            $0.ranks = top.enumerated().map { rank, index in
                Contributor.with { $0.score = contributions[index]; $0.user = users[index].user; $0.rank = Int64(rank + 1) }
            }
            $0.total = viewers
            $0.popStr = Room.compact(viewers)
            $0.popularity = viewers * 7 + Int64(rng.int(0...999))
            $0.totalUser = totalUser
            $0.anonymous = Int64(rng.int(0...12))
        })
    }

    private mutating func social(ms: Int64, follow: Bool) -> InnerMessage {
        let id = takeMsgID()
        let persona = users[someone()]
        if follow { followers += 1 } else { shareCount += 1 }
        return finish("WebcastSocialMessage", id, WebcastSocialMessage.with {
            $0.common = common("WebcastSocialMessage", id, ms, text: follow
                ? userText("pm_main_follow_message_viewer_2", "{0:user} followed the LIVE creator", persona.user)
                : userText("pm_mt_guidance_share", "{0:user} shared the LIVE", persona.user))
            $0.user = persona.user
            if follow {
                $0.action = 1
                $0.followCount = followers
            } else {
                $0.action = 3
                $0.shareType = 1
                $0.shareTarget = rng.pick(["whatsapp", "copy_link", "instagram_dm", "messenger"])
                $0.shareCount = shareCount
            }
        })
    }

    private mutating func control(ms: Int64, action: Int32) -> InnerMessage {
        let id = takeMsgID()
        return finish("WebcastControlMessage", id, WebcastControlMessage.with {
            $0.common = common("WebcastControlMessage", id, ms)
            $0.action = action
            switch action {
            case 1: $0.tips = "The LIVE creator paused the LIVE. Stay tuned."
            case 3: $0.tips = "This LIVE has ended"
            default: break
            }
        })
    }

    private func battleSettings(ms: Int64, status: Int32) -> BattleSetting {
        BattleSetting.with {
            $0.battleID = battleID
            $0.startTimeMs = battleStartMs
            $0.duration = 300
            $0.channelID = battleID &- 1_000
            $0.status = status
            $0.battleType = 1
            $0.endTimeMs = battleStartMs + 300_000
        }
    }

    private mutating func battle(ms: Int64, action: Int32) -> InnerMessage {
        let id = takeMsgID()
        if action == 1 { battleStartMs = ms; battleScores = (0, 0) }
        let anchorInfo = BattleUserInfoWrapper.with {
            $0.key = anchor.id
            $0.value = BattleUserInfo.with {
                $0.user = BattleBaseUserInfo.with {
                    $0.userID = anchor.id; $0.nickName = anchor.nickname; $0.displayID = anchor.displayID; $0.roomID = roomID
                    $0.avatarThumb = anchor.user.avatarThumb; $0.invitationRole = 1
                }
            }
        }
        let opponentInfo = BattleUserInfoWrapper.with {
            $0.key = opponent.id
            $0.value = BattleUserInfo.with {
                $0.user = BattleBaseUserInfo.with {
                    $0.userID = opponent.id; $0.nickName = opponent.nickname; $0.displayID = opponent.displayID
                    $0.roomID = roomID &+ 7_919; $0.avatarThumb = opponent.user.avatarThumb; $0.invitationRole = 2
                }
            }
        }
        let scores = battleScores
        return finish("WebcastLinkMicBattle", id, WebcastLinkMicBattle.with {
            $0.common = common("WebcastLinkMicBattle", id, ms)
            $0.battleID = battleID
            $0.battleSettings = battleSettings(ms: ms, status: action == 1 ? 1 : 2)
            $0.action = action
            $0.anchorsInfo = [anchorInfo, opponentInfo]
            if action != 1 {
                let anchorWins = scores.anchor >= scores.opponent
                $0.battleResult = [
                    anchor.id: BattleResult.with { $0.userID = anchor.id; $0.result = anchorWins ? 1 : 2; $0.score = scores.anchor; $0.diamondScore = scores.anchor },
                    opponent.id: BattleResult.with { $0.userID = opponent.id; $0.result = anchorWins ? 2 : 1; $0.score = scores.opponent; $0.diamondScore = scores.opponent },
                ]
            }
            $0.trackingExtra = ["battle_type": "1", "invite_source": "random_match", "match_id": String(battleID)]
        })
    }

    private mutating func armies(ms: Int64) -> InnerMessage {
        let id = takeMsgID()
        let spec = Content.gifts[rng.weighted(Content.giftWeights)]
        let count = Int32(rng.int(1...10))
        let diamonds = Int64(spec.diamonds) * Int64(count)
        let forAnchor = rng.chance(550)
        if forAnchor { battleScores.anchor += diamonds } else { battleScores.opponent += diamonds + Int64(rng.int(0...20)) }
        let supporter = users[someone()]
        func army(_ host: Persona, _ score: Int64, _ fans: [Persona]) -> BattleUserArmies {
            BattleUserArmies.with {
                $0.hostscore = score
                $0.anchorIDStr = String(host.id)
                $0.userArmies = fans.enumerated().map { rank, fan in
                    BattleUserArmy.with {
                        $0.userID = fan.id; $0.score = max(1, score / Int64(rank + 2)); $0.nickname = fan.nickname
                        $0.avatarThumb = fan.user.avatarThumb; $0.userIDStr = String(fan.id)
                    }
                }
            }
        }
        let scores = battleScores
        return finish("WebcastLinkMicArmies", id, WebcastLinkMicArmies.with {
            $0.common = common("WebcastLinkMicArmies", id, ms)
            $0.battleID = battleID
            $0.armies = [
                anchor.id: army(anchor, scores.anchor, [supporter]),
                opponent.id: army(opponent, scores.opponent, []),
            ]
            $0.channelID = battleID &- 1_000
            $0.sendGiftSuccessTime = ms - 40
            $0.updateBattleScoreTime = ms
            $0.triggerReason = 1
            $0.fromUserID = supporter.id
            $0.giftID = spec.id
            $0.giftCount = count
            $0.totalDiamondCount = Int32(diamonds)
            $0.repeatCount = count
            $0.battleSettings = battleSettings(ms: ms, status: 1)
        })
    }

    private mutating func emoteModel() -> EmoteModel {
        let emote = rng.pick(Content.emotes)
        return EmoteModel.with {
            $0.emoteID = emote
            $0.image = ImageModel.with { $0.urlList = ["https://p16-webcast.tiktokcdn.com/webcast-va/sub_emote_\(emote)~tplv-obj.image"] }
            $0.emoteType = 1
            $0.packageID = "7291537492847216384"
        }
    }

    private mutating func emoteChat(ms: Int64) -> InnerMessage {
        let id = takeMsgID()
        let persona = users[someone()]
        return finish("WebcastEmoteChatMessage", id, WebcastEmoteChatMessage.with {
            $0.common = common("WebcastEmoteChatMessage", id, ms)
            $0.user = persona.user
            $0.emoteList = [emoteModel()]
            $0.userIdentity = UserIdentity.with { $0.isSubscriberOfAnchor = true }
        })
    }

    private mutating func subNotify(ms: Int64) -> InnerMessage {
        let id = takeMsgID()
        let persona = users[someone()]
        return finish("WebcastSubNotifyMessage", id, WebcastSubNotifyMessage.with {
            $0.common = common("WebcastSubNotifyMessage", id, ms, text: userText("ttlive_subscriber_subscribed", "{0:user} just subscribed!", persona.user))
            $0.user = persona.user
            $0.exhibitionType = 1
            $0.subMonth = Int64(rng.int(1...14))
            $0.subscribeType = 1
            $0.messageType = 1
            $0.subscribingStatus = 1
        })
    }

    private mutating func question(ms: Int64) -> InnerMessage {
        let id = takeMsgID()
        let persona = users[someone()]
        questionID += Int64(rng.int(1_000...99_999))
        let qid = questionID
        return finish("WebcastQuestionNewMessage", id, WebcastQuestionNewMessage.with {
            $0.common = common("WebcastQuestionNewMessage", id, ms)
            $0.data = Question.with {
                $0.questionID = qid
                $0.content = rng.pick(Content.questions)
                $0.createTime = ms / 1000
                $0.user = persona.user
            }
        })
    }

    private mutating func envelope(ms: Int64) -> InnerMessage {
        let id = takeMsgID()
        let persona = users[someone()]
        let envelopeID = String(rng.int64(7_441_200_000_000_000_000...7_441_299_999_999_999_999))
        return finish("WebcastEnvelopeMessage", id, WebcastEnvelopeMessage.with {
            $0.common = common("WebcastEnvelopeMessage", id, ms)
            $0.envelopeInfo = MessageRedEnvelopInfo.with {
                $0.envelopeID = envelopeID
                $0.businessType = 1
                $0.envelopeIdc = "useast1a"
                $0.sendUserName = persona.nickname
                $0.diamondCount = Int32(rng.pick([100, 300, 1_000]))
                $0.peopleCount = Int32(rng.pick([10, 20, 50]))
                $0.unpackAt = Int32(truncatingIfNeeded: ms / 1000 + 180)
                $0.sendUserID = String(persona.id)
                $0.sendUserAvatar = persona.user.avatarThumb
                $0.createAt = String(ms / 1000)
                $0.roomID = String(roomID)
            }
            $0.display = 1
        })
    }

    /// Poll stages: 1 start, 2 vote update, 3 end.
    private mutating func poll(ms: Int64, stage: Int64) -> InnerMessage {
        let id = takeMsgID()
        let poll = Content.polls[Int(UInt64(bitPattern: pollID) % UInt64(Content.polls.count))]
        if stage == 1 { pollVotes = [0, 0, 0] }
        if stage >= 2 { for i in pollVotes.indices { pollVotes[i] += Int64(rng.int(0...40)) } }
        let options = poll.options.enumerated().map { index, text in
            PollOptionInfo.with { $0.votes = pollVotes[index]; $0.displayContent = text; $0.optionIdx = Int32(index) }
        }
        let pid = pollID
        return finish("WebcastPollMessage", id, WebcastPollMessage.with {
            $0.common = common("WebcastPollMessage", id, ms)
            $0.messageType = stage
            $0.pollID = pid
            switch stage {
            case 1: $0.startContent = PollStartContent.with { $0.startTime = ms / 1000; $0.endTime = ms / 1000 + 60; $0.optionList = options; $0.title = poll.title }
            case 3: $0.endContent = PollEndContent.with { $0.endType = 1; $0.optionList = options }
            default: $0.updateVotesContent = PollUpdateVotesContent.with { $0.optionList = options }
            }
            $0.pollKind = 1
            $0.pollBasicInfo = PollBasicInfo.with {
                $0.pollSponsor = String(anchor.id); $0.title = poll.title; $0.pollIDStr = String(pid); $0.pollDuration = 60
                $0.userCnt = pollVotes.reduce(0, +)
            }
        })
    }

    private mutating func goal(ms: Int64) -> InnerMessage {
        let id = takeMsgID()
        let persona = users[someone()]
        let contribution = Int64(rng.pick([1, 1, 5, 10, 30]))
        goalProgress += contribution
        let progress = goalProgress
        return finish("WebcastGoalUpdateMessage", id, WebcastGoalUpdateMessage.with {
            $0.common = common("WebcastGoalUpdateMessage", id, ms)
            $0.indicator = LiveStreamGoalIndicator.with { $0.key = "goal_progress"; $0.op = 1 }
            $0.goal = LiveStreamGoal.with {
                $0.id = 7_441_100_000_000_000_123
                $0.idStr = "7441100000000000123"
                $0.type = 1
                $0.status = 1
                $0.description_p = "1,000 roses for a new song 🌹"
                $0.subGoals = [LiveStreamSubGoal.with { $0.type = 1; $0.id = 5655; $0.idStr = "5655"; $0.progress = progress; $0.target = 1_000 }]
            }
            $0.contributorID = persona.id
            $0.contributorDisplayID = persona.displayID
            $0.contributorIDStr = String(persona.id)
            $0.contributorAvatar = persona.user.avatarThumb
            $0.contributeCount = contribution
            $0.contributeScore = contribution
            $0.updateSource = 1
        })
    }

    private mutating func banner(ms: Int64) -> InnerMessage {
        let id = takeMsgID()
        return finish("WebcastInRoomBannerMessage", id, WebcastInRoomBannerMessage.with {
            $0.common = common("WebcastInRoomBannerMessage", id, ms)
        })
    }

    private mutating func imDelete(ms: Int64) -> InnerMessage {
        let id = takeMsgID()
        let target = recentChats.isEmpty ? (msgID: nextMsgID - 1, userID: users[0].id) : rng.pick(recentChats)
        return finish("WebcastImDeleteMessage", id, WebcastImDeleteMessage.with {
            $0.common = common("WebcastImDeleteMessage", id, ms)
            $0.deleteMsgIds = [target.msgID]
            $0.deleteUserIds = [target.userID]
        })
    }

    private mutating func rank(ms: Int64) -> InnerMessage {
        let id = takeMsgID()
        let own = Int64(rng.int(1...99))
        return finish("WebcastRankUpdateMessage", id, WebcastRankUpdateMessage.with {
            $0.common = common("WebcastRankUpdateMessage", id, ms)
            $0.updates = [RankUpdate.with {
                $0.rankType = 8
                $0.ownRank = own
                $0.defaultContent = Text.with { $0.key = "pm_mt_hourly_rank_update"; $0.defaultPattern = "Ranked No. {0:string} in Hourly Ranking" }
                $0.countdown = Int64(rng.int(60...3_600))
                $0.belongType = 1
                $0.currentScore = Int64(rng.int(1_000...90_000))
            }]
            $0.groupType = 1
            $0.opType = 1
            $0.rankPriority = 10
        })
    }

    private mutating func caption(ms: Int64) -> InnerMessage {
        let id = takeMsgID()
        captionSequence += 1
        let line = rng.pick(Content.captionLines)
        let sequence = captionSequence
        return finish("WebcastCaptionMessage", id, WebcastCaptionMessage.with {
            $0.common = common("WebcastCaptionMessage", id, ms)
            $0.timestampMs = ms - 1_800
            $0.durationMs = Int64(rng.int(900...3_500))
            $0.content = [CaptionContent.with { $0.lang = line.language; $0.content = line.text }]
            $0.sentenceID = 7_441_000_000_000_000_000 + sequence
            $0.sequenceID = sequence
            $0.definite = true
        })
    }

    /// A valid payload for an unknown method (looks like a future event: common, user, text).
    mutating func fancyNew(ms: Int64) -> InnerMessage {
        let id = takeMsgID()
        let persona = users[someone()]
        // Same layout as a chat message: common = 1, user = 2, a string at 3.
        let message = WebcastChatMessage.with {
            $0.common = common(Scenario.unknownMethodName, id, ms)
            $0.user = persona.user
            $0.content = "✨ sparkle storm x3"
        }
        return finish(Scenario.unknownMethodName, id, message)
    }

    /// The common header alone, for hand-built defect payloads.
    mutating func bannerCommon(ms: Int64) -> (CommonMessageData, Int64) {
        let id = takeMsgID()
        return (common("WebcastInRoomBannerMessage", id, ms), id)
    }
}
