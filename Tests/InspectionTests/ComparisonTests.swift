@testable import Inspection
import JSONKit
import Testing

/// `count` like messages; the first `withEffect` carry `effect_cnt`, and every one carries
/// `extra` after its count.
private func likes(_ count: Int, withEffect rare: Int = 0, extra: [UInt8] = []) -> SynthesizedCapture {
    var capture = SynthesizedCapture()
    capture.receive(count, "WebcastLikeMessage") { index in
        WireField.int(2, 1) + (index < rare ? WireField.int(9, 4) : []) + extra
    }
    return capture
}

@Suite struct SamplingNoiseTests {
    @Test func aRareFieldMissingFromASmallerCaptureIsNoise() {
        #expect(likes(500, withEffect: 3).changes(to: likes(50)).isEmpty)
        #expect(likes(50).changes(to: likes(500, withEffect: 3)).isEmpty)
    }

    @Test func aRareFieldMissingFromALargeCaptureHasVanished() {
        let changes = likes(500, withEffect: 3).changes(to: likes(2000))
        #expect(changes.map(\.kind) == [.fieldVanished])
        #expect(changes.first?.subject == "WebcastLikeMessage.effect_cnt")
        #expect(changes.first?.old == "in 3 of 500 messages, string ×3", "64-bit integers are strings")
    }

    @Test func aRareMethodMissingFromASmallerCaptureIsNoise() {
        var old = likes(500)
        old.receive(3, "WebcastControlMessage") { _ in WireField.int(2, 1) }
        #expect(old.changes(to: likes(50)).isEmpty)
        let vanished = old.changes(to: likes(2000))
        #expect(vanished.map(\.kind) == [.methodVanished])
        #expect(vanished.first?.subject == "WebcastControlMessage")
    }

    @Test func noiseNeverOutranksARealChange() {
        var old = likes(500, withEffect: 3)
        old.receive(3, "WebcastControlMessage") { _ in WireField.int(2, 1) }
        let changes = old.changes(to: likes(50, extra: WireField.int(77, 9)))
        #expect(changes.map(\.kind) == [.unknownFieldAppeared])
        #expect(changes.first?.subject == "WebcastLikeMessage.77")
    }

    @Test func theRuleOfThumb() {
        #expect(!Sampling.isSignificant(seen: 3, in: 500, absentFrom: 50))
        #expect(Sampling.isSignificant(seen: 3, in: 500, absentFrom: 1000))
        #expect(!Sampling.isSignificant(seen: 2, in: 10, absentFrom: 10_000), "two sightings are not enough")
        #expect(!Sampling.isSignificant(seen: 5, in: 0, absentFrom: 10))
    }
}

@Suite struct DistributionShiftTests {
    @Test func aFieldAlwaysZeroThatIsNowSet() throws {
        let zeros = likes(100, extra: WireField.int(4, 0))
        let changes = zeros.changes(to: likes(100, extra: WireField.int(4, 7)))
        let change = try #require(changes.first)
        #expect(changes.count == 1)
        #expect(change.kind == .emptyFieldSet && change.subject == "WebcastLikeMessage.color")
        #expect(change.old == "0 or empty ×100" && change.new == "set in 100 of 100, e.g. 7")
        var rarely = likes(98, extra: WireField.int(4, 0))
        rarely.receive(2, "WebcastLikeMessage") { _ in WireField.int(4, 7) }
        #expect(zeros.changes(to: rarely).isEmpty, "set twice in 100 is noise")
    }

    @Test func aStringFieldThatBecameBytes() {
        let old = SynthesizedCapture(100, "WebcastChatMessage") { _ in WireField.bytes(3, Array("hello".utf8)) }
        let new = SynthesizedCapture(100, "WebcastChatMessage") { index in
            WireField.bytes(3, index % 3 == 0 ? [0x63, 0x61, 0x66, 0xC3, 0x28] : Array("hello".utf8))
        }
        let changes = old.changes(to: new)
        let shift = changes.first { $0.kind == .stringBecameBytes }
        #expect(shift?.subject == "WebcastChatMessage.content")
        #expect(shift?.new.hasPrefix("not UTF-8 ×34 of 100, e.g. bytes ") == true)
        #expect(changes.first?.kind == .decodeErrorsAppeared, "the decoder reports invalid UTF-8 as an error too")
        #expect(!changes.contains { $0.kind == .fieldTypeChanged })
    }

    @Test func aNumberWhoseRangeJumpedByOrdersOfMagnitude() {
        let old = SynthesizedCapture(100, "WebcastLikeMessage") { WireField.int(3, Int64($0 % 15 + 1)) }
        let new = SynthesizedCapture(100, "WebcastLikeMessage") { WireField.int(3, 100_000 + Int64($0)) }
        let outlier = SynthesizedCapture(100, "WebcastLikeMessage") { WireField.int(3, $0 == 50 ? 1_000_000 : Int64($0 % 15 + 1)) }
        let changes = old.changes(to: new)
        #expect(changes.map(\.kind) == [.valueRangeChanged])
        #expect(changes.first?.subject == "WebcastLikeMessage.total")
        #expect(changes.first?.old == "1…15 (100 values)" && changes.first?.new == "100000…100099 (100 values)")
        #expect(old.changes(to: outlier).isEmpty, "one outlier is noise")
        #expect(new.changes(to: old).map(\.kind) == [.valueRangeChanged], "a drop counts too")
    }

    /// 60 control messages whose action alternates 1, 2, but is 7 where `seven` says.
    private func controls(sevenWhere seven: (Int) -> Bool, extra: [UInt8] = []) -> SynthesizedCapture {
        SynthesizedCapture(60, "WebcastControlMessage") { WireField.int(2, seven($0) ? 7 : Int64($0 % 2 + 1)) + extra }
    }

    @Test func anEnumLikeFieldWithNewValues() {
        let old = controls { _ in false }
        let changes = old.changes(to: controls { $0 % 4 == 0 })
        #expect(changes.map(\.kind) == [.enumValuesAppeared])
        #expect(changes.first?.subject == "WebcastControlMessage.action")
        #expect(changes.first?.old == "1, 2" && changes.first?.new == "also 7 ×15")
        #expect(old.changes(to: controls { $0 == 30 }).isEmpty, "a value seen once is noise")
    }

    @Test func shiftsRankBelowStructuralChanges() {
        let new = controls(sevenWhere: { $0 % 4 == 0 }, extra: WireField.int(40, 1))
        #expect(controls { _ in false }.changes(to: new).map(\.kind) == [.unknownFieldAppeared, .enumValuesAppeared])
    }
}
