//! `minimo contacts ...` against the fake.

use crate::common::{Fake, run, settings};
use minimo_fake::{ContactSeed, CustomFieldSeed};
use serde_json::json;

#[test]
fn upsert_types_fields_by_their_definitions_and_get_shows_the_contact() {
    let fake = Fake::start();
    fake.define(CustomFieldSeed::new("SEATS", "Seats", "number"));
    fake.define(CustomFieldSeed::new("VIP", "VIP", "boolean"));
    fake.define(CustomFieldSeed::new("META", "Meta", "json"));
    let upsert = run(&mut fake.minimo(&[
        "contacts",
        "upsert",
        "--email",
        "jane@example.com",
        "--phone",
        "+39 339 123 4567",
        "--first-name",
        "Jane",
        "--last-name",
        "Rossi",
        "--field",
        "seats=5",
        "--field",
        "VIP=true",
        "--field",
        "META={\"a\":[1,2]}",
        "--field",
        "ZIP=01234",
        "--field",
        "TAGS:=[\"x\"]",
        "--consent",
        "email=in,whatsapp=out",
    ]));
    assert_eq!(
        (upsert.code, upsert.stdout.as_str(), upsert.stderr.as_str()),
        (0, "upserted contact 1\n", "")
    );

    let stored = fake.server().store().contact(1).unwrap();
    assert_eq!(stored.first_name.as_deref(), Some("Jane"));
    assert_eq!(stored.last_name.as_deref(), Some("Rossi"));
    assert_eq!(stored.phone.as_deref(), Some("+393391234567"));
    assert_eq!(
        serde_json::Value::Object(stored.custom_fields.clone()),
        // Declared types are followed; ZIP has no definition and stays the string written.
        json!({"SEATS": 5, "VIP": true, "META": {"a": [1, 2]}, "ZIP": "01234", "TAGS": ["x"]})
    );
    assert_eq!(
        (
            stored.marketing_consent.email,
            stored.marketing_consent.whatsapp
        ),
        (Some(true), Some(false))
    );

    let human = run(&mut fake.minimo(&["contacts", "get", "--email", "jane@example.com"]));
    assert_eq!(human.code, 0);
    settings().bind(|| insta::assert_snapshot!("contacts_get_human", human.stdout));
    let json = run(&mut fake.minimo(&["contacts", "get", "--email", "JANE@example.com", "--json"]));
    assert_eq!(json.code, 0);
    settings().bind(|| insta::assert_snapshot!("contacts_get_json", json.stdout));
    assert_eq!(json.json()["customFields"]["SEATS"], 5);
}

#[test]
fn a_value_that_does_not_fit_its_type_is_refused_before_the_upsert() {
    let fake = Fake::start();
    fake.define(CustomFieldSeed::new("SEATS", "Seats", "number"));
    let refused = run(&mut fake.minimo(&[
        "contacts",
        "upsert",
        "--email",
        "a@example.com",
        "--field",
        "SEATS=five",
    ]));
    assert_eq!(refused.code, 3, "{refused:?}");
    assert_eq!(
        refused.stderr,
        "error: --field: custom field SEATS is a `number` field: the value is not a number\n"
    );
    assert_eq!(fake.requests("upsertContact"), 0);
    assert_eq!(fake.requests("listCustomFields"), 1);
}

#[test]
fn an_invalid_email_is_exit_3_and_nothing_is_sent() {
    let fake = Fake::start();
    let refused = run(&mut fake.minimo(&["contacts", "upsert", "--email", "jane@example"]));
    assert_eq!(refused.code, 3);
    assert_eq!(
        refused.stderr,
        "error: invalid input (validation_error): email has no dot in its domain\n"
    );
    assert_eq!(fake.server().journal().len(), 0);
}

#[test]
fn a_missing_contact_is_exit_4_in_human_and_json_form() {
    let fake = Fake::start();
    let human = run(&mut fake.minimo(&["contacts", "get", "--email", "nobody@example.com"]));
    assert_eq!((human.code, human.stdout.as_str()), (4, ""));
    assert_eq!(human.stderr, "error: no live contact has this email\n");
    let json =
        run(&mut fake.minimo(&["--json", "contacts", "get", "--email", "nobody@example.com"]));
    assert_eq!(json.code, 4);
    assert_eq!(
        json.stderr,
        "{\"error\":{\"exit\":4,\"kind\":\"not_found\",\"message\":\"no live contact has this email\"}}\n"
    );
}

