import Foundation
import SwiftProtobuf
import Tape
import JSONKit
import WebcastProto

/// Renders decoded messages as `events` transcript records: what an app built on a
/// TikTok LIVE client consumes. Event names follow the `tiktoklive` client's events
/// (comment, gift, like, join, follow, share, ...), in snake case.
public enum EventsTranscript {
    /// The event records of one decoded inner message; none when it failed to decode, fully or
    /// in part (its errors are reported with the frame's).
    public static func events(for message: DecodedMessage, context: RecordContext) -> [JSONValue] {
        guard message.error == nil, message.issues.isEmpty else { return [] }
        do {
            guard let event = try event(for: message, context: context) else { return [] }
            return [event]
        } catch {
            let failure = DecodeError(stage: .message, message: "\(error)", method: message.method,
                                      index: message.index, payloadSize: message.payload.count)
            return [failure.record(.events, context: context)]
        }
    }

    /// `connect`, or `handshake_rejected` when the server answered without upgrading.
    public static func open(_ open: WebSocketOpen, context: RecordContext) -> JSONValue {
        let status = open.response?.status
        guard status == 101 else {
            var object = context.start("event", "handshake_rejected")
            object.set("http_status", status.map { .int(Int64($0)) })
            let headers = open.response?.headers ?? []
            object.set("status", headerValue(headers, "Handshake-Status").map(JSONValue.string))
            object.set("message", headerValue(headers, "Handshake-Msg").map(JSONValue.string))
            object.set("error", open.error.map(JSONValue.string))
            return object.value
        }
        var object = context.start("event", "connect")
        object.set("url", .string(open.url))
        return object.value
    }

    public static func close(_ close: WebSocketClose, context: RecordContext) -> JSONValue {
        var object = context.start("event", "disconnect")
        object.set("code", close.code.map { .int(Int64($0)) })
        object.set("by", .string(close.by.rawValue))
        return object.value
    }

