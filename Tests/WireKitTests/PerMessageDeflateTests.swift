import Testing
import WireKit

/// permessage-deflate negotiation (RFC 7692 §7.1).
struct PerMessageDeflateNegotiationTests {
    @Test func extensionHeadersSplitIntoElementsAndParameters() {
        let elements = WebSocketExtension.parse(["permessage-deflate; client_max_window_bits, x-other", "Permessage-Deflate;server_max_window_bits=\"10\""])
        #expect(elements.map(\.name) == ["permessage-deflate", "x-other", "permessage-deflate"])
        #expect(elements[0].parameters == [.init(name: "client_max_window_bits", value: nil)])
        #expect(elements[2].parameters == [.init(name: "server_max_window_bits", value: "10")])
    }

    @Test(arguments: [
        ("permessage-deflate", "permessage-deflate"),
        ("permessage-deflate; client_max_window_bits", "permessage-deflate"),
        ("permessage-deflate; client_max_window_bits=10", "permessage-deflate"),
        ("permessage-deflate; server_no_context_takeover", "permessage-deflate; server_no_context_takeover"),
        ("permessage-deflate; client_no_context_takeover", "permessage-deflate; client_no_context_takeover"),
        ("permessage-deflate; server_max_window_bits=8", "permessage-deflate; server_max_window_bits=8"),
        ("x-webkit-deflate-frame, permessage-deflate; server_max_window_bits=16, permessage-deflate; server_max_window_bits=15",
         "permessage-deflate; server_max_window_bits=15"),
    ])
    func theServerAcceptsTheFirstValidOffer(offer: String, accepted: String) {
        #expect(PerMessageDeflate.accept(offeredIn: [offer])?.headerValue == accepted)
    }

    @Test(arguments: [
        "x-webkit-deflate-frame",
        "permessage-deflate; server_max_window_bits",
        "permessage-deflate; server_max_window_bits=7",
        "permessage-deflate; server_max_window_bits=010",
        "permessage-deflate; client_no_context_takeover=1",
        "permessage-deflate; client_no_context_takeover; client_no_context_takeover",
        "permessage-deflate; unknown_parameter",
    ])
    func invalidOffersAreDeclined(offer: String) {
        #expect(PerMessageDeflate.accept(offeredIn: [offer]) == nil)
    }

    @Test func theClientChecksTheAnswerAgainstItsOffers() throws {
        let browser = PerMessageDeflate.offers(in: ["permessage-deflate; client_max_window_bits"])
        #expect(try PerMessageDeflate.accepted(inResponse: [], offers: browser) == nil)
        #expect(try PerMessageDeflate.accepted(inResponse: ["permessage-deflate; client_max_window_bits=9"], offers: browser)?.clientMaxWindowBits == 9)
        let plain = PerMessageDeflate.offers(in: ["permessage-deflate"])
        #expect(throws: PerMessageDeflate.NegotiationError.self) {
            try PerMessageDeflate.accepted(inResponse: ["permessage-deflate; client_max_window_bits=9"], offers: plain)
        }
        let limited = PerMessageDeflate.offers(in: ["permessage-deflate; server_no_context_takeover; server_max_window_bits=10"])
        #expect(throws: PerMessageDeflate.NegotiationError.self) {
            try PerMessageDeflate.accepted(inResponse: ["permessage-deflate; server_max_window_bits=10"], offers: limited)
        }
        #expect(throws: PerMessageDeflate.NegotiationError.self) {
            try PerMessageDeflate.accepted(inResponse: ["permessage-deflate; server_no_context_takeover; server_max_window_bits=12"], offers: limited)
        }
        #expect(try PerMessageDeflate.accepted(inResponse: ["permessage-deflate; server_no_context_takeover; server_max_window_bits=9"], offers: limited) != nil)
    }

    /// A deflater limited to an 8-bit window (zlib's smallest raw window is 9 bits) never reaches
    /// farther back than an inflater with a 256-byte window can follow.
    @Test func an8BitWindowIsHonoured() throws {
        let deflater = StreamingDeflater(windowBits: 8)
        let inflater = StreamingInflater(windowBits: 8)
        var text: [UInt8] = []
        for i in 0..<2000 { text += Array("line \(i % 37) of a repetitive text \(i % 5)\n".utf8) }
        for chunk in stride(from: 0, to: text.count, by: 4096).map({ Array(text[$0..<min(text.count, $0 + 4096)]) }) {
            #expect(try inflater.inflate(deflater.deflate(chunk)) == chunk)
        }
        // The same text from a full-size window does reach farther back.
        #expect(throws: InflateError.self) { try StreamingInflater(windowBits: 8).inflate(StreamingDeflater().deflate(text)) }
    }
}
