import Foundation
import OverdueCore

/// What one tick did: logged, audited as `tick.finished`, kept for `overdue status` and sent
/// to systemd as the service's STATUS line.
public struct TickSummary: Sendable, Equatable {
    /// The instant the tick decided at (`--as-of` or the clock).
    public var at: Date
    public var queued = 0
    public var sent = 0
    public var deferred = 0
    public var failed = 0
    /// Actions carried out without mail (`write-off`).
    public var done = 0
    /// Due deliveries no longer wanted (the invoice was paid, cancelled, the client blocked).
    public var withdrawn = 0
    /// Due deliveries held back: outside the send window, or the invoice or client is on hold;
    /// and reminders due that the closed window kept from being queued.
    public var waiting = 0
    /// Of those, the ones waiting for the send window, and when it opens (nil when none wait for it).
    public var windowWait: WindowWait?
    /// Due deliveries the closed send window held back (part of `waiting`).
    var heldByWindow = 0
    /// Due deliveries not tried because the tick stopped early (shutdown, server failing).
    public var leftForLater = 0
    /// Messages sent whose final reply never came: may have been delivered, never resent by themselves.
    public var ambiguous = 0

    public init(at: Date) { self.at = at }

    /// One line, e.g. `2026-03-01T11:00:00Z: queued 3, sent 2, deferred 1, failed 0, ...`.
    public var text: String {
        "tick at \(formatTimestamp(at)): queued \(queued), sent \(sent), deferred \(deferred), failed \(failed), "
            + "done \(done), withdrawn \(withdrawn), waiting \(waiting), left \(leftForLater), ambiguous \(ambiguous)"
            + (windowWait.map { "; \($0.sentence)" } ?? "")
    }

    var auditDetails: [(String, JSONValue)] {
        [("queued", .int(Int64(queued))), ("sent", .int(Int64(sent))), ("deferred", .int(Int64(deferred))),
         ("failed", .int(Int64(failed))), ("done", .int(Int64(done))), ("withdrawn", .int(Int64(withdrawn))),
         ("waiting", .int(Int64(waiting))), ("left", .int(Int64(leftForLater))),
         ("ambiguous", .int(Int64(ambiguous)))]
    }
}

/// What a tick would do now (`overdue tick --dry-run`).
public struct TickPreview: Sendable {
    public var at: Date
    /// Plan lines that would become new dispatches.
    public var newDispatches: [PlanLine]
    /// Already recorded dispatches that would be (re)sent.
    public var dueDispatches: [Dispatch]
    public var windowOpen: Bool
    /// Reminders the closed window holds back (due now but not queued, and queued ones), and
    /// when it opens; nil when none wait for it.
    public var windowWait: WindowWait?
}

/// Keys of the store's meta table that the runtime owns.
public enum MetaKey {
    /// Real time the last tick finished.
    public static let lastTickAt = "daemon.last_tick_at"
    /// The instant the last tick decided at (differs under `--as-of`).
    public static let lastTickAsOf = "daemon.last_tick_as_of"
    public static let lastTickSummary = "daemon.last_tick_summary"
    /// When the running daemon will tick next (absent when no daemon has run).
    public static let nextTickAt = "daemon.next_tick_at"
    public static let daemonPID = "daemon.pid"
    /// The mail server's last failure (`at` and the error, tab-separated) while it lasts; empty
    /// once a message went through again. Shown by `overdue status`.
    public static let serverProblem = "delivery.server_problem"
    /// Where reading the inbox got to (`InboxCursor.text`).
    public static let inboxCursor = "inbox.cursor"
    /// Since when the inbox could not be read, and why (tab-separated); empty once it was read.
    public static let inboxUnreachable = "inbox.unreachable"
}
