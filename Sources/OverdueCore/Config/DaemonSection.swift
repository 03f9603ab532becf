import Foundation

/// `[daemon]`: every key optional.
///
/// Defaults: `interval = "15m"`, `timezone = "UTC"`,
/// `database = "/var/lib/overdue/overdue.sqlite"` (the unit's `StateDirectory`),
/// `templates = "templates"` beside the config file.
enum DaemonSection {
    static let defaultInterval = Interval(seconds: 900)
    static let defaultDatabase = "/var/lib/overdue/overdue.sqlite"
    static let defaultTemplates = "templates"

    /// IANA names only. `TimeZone(identifier:)` also accepts abbreviations and offsets such as
    /// "CEST" or "GMT+5", which are not time zones with rules and would silently get DST wrong.
    static let knownTimeZones: Set<String> = Set(TimeZone.knownTimeZoneIdentifiers).union(["UTC", "Etc/UTC"])

    static func read(_ reader: ConfigTableReader, folder: String) -> DaemonSettings? {
        reader.refuseUnknownKeys(allowed: ["interval", "timezone", "database", "templates"])
        let interval = reader.interval("interval") ?? defaultInterval
        let timezone = reader.parsed("timezone") { name -> Result<TimeZone, ConfigProblem> in
            guard knownTimeZones.contains(name), let zone = TimeZone(identifier: name) else {
                return .failure(ConfigProblem("\"\(name)\" is not an IANA time zone name (such as \"Europe/Berlin\" or \"UTC\")"))
            }
            return .success(zone)
        } ?? TimeZone(identifier: "UTC")!
        let database = ConfigPaths.read(reader, "database", folder: folder) ?? defaultDatabase
        let templates = ConfigPaths.read(reader, "templates", folder: folder)
            ?? ConfigPaths.resolve(defaultTemplates, against: folder)
        guard !reader.failed else { return nil }
        return DaemonSettings(interval: interval, timezone: timezone, database: database, templates: templates)
    }
}
