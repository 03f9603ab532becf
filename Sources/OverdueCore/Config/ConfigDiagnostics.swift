/// The config errors found so far, each already formatted `FILE:LINE: section.key: problem`.
///
/// The loader keeps going after an error so that `overdue config check` can list every
/// mistake at once; the errors are reported in file order.
final class ConfigDiagnostics {
    let path: String
    let locator: ConfigKeyLocator
    private var problems: [(line: Int?, order: Int, text: String)] = []

    init(path: String, locator: ConfigKeyLocator) {
        self.path = path
        self.locator = locator
    }

    var isEmpty: Bool { problems.isEmpty }

    /// Records a problem with `key` of `table` (element `index` of an array of tables).
    /// `field` is how the user reads the key's name (`smtp.url`, `stage[2].days`).
    func report(table: String, index: Int? = nil, key: String?, field: String, _ problem: String) {
        let line = locator.line(table: table, index: index, key: key)
        let location = line.map { "\(path):\($0)" } ?? path
        problems.append((line, problems.count, "\(location): \(field): \(problem)"))
    }

    /// One error for the user: the first problem in file order, the rest as further lines.
    func error() -> OverdueError? {
        let ordered = problems.sorted { a, b in
            switch (a.line, b.line) {
            case let (l?, r?) where l != r: return l < r
            case (.some, .none): return true
            case (.none, .some): return false
            default: return a.order < b.order
            }
        }
        guard let first = ordered.first else { return nil }
        return OverdueError(.config, first.text, details: ordered.dropFirst().map(\.text))
    }
}
