import PresenceCore
import Testing

/// Random operations over a small universe, checked step by step against ``ReferenceModel``.
@Suite("Model-based: the engine agrees with a from-scratch reference")
struct ModelBasedTests {
    static let users: [UserID] = ["ann", "bob", "cy", "dee", "eve"]
    static let devices: [DeviceID] = ["d1", "d2", "d3"]
    static let sessions: [String?] = [nil, "s1", "s2", "s3"]
    static let configuration = EngineConfiguration(
        heartbeatIntervalMilliseconds: 10_000,
        offlineGraceMilliseconds: 5_000,
        activityTTLMilliseconds: 3_000,
        maxDevicesPerUser: 2
    )
    static let seeds: [UInt64] = (1...40).map { UInt64($0) &* 0x2545_F491_4F6C_DD1D }
    static let stepsPerSeed = 300

    @Test("every view held equals the reference after each of 12,000 random steps", arguments: seeds)
    func engineMatchesReference(seed: UInt64) throws {
        var run = ModelRun(seed: seed)
        try run.execute(steps: Self.stepsPerSeed)
    }

    @Test("the random operations reach every rule")
    func randomWalkCoversEveryRule() throws {
        var coverage: [String: Int] = [:]
        var forgotten = 0
        for seed in Self.seeds.prefix(10) {
            var run = ModelRun(seed: seed)
            try run.execute(steps: Self.stepsPerSeed)
            coverage.merge(run.model.coverage, uniquingKeysWith: +)
            forgotten += run.forgotten
        }
        #expect(forgotten > 0, "no user was ever forgotten")
        let rules = ["liveness loss cancelled", "resumed by heartbeat", "stale offline ignored", "will grace started",
                     "reconnect within grace", "too many devices", "offline device evicted", "liveness loss",
                     "activity expired", "last seen moved", "replay of a lost device ignored"]
        for rule in rules {
            #expect(coverage[rule, default: 0] > 0, "never exercised: \(rule) (\(coverage))")
        }
    }

    @Test("the same seed gives the same outputs in the same order")
    func outputsAreDeterministic() throws {
        var first = ModelRun(seed: 7)
        var second = ModelRun(seed: 7)
        try first.execute(steps: 200)
        try second.execute(steps: 200)
        #expect(first.transcript == second.transcript)
    }
}

/// One seeded run: random inputs to the engine and the reference, compared after every step.
struct ModelRun {
    let seed: UInt64
    var random: SplitMix64
    /// Decides when to forget users nobody names, apart from `random`.
    var forgetting: SplitMix64
    /// Users forgotten so far.
    var forgotten = 0
    var engine = PresenceEngine(configuration: ModelBasedTests.configuration)
    var model = ReferenceModel(configuration: ModelBasedTests.configuration)
    var held: [ViewKey: View] = [:]
    var now: Int64 = 1_000_000
    var transcript: [EngineOutput] = []

    init(seed: UInt64) {
        self.seed = seed
        random = SplitMix64(seed: seed)
        forgetting = SplitMix64(seed: ~seed)
    }

    mutating func randomUsers(allowSelf user: UserID?) -> [UserID] {
        var list: [UserID] = []
        for _ in 0..<random.below(5) { list.append(random.pick(ModelBasedTests.users)) }
        if let user, random.chance(15) { list.append(user) }
        // Users who never send anything, only named: the ones the engine forgets once unnamed.
        // From `forgetting`, so that the walk's own choices stay what they were.
        if forgetting.chance(30) { list.append(forgetting.pick(["named1", "named2", "named3"])) }
        return list
    }

    mutating func randomAudience() -> Audience? { random.chance(40) ? nil : random.pick(Audience.allCases) }

