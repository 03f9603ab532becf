/// What a late invoice owes beyond its balance on one day: statutory (or contractual) interest
/// and the fixed compensation for recovery costs, computed when it is needed, never stored.
///
/// The rules, in one place:
/// - Interest runs from the day after the due date up to and including `asOf`: each day bears
///   interest on the principal still outstanding at the start of that day. The principal is the
///   invoice amount (late fees bear none). A payment reduces it from the day after the day it
///   was paid; the imported `paid` column, which carries no date, counts as paid by the due
///   date. A paid invoice therefore keeps the interest that ran until its last payment.
///   Payments go to the principal first (not to interest first as § 367 BGB would allow), so
///   the claim never exceeds what the statutes give.
/// - Day count actual/365: each day bears `principal × rate / 365`, in leap years too (the UK
///   guidance divides by 365).
/// - Exact: the sum is kept as an integer numerator over 365 × 10,000 (rates are in basis
///   points) and rounded once, half up, to the currency's minor units.
/// - Rates: `uk` takes the reference rate of the half-year in which interest starts to run (the
///   day after the due date) for the whole debt; `eu` and `de` take each half-year's rate for
///   the days in it. A day whose total rate would be below zero bears none.
/// - Compensation: once per late invoice, in the regime's currency only (GBP for `uk`, EUR for
///   `eu` and `de`); an invoice in another currency gets none (interest is still charged at the
///   regime's rate). For `uk` the band is chosen by the debt as it fell due (amount less what was
///   paid by the due date). A fixed `rate` and regime `none` give none.
public struct InterestClaim: Sendable, Equatable {
    /// One stretch of days with the same principal and rate.
    public struct Period: Sendable, Equatable {
        public var from: LocalDate
        public var through: LocalDate
        public var principal: Money
        public var rate: InterestRate
        public var days: Int { through.days(since: from) + 1 }
    }

    public var interest: Money
    public var compensation: Money
    /// The days that bore interest, oldest first (empty when none did).
    public var periods: [Period]
    public var asOf: LocalDate

    /// `balance + interest + compensation`: what a claim for this invoice states, where
    /// `balance` is the amount the message states (amount + fees − paid, perhaps with a stage fee).
    public func total(adding balance: Money) -> Money {
        Money(minorUnits: balance.minorUnits.saturatingAdding(interest.minorUnits).saturatingAdding(compensation.minorUnits),
              currency: balance.currency)
    }

    /// Interest and compensation for `invoice` on `asOf` under `policy`; `payments` are the
    /// payments recorded for it (in any order).
    public static func compute(_ policy: InterestPolicy, invoice: Invoice, payments: [Payment],
                               asOf: LocalDate) -> Result<InterestClaim, InterestError> {
        let currency = invoice.currency
        let zero = Money(minorUnits: 0, currency: currency)
        let recorded = payments.reduce(Int64(0)) { $0.saturatingAdding($1.amount.minorUnits) }
        let undated = max(0, invoice.paid.minorUnits.saturatingAdding(-recorded))
        let first = invoice.dueDate.adding(days: 1)
        // Principal at the start of `first`; later payments as (day they stop counting, amount).
        var principal = max(0, invoice.amount.minorUnits.saturatingAdding(-undated))
        var reductions: [(from: LocalDate, amount: Int64)] = []
        for payment in payments {
            if payment.paidOn < first { principal = max(0, principal.saturatingAdding(-payment.amount.minorUnits)) }
            else { reductions.append((payment.paidOn.adding(days: 1), payment.amount.minorUnits)) }
        }
        reductions.sort { $0.from < $1.from }
        let debtWhenDue = principal

        var regime: InterestRegime?
        if case .statutory(let statutory) = policy.basis { regime = statutory }
        guard asOf >= first, regime != InterestRegime.none else {
            return .success(InterestClaim(interest: zero, compensation: zero, periods: [], asOf: asOf))
        }

        // The rate of the day `day` by the policy's rule: a fixed rate, the reference rate of the
        // half-year interest started in (uk), or of the day's own half-year (eu, de).
        func rate(on day: LocalDate) -> Result<InterestRate, InterestError> {
            switch policy.basis {
            case .fixed(let rate): return .success(rate)
            case .statutory(let regime):
                let half = HalfYear(containing: regime.fixesRateForTheDebt ? first : day)
                return policy.referenceRate(half, regime: regime).map { $0 + regime.points }
            }
        }

        var periods: [Period] = []
        var numerator: Int128 = 0
        var day = first
        var next = 0
        while day <= asOf {
            while next < reductions.count, reductions[next].from <= day {
                principal = max(0, principal.saturatingAdding(-reductions[next].amount))
                next += 1
            }
            // The stretch ends before the next payment counts, the next half-year, or asOf.
            var through = min(asOf, HalfYear(containing: day).end)
            if next < reductions.count { through = min(through, reductions[next].from.adding(days: -1)) }
            if principal > 0 {
                let yearly: InterestRate
                switch rate(on: day) {
                case .success(let value): yearly = value
                case .failure(let error): return .failure(error)
                }
                let days = through.days(since: day) + 1
                numerator += Int128(principal) * Int128(max(0, yearly.basisPoints)) * Int128(days)
                let money = Money(minorUnits: principal, currency: currency)
                if let last = periods.last, last.principal == money, last.rate == yearly, last.through.adding(days: 1) == day {
                    periods[periods.count - 1].through = through
                } else {
                    periods.append(Period(from: day, through: through, principal: money, rate: yearly))
                }
            }
            day = through.adding(days: 1)
        }
        // Half up: add half the divisor before the (non-negative) division.
        let divisor: Int128 = 365 * 10_000
        let rounded = (numerator + divisor / 2) / divisor
        guard rounded <= Int128(Int64.max) else { return .failure(.tooLarge) }

        var compensation = zero
        if let regime, regime.compensationCurrency == currency.code, debtWhenDue > 0 {
            compensation = Money(minorUnits: regime.compensationMinorUnits(debt: debtWhenDue), currency: currency)
        }
        return .success(InterestClaim(interest: Money(minorUnits: Int64(rounded), currency: currency),
                                      compensation: compensation, periods: periods, asOf: asOf))
    }
}
