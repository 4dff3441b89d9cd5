//! The key given to `Client::with_api_key` never shows in Debug output or errors. (What goes
//! on the wire is checked in the workspace's `tests/tests/wire_headers.rs`.)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use minimo_api::Client;

const KEY: &str = "mn-acme-s3cr3tvalue";

#[test]
fn debug_output_never_shows_the_key() {
    let client = Client::with_api_key("https://api.minimo.it", KEY).unwrap();
    let debug = format!("{client:?}");
    assert!(!debug.contains("s3cr3t"), "{debug}");
}

#[test]
fn a_key_that_cannot_be_a_header_is_an_error_without_the_key() {
    let err = Client::with_api_key("https://api.minimo.it", "mn-acme-bad\nkey").unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("bad"), "{shown}");
    assert!(shown.contains("HTTP header"), "{shown}");
}
