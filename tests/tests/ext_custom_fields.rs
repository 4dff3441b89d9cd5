//! Custom field definitions through minimo-ext against minimo-fake: list, list grouped,
//! create, and `ensure_custom_fields` with a struct using every Minimo type (first run, second
//! run, a type mismatch, and a field created concurrently between the list and the create).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use common::{COMPANY, KEY, client, fake, statuses};
use minimo_ext::typed::{EnsureReport, TypeMismatch};
use minimo_ext::{ErrorCode, ErrorKind, FieldType, NewCustomField};
use minimo_fake::{ApiKey, CustomFieldSeed, FakeServer, Fault, Store};
use schemars::JsonSchema;

#[derive(JsonSchema)]
#[allow(dead_code)]
enum Plan {
    Free,
    Pro,
    Enterprise,
}

#[derive(JsonSchema)]
#[allow(dead_code)]
struct Profile {
    #[schemars(title = "Company name")]
    company: String,
    seats: u32,
    trial: bool,
    #[schemars(with = "String", extend("format" = "date"))]
    signup_date: String,
    #[schemars(with = "Option<String>", extend("format" = "date-time"))]
    last_seen: Option<String>,
    plan_tier: Plan,
    preferences: BTreeMap<String, String>,
}

const KEYS: [&str; 7] = [
    "COMPANY",
    "SEATS",
    "TRIAL",
    "SIGNUP_DATE",
    "LAST_SEEN",
    "PLAN_TIER",
    "PREFERENCES",
];

fn keys(list: &[String]) -> Vec<&str> {
    list.iter().map(String::as_str).collect()
}

/// (key, type, label) of the company's stored fields.
fn stored(store: &Store) -> Vec<(String, String, String)> {
    store
        .custom_fields(COMPANY)
        .into_iter()
        .map(|f| (f.key, f.field_type, f.display_name))
        .collect()
}

#[tokio::test]
async fn ensure_custom_fields_creates_every_field_on_the_first_run() {
    let fake = fake().await;
    let minimo = client(&fake.base_url());
    let report = minimo.ensure_custom_fields::<Profile>().await.unwrap();
    assert_eq!(keys(&report.created), KEYS);
    assert!(report.unchanged.is_empty());
    assert!(report.mismatched.is_empty());
    assert!(report.is_consistent());
    let got = stored(fake.store());
    let want = [
        ("COMPANY", "text", "Company name"),
        ("SEATS", "number", "Seats"),
        ("TRIAL", "boolean", "Trial"),
        ("SIGNUP_DATE", "date", "Signup date"),
        ("LAST_SEEN", "datetime", "Last seen"),
        ("PLAN_TIER", "select", "Plan tier"),
        ("PREFERENCES", "json", "Preferences"),
    ];
    assert_eq!(
        got,
        want.map(|(k, t, l)| (k.to_owned(), t.to_owned(), l.to_owned()))
    );
    let plan = fake
        .store()
        .custom_fields(COMPANY)
        .into_iter()
        .find(|f| f.key == "PLAN_TIER")
        .unwrap();
    assert_eq!(
        plan.options,
        Some(vec![
            "Free".to_owned(),
            "Pro".to_owned(),
            "Enterprise".to_owned()
        ])
    );
    assert_eq!(fake.journal().for_operation("createCustomField").len(), 7);
}

#[tokio::test]
async fn ensure_custom_fields_run_again_creates_nothing() {
    let fake = fake().await;
    let minimo = client(&fake.base_url());
    minimo.ensure_custom_fields::<Profile>().await.unwrap();
    let before = fake.store().custom_fields(COMPANY);
    let report = minimo.ensure_custom_fields::<Profile>().await.unwrap();
    assert_eq!(
        report,
        EnsureReport {
            created: Vec::new(),
            unchanged: KEYS.map(str::to_owned).to_vec(),
            mismatched: Vec::new(),
            options_differ: Vec::new(),
        }
    );
    assert_eq!(fake.store().custom_fields(COMPANY), before);
    assert_eq!(fake.journal().for_operation("createCustomField").len(), 7);
}

