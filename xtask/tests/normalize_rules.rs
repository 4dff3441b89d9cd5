//! One fixture per normalization rule: `fixtures/normalize/<rule>.yaml` goes through that rule
//! alone and its output is snapshotted, so a change to a rule shows up as a reviewed diff.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use xtask::codegen::parse_yaml;
use xtask::normalize::{self, RULES};

/// The fixtures are read from the directory this test was compiled in, not from the run-time
/// root: insta finds their snapshots through the compile-time path too, and fixtures and
/// snapshots must come from the same checkout.
fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/normalize")
}

fn run_rule(name: &str) -> String {
    let rule = RULES
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no rule {name}"));
    let text = std::fs::read_to_string(fixture_dir().join(format!("{name}.yaml"))).unwrap();
    let mut doc = parse_yaml(&text).unwrap();
    (rule.apply)(&mut doc).unwrap();
    serde_json::to_string_pretty(&doc).unwrap()
}

macro_rules! rule_fixtures {
    ($($rule:ident),* $(,)?) => {
        $(
            #[test]
            fn $rule() {
                insta::assert_snapshot!(stringify!($rule), run_rule(stringify!($rule)));
            }
        )*

        #[test]
        fn every_rule_has_a_fixture_and_a_test() {
            let tested = [$(stringify!($rule)),*];
            for rule in RULES {
                assert!(tested.contains(&rule.name), "rule {} has no fixture test", rule.name);
                assert!(fixture_dir().join(format!("{}.yaml", rule.name)).is_file(), "rule {} has no fixture", rule.name);
            }
            assert_eq!(tested.len(), RULES.len(), "a fixture test names a rule that does not exist");
        }
    };
}

rule_fixtures!(
    openapi_version,
    drop_31_only_fields,
    record_path_servers,
    problem_json,
    type_arrays,
    null_variants,
    const_to_enum,
    exclusive_bounds,
    schema_examples,
    free_form_beside_properties,
    default_responses,
    one_error_body,
    fold_error_codes,
);

#[test]
fn normalizing_twice_changes_nothing() {
    let text = std::fs::read_to_string(xtask::workspace_root().unwrap().join(xtask::codegen::SPEC))
        .unwrap();
    let mut once = parse_yaml(&text).unwrap();
    normalize::normalize(&mut once).unwrap();
    let mut twice = once.clone();
    normalize::normalize(&mut twice).unwrap();
    assert_eq!(once, twice);
}
