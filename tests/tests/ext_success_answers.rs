//! A write Minimo accepted is never reported as failed. The docs give no success status and
//! show several shapes per body, so every write is driven against a scripted server answering
//! 200, 201, 202 and 204, with each documented body shape and with none: each call succeeds,
//! sends exactly the requests it must (no retry), and returns the id it should.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Canned, client, response};
use minimo_ext::{ContactId, ContactInput, ContactPatch, EmailChange, FieldType, NewCustomField};

const STATUSES: [&str; 4] = ["200 OK", "201 Created", "202 Accepted", "204 No Content"];

/// The answers to try for a status: every documented body, or none at all for 204 (a 204 has
/// no body by definition).
fn bodies<'a>(status: &str, documented: &[&'a str]) -> Vec<&'a str> {
    if status.starts_with("204") {
        vec![""]
    } else {
        let mut all = documented.to_vec();
        all.push("");
        all
    }
}

fn json(status: &str, body: &str) -> Vec<u8> {
    let content_type = if body.is_empty() {
        ""
    } else {
        "application/json"
    };
    response(status, content_type, body.as_bytes())
}

#[tokio::test]
async fn every_success_answer_to_an_upsert_gives_the_contact_id() {
    let documented = [
        r#"[{"contactId": "12345"}]"#,
        r#""12345""#,
        r#"[{"contactId": 12345}]"#,
        r#"{"contactId": "12345"}"#,
        r#"{"id": 12345}"#,
        r#"{"data": [{"contactId": "12345"}]}"#,
    ];
    let found = json(
        "200 OK",
        r#"{"data": {"id": 12345, "email": "jane@example.com"}}"#,
    );
    for status in STATUSES {
        for body in bodies(status, &documented) {
            let server = Canned::routes(vec![
                ("POST /public/v1/contacts ", json(status, body)),
                ("GET /public/v1/contacts/by-email/", found.clone()),
            ])
            .await;
            let id = client(server.base_url())
                .upsert(ContactInput::with_email("jane@example.com"))
                .await
                .unwrap_or_else(|e| panic!("{status} {body:?}: {e:?}"));
            assert_eq!(id, ContactId::new(12345), "{status} {body:?}");
            let lines = server.request_lines();
            let upserts = lines.iter().filter(|l| l.starts_with("POST")).count();
            assert_eq!(upserts, 1, "{status} {body:?}: not retried: {lines:?}");
            // A body naming the id needs no look-up; one naming none needs exactly one.
            let lookups = lines.iter().filter(|l| l.starts_with("GET")).count();
            assert_eq!(lookups, usize::from(body.is_empty()), "{status} {body:?}");
        }
    }
}

#[tokio::test]
async fn every_success_answer_to_an_update_or_a_restore_gives_the_id_sent() {
    let documented = [
        r#"{"id": 5, "phone": "+393391234567"}"#,
        r#"{"id": 5, "phone": null}"#,
        r#"{"data": {"id": 5, "phone": null}}"#,
        r#"{"id": "not a number"}"#,
    ];
    for status in STATUSES {
        for body in bodies(status, &documented) {
            let server = Canned::respond(status, "application/json", body.as_bytes()).await;
            let minimo = client(server.base_url());
            let id = minimo
                .update(
                    ContactId::new(5),
                    ContactPatch::new().custom_field("plan", "pro"),
                )
                .await
                .unwrap_or_else(|e| panic!("{status} {body:?}: {e:?}"));
            assert_eq!(id, ContactId::new(5));
            let restored = minimo
                .restore(ContactId::new(5))
                .await
                .unwrap_or_else(|e| panic!("{status} {body:?}: {e:?}"));
            assert_eq!(restored, ContactId::new(5));
            assert_eq!(server.hits(), 2, "{status} {body:?}: not retried");
            assert_eq!(
                server.request_bodies(),
                [
                    serde_json::json!({"customFields": {"PLAN": "pro"}}),
                    serde_json::json!({})
                ]
            );
        }
    }
}

