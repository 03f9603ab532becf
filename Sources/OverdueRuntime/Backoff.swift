import Foundation
import OverdueCore

/// When a delivery that failed temporarily is tried again, or that it is given up.
///
/// After the k-th temporary failure (k = 1, 2, …) at time `t`:
///
///     if t − queuedAt > give_up_after:  fail (the owner is told)
///     else:                             next attempt = t + retry[min(k − 1, retry.count − 1)]
///
/// so the schedule walks `delivery.retry` and then repeats its last step until the delivery has
/// been pending longer than `give_up_after`. The clock starts when the dispatch is queued, not
/// at the first failure, so a reminder never goes out much later than the day it was meant for.
/// An attempt scheduled before the give-up deadline is still made even if the deadline passes
/// meanwhile: the server gets one last chance, and the failure after it is final.
public enum Backoff {
    public enum Decision: Equatable, Sendable {
        case retry(at: Date)
        case giveUp
    }

    /// - Parameters:
    ///   - failures: how many temporary failures this delivery has had, including this one (≥ 1).
    ///   - failedAt: when this failure happened (the tick's instant).
    public static func decide(failures: Int, failedAt: Date, queuedAt: Date, policy: DeliveryPolicy) -> Decision {
        if failedAt.timeIntervalSince(queuedAt) > TimeInterval(policy.giveUpAfter.seconds) { return .giveUp }
        guard !policy.retry.isEmpty else { return .giveUp }
        return .retry(at: nextAttempt(failures: failures, failedAt: failedAt, policy: policy))
    }

    /// The schedule's next attempt, never given up: for a failure of the server rather than of
    /// the message, which must not fail reminders en masse (an empty schedule: the next tick).
    public static func nextAttempt(failures: Int, failedAt: Date, policy: DeliveryPolicy) -> Date {
        guard !policy.retry.isEmpty else { return failedAt }
        let step = policy.retry[min(max(failures, 1) - 1, policy.retry.count - 1)]
        return failedAt.addingTimeInterval(TimeInterval(step.seconds))
    }
}
