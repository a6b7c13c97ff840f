import Dispatch
import Foundation
import Synchronization

/// A single-consumer queue with batched hand-off from the network thread to one task: behind
/// `MQTTInbox`, `MQTTMessages` and `MQTTConnectionEvents`.
///
/// The producer appends under the lock and wakes the consumer only when the consumer is parked,
/// which happens only when the buffer was empty: under load one wake-up serves a whole batch.
/// The consumer swaps the whole buffer out in one lock acquisition and hands its emptied array
/// back, so capacity is reused.
///
/// The bound: with a `capacity` (elements) or a `byteCapacity` (the elements' `weight`: the bytes
/// they hold), a producer that finds the buffer full waits (it is a thread of
/// its own, never a task) until the consumer has taken the batch; each such wait is counted as
/// a stall. While the network thread waits it reads nothing from the socket, so TCP pushes back
/// on the broker, which queues for this client (mosquitto's `max_queued_messages`). Nothing is
/// dropped, except what arrives after `finish()` or `stopTaking()`. One element heavier than
/// `byteCapacity` still goes in, alone: the bound is on what waits, not on what may arrive.
///
/// The consumer can wait with a timeout (the deadline of its own timers) and can be woken
/// without an element (`wake()`), so one buffer is all a single-writer loop needs to wait on.
final class HandOffBuffer<Element: Sendable>: Sendable {
    private struct State {
        var items: [Element] = []
        /// The weight of `items`.
        var bytes = 0
        /// When the oldest buffered element arrived.
        var oldestArrival: ContinuousClock.Instant?
        var waiter: CheckedContinuation<Void, Never>?
        /// Numbers the consumer's parks, so that a timer armed for one cannot end a later one.
        var park: UInt64 = 0
        /// The park the armed timer is for.
        var timedPark: UInt64 = 0
        /// A `wake()` that found nobody parked: the next `take` returns at once.
        var woken = false
        var finished = false
        /// The consumer will never take again: elements are dropped, producers never wait.
        var discarding = false
        var producerWaiting = false
        var appended = 0
        var dropped = 0
        var highWater = 0
        var stalls = 0
    }

    /// The most elements held at once; `Int.max` = unbounded.
    let capacity: Int
    /// The most bytes held at once (by `weight`), past a first element; `Int.max` = unbounded.
    let byteCapacity: Int
    /// The bytes an element holds, for `byteCapacity`.
    private let weight: @Sendable (Element) -> Int
    private let state = Mutex(State())
    /// Where a producer waits for room while the buffer is full.
    private let room = NSCondition()
    /// Ends a timed park. `nonisolated(unsafe)`: created in `init` and only scheduled (a
    /// thread-safe call of libdispatch) afterwards; its handler only takes `state`'s lock.
    private nonisolated(unsafe) let timer: DispatchSourceTimer

    init(capacity: Int = .max, byteCapacity: Int = .max, weight: @escaping @Sendable (Element) -> Int = { _ in 0 }) {
        self.capacity = max(capacity, 1)
        self.byteCapacity = max(byteCapacity, 1)
        self.weight = weight
        timer = DispatchSource.makeTimerSource(queue: .global())
        timer.setEventHandler { [weak self] in self?.timerFired() }
        timer.schedule(deadline: .distantFuture)
        timer.activate()
    }

    deinit {
        timer.cancel()
    }

