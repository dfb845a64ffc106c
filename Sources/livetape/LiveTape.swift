import ArgumentParser

@main
struct LiveTape: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "livetape",
        abstract: "Record, replay, decode and diff TikTok LIVE webcast traffic.",
        discussion: """
            Tapes (.tape) hold what was on the wire: signing exchanges and WebSocket messages. \
            Transcripts (.jsonl) hold what the decoder made of them, in two views: wire and events.
            """,
        version: LiveTapeVersion.description,
        subcommands: [DecodeCommand.self, DiffCommand.self, CheckCommand.self, ReviewCommand.self, SynthCommand.self, ServeCommand.self, ReplayCommand.self, RecordCommand.self, RedactCommand.self, ImportCommand.self, SniffCommand.self, InspectCommand.self, CompareCommand.self]
    )
}
