import JSONKit

// Maps parsed JSON lines to headers and records. Unknown fields are ignored; `null` counts
// as absent for optional fields.

struct SchemaError: Error {
    var message: String
}

struct FieldReader {
    let members: [(String, JSONValue)]
    /// Prefix for field names in messages, e.g. `request.`.
    let path: String

    init?(_ value: JSONValue, path: String = "") {
        guard case .object(let members) = value else { return nil }
        self.members = members
        self.path = path
    }

    /// The value for `key` (the last one if the key repeats); nil when absent or null.
    func value(_ key: String) -> JSONValue? {
        for (name, value) in members.reversed() where name == key {
            if case .null = value { return nil }
            return value
        }
        return nil
    }

    func name(_ key: String) -> String { "\"\(path)\(key)\"" }

    func missing(_ key: String) -> SchemaError { SchemaError(message: "missing field \(name(key))") }

    func wrongType(_ key: String, _ expected: String, _ found: JSONValue) -> SchemaError {
        SchemaError(message: "field \(name(key)): expected \(expected), found \(found.typeName)")
    }

    func optionalString(_ key: String) throws(SchemaError) -> String? {
        guard let v = value(key) else { return nil }
        guard case .string(let text) = v else { throw wrongType(key, "a string", v) }
        return text
    }

    func string(_ key: String) throws(SchemaError) -> String {
        guard let s = try optionalString(key) else { throw missing(key) }
        return s
    }

    func optionalInt(_ key: String, in range: ClosedRange<Int64>? = nil) throws(SchemaError) -> Int? {
        guard let v = value(key) else { return nil }
        guard case .int(let n) = v else {
            if case .double = v { throw SchemaError(message: "field \(name(key)): expected an integer, found a non-integer or out-of-range number") }
            throw wrongType(key, "an integer", v)
        }
        if let range, !range.contains(n) {
            throw SchemaError(message: "field \(name(key)): \(n) is out of range \(range.lowerBound)...\(range.upperBound)")
        }
        return Int(n)
    }

    func int(_ key: String, in range: ClosedRange<Int64>? = nil) throws(SchemaError) -> Int {
        guard let n = try optionalInt(key, in: range) else { throw missing(key) }
        return n
    }

    func optionalUInt64(_ key: String) throws(SchemaError) -> UInt64? {
        guard let n = try optionalInt(key, in: 0...Int64.max) else { return nil }
        return UInt64(n)
    }

    func uint64(_ key: String) throws(SchemaError) -> UInt64 {
        guard let n = try optionalUInt64(key) else { throw missing(key) }
        return n
    }

    func optionalBool(_ key: String) throws(SchemaError) -> Bool? {
        guard let v = value(key) else { return nil }
        guard case .bool(let b) = v else { throw wrongType(key, "true or false", v) }
        return b
    }

    func optionalObject(_ key: String) throws(SchemaError) -> FieldReader? {
        guard let v = value(key) else { return nil }
        guard let reader = FieldReader(v, path: path + key + ".") else { throw wrongType(key, "an object", v) }
        return reader
    }

    func object(_ key: String) throws(SchemaError) -> FieldReader {
        guard let o = try optionalObject(key) else { throw missing(key) }
        return o
    }

    /// `[[name, value], …]`; absent means no headers.
    func headers(_ key: String) throws(SchemaError) -> [HTTPHeader] {
        guard let v = value(key) else { return [] }
        guard case .array(let items) = v else { throw wrongType(key, "an array of [name, value] pairs", v) }
        var headers: [HTTPHeader] = []
        headers.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            guard case .array(let pair) = item, pair.count == 2,
                  case .string(let name) = pair[0], case .string(let value) = pair[1] else {
                throw SchemaError(message: "field \(self.name(key)), item \(index): expected a [name, value] pair of strings")
            }
            headers.append(HTTPHeader(name: name, value: value))
        }
        return headers
    }

    /// `{"text": …}` or `{"base64": …}`; absent (or `{}`) means empty.
    func body(_ key: String) throws(SchemaError) -> Body {
        guard let v = value(key) else { return .empty }
        guard let body = FieldReader(v, path: path + key + ".") else { throw wrongType(key, "an object with \"text\" or \"base64\"", v) }
        let text = body.value("text")
        let base64 = body.value("base64")
        switch (text, base64) {
        case (nil, nil):
            return .empty
        case (.some, .some):
            throw SchemaError(message: "field \(name(key)): has both \"text\" and \"base64\"")
        case (.some(let t), nil):
            guard case .string(let text) = t else { throw body.wrongType("text", "a string", t) }
            return Body(text: text)
        case (nil, .some(let b)):
            guard case .string(var encoded) = b else { throw body.wrongType("base64", "a string", b) }
            switch encoded.withUTF8({ Base64.decode($0) }) {
            case .success(let bytes): return Body(bytes)
            case .failure(let e): throw SchemaError(message: "field \(body.name("base64")): \(e.message) at character \(e.index + 1)")
            }
        }
    }

    func direction(_ key: String) throws(SchemaError) -> TapeDirection {
        let s = try string(key)
        guard let d = TapeDirection(rawValue: s) else {
            throw SchemaError(message: "field \(name(key)): \"\(s)\" is not \"recv\" or \"send\"")
        }
        return d
    }

    func response(_ key: String) throws(SchemaError) -> HTTPResponse? {
        guard let r = try optionalObject(key) else { return nil }
        return HTTPResponse(
            status: try r.int("status", in: 0...999),
            reason: try r.optionalString("reason"),
            headers: try r.headers("headers"),
            contentEncoding: try r.optionalString("content_encoding"),
            body: try r.body("body"))
    }
}

