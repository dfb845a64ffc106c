import Foundation
import JSONKit
import SwiftProtobuf
import Tape
import WebcastProto

/// Answers for signing endpoints the tape recorded nothing for, made consistent with the
/// tape: its room id, the cookies and query of its first WebSocket session, and the mock push
/// server, so that a client following them lands on the replay.
struct SyntheticAnswers: Sendable {
    let roomID: String
    let cookieHeader: String
    let userAgent: String
    let fetchBody: [UInt8]

    init(tape: ServedTape, pushServerURL: String?) {
        roomID = tape.roomID ?? "7000000000000000000"
        let session = tape.sessions.first
        cookieHeader = session?.open.requestHeaders.first { asciiEqualFolded($0.name, "Cookie") }?.value
            ?? "ttwid=livetape; tt-target-idc=useast1a"
        userAgent = session?.open.requestHeaders.first { asciiEqualFolded($0.name, "User-Agent") }?.value
            ?? "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

        let query = session.map { IncomingRequest(method: "GET", target: $0.open.url).query } ?? []
        var result = ProtoMessageFetchResult()
        result.cursor = query.first { $0.name == "cursor" }?.value ?? "t-0_r-1_d-1_u-1"
        result.internalExt = query.first { $0.name == "internal_ext" }?.value ?? ""
        result.fetchInterval = 1000
        result.heartbeatDuration = 10000
        result.needAck = true
        result.isFirst = true
        result.pushServer = pushServerURL ?? session.map { Self.stripQuery($0.open.url) } ?? ""
        for item in query where !Self.clientParameters.contains(item.name) {
            result.routeParams[item.name] = item.value
        }
        if result.routeParams.isEmpty { result.routeParams["room_id"] = roomID }
        fetchBody = Self.serialize(result)
    }

    /// Query keys a client adds by itself; the rest of a recorded WebSocket query came from
    /// the fetch result's `route_params`.
    static let clientParameters: Set<String> = [
        "aid", "app_language", "app_name", "browser_language", "browser_name", "browser_online",
        "browser_platform", "browser_version", "cookie_enabled", "device_platform", "did_rule",
        "focus_state", "from_page", "history_comment_count", "identity", "is_fullscreen",
        "is_page_visible", "last_rtt", "live_id", "resp_content_type", "screen_height",
        "screen_width", "sup_ws_ds_opt", "tz_name", "update_version_code", "version_code",
        "webcast_sdk_version", "ws_direct", "heartbeat_duration", "client_enter", "compress",
        "room_id", "cursor", "internal_ext", "unique_id", "X-Bogus", "signature", "_signature", "msToken",
    ]

    /// Headers of a synthesized `/webcast/fetch` answer.
    var fetchHeaders: [HTTPHeader] {
        [HTTPHeader("X-Set-TT-Cookie", cookieHeader), HTTPHeader("X-Room-Id", roomID),
         HTTPHeader("X-Request-Id", "livetape-synthesized"), HTTPHeader("X-Log-Code", "0")]
    }

    func answer(_ request: IncomingRequest, requestCount: Int) -> SigningService.Answer {
        let response: MockResponse
        switch request.path {
        case "/webcast/fetch":
            response = MockResponse(status: 200, headers: [HTTPHeader("Content-Type", "application/x-protobuf")] + fetchHeaders, body: fetchBody)
        case "/webcast/room_id":
            response = .json(200, ["code": 200, "ok": true, "message": "ok", "routes_attempted": ["livetape"], "is_live": true, "room_id": .string(roomID)])
        case "/webcast/rate_limits":
            let window: (Int64) -> JSONValue = { max in
                ["max": .int(max), "remaining": .int(Swift.max(0, max - Int64(requestCount))), "reset_at": .string("1970-01-01T00:00:00Z")]
            }
            response = .json(200, ["code": 200, "message": "ok", "day": window(100_000), "hour": window(10_000), "minute": window(1_000)])
        case "/webcast/sign_url", "/api/eulerstream":
            guard let url = Self.jsonBody(request)?["url"]?.stringValue else {
                return .init(response: .json(400, ["message": "the body must be a JSON object with a string \"url\""]),
                             log: "\(request.method) \(request.path): 400, body is not a JSON object with a \"url\"")
            }
            let signed = url + (url.contains("?") ? "&" : "?") + "X-Bogus=livetape&_signature=livetape"
            if request.path == "/api/eulerstream" {
                response = .json(200, ["success": true, "data": [
                    "signature": "livetape", "signed_url": .string(signed), "X-Bogus": "livetape",
                    "x-tt-params": "livetape", "navigator": ["user_agent": .string(userAgent), "deviceScaleFactor": 1],
                ]])
            } else {
                response = .json(200, ["code": 200, "message": "ok", "response": [
                    "signedUrl": .string(signed), "userAgent": .string(userAgent), "browserName": "chrome",
                    "browserVersion": "131.0.0.0", "tokens": ["X-Bogus": "livetape", "_signature": "livetape"],
                    "requestHeaders": ["User-Agent": .string(userAgent)], "cookies": .object([]),
                ]])
            }
        default:
            response = .json(404, ["message": "unknown endpoint"])
        }
        return .init(response: response, log: "\(request.method) \(request.path): \(response.status), synthesized (the tape recorded no such exchange)")
    }

    private static func jsonBody(_ request: IncomingRequest) -> JSONValue? {
        guard let value = try? JSONParser.parse(request.body.bytes), case .object = value else { return nil }
        return value
    }

    /// The fallback stub some signing services answered with: a 272-byte fetch result with a
    /// foreign `push_server`, no messages and no `is_first`.
    static let stubFetchBody: [UInt8] = {
        var result = ProtoMessageFetchResult()
        result.cursor = "t-0_r-1_d-1_u-1"
        result.fetchInterval = 1000
        result.pushServer = "wss://webcast-ws.tiktok.com/webcast/im/ws_proxy/ws_reuse_supplement/"
        result.routeParams["wrss"] = "fallback"
        // Pad internal_ext to a 272-byte message (its length prefix grows with it).
        var padding = 272 - serialize(result).count
        repeat {
            padding -= 1
            result.internalExt = String(repeating: "0", count: padding)
        } while serialize(result).count > 272
        return serialize(result)
    }()

    static func serialize(_ result: ProtoMessageFetchResult) -> [UInt8] {
        var options = BinaryEncodingOptions()
        options.useDeterministicOrdering = true
        return (try? result.serializedBytes(options: options)) ?? []
    }

    static func stripQuery(_ url: String) -> String {
        String(url.prefix { $0 != "?" })
    }
}
