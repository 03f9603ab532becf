/// A statutory late-payment regime: which reference rate, how many points above it, whether
/// the rate is fixed for the debt or follows each half-year, and the fixed compensation.
public enum InterestRegime: String, Sendable, CaseIterable {
    /// Configured, but nothing is claimed: interest and compensation are zero.
    case none
    /// Late Payment of Commercial Debts (Interest) Act 1998: Bank Rate + 8 points, the reference
    /// rate of the half-year in which interest starts to run fixed for the whole debt;
    /// compensation 40 / 70 / 100 GBP (s. 5A) for debts under 1,000 / under 10,000 / larger.
    case uk
    /// Directive 2011/7/EU: ECB rate + 8 points (the minimum), the reference rate of each
    /// half-year applying to the days in it (the Directive fixes the rate per semester, "the
    /// rate in force on 1 January" for the first and "on 1 July" for the second, not per debt);
    /// compensation 40 EUR (Art. 6).
    case eu
    /// § 288 Abs. 2 BGB (no consumer party): Basiszinssatz + 9 points, the Basiszinssatz of each
    /// half-year applying to the days in it (§ 247 BGB); Pauschale 40 EUR (§ 288 Abs. 5).
    case de

    /// The published rates it adds its points to; nil for `none`.
    public var table: ReferenceRateTable? {
        switch self {
        case .none: nil
        case .uk: .bankOfEngland
        case .eu: .ecb
        case .de: .basiszinssatz
        }
    }

    public var points: InterestRate {
        InterestRate(basisPoints: self == .de ? 900 : self == .none ? 0 : 800)
    }

    /// The UK fixes the rate for the debt; the others follow the half-years.
    public var fixesRateForTheDebt: Bool { self == .uk }

    /// The currency the compensation is written in; an invoice in another currency gets none.
    public var compensationCurrency: String? {
        switch self {
        case .none: nil
        case .uk: "GBP"
        case .eu, .de: "EUR"
        }
    }

    /// The fixed compensation for a late debt of `debt` minor units in `compensationCurrency`.
    func compensationMinorUnits(debt: Int64) -> Int64 {
        switch self {
        case .none: 0
        case .uk: debt < 100_000 ? 4_000 : debt < 1_000_000 ? 7_000 : 10_000
        case .eu, .de: 4_000
        }
    }
}

/// `[interest]`: what an overdue invoice owes beyond its balance.
public struct InterestPolicy: Sendable, Equatable {
    public enum Basis: Sendable, Equatable {
        case statutory(InterestRegime)
        /// `rate = "8.00"`: a contractual rate, percent a year, simple; no compensation.
        case fixed(InterestRate)
    }

    public var basis: Basis
    /// `[interest.rates]`: reference rates that add to or override the regime's table.
    public var rates: [HalfYear: InterestRate]

    public init(basis: Basis, rates: [HalfYear: InterestRate] = [:]) {
        self.basis = basis
        self.rates = rates
    }

    /// The reference rate for `half`: the config's, else the shipped table's.
    func referenceRate(_ half: HalfYear, regime: InterestRegime) -> Result<InterestRate, InterestError> {
        if let rate = rates[half] ?? regime.table?.rates[half] { return .success(rate) }
        return .failure(.noReferenceRate(regime: regime, half: half))
    }

    /// `uk`, `eu`, `de`, `none`, or `8.00% a year` for a fixed rate.
    public var label: String {
        switch basis {
        case .statutory(let regime): regime.rawValue
        case .fixed(let rate): "\(rate)% a year"
        }
    }
}

/// Why interest cannot be computed: a clear error, never a guessed rate.
public enum InterestError: Error, Equatable, Sendable, CustomStringConvertible {
    case noReferenceRate(regime: InterestRegime, half: HalfYear)
    case tooLarge

    public var description: String {
        switch self {
        case .noReferenceRate(let regime, let half):
            let table = regime.table
            let when = regime == .uk ? "in force on \(half.eve)" : "from \(half.start)"
            return "no \(table?.name ?? regime.rawValue) is known \(when) (the \(regime.rawValue) table was checked on "
                + "\(table.map { $0.checked.description } ?? "-")); add it to [interest.rates] as \"\(half.start)\" = \"PERCENT\""
        case .tooLarge:
            return "the interest is too large to compute"
        }
    }
}

extension Result where Failure == InterestError {
    /// The claim, or the error a command stops with: 78 for a missing reference rate (the fix
    /// is an `[interest.rates]` entry), 65 for an amount too large to compute.
    public func get(invoice number: String) throws(OverdueError) -> Success {
        switch self {
        case .success(let value): return value
        case .failure(let problem):
            let code: ExitCode = if case .noReferenceRate = problem { .config } else { .dataError }
            throw OverdueError(code, "invoice \(number.escapingControls()): interest: \(problem)")
        }
    }
}
