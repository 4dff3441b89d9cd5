//! Checks run before any request, so input that cannot succeed never reaches the wire, and
//! input that can is never refused for its form.
//!
//! Two rules for emails, because refusing too much loses the user's data while refusing too
//! little only costs a typed 422 from the server:
//!
//! - a **look-up** ([`email_for_lookup`]) refuses only what no contact can hold (empty, no `@`
//!   or nothing on one side of it, control characters, longer than SMTP allows); everything
//!   else is percent-encoded and sent, so a contact created with an unusual address in
//!   Minimo's dashboard can still be found and fixed;
//! - a **write** ([`email_for_write`]) refuses only what no mail system accepts: it follows
//!   RFC 5321/5322 with the relaxations real mail systems live with: quoted local parts
//!   (`"john doe"@example.com`), address literals (`user@[192.0.2.1]`), dots anywhere in the
//!   local part (Japanese carrier addresses such as `taro..yamada@docomo.ne.jp`), and
//!   non-ASCII letters anywhere (RFC 6531, IDN labels with a virama or a zero-width joiner
//!   included). It requires a dotted domain: no public mail system accepts a dotless one.
//!
//! Phones must be E.164 (`+`, a country code that does not start with 0, 7 to 15 digits in
//! all); spaces, dashes, dots and parentheses people write between digits are removed first
//! (`+39 339 123-4567` is sent as `+393391234567`). Error messages never repeat the value,
//! only what is wrong with it, and name the field.

use crate::error::{Error, ErrorCode};
use std::net::{Ipv4Addr, Ipv6Addr};

/// The longest email address SMTP allows (RFC 5321 §4.5.3.1.3, a path of 256 octets).
pub(crate) const MAX_EMAIL: usize = 254;

/// The longest local part SMTP allows (RFC 5321 §4.5.3.1.1).
pub(crate) const MAX_LOCAL: usize = 64;

/// The longest domain label DNS allows.
const MAX_LABEL: usize = 63;

fn refuse(field: &'static str, what: &str, problem: &str, code: ErrorCode) -> Error {
    Error::invalid_input(format!("{what} {problem}"))
        .with_code(code)
        .with_field(field)
}

/// Checks an email to look a contact up by (`what` names it in the message, e.g. `old
/// email`); returns it trimmed of surrounding whitespace. Refusals carry the code
/// get-by-email documents for a malformed email, `bad_request`.
pub fn email_for_lookup(what: &str, value: &str) -> Result<String, Error> {
    let value = value.trim();
    let problem = if value.is_empty() {
        Some("is empty")
    } else if value.len() > MAX_EMAIL {
        Some("is longer than 254 bytes")
    } else if value.chars().any(char::is_control) {
        Some("contains control characters")
    } else {
        match value.rsplit_once('@') {
            None => Some("has no `@`"),
            Some(("", _)) => Some("has nothing before the `@`"),
            Some((_, "")) => Some("has nothing after the `@`"),
            Some(_) => None,
        }
    };
    match problem {
        Some(problem) => Err(refuse("email", what, problem, ErrorCode::BadRequest)),
        None => Ok(value.to_owned()),
    }
}

/// Checks an email to store on a contact (`what` names it in the message); returns it
/// trimmed of surrounding whitespace. Refusals carry `validation_error`, as the server's.
pub fn email_for_write(what: &str, value: impl Into<String>) -> Result<String, Error> {
    let value = value.into();
    match email_problem(value.trim()) {
        Some(problem) => Err(refuse("email", what, problem, ErrorCode::ValidationError)),
        None => Ok(trimmed(value)),
    }
}

/// `value` without surrounding whitespace; the same allocation when there is none.
fn trimmed(value: String) -> String {
    if value.trim().len() == value.len() {
        value
    } else {
        value.trim().to_owned()
    }
}

