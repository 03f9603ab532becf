import Foundation

/// `[daemon]`: every key optional.
///
/// Defaults: `interval = "15m"`, `timezone = "UTC"`,
/// `database = "/var/lib/overdue/overdue.sqlite"` (the unit's `StateDirectory`),
/// `templates = "templates"` beside the config file.
enum DaemonSection {
    static let defaultInterval = Interval("15m")!
    static let defaultDatabase = "/var/lib/overdue/overdue.sqlite"
    static let defaultTemplates = "templates"
    /// A tick at least once a day: a dispatch is dated by the day of the tick that queued it.
    static let maxInterval = Interval("1d")!

    /// IANA names only. `TimeZone(identifier:)` also accepts offsets such as "GMT+5" (and some
    /// abbreviations), which are not zones with rules and would silently get DST wrong. A name
    /// is accepted when Foundation lists it, or when it has the `Area/Location` form and
    /// Foundation resolves it to exactly that name (the list lacks newer names such as
    /// "Asia/Kolkata" or "Europe/Kyiv").
    static func timeZone(named name: String) -> TimeZone? {
        guard let zone = TimeZone(identifier: name) else { return nil }
        if knownTimeZones.contains(name) { return zone }
        return name.contains("/") && zone.identifier == name ? zone : nil
    }

    static let knownTimeZones: Set<String> = Set(TimeZone.knownTimeZoneIdentifiers).union(["UTC", "Etc/UTC"])

    static func read(_ reader: ConfigTableReader, folder: String) -> DaemonSettings? {
        reader.refuseUnknownKeys(allowed: ["interval", "timezone", "database", "templates", "password_file"])
        let interval = reader.interval("interval", atMost: maxInterval) ?? defaultInterval
        let timezone = reader.parsed("timezone") { name -> Result<TimeZone, ConfigProblem> in
            guard let zone = timeZone(named: name) else {
                return .failure(ConfigProblem("\"\(name)\" is not an IANA time zone name (such as \"Europe/Berlin\" or \"UTC\")"))
            }
            return .success(zone)
        } ?? TimeZone(identifier: "UTC")!
        // A PostgreSQL URL is libpq's to read (credentials belong in password_file, the
        // password file libpq reads, or the service file); anything else is a SQLite path.
        let database = reader.parsed("database") { text -> Result<String, ConfigProblem> in
            guard isDatabaseURL(text) else { return .success(text) }
            if URLComponents(string: text)?.password != nil {
                return .failure(ConfigProblem("the password does not belong in the URL; use daemon.password_file (or libpq's PGPASSFILE)"))
            }
            return .success(text)
        }.map { isDatabaseURL($0) ? $0 : nil } ?? nil
        let databasePath = database ?? ConfigPaths.read(reader, "database", folder: folder) ?? defaultDatabase
        let password = ConfigPaths.secret(reader, "password_file", folder: folder)
        if password != nil, !isDatabaseURL(databasePath) {
            reader.fail("password_file", "a password is for a PostgreSQL database (database = \"postgresql://…\"); a SQLite ledger has none")
        }
        let templates = ConfigPaths.read(reader, "templates", folder: folder)
            ?? ConfigPaths.resolve(defaultTemplates, against: folder)
        guard !reader.failed else { return nil }
        var settings = DaemonSettings(interval: interval, timezone: timezone, database: databasePath, templates: templates)
        settings.databasePassword = password
        return settings
    }

    /// `postgresql://…` or `postgres://…`: a PostgreSQL database, not a file.
    static func isDatabaseURL(_ text: String) -> Bool {
        text.hasPrefix("postgresql://") || text.hasPrefix("postgres://")
    }
}
