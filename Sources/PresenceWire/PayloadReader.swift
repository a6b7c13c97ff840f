import PresenceCore

/// One input payload being read, with the user to name in a rejection: the JSON parsing and
/// the typed field reads every input shares. The inputs themselves are read in
/// `PayloadReader+DeviceInputs.swift` and `PayloadReader+UserInputs.swift`.
struct PayloadReader {
    let payload: [UInt8]
    let user: UserID

    /// The payload as JSON; white space around the value is allowed, a repeated key is not.
    func json() throws(InputRejection) -> JSONValue {
        do { return try JSONValue.parse(payload) } catch { throw InputRejection(.invalidJSON, error.description, user: user) }
    }

    /// The payload as a JSON object.
    func object() throws(InputRejection) -> [String: JSONValue] {
        let value = try json()
        guard case .object(let object) = value else {
            throw InputRejection(.invalidField, "expected a JSON object, got \(value.typeName)", user: user)
        }
        return object
    }

    /// An optional string field of at most `limit` characters; nil when missing or null.
    func optionalString(_ object: [String: JSONValue], _ key: String, limit: Int) throws(InputRejection) -> String? {
        guard let value = object.field(key) else { return nil }
        guard case .string(let text) = value else {
            throw InputRejection(.invalidField, "\"\(key)\" must be a string, got \(value.typeName)", user: user)
        }
        try WireLimits.checkLength(text, of: key, limit: limit, user: user)
        return text
    }

    /// An array of user ids (`name` in messages), at most `limit` of them, each valid.
    func userIDs(_ value: JSONValue, name: String, limit: Int) throws(InputRejection) -> [UserID] {
        guard case .array(let elements) = value else {
            throw InputRejection(.invalidField, "\(name) must be a JSON array of user ids, got \(value.typeName)", user: user)
        }
        try WireLimits.checkList(name, count: elements.count, limit: limit, user: user)
        var ids: [UserID] = []
        ids.reserveCapacity(elements.count)
        for (position, element) in elements.enumerated() {
            guard case .string(let text) = element, let id = UserID(text) else {
                throw InputRejection(.invalidID, "\(name)[\(position)] is not a valid user id", user: user)
            }
            ids.append(id)
        }
        return ids
    }
}
