import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A run of the built `livetape` that is killed when it outlives its time, with its peak memory.
struct BoundedRun {
    /// The exit status; nil when the run was killed.
    var status: Int32?
    var seconds: Double
    /// Peak resident set size: the largest `VmHWM` of `/proc/PID/status`, read every 5 ms while it
    /// runs. (`wait4`'s `ru_maxrss` will not do: a spawned child starts from its parent's peak.)
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
        var peak = 0
        while wait4(pid, &status, WNOHANG, &usage) == 0 {
            peak = max(peak, Self.highWaterMark(of: pid))
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
                          maxResidentBytes: peak,
                          stderr: (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "")
    }

    /// The peak resident set size of a running process so far, in bytes (0 once it has exited).
    private static func highWaterMark(of pid: pid_t) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kib = Int(line.dropFirst("VmHWM:".count).trimmingCharacters(in: .whitespaces).dropLast(3))
        else { return 0 }
        return kib * 1024
    }
}
