/// The bridge's release number, stated here and nowhere else: `presence-bridge --version`, the
/// `version` of `bridge/status`, the `presence_bridge_build_info` metric and the first line of
/// the log all read it from this one constant. CHANGELOG.md has an entry for each value.
public enum BridgeVersion {
    public static let current = "0.3.0"
}