enum RecordDecoding {
    enum Outcome {
        case record(TapeRecord)
        case unknownKind(String)
    }

    /// Decodes a record object. Throws for missing/mistyped fields of known kinds.
    static func record(_ f: FieldReader) throws(SchemaError) -> Outcome {
        let time = try f.uint64("t_us")
        let kind = try f.string("kind")
        switch kind {
        case "http":
            let request = try f.object("request")
            return .record(.http(HTTPExchange(
                timeMicros: time,
                conn: try f.optionalInt("conn"),
                durationMicros: try f.optionalUInt64("duration_us"),
                request: HTTPRequest(
                    method: try request.string("method"),
                    url: try request.string("url"),
                    headers: try request.headers("headers"),
                    body: try request.body("body")),
                response: try f.response("response"),
                error: try f.optionalString("error"))))
        case "ws_open":
            return .record(.wsOpen(WebSocketOpen(
                timeMicros: time,
                conn: try f.int("conn"),
                url: try f.string("url"),
                requestHeaders: try f.headers("request_headers"),
                response: try f.response("response"),
                subprotocol: try f.optionalString("subprotocol"),
                error: try f.optionalString("error"))))
        case "ws_message":
            return .record(.wsMessage(WebSocketMessage(
                timeMicros: time,
                conn: try f.int("conn"),
                direction: try f.direction("dir"),
                opcode: try opcode(f),
                payload: try f.body("payload"),
                compressed: try f.optionalBool("compressed") ?? false)))
        case "ws_close":
            let byName = try f.string("by")
            guard let by = CloseInitiator(rawValue: byName) else {
                throw SchemaError(message: "field \"by\": \"\(byName)\" is not \"client\", \"server\" or \"abnormal\"")
            }
            return .record(.wsClose(WebSocketClose(
                timeMicros: time,
                conn: try f.int("conn"),
                code: try f.optionalInt("code", in: 0...65535),
                reason: try f.optionalString("reason") ?? "",
                by: by)))
        case "gap":
            return .record(.gap(CaptureGap(
                timeMicros: time,
                conn: try f.int("conn"),
                direction: try f.direction("dir"),
                length: try f.uint64("length"))))
        default:
            return .unknownKind(kind)
        }
    }

    static func opcode(_ f: FieldReader) throws(SchemaError) -> WebSocketOpcode {
        guard let v = f.value("opcode") else { throw f.missing("opcode") }
        switch v {
        case .string(let name):
            if let op = WebSocketOpcode(name: name) { return op }
            throw SchemaError(message: "field \"opcode\": \"\(name)\" is not text, binary, ping, pong or continuation")
        case .int(let n):
            if n == 8 { throw SchemaError(message: "field \"opcode\": 8 (close) is recorded as a ws_close record") }
            if n >= 0 && n <= 15, let op = WebSocketOpcode(rawValue: UInt8(n)) { return op }
            throw SchemaError(message: "field \"opcode\": \(n) is not a WebSocket opcode (0-15)")
        default:
            throw f.wrongType("opcode", "a name or an integer", v)
        }
    }

    enum HeaderProblem: Error {
        case notATape(String)
        case malformed(String)
        case newerVersion(Int)
    }

    /// Decodes the header object. `allowNewer` accepts versions above the supported one.
    static func header(_ f: FieldReader, allowNewer: Bool) -> Result<TapeHeader, HeaderProblem> {
        guard let formatValue = f.value("format") else {
            return .failure(.notATape("line 1 has no \"format\" field (a tape starts with {\"format\":\"\(TapeFormat.name)\",\"version\":1,…})"))
        }
        guard case .string(let format) = formatValue else {
            return .failure(.notATape("field \"format\" is \(formatValue.typeName), expected \"\(TapeFormat.name)\""))
        }
        guard format == TapeFormat.name else {
            return .failure(.notATape("format is \"\(format)\", expected \"\(TapeFormat.name)\""))
        }
        do throws(SchemaError) {
            let version = try f.int("version")
            if version < 1 { return .failure(.malformed("field \"version\": \(version) is not a valid version (versions start at 1)")) }
            if version > TapeFormat.version && !allowNewer { return .failure(.newerVersion(version)) }
            let source = try f.object("source")
            var redacted: [String] = []
            if let list = f.value("redacted") {
                guard case .array(let items) = list else { throw f.wrongType("redacted", "an array of strings", list) }
                for item in items {
                    guard case .string(let name) = item else { throw f.wrongType("redacted", "an array of strings", item) }
                    redacted.append(name)
                }
            }
            return .success(TapeHeader(
                version: version,
                created: try f.string("created"),
                source: TapeSource(kind: try source.string("kind"), detail: try source.optionalString("detail")),
                redacted: redacted))
        } catch {
            return .failure(.malformed(error.message))
        }
    }
}
