import PresenceCore

extension PayloadReader {
    /// `in/{user}/settings`: a partial update; each of `showOnlineStatus`, `showLastSeen` and
    /// `showActivity` is `everyone`, `contacts` or `nobody`, and a key missing or null keeps
    /// its value. An empty payload changes nothing.
    func settings() throws(InputRejection) -> PrivacySettingsUpdate {
        if payload.isEmpty { return PrivacySettingsUpdate() }
        let object = try object()
        func audience(_ key: String) throws(InputRejection) -> Audience? {
            guard let value = object.field(key) else { return nil }
            guard case .string(let text) = value, let audience = Audience(rawValue: text) else {
                throw InputRejection(.invalidField, "\"\(key)\" must be everyone, contacts or nobody", user: user)
            }
            return audience
        }
        return PrivacySettingsUpdate(
            showOnlineStatus: try audience("showOnlineStatus"),
            showLastSeen: try audience("showLastSeen"),
            showActivity: try audience("showActivity")
        )
    }

    /// `in/{user}/contacts|blocked|watch` (`name`): a JSON array of user ids, replacing the list
    /// whole; an empty payload is `[]`. The limit counts distinct ids other than the user's own,
    /// since duplicates and the user's own id are ignored anyway (an array longer than the
    /// payload limit allows cannot arrive).
    func list(_ name: String, limit: Int) throws(InputRejection) -> [UserID] {
        if payload.isEmpty { return [] }
        let ids = try userIDs(try json(), name: name, limit: .max)
        var distinct = Set(ids)
        distinct.remove(user)
        try WireLimits.checkList(name, count: distinct.count, limit: limit, counted: "distinct ids", user: user)
        return ids
    }
}
