//! The error envelope is read field by field: `code` and `message` survive whatever
//! `details` holds (an array, `null`, a string, a number) or a missing message, and the
//! envelope's code is kept for statuses the spec does not list. A 404 `not_found` is "no such
//! contact" whatever its details.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Canned, client};
use minimo_ext::{ContactId, ContactInput, ContactPatch, ErrorCode, ErrorKind};
use serde_json::json;

#[tokio::test]
async fn not_found_means_no_contact_whatever_the_details() {
    for details in [
        "null",
        "[]",
        "\"gone\"",
        "7",
        "{\"email\": \"jane@example.com\"}",
    ] {
        let body = format!(
            r#"{{"error": {{"code": "not_found", "message": "Contact not found", "details": {details}}}}}"#
        );
        let server = Canned::respond("404 Not Found", "application/json", body.as_bytes()).await;
        let found = client(server.base_url())
            .get_by_email("jane@example.com")
            .await
            .unwrap_or_else(|e| panic!("details {details}: {e:?}"));
        assert!(found.is_none(), "{details}");
    }
    // No message at all.
    let server = Canned::respond(
        "404 Not Found",
        "application/json",
        br#"{"error": {"code": "not_found"}}"#,
    )
    .await;
    assert!(
        client(server.base_url())
            .get_by_email("jane@example.com")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn code_message_and_any_details_are_kept() {
    for (details, expected) in [
        ("[\"+393391234567\", 2]", Some(json!(["+39********67", 2]))),
        ("null", None),
        (
            "\"see jane@example.com\"",
            Some(json!("see j***@example.com")),
        ),
        ("42", Some(json!(42))),
        ("{\"field\": \"email\"}", Some(json!({"field": "email"}))),
    ] {
        let body = format!(
            r#"{{"error": {{"code": "validation_error", "message": "Invalid email address format", "details": {details}}}}}"#
        );
        let server = Canned::respond(
            "422 Unprocessable Entity",
            "application/json",
            body.as_bytes(),
        )
        .await;
        let error = client(server.base_url())
            .upsert(ContactInput::with_email("jane@example.com"))
            .await
            .expect_err("422");
        assert_eq!(error.kind(), ErrorKind::Validation, "{details}");
        assert_eq!(error.code(), Some(&ErrorCode::ValidationError), "{details}");
        assert_eq!(error.message(), "Invalid email address format", "{details}");
        assert_eq!(error.details(), expected.as_ref(), "{details}");
        assert_eq!(error.status(), Some(422));
        assert_eq!(error.attempts(), 1);
        assert!(!error.may_have_been_processed() && !error.is_retryable());
        // `details.field` names the email: the one question for "was the email bad?".
        assert_eq!(
            error.is_invalid_email(),
            details.contains("field"),
            "{details}"
        );
    }
    let server = Canned::respond(
        "422 Unprocessable Entity",
        "application/json",
        br#"{"error": {"code": "invalid_phone_number"}}"#,
    )
    .await;
    let error = client(server.base_url())
        .upsert(ContactInput::with_phone("+393391234567"))
        .await
        .expect_err("422");
    assert_eq!(error.code(), Some(&ErrorCode::InvalidPhoneNumber));
    assert_eq!(error.message(), "HTTP 422 without a message");
}

#[tokio::test]
async fn the_envelope_code_is_kept_for_statuses_the_spec_does_not_list() {
    for (status, code, kind) in [
        (
            "402 Payment Required",
            "payment_required",
            ErrorKind::Validation,
        ),
        ("409 Conflict", "duplicate_resource", ErrorKind::Conflict),
        (
            "405 Method Not Allowed",
            "method_not_allowed",
            ErrorKind::Validation,
        ),
        ("418 I'm a teapot", "teapot", ErrorKind::Validation),
        (
            "507 Insufficient Storage",
            "storage_full",
            ErrorKind::Server,
        ),
    ] {
        let body = format!(r#"{{"error": {{"code": "{code}", "message": "m"}}}}"#);
        let server = Canned::respond(status, "application/json", body.as_bytes()).await;
        // A read answered with a status its operation does not declare.
        let error = client(server.base_url())
            .get_by_email("jane@example.com")
            .await
            .expect_err(status);
        assert_eq!(error.kind(), kind, "{status}");
        assert_eq!(error.code().map(ErrorCode::as_str), Some(code), "{status}");
        assert_eq!(error.message(), "m");
    }
}

#[tokio::test]
async fn a_bare_string_error_keeps_its_message_and_the_get_by_email_400_names_the_email() {
    let server = Canned::respond(
        "400 Bad Request",
        "application/json",
        br#"{"error": "Invalid email address format"}"#,
    )
    .await;
    let error = client(server.base_url())
        .get_by_email("jane@example.com")
        .await
        .expect_err("400");
    assert_eq!(error.kind(), ErrorKind::Validation);
    assert_eq!(error.code(), None);
    assert_eq!(error.message(), "Invalid email address format");
    assert!(
        error.is_invalid_email(),
        "the email is get-by-email's only input"
    );
    // An update's 409 keeps its code and field.
    let server = Canned::respond(
        "409 Conflict",
        "application/json",
        br#"{"error": {"code": "duplicate_resource", "message": "taken", "details": {"field": "email"}}}"#,
    )
    .await;
    let error = client(server.base_url())
        .update(
            ContactId::new(1),
            ContactPatch::new().email("jane@example.com"),
        )
        .await
        .expect_err("409");
    assert_eq!(error.kind(), ErrorKind::Conflict);
    assert_eq!(error.field(), Some("email"));
}
