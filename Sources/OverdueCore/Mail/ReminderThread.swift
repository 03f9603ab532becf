extension InvoiceContext {
    /// The Message-IDs a client reminder for `stage` refers to (`References`, the last as
    /// `In-Reply-To`), so that the client's mailbox shows the reminders of one invoice as one
    /// thread: the earlier client emails of this invoice, oldest first.
    ///
    /// Earlier means dispatched before `stage`'s own dispatch (all of them when it has none
    /// yet, as in `preview`). Counted are the messages that reached, or may have reached, the
    /// client: `sent`, and `ambiguous` (interrupted after the server may have accepted it; a
    /// reference to a message that never arrived is harmless, a missing one splits the
    /// thread). Not counted: `failed` (never arrived), `queued`, `sending`, `retrying` and
    /// `released` (not delivered yet), and escalations and write-offs, which went to no client.
    public func threadReferences(forStage stage: String) -> [String] {
        let ownID = dispatches.first { $0.stage == stage }?.id
        return dispatches.compactMap { dispatch in
            guard dispatch.action == .email, dispatch.stage != stage, ownID.map({ dispatch.id < $0 }) ?? true,
                  dispatch.state == .sent || dispatch.state == .ambiguous else { return nil }
            return dispatch.messageID
        }
    }
}
