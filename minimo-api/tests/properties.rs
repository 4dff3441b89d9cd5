//! Properties over arbitrary input, not examples: decoding any JSON or any bytes as any
//! response type never panics; masking never lets an embedded email or phone through;
//! percent-encoding a path segment and decoding it gives it back. Case counts are sized for
//! the test suite; `PROPTEST_CASES=10000` runs a longer search.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use minimo_api::runtime::{encode_path, mask_text};
use minimo_api::{model, types};
use proptest::prelude::*;
use serde_json::Value;

/// Any JSON value, biased towards the keys and shapes of this API so that decoders get past
/// their first checks.
fn json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("data".to_owned()),
        Just("id".to_owned()),
        Just("contactId".to_owned()),
        Just("error".to_owned()),
        Just("code".to_owned()),
        Just("message".to_owned()),
        Just("details".to_owned()),
        Just("email".to_owned()),
        Just("groups".to_owned()),
        Just("key".to_owned()),
        Just("type".to_owned()),
        "[a-z_]{0,8}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
        "[0-9]{1,20}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

/// Decodes `bytes` as every response type of the client; panics are the failure.
fn decode_all(bytes: &[u8]) {
    let _ = serde_json::from_slice::<model::ContactLookup>(bytes);
    let _ = serde_json::from_slice::<model::Contact>(bytes);
    let _ = serde_json::from_slice::<model::UpsertResult>(bytes);
    let _ = serde_json::from_slice::<model::UpdateResult>(bytes);
    let _ = serde_json::from_slice::<model::CustomFieldCreated>(bytes);
    let _ = serde_json::from_slice::<model::CustomFieldList>(bytes);
    let _ = serde_json::from_slice::<model::ErrorResponse>(bytes);
    let _ = serde_json::from_slice::<types::CustomField>(bytes);
    if let Ok(lookup) = serde_json::from_slice::<model::ContactLookup>(bytes) {
        // Whatever decoded also prints (masked) and encodes back.
        let contact = lookup.into_contact();
        let _ = format!("{contact:?}");
        serde_json::to_vec(&contact).unwrap();
    }
    if let Ok(error) = serde_json::from_slice::<model::ErrorResponse>(bytes) {
        let _ = format!("{error:?}");
    }
}

proptest! {
    #[test]
    fn decoding_any_json_never_panics(value in json()) {
        decode_all(&serde_json::to_vec(&value).unwrap());
    }

    #[test]
    fn decoding_any_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        decode_all(&bytes);
    }

    #[test]
    fn decoding_wrapped_is_decoding_bare(value in json()) {
        // Whatever a bare body decodes to, the same body wrapped in `data` decodes to too
        // (one level of wrapping: a body with its own `data` key is already wrapped).
        prop_assume!(value.get("data").is_none());
        let bare = serde_json::from_value::<model::ContactLookup>(value.clone()).ok();
        let wrapped = serde_json::from_value::<model::ContactLookup>(
            serde_json::json!({ "data": value }),
        )
        .ok();
        if let Some(bare) = bare {
            prop_assert_eq!(Some(bare), wrapped);
        }
    }

    #[test]
    fn an_error_envelope_keeps_its_code_whatever_else_it_holds(
        code in "[a-z_]{1,20}",
        message in proptest::option::of("\\PC{0,30}"),
        details in proptest::option::of(json()),
        extra in json(),
    ) {
        let mut error = serde_json::Map::new();
        error.insert("code".into(), Value::from(code.clone()));
        if let Some(message) = &message {
            error.insert("message".into(), Value::from(message.clone()));
        }
        if let Some(details) = details {
            error.insert("details".into(), details);
        }
        let body = serde_json::json!({"trace": extra, "error": error});
        let decoded = serde_json::from_value::<model::ErrorResponse>(body).unwrap();
        prop_assert_eq!(decoded.error.code(), Some(code.as_str()));
        prop_assert_eq!(decoded.error.message(), message.as_deref());
    }

    #[test]
    fn masking_never_lets_an_embedded_email_through(
        before in "\\PC{0,20}",
        local in "[a-zA-Z][a-zA-Z0-9._+-]{2,15}",
        domain in "[a-z]{2,10}\\.(it|com|co\\.uk)",
        after in "\\PC{0,20}",
        encoded in any::<bool>(),
    ) {
        let email = format!("{local}@{domain}");
        let embedded = if encoded { email.replace('@', "%40") } else { email.clone() };
        let text = format!("{before} {embedded} {after}");
        let masked = mask_text(&text);
        // The local part beyond its first character never survives next to its domain.
        prop_assert!(!masked.contains(&email), "{masked}");
        prop_assert!(!masked.contains(&embedded), "{masked}");
        prop_assert!(!masked.contains(&format!("{}@", &local[1..])), "{masked}");
    }

    #[test]
    fn masking_never_lets_an_embedded_phone_through(
        before in "[^0-9]{0,20}",
        country in "[1-9][0-9]{0,2}",
        number in "[0-9]{7,12}",
        separator in prop_oneof![Just(""), Just(" "), Just("-"), Just(".")],
        plus in any::<bool>(),
        after in "[^0-9]{0,20}",
    ) {
        let digits = format!("{country}{number}");
        let mut written = if plus { "+".to_owned() } else { String::new() };
        written.push_str(&country);
        written.push_str(separator);
        written.push_str(&number);
        let masked = mask_text(&format!("{before}{written}{after}"));
        // At most two leading and two trailing digits are kept: no run of 5 of its digits.
        let kept: String = masked.chars().filter(char::is_ascii_digit).collect();
        prop_assert!(kept.len() <= 4, "{masked} keeps {kept} of {digits}");
    }

    #[test]
    fn encoding_a_path_segment_then_decoding_it_is_the_identity(segment in "\\PC{0,40}") {
        let encoded = encode_path(&segment).to_string();
        prop_assert!(
            encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)),
            "{encoded}"
        );
        let decoded = percent_encoding::percent_decode_str(&encoded).decode_utf8().unwrap();
        prop_assert_eq!(decoded.as_ref(), segment.as_str());
    }
}