    mutating func randomInput() -> PresenceInput {
        let user = random.pick(ModelBasedTests.users)
        let device = random.pick(ModelBasedTests.devices)
        switch random.below(100) {
        case 0..<34:
            let status = random.pick([DeviceStatus.online, .online, .away, .invisible, .offline, .offline])
            let state = DeviceState(
                status: status,
                session: random.pick(ModelBasedTests.sessions),
                platform: random.pick([nil, "web", "mobile"]),
                isLost: status == .offline && random.chance(50)
            )
            return .deviceState(user, device, state)
        case 34..<56:
            return .heartbeat(user, device, session: random.pick(ModelBasedTests.sessions))
        case 56..<72:
            guard random.chance(80) else { return .activity(user, device, nil) }
            let kind = random.pick(ActivityKind.allCases)
            let activity = Activity(
                kind: kind,
                detail: random.pick([nil, "c1", "c2"]),
                audience: random.chance(40) ? randomUsers(allowSelf: user) : nil,
                ttlMilliseconds: random.pick([nil, 0, 1_000, 6_000])
            )
            return .activity(user, device, activity)
        case 72..<80:
            return .settings(user, PrivacySettingsUpdate(showOnlineStatus: randomAudience(), showLastSeen: randomAudience(),
                                                         showActivity: randomAudience()))
        case 80..<88:
            return .contacts(user, randomUsers(allowSelf: user))
        case 88..<94:
            return .blocked(user, randomUsers(allowSelf: user))
        default:
            return .watch(user, randomUsers(allowSelf: user))
        }
    }

    mutating func randomStoredUsers() -> [StoredUser] {
        ModelBasedTests.users.filter { _ in random.chance(60) }.map { user in
            StoredUser(
                user: user,
                lastSeen: random.chance(50) ? Timestamp(millisecondsSinceEpoch: Int64(random.below(900_000))) : nil,
                settings: random.chance(50)
                    ? PrivacySettings(showOnlineStatus: random.pick(Audience.allCases), showLastSeen: random.pick(Audience.allCases),
                                      showActivity: random.pick(Audience.allCases)) : nil,
                contacts: randomUsers(allowSelf: user),
                blocked: randomUsers(allowSelf: user),
                watch: randomUsers(allowSelf: user)
            )
        }
    }

