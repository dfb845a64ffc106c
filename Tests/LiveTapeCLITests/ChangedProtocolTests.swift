import Foundation
import JSONKit
import Testing

/// `livetape compare` on the changed-protocol fixture set: each variant's change is named first.
@Suite struct ChangedProtocolTests {
    /// The set, written once by `livetape synth --changed-set`.
    static let changedSet: Result<URL, CLIFailure> = {
        do {
            let directory = try CLI.temporaryDirectory()
            let run = try CLI.run(["synth", "--changed-set", directory.path])
            guard run.status == 0 else { return .failure(CLIFailure("synth --changed-set: exit \(run.status): \(run.stderr)")) }
            return .success(directory)
        } catch {
            return .failure(CLIFailure("synth --changed-set: \(error)"))
        }
    }()

    /// The first change `compare` must name for each variant: kind, and a test of its subject and new value.
    static let expectations: [(variant: String, kind: String, check: @Sendable (String, String) -> Bool)] = [
        ("user-field", "unknown field appeared", { subject, _ in subject.hasSuffix(".user.1095") }),
        ("renamed-method", "method renamed", { subject, new in subject == "WebcastChatMessage" && new.hasPrefix("WebcastCommentMessage ×") }),
        ("new-compress-type", "compress_type appeared, payloads unreadable", { subject, _ in subject == "deflate" }),
        ("need-ack-empty-internal-ext", "need_ack without internal_ext", { _, new in Int(new) ?? 0 > 0 }),
        ("handshake-rejected-417", "handshake", { _, new in new == "200 417 illegal secret key" }),
        ("signing-stub", "push_server", { _, new in new == "wss://webcast-fallback.example.net/webcast/im/push/" }),
        ("field-wire-type", "field wire type changed", { subject, new in subject == "WebcastLikeMessage.count" && new.hasPrefix("wire type 2 ") }),
    ]

    @Test func theSetHasOneTapePerKindOfChange() throws {
        let directory = try Self.changedSet.get()
        let tapes = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(tapes == (["base"] + Self.expectations.map(\.variant)).map { $0 + ".tape" }.sorted())
    }

    @Test(arguments: 0..<expectations.count)
    func theChangeIsNamedFirst(_ index: Int) throws {
        let (variant, kind, check) = Self.expectations[index]
        let directory = try Self.changedSet.get()
        let run = try CLI.run(["compare", directory.appendingPathComponent("base.tape").path,
                               directory.appendingPathComponent("\(variant).tape").path, "--format", "json"])
        #expect(run.status == 1, "\(variant): \(run.stderr)")
        let changes = try #require(try JSONParser.parse(run.stdout.trimmingCharacters(in: .newlines)).arrayValue)
        let first = try #require(changes.first)
        #expect(first["kind"]?.stringValue == kind, "\(variant): \(run.stdout.prefix(600))")
        #expect(check(first["subject"]?.stringValue ?? "", first["new"]?.stringValue ?? ""), "\(variant): \(first)")
        let tied = changes.filter { $0["rank"] == first["rank"] }
        #expect(tied.allSatisfy { $0["kind"] == first["kind"] }, "\(variant): first by rank, not by the order of a tie")
    }

    @Test func theBaseComparedWithItselfHasNoChanges() throws {
        let base = try Self.changedSet.get().appendingPathComponent("base.tape").path
        let run = try CLI.run(["compare", base, base])
        #expect(run.status == 0)
        #expect(run.stdout == "no protocol changes\n")
    }
}

struct CLIFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
