/// `err/{user}`: `{"topic":"…","error":"…"}`, one for each rejected input of the user.
///
/// The error is the rejection's message (`InputRejection.message`): it speaks of that input
/// only, never of another user's data.
public enum ErrorReportPayload {
    /// The report of a rejected input on `topic`.
    public static func encode(topic: String, error: String) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.member("topic", topic)
        json.member("error", error)
        json.endObject()
        return json.bytes
    }

    /// The topic and error of a report; nil unless it is an object with an `error` string.
    /// A report without a `topic` gets an empty one.
    public static func decode(_ payload: [UInt8]) -> (topic: String, error: String)? {
        guard case .object(let object)? = try? JSONValue.parse(payload),
              case .string(let error)? = object.field("error") else { return nil }
        guard case .string(let topic)? = object.field("topic") else { return ("", error) }
        return (topic, error)
    }
}