#[tokio::test]
async fn an_existing_key_of_another_type_is_reported_and_left_alone() {
    let fake = fake().await;
    let seats = fake
        .store()
        .insert_custom_field(COMPANY, CustomFieldSeed::new("seats", "Seats", "text"))
        .unwrap();
    let trial = fake
        .store()
        .insert_custom_field(COMPANY, CustomFieldSeed::new("TRIAL", "Trial", "boolean"))
        .unwrap();
    let minimo = client(&fake.base_url());
    let report = minimo.ensure_custom_fields::<Profile>().await.unwrap();
    assert_eq!(
        report.mismatched,
        [TypeMismatch {
            key: "SEATS".to_owned(),
            expected: FieldType::Number,
            actual: FieldType::Text,
        }]
    );
    assert_eq!(keys(&report.unchanged), ["TRIAL"]);
    assert_eq!(
        keys(&report.created),
        [
            "COMPANY",
            "SIGNUP_DATE",
            "LAST_SEEN",
            "PLAN_TIER",
            "PREFERENCES"
        ]
    );
    assert!(!report.is_consistent());
    let fields = fake.store().custom_fields(COMPANY);
    assert!(fields.contains(&seats), "SEATS untouched");
    assert!(fields.contains(&trial), "TRIAL untouched");
    assert_eq!(fields.len(), 7);
}

#[tokio::test]
async fn a_field_created_concurrently_between_the_list_and_the_create_ends_up_unchanged() {
    // When the fake journals the first list, "another instance" creates TRIAL (same type):
    // the create of TRIAL then gets a real 409 from the fake.
    let store: Arc<OnceLock<Store>> = Arc::new(OnceLock::new());
    let once = Arc::new(AtomicBool::new(false));
    let (hook_store, hook_once) = (store.clone(), once.clone());
    let fake = FakeServer::builder()
        .key(ApiKey::new(KEY).company(COMPANY))
        .on_request(move |entry| {
            if entry.operation.as_deref() == Some("listCustomFields")
                && !hook_once.swap(true, Ordering::SeqCst)
                && let Some(store) = hook_store.get()
            {
                let _ = store.insert_custom_field(
                    COMPANY,
                    CustomFieldSeed::new("TRIAL", "Trial", "boolean"),
                );
            }
        })
        .start()
        .await
        .unwrap();
    store.set(fake.store().clone()).unwrap();
    let minimo = client(&fake.base_url());
    let report = minimo.ensure_custom_fields::<Profile>().await.unwrap();
    assert!(once.load(Ordering::SeqCst));
    assert_eq!(keys(&report.unchanged), ["TRIAL"]);
    assert!(report.mismatched.is_empty());
    assert_eq!(
        keys(&report.created),
        [
            "COMPANY",
            "SEATS",
            "SIGNUP_DATE",
            "LAST_SEEN",
            "PLAN_TIER",
            "PREFERENCES"
        ]
    );
    let creates = statuses(&fake, "createCustomField");
    assert_eq!(creates.iter().filter(|s| **s == Some(409)).count(), 1);
    assert_eq!(creates.len(), 7, "the conflict was not retried");
    assert_eq!(statuses(&fake, "listCustomFields").len(), 2, "listed again");
    assert_eq!(fake.store().custom_fields(COMPANY).len(), 7);
}

#[tokio::test]
async fn a_conflict_on_create_for_a_field_that_still_does_not_exist_is_an_error() {
    let fake = fake().await;
    fake.faults().push(Fault::status("createCustomField", 409));
    let minimo = client(&fake.base_url());
    let error = minimo
        .ensure_custom_fields::<Profile>()
        .await
        .expect_err("409 and no field");
    assert_eq!(error.kind(), ErrorKind::Conflict, "{error:?}");
    assert_eq!(error.status(), Some(409));
    assert_eq!(statuses(&fake, "listCustomFields"), [Some(200), Some(200)]);
}