/// What makes `value` an address no mail system accepts, if anything.
fn email_problem(value: &str) -> Option<&'static str> {
    if value.is_empty() {
        return Some("is empty");
    }
    if value.len() > MAX_EMAIL {
        return Some("is longer than 254 bytes");
    }
    let Some((local, domain)) = value.rsplit_once('@') else {
        return Some("has no `@`");
    };
    if local.is_empty() {
        return Some("has nothing before the `@`");
    }
    if local.len() > MAX_LOCAL {
        return Some("has more than 64 bytes before the `@`");
    }
    local_problem(local).or_else(|| domain_problem(domain))
}

fn local_problem(local: &str) -> Option<&'static str> {
    if let Some(quoted) = local
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
    {
        // A quoted string: anything printable (spaces, `@`, `,`...), with `"` and `\`
        // escaped by a backslash.
        let mut chars = quoted.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' if chars.next().is_none_or(char::is_control) => {
                    return Some("has a dangling `\\` in its quoted part");
                }
                '"' => return Some("has an unescaped `\"` in its quoted part"),
                c if c.is_control() => return Some("contains control characters"),
                _ => {}
            }
        }
        return None;
    }
    // A dot-atom, with dots anywhere (carrier addresses) and non-ASCII letters (RFC 6531).
    local.chars().find_map(|c| match c {
        c if c.is_whitespace() || c.is_control() => {
            Some("contains whitespace or control characters outside quotes")
        }
        '"' | '(' | ')' | ',' | ':' | ';' | '<' | '>' | '@' | '[' | ']' | '\\' => {
            Some("has characters (quotes, brackets, `,;:\\@`) not allowed unquoted before the `@`")
        }
        _ => None,
    })
}

fn domain_problem(domain: &str) -> Option<&'static str> {
    if domain.is_empty() {
        return Some("has nothing after the `@`");
    }
    if let Some(literal) = domain
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
    {
        let valid = literal.parse::<Ipv4Addr>().is_ok()
            || literal
                .get(..5)
                .is_some_and(|tag| tag.eq_ignore_ascii_case("IPv6:"))
                && literal
                    .get(5..)
                    .is_some_and(|ip| ip.parse::<Ipv6Addr>().is_ok());
        return (!valid).then_some("has an address literal that is not an IP address");
    }
    if !domain.contains('.') {
        return Some("has no dot in its domain");
    }
    domain.split('.').find_map(|label| {
        if label.is_empty() {
            Some("has an empty label in its domain")
        } else if label.len() > MAX_LABEL {
            Some("has a domain label longer than 63 bytes")
        } else if label.starts_with('-') || label.ends_with('-') {
            Some("has a domain label that starts or ends with `-`")
        } else if !label.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || c == '-'
                || (!c.is_ascii() && !c.is_whitespace() && !c.is_control())
        }) {
            Some("has characters not allowed in a domain name")
        } else {
            None
        }
    })
}

/// Normalizes a phone number to E.164: removes the spaces, dashes, dots and parentheses
/// people write between digits, then checks for `+`, 7 to 15 digits, the first not 0.
pub fn phone(value: impl Into<String>) -> Result<String, Error> {
    let value = value.into();
    let separator = |c: char| c.is_whitespace() || matches!(c, '-' | '.' | '(' | ')');
    // Most phones arrive compact: they are checked and kept as they are.
    let compact = if value.contains(separator) {
        value.chars().filter(|&c| !separator(c)).collect()
    } else {
        value
    };
    let problem = match compact.strip_prefix('+') {
        None => Some("must start with `+` and the country code (E.164)"),
        Some(digits) if !digits.bytes().all(|b| b.is_ascii_digit()) => {
            Some("must hold only digits after the `+` (spaces, dashes, dots and parentheses aside)")
        }
        Some(digits) if digits.starts_with('0') => Some("has a country code starting with 0"),
        Some(digits) if !(7..=15).contains(&digits.len()) => Some("must have 7 to 15 digits"),
        Some(_) => None,
    };
    match problem {
        Some(problem) => Err(refuse(
            "phone",
            "phone",
            problem,
            ErrorCode::InvalidPhoneNumber,
        )),
        None => Ok(compact),
    }
}

