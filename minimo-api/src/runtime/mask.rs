//! Masking of personal data (emails, phone numbers) for logs, traces and error messages.
//!
//! Masked forms keep just enough to recognise a value in a trace you already hold:
//! `jane.doe@example.com` -> `j***@example.com`, `+393391234567` -> `+39********67`.

/// Masks an email address: the first character of the local part, then `***`, then the
/// domain. Anything without an `@` is masked whole.
pub fn mask_email(email: &str) -> String {
    match email.rsplit_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_owned(),
    }
}

/// Masks a phone number: the first three and last two characters stay, the rest become `*`.
/// Numbers too short for that are masked whole.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 8 {
        return "***".to_owned();
    }
    let (head, rest) = chars.split_at(3);
    let (middle, tail) = rest.split_at(rest.len() - 2);
    let mut out: String = head.iter().collect();
    out.extend(std::iter::repeat_n('*', middle.len()));
    out.extend(tail.iter());
    out
}

/// Masks a person's name: the first character, then `***`.
pub fn mask_name(name: &str) -> String {
    let mut masked: String = name.chars().take(1).collect();
    masked.push_str("***");
    masked
}

/// Masks a request path: a segment that holds an email (raw or percent-encoded `@`) is
/// replaced by its masked, decoded form.
pub fn mask_path(path: &str) -> String {
    MaskedPath(path).to_string()
}

/// A request path that displays masked (see [`mask_path`]), without allocating unless a
/// segment holds an email: the tracing span records it only when someone listens.
pub(crate) struct MaskedPath<'a>(pub(crate) &'a str);

impl std::fmt::Display for MaskedPath<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, segment) in self.0.split('/').enumerate() {
            if i > 0 {
                f.write_str("/")?;
            }
            if segment.contains('@') || segment.contains("%40") {
                f.write_str(&mask_email(&percent_decode(segment)))?;
            } else {
                f.write_str(segment)?;
            }
        }
        Ok(())
    }
}

/// Masks every email address and phone number in free text (for server messages that may
/// echo what was sent): emails as tokens holding `@` (or a percent-encoded `%40`), phones as
/// any run of 7 or more digits, wherever it stands and however it is spaced
/// (`+39 339 123 4567`, `tel:0039-339-1234567`).
pub fn mask_text(text: &str) -> String {
    mask_digit_runs(&mask_email_tokens(text))
}

fn mask_email_tokens(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut token = String::new();
    let flush = |token: &mut String, out: &mut String| {
        let decoded = if token.to_ascii_lowercase().contains("%40") {
            percent_decode(token)
        } else {
            token.clone()
        };
        if decoded.contains('@') {
            // Keep surrounding punctuation out of the masked form.
            let trimmed = decoded.trim_matches(|c: char| {
                !(c.is_alphanumeric() || c == '@' || c == '.' || c == '+' || c == '-' || c == '_')
            });
            let trimmed = trimmed.trim_end_matches('.');
            out.push_str(&decoded.replacen(trimmed, &mask_email(trimmed), 1));
        } else {
            out.push_str(token);
        }
        token.clear();
    };
    for c in text.chars() {
        if c.is_whitespace()
            || matches!(
                c,
                '"' | '\'' | ',' | ';' | '(' | ')' | '<' | '>' | '[' | ']' | '{' | '}'
            )
        {
            flush(&mut token, &mut out);
            out.push(c);
        } else {
            token.push(c);
        }
    }
    flush(&mut token, &mut out);
    out
}

/// Masks every string inside a JSON value, as [`mask_text`] does (keys are kept: they name
/// fields, not data).
pub fn mask_value(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(s) => Value::String(mask_text(&s)),
        Value::Array(items) => Value::Array(items.into_iter().map(mask_value).collect()),
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, mask_value(v))).collect())
        }
        other => other,
    }
}

/// Characters that may stand between the digits of one phone number.
fn phone_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '.' | '/' | '(' | ')')
}

/// Replaces the digits of every run of 7 or more digits (separators allowed between them),
/// but the first two and the last two, by `*`.
fn mask_digit_runs(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        // The run: digits, with separators between them; it ends at its last digit, so
        // separators after it are not part of it.
        let mut end = i;
        let mut j = i;
        while j < chars.len() {
            if chars[j].is_ascii_digit() {
                end = j + 1;
            } else if !phone_separator(chars[j]) {
                break;
            }
            j += 1;
        }
        let run = &chars[i..end];
        let digits = run.iter().filter(|c| c.is_ascii_digit()).count();
        if digits >= 7 {
            let mut seen = 0;
            for &c in run {
                if c.is_ascii_digit() {
                    seen += 1;
                    out.push(if seen <= 2 || seen > digits - 2 {
                        c
                    } else {
                        '*'
                    });
                } else {
                    out.push(c);
                }
            }
        } else {
            out.extend(run);
        }
        i = end;
    }
    out
}

