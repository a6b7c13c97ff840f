import Foundation
import LocalBroker

/// A scrape of `/metrics` read back by prometheus_client's own text parser
/// (`scripts/metrics-to-json.py`): a text it cannot parse fails the test.
struct PrometheusSamples {
    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    var samples: [Sample]
    /// Metric family → type ("counter", "gauge", "histogram").
    var types: [String: String]

    /// Parses `exposition` with the real parser.
    static func parse(_ exposition: String) async throws -> PrometheusSamples {
        let script = try repositoryRoot() + "/scripts/metrics-to-json.py"
        let parser = try await ChildProcess.spawn("python3", [script])
        parser.writeLine(exposition)
        parser.closeInput()
        let status = try await parser.waitForExit(timeout: .seconds(30))
        guard status == 0 else { throw ChildProcessError(message: "the exposition does not parse: \(parser.errorLines)") }
        let json = parser.outputLines.joined(separator: "\n")
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] ?? [:]
        let samples = (object["samples"] as? [[String: Any]] ?? []).map {
            Sample(name: $0["name"] as? String ?? "", labels: $0["labels"] as? [String: String] ?? [:],
                   value: ($0["value"] as? NSNumber)?.doubleValue ?? .nan)
        }
        return PrometheusSamples(samples: samples, types: object["types"] as? [String: String] ?? [:])
    }

    /// The value of the sample `name` whose labels include `labels`; nil when there is none.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }?.value
    }
}
