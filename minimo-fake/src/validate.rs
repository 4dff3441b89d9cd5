//! Validation of emails and phone numbers, and the custom-field deep merge.

use serde_json::{Map, Value};

/// Whether `s` looks like an email address: one `@`, a non-empty local part without
/// whitespace or specials, and a dotted domain. Non-ASCII letters are accepted.
pub(crate) fn is_valid_email(s: &str) -> bool {
    if s.is_empty() || s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    if local.is_empty()
        || local.len() > 64
        || local.starts_with('.')
        || local.ends_with('.')
        || local.contains("..")
        || local.chars().any(|c| {
            matches!(
                c,
                '@' | '"' | '<' | '>' | '(' | ')' | '[' | ']' | ',' | ';' | ':' | '\\'
            )
        })
    {
        return false;
    }
    if !domain.contains('.') {
        return false;
    }
    domain.split('.').all(|label| {
        !label.is_empty()
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-')
    })
}

/// Whether `s` is an E.164 phone number: `^\+[1-9][0-9]{6,14}$`.
pub(crate) fn is_e164(s: &str) -> bool {
    let Some(digits) = s.strip_prefix('+') else {
        return false;
    };
    let bytes = digits.as_bytes();
    (7..=15).contains(&bytes.len())
        && bytes.iter().all(u8::is_ascii_digit)
        && bytes.first().is_some_and(|b| *b != b'0')
}

/// Deep-merges `patch` into `target`: nested objects merge recursively, any other value
/// (scalars, arrays, null) replaces the stored one.
pub(crate) fn deep_merge(target: &mut Map<String, Value>, patch: Map<String, Value>) {
    for (key, value) in patch {
        deep_merge_entry(target, key, value);
    }
}

/// Deep-merges one `key: value` into `target`, as [`deep_merge`] does for each entry.
pub(crate) fn deep_merge_entry(target: &mut Map<String, Value>, key: String, value: Value) {
    match (target.get_mut(&key), value) {
        (Some(Value::Object(existing)), Value::Object(incoming)) => deep_merge(existing, incoming),
        (_, value) => {
            target.insert(key, value);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn emails() {
        for ok in [
            "a@example.com",
            "a+b@example.com",
            "a%b@example.com",
            "a/b@example.com",
            "josé@example.it",
        ] {
            assert!(is_valid_email(ok), "{ok}");
        }
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@b",
            "a b@example.com",
            "a@@example.com",
            "a@example..com",
        ] {
            assert!(!is_valid_email(bad), "{bad}");
        }
    }

    #[test]
    fn phones() {
        assert!(is_e164("+393391234567"));
        assert!(is_e164("+1234567"));
        assert!(!is_e164("+0123456789"));
        assert!(!is_e164("393391234567"));
        assert!(!is_e164("+39 339 1234567"));
        assert!(!is_e164("+123456"));
        assert!(!is_e164("+1234567890123456"));
    }

    #[test]
    fn merge() {
        let mut a = json!({"a": 1, "n": {"x": 1, "y": {"z": 1}}, "arr": [1]});
        let b = json!({"b": 2, "n": {"y": {"w": 2}}, "arr": [2]});
        if let (Value::Object(a), Value::Object(b)) = (&mut a, b) {
            deep_merge(a, b);
        }
        assert_eq!(
            a,
            json!({"a": 1, "b": 2, "n": {"x": 1, "y": {"z": 1, "w": 2}}, "arr": [2]})
        );
    }
}
