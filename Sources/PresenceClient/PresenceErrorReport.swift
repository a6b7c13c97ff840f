/// One input of the user the bridge rejected, from `err/{user}`: `{"topic":"…","error":"…"}`.
public struct PresenceErrorReport: Sendable, Hashable, CustomStringConvertible {
    /// The input topic that was rejected (empty if the bridge did not say).
    public var topic: String
    /// The bridge's reason, human text.
    public var error: String

    /// A report.
    public init(topic: String, error: String) {
        self.topic = topic
        self.error = error
    }

    /// `topic: error`.
    public var description: String { topic.isEmpty ? error : "\(topic): \(error)" }
}
