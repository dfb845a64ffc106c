import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A run of the built `livetape` that is killed when it outlives its time, with its peak memory.
struct BoundedRun {
    /// The exit status; nil when the run was killed.
    var status: Int32?
    var seconds: Double
    /// Peak resident set size (`ru_maxrss` from `wait4`).
    var maxResidentBytes: Int
    var stderr: String

    /// Runs livetape with `arguments` (standard input empty, standard output discarded), killing it
    /// after `limit` seconds.
    static func livetape(_ arguments: [String], limit: Double) throws -> BoundedRun {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let errorPath = directory.appendingPathComponent("stderr").path
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, errorPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv = ([CLI.binary.path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let started = Date()
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, CLI.binary.path, &actions, nil, argv, environ)
        guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EINVAL) }
        var status: Int32 = 0
        var usage = rusage()
        var killed = false
        while wait4(pid, &status, WNOHANG, &usage) == 0 {
            if Date().timeIntervalSince(started) > limit {
                kill(pid, SIGKILL)
                killed = true
                wait4(pid, &status, 0, &usage)
                break
            }
            usleep(5_000)
        }
        let exited = !killed && status & 0x7F == 0  // WIFEXITED
        return BoundedRun(status: exited ? (status >> 8) & 0xFF : nil, seconds: Date().timeIntervalSince(started),
                          maxResidentBytes: usage.ru_maxrss * 1024,
                          stderr: (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "")
    }
}
