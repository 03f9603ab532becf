/// Something that happens to a dispatch between the tick that queues it and its end.
public enum DispatchEvent: Sendable, Equatable, Hashable {
    /// Durably marked before the message's first byte goes to the server.
    case markSending
    /// The server accepted the message.
    case delivered
    /// Not delivered yet; tried again on the retry schedule.
    case deferred
    /// Refused permanently, given up, or not renderable.
    case failed
    /// The message's last byte may have reached the server but no final reply came (dropped
    /// connection, reply later than RFC 5321's wait, or the process died while sending).
    case lostInFlight
    /// The invoice was settled, put out of dunning or its client blocked: it must not go out.
    case withdrawn
    /// An action without mail (`write-off`) was carried out.
    case carriedOut
    /// A member of a batch marked `sending` that never reached the transport goes back to the
    /// state it had before the mark.
    case putBack(to: DispatchState)
    /// `invoice resolve --sent`.
    case resolvedSent
    /// `invoice resolve --resend`.
    case resolvedResend
    /// `invoice requeue`: the owner sends a failed reminder again.
    case requeued

    /// Every event, for the table tests (`putBack` once for each state it can return to).
    public static let all: [DispatchEvent] = [
        .markSending, .delivered, .deferred, .failed, .lostInFlight, .withdrawn, .carriedOut,
        .putBack(to: .queued), .putBack(to: .retrying), .putBack(to: .released), .putBack(to: .sending),
        .putBack(to: .sent), .resolvedSent, .resolvedResend, .requeued,
    ]
}

/// The delivery lifecycle: which event may happen to a dispatch in which state, and where it
/// leads. This table is the whole rule; the store enforces the same pairs with a trigger
/// (schema version 3), so even a stray `UPDATE` cannot move a dispatch illegally:
///
///     queued | retrying | released --markSending--> sending
///                                   --withdrawn--> withdrawn, --carriedOut--> done, --failed--> failed
///     sending --delivered--> sent, --deferred--> retrying, --failed--> failed,
///             --lostInFlight--> ambiguous, --withdrawn--> withdrawn, --putBack--> its earlier state
///     ambiguous --resolvedSent--> sent, --resolvedResend--> released
///     failed --requeued--> released
///     sent, done, withdrawn: final
///
/// Nothing moves a dispatch to the state it is in: above all `sending` -> `sending`, which would
/// let a second sender take a message that is already on the wire.
extension DispatchState {
    /// Dispatches a tick may send (or carry out) when their time has come.
    public var isDue: Bool { self == .queued || self == .retrying || self == .released }

    /// The state after `event`, or nil when the event is illegal here.
    public func applying(_ event: DispatchEvent) -> DispatchState? {
        switch (self, event) {
        case (.queued, .markSending), (.retrying, .markSending), (.released, .markSending): .sending
        case (.queued, .withdrawn), (.retrying, .withdrawn), (.released, .withdrawn), (.sending, .withdrawn): .withdrawn
        case (.queued, .carriedOut), (.retrying, .carriedOut), (.released, .carriedOut): .done
        case (.queued, .failed), (.retrying, .failed), (.released, .failed), (.sending, .failed): .failed
        case (.sending, .delivered): .sent
        case (.sending, .deferred): .retrying
        case (.sending, .lostInFlight): .ambiguous
        case (.sending, .putBack(let earlier)) where earlier.isDue: earlier
        case (.ambiguous, .resolvedSent): .sent
        case (.ambiguous, .resolvedResend): .released
        case (.failed, .requeued): .released
        default: nil
        }
    }

    /// True when some event moves a dispatch from this state to `next`.
    public func canMove(to next: DispatchState) -> Bool {
        DispatchEvent.all.contains { applying($0) == next }
    }
}
