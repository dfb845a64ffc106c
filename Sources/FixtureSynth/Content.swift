// Word lists the synthesizer draws from: nicknames, handles, chat lines, gifts.
// Order matters (draws index into these arrays); append rather than reorder.

enum Content {
    /// Nicknames used first, as written (CJK, emoji, diacritics, RTL scripts).
    static let nicknames: [String] = [
        "好綠茶喔", "不错看啊", "🎉主播加油", "Ünïcödé", "さくら🌸", "민지", "Лёша", "أحمد ✨",
        "María José", "Zoë", "ナナ☆", "小熊猫🐼", "Ngọc Anh", "Çağrı", "Søren", "🔥FireFox🔥",
        "Łukasz", "ปลาทอง", "Dũng", "Anaïs", "😴sleepy", "निशा", "فاطمة", "Jürgen",
        "𝓜𝓲𝓴𝓪", "ℬ𝑒𝓁𝓁𝒶", "ミカ推し", "老铁666", "阿杰", "Ольга 💕", "ジュン", "한결",
        "Renée", "Björk fan", "💜BTS ARMY💜", "Ñandú", "Ιωάννα", "Γιώργος", "Chloé 🦋", "Mateus",
    ]

    /// Given names for generated nicknames and handles (ASCII, lower-cased for handles).
    static let givenNames: [String] = [
        "Mika", "Jade", "Leo", "Nora", "Kai", "Luna", "Omar", "Ivy", "Theo", "Maya", "Eli", "Aria",
        "Ravi", "Sofia", "Yuki", "Noah", "Lina", "Diego", "Amara", "Finn", "Hana", "Jonas", "Zara",
        "Ken", "Elif", "Malik", "Rosa", "Tariq", "Nia", "Sven", "Priya", "Lucas", "Mei", "Ayo",
        "Carmen", "Jun", "Freya", "Hugo", "Leila", "Tomas",
    ]

    /// Decorations appended to generated nicknames.
    static let decorations: [String] = [
        "", "", "", " ✨", " 🌙", "🎮", " 💫", "_", " ♡", " 🍓", "🐾", " 🇧🇷", " 🇯🇵", " 🇲🇽", " 🇵🇭", " 🇹🇷", "🎧",
    ]

    /// Romanized handles for the fixed nicknames (same order).
    static let nicknameHandles: [String] = [
        "greentea.hao", "buchou.kan", "zhubo.jiayou", "unicode.fan", "sakura.petal", "minji_kr", "lyosha.msk", "ahmed.sparkle",
        "mariajose.mx", "zoe.starr", "nana.star", "xiaoxiongmao", "ngocanh.vn", "cagri.tr", "soren.dk", "firefox.flame",
        "lukasz.pl", "plathong", "dung.saigon", "anais.paris", "sleepy.zz", "nisha.in", "fatima.rose", "juergen.de",
        "mika.script", "bella.script", "mika.oshi", "laotie666", "ajie.tw", "olga.heart", "jun.jp", "hangyeol",
        "renee.qc", "bjork.fan", "army.purple", "nandu.ar", "ioanna.gr", "giorgos.gr", "chloe.butterfly", "mateus.br",
    ]

