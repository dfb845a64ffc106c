import Foundation
import JSONKit
import MockServers
import SwiftProtobuf
import Tape
import Testing
import WebcastProto

/// The fixture's recorded fetch request, as the mock receives it.
func fixtureFetchRequest(headers: [HTTPHeader] = []) throws -> IncomingRequest {
    var request = IncomingRequest(try fixtureFetch().request)
    request.headers = headers
    return request
}

func json(_ response: MockResponse) throws -> JSONValue {
    try JSONParser.parse(response.body)
}

@Suite struct SigningServiceTests {
    let tape: ServedTape

    init() throws {
        tape = try ServedTape(path: sessionTape)
    }

    @Test func recordedFetchIsServedWithPushServerRewritten() throws {
        let service = SigningService(tape: tape, options: SigningOptions(pushServerURL: "ws://127.0.0.1:9/push"))
        let answer = service.respond(to: try fixtureFetchRequest())
        #expect(answer.response.status == 200)
        let served = try ProtoMessageFetchResult(serializedBytes: answer.response.body)
        let recorded = try ProtoMessageFetchResult(serializedBytes: try fixtureFetch().response!.body.bytes)
        #expect(served.pushServer == "ws://127.0.0.1:9/push")
        #expect(served.messages == recorded.messages)
        #expect(served.cursor == recorded.cursor && served.routeParams == recorded.routeParams && served.isFirst)
        let names = answer.response.headers.map { $0.name.lowercased() }
        #expect(names.contains("x-set-tt-cookie") && names.contains("x-room-id"))
        #expect(!names.contains("content-length"), "the server computes the length of the rewritten body")
    }

    @Test func apiKeyIsRequiredWhenConfigured() throws {
        let service = SigningService(tape: tape, options: SigningOptions(apiKey: "k1"))
        #expect(service.respond(to: try fixtureFetchRequest()).response.status == 401)
        #expect(service.respond(to: try fixtureFetchRequest(headers: [HTTPHeader("X-Api-Key", "nope")])).response.status == 403)
        #expect(service.respond(to: try fixtureFetchRequest(headers: [HTTPHeader("x-api-key", "k1")])).response.status == 200)
        var viaQuery = try fixtureFetchRequest()
        viaQuery.query.append(QueryItem("apiKey", "k1"))
        #expect(service.respond(to: viaQuery).response.status == 200, "apiKey in the query is accepted and not matched on")
    }

    @Test func faultsApplyToTheirCountOfRequests() throws {
        let faults = [Fault(argument: "rate-limit:1")!, Fault(argument: "server-error:2")!, Fault(argument: "slow=40")!]
        let service = SigningService(tape: tape, options: SigningOptions(faults: faults))
        let first = service.respond(to: try fixtureFetchRequest()).response
        #expect(first.status == 429)
        #expect(try json(first)["limit_label"] == "minute")
        let second = service.respond(to: try fixtureFetchRequest()).response
        #expect(second.status == 500)
        #expect(try json(second)["code"] == 500)
        let third = service.respond(to: try fixtureFetchRequest()).response
        #expect(third.status == 200)
        #expect(third.delayMilliseconds == 40)
        service.reset()
        #expect(service.respond(to: try fixtureFetchRequest()).response.status == 429)
    }

    @Test func faultSyntax() {
        #expect(Fault(argument: "stub-fetch") == Fault(kind: .stubFetch))
        #expect(Fault(argument: "slow=250:3") == Fault(kind: .slow(milliseconds: 250), count: 3))
        for bad in ["", "slow", "slow=-1", "rate-limit:0", "teapot", "server-error:x"] {
            #expect(Fault(argument: bad) == nil, "\(bad)")
        }
    }

    @Test func stubFetchIsTheSmallFallbackWithAForeignPushServer() throws {
        let service = SigningService(tape: tape, options: SigningOptions(faults: [Fault(kind: .stubFetch)], pushServerURL: "ws://127.0.0.1:9/"))
        let response = service.respond(to: try fixtureFetchRequest()).response
        #expect(response.status == 200)
        #expect(response.body.count == 272)
        let result = try ProtoMessageFetchResult(serializedBytes: response.body)
        #expect(result.messages.isEmpty)
        #expect(result.pushServer.hasPrefix("wss://webcast-ws.tiktok.com/"))
        #expect(service.respond(to: IncomingRequest(method: "GET", target: "/webcast/room_id?uniqueId=x")).response.status == 200,
                "stub-fetch applies to /webcast/fetch only")
    }

    @Test func unmatchedRequestIsANearMiss404() throws {
        let service = SigningService(tape: tape)
        let answer = service.respond(to: replacing("room_id", with: "42", in: try fixtureFetchRequest()))
        #expect(answer.response.status == 404)
        let body = try json(answer.response)
        #expect(body["closest"]?["index"] == 0)
        #expect(body["differences"]?.arrayValue?.first?["field"] == "query.room_id")
        #expect(answer.log?.contains("query.room_id recorded \"7441523998651237126\" received \"42\"") == true)
    }

    @Test func endpointsTheTapeNeverRecordedAreSynthesizedConsistently() throws {
        let bare = ServedTape(name: "sessions-only", records: tape.sessions.map { TapeRecord.wsOpen($0.open) })
        let service = SigningService(tape: bare, options: SigningOptions(pushServerURL: "ws://127.0.0.1:9/webcast/im/push/v2/"))
        let fetch = service.respond(to: IncomingRequest(method: "GET", target: "/webcast/fetch?room_id=7441523998651237126"))
        #expect(fetch.response.status == 200)
        #expect(fetch.log?.contains("synthesized") == true)
        let result = try ProtoMessageFetchResult(serializedBytes: fetch.response.body)
        #expect(result.pushServer == "ws://127.0.0.1:9/webcast/im/push/v2/")
        #expect(result.isFirst && result.needAck && !result.cursor.isEmpty)
        #expect(result.routeParams["imprp"] == "Vfr8_y827x1XgrNTA5W1cUr1B_P-EfYN", "route params come from the recorded WebSocket query")
        let cookie = fetch.response.headers.first { $0.name == "X-Set-TT-Cookie" }?.value
        #expect(cookie?.contains("tt-target-idc=useast1a") == true)

        let room = try json(service.respond(to: IncomingRequest(method: "GET", target: "/webcast/room_id?uniqueId=someone")).response)
        #expect(room["room_id"] == "7441523998651237126")
        let limits = try json(service.respond(to: IncomingRequest(method: "GET", target: "/webcast/rate_limits")).response)
        #expect(limits["minute"]?["remaining"] == 997, "three requests so far")

        let sign = service.respond(to: IncomingRequest(method: "POST", target: "/webcast/sign_url", body: Body(text: #"{"url":"https://www.tiktok.com/@x/live"}"#)))
        #expect(try json(sign.response)["response"]?["signedUrl"]?.stringValue?.hasPrefix("https://www.tiktok.com/@x/live?X-Bogus=") == true)
        let local = try json(service.respond(to: IncomingRequest(method: "POST", target: "/api/eulerstream", body: Body(text: #"{"url":"https://www.tiktok.com/@x/live"}"#))).response)
        #expect(local["success"] == true)
        #expect(local["data"]?["signed_url"]?.stringValue?.contains("_signature=") == true)
        let invalid = service.respond(to: IncomingRequest(method: "POST", target: "/webcast/sign_url", body: Body(text: "{not json")))
        #expect(invalid.response.status == 400)
        #expect(service.respond(to: IncomingRequest(method: "GET", target: "/elsewhere")).response.status == 404)
    }
}
