//! Every `--help`, snapshotted, and usage errors.

use crate::common::{minimo, run, settings};

/// Every command path of `minimo`.
const COMMANDS: &[&[&str]] = &[
    &[],
    &["contacts"],
    &["contacts", "get"],
    &["contacts", "upsert"],
    &["contacts", "update"],
    &["contacts", "delete"],
    &["contacts", "restore"],
    &["contacts", "change-email"],
    &["custom-fields"],
    &["custom-fields", "list"],
    &["custom-fields", "create"],
    &["sync"],
    &["fake"],
];

#[test]
fn every_command_has_a_help_with_an_example_and_it_is_snapshotted() {
    for path in COMMANDS {
        let mut args = path.to_vec();
        args.push("--help");
        let help = run(&mut minimo(&args));
        assert_eq!(help.code, 0, "{path:?}: {help:?}");
        assert!(
            help.stdout.contains("Examples:\n"),
            "{path:?} has no example"
        );
        let name = if path.is_empty() {
            "help".to_owned()
        } else {
            format!("help_{}", path.join("_"))
        };
        settings().bind(|| insta::assert_snapshot!(name, help.stdout));
    }
    // The exit codes are listed where scripts look first.
    let top = run(&mut minimo(&["--help"]));
    assert!(
        top.stdout.contains("Exit codes:\n    0  ok"),
        "{}",
        top.stdout
    );
    assert!(top.stdout.contains("  130  interrupted by Ctrl-C"));
}

#[test]
fn usage_errors_exit_2_on_stderr() {
    let unknown = run(&mut minimo(&[
        "contacts",
        "get",
        "--emial",
        "a@example.com",
    ]));
    assert_eq!(unknown.code, 2, "{unknown:?}");
    assert!(unknown.stdout.is_empty());
    assert!(
        unknown.stderr.contains("unexpected argument '--emial'"),
        "{}",
        unknown.stderr
    );

    let missing = run(&mut minimo(&["contacts", "update"]));
    assert_eq!(missing.code, 2);

    let no_fields = run(&mut minimo(&["contacts", "update", "5"]));
    assert_eq!(no_fields.code, 2);
    assert_eq!(
        no_fields.stderr,
        "error: contacts update changes nothing without --email, --phone, --first-name, --last-name, --field or --consent \
         (to bring a deleted contact back unchanged: minimo contacts restore ID)\n"
    );

    let consent = run(&mut minimo(&[
        "contacts",
        "upsert",
        "--email",
        "a@example.com",
        "--consent",
        "email=yes",
    ]));
    assert_eq!(consent.code, 2);
    assert!(
        consent
            .stderr
            .contains("`yes` for email is neither `in` nor `out`"),
        "{}",
        consent.stderr
    );

    let upsert = run(&mut minimo(&["contacts", "upsert", "--first-name", "Jane"]));
    assert_eq!(upsert.code, 2);
    assert!(upsert.stderr.contains("needs --email or --phone"));

    let field = run(&mut minimo(&[
        "contacts",
        "upsert",
        "--email",
        "a@example.com",
        "--field",
        "PLAN",
    ]));
    assert_eq!(field.code, 2, "{field:?}");
}