    private static func headerValue(_ headers: [HTTPHeader], _ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    private static func start(_ name: String, _ message: DecodedMessage, _ context: RecordContext) -> JSONObjectBuilder {
        var object = context.start("event", name)
        object.set("msg_id", message.msgID.map { .string(String($0)) })
        return object
    }

    private static func id(_ n: Int64) -> JSONValue { .string(String(n)) }

    private static func user(_ user: User) -> JSONValue {
        var object = JSONObjectBuilder()
        object.set("id", id(user.id))
        object.set("display_id", .string(user.displayID))
        object.set("nickname", .string(user.nickname))
        return object.value
    }

    private static func decode<M: SwiftProtobuf.Message>(_ type: M.Type, _ message: DecodedMessage) throws -> M {
        try M(serializedBytes: Array(message.payload), partial: true)
    }

    private static func event(for message: DecodedMessage, context: RecordContext) throws -> JSONValue? {
        switch message.method {
        case "WebcastChatMessage":
            let chat = try decode(WebcastChatMessage.self, message)
            var object = start("comment", message, context)
            object.set("user", user(chat.user))
            object.set("text", .string(chat.content))
            if !chat.contentLanguage.isEmpty { object.set("language", .string(chat.contentLanguage)) }
            return object.value
        case "WebcastEmoteChatMessage":
            let chat = try decode(WebcastEmoteChatMessage.self, message)
            var object = start("emote_chat", message, context)
            object.set("user", user(chat.user))
            object.set("emotes", .array(chat.emoteList.map { .string($0.emoteID) }))
            return object.value
        case "WebcastGiftMessage":
            let gift = try decode(WebcastGiftMessage.self, message)
            let streakable = gift.gift.type == 1
            var object = start("gift", message, context)
            object.set("user", user(gift.user))
            if gift.hasToUser { object.set("to_user", user(gift.toUser)) }
            var detail = JSONObjectBuilder()
            detail.set("id", id(gift.gift.id != 0 ? gift.gift.id : gift.giftID))
            detail.set("name", .string(gift.gift.name))
            detail.set("diamond_count", .int(Int64(gift.gift.diamondCount)))
            detail.set("streakable", .bool(streakable))
            object.set("gift", detail.value)
            object.set("group_id", id(gift.groupID))
            object.set("repeat_count", .int(Int64(gift.repeatCount)))
            // A streakable gift repeats while the streak runs; its final count arrives with repeat_end.
            object.set("streak", streakable ? .string(gift.repeatEnd == 1 ? "end" : "ongoing") : .null)
            object.set("diamonds", .int(Int64(gift.gift.diamondCount) * Int64(max(gift.repeatCount, 1))))
            return object.value
        case "WebcastLikeMessage":
            let like = try decode(WebcastLikeMessage.self, message)
            var object = start("like", message, context)
            object.set("user", user(like.user))
            object.set("count", .int(Int64(like.count)))
            object.set("total", id(like.total))
            return object.value
        case "WebcastMemberMessage":
            let member = try decode(WebcastMemberMessage.self, message)
            var object = start("join", message, context)
            object.set("user", user(member.user))
            object.set("action", .int(Int64(member.action)))
            object.set("member_count", .int(Int64(member.memberCount)))
            return object.value
        case "WebcastSocialMessage":
            let social = try decode(WebcastSocialMessage.self, message)
            let key = social.common.displayText.key.lowercased()
            let name = key.contains("follow") ? "follow" : key.contains("share") ? "share" : "social"
            var object = start(name, message, context)
            object.set("user", user(social.user))
            object.set("action", id(social.action))
            if name == "follow" { object.set("follow_count", id(social.followCount)) }
            if name == "share" {
                object.set("share_type", id(social.shareType))
                object.set("share_count", .int(Int64(social.shareCount)))
            }
            return object.value
        case "WebcastSubNotifyMessage":
            let sub = try decode(WebcastSubNotifyMessage.self, message)
            var object = start("subscribe", message, context)
            object.set("user", user(sub.user))
            object.set("sub_month", id(sub.subMonth))
            return object.value
        case "WebcastRoomUserSeqMessage":
            let seq = try decode(WebcastRoomUserSeqMessage.self, message)
            var object = start("viewer_count", message, context)
            object.set("viewers", id(seq.total))
            object.set("total_user", id(seq.totalUser))
            object.set("top", .array(seq.ranks.map { contributor in
                ["rank": id(contributor.rank), "score": id(contributor.score), "user": user(contributor.user)]
            }))
            return object.value
        case "WebcastControlMessage":
            let control = try decode(WebcastControlMessage.self, message)
            let name: String
            switch control.action {
            case 1: name = "live_pause"
            case 2: name = "live_unpause"
            case 3, 4: name = "live_end"
            default: name = "control"
            }
            var object = start(name, message, context)
            object.set("action", .int(Int64(control.action)))
            return object.value
        case "WebcastQuestionNewMessage":
            let question = try decode(WebcastQuestionNewMessage.self, message)
            var object = start("question", message, context)
            object.set("user", user(question.data.user))
            object.set("question_id", id(question.data.questionID))
            object.set("text", .string(question.data.content))
            return object.value
        case "WebcastEnvelopeMessage":
            let envelope = try decode(WebcastEnvelopeMessage.self, message)
            var object = start("envelope", message, context)
            object.set("envelope_id", .string(envelope.envelopeInfo.envelopeID))
            object.set("sender", .string(envelope.envelopeInfo.sendUserName))
            object.set("diamond_count", .int(Int64(envelope.envelopeInfo.diamondCount)))
            object.set("people_count", .int(Int64(envelope.envelopeInfo.peopleCount)))
            return object.value
        case "WebcastPollMessage":
            let poll = try decode(WebcastPollMessage.self, message)
            var object = start("poll", message, context)
            object.set("poll_id", id(poll.pollID))
            object.set("message_type", id(poll.messageType))
            return object.value
        case "WebcastGoalUpdateMessage":
            let goal = try decode(WebcastGoalUpdateMessage.self, message)
            var object = start("goal_update", message, context)
            object.set("goal_id", id(goal.goal.id))
            object.set("contributor_id", id(goal.contributorID))
            object.set("contribute_count", id(goal.contributeCount))
            return object.value
        case "WebcastInRoomBannerMessage":
            _ = try decode(WebcastInRoomBannerMessage.self, message)
            return start("in_room_banner", message, context).value
        case "WebcastImDeleteMessage":
            let delete = try decode(WebcastImDeleteMessage.self, message)
            var object = start("im_delete", message, context)
            object.set("msg_ids", .array(delete.deleteMsgIds.map(id)))
            object.set("user_ids", .array(delete.deleteUserIds.map(id)))
            return object.value
        case "WebcastRankUpdateMessage":
            let rank = try decode(WebcastRankUpdateMessage.self, message)
            var object = start("rank_update", message, context)
            object.set("updates", .array(rank.updates.map { ["rank_type": .int(Int64($0.rankType)), "own_rank": id($0.ownRank)] }))
            return object.value
        case "WebcastCaptionMessage":
            let caption = try decode(WebcastCaptionMessage.self, message)
            var object = start("caption", message, context)
            object.set("lines", .array(caption.content.map { ["lang": .string($0.lang), "text": .string($0.content)] }))
            return object.value
        case "WebcastLinkMicBattle":
            let battle = try decode(WebcastLinkMicBattle.self, message)
            var object = start("link_mic_battle", message, context)
            object.set("battle_id", id(battle.battleID))
            object.set("action", .int(Int64(battle.action)))
            return object.value
        case "WebcastLinkMicArmies":
            let armies = try decode(WebcastLinkMicArmies.self, message)
            var object = start("link_mic_armies", message, context)
            object.set("battle_id", id(armies.battleID))
            object.set("gift_id", id(armies.giftID))
            object.set("total_diamond_count", .int(Int64(armies.totalDiamondCount)))
            return object.value
        default:
            var object = start("unknown", message, context)
            object.set("method", .string(message.method))
            object.set("payload_size", .int(Int64(message.payload.count)))
            return object.value
        }
    }
}
