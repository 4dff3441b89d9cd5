//! `minimo custom-fields ...` against the fake.

use crate::common::{Fake, run, settings};

#[test]
fn create_then_list_flat_and_by_category() {
    let fake = Fake::with(|b| b.system_fields(true));
    let empty_category = run(&mut fake.minimo(&[
        "custom-fields",
        "create",
        "seats",
        "--label",
        "Seats",
        "--type",
        "number",
    ]));
    assert_eq!(empty_category.code, 0, "{empty_category:?}");
    assert_eq!(
        empty_category.stdout,
        "created custom field SEATS (number, id 3)\n"
    );
    let select = run(&mut fake.minimo(&[
        "--json",
        "custom-fields",
        "create",
        "plan_tier",
        "--label",
        "Plan tier",
        "--type",
        "select",
        "--category",
        "Billing",
        "--option",
        "free",
        "--option",
        "pro",
    ]));
    assert_eq!(select.code, 0, "{select:?}");
    assert_eq!(select.json()["key"], "PLAN_TIER");
    assert_eq!(select.json()["options"], serde_json::json!(["free", "pro"]));

    let flat = run(&mut fake.minimo(&["custom-fields", "list"]));
    settings().bind(|| insta::assert_snapshot!("custom_fields_list", flat.stdout));
    let grouped = run(&mut fake.minimo(&["custom-fields", "list", "--by-category"]));
    settings().bind(|| insta::assert_snapshot!("custom_fields_list_by_category", grouped.stdout));
    let json = run(&mut fake.minimo(&["custom-fields", "list", "--by-category", "--json"]));
    settings().bind(|| insta::assert_snapshot!("custom_fields_list_by_category_json", json.stdout));

    let duplicate = run(&mut fake.minimo(&[
        "custom-fields",
        "create",
        "SEATS",
        "--label",
        "Seats",
        "--type",
        "text",
    ]));
    assert_eq!(duplicate.code, 5, "{duplicate:?}");
    let options = run(&mut fake.minimo(&[
        "custom-fields",
        "create",
        "x",
        "--label",
        "X",
        "--type",
        "text",
        "--option",
        "a",
    ]));
    assert_eq!(options.code, 3, "{options:?}");
    assert!(options.stderr.contains("only select fields take options"));
    let bad_type = run(&mut fake.minimo(&[
        "custom-fields",
        "create",
        "x",
        "--label",
        "X",
        "--type",
        "geo",
    ]));
    assert_eq!(bad_type.code, 2);
}

#[test]
fn an_empty_account_says_so() {
    let fake = Fake::start();
    let flat = run(&mut fake.minimo(&["custom-fields", "list"]));
    assert_eq!((flat.code, flat.stdout.as_str()), (0, "no custom fields\n"));
    let json = run(&mut fake.minimo(&["custom-fields", "list", "--json"]));
    assert_eq!(json.stdout, "[]\n");
}
