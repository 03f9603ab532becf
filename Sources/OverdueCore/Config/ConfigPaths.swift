import Foundation

/// Resolves the file paths written in the config: relative ones against the folder of the
/// config file, so that a config and its templates can be moved together.
enum ConfigPaths {
    /// The folder holding the config file, absolute (a relative config path is taken from the
    /// current directory).
    static func folder(of configPath: String) -> String {
        URL(fileURLWithPath: configPath).standardizedFileURL.deletingLastPathComponent().path
    }

    static func resolve(_ path: String, against folder: String) -> String {
        let url = path.hasPrefix("/") ? URL(fileURLWithPath: path)
            : URL(fileURLWithPath: folder, isDirectory: true).appendingPathComponent(path)
        return url.standardizedFileURL.path
    }

    /// A path key: non-empty, no `~` (nothing expands it), resolved against `folder`.
    static func read(_ reader: ConfigTableReader, _ key: String, folder: String, required: Bool = false) -> String? {
        reader.parsed(key, required: required) { text in
            if text.isEmpty { return .failure(ConfigProblem("must not be empty")) }
            if text.hasPrefix("~") {
                return .failure(ConfigProblem("\"~\" is not expanded; write an absolute path or one relative to the config file"))
            }
            return .success(resolve(text, against: folder))
        }
    }

    /// A `password_file` (`[smtp]`, `[daemon]`): an absolute path, or a name looked up in
    /// `$CREDENTIALS_DIRECTORY` (the systemd credential) and else beside the config file.
    static func secret(_ reader: ConfigTableReader, _ key: String, folder: String) -> SMTPSettings.Secret? {
        reader.parsed(key) { text -> Result<SMTPSettings.Secret, ConfigProblem> in
            if text.isEmpty { return .failure(ConfigProblem("must not be empty")) }
            if text.hasPrefix("~") {
                return .failure(ConfigProblem("\"~\" is not expanded; write an absolute path or a name looked up in $CREDENTIALS_DIRECTORY or beside the config file"))
            }
            if text.hasPrefix("/") { return .success(.file(resolve(text, against: folder))) }
            return .success(.credential(name: text, besideConfig: resolve(text, against: folder)))
        }
    }
}
