import Foundation
import OverdueCore

/// What `overdue status` shows: the daemon's last and next tick, the outbox by state, and the
/// reminders coming up.
public struct StatusReport: Sendable {
    public struct Upcoming: Sendable, Equatable {
        public var invoice: String
        public var stage: String
        /// The local date it becomes due (today when it is due now).
        public var date: LocalDate
    }

    public var lastTickAt: String?
    public var lastTickAsOf: String?
    public var lastTickSummary: String?
    public var nextTickAt: String?
    /// Queued, released for resending, or in flight.
    public var pending: [Dispatch]
    public var retrying: [Dispatch]
    public var failed: [Dispatch]
    public var ambiguous: [Dispatch]
    /// The next reminders due, soonest first.
    public var upcoming: [Upcoming]
    /// The mail server's failure that stopped the last sending tick (when, and the error),
    /// until a message goes through again.
    public var serverProblem: (at: String, error: String)?
    /// The live daemons sharing the ledger (PostgreSQL); none on SQLite.
    public var daemons: [DaemonRecord] = []

    /// Reads the report from the ledger; `limit` caps the upcoming list.
    public static func read(store: any Outbox & PlanningSource & DaemonState, config: Config, at instant: Date, limit: Int = 10) throws -> StatusReport {
        let states = try store.dispatches(in: [.queued, .released, .sending, .retrying, .failed, .ambiguous]).sorted { $0.id < $1.id }
        var report = StatusReport(
            lastTickAt: try store.meta(MetaKey.lastTickAt), lastTickAsOf: try store.meta(MetaKey.lastTickAsOf),
            lastTickSummary: try store.meta(MetaKey.lastTickSummary), nextTickAt: try store.meta(MetaKey.nextTickAt),
            pending: states.filter { [.queued, .released, .sending].contains($0.state) },
            retrying: states.filter { $0.state == .retrying }, failed: states.filter { $0.state == .failed },
            ambiguous: states.filter { $0.state == .ambiguous },
            upcoming: try upcoming(store: store, config: config, at: instant, limit: limit),
            serverProblem: try store.meta(MetaKey.serverProblem).flatMap { value in
                guard let tab = value.firstIndex(of: "\t") else { return nil }
                return (String(value[..<tab]), String(value[value.index(after: tab)...]))
            })
        report.daemons = try store.liveDaemons()
        return report
    }

    /// For every invoice that may still be reminded: the stage the planner will dispatch next and
    /// the local date it will (`EscalationPlanner.nextAction`), so this list never disagrees with
    /// `plan`: what `plan` shows due or waiting for the window, gap or notice period is listed
    /// here with that same stage, on the day the window opens or the wait ends.
    static func upcoming(store: any PlanningSource, config: Config, at instant: Date, limit: Int) throws -> [Upcoming] {
        let planner = EscalationPlanner(config: config)
        var found: [Upcoming] = []
        try store.forEachInvoiceContext { context in
            guard let next = planner.nextAction(context, from: instant), let stage = next.line.stage else { return }
            found.append(Upcoming(invoice: next.line.invoice, stage: stage,
                                  date: LocalDateTime(next.at, in: planner.timeZone).date))
        }
        return Array(found.sorted { ($0.date, $0.invoice) < ($1.date, $1.invoice) }.prefix(limit))
    }

    /// One JSON object.
    public var json: String {
        func list(_ dispatches: [Dispatch]) -> JSONValue {
            .array(dispatches.map { d in
                var pairs: [(String, JSONValue)] = [("invoice", .string(d.invoiceNumber)), ("stage", .string(d.stage)),
                                                    ("state", .string(d.state.rawValue)), ("attempts", .int(Int64(d.attempts)))]
                pairs.append(("next_attempt", .optional(d.nextAttemptAt.map(formatTimestamp))))
                pairs.append(("message_id", .optional(d.messageID)))
                pairs.append(("last_reply", .optional(d.lastReply)))
                return .object(pairs)
            })
        }
        let object: JSONValue = .object([
            ("last_tick", .optional(lastTickAt)), ("last_tick_as_of", .optional(lastTickAsOf)),
            ("last_tick_summary", .optional(lastTickSummary)), ("next_tick", .optional(nextTickAt)),
            ("server_problem", serverProblem.map { .object([("at", .string($0.at)), ("error", .string($0.error))]) } ?? .null),
            ("pending", .int(Int64(pending.count))), ("retrying", .int(Int64(retrying.count))),
            ("failed", .int(Int64(failed.count))), ("ambiguous", .int(Int64(ambiguous.count))),
            ("deliveries", .object([("pending", list(pending)), ("retrying", list(retrying)),
                                    ("failed", list(failed)), ("ambiguous", list(ambiguous))])),
            ("next_due", .array(upcoming.map { .object([("invoice", .string($0.invoice)), ("stage", .string($0.stage)),
                                                        ("date", .string($0.date.description))]) })),
            ("daemons", .array(daemons.map { d in
                .object([("id", .string(d.id)), ("host", .string(d.host)), ("pid", .int(d.pid)),
                         ("started", .string(formatTimestamp(d.started))),
                         ("last_tick", .optional(d.lastTick.map(formatTimestamp))), ("claimed", .int(Int64(d.claimed)))])
            })),
        ])
        return object.serialized
    }

    /// Human-readable lines.
    public var tableLines: [String] {
        var lines: [String] = []
        lines.append("last tick:  " + (lastTickAt.map { at in
            at + (lastTickAsOf.map { $0 == at ? "" : " (as of \($0))" } ?? "") } ?? "never"))
        if let lastTickSummary { lines.append("            " + lastTickSummary) }
        lines.append("next tick:  " + (nextTickAt ?? "unknown (no daemon has run)"))
        if let serverProblem {
            lines.append("server problem: since \(serverProblem.at): \(serverProblem.error) (reminders wait and are retried)")
        }
        if !daemons.isEmpty {
            lines.append("daemons:    \(daemons.count)")
            for d in daemons {
                lines.append("  \(d.id)  host \(d.host) pid \(d.pid)  last tick \(d.lastTick.map(formatTimestamp) ?? "-")  claimed \(d.claimed)")
            }
        }
        lines.append("pending:    \(pending.count)")
        lines.append("retrying:   \(retrying.count)")
        for d in retrying {
            lines.append("  \(d.invoiceNumber)  \(d.stage)  attempts \(d.attempts), next \(d.nextAttemptAt.map(formatTimestamp) ?? "-")  \(d.lastReply ?? "")")
        }
        lines.append("failed:     \(failed.count)")
        for d in failed {
            lines.append("  \(d.invoiceNumber)  \(d.stage)  \(d.lastReply ?? "")  send again: overdue invoice requeue "
                + "\(OwnerNotices.shellQuoted(d.invoiceNumber)) --stage \(d.stage)")
        }
        lines.append("ambiguous:  \(ambiguous.count)")
        for d in ambiguous {
            lines.append("  \(d.invoiceNumber)  \(d.stage)  \(d.messageID ?? "")  settle: overdue invoice resolve "
                + "\(OwnerNotices.shellQuoted(d.invoiceNumber)) --stage \(d.stage) --sent|--resend")
        }
        lines.append("next reminders due:")
        if upcoming.isEmpty { lines.append("  (none)") }
        for u in upcoming { lines.append("  \(u.date)  \(u.invoice)  \(u.stage)") }
        return lines
    }
}
