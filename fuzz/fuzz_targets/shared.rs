//! Shared by the fuzz targets: the shipped hazchem scheme, loaded once.

use std::sync::OnceLock;

/// The scheme `rules/schemes/hazchem.toml` of this repository.
pub fn hazchem() -> &'static safegrade::Rules {
    static RULES: OnceLock<safegrade::Rules> = OnceLock::new();
    RULES.get_or_init(|| {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../");
        let read = |p: &str| std::fs::read_to_string(format!("{root}{p}")).map_err(|e| e.to_string());
        safegrade::load("rules/schemes/hazchem.toml", &read).rules.expect("the shipped scheme checks")
    })
}
