import Foundation
import JSONKit
import SwiftProtobuf
import Testing
import WebcastProto

@Suite struct TimelineTests {
    @Test func longCapturesGetWiderBucketsNotMoreOfThem() throws {
        var capture = SynthesizedCapture()
        capture.receive(2000, "WebcastLikeMessage") { _ in WireField.int(2, 1) }
        let timeline = try #require(capture.report["timeline"])
        #expect(timeline["bucket_seconds"] == .double(4))
        let likes = try #require(timeline["messages"]?["WebcastLikeMessage"]?.arrayValue)
        #expect(likes.count == 500)
        #expect(likes.compactMap(\.intValue).reduce(0, +) == 2000)
        #expect(likes.allSatisfy { $0 == 4 })
    }

    @Test func viewersAndTheDiamondsOfCompletedGifts() throws {
        func gift(diamonds: Int32, streakable: Bool, repeatCount: Int32, end: Bool) -> [UInt8] {
            let message = WebcastGiftMessage.with {
                $0.repeatCount = repeatCount
                $0.repeatEnd = end ? 1 : 0
                $0.gift = Gift.with { $0.type = streakable ? 1 : 2; $0.diamondCount = diamonds }
            }
            return [UInt8]((try? message.serializedData()) ?? Data())
        }
        var capture = SynthesizedCapture()
        capture.receive(3, "WebcastRoomUserSeqMessage") { WireField.int(3, Int64(800 + $0)) }
        // A streak of three 5-diamond gifts (only its end counts), then a single 100-diamond gift.
        capture.receive(3, "WebcastGiftMessage") { gift(diamonds: 5, streakable: true, repeatCount: Int32($0 + 1), end: $0 == 2) }
        capture.receive(1, "WebcastGiftMessage") { _ in gift(diamonds: 100, streakable: false, repeatCount: 1, end: true) }
        let timeline = try #require(capture.report["timeline"])
        #expect(timeline["bucket_seconds"] == .double(1))
        #expect(timeline["viewers"] == [800, 801, 802, .null, .null, .null, .null])
        #expect(timeline["gift_diamonds"] == [0, 0, 0, 0, 0, 15, 100])
        #expect(timeline["messages"]?["WebcastGiftMessage"] == [0, 0, 0, 1, 1, 1, 1])
    }

    @Test func theTimelineSpansTheWholeCapture() throws {
        var capture = SynthesizedCapture(5, "WebcastRoomUserSeqMessage") { WireField.int(3, Int64(900 + $0)) }
        capture.close(after: 15)
        let timeline = try #require(capture.report["timeline"])
        #expect(timeline["viewers"]?.arrayValue?.count == 20)
        #expect(timeline["messages"]?["WebcastRoomUserSeqMessage"]?.arrayValue?.compactMap(\.intValue).reduce(0, +) == 5)
    }

    @Test func methodsPastTheSeriesLimitShareOneSeries() throws {
        var capture = SynthesizedCapture()
        for index in 0..<15 {
            capture.receive(1, "WebcastMethod\(index)") { _ in [] }
        }
        let series = seriesNames(try #require(capture.report["timeline"]?["messages"]))
        #expect(series.count == 13)
        #expect(series.last == "other")
    }
}

/// The series names of a timeline's `messages`, in order.
private func seriesNames(_ messages: JSONValue) -> [String] {
    guard case .object(let pairs) = messages else { return [] }
    return pairs.map(\.0)
}
