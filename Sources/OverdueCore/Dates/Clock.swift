import Foundation

/// The one seam through which overdue reads the time. Production uses `SystemClock`;
/// `--as-of` and tests use `FixedClock`. Nothing else is faked.
public protocol WallClock: Sendable {
    func now() -> Date
}

public struct SystemClock: WallClock {
    public init() {}
    public func now() -> Date { Date() }
}

public struct FixedClock: WallClock {
    public let instant: Date
    public init(_ instant: Date) { self.instant = instant }
    public func now() -> Date { instant }
}
