//! Properties of the input checks over arbitrary addresses: what a write accepts a look-up
//! accepts too, and every accepted email survives percent-encoding into the path and back.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use minimo_api::runtime::encode_path;
use minimo_ext::validate::{email_for_lookup, email_for_write, phone};
use proptest::prelude::*;

/// Addresses of every shape the checks know: atoms with specials and dots, quoted local parts,
/// non-ASCII letters, IDN and address-literal domains, and plain noise.
fn address() -> impl Strategy<Value = String> {
    let local = prop_oneof![
        "[a-zA-Z0-9!#$%&'*+/=?^_`{|}~.-]{1,20}",
        "\"[ a-zA-Z0-9@,;:()<>.\\[\\]]{0,15}\"",
        "\\PC{1,10}",
    ];
    let domain = prop_oneof![
        "[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?(\\.[a-z]{2,6}){1,3}",
        "[à-ÿ]{1,6}\\.[a-z]{2,4}",
        Just("[192.0.2.1]".to_owned()),
        Just("[IPv6:2001:db8::1]".to_owned()),
        "\\PC{1,10}",
    ];
    prop_oneof![
        (local, domain).prop_map(|(l, d)| format!("{l}@{d}")),
        "\\PC{0,30}",
    ]
}

proptest! {
    #[test]
    fn what_a_write_accepts_a_look_up_accepts(email in address()) {
        if let Ok(written) = email_for_write("email", &email) {
            prop_assert_eq!(email_for_lookup("email", &email).ok(), Some(written));
        }
    }

    #[test]
    fn an_accepted_email_survives_the_path_and_back(email in address()) {
        if let Ok(checked) = email_for_lookup("email", &email) {
            let encoded = encode_path(&checked).to_string();
            let decoded = percent_encoding::percent_decode_str(&encoded)
                .decode_utf8()
                .unwrap();
            prop_assert_eq!(decoded.as_ref(), checked.as_str());
            prop_assert!(!encoded.contains('/') && !encoded.contains('+'));
        }
    }

    #[test]
    fn refusals_never_echo_the_value(email in address()) {
        if let Err(error) = email_for_write("email", &email) {
            let trimmed = email.trim();
            prop_assume!(trimmed.len() > 4);
            prop_assert!(!error.to_string().contains(trimmed));
        }
    }

    #[test]
    fn a_normalized_phone_is_e164_and_keeps_every_digit(
        digits in "[1-9][0-9]{6,14}",
        separators in prop::collection::vec(prop_oneof![Just(" "), Just("-"), Just("."), Just("(" ), Just(")")], 15),
    ) {
        let mut written = String::from("+");
        for (digit, separator) in digits.chars().zip(&separators) {
            written.push(digit);
            written.push_str(separator);
        }
        let normalized = phone(&written).unwrap();
        prop_assert_eq!(normalized, format!("+{digits}"));
    }
}