/// Checks a custom-field key (not empty, no whitespace or control characters) and returns it
/// as the server stores it: uppercased. Definitions and values both go out under this key.
pub fn custom_field_key(value: &str) -> Result<String, Error> {
    if !value.is_empty() && !value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        // ASCII keys (nearly all) skip `to_uppercase`'s Unicode tables; the result is the same.
        Ok(if value.is_ascii() {
            value.to_ascii_uppercase()
        } else {
            value.to_uppercase()
        })
    } else {
        Err(Error::invalid_input(
            "a custom field key must be non-empty, without whitespace or control characters",
        )
        .with_code(ErrorCode::ValidationError)
        .with_field("customFields"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_ok(value: &str) -> bool {
        email_for_write("email", value).is_ok()
    }

    #[test]
    fn writes_accept_the_addresses_real_mail_systems_deliver_to() {
        for ok in [
            "jane@example.com",
            "jane+tag@example.co.uk",
            "a/b@example.com",
            "o'neil@example.com",
            "!#$%&'*+-/=?^_`{|}~@example.com",
            "josé@exämple.it",
            "\"john doe\"@example.com",
            "\"a@b,c;d\"@example.com",
            "\"escaped \\\" quote\"@example.com",
            "user@[192.0.2.1]",
            "user@[IPv6:2001:db8::1]",
            "user@[ipv6:::1]",
            "taro..yamada@docomo.ne.jp",
            ".taro@docomo.ne.jp",
            "taro.@docomo.ne.jp",
            "user@क्षत्रिय.भारत",
            "user@ab\u{200d}c.example",
            "a@b-c.d-e.it",
            "a@x1.y2",
        ] {
            assert!(write_ok(ok), "{ok}");
        }
        assert_eq!(
            email_for_write("email", "  jane@example.com ")
                .ok()
                .as_deref(),
            Some("jane@example.com")
        );
    }

    #[test]
    fn writes_refuse_what_no_mail_system_accepts_without_echoing_it() {
        for (bad, says) in [
            ("", "is empty"),
            ("plainaddress", "has no `@`"),
            ("@example.com", "nothing before"),
            ("jane@", "nothing after"),
            ("jane@example", "no dot"),
            ("ja ne@example.com", "whitespace"),
            ("ja\tne@example.com", "whitespace"),
            ("a@b@example.com", "not allowed unquoted"),
            ("a\"b@example.com", "not allowed unquoted"),
            ("a(b@example.com", "not allowed unquoted"),
            ("a,b@example.com", "not allowed unquoted"),
            ("a;b@example.com", "not allowed unquoted"),
            ("a:b@example.com", "not allowed unquoted"),
            ("a<b@example.com", "not allowed unquoted"),
            ("a[b@example.com", "not allowed unquoted"),
            ("a\\b@example.com", "not allowed unquoted"),
            ("\"a\"b\"@example.com", "unescaped"),
            ("\"ab\\\"@example.com", "dangling"),
            ("\"a\u{7}b\"@example.com", "control"),
            ("jane@-x.com", "starts or ends with `-`"),
            ("jane@x-.com", "starts or ends with `-`"),
            ("jane@x_y.com", "not allowed in a domain"),
            ("jane@x y.com", "not allowed in a domain"),
            ("jane@example..com", "empty label"),
            ("jane@.example.com", "empty label"),
            ("jane@example.com.", "empty label"),
            ("user@[300.1.1.1]", "not an IP address"),
            ("user@[2001:db8::1]", "not an IP address"),
            ("user@[IPv6:zz]", "not an IP address"),
        ] {
            let error = email_for_write("email", bad)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(
                error.starts_with("invalid input (validation_error): email "),
                "{bad}: {error}"
            );
            assert!(error.contains(says), "{bad}: {error}");
            if bad.len() > 3 {
                assert!(!error.contains(bad), "{error}");
            }
        }
    }

    #[test]
    fn length_limits_hold_at_and_just_past_the_boundary() {
        let domain = "@example.com";
        let local_64 = "a".repeat(MAX_LOCAL);
        assert!(write_ok(&format!("{local_64}{domain}")));
        let error = email_for_write("email", format!("a{local_64}{domain}"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("more than 64 bytes"), "{error}");
        // 254 bytes in all: a 63-byte label keeps every label legal.
        let label = "b".repeat(MAX_LABEL);
        let long_domain = format!("{label}.{label}.{label}.{}", "c".repeat(57));
        let at_limit = format!(
            "{}@{long_domain}",
            "a".repeat(MAX_EMAIL - 1 - long_domain.len())
        );
        assert_eq!(at_limit.len(), MAX_EMAIL);
        assert!(write_ok(&at_limit), "{}", at_limit.len());
        assert!(email_for_lookup("email", &at_limit).is_ok());
        let past = format!("a{at_limit}");
        for result in [
            email_for_write("email", &past),
            email_for_lookup("email", &past),
        ] {
            let shown = result.err().map(|e| e.to_string()).unwrap_or_default();
            assert!(shown.contains("longer than 254 bytes"), "{shown}");
        }
        let long_label = format!("a@{}.com", "b".repeat(MAX_LABEL + 1));
        assert!(!write_ok(&long_label));
        assert!(write_ok(&format!("a@{}.com", "b".repeat(MAX_LABEL))));
        // Bytes, not characters: 32 two-byte letters fill the local part.
        assert!(write_ok(&format!("{}@example.com", "é".repeat(32))));
        assert!(!write_ok(&format!("{}a@example.com", "é".repeat(32))));
    }

    #[test]
    fn look_ups_refuse_only_what_no_contact_can_hold() {
        for ok in [
            "jane@example.com",
            "ja ne@example.com",
            "a@b@example.com",
            "jane@example",
            "\"john doe\"@example.com",
            "a+b/c%d?e#f&g=h'i!j$k,l;m@x.it",
        ] {
            assert!(email_for_lookup("email", ok).is_ok(), "{ok}");
        }
        for (bad, says) in [
            ("", "is empty"),
            ("   ", "is empty"),
            ("plain", "has no `@`"),
            ("@x.it", "nothing before"),
            ("jane@", "nothing after"),
            ("ja\nne@x.it", "control"),
        ] {
            let error = email_for_lookup("old email", bad)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(
                error.starts_with("invalid input (bad_request): old email "),
                "{bad}: {error}"
            );
            assert!(error.contains(says), "{bad}: {error}");
        }
    }

    #[test]
    fn phones_are_normalized_to_e164_and_checked() {
        for (input, sent) in [
            ("+393391234567", "+393391234567"),
            ("+39 339 1234567", "+393391234567"),
            ("+39-339-123.45.67", "+393391234567"),
            ("+1 (202) 555-1234", "+12025551234"),
            ("+39\u{a0}339\u{a0}1234567", "+393391234567"),
            ("+1234567", "+1234567"),
            ("+123456789012345", "+123456789012345"),
        ] {
            assert_eq!(phone(input).ok().as_deref(), Some(sent), "{input}");
        }
        for (bad, says) in [
            ("393391234567", "must start with `+`"),
            ("0039 339 1234567", "must start with `+`"),
            ("+0391234567", "starting with 0"),
            ("+123456", "7 to 15 digits"),
            ("+1234567890123456", "7 to 15 digits"),
            ("+39/339/1234567", "only digits"),
            ("+39x3391234567", "only digits"),
            ("", "must start with `+`"),
        ] {
            let error = phone(bad).err();
            let shown = error.as_ref().map(|e| e.to_string()).unwrap_or_default();
            assert!(
                shown.contains("invalid_phone_number") && shown.contains(says),
                "{bad}: {shown}"
            );
            assert_eq!(error.as_ref().and_then(|e| e.field()), Some("phone"));
        }
    }

    #[test]
    fn keys_are_uppercased_and_checked() {
        assert_eq!(
            custom_field_key("plan_tier").ok().as_deref(),
            Some("PLAN_TIER")
        );
        assert_eq!(
            custom_field_key("lead-source").ok().as_deref(),
            Some("LEAD-SOURCE")
        );
        assert_eq!(custom_field_key("città").ok().as_deref(), Some("CITTÀ"));
        assert!(custom_field_key("PLAN TIER").is_err());
        assert!(custom_field_key("PLAN\n").is_err());
        assert!(custom_field_key("").is_err());
    }
}
