import Logging
import MQTT
import PresenceCore
import PresenceWire

/// The viewer side of a connection: turns messages on `out/{user}/+` into the directory and
/// the view updates, and messages on `err/{user}` into error reports.
///
/// Shared by every connection of a device or viewer, so that the directory survives reconnects.
final class ViewerState: Sendable {
    let topics: UserTopics
    /// The directory and its subscribers.
    let views = Broadcaster<PresenceDirectory, ViewUpdate>(PresenceDirectory())
    /// The number of error reports so far and the subscribers.
    let errors = Broadcaster<Int, PresenceErrorReport>(0)
    private let logger: Logger

    init(topics: UserTopics, logger: Logger) {
        self.topics = topics
        self.logger = logger
    }

    /// A new subscription to the view updates, starting with the directory as it is.
    func subscribeViews() -> ViewUpdates {
        ViewUpdates(stream: views.subscribe { directory in directory.sortedViews.map(ViewUpdate.updated) })
    }

    /// A new subscription to the error reports from now on.
    func subscribeErrors() -> PresenceErrorReports {
        PresenceErrorReports(stream: errors.subscribe { _ in [] })
    }

    /// Handles one received message; anything not a view or an error report is ignored.
    ///
    /// A view is keyed by the target in its topic (identity comes from the topic); a payload
    /// that does not parse is logged and skipped, the previous view stays.
    func handle(_ message: MQTTMessage) {
        if let target = topics.viewTarget(message.topic) {
            let update: ViewUpdate
            if message.payload.isEmpty {
                update = .removed(target)
            } else {
                do {
                    var view = try PresenceView(json: message.payload)
                    view.user = target
                    update = .updated(view)
                } catch {
                    logger.warning("unreadable view", metadata: ["topic": "\(message.topic)", "error": "\(error)"])
                    return
                }
            }
            views.update { directory in
                directory.apply(update) ? ([update], ()) : ([], ())
            }
        } else if message.topic == topics.errorTopic {
            let wire = ErrorReportPayload.decode(message.payload)
            let report = PresenceErrorReport(
                topic: wire?.topic ?? "",
                error: wire?.error ?? String(decoding: message.payload, as: UTF8.self))
            errors.update { count in
                count += 1
                return ([report], ())
            }
        }
    }

    /// Ends every subscription.
    func finish() {
        views.finish()
        errors.finish()
    }
}
