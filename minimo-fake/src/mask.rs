//! Masking of secrets and personal data for logs and `Debug` output.

/// Masks an API key, keeping only the `mn-{clientId}-` prefix: `mn-acme-***`.
pub(crate) fn mask_key(key: &str) -> String {
    match key
        .strip_prefix("mn-")
        .and_then(|rest| rest.split_once('-'))
    {
        Some((client, _)) if !client.is_empty() => format!("mn-{client}-***"),
        _ => "***".to_owned(),
    }
}

/// Masks an email address: `jane@example.com` becomes `j***@example.com`.
pub(crate) fn mask_email(email: &str) -> String {
    match email.rsplit_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_owned(),
    }
}

/// Masks a phone number, keeping the first three and last two characters.
pub(crate) fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() <= 5 {
        return "***".to_owned();
    }
    let head: String = chars.iter().take(3).collect();
    let tail: String = chars.iter().skip(chars.len() - 2).collect();
    format!("{head}***{tail}")
}

/// Masks a person's name, keeping its first character: `Jane` becomes `J***`.
pub(crate) fn mask_name(name: &str) -> String {
    let first: String = name.chars().take(1).collect();
    format!("{first}***")
}

/// `Option` helper for [`mask_name`].
pub(crate) fn mask_opt_name(name: Option<&String>) -> Option<String> {
    name.map(|n| mask_name(n))
}

/// `Option` helper for [`mask_email`].
pub(crate) fn mask_opt_email(email: Option<&String>) -> Option<String> {
    email.map(|e| mask_email(e))
}

/// `Option` helper for [`mask_phone`].
pub(crate) fn mask_opt_phone(phone: Option<&String>) -> Option<String> {
    phone.map(|p| mask_phone(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks() {
        assert_eq!(mask_key("mn-acme-secret"), "mn-acme-***");
        assert_eq!(mask_key("garbage"), "***");
        assert_eq!(mask_email("jane@example.com"), "j***@example.com");
        assert_eq!(mask_phone("+393391234567"), "+39***67");
        assert_eq!(mask_name("Jane"), "J***");
        assert_eq!(mask_name(""), "***");
    }
}
