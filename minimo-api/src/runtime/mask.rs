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

/// Masks a request path: a segment that holds an email (raw or percent-encoded `@`) is
/// replaced by its masked, decoded form.
pub fn mask_path(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            let decoded = percent_decode(segment);
            if decoded.contains('@') {
                mask_email(&decoded)
            } else {
                segment.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Masks every email-like and phone-like token of free text (for server messages that may
/// echo what was sent).
pub fn mask_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut token = String::new();
    let flush = |token: &mut String, out: &mut String| {
        if token.contains('@') {
            // Keep surrounding punctuation out of the masked form.
            let trimmed = token.trim_matches(|c: char| {
                !(c.is_alphanumeric() || c == '@' || c == '.' || c == '+' || c == '-' || c == '_')
            });
            let trimmed = trimmed.trim_end_matches('.');
            out.push_str(&token.replacen(trimmed, &mask_email(trimmed), 1));
        } else if looks_like_phone(token) {
            out.push_str(&mask_phone(token));
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

/// A token of 7 or more digits, possibly with `+`, `-`, `.`, `/` between them: a phone number
/// in any common spelling (`+393391234567`, `0039-339-1234567`, `3391234567`).
fn looks_like_phone(token: &str) -> bool {
    let digits = token.chars().filter(char::is_ascii_digit).count();
    digits >= 7
        && token
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '.' | '/'))
}

fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(b) = hex {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
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
    fn text_masks_phones_without_a_plus_and_in_pieces() {
        assert_eq!(mask_text("call 3391234567 now"), "call 339*****67 now");
        assert_eq!(mask_text("0039-339-1234567"), "003***********67");
        // Split by spaces, each long run of digits is still masked.
        assert_eq!(mask_text("+39 339 1234567"), "+39 339 ***");
        // Short numbers (ids, counts) are kept.
        assert_eq!(mask_text("contact 42 of 123456"), "contact 42 of 123456");
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
