//! Bodies a server can send that the API description does not allow: each one is a typed
//! error, never a panic, and a write the server accepted is never reported as failed.
//! Broken bodies come from minimo-fake's faults; what the fake cannot produce comes from a
//! raw-TCP server answering canned responses.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{COMPANY, Canned, assert_one_line, client, fake, response, statuses};
use minimo_ext::{ContactId, ContactInput, ContactPatch, Error, ErrorKind};
use minimo_fake::{ContactSeed, Fault};

fn assert_typed(error: &Error, kind: ErrorKind, status: Option<u16>) {
    assert_eq!(error.kind(), kind, "{error:?}");
    assert_eq!(error.status(), status, "{error:?}");
    let shown = error.to_string();
    assert_one_line(&shown);
    assert!(
        shown.len() < 1200,
        "Display is bounded: {} bytes",
        shown.len()
    );
    assert!(error.message().len() <= 504, "message is clipped");
}

#[tokio::test]
async fn a_truncated_json_body_is_a_decode_error() {
    let fake = fake().await;
    fake.store()
        .insert_contact(COMPANY, ContactSeed::email("jane@example.com"));
    fake.faults()
        .push(Fault::truncated_body("getContactByEmail"));
    let minimo = client(&fake.base_url());
    let error = minimo
        .get_by_email("jane@example.com")
        .await
        .expect_err("truncated");
    assert_typed(&error, ErrorKind::Decode, Some(200));
    assert_eq!(error.attempts(), 1, "a 200 is not retried");
    assert_eq!(
        error.request_id(),
        Some(fake.journal().last().unwrap().request_id.as_str())
    );
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn a_truncated_upsert_answer_is_found_by_its_email_and_the_upsert_happened_once() {
    let fake = fake().await;
    fake.faults().push(Fault::truncated_body("upsertContact"));
    let minimo = client(&fake.base_url());
    let id = minimo
        .upsert(ContactInput::with_email("jane@example.com"))
        .await
        .expect("the upsert took effect");
    assert_eq!(statuses(&fake, "upsertContact"), [Some(200)]);
    assert_eq!(statuses(&fake, "getContactByEmail"), [Some(200)]);
    let stored = fake.store().contacts(COMPANY);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].id, id.get());
}

#[tokio::test]
async fn an_invalid_json_body_is_a_decode_error_for_a_read_and_ignored_for_a_delete() {
    let fake = fake().await;
    fake.faults().push(Fault::invalid_json("listCustomFields"));
    let minimo = client(&fake.base_url());
    let error = minimo.custom_fields().list().await.expect_err("invalid");
    assert_typed(&error, ErrorKind::Decode, Some(200));
    assert!(!error.is_retryable());
    fake.faults().push(Fault::invalid_json("deleteContact"));
    let jane = fake
        .store()
        .insert_contact(COMPANY, ContactSeed::email("jane@example.com"));
    minimo
        .delete(ContactId::new(jane.id))
        .await
        .expect("the delete's body is not read");
    assert!(fake.store().contact(jane.id).unwrap().deleted);
    assert_eq!(statuses(&fake, "deleteContact"), [Some(200)]);
}

#[tokio::test]
async fn an_empty_200_body_is_a_decode_error() {
    let server = Canned::respond("200 OK", "application/json", b"").await;
    let minimo = client(server.base_url());
    let error = minimo
        .get_by_email("jane@example.com")
        .await
        .expect_err("empty");
    assert_typed(&error, ErrorKind::Decode, Some(200));
    assert_eq!(error.request_id(), Some("req-canned-1"));
    assert!(error.may_have_been_processed());
    // The upsert took effect; its look-up by email gets the same empty answer: the error
    // says the write happened.
    let error = minimo
        .upsert(ContactInput::with_email("jane@example.com"))
        .await
        .expect_err("empty");
    assert_typed(&error, ErrorKind::Decode, Some(200));
    assert!(
        error
            .message()
            .starts_with("the upsert took effect (HTTP 200)"),
        "{error}"
    );
    assert!(
        error.may_have_been_processed() && !error.is_retryable(),
        "{error:?}"
    );
    assert_eq!(error.attempts(), 1);
    assert_eq!(server.hits(), 3);
}

