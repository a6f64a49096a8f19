//! Tests for the rules root: paths resolved lexically, inside or outside.

use super::{default_root, LexicalPath};

fn inside(root: &str, path: &str) -> bool {
    LexicalPath::of(root).contains(&LexicalPath::of(path))
}

#[test]
fn paths_resolve_dots_lexically() {
    assert_eq!(LexicalPath::of("rules/./schemes/../lec.toml").to_string(), "rules/lec.toml");
    assert_eq!(LexicalPath::of("../../a.toml").to_string(), "../../a.toml");
    assert_eq!(LexicalPath::of("a/../../b.toml").to_string(), "../b.toml");
    assert_eq!(LexicalPath::of("/../etc/passwd").to_string(), "/etc/passwd");
    assert_eq!(LexicalPath::of("rules/").to_string(), "rules");
    assert_eq!(LexicalPath::of("a.toml").parent().to_string(), ".");
}

#[test]
fn a_path_is_inside_only_below_the_root() {
    assert!(inside("rules", "rules/lec.toml"));
    assert!(inside("rules", "rules/shared/a.toml"));
    assert!(inside(".", "a.toml"));
    assert!(inside("..", "../lec.toml"));
    assert!(inside("..", "lec.toml"));
    assert!(inside("../..", "../schemes/lec.toml"));
    assert!(inside("/srv/rules", "/srv/rules/a.toml"));
    assert!(!inside("rules", "rules"));
    assert!(!inside("rules", "rules2/a.toml"));
    assert!(!inside("rules", "a.toml"));
    assert!(!inside(".", "../a.toml"));
    assert!(!inside("..", "../../a.toml"));
    assert!(!inside("../rules", "a.toml"));
    assert!(!inside("../rules", "../a.toml"));
    assert!(inside("../rules", "../rules/a.toml"));
    assert!(!inside("rules", "/etc/passwd"));
    assert!(!inside("/srv/rules", "srv/rules/a.toml"));
}

#[test]
fn a_schemes_root_is_the_folder_above_its_own() {
    assert_eq!(default_root("rules/lec.toml", false).to_string(), "rules");
    assert_eq!(default_root("rules/schemes/hazchem.toml", true).to_string(), "rules");
    assert_eq!(default_root("hazchem.toml", true).to_string(), "..");
    assert_eq!(default_root("/hazchem.toml", true).to_string(), "/");
    assert_eq!(default_root("lec.toml", false).to_string(), ".");
}
