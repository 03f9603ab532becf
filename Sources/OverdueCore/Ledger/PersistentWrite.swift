/// How both stores retry a write that must not be given up, such as the outcome of a message
/// the server already has.
public enum PersistentWrite {
    /// Runs `attempt` once, or with `persist` until it commits: after a failure `isTransient`
    /// calls transient (asked at once, while the store still knows its last failure),
    /// `report` is told of it and `pause` waits, 0.1 s at first, doubling to at most 5 s.
    /// Any other failure, and any failure without `persist`, is thrown at once.
    public static func run<T>(persist: Bool, isTransient: () -> Bool, report: (String) -> Void, pause: (Double) -> Void,
                              _ attempt: () throws -> T) throws -> T {
        var wait = 0.1
        while true {
            do {
                return try attempt()
            } catch let error as OverdueError where persist && isTransient() {
                report("\(error.message); retrying in \(wait) s, this record must not be lost")
                pause(wait)
                wait = min(wait * 2, 5)
            }
        }
    }
}
