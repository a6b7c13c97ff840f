import PresenceCore
import PresenceWire

extension InputDecoder {
    /// Decodes `payload` (UTF-8 text) on `{prefix}/in/{suffix}`.
    func decode(_ suffix: String, _ payload: String) throws(InputRejection) -> PresenceInput {
        try decode(topic: "\(topics.prefix)/in/\(suffix)", payload: Array(payload.utf8))
    }

    /// The rejection of `payload` on `{prefix}/in/{suffix}`; nil when it decodes.
    func rejection(_ suffix: String, _ payload: String) -> InputRejection? {
        do {
            _ = try decode(suffix, payload)
            return nil
        } catch {
            return error
        }
    }
}