#[tokio::test]
async fn every_success_answer_to_a_delete_is_success_and_its_body_is_not_read() {
    let documented = [r#"{"id": 5, "deleted": true}"#, "{}", "not json at all"];
    for status in STATUSES {
        for body in bodies(status, &documented) {
            let server = Canned::respond(status, "application/json", body.as_bytes()).await;
            client(server.base_url())
                .delete(ContactId::new(5))
                .await
                .unwrap_or_else(|e| panic!("{status} {body:?}: {e:?}"));
            assert_eq!(server.hits(), 1, "{status} {body:?}: not retried");
        }
    }
}

#[tokio::test]
async fn every_success_answer_to_a_custom_field_create_gives_the_field() {
    let field = r#"{"id": 9, "key": "PLAN", "displayName": "Plan", "type": "text"}"#;
    let wrapped = format!(r#"{{"data": {field}}}"#);
    let older = r#"{"data": {"id": 9, "key": "PLAN", "display_name": "Plan", "type": "text"}}"#;
    let documented = [field, wrapped.as_str(), older];
    let listed = json("200 OK", &format!(r#"{{"data": [{field}]}}"#));
    for status in STATUSES {
        for body in bodies(status, &documented) {
            let server = Canned::routes(vec![
                ("POST /public/v1/custom-fields ", json(status, body)),
                ("GET /public/v1/custom-fields ", listed.clone()),
            ])
            .await;
            let created = client(server.base_url())
                .custom_fields()
                .create(NewCustomField::new("plan", "Plan", FieldType::Text))
                .await
                .unwrap_or_else(|e| panic!("{status} {body:?}: {e:?}"));
            assert_eq!((created.id, created.key.as_str()), (9, "PLAN"));
            assert_eq!(created.label.as_deref(), Some("Plan"));
            let lines = server.request_lines();
            let creates = lines.iter().filter(|l| l.starts_with("POST")).count();
            assert_eq!(creates, 1, "{status} {body:?}: not retried");
        }
    }
}

#[tokio::test]
async fn ensure_custom_fields_completes_when_the_create_answers_no_body() {
    #[derive(schemars::JsonSchema)]
    #[allow(dead_code)]
    struct Profile {
        plan: String,
    }
    let field = r#"{"id": 9, "key": "PLAN", "displayName": "Plan", "type": "text"}"#;
    for status in ["200 OK", "201 Created", "204 No Content"] {
        // An empty list, a create answered without a body, then the list with the field.
        let server = Canned::sequences(vec![
            ("POST /public/v1/custom-fields ", vec![json(status, "")]),
            (
                "GET /public/v1/custom-fields ",
                vec![
                    json("200 OK", r#"{"data": []}"#),
                    json("200 OK", &format!(r#"{{"data": [{field}]}}"#)),
                ],
            ),
        ])
        .await;
        let report = client(server.base_url())
            .ensure_custom_fields::<Profile>()
            .await
            .unwrap_or_else(|e| panic!("{status}: {e:?}"));
        assert_eq!(report.created, ["PLAN"], "{status}");
        assert!(report.is_consistent());
        let lines = server.request_lines();
        assert_eq!(
            lines.iter().filter(|l| l.starts_with("POST")).count(),
            1,
            "{lines:?}"
        );
    }
}

#[tokio::test]
async fn change_email_completes_whatever_success_its_update_answers() {
    let contact = |email: &str| {
        json(
            "200 OK",
            &format!(r#"{{"data": {{"id": 5, "email": "{email}"}}}}"#),
        )
    };
    let not_found = response(
        "404 Not Found",
        "application/json",
        br#"{"error": {"code": "not_found", "message": "Contact not found"}}"#,
    );
    let documented = [r#"{"id": 5, "phone": null}"#, r#"{"id": "not a number"}"#];
    for status in STATUSES {
        for body in bodies(status, &documented) {
            let server = Canned::sequences(vec![
                (
                    "GET /public/v1/contacts/by-email/old%40",
                    vec![contact("old@example.com")],
                ),
                (
                    "GET /public/v1/contacts/by-email/new%40",
                    // Free before the update, then the contact that has it.
                    vec![not_found.clone(), contact("new@example.com")],
                ),
                ("PUT /public/v1/contacts/5", vec![json(status, body)]),
            ])
            .await;
            let changed = client(server.base_url())
                .change_email("old@example.com", "new@example.com")
                .await
                .unwrap_or_else(|e| panic!("{status} {body:?}: {e:?}"));
            assert_eq!(
                changed,
                EmailChange::Changed {
                    id: ContactId::new(5)
                }
            );
            assert_eq!(
                server.hits(),
                4,
                "{status} {body:?}: look-ups, update, confirmation"
            );
        }
    }
}