fn percent_decode(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_keep_first_letter_and_domain() {
        assert_eq!(mask_email("jane.doe@example.com"), "j***@example.com");
        assert_eq!(mask_email("@example.com"), "***@example.com");
        assert_eq!(mask_email("not-an-email"), "***");
    }

    #[test]
    fn phones_keep_prefix_and_last_two_digits() {
        assert_eq!(mask_phone("+393391234567"), "+39********67");
        assert_eq!(mask_phone("+1234"), "***");
    }

    #[test]
    fn phones_of_eight_characters_are_the_shortest_partly_shown() {
        assert_eq!(mask_phone("+3912345"), "+39***45");
        assert_eq!(mask_phone("+391234"), "***");
    }

    #[test]
    fn punctuation_around_an_email_stays_outside_its_mask() {
        for (text, masked) in [
            ("write to jane@example.com!", "write to j***@example.com!"),
            ("jane@example.com.", "j***@example.com."),
            ("jane@example.com:", "j***@example.com:"),
            ("*jane@example.com*", "*j***@example.com*"),
        ] {
            assert_eq!(mask_text(text), masked, "{text}");
        }
    }

    #[test]
    fn characters_an_address_may_hold_at_its_ends_stay_inside_its_mask() {
        // `@`, `.`, `+`, `-`, `_` belong to the address: masked with it, not left in view.
        for (text, masked) in [
            ("jane@", "j***@"),
            (".jane@example.com", ".***@example.com"),
            ("+jane@example.com", "+***@example.com"),
            ("-jane@example.com", "-***@example.com"),
            ("_jane@example.com", "_***@example.com"),
            ("jane@example.com_", "j***@example.com_"),
        ] {
            assert_eq!(mask_text(text), masked, "{text}");
        }
    }

    #[test]
    fn json_values_are_masked_in_every_string_and_keys_are_kept() {
        let value = serde_json::json!({
            "email": "jane@example.com",
            "list": ["call 3391234567", 7, null],
            "nested": {"jane@example.com": true},
        });
        assert_eq!(
            mask_value(value),
            serde_json::json!({
                "email": "j***@example.com",
                "list": ["call 33******67", 7, null],
                "nested": {"jane@example.com": true},
            })
        );
    }

    #[test]
    fn paths_mask_encoded_emails() {
        assert_eq!(
            mask_path("/public/v1/contacts/by-email/jane%2Btag%40example.com"),
            "/public/v1/contacts/by-email/j***@example.com"
        );
        assert_eq!(
            mask_path("/public/v1/contacts/42"),
            "/public/v1/contacts/42"
        );
    }

    #[test]
    fn text_masks_phones_however_they_are_written() {
        assert_eq!(mask_text("call 3391234567 now"), "call 33******67 now");
        assert_eq!(mask_text("tel:0039-339-1234567"), "tel:00**-***-*****67");
        assert_eq!(mask_text("+39 339 123 4567"), "+39 *** *** **67");
        assert_eq!(
            mask_text("phone=+39(339)1234567."),
            "phone=+39(***)*****67."
        );
        // Digit groups joined by anything but a separator are separate numbers.
        assert_eq!(mask_text("order 123x4567 ok"), "order 123x4567 ok");
        assert_eq!(mask_text("1234567-"), "12***67-");
        assert_eq!(mask_text("123 - 4567 a"), "12* - **67 a");
        // Short numbers (ids, counts, years) are kept.
        assert_eq!(
            mask_text("contact 42 of 123456 in 2025"),
            "contact 42 of 123456 in 2025"
        );
    }

    #[test]
    fn text_masks_percent_encoded_emails() {
        let masked = mask_text("no contact at /by-email/jane%40example.com");
        assert!(
            masked.ends_with("***@example.com") && !masked.contains("jane"),
            "{masked}"
        );
    }

    #[test]
    fn text_masks_every_email_and_phone() {
        let masked = mask_text("Email 'jane@example.com' taken; call +393391234567, ok.");
        assert_eq!(
            masked,
            "Email 'j***@example.com' taken; call +39********67, ok."
        );
    }
}
