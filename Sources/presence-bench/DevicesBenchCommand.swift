import ArgumentParser
import Foundation
import LoadBenchmarks

/// `presence-bench devices`: real device connections with wills, for `load`'s will storm.
///
/// Prints `ready` once every device is connected and online, cuts every connection at once
/// (no DISCONNECT, so the broker sends the wills) on a `cut` line on stdin, then prints `cut`.
struct DevicesBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract: "Hold device connections with wills and cut them on request (used by load).",
        shouldDisplay: false
    )

    @Option(help: "Broker URL.") var broker: String
    @Option(help: "File holding the bench user's password.") var passwordFile: String
    @Option(help: "First user number.") var first: Int
    @Option(help: "Number of devices (four open files each).") var count: Int
    @Option(help: "Marker number of device 0.") var seqBase: Int

    func run() async throws {
        let password = try String(contentsOfFile: passwordFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let fleet = try await DeviceFleet.connect(brokerURL: broker, password: password, first: first, count: count, seqBase: seqBase)
        print("ready")
        fflush(nil)
        // stdin is read on a thread of its own: readLine() blocks, and must not hold a pool thread.
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread {
                while let line = readLine(), line != "cut" {}
                continuation.resume()
            }.start()
        }
        await fleet.cut()
        print("cut")
        fflush(nil)
    }
}
