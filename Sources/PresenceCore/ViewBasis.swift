/// How a viewer stands to a target; with the target's state it decides the whole view.
enum ViewerRelation: UInt8, Sendable {
    /// The target itself: unfiltered.
    case oneself
    /// Blocked by the target: the bare view.
    case blocked
    /// In the target's contacts.
    case contact
    /// Anyone else.
    case other
}

/// Everything of one target that any view of it depends on, besides the viewer's relation.
///
/// Two equal bases give equal views to every viewer, so an input whose basis is unchanged
/// publishes nothing.
struct ViewBasis: Sendable, Equatable {
    var isParticipant: Bool
    /// What the user's own view shows (`.invisible` when any device is).
    var selfStatus: DeviceStatus
    /// What everyone else sees (`.offline` while invisible).
    var sharedStatus: DeviceStatus
    /// True when any device that is not offline is invisible.
    var isHidden: Bool
    /// Devices not offline, sorted by id (the self view's list; others get `[]` while hidden).
    var devices: [DeviceView]
    var activity: ActivityView?
    var audience: [UserID]?
    /// `Int64.min` = absent.
    var lastSeen: Int64
    var settings: PrivacySettings

    /// True while others see the user online or away.
    var isPresentToOthers: Bool { sharedStatus != .offline }

    /// The view a viewer with `relation` gets; `named` = the activity's `to` names the viewer (or it has none).
    func view(of user: UserID, relation: ViewerRelation, named: Bool) -> View {
        let lastSeenTime = lastSeen == .min ? nil : Timestamp(millisecondsSinceEpoch: lastSeen)
        switch relation {
        case .oneself:
            return View(user: user, status: selfStatus, lastSeen: lastSeenTime, activity: activity, devices: devices)
        case .blocked:
            return View(user: user)
        case .contact, .other:
            let isContact = relation == .contact
            var view = View(user: user)
            if Self.allows(settings.showOnlineStatus, isContact) {
                view.status = sharedStatus
                view.devices = isHidden ? [] : devices
            }
            if Self.allows(settings.showLastSeen, isContact) {
                view.lastSeen = lastSeenTime
            }
            if !isHidden, named, Self.allows(settings.showActivity, isContact) {
                view.activity = activity
            }
            return view
        }
    }

    @inline(__always)
    static func allows(_ audience: Audience, _ isContact: Bool) -> Bool {
        audience == .everyone || (audience == .contacts && isContact)
    }
}
