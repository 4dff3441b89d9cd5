//! Emails in the look-up path go out percent-encoded as `encodeURIComponent` does: every
//! byte outside the unreserved set, so no server or proxy reads a `+` as a space or splits on
//! a `/`. Checked on the raw request line a server receives, and round-tripped through the
//! fake.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Canned, client, fake};
use minimo_ext::ContactInput;

/// The emails of the table: each holds one character a naive encoder leaves raw.
const EMAILS: [&str; 16] = [
    "a+b@example.com",
    "a/b@example.com",
    "100%sure@example.com",
    "what?@example.com",
    "hash#tag@example.com",
    "rock&roll@example.com",
    "x=y@example.com",
    "o'neil@example.com",
    "wow!@example.com",
    "ca$h@example.com",
    "\"a,b\"@example.com",
    "\"a;b\"@example.com",
    "\"john doe\"@example.com",
    "josé@exämple.it",
    "björk@example.is",
    "a.b-c_d~e@example.com",
];

/// Whether `path` holds only unreserved characters, `/` and `%XX` escapes (uppercase hex).
fn strictly_encoded(path: &str) -> bool {
    let bytes = path.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = |b: &u8| b.is_ascii_digit() || (b'A'..=b'F').contains(b);
                if !(bytes.get(i + 1).is_some_and(hex) && bytes.get(i + 2).is_some_and(hex)) {
                    return false;
                }
                i += 3;
            }
            b if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) => i += 1,
            _ => return false,
        }
    }
    true
}

fn decoded(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .unwrap()
        .into_owned()
}

#[tokio::test]
async fn every_character_outside_the_unreserved_set_goes_out_encoded() {
    let server = Canned::respond(
        "404 Not Found",
        "application/json",
        br#"{"error": {"code": "not_found", "message": "Contact not found"}}"#,
    )
    .await;
    let minimo = client(server.base_url());
    for email in EMAILS.iter().chain(&["ja ne@example.com", "a b+c@x.it"]) {
        assert!(
            minimo.get_by_email(email).await.unwrap().is_none(),
            "{email}"
        );
    }
    let lines = server.request_lines();
    assert_eq!(lines.len(), EMAILS.len() + 2);
    for (line, email) in lines
        .iter()
        .zip(EMAILS.iter().chain(&["ja ne@example.com", "a b+c@x.it"]))
    {
        let path = line
            .strip_prefix("GET ")
            .and_then(|rest| rest.strip_suffix(" HTTP/1.1"))
            .unwrap_or_else(|| panic!("{line}"));
        let segment = path
            .strip_prefix("/public/v1/contacts/by-email/")
            .unwrap_or_else(|| panic!("{line}"));
        assert!(strictly_encoded(segment), "{email} went out as {segment}");
        assert!(!segment.contains('/'), "{email}: one segment, {segment}");
        assert_eq!(decoded(segment), *email, "{line}");
    }
    assert!(lines[0].contains("/a%2Bb%40example.com "), "{}", lines[0]);
}

#[tokio::test]
async fn every_email_of_the_table_round_trips_through_the_fake() {
    let fake = fake().await;
    let minimo = client(&fake.base_url());
    for email in EMAILS {
        let id = minimo
            .upsert(ContactInput::with_email(email))
            .await
            .unwrap_or_else(|e| panic!("{email}: {e}"));
        let found = minimo
            .get_by_email(email)
            .await
            .unwrap_or_else(|e| panic!("{email}: {e}"));
        assert_eq!(found.map(|c| c.id), Some(id), "{email}");
        assert_eq!(
            fake.store().contact(id.get()).unwrap().email.as_deref(),
            Some(email)
        );
    }
}
