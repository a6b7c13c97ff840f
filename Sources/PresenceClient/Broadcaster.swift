import Synchronization

/// A value plus any number of subscribers, each with its own unbounded buffer; the value and
/// the subscriber list change under one lock, so a new subscriber sees a consistent start
/// (`initial` of the value) followed by every later element, none twice, none missed.
final class Broadcaster<Value: Sendable, Element: Sendable>: Sendable {
    private struct State {
        var value: Value
        var nextID = 0
        var subscribers: [Int: AsyncStream<Element>.Continuation] = [:]
        var finished = false
    }

    private let state: Mutex<State>

    init(_ value: Value) {
        state = Mutex(State(value: value))
    }

    /// The current value.
    var value: Value { state.withLock { $0.value } }

    /// Changes the value; the elements `body` returns go to every subscriber, in order.
    @discardableResult
    func update<Result>(_ body: (inout Value) -> (elements: [Element], result: Result)) -> Result {
        state.withLock { state in
            let (elements, result) = body(&state.value)
            for element in elements {
                for continuation in state.subscribers.values { continuation.yield(element) }
            }
            return result
        }
    }

    /// Sends `elements` to every subscriber without changing the value.
    func send(_ elements: [Element]) {
        update { _ in (elements, ()) }
    }

    /// A new subscriber: first `initial(value)`, then every later element; it ends at `finish()`
    /// (at once if already finished, after `initial`).
    func subscribe(initial: (Value) -> [Element]) -> AsyncStream<Element> {
        let (stream, continuation) = AsyncStream<Element>.makeStream(bufferingPolicy: .unbounded)
        let id: Int? = state.withLock { state in
            for element in initial(state.value) { continuation.yield(element) }
            guard !state.finished else { return nil }
            let id = state.nextID
            state.nextID += 1
            state.subscribers[id] = continuation
            return id
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Ends every subscription (after their buffered elements) and any made later.
    func finish() {
        let continuations: [AsyncStream<Element>.Continuation] = state.withLock { state in
            state.finished = true
            defer { state.subscribers.removeAll() }
            return Array(state.subscribers.values)
        }
        for continuation in continuations { continuation.finish() }
    }
}