    mutating func execute(steps: Int) throws {
        if random.chance(50) {
            let stored = randomStoredUsers()
            engine.restore(stored)
            model.restore(stored)
            engine.forEachView { viewer, target, view in held[ViewKey(viewer: viewer, target: target)] = view }
            try compare(step: -1, what: "restore")
        }
        for step in 0..<steps {
            let lastSeenBefore = model.lastSeen
            let settingsBefore = model.settings
            var output = EngineOutput()
            var what: String
            if random.chance(18) {
                now += random.pick([0, 500, 1_000, 2_999, 3_000, 5_000, 20_000, 25_000, 30_000, 60_000])
                what = "tick \(now)"
                output = engine.tick(at: MonotonicInstant(milliseconds: now))
                model.tick(now: now)
            } else {
                let input = randomInput()
                let live = random.chance(88)
                what = "\(input) live=\(live) at \(now)"
                var engineRejection: InputRejection?
                var modelRejected = false
                do { output = try engine.apply(input, live: live, at: ClockReading(instant: MonotonicInstant(milliseconds: now), wall: Timestamp(millisecondsSinceEpoch: now))) } catch { engineRejection = error }
                do { try model.apply(input, live: live, now: now) } catch { modelRejected = true }
                #expect((engineRejection != nil) == modelRejected, "seed \(seed) step \(step): rejection differs for \(what)")
                if let engineRejection { #expect(engineRejection.code == .tooManyDevices) }
            }
            transcript.append(output)
            apply(output, step: step, what: what)
            checkDurable(output, lastSeenBefore: lastSeenBefore, settingsBefore: settingsBefore, step: step, what: what)
            try compare(step: step, what: what)
            // Forgetting users nobody names changes no view (the reference never forgets); its
            // own generator leaves the walk's the same.
            if forgetting.chance(10) {
                let count = engine.forgetUnlistedUsers { _ in false }
                forgotten += count
                try compare(step: step, what: "forgetting \(count) users nobody names after \(what)")
            }
        }
        var enumerated: [ViewKey: View] = [:]
        engine.forEachView { viewer, target, view in enumerated[ViewKey(viewer: viewer, target: target)] = view }
        #expect(enumerated == held, "seed \(seed): forEachView differs from the views held")
    }

    mutating func apply(_ output: EngineOutput, step: Int, what: String) {
        for change in output.viewChanges {
            switch change {
            case .publish(let viewer, let target, let view, let previous):
                let key = ViewKey(viewer: viewer, target: target)
                #expect(held[key] != view, "seed \(seed) step \(step): publish of \(key) changes nothing (\(what))")
                #expect(held[key] == previous, "seed \(seed) step \(step): previous of \(key) is not the view held (\(what))")
                held[key] = view
            case .delete(let viewer, let target, let previous):
                let key = ViewKey(viewer: viewer, target: target)
                #expect(held.removeValue(forKey: key) == previous, "seed \(seed) step \(step): delete of \(key) not as held (\(what))")
            }
        }
    }

    func checkDurable(_ output: EngineOutput, lastSeenBefore: [UserID: Int64], settingsBefore: [UserID: PrivacySettings],
                      step: Int, what: String) {
        var emittedLastSeen: [UserID: Int64] = [:]
        for change in output.durableChanges {
            switch change {
            case .lastSeen(let user, let time):
                emittedLastSeen[user] = time.millisecondsSinceEpoch
                #expect(time.millisecondsSinceEpoch > lastSeenBefore[user] ?? .min, "seed \(seed) step \(step): last seen moved backwards")
            case .settings(let user, let settings):
                #expect(model.settings[user] == settings, "seed \(seed) step \(step): durable settings differ")
                #expect((settingsBefore[user] ?? .defaults) != settings, "seed \(seed) step \(step): settings unchanged but emitted")
            default:
                break
            }
        }
        let changed = model.lastSeen.filter { lastSeenBefore[$0.key] != $0.value }
        #expect(emittedLastSeen == changed, "seed \(seed) step \(step): last-seen changes \(emittedLastSeen) != \(changed) after \(what)")
    }

    func compare(step: Int, what: String) throws {
        let expected = model.allViews()
        if expected != held {
            var lines: [String] = []
            for key in Set(expected.keys).union(held.keys).sorted(by: { "\($0)" < "\($1)" }) where expected[key] != held[key] {
                lines.append("\(key): engine \(held[key].map { "\($0)" } ?? "none") reference \(expected[key].map { "\($0)" } ?? "none")")
            }
            let detail = lines.joined(separator: "\n")
            Issue.record("seed \(seed) step \(step) after \(what):\n\(detail)")
            throw ModelMismatch()
        }
        for (key, view) in held where key.viewer != key.target {
            let rules = model.settings[key.target] ?? .defaults
            let isContact = model.contacts[key.target]?.contains(key.viewer) == true
            func allowed(_ audience: Audience) -> Bool { audience == .everyone || (audience == .contacts && isContact) }
            if model.blocked[key.target]?.contains(key.viewer) == true {
                #expect(view == View(user: key.target), "seed \(seed) step \(step): blocked viewer sees \(view)")
            }
            #expect(view.status == nil || allowed(rules.showOnlineStatus), "seed \(seed) step \(step): status leaked to \(key)")
            #expect(view.devices.map { _ in true } == view.status.map { _ in true }, "seed \(seed) step \(step): devices without status")
            #expect(view.lastSeen == nil || allowed(rules.showLastSeen), "seed \(seed) step \(step): last seen leaked to \(key)")
            #expect(view.activity == nil || allowed(rules.showActivity), "seed \(seed) step \(step): activity leaked to \(key)")
            #expect(engine.view(of: key.target, for: key.viewer) == view, "seed \(seed) step \(step): view(of:for:) differs")
        }
        if let event = model.earliestEvent() {
            let next = engine.nextDeadline?.milliseconds ?? .max
            #expect(next <= event.time, "seed \(seed) step \(step): next deadline \(next) later than a pending timer \(event.time)")
        }
    }
}

struct ModelMismatch: Error {}