    /// Adds one element and wakes the consumer if it is parked; waits for room while the
    /// buffer is full. Dropped after `finish()` or `stopTaking()`.
    func append(_ element: Element) {
        let bytes = byteCapacity == .max ? 0 : weight(element)
        while true {
            var mustWait = false
            let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
                if state.finished || state.discarding {
                    state.dropped += 1
                    return nil
                }
                if state.items.count >= capacity || (!state.items.isEmpty && state.bytes > byteCapacity - bytes) {
                    if !state.producerWaiting { state.stalls += 1 }
                    state.producerWaiting = true
                    mustWait = true
                    return nil
                }
                if state.items.isEmpty { state.oldestArrival = .now }
                state.items.append(element)
                state.bytes += bytes
                state.appended += 1
                if state.items.count > state.highWater { state.highWater = state.items.count }
                let waiter = state.waiter
                state.waiter = nil
                return waiter
            }
            guard mustWait else {
                waiter?.resume()
                return
            }
            room.lock()
            while state.withLock({ $0.producerWaiting }) { room.wait() }
            room.unlock()
        }
    }

    /// Ends the sequence once the buffered elements are consumed.
    func finish() {
        let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
            state.finished = true
            return Self.releaseAll(&state)
        }
        releaseProducer()
        waiter?.resume()
    }

    /// The consumer is gone for good: what is buffered and what comes later is dropped (and
    /// counted), and a producer never waits again.
    func stopTaking() {
        let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
            state.discarding = true
            state.dropped += state.items.count
            state.items.removeAll()
            state.bytes = 0
            return Self.releaseAll(&state)
        }
        releaseProducer()
        waiter?.resume()
    }

    /// Ends the consumer's current wait (or its next one, if it is not waiting) without an element.
    func wake() {
        let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
            guard let waiter = state.waiter else {
                state.woken = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// The buffer's counters so far.
    var counters: (appended: Int, highWater: Int, buffered: Int, stalls: Int, dropped: Int) {
        state.withLock { ($0.appended, $0.highWater, $0.items.count, $0.stalls, $0.dropped) }
    }

    /// Moves every buffered element into `batch` (which must be empty), waiting while there are
    /// none; returns when the batch's first element arrived. Leaves `batch` empty when the
    /// buffer is finished and drained, when the task is cancelled, when `wake()` was called, when
    /// `timeout` passed, or for a second consumer that finds another one already parked.
    @discardableResult
    func take(into batch: inout [Element], timeout: Duration? = nil, isolation: isolated (any Actor)? = #isolation) async -> ContinuousClock.Instant? {
        var arrival: ContinuousClock.Instant?
        if takeReady(into: &batch, arrival: &arrival) || Task.isCancelled || timeout.map({ $0 <= .zero }) == true { return arrival }
        await withTaskCancellationHandler {
            await withCheckedContinuation(isolation: isolation) { (continuation: CheckedContinuation<Void, Never>) in
                let park: UInt64? = state.withLock { state in
                    if !state.items.isEmpty || state.finished || state.discarding || state.woken
                        || state.waiter != nil || Task.isCancelled {
                        return nil
                    }
                    state.park &+= 1
                    state.waiter = continuation
                    if timeout != nil { state.timedPark = state.park }
                    return state.park
                }
                guard park != nil else {
                    continuation.resume()
                    return
                }
                if let timeout {
                    let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
                    timer.schedule(deadline: .now() + .nanoseconds(Int(clamping: nanoseconds)), leeway: .microseconds(500))
                }
            }
        } onCancel: {
            wake()
        }
        _ = takeReady(into: &batch, arrival: &arrival)
        return arrival
    }

    /// Takes what is buffered without waiting; true when the caller should not wait (elements
    /// taken, finished, or a pending wake consumed).
    private func takeReady(into batch: inout [Element], arrival: inout ContinuousClock.Instant?) -> Bool {
        var releaseRoom = false
        let ready: Bool = state.withLock { state in
            if !state.items.isEmpty {
                swap(&state.items, &batch)
                state.bytes = 0
                arrival = state.oldestArrival
                state.oldestArrival = nil
                releaseRoom = state.producerWaiting
                state.producerWaiting = false
                state.woken = false
                return true
            }
            if state.woken {
                state.woken = false
                return true
            }
            return state.finished || state.discarding || state.waiter != nil
        }
        if releaseRoom { releaseProducer() }
        return ready
    }

    private func timerFired() {
        let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
            guard state.waiter != nil, state.park == state.timedPark else { return nil }
            let waiter = state.waiter
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    private static func releaseAll(_ state: inout State) -> CheckedContinuation<Void, Never>? {
        state.producerWaiting = false
        let waiter = state.waiter
        state.waiter = nil
        return waiter
    }

    private func releaseProducer() {
        room.lock()
        room.broadcast()
        room.unlock()
    }
}

/// The iterator logic shared by the public sequences: a local batch, refilled from the buffer.
struct HandOffIterator<Element: Sendable> {
    let buffer: HandOffBuffer<Element>
    private var batch: [Element] = []
    private var index = 0

    init(buffer: HandOffBuffer<Element>) { self.buffer = buffer }

    /// The next element; nil at the end (the iterators never call `wake()` or use a timeout,
    /// so an empty batch means finished, cancelled or a second consumer).
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

extension HandOffBuffer {
    /// True once no element can come any more (finished and drained, or no longer taken).
    var isOver: Bool { state.withLock { ($0.finished && $0.items.isEmpty) || $0.discarding } }
}
