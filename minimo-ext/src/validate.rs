//! Checks run before any request, so invalid input never reaches the wire.
//!
//! They mirror what the API documents: an email address of the usual `local@domain` shape and
//! phone numbers in E.164 (`+`, a country code that does not start with 0, 7 to 15 digits in
//! all, nothing else). Error messages never repeat the value, only what is wrong with it.

use crate::error::{Error, ErrorCode};

/// The longest email address SMTP allows (RFC 5321).
const MAX_EMAIL: usize = 254;

/// Checks an email address; returns it trimmed of surrounding whitespace.
pub fn email(field: &str, value: &str) -> Result<String, Error> {
    let value = value.trim();
    let problem = if value.is_empty() {
        Some("is empty")
    } else if value.len() > MAX_EMAIL {
        Some("is longer than 254 bytes")
    } else if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Some("contains whitespace")
    } else {
        match value.rsplit_once('@') {
            None => Some("has no `@`"),
            Some(("", _)) => Some("has nothing before the `@`"),
            Some((local, _)) if local.contains('@') => Some("has more than one `@`"),
            Some((local, _)) if local.len() > 64 => Some("has more than 64 bytes before the `@`"),
            Some((local, _))
                if local.starts_with('.') || local.ends_with('.') || local.contains("..") =>
            {
                Some("has a misplaced `.` before the `@`")
            }
            Some((local, _)) if local.chars().any(|c| "\"<>()[],;:\\".contains(c)) => {
                Some("has characters (quotes, brackets, `,;:\\`) not allowed before the `@`")
            }
            Some((_, domain)) if !valid_domain(domain) => Some("has no valid domain after the `@`"),
            Some(_) => None,
        }
    };
    match problem {
        Some(problem) => Err(Error::invalid_input(format!("{field} {problem}"))
            .with_code(ErrorCode::ValidationError)),
        None => Ok(value.to_owned()),
    }
}

fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}

/// Checks a phone number is E.164: `+`, then 7 to 15 digits, the first not 0.
pub fn phone(field: &str, value: &str) -> Result<String, Error> {
    let problem = match value.strip_prefix('+') {
        None => Some("must start with `+` and the country code (E.164)"),
        Some(digits) if !digits.chars().all(|c| c.is_ascii_digit()) => {
            Some("must hold only digits after the `+` (no spaces, dashes or parentheses)")
        }
        Some(digits) if digits.starts_with('0') => Some("has a country code starting with 0"),
        Some(digits) if !(7..=15).contains(&digits.len()) => Some("must have 7 to 15 digits"),
        Some(_) => None,
    };
    match problem {
        Some(problem) => Err(Error::invalid_input(format!("{field} {problem}"))
            .with_code(ErrorCode::InvalidPhoneNumber)),
        None => Ok(value.to_owned()),
    }
}

/// Checks a custom-field key: not empty, no whitespace or control characters. The server
/// uppercases keys (and recommends SNAKE_CASE), so the key is returned uppercased.
pub fn custom_field_key(value: &str) -> Result<String, Error> {
    if !value.is_empty() && !value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Ok(value.to_uppercase())
    } else {
        Err(Error::invalid_input(
            "a custom field key must be non-empty, without whitespace or control characters",
        )
        .with_code(ErrorCode::ValidationError))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_and_unusual_valid_emails() {
        for ok in [
            "jane@example.com",
            "jane+tag@example.co.uk",
            "a/b@example.com",
            "josé@exämple.it",
            "o'neil@example.com",
        ] {
            assert!(email("email", ok).is_ok(), "{ok}");
        }
        assert_eq!(
            email("email", "  jane@example.com ").ok().as_deref(),
            Some("jane@example.com")
        );
    }

    #[test]
    fn rejects_malformed_emails_without_echoing_them() {
        for bad in [
            "",
            "plainaddress",
            "@example.com",
            "jane@",
            "jane@example",
            "ja ne@example.com",
            "a@b@example.com",
            "jane@-x.com",
        ] {
            let error = email("email", bad)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(
                error.starts_with("invalid input (validation_error): email "),
                "{bad}: {error}"
            );
            if !bad.is_empty() {
                assert!(!error.contains(bad), "{error}");
            }
        }
    }

    #[test]
    fn phones_must_be_e164() {
        assert!(phone("phone", "+393391234567").is_ok());
        assert!(phone("phone", "+12025551234").is_ok());
        for bad in [
            "393391234567",
            "+39 339 1234567",
            "+0391234567",
            "+123",
            "+1234567890123456",
            "+39-339",
        ] {
            let error = phone("phone", bad)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(error.contains("invalid_phone_number"), "{bad}: {error}");
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
        assert!(custom_field_key("PLAN TIER").is_err());
        assert!(custom_field_key("PLAN\n").is_err());
        assert!(custom_field_key("").is_err());
    }
}
