// The permessage-deflate extension's negotiation (RFC 7692 §7.1), shared by the push server,
// the tape client and capture import.

/// One element of a `Sec-WebSocket-Extensions` header: an extension name and its parameters.
public struct WebSocketExtension: Sendable, Hashable {
    public var name: String
    /// Parameters in order; a parameter without `=` has a nil value. Quoted values are unquoted.
    public var parameters: [Parameter]

    public struct Parameter: Sendable, Hashable {
        public var name: String
        public var value: String?

        public init(name: String, value: String?) {
            self.name = name
            self.value = value
        }
    }

    /// The elements of all `values` (each a comma-separated list, RFC 6455 §9.1), in order;
    /// names lowercased, empty elements skipped.
    public static func parse(_ values: [String]) -> [WebSocketExtension] {
        values.flatMap { split($0, on: ",") }.compactMap { element in
            let parts = split(element, on: ";").map { $0.trimmingWhitespace() }
            guard let name = parts.first, !name.isEmpty else { return nil }
            let parameters = parts.dropFirst().filter { !$0.isEmpty }.map { part -> Parameter in
                guard let equals = part.firstIndex(of: "=") else { return Parameter(name: part.lowercased(), value: nil) }
                var value = String(part[part.index(after: equals)...]).trimmingWhitespace()
                if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
                return Parameter(name: String(part[..<equals]).trimmingWhitespace().lowercased(), value: value)
            }
            return WebSocketExtension(name: name.lowercased(), parameters: parameters)
        }
    }

    /// `text` split on `separator` outside double quotes.
    private static func split(_ text: String, on separator: Character) -> [String] {
        var parts: [String] = [], current = "", quoted = false
        for character in text {
            if character == "\"" { quoted.toggle() }
            if character == separator && !quoted {
                parts.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        return parts + [current]
    }
}

/// The parameters of permessage-deflate (RFC 7692 §7.1): an offer from a client or the
/// server's acceptance. Window bits are log2 of the LZ77 window, 8...15; nil where the
/// parameter is absent.
public struct PerMessageDeflate: Sendable, Hashable {
    /// The server resets its compression window after every message.
    public var serverNoContextTakeover = false
    /// The client resets its compression window after every message.
    public var clientNoContextTakeover = false
    /// Largest window the server compresses with.
    public var serverMaxWindowBits: Int?
    /// Largest window the client compresses with. In an offer, a bare `client_max_window_bits`
    /// (the client can honour a limit) is 15.
    public var clientMaxWindowBits: Int?

    /// The extension's name in `Sec-WebSocket-Extensions`.
    public static let name = "permessage-deflate"

    public init(serverNoContextTakeover: Bool = false, clientNoContextTakeover: Bool = false,
                serverMaxWindowBits: Int? = nil, clientMaxWindowBits: Int? = nil) {
        self.serverNoContextTakeover = serverNoContextTakeover
        self.clientNoContextTakeover = clientNoContextTakeover
        self.serverMaxWindowBits = serverMaxWindowBits
        self.clientMaxWindowBits = clientMaxWindowBits
    }

    /// The parameters of `element`; nil when it is not permessage-deflate or a parameter is
    /// unknown, repeated or has an invalid value (§7.1: such an offer is declined, such a
    /// response fails the connection). `client_max_window_bits` may go without a value only in
    /// an offer.
    public init?(_ element: WebSocketExtension, isOffer: Bool) {
        guard element.name == Self.name,
              Set(element.parameters.map(\.name)).count == element.parameters.count else { return nil }
        for parameter in element.parameters {
            switch (parameter.name, parameter.value) {
            case ("server_no_context_takeover", nil): serverNoContextTakeover = true
            case ("client_no_context_takeover", nil): clientNoContextTakeover = true
            case ("server_max_window_bits", let value?):
                guard let bits = Self.windowBits(value) else { return nil }
                serverMaxWindowBits = bits
            case ("client_max_window_bits", nil) where isOffer: clientMaxWindowBits = 15
            case ("client_max_window_bits", let value?):
                guard let bits = Self.windowBits(value) else { return nil }
                clientMaxWindowBits = bits
            default: return nil
            }
        }
    }

    /// 8...15 written without leading zeros (§7.1.2).
    private static func windowBits(_ value: String) -> Int? {
        guard let bits = Int(value), (8...15).contains(bits), String(bits) == value else { return nil }
        return bits
    }

    /// The valid permessage-deflate offers in a client's `Sec-WebSocket-Extensions` values, in
    /// the client's order of preference.
    public static func offers(in values: [String]) -> [PerMessageDeflate] {
        WebSocketExtension.parse(values).compactMap { PerMessageDeflate($0, isOffer: true) }
    }

    /// What a server that can honour every parameter accepts of `values`: the first valid
    /// offer, with the client's window left as the client chooses. Nil when nothing valid is
    /// offered.
    public static func accept(offeredIn values: [String]) -> PerMessageDeflate? {
        guard var accepted = offers(in: values).first else { return nil }
        accepted.clientMaxWindowBits = nil
        return accepted
    }

    /// The permessage-deflate a server's `Sec-WebSocket-Extensions` values accepted; nil when
    /// they accept none. Throws when the accepted element is invalid or answers none of
    /// `offers` (§7.1: the client fails the connection).
    public static func accepted(inResponse values: [String], offers: [PerMessageDeflate]) throws(NegotiationError) -> PerMessageDeflate? {
        guard let element = WebSocketExtension.parse(values).first(where: { $0.name == name }) else { return nil }
        guard let accepted = PerMessageDeflate(element, isOffer: false), offers.contains(where: accepted.answers) else {
            throw NegotiationError(response: values)
        }
        return accepted
    }

    /// Whether a server may answer `offer` with these parameters (§7.1): a requested
    /// `server_no_context_takeover` or `server_max_window_bits` is honoured, and
    /// `client_max_window_bits` only limits a client that offered it.
    private func answers(_ offer: PerMessageDeflate) -> Bool {
        if offer.serverNoContextTakeover && !serverNoContextTakeover { return false }
        if let limit = offer.serverMaxWindowBits, (serverMaxWindowBits ?? 15) > limit { return false }
        return clientMaxWindowBits == nil || offer.clientMaxWindowBits != nil
    }

    /// A server's permessage-deflate answer that the client cannot accept.
    public struct NegotiationError: Error, CustomStringConvertible {
        /// The response's `Sec-WebSocket-Extensions` values.
        public var response: [String]

        public var description: String {
            "the server's Sec-WebSocket-Extensions \"\(response.joined(separator: ", "))\" answers no permessage-deflate offer of the client (RFC 7692 §7.1)"
        }
    }

    /// The parameters as a `Sec-WebSocket-Extensions` element.
    public var headerValue: String {
        var parts = [Self.name]
        if serverNoContextTakeover { parts.append("server_no_context_takeover") }
        if clientNoContextTakeover { parts.append("client_no_context_takeover") }
        if let serverMaxWindowBits { parts.append("server_max_window_bits=\(serverMaxWindowBits)") }
        if let clientMaxWindowBits { parts.append("client_max_window_bits=\(clientMaxWindowBits)") }
        return parts.joined(separator: "; ")
    }
}

extension StringProtocol {
    fileprivate func trimmingWhitespace() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
