import Synchronization

/// An unbounded single-consumer queue with batched hand-off, behind `MQTTMessages` and
/// `MQTTConnectionEvents`.
///
/// The producer (the network thread) appends under the lock and wakes the consumer only when
/// the consumer is parked, which happens only when the buffer was empty: under load one wake-up
/// serves a whole batch. The consumer swaps the whole buffer out in one lock acquisition and
/// hands its emptied array back, so capacity is reused. Nothing is ever dropped: the buffer is
/// unbounded and its high-water mark is counted.
final class HandOffBuffer<Element: Sendable>: Sendable {
    private struct State {
        var items: [Element] = []
        var waiter: CheckedContinuation<Void, Never>?
        var finished = false
        var appended = 0
        var highWater = 0
    }

    private let state = Mutex(State())

    init() {}

    /// Adds one element; wakes the consumer if it is parked. Ignored after `finish()`.
    func append(_ element: Element) {
        let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
            guard !state.finished else { return nil }
            state.items.append(element)
            state.appended += 1
            if state.items.count > state.highWater { state.highWater = state.items.count }
            let waiter = state.waiter
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Ends the sequence once the buffered elements are consumed.
    func finish() {
        let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
            state.finished = true
            let waiter = state.waiter
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// (elements appended so far, high-water mark, elements buffered now).
    var counters: (appended: Int, highWater: Int, buffered: Int) {
        state.withLock { ($0.appended, $0.highWater, $0.items.count) }
    }

    /// Moves every buffered element into `batch` (which must be empty), waiting while there are none.
    /// Leaves `batch` empty when the buffer is finished and drained, when the task is cancelled,
    /// or for a second consumer that finds another one already parked.
    func take(into batch: inout [Element], isolation: isolated (any Actor)? = #isolation) async {
        while true {
            let done: Bool = state.withLock { state in
                if !state.items.isEmpty {
                    swap(&state.items, &batch)
                    return true
                }
                return state.finished || state.waiter != nil
            }
            if done || Task.isCancelled { return }
            await withTaskCancellationHandler {
                await withCheckedContinuation(isolation: isolation) { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow: Bool = state.withLock { state in
                        if !state.items.isEmpty || state.finished || state.waiter != nil || Task.isCancelled {
                            return true
                        }
                        state.waiter = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            } onCancel: {
                let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
                    let waiter = state.waiter
                    state.waiter = nil
                    return waiter
                }
                waiter?.resume()
            }
        }
    }
}

/// The iterator logic shared by the public sequences: a local batch, refilled from the buffer.
struct HandOffIterator<Element: Sendable> {
    let buffer: HandOffBuffer<Element>
    private var batch: [Element] = []
    private var index = 0

    init(buffer: HandOffBuffer<Element>) { self.buffer = buffer }

    mutating func next(isolation: isolated (any Actor)?) async -> Element? {
        if index < batch.count {
            let element = batch[index]
            index += 1
            return element
        }
        batch.removeAll(keepingCapacity: true)
        index = 0
        await buffer.take(into: &batch, isolation: isolation)
        guard !batch.isEmpty else { return nil }
        index = 1
        return batch[0]
    }
}
