import JSONKit

/// The time series of a capture, for its timeline chart: viewers (the last
/// `WebcastRoomUserSeqMessage.total`), messages per method and the diamonds of completed gifts,
/// per bucket. Buckets start one second wide; whenever a session would need more than
/// `bucketLimit` of them, neighbours are merged and the width doubles, so memory stays bounded
/// however long the capture is.
struct Timeline: Sendable {
    /// Buckets kept at most.
    static let bucketLimit = 600
    /// Methods with a series of their own; messages of further methods count as `other`.
    static let seriesLimit = 12
    /// The series name of the methods past `seriesLimit`.
    static let otherSeries = "other"

    struct Bucket: Sendable {
        var messages: [Int] = []
        var viewers: Int64?
        var diamonds: Int64 = 0

        mutating func merge(_ later: Bucket) {
            for (index, n) in later.messages.enumerated() { add(n, at: index) }
            viewers = later.viewers ?? viewers
            diamonds += later.diamonds
        }

        mutating func add(_ n: Int, at index: Int) {
            if messages.count <= index { messages += Array(repeating: 0, count: index + 1 - messages.count) }
            messages[index] += n
        }
    }

    /// Width of one bucket, in microseconds.
    private(set) var bucketMicros: UInt64 = 1_000_000
    private var start: UInt64?
    /// The message series, in the order their methods first appeared.
    private(set) var series: [String] = []
    private(set) var buckets: [Bucket] = []

    init() {}

    /// Stretches the time axis to `time`, a record of the capture: the first one starts it.
    mutating func reach(_ time: UInt64) {
        _ = bucket(for: time)
    }

    /// Adds one decoded message of `method` received at `time`.
    mutating func add(method: String, fields: JSONValue, at time: UInt64) {
        let index = bucket(for: time)
        buckets[index].add(1, at: seriesIndex(method))
        switch method {
        case "WebcastRoomUserSeqMessage":
            if let total = fields["total"]?.intValue { buckets[index].viewers = total }
        case "WebcastGiftMessage":
            buckets[index].diamonds += Self.diamonds(of: fields)
        default:
            break
        }
    }

    /// The diamonds a gift message completes: a single gift, or the end of a streak (the
    /// intermediate messages of a streak add nothing).
    static func diamonds(of gift: JSONValue) -> Int64 {
        let streakable = gift["gift"]?["type"]?.intValue == 1
        guard !streakable || gift["repeat_end"]?.intValue == 1 else { return 0 }
        let each = gift["gift"]?["diamond_count"]?.intValue ?? 0
        return each * max(1, gift["repeat_count"]?.intValue ?? 1) * max(1, gift["group_count"]?.intValue ?? 1)
    }

    private mutating func seriesIndex(_ method: String) -> Int {
        if let index = series.firstIndex(of: method) { return index }
        if series.count < Self.seriesLimit {
            series.append(method)
            return series.count - 1
        }
        if series.count == Self.seriesLimit { series.append(Self.otherSeries) }
        return Self.seriesLimit
    }

    private mutating func bucket(for time: UInt64) -> Int {
        if start == nil { start = time }
        let offset = time - min(time, start ?? time)
        while offset / bucketMicros >= UInt64(Self.bucketLimit) { coarsen() }
        let index = Int(offset / bucketMicros)
        if buckets.count <= index { buckets += Array(repeating: Bucket(), count: index + 1 - buckets.count) }
        return index
    }

    /// Merges neighbouring buckets and doubles the width.
    private mutating func coarsen() {
        var merged: [Bucket] = []
        merged.reserveCapacity(buckets.count / 2 + 1)
        for pair in stride(from: 0, to: buckets.count, by: 2) {
            var bucket = buckets[pair]
            if pair + 1 < buckets.count { bucket.merge(buckets[pair + 1]) }
            merged.append(bucket)
        }
        buckets = merged
        bucketMicros *= 2
    }

    // MARK: JSON

    /// The series as a report entry: `bucket_seconds`, `viewers` (null where a bucket has no
    /// count), `gift_diamonds` and `messages` (per series, per bucket).
    var json: JSONValue {
        var o = JSONObjectBuilder()
        o.set("bucket_seconds", .double(Double(bucketMicros) / 1e6))
        o.set("viewers", .array(buckets.map { $0.viewers.map { .int($0) } ?? .null }))
        o.set("gift_diamonds", .array(buckets.map { .int($0.diamonds) }))
        o.set("messages", .object(series.enumerated().map { index, name in
            (name, .array(buckets.map { .int(Int64(index < $0.messages.count ? $0.messages[index] : 0)) }))
        }))
        return o.value
    }
}
