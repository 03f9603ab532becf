import Foundation
import TOMLKit

/// Reads `overdue.toml` into a fully validated `Config`.
///
/// Every problem becomes one line `FILE:LINE: section.key: problem` (the line left out where
/// the key cannot be found in the text) and the error's exit code is 78 (EX_CONFIG). The loader
/// collects all problems it can find; the first in file order is the error's message and the
/// others are its details, so `overdue config check` shows them all at once.
///
/// Required keys: `business.name`, `business.from`, `business.owner`, `smtp.url`, and at
/// least one `[[stage]]` with `name` and `days` (plus `template` and `subject` for an email
/// stage). Everything else has a default, documented on each section reader and in
/// `config/overdue.toml`. Unknown tables and keys are errors: a misspelt key would otherwise
/// be silently ignored and its default used.
public enum ConfigLoader {
    static let sections: Set<String> = ["daemon", "send_window", "business", "smtp", "delivery", "stage", "import", "interest",
                                        "inbox", "audit"]

    /// Reads the file at `path` and parses it. A missing or unreadable file, or one that is not
    /// UTF-8, is a config error naming the path.
    public static func load(path: String) throws -> Config {
        guard let data = FileManager.default.contents(atPath: path) else {
            var isDirectory: ObjCBool = false
            let problem = !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) ? "no such file"
                : isDirectory.boolValue ? "is a directory, not a config file"
                : "cannot be read (permission denied)"
            throw OverdueError(.config, "\(path): \(problem)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw OverdueError(.config, "\(path): not UTF-8 text")
        }
        return try parse(text, path: path)
    }

    /// Parses and validates config text; `path` names the file in errors and anchors relative
    /// paths (`database`, `templates`, `password_file`, `ca_file`) to its folder.
    public static func parse(_ text: String, path: String) throws -> Config {
        // toml++ reads the text as a C string: everything after a NUL would be silently dropped.
        if let line = lineOfNUL(in: text) {
            throw OverdueError(.config, "\(path):\(line): contains a NUL byte (U+0000); the text after it would be ignored")
        }
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw OverdueError(.config, "\(path):\(error.source.begin.line): TOML syntax: \(error.description) (column \(error.source.begin.column))")
        } catch {
            throw OverdueError(.config, "\(path): TOML syntax: \(error)")
        }

        let diagnostics = ConfigDiagnostics(path: path, locator: ConfigKeyLocator(text: text))
        let folder = ConfigPaths.folder(of: path)
        for key in root.keys.sorted() where !sections.contains(key) {
            if root[key]?.type == .table {
                diagnostics.report(table: key, key: nil, field: key,
                                   "unknown section (expected one of: \(sections.sorted().joined(separator: ", ")))")
            } else {
                diagnostics.report(table: "", key: key, field: key, "unknown key at the top level; keys belong in a section such as [daemon]")
            }
        }

        let daemon = section("daemon", in: root, diagnostics).flatMap { DaemonSection.read($0, folder: folder) }
        var sendWindow: SendWindow?
        var sendWindowFailed = false
        if root["send_window"] != nil {
            sendWindow = section("send_window", in: root, diagnostics).flatMap(SendWindowSection.read)
            sendWindowFailed = sendWindow == nil
        }
        let business = section("business", in: root, diagnostics, required: true).flatMap(BusinessSection.read)
        let smtp = section("smtp", in: root, diagnostics, required: true).flatMap { SMTPSection.read($0, folder: folder) }
        let delivery = section("delivery", in: root, diagnostics).flatMap(DeliverySection.read)
        let stages = StageSection.readAll(root["stage"], diagnostics: diagnostics)
        let importSettings = section("import", in: root, diagnostics).flatMap { ImportSection.read($0, folder: folder) }
        var interest: InterestPolicy?
        if root["interest"] != nil { interest = section("interest", in: root, diagnostics).flatMap(InterestSection.read) }
        let inbox = section("inbox", in: root, diagnostics).flatMap { InboxSection.read($0, folder: folder) }
        let witness = section("audit", in: root, diagnostics).flatMap(AuditSection.read)

        if let error = diagnostics.error() { throw error }
        guard let daemon, !sendWindowFailed, let business, let smtp, let delivery, let stages else {
            // Every nil above has reported a problem; this is only a guard against a reader
            // that failed silently.
            throw OverdueError(.config, "\(path): invalid configuration")
        }
        var config = Config(path: path, daemon: daemon, sendWindow: sendWindow, business: business,
                            smtp: smtp, delivery: delivery, stages: stages)
        config.importWatch = importSettings?.watch
        config.importFormat = importSettings?.format ?? .overdue
        config.interest = interest
        config.inbox = inbox ?? nil
        config.auditWitness = witness ?? nil
        return config
    }

    /// A reader for table `name`: an empty one when the table is absent (so its defaults
    /// apply), nil with an error when it is required and absent or is not a table.
    private static func section(_ name: String, in root: TOMLTable, _ diagnostics: ConfigDiagnostics,
                                required: Bool = false) -> ConfigTableReader? {
        guard let value = root[name] else {
            if required { diagnostics.report(table: "", key: name, field: name, "the [\(name)] section is required") }
            return required ? nil : ConfigTableReader(table: TOMLTable(), name: name, diagnostics: diagnostics)
        }
        guard let table = value.table else {
            diagnostics.report(table: "", key: name, field: name, "expected a table [\(name)], found a \(value.type)")
            return nil
        }
        return ConfigTableReader(table: table, name: name, diagnostics: diagnostics)
    }

    /// The 1-based line of the first NUL in `text`, nil when there is none. Config files and
    /// templates refuse NUL: C parsers end the text there.
    static func lineOfNUL(in text: String) -> Int? {
        var line = 1
        for byte in text.utf8 {
            if byte == 0 { return line }
            if byte == 0x0A { line += 1 }
        }
        return nil
    }

    /// The line on which `key` of `table` is written in `text` (see `ConfigKeyLocator`), for
    /// checks made after loading (templates, secrets) that want to name a line too.
    public static func line(in text: String, table: String, index: Int? = nil, key: String? = nil) -> Int? {
        ConfigKeyLocator(text: text).line(table: table, index: index, key: key)
    }
}
