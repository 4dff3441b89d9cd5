//! The API key, held as a secret.

use crate::error::Error;
use std::fmt;

/// A Minimo API key (`mn-{clientId}-{secret}`), checked on construction and never shown:
/// Debug and Display print `mn-{clientId}-** redacted **`.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey {
    key: String,
    client_id_end: usize,
}

impl ApiKey {
    /// Checks the key's shape: `mn-`, a client id of letters, digits or `_`, `-`, and a
    /// non-empty secret of printable ASCII. The error says what is wrong, never the secret.
    ///
    /// ```
    /// use minimo_ext::ApiKey;
    /// let key = ApiKey::new("mn-abc123-xyz789def456")?;
    /// assert_eq!(key.client_id(), "abc123");
    /// assert_eq!(format!("{key:?}"), "ApiKey(mn-abc123-** redacted **)");
    /// assert!(ApiKey::new("sk-abc123-xyz").is_err());
    /// # Ok::<(), minimo_ext::Error>(())
    /// ```
    pub fn new(key: impl Into<String>) -> Result<Self, Error> {
        let key = key.into();
        let invalid = |what: &str| {
            Err(Error::invalid_input(format!(
                "API key {what} (expected `mn-<clientId>-<secret>`)"
            )))
        };
        if key.trim() != key || key.is_empty() {
            return invalid(if key.is_empty() {
                "is empty"
            } else {
                "has surrounding whitespace"
            });
        }
        let Some(rest) = key.strip_prefix("mn-") else {
            return invalid("does not start with `mn-`");
        };
        let Some((client_id, secret)) = rest.split_once('-') else {
            return invalid("has no `-` between the client id and the secret");
        };
        if client_id.is_empty()
            || !client_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return invalid("has a client id that is empty or not letters, digits and `_`");
        }
        if secret.is_empty() {
            return invalid("has an empty secret");
        }
        if !secret.chars().all(|c| c.is_ascii_graphic()) {
            return invalid("has a secret with spaces, control or non-ASCII characters");
        }
        let client_id_end = 3 + client_id.len();
        Ok(ApiKey { key, client_id_end })
    }

    /// The client id part (it identifies the account; it is not secret).
    pub fn client_id(&self) -> &str {
        &self.key[3..self.client_id_end]
    }

    /// The whole key, for the `Authorization` header. Keep it out of logs.
    pub fn expose_secret(&self) -> &str {
        &self.key
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey({self})")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "mn-{}-** redacted **", self.client_id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_say_what_is_wrong_without_the_secret() {
        for (key, says) in [
            ("", "is empty"),
            ("sk-acme-topsecret", "does not start with `mn-`"),
            ("mn-acmetopsecret", "has no `-`"),
            ("mn--topsecret", "client id"),
            ("mn-acme-", "empty secret"),
            ("mn-acme-top secret", "spaces"),
            (" mn-acme-topsecret", "whitespace"),
        ] {
            let shown = ApiKey::new(key)
                .err()
                .map(|e| format!("{e} {e:?}"))
                .unwrap_or_default();
            assert!(shown.contains(says), "{key:?}: {shown}");
            assert!(
                !shown.contains("topsecret") && !shown.contains("secret\""),
                "{shown}"
            );
        }
    }

    #[test]
    fn secrets_may_contain_dashes() {
        let key = ApiKey::new("mn-acme-top-secret-42").ok();
        assert_eq!(key.as_ref().map(ApiKey::client_id), Some("acme"));
        assert_eq!(
            key.map(|k| k.to_string()),
            Some("mn-acme-** redacted **".to_owned())
        );
    }
}