    /// Chat lines with their BCP-47-ish language tag.
    static let chatLines: [(text: String, language: String)] = [
        ("hiii from Manila 🇵🇭", "en"), ("love this song 😍😍", "en"), ("what's the song name?", "en"),
        ("first time here 👋", "en"), ("you're so talented!!", "en"), ("lol 😂😂😂", "en"),
        ("can you say hi to me?", "en"), ("where are you from?", "en"), ("the vibes tonight ✨", "en"),
        ("GG", "en"), ("❤️❤️❤️", "und"), ("🔥🔥🔥", "und"), ("😭😭 so good", "en"),
        ("主播好漂亮", "zh-Hans"), ("这首歌叫什么名字？", "zh-Hans"), ("好綠茶喔 哈哈哈", "zh-Hant"),
        ("晚上好！", "zh-Hans"), ("來了來了 🙌", "zh-Hant"), ("不错看啊 👍", "zh-Hans"),
        ("こんばんは〜", "ja"), ("かわいい💕", "ja"), ("初見です！", "ja"), ("この曲好き", "ja"),
        ("안녕하세요!", "ko"), ("노래 너무 좋아요 🎶", "ko"), ("대박 ㅋㅋㅋ", "ko"),
        ("hola desde México 🇲🇽", "es"), ("qué bonita canción", "es"), ("saludos!!", "es"),
        ("que voz linda 😍", "pt"), ("boa noite Brasil 🇧🇷", "pt"), ("manda um salve!", "pt"),
        ("привет из Москвы", "ru"), ("класс 👏", "ru"), ("مرحبا من القاهرة", "ar"),
        ("ما شاء الله 🌹", "ar"), ("नमस्ते 🙏", "hi"), ("bagus banget kak", "id"),
        ("selamat malam semua", "id"), ("merhaba 🇹🇷", "tr"), ("çok güzel!", "tr"),
        ("xin chào mọi người", "vi"), ("สวัสดีค่ะ", "th"), ("Grüße aus Köln", "de"),
        ("c'est trop beau 🥹", "fr"), ("ciao a tutti", "it"), ("👀", "und"), ("🎂 it's my birthday!", "en"),
        ("play it again pls 🙏", "en"), ("followed ✅", "en"), ("how old are you?", "en"),
        ("Ünïcödé test: naïve café façade", "en"), ("ok 👌🏽", "en"), ("👨‍👩‍👧‍👦 family watching", "en"),
        ("🏳️‍🌈 love from everyone", "en"), ("zzz it's 3am here 😴", "en"),
    ]

    /// Captions (live speech-to-text of the streamer).
    static let captionLines: [(text: String, language: String)] = [
        ("thank you so much for the rose", "en"), ("okay this next one is a request", "en"),
        ("hi everyone welcome in", "en"), ("let me know where you're watching from", "en"),
        ("we're almost at the goal, thank you guys", "en"), ("I'll be back in one second", "en"),
        ("this song is called midnight city", "en"), ("don't forget to tap the screen", "en"),
    ]

    /// Viewer questions.
    static let questions: [String] = [
        "What microphone do you use?", "Can you sing in Japanese?", "你每天几点直播？",
        "¿Cuándo es el próximo live?", "What's your favorite song to cover?", "Do you have a Spotify?",
    ]

    /// Poll titles and options.
    static let polls: [(title: String, options: [String])] = [
        ("Next song?", ["Midnight City", "夜に駆ける", "Dákiti"]),
        ("Which color for the new guitar?", ["Sunburst", "Black", "Seafoam"]),
    ]

    /// Gifts: (id, name, diamonds, streakable).
    static let gifts: [(id: Int64, name: String, diamonds: Int32, streakable: Bool)] = [
        (5655, "Rose", 1, true), (5269, "TikTok", 1, true), (5487, "Finger Heart", 5, true),
        (5827, "Ice Cream Cone", 1, true), (6064, "GG", 1, true), (7934, "Heart Me", 1, true),
        (5879, "Doughnut", 30, true), (5658, "Perfume", 20, true), (6427, "Hat and Mustache", 99, true),
        (5585, "Confetti", 100, false), (6267, "Corgi", 299, false), (7168, "Money Gun", 500, false),
        (11046, "Galaxy", 1000, false), (6369, "Lion", 29999, false), (7312, "TikTok Universe", 34999, false),
    ]

    /// Weights matching `gifts` (cheap streakable gifts dominate).
    static let giftWeights: [Int] = [40, 14, 10, 8, 6, 6, 4, 3, 2, 3, 2, 1, 1, 1, 1]

    /// Emote ids of the streamer's subscriber emotes.
    static let emotes: [String] = [
        "7291537492847216385", "7291537492847216386", "7291537492847216387", "7308863212419910418",
    ]

    /// Base-64url alphabet (sec_uid and tokens).
    static let base64url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
}