#[tokio::test]
async fn create_list_and_list_grouped_round_trip() {
    let fake = fake().await;
    let minimo = client(&fake.base_url());
    let fields = minimo.custom_fields();
    let source = fields
        .create(
            NewCustomField::new("lead_source", "Lead source", FieldType::Select)
                .category("Lead Data")
                .options(["Website", "Referral"]),
        )
        .await
        .unwrap();
    assert_eq!(source.key, "LEAD_SOURCE");
    assert_eq!(source.label.as_deref(), Some("Lead source"));
    assert_eq!(source.field_type, FieldType::Select);
    assert_eq!(source.category.as_deref(), Some("Lead Data"));
    assert_eq!(source.options, ["Website", "Referral"]);
    assert_eq!(source.source.as_deref(), Some("Manual"));
    let score = fields
        .create(NewCustomField::new("SCORE", "Score", FieldType::Number))
        .await
        .unwrap();
    let birthday = fields
        .create(
            NewCustomField::new("Birthday", "Birthday", FieldType::Date).category("Personal Info"),
        )
        .await
        .unwrap();
    assert_eq!(birthday.key, "BIRTHDAY");
    let listed = fields.list().await.unwrap();
    assert_eq!(listed, [source.clone(), score.clone(), birthday.clone()]);
    let grouped = fields.list_grouped().await.unwrap();
    let shape: Vec<(&str, Vec<&str>)> = grouped
        .iter()
        .map(|g| {
            (
                g.category.as_str(),
                g.fields.iter().map(|f| f.key.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(
        shape,
        [
            ("Lead Data", vec!["LEAD_SOURCE"]),
            ("Personal Info", vec!["BIRTHDAY"]),
            ("uncategorized", vec!["SCORE"]),
        ]
    );
    let stored = fake.store().custom_fields(COMPANY);
    assert_eq!(stored.len(), 3);
    assert_eq!(stored[0].category.as_deref(), Some("Lead Data"));
}

#[tokio::test]
async fn creating_an_existing_key_is_a_conflict_whatever_its_case() {
    let fake = fake().await;
    let minimo = client(&fake.base_url());
    minimo
        .custom_fields()
        .create(NewCustomField::new("PLAN", "Plan", FieldType::Text))
        .await
        .unwrap();
    let error = minimo
        .custom_fields()
        .create(NewCustomField::new("plan", "Plan again", FieldType::Number))
        .await
        .expect_err("409");
    assert_eq!(error.kind(), ErrorKind::Conflict);
    assert_eq!(error.status(), Some(409));
    assert_eq!(error.code(), Some(&ErrorCode::DuplicateResource));
    assert_eq!(error.message(), "key already exists");
    assert_eq!(
        error.details().and_then(|d| d.get("value")),
        Some(&serde_json::json!("PLAN"))
    );
    assert_eq!(error.attempts(), 1);
    let stored = fake.store().custom_fields(COMPANY);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].field_type, "text");
}

#[tokio::test]
async fn a_select_field_with_other_options_is_reported_and_left_alone() {
    let server = fake().await;
    let plan = server
        .store()
        .insert_custom_field(
            COMPANY,
            CustomFieldSeed::new("PLAN_TIER", "Plan tier", "select").options(["Free", "Pro"]),
        )
        .unwrap();
    let minimo = client(&server.base_url());
    let report = minimo.ensure_custom_fields::<Profile>().await.unwrap();
    assert_eq!(keys(&report.options_differ), ["PLAN_TIER"]);
    assert!(!keys(&report.unchanged).contains(&"PLAN_TIER"));
    assert!(!report.is_consistent());
    assert!(
        server.store().custom_fields(COMPANY).contains(&plan),
        "PLAN_TIER untouched"
    );

    // The same options in another order are the same field.
    let other = fake().await;
    other
        .store()
        .insert_custom_field(
            COMPANY,
            CustomFieldSeed::new("PLAN_TIER", "Plan tier", "select").options([
                "Enterprise",
                "Free",
                "Pro",
            ]),
        )
        .unwrap();
    let report = client(&other.base_url())
        .ensure_custom_fields::<Profile>()
        .await
        .unwrap();
    assert!(
        report.unchanged.iter().any(|k| k == "PLAN_TIER"),
        "{report:?}"
    );
    assert!(report.is_consistent());
}
