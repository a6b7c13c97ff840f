import PresenceCore

/// Reads a view payload (`out/{viewer}/{target}`) back into a `View`: the reverse of
/// `ViewEncoder`, for clients and for the bridge reading its retained views.
///
/// The contract's JSON rules hold (a repeated key is invalid, `null` is an absent field).
/// Unknown keys are ignored, and so is an activity of a kind this version does not know
/// (newer bridges may add kinds). Anything else that does not fit throws: invalid JSON, a
/// missing or invalid `user`, an unknown `status`, a `lastSeen` that is not an ISO 8601 time,
/// an activity without a `type`, an invalid device.
public enum ViewDecoder {
    /// The view in `payload` (not empty: an empty payload is a deleted view).
    public static func decode(_ payload: [UInt8]) throws(ViewDecodingError) -> View {
        let value: JSONValue
        do { value = try JSONValue.parse(payload) } catch { throw ViewDecodingError("not a view: \(error)") }
        let object = try members(value, of: "a view")
        guard case .string(let userText)? = object.field("user"), let user = UserID(userText) else {
            throw ViewDecodingError("a view needs a valid \"user\"")
        }
        var view = View(user: user)
        if let value = object.field("status") {
            view.status = try status(value, of: "the view")
        }
        if let value = object.field("lastSeen") {
            guard case .string(let text) = value, let time = Timestamp(iso8601: text) else {
                throw ViewDecodingError("\"lastSeen\" must be an ISO 8601 time, got \(describe(value))")
            }
            view.lastSeen = time
        }
        if let value = object.field("activity") {
            view.activity = try activity(value)
        }
        if let value = object.field("devices") {
            guard case .array(let elements) = value else { throw ViewDecodingError("\"devices\" must be an array, got \(value.typeName)") }
            var devices: [DeviceView] = []
            devices.reserveCapacity(elements.count)
            for element in elements { devices.append(try device(element)) }
            view.devices = devices
        }
        return view
    }

    /// The activity, or nil when its `type` is one this version does not know.
    private static func activity(_ value: JSONValue) throws(ViewDecodingError) -> ActivityView? {
        let object = try members(value, of: "\"activity\"")
        guard case .string(let type)? = object.field("type") else { throw ViewDecodingError("an activity needs a \"type\"") }
        guard let kind = ActivityKind(rawValue: type) else { return nil }
        return ActivityView(kind: kind, detail: try optionalString(object, kind.detailKey))
    }

    private static func device(_ value: JSONValue) throws(ViewDecodingError) -> DeviceView {
        let object = try members(value, of: "a device")
        guard case .string(let idText)? = object.field("id"), let id = DeviceID(idText) else {
            throw ViewDecodingError("a device needs a valid \"id\"")
        }
        guard let statusValue = object.field("status") else { throw ViewDecodingError("device '\(idText)' needs a \"status\"") }
        return DeviceView(id: id, platform: try optionalString(object, "platform"), status: try status(statusValue, of: "device '\(idText)'"))
    }

    private static func status(_ value: JSONValue, of owner: String) throws(ViewDecodingError) -> DeviceStatus {
        guard case .string(let text) = value, let status = DeviceStatus(rawValue: text) else {
            throw ViewDecodingError("unknown status of \(owner): \(describe(value))")
        }
        return status
    }

    private static func optionalString(_ object: [String: JSONValue], _ key: String) throws(ViewDecodingError) -> String? {
        guard let value = object.field(key) else { return nil }
        guard case .string(let text) = value else { throw ViewDecodingError("\"\(key)\" must be a string, got \(value.typeName)") }
        return text
    }

    private static func members(_ value: JSONValue, of what: String) throws(ViewDecodingError) -> [String: JSONValue] {
        guard case .object(let object) = value else { throw ViewDecodingError("\(what) must be a JSON object, got \(value.typeName)") }
        return object
    }

    /// A string value quoted (cut at 64 characters), any other value by its type.
    private static func describe(_ value: JSONValue) -> String {
        guard case .string(let text) = value else { return value.typeName }
        return "'\(text.prefix(64))'"
    }
}

/// A view payload that could not be read; `message` says why.
public struct ViewDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong with the payload.
    public var message: String
    /// A decoding error with a message.
    public init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}
