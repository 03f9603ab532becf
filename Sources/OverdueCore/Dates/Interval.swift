/// A config duration such as `"30s"`, `"15m"`, `"1h"`, `"3d"`: a positive integer and one unit.
public struct Interval: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let seconds: Int
    public let text: String

    public init(seconds: Int) {
        self.seconds = seconds
        self.text = "\(seconds)s"
    }

    public init?(_ text: String) {
        guard let unit = text.last, let value = Int(text.dropLast()), value > 0,
              text.dropLast().allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        let multiplier: Int
        switch unit {
        case "s": multiplier = 1
        case "m": multiplier = 60
        case "h": multiplier = 3600
        case "d": multiplier = 86_400
        default: return nil
        }
        let (product, overflow) = value.multipliedReportingOverflow(by: multiplier)
        guard !overflow else { return nil }
        self.seconds = product
        self.text = text
    }

    public var description: String { text }
    public static func < (lhs: Interval, rhs: Interval) -> Bool { lhs.seconds < rhs.seconds }
}
