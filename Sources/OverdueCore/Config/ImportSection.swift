/// `[import]`: optional. `watch` is the folder each tick imports new `*.csv` files from
/// (absolute, or relative to the config file). The section's other keys belong to other
/// import formats and are refused until they exist.
enum ImportSection {
    /// The watched folder; `.some(nil)` when the section sets none, nil after a reported problem.
    static func read(_ reader: ConfigTableReader, folder: String) -> String?? {
        reader.refuseUnknownKeys(allowed: ["watch"])
        let watch = ConfigPaths.read(reader, "watch", folder: folder)
        guard !reader.failed else { return nil }
        return .some(watch)
    }
}