#[test]
fn update_delete_and_restore_by_id() {
    let fake = Fake::start();
    let id = fake.seed(ContactSeed::email("jane@example.com").custom_field("PLAN", "free"));
    let id_text = id.to_string();
    let updated = run(&mut fake.minimo(&[
        "contacts", "update", &id_text, "--field", "PLAN=pro", "--json",
    ]));
    assert_eq!(updated.code, 0, "{updated:?}");
    assert_eq!(updated.json(), json!({"result": "updated", "id": id}));
    assert_eq!(
        fake.server().store().contact(id).unwrap().custom_fields["PLAN"],
        "pro"
    );

    let deleted = run(&mut fake.minimo(&["contacts", "delete", &id_text]));
    assert_eq!(deleted.stdout, format!("soft-deleted contact {id}\n"));
    assert!(fake.server().store().contact(id).unwrap().deleted);
    let gone = run(&mut fake.minimo(&["contacts", "get", "--email", "jane@example.com"]));
    assert_eq!(gone.code, 4);

    let restored = run(&mut fake.minimo(&["contacts", "restore", &id_text]));
    assert_eq!(
        (restored.code, restored.stdout),
        (0, format!("restored contact {id}\n"))
    );
    assert!(!fake.server().store().contact(id).unwrap().deleted);

    let unknown = run(&mut fake.minimo(&["contacts", "delete", "999999"]));
    assert_eq!(unknown.code, 4, "{unknown:?}");
    let unknown = run(&mut fake.minimo(&["contacts", "update", "999999", "--first-name", "X"]));
    assert_eq!(unknown.code, 4, "{unknown:?}");
}

#[test]
fn change_email_dry_run_looks_up_and_changes_nothing() {
    let fake = Fake::start();
    let jane = fake.seed(ContactSeed::email("jane@example.com"));
    let other = fake.seed(ContactSeed::email("taken@example.com"));

    let dry = run(&mut fake.minimo(&[
        "contacts",
        "change-email",
        "jane@example.com",
        "jane.doe@example.com",
        "--dry-run",
    ]));
    assert_eq!(dry.code, 0, "{dry:?}");
    settings().bind(|| insta::assert_snapshot!("change_email_dry_run", dry.stdout));
    assert_eq!(fake.requests("updateContactById"), 0);
    assert_eq!(fake.requests("getContactByEmail"), 2);

    let conflict = run(&mut fake.minimo(&[
        "--json",
        "contacts",
        "change-email",
        "jane@example.com",
        "taken@example.com",
        "--dry-run",
    ]));
    assert_eq!(conflict.code, 5);
    assert_eq!(
        conflict.json(),
        json!({"dryRun": true, "result": "conflict", "id": jane, "old": "jane@example.com", "new": "taken@example.com"})
    );
    let missing = run(&mut fake.minimo(&[
        "contacts",
        "change-email",
        "ghost@example.com",
        "new@example.com",
        "--dry-run",
    ]));
    assert_eq!(missing.code, 4);
    assert_eq!(fake.requests("updateContactById"), 0);

    let changed = run(&mut fake.minimo(&[
        "contacts",
        "change-email",
        "jane@example.com",
        "jane.doe@example.com",
    ]));
    assert_eq!(
        (changed.code, changed.stdout),
        (0, format!("changed the email of contact {jane}\n"))
    );
    assert_eq!(
        fake.server()
            .store()
            .contact(jane)
            .unwrap()
            .email
            .as_deref(),
        Some("jane.doe@example.com")
    );
    let again = run(&mut fake.minimo(&[
        "--json",
        "contacts",
        "change-email",
        "jane@example.com",
        "jane.doe@example.com",
    ]));
    assert_eq!(
        again.json(),
        json!({"result": "already_applied", "id": jane})
    );
    let conflict = run(&mut fake.minimo(&[
        "contacts",
        "change-email",
        "jane.doe@example.com",
        "taken@example.com",
    ]));
    assert_eq!(conflict.code, 5, "{conflict:?}");
    assert_eq!(
        conflict.stderr,
        format!(
            "error: conflict: the new email is already used by contact {other}; nothing was changed\n"
        )
    );
}

#[test]
fn verbose_logs_requests_with_the_email_masked() {
    let fake = Fake::start();
    fake.seed(ContactSeed::email("jane@example.com"));
    let logged = run(&mut fake.minimo(&["-v", "contacts", "get", "--email", "jane@example.com"]));
    assert_eq!(logged.code, 0);
    assert!(
        logged.stderr.contains("minimo.request"),
        "{}",
        logged.stderr
    );
    assert!(
        logged.stderr.contains("j***@example.com"),
        "{}",
        logged.stderr
    );
    assert!(logged.stderr.contains("mn-acme-***"), "{}", logged.stderr);
    assert!(
        !logged.stderr.contains("jane@"),
        "the email leaked into the log: {}",
        logged.stderr
    );
    // Without -v nothing is logged.
    let quiet = run(&mut fake.minimo(&["contacts", "get", "--email", "jane@example.com"]));
    assert_eq!(quiet.stderr, "");
}
