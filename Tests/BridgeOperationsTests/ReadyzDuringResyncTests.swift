import BridgeTestSupport
import Foundation
import Logging
import PresenceBridge
import Synchronization
import Testing
@testable import BridgeOperations

/// What `/readyz` and `/livez` answer at each step of a cold start's resync, asked at the very
/// moments the bridge logs them (in-process, through the endpoints the listener serves).
@Suite("/readyz through a resync", .serialized, .timeLimit(.minutes(3)))
struct ReadyzDuringResyncTests {
    @Test("503 until the resync's views are handed to the broker (at the store load, the replay's end and the resync decided), 200 from live on; /livez 200 at every step")
    func readyzAtEachStep() async throws {
        try await BridgeFixture.run(configure: { $0.resyncSlice = 200 }, startBridge: false) { fixture in
            _ = try await Population(fixture, users: 200, contacts: 10)
            let endpoints = Mutex<OperatorEndpoints?>(nil)
            let seen = Mutex<[(message: String, readyz: Int, livez: Int)]>([])
            let logger = Logger(label: "test-bridge") { _ in
                AnsweringLogHandler { message in
                    guard let endpoints = endpoints.withLock({ $0 }) else { return }
                    let answer = (message, endpoints.answer(path: "/readyz").status, endpoints.answer(path: "/livez").status)
                    seen.withLock { $0.append(answer) }
                }
            }
            try await fixture.startBridge(logger: logger) { service in
                endpoints.withLock { $0 = OperatorEndpoints(service: service, exposition: PrometheusExposition()) }
            }
            let steps = seen.withLock { $0 }
            func step(_ prefix: String) -> (message: String, readyz: Int, livez: Int)? { steps.first { $0.message.hasPrefix(prefix) } }
            #expect(step("store loaded")?.readyz == 503)
            #expect(step("replay complete")?.readyz == 503)
            #expect(step("resync decided")?.readyz == 503)
            #expect(step("live")?.readyz == 200)
            #expect(steps.allSatisfy { $0.livez == 200 })
            let live = try #require(steps.firstIndex { $0.message == "live" })
            #expect(steps[..<live].allSatisfy { $0.readyz == 503 }, "\(steps.map { "\($0.message): \($0.readyz)" })")
        }
    }
}

/// Calls `onMessage` with every message logged at info or above.
private struct AnsweringLogHandler: LogHandler {
    let onMessage: @Sendable (String) -> Void
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) { onMessage(event.message.description) }
}
