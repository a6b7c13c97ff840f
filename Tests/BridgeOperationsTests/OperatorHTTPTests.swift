import BridgeTestSupport
import Foundation
import LocalBroker
import MQTT
import PresenceBridge
import Testing

/// The operators' HTTP listener of a real `presence-bridge run` process, through a real broker.
@Suite("Operators' HTTP: /metrics, /livez, /readyz", .serialized, .timeLimit(.minutes(3)))
struct OperatorHTTPTests {
    /// The series the contract requires, by family name.
    static let required = [
        "presence_bridge_build_info", "presence_bridge_messages_received_total", "presence_bridge_inputs_applied_total",
        "presence_bridge_inputs_rejected_total", "presence_bridge_views_published_total", "presence_bridge_views_deleted_total",
        "presence_bridge_errors_published_total", "presence_bridge_broker_reconnects_total", "presence_bridge_resyncs_total",
        "presence_bridge_users", "presence_bridge_devices_online", "presence_bridge_broker_connected", "presence_bridge_live",
        "presence_bridge_outbox_views", "presence_bridge_view_latency_seconds", "presence_bridge_store_commit_seconds",
        "presence_bridge_resync_duration_seconds",
    ]

    /// Starts the bridge process with `--http` on a free port; it is stopped at tear-down.
    private func startBridge(_ fixture: BridgeFixture, extra: [String] = []) async throws -> (ChildProcess, Int) {
        let port = try LocalBroker.freePort()
        let process = try await BridgeProcess.start(fixture, extra: ["--http", "127.0.0.1:\(port)"] + extra)
        fixture.onTearDown { await process.terminate(grace: .seconds(20)) }
        return (process, port)
    }

    private func scrape(_ port: Int) async throws -> PrometheusSamples {
        let answer = try #require(await HTTPProbe.get(port: port, "/metrics"))
        #expect(answer.status == 200)
        #expect(answer.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        return try await PrometheusSamples.parse(answer.body)
    }

    private func waitForReady(_ port: Int, timeout: Duration = .seconds(30)) async throws {
        try await waitUntil(timeout: timeout, "/readyz answers 200") { await HTTPProbe.get(port: port, "/readyz")?.status == 200 }
    }

    @Test("/metrics during a real run: the required series, counters that move by exactly the inputs sent, a rejection under its reason, the histograms measured, and a text the real parser reads")
    func metricsMoveWithTraffic() async throws {
        try await BridgeFixture.run(startBridge: false) { fixture in
            try await fixture.makeContacts("alice", "bob")
            let (process, port) = try await startBridge(fixture, extra: ["--log-format", "json"])
            try await waitForReady(port)
            let viewer = try await fixture.viewer("bob")
            let phone = try await fixture.device("alice", "phone", session: "s1")
            try await viewer.waitFor("alice", "alice online") { $0.status == "online" }

            let before = try await scrape(port)
            for family in Self.required {
                #expect(before.types[family] != nil || before.types[family.replacingOccurrences(of: "_total", with: "")] != nil,
                        "\(family) is exposed")
            }
            #expect(before.value("presence_bridge_build_info", ["version": BridgeVersion.current]) == 1)
            #expect(before.value("presence_bridge_live") == 1)
            #expect(before.value("presence_bridge_broker_connected") == 1)
            #expect(before.value("presence_bridge_resync_duration_seconds_count") == 1)
            #expect(before.value("presence_bridge_inputs_rejected_total", ["reason": "invalid-json"]) == 0, "every known reason from the start")
            #expect(before.types["presence_bridge_view_latency_seconds"] == "histogram")

            // N live inputs, each a change bob sees: +N received and applied, +N views at least.
            let count = 6
            for index in 0..<count {
                try await fixture.send(phone, "alice/phone/state", #"{"status":"\#(index % 2 == 0 ? "away" : "online")","session":"s1"}"#)
            }
            let received = try #require(before.value("presence_bridge_messages_received_total"))
            let applied = try #require(before.value("presence_bridge_inputs_applied_total"))
            let published = try #require(before.value("presence_bridge_views_published_total"))
            try await waitUntil(timeout: .seconds(10), "the inputs show on /metrics") {
                try await scrape(port).value("presence_bridge_inputs_applied_total") == applied + Double(count)
            }
            let after = try await scrape(port)
            #expect(after.value("presence_bridge_messages_received_total") == received + Double(count))
            #expect((after.value("presence_bridge_views_published_total") ?? 0) >= published + Double(count))
            #expect((after.value("presence_bridge_view_latency_seconds_count") ?? 0) > (before.value("presence_bridge_view_latency_seconds_count") ?? 0))
            #expect((after.value("presence_bridge_store_commit_seconds_count") ?? 0) > 0)
            #expect(after.value("presence_bridge_devices_online").map { $0 >= 0 } == true)

            // A rejected input shows under its reason, and only there.
            try await fixture.send(fixture.account("alice"), "alice/settings", "{not json")
            try await waitUntil(timeout: .seconds(10), "the rejection shows on /metrics") {
                try await scrape(port).value("presence_bridge_inputs_rejected_total", ["reason": "invalid-json"]) == 1
            }
            let rejected = try await scrape(port)
            #expect(rejected.value("presence_bridge_inputs_rejected_total", ["reason": "invalid-field"]) == 0)
            #expect(rejected.value("presence_bridge_errors_published_total") == (after.value("presence_bridge_errors_published_total") ?? 0) + 1)

            // Other paths are not served; the process's log lines are JSON, the version first, no password.
            #expect(await HTTPProbe.get(port: port, "/out/bob")?.status == 404)
            #expect(await HTTPProbe.get(port: port, "/livez", method: "POST")?.status == 405)
            let lines = process.errorLines
            let first = try #require(lines.first)
            #expect(first.contains("\"version\":\"\(BridgeVersion.current)\""), "\(first)")
            for line in lines {
                #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) is [String: Any], "not JSON: \(line)")
                #expect(!line.contains("pw-bridge"))
            }
        }
    }

