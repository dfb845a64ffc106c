/// SplitMix64 (Steele, Lea & Flood 2014): the synthesizer's only source of randomness.
///
/// Deliberately not a `RandomNumberGenerator`: the standard library's `random(in:using:)`,
/// `shuffled(using:)` and friends may change their algorithms between Swift releases, which
/// would silently change regenerated fixtures. Every derived value here is plain integer
/// arithmetic, so the same seed gives the same sequence on every platform and toolchain.
struct SeededRandom: Sendable {
    private(set) var state: UInt64

    init(seed: UInt64) { state = seed }

    /// An independent stream for one purpose (users, timeline, content, …), so that changing
    /// how much one part of the synthesizer draws does not reshuffle the others.
    init(seed: UInt64, stream: UInt64) {
        var mixer = SeededRandom(seed: seed ^ (stream &* 0xD6E8_FEB8_6659_FD93))
        state = mixer.next()
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in `0..<bound` (multiply-high; the bias is below 2^-40 for our bounds).
    mutating func below(_ bound: UInt64) -> UInt64 {
        precondition(bound > 0, "empty range")
        return next().multipliedFullWidth(by: bound).high
    }

    /// Uniform in `range`.
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        let span = UInt64(range.upperBound - range.lowerBound) + 1
        return range.lowerBound + Int(below(span))
    }

    /// Uniform in `range` (64-bit).
    mutating func int64(_ range: ClosedRange<Int64>) -> Int64 {
        let span = UInt64(bitPattern: range.upperBound &- range.lowerBound) &+ 1
        return range.lowerBound &+ Int64(bitPattern: span == 0 ? next() : below(span))
    }

    /// True with probability `permille / 1000`.
    mutating func chance(_ permille: Int) -> Bool {
        Int(below(1000)) < permille
    }

    /// True with probability `p` (0...1), resolved to parts per million.
    mutating func chance(probability p: Double) -> Bool {
        let ppm = UInt64((min(max(p, 0), 1) * 1_000_000).rounded())
        return below(1_000_000) < ppm
    }

    /// One element of a non-empty array.
    mutating func pick<T>(_ items: [T]) -> T {
        items[Int(below(UInt64(items.count)))]
    }

    /// An index chosen with integer weights.
    mutating func weighted(_ weights: [Int]) -> Int {
        let total = weights.reduce(0, +)
        precondition(total > 0, "no positive weight")
        var roll = Int(below(UInt64(total)))
        for (index, weight) in weights.enumerated() {
            if roll < weight { return index }
            roll -= weight
        }
        return weights.count - 1
    }

    /// `count` random bytes.
    mutating func bytes(_ count: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            var word = next()
            for _ in 0..<8 where out.count < count {
                out.append(UInt8(truncatingIfNeeded: word))
                word >>= 8
            }
        }
        return out
    }

    /// `count` characters drawn from `alphabet`.
    mutating func string(_ count: Int, from alphabet: String) -> String {
        let chars = Array(alphabet)
        var s = ""
        for _ in 0..<count { s.append(chars[Int(below(UInt64(chars.count)))]) }
        return s
    }

    /// Lower-case hex of `count` random bytes.
    mutating func hex(_ count: Int) -> String {
        let digits = Array("0123456789abcdef")
        var s = ""
        for b in bytes(count) {
            s.append(digits[Int(b >> 4)])
            s.append(digits[Int(b & 15)])
        }
        return s
    }
}