#[tokio::test]
async fn an_html_502_page_is_a_server_error_retried_for_a_get() {
    let page = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>";
    let server = Canned::respond("502 Bad Gateway", "text/html", page).await;
    let minimo = client(server.base_url());
    let error = minimo
        .get_by_email("jane@example.com")
        .await
        .expect_err("502");
    assert_typed(&error, ErrorKind::Server, Some(502));
    assert_eq!(error.code(), None);
    assert_eq!(error.attempts(), 3);
    assert_eq!(server.hits(), 3);
    assert!(error.is_retryable());
    assert!(!error.message().contains("<html>"), "{}", error.message());
}

#[tokio::test]
async fn an_html_502_page_is_a_server_error_not_retried_for_an_upsert() {
    let server = Canned::respond("502 Bad Gateway", "text/html", b"<html>Bad Gateway</html>").await;
    let minimo = client(server.base_url());
    let error = minimo
        .upsert(ContactInput::with_email("jane@example.com"))
        .await
        .expect_err("502");
    assert_typed(&error, ErrorKind::Server, Some(502));
    assert_eq!(error.attempts(), 1);
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn a_write_answered_2xx_with_a_body_of_the_wrong_type_still_succeeds() {
    // The update knows the id it sent.
    let server = Canned::respond("200 OK", "application/json", br#"{"id":"x"}"#).await;
    let id = client(server.base_url())
        .update(ContactId::new(1), ContactPatch::new().custom_field("A", 1))
        .await
        .expect("the update took effect");
    assert_eq!((id, server.hits()), (ContactId::new(1), 1));
    // The upsert looks its contact up by the email it sent.
    let found = response(
        "200 OK",
        "application/json",
        br#"{"data":{"id":77,"email":"jane@example.com"}}"#,
    );
    for answer in [
        &br#"[{"contactId":"abc"}]"#[..],
        b"[]",
        b"{}",
        b"null",
        b"<html>ok</html>",
    ] {
        let server = Canned::routes(vec![
            (
                "POST /public/v1/contacts ",
                response("200 OK", "application/json", answer),
            ),
            (
                "GET /public/v1/contacts/by-email/jane%40example.com ",
                found.clone(),
            ),
        ])
        .await;
        let id = client(server.base_url())
            .upsert(ContactInput::with_email("jane@example.com"))
            .await
            .expect("the upsert took effect");
        assert_eq!(id, ContactId::new(77));
        assert_eq!(server.hits(), 2, "one upsert, one look-up, no retry");
    }
    // With only a phone, there is no look-up: the error says the write happened.
    let server = Canned::respond("201 Created", "application/json", b"[]").await;
    let error = client(server.base_url())
        .upsert(ContactInput::with_phone("+393391234567"))
        .await
        .expect_err("no id, no look-up by phone");
    assert_typed(&error, ErrorKind::Decode, Some(201));
    assert!(error.message().contains("took effect"), "{error}");
    assert!(error.may_have_been_processed() && !error.is_retryable());
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn a_huge_body_is_a_bounded_typed_error() {
    let filler = "a".repeat(4 * 1024 * 1024);
    // A 4 MB success body of the wrong shape.
    let body = format!(r#"{{"data":{{"id":"{filler}"}}}}"#);
    let server = Canned::respond("200 OK", "application/json", body.as_bytes()).await;
    let minimo = client(server.base_url());
    let error = minimo
        .get_by_email("jane@example.com")
        .await
        .expect_err("huge");
    assert_typed(&error, ErrorKind::Decode, Some(200));
    // A 4 MB error body that is not the envelope.
    let server =
        Canned::respond("500 Internal Server Error", "text/plain", filler.as_bytes()).await;
    let error = client(server.base_url())
        .upsert(ContactInput::with_email("jane@example.com"))
        .await
        .expect_err("huge");
    assert_typed(&error, ErrorKind::Server, Some(500));
    // A 4 MB body with an undeclared status.
    let server = Canned::respond("418 I'm a teapot", "text/plain", filler.as_bytes()).await;
    let error = client(server.base_url())
        .get_by_email("jane@example.com")
        .await
        .expect_err("huge");
    assert_typed(&error, ErrorKind::Validation, Some(418));
}

#[tokio::test]
async fn any_2xx_is_an_answer_and_an_undeclared_error_status_is_a_typed_error() {
    let body = br#"{"data":{"id":1,"email":"jane@example.com","custom_fields":{}}}"#;
    let server = Canned::respond(
        "203 Non-Authoritative Information",
        "application/json",
        body,
    )
    .await;
    let minimo = client(server.base_url());
    let jane = minimo
        .get_by_email("jane@example.com")
        .await
        .expect("any 2xx is success");
    assert_eq!(jane.map(|c| c.id), Some(ContactId::new(1)));
    let server = Canned::respond("418 I'm a teapot", "application/json", body).await;
    let error = client(server.base_url())
        .get_by_email("jane@example.com")
        .await
        .expect_err("418");
    assert_typed(&error, ErrorKind::Validation, Some(418));
    assert_eq!(error.code(), None);
    assert_eq!(error.attempts(), 1);
}

#[tokio::test]
async fn an_error_status_with_a_body_that_is_not_the_envelope_keeps_its_status() {
    let server = Canned::respond(
        "409 Conflict",
        "application/json",
        br#"{"message":"email taken"}"#,
    )
    .await;
    let minimo = client(server.base_url());
    let error = minimo
        .update(
            ContactId::new(1),
            ContactPatch::new().email("jane@example.com"),
        )
        .await
        .expect_err("409");
    assert_typed(&error, ErrorKind::Conflict, Some(409));
    assert_eq!(error.code(), None);
    let server = Canned::respond("401 Unauthorized", "text/plain", b"go away").await;
    let error = client(server.base_url())
        .custom_fields()
        .list()
        .await
        .expect_err("401");
    assert_typed(&error, ErrorKind::Unauthorized, Some(401));
    let server = Canned::respond("503 Service Unavailable", "", b"").await;
    let error = client(server.base_url())
        .delete(ContactId::new(1))
        .await
        .expect_err("503");
    assert_typed(&error, ErrorKind::Server, Some(503));
    assert_eq!(error.attempts(), 3);
}

#[tokio::test]
async fn a_connection_closed_without_an_answer_is_a_transport_error() {
    let server = Canned::raw(Vec::new()).await;
    let minimo = client(server.base_url());
    let error = minimo
        .get_by_email("jane@example.com")
        .await
        .expect_err("closed");
    assert_typed(&error, ErrorKind::Transport, None);
    assert!(error.is_retryable());
    let server =
        Canned::raw(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{\"data\":".to_vec()).await;
    let error = client(server.base_url())
        .get_by_email("jane@example.com")
        .await
        .expect_err("short body");
    assert_typed(&error, ErrorKind::Transport, Some(200));
    let server = Canned::raw(b"this is not HTTP at all\r\n\r\n".to_vec()).await;
    let error = client(server.base_url())
        .get_by_email("jane@example.com")
        .await
        .expect_err("garbage");
    assert_typed(&error, ErrorKind::Transport, None);
}

#[tokio::test]
async fn a_404_without_the_api_envelope_is_an_error_not_a_missing_contact() {
    // A wrong base path or a proxy's page: not the API saying "no such contact".
    let page = b"<html><body><h1>404 Not Found</h1></body></html>";
    let server = Canned::respond("404 Not Found", "text/html", page).await;
    let minimo = client(server.base_url());
    let error = minimo
        .get_by_email("jane@example.com")
        .await
        .expect_err("a 404 page is not `None`");
    assert_typed(&error, ErrorKind::NotFound, Some(404));
    assert_eq!(error.code(), None);
}

#[tokio::test]
async fn a_redirect_is_not_followed_and_the_upsert_is_not_turned_into_a_get() {
    let server = Canned::raw(
        b"HTTP/1.1 302 Found\r\nlocation: http://127.0.0.1:9/elsewhere\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            .to_vec(),
    )
    .await;
    let minimo = client(server.base_url());
    let error = minimo
        .upsert(ContactInput::with_email("jane@example.com"))
        .await
        .expect_err("a redirect is not an answer");
    assert_typed(&error, ErrorKind::Transport, Some(302));
    assert!(error.message().contains("redirected"), "{error}");
    assert!(!error.is_retryable());
    let heads = server.request_heads();
    assert_eq!(heads.len(), 1, "{heads:?}");
    assert!(
        heads[0].starts_with("post /public/v1/contacts "),
        "{heads:?}"
    );
}