    @Test("/readyz: 503 while the broker is not there (at the start and when stopped), 200 when live; /livez 200 throughout")
    func readinessFollowsTheBroker() async throws {
        try await BridgeFixture.run(startBridge: false) { fixture in
            await fixture.broker.stopProcess()
            let (_, port) = try await startBridge(fixture)
            try await waitUntil(timeout: .seconds(20), "the listener answers") { await HTTPProbe.get(port: port, "/livez") != nil }
            func expectAlive() async { #expect(await HTTPProbe.get(port: port, "/livez")?.status == 200) }

            let waiting = try #require(await HTTPProbe.get(port: port, "/readyz"))
            #expect(waiting.status == 503)
            #expect(waiting.body.contains("not connected to the broker"), "\(waiting.body)")
            await expectAlive()

            try await fixture.broker.restart()
            try await waitForReady(port)
            await expectAlive()

            await fixture.broker.stopProcess()
            try await waitUntil(timeout: .seconds(20), "/readyz answers 503 with the broker down") {
                await HTTPProbe.get(port: port, "/readyz")?.status == 503
            }
            await expectAlive()
            let metrics = try await scrape(port)
            #expect(metrics.value("presence_bridge_live") == 0)
            #expect(metrics.value("presence_bridge_broker_connected") == 0)

            try await fixture.broker.restart()
            try await waitForReady(port)
            await expectAlive()
            let back = try await scrape(port)
            #expect(back.value("presence_bridge_live") == 1)
            #expect((back.value("presence_bridge_broker_reconnects_total") ?? 0) >= 1)
            #expect(back.value("presence_bridge_resync_duration_seconds_count") == 2)
        }
    }

    @Test("a port already taken is a clear start-up error, before the bridge connects")
    func portTaken() async throws {
        try await BridgeFixture.run(startBridge: false) { fixture in
            let (_, port) = try await startBridge(fixture)
            try await waitForReady(port)
            let second = try await BridgeProcess.start(fixture, extra: ["--http", "127.0.0.1:\(port)", "--client-id", "second-bridge",
                                                                   "--data-dir", fixture.configuration.dataDirectory + "-second"])
            let status = try await second.waitForExit(timeout: .seconds(20))
            #expect(status != 0)
            let errors = second.errorLines.joined(separator: "\n")
            #expect(errors.contains("cannot listen for HTTP on 127.0.0.1:\(port)"), "\(errors)")
            #expect(!errors.contains("connected"), "it never reached the broker")
            try? FileManager.default.removeItem(atPath: fixture.configuration.dataDirectory + "-second")
        }
    }
}
