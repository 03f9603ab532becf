/// What a tick does with a due dispatch, given the ledger as it stands now. Asked twice per
/// message: when its batch is prepared, and again immediately before its first byte, so a
/// command that settled the invoice or blocked the client meanwhile withdraws it (the tick
/// skips the second read when nothing has changed the ledger since the first).
public enum DeliveryDecision: Sendable, Equatable {
    /// Compose and send the message (a client reminder or the owner's hand-off notice).
    case send
    /// Carry the action out without mail (`write-off`).
    case carryOut
    /// It must never go out: recorded `withdrawn` with the reason.
    case withdraw(reason: String)
    /// Not now; it stays due and is asked again at the next tick.
    case wait(WaitReason)

    public enum WaitReason: String, Sendable {
        case hold, clientHold = "client-hold", window
    }

    /// The decision for `dispatch`, in the planner's order of precedence: closed or blocked
    /// (withdrawn), client hold, hold, then the send window.
    ///
    /// - Parameters:
    ///   - context: the invoice, its client and history as the ledger holds them now; nil
    ///     when the invoice is no longer in the ledger.
    ///   - windowOpen: whether `send_window` is open at the tick's instant. It holds back every
    ///     action, a write-off included, exactly as `plan` reports `window` for one.
    public static func decide(_ dispatch: Dispatch, context: InvoiceContext?, windowOpen: Bool) -> DeliveryDecision {
        guard let context else { return .withdraw(reason: "the invoice is no longer in the ledger") }
        if let reason = withdrawal(of: dispatch.action, context: context) { return .withdraw(reason: reason) }
        if context.clientRow.onHold { return .wait(.clientHold) }
        if context.invoice.onHold { return .wait(.hold) }
        if !windowOpen { return .wait(.window) }
        return dispatch.action == .writeOff ? .carryOut : .send
    }

    /// Why a dispatch of `action` must no longer happen, if it must not. An escalation still
    /// reaches the owner for an invoice already escalated; a write-off also applies to one
    /// escalated or already written off.
    static func withdrawal(of action: Stage.Action, context: InvoiceContext) -> String? {
        let invoice = context.invoice
        switch action {
        case .email:
            if invoice.status != .open { return "the invoice is \(invoice.status.inWords)" }
            if invoice.balance.minorUnits <= 0 { return "the invoice is paid" }
            if context.clientRow.blocked { return "client \(context.clientRow.id) is blocked" }
        case .escalate:
            if invoice.status != .open && invoice.status != .escalated { return "the invoice is \(invoice.status.inWords)" }
            if invoice.balance.minorUnits <= 0 { return "the invoice is paid" }
        case .writeOff:
            if invoice.status != .open && invoice.status != .writtenOff && invoice.status != .escalated {
                return "the invoice is \(invoice.status.inWords)"
            }
        }
        return nil
    }
}

/// What one delivery attempt means for its dispatch.
public enum DeliveryVerdict: Sendable, Equatable {
    case delivered(reply: String)
    /// The server refused this message for good.
    case failed(reply: String)
    /// The server deferred this message (4xx): tried again on the retry schedule until
    /// `give_up_after`.
    case deferred(reply: String)
    /// The server, not the message, failed (connection, TLS, certificate, authentication): the
    /// tick sends nothing more, this dispatch is tried again on the retry schedule and never
    /// given up for it, and no notice goes through that server.
    case serverProblem(reply: String)
    /// The message's last byte went out and no final reply came: it may have been accepted.
    /// Never resent by itself (a duplicate dunning letter is worse than a late one).
    case ambiguous(reply: String)

    public init(_ result: DeliveryResult) {
        switch result {
        case .delivered(let reply): self = .delivered(reply: reply)
        case .permanent(_, let reply): self = .failed(reply: reply)
        case .temporary(_, let reply): self = .deferred(reply: reply)
        case .unavailable(_, let reply), .authenticationRefused(_, let reply): self = .serverProblem(reply: reply)
        case .ambiguous(let reply): self = .ambiguous(reply: reply)
        }
    }

    /// The lifecycle event it stands for.
    public var event: DispatchEvent {
        switch self {
        case .delivered: .delivered
        case .failed: .failed
        case .deferred, .serverProblem: .deferred
        case .ambiguous: .lostInFlight
        }
    }
}

/// How many messages a tick marks `sending` in one durable commit. A crash makes the whole
/// batch in flight ambiguous, so the size adapts to the server: the next batch holds about
/// `batchSeconds` of sending at the previous batch's pace,
///
///     next = clamp(batchSeconds / (sendingSeconds / sent), 1, maxBatch)
///
/// and stays as it was when the previous batch timed no send.
public enum DeliveryBatching {
    /// The first batch of a tick, before any send has been timed: one message.
    public static let firstBatch = 1
    /// At most this many messages in one batch: a crash makes at most this many ambiguous.
    public static let maxBatch = 50
    /// A batch aims to take about this long to send.
    public static let batchSeconds = 0.05

    public static func nextSize(sent: Int, sendingSeconds: Double, current: Int) -> Int {
        guard sent > 0, sendingSeconds > 0 else { return current }
        let perMessage = sendingSeconds / Double(sent)
        return max(1, Int(min(Double(maxBatch), batchSeconds / perMessage)))
    }
}
