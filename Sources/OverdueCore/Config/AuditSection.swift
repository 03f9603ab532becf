/// `[audit]`: optional. `witness` is how often the daemon mails the audit chain's head to the
/// owner (`AuditWitness`); absent, no witness is sent.
enum AuditSection {
    /// Longer than a year would leave most of the trail unwitnessed for most of its life.
    static let maxWitness = Interval("365d")!

    /// The witness interval; `.some(nil)` when the section sets none, nil after a reported problem.
    static func read(_ reader: ConfigTableReader) -> Interval?? {
        reader.refuseUnknownKeys(allowed: ["witness"])
        let witness = reader.interval("witness", atMost: maxWitness)
        guard !reader.failed else { return nil }
        return .some(witness)
    }
}
