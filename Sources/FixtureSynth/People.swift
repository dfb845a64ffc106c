import WebcastProto

/// One synthetic TikTok account and its `User` message.
struct Persona: Sendable {
    var id: Int64
    var displayID: String
    var nickname: String
    var isSubscriber: Bool
    var isFollower: Bool
    var isModerator: Bool
    var user: User
}

enum People {
    /// The viewer pool: `count` personas with unique 64-bit ids and unique handles.
    /// The first ones use `Content.nicknames` verbatim (CJK, emoji, diacritics, RTL).
    static func pool(count: Int, rng: inout SeededRandom) -> [Persona] {
        var out: [Persona] = []
        var handles = Set<String>()
        var ids = Set<Int64>()
        out.reserveCapacity(count)
        for index in 0..<count {
            let nickname: String
            var handle: String
            if index < Content.nicknames.count {
                nickname = Content.nicknames[index]
                handle = Content.nicknameHandles[index]
            } else {
                let name = rng.pick(Content.givenNames)
                nickname = name + rng.pick(Content.decorations)
                let separator = rng.pick(["", ".", "_", "__"])
                handle = name.lowercased() + separator + String(rng.int(1...9999))
            }
            while handles.contains(handle) { handle += String(rng.int(0...9)) }
            handles.insert(handle)
            var id = rng.int64(6_700_000_000_000_000_000...7_440_000_000_000_000_000)
            while ids.contains(id) { id += 1 }
            ids.insert(id)
            let level = rng.chance(300) ? Int32(rng.int(1...40)) : nil
            let followerCap = rng.pick([200, 2_000, 40_000])
            out.append(make(
                id: id, handle: handle, nickname: nickname, level: level,
                followers: Int64(rng.int(0...followerCap)),
                following: Int64(rng.int(10...3_000)),
                isSubscriber: rng.chance(60), isFollower: rng.chance(450), isModerator: rng.chance(15),
                rng: &rng))
        }
        return out
    }

    /// The streamer (anchor) of the room.
    static func anchor(handle: String, rng: inout SeededRandom) -> Persona {
        make(
            id: rng.int64(6_800_000_000_000_000_000...7_100_000_000_000_000_000), handle: handle,
            nickname: "Mika 🎸 lofi nights", level: nil, followers: 184_233, following: 312,
            isSubscriber: false, isFollower: false, isModerator: false, rng: &rng)
    }

    /// The opponent in a link-mic battle.
    static func opponent(rng: inout SeededRandom) -> Persona {
        make(
            id: rng.int64(6_800_000_000_000_000_000...7_100_000_000_000_000_000), handle: "dj.renata.live",
            nickname: "DJ Renata 🎶", level: nil, followers: 96_410, following: 87,
            isSubscriber: false, isFollower: false, isModerator: false, rng: &rng)
    }

    static func avatar(_ key: String) -> ImageModel {
        ImageModel.with {
            $0.urlList = ["https://p16-sign-va.tiktokcdn.com/tos-maliva-avt-0068/\(key)~tplv-tiktokx-cropcenter:100:100.webp"]
            $0.uri = "100x100/tos-maliva-avt-0068/\(key)"
            $0.width = 100
            $0.height = 100
        }
    }

    private static func make(
        id: Int64, handle: String, nickname: String, level: Int32?, followers: Int64, following: Int64,
        isSubscriber: Bool, isFollower: Bool, isModerator: Bool, rng: inout SeededRandom
    ) -> Persona {
        let avatarKey = rng.hex(16)
        let secUID = "MS4wLjABAAAA" + rng.string(64, from: Content.base64url)
        let user = User.with { u in
            u.id = id
            u.nickname = nickname
            u.avatarThumb = avatar(avatarKey)
            u.followInfo = FollowInfo.with {
                $0.followingCount = following
                $0.followerCount = followers
                $0.followStatus = isFollower ? 1 : 0
            }
            u.displayID = handle
            u.secUid = secUID
            if let level {
                u.badgeList = [BadgeStruct.with {
                    $0.displayType = 4
                    $0.sceneType = 8
                    $0.display = true
                    $0.str = StringBadge.with { $0.displayType = 4; $0.str = String(level) }
                }]
            }
            u.idStr = String(id)
            u.isFollower = isFollower
        }
        return Persona(
            id: id, displayID: handle, nickname: nickname, isSubscriber: isSubscriber,
            isFollower: isFollower, isModerator: isModerator, user: user)
    }
}
