//! Validation of emails and phone numbers, and the custom-field deep merge.

use serde_json::{Map, Value};

/// Whether `s` is an address a mail system accepts: at most 254 bytes, no control
/// characters, a local part of 1 to 64 bytes that is either quoted (`"john doe"`, with `\`
/// escapes) or free of whitespace and the specials `"(),:;<>@[\]` (dots anywhere: carrier
/// addresses such as `taro..yamada@docomo.ne.jp` exist), and a domain that is an address
/// literal (`[192.0.2.1]`, `[IPv6:2001:db8::1]`) or at least two labels of letters (any
/// script), digits and inner hyphens.
pub(crate) fn is_valid_email(s: &str) -> bool {
    if s.is_empty() || s.len() > 254 || s.chars().any(char::is_control) {
        return false;
    }
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    valid_local(local) && valid_domain(domain)
}

fn valid_local(local: &str) -> bool {
    if local.is_empty() || local.len() > 64 {
        return false;
    }
    match local.strip_prefix('"').and_then(|l| l.strip_suffix('"')) {
        Some(quoted) => {
            let mut escaped = false;
            for c in quoted.chars() {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    return false;
                }
            }
            !escaped
        }
        None => !local.chars().any(|c| {
            c.is_whitespace()
                || matches!(
                    c,
                    '"' | '(' | ')' | ',' | ':' | ';' | '<' | '>' | '@' | '[' | ']' | '\\'
                )
        }),
    }
}

fn valid_domain(domain: &str) -> bool {
    if let Some(literal) = domain.strip_prefix('[').and_then(|d| d.strip_suffix(']')) {
        return literal.parse::<std::net::Ipv4Addr>().is_ok()
            || literal
                .strip_prefix("IPv6:")
                .or_else(|| literal.strip_prefix("ipv6:"))
                .is_some_and(|ip| ip.parse::<std::net::Ipv6Addr>().is_ok());
    }
    domain.contains('.')
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| {
                    c.is_alphanumeric() || c == '-' || (!c.is_ascii() && !c.is_whitespace())
                })
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
            "\"john doe\"@example.com",
            "\"a,b\"@example.com",
            "user@[192.0.2.1]",
            "user@[IPv6:2001:db8::1]",
            "taro..yamada@docomo.ne.jp",
            "user@क्षत्रिय.भारत",
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
            "a\"b@example.com",
            "\"a\"b\"@example.com",
            "user@[300.1.1.1]",
            "a@x_y.com",
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
