//! API keys, companies and permissions.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::sync::{PoisonError, RwLock};

use crate::mask::mask_key;
use crate::store::CompanyId;

/// A permission an API key can carry. A key configured without explicit permissions has
/// them all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
    /// `GET /public/v1/contacts/by-email/{email}`.
    ReadContacts,
    /// Upsert, update and delete contacts.
    WriteContacts,
    /// `GET /public/v1/custom-fields`.
    ReadCustomFields,
    /// `POST /public/v1/custom-fields`.
    WriteCustomFields,
}

impl Permission {
    /// Every permission.
    pub const ALL: [Permission; 4] = [
        Permission::ReadContacts,
        Permission::WriteContacts,
        Permission::ReadCustomFields,
        Permission::WriteCustomFields,
    ];

    /// Parses `read_contacts`, `write_contacts`, `read_custom_fields`, `write_custom_fields`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "read_contacts" | "contacts:read" => Some(Self::ReadContacts),
            "write_contacts" | "contacts:write" => Some(Self::WriteContacts),
            "read_custom_fields" | "custom_fields:read" => Some(Self::ReadCustomFields),
            "write_custom_fields" | "custom_fields:write" => Some(Self::WriteCustomFields),
            _ => None,
        }
    }
}

/// An API key the fake accepts, `mn-{clientId}-{secret}`, with its company and permissions.
///
/// Unless [`ApiKey::company`] is called, the company is derived from the client id: every
/// distinct client id is one company, numbered 1, 2, 3... in the order the keys were added to
/// the builder (skipping numbers given explicitly to other keys).
///
/// `Debug` prints the key masked (`mn-acme-***`).
#[derive(Clone, PartialEq)]
pub struct ApiKey {
    pub(crate) key: String,
    pub(crate) company: Option<CompanyId>,
    pub(crate) permissions: Option<BTreeSet<Permission>>,
    pub(crate) rate_limit: Option<(f64, u32)>,
}

impl ApiKey {
    /// A key with every permission and the company derived from its client id.
    pub fn new(key: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            company: None,
            permissions: None,
            rate_limit: None,
        }
    }

    /// Puts the key in this company (several keys may share a company).
    pub fn company(mut self, company: CompanyId) -> Self {
        self.company = Some(company);
        self
    }

    /// Restricts the key to these permissions; others answer 403 `forbidden`.
    pub fn permissions(mut self, permissions: impl IntoIterator<Item = Permission>) -> Self {
        self.permissions = Some(permissions.into_iter().collect());
        self
    }

    /// Gives this key its own token bucket limits (`rps` per second, `burst` in a row),
    /// overriding the server-wide [`crate::FakeServerBuilder::rate_limit`].
    pub fn rate_limit(mut self, rps: f64, burst: u32) -> Self {
        self.rate_limit = Some((rps, burst));
        self
    }

    /// The client id part of the key, if the key is well formed.
    pub fn client_id(&self) -> Option<&str> {
        parse_key(&self.key).map(|(client, _)| client)
    }

    /// The key masked for display: `mn-{clientId}-***`.
    pub fn masked(&self) -> String {
        mask_key(&self.key)
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKey")
            .field("key", &self.masked())
            .field("company", &self.company)
            .field("permissions", &self.permissions)
            .field("rate_limit", &self.rate_limit)
            .finish()
    }
}

impl From<&str> for ApiKey {
    fn from(key: &str) -> Self {
        Self::new(key)
    }
}

impl From<String> for ApiKey {
    fn from(key: String) -> Self {
        Self::new(key)
    }
}

/// Splits `mn-{clientId}-{secret}`; the client id is `[A-Za-z0-9_]+`, the secret is one or
/// more visible ASCII characters.
pub(crate) fn parse_key(key: &str) -> Option<(&str, &str)> {
    let (client, secret) = key.strip_prefix("mn-")?.split_once('-')?;
    let client_ok = !client.is_empty()
        && client
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
    let secret_ok = !secret.is_empty() && secret.chars().all(|c| c.is_ascii_graphic());
    (client_ok && secret_ok).then_some((client, secret))
}

/// Who is calling: resolved from a valid key.
#[derive(Clone, Debug)]
pub(crate) struct Principal {
    /// Index of the key in the key ring (rate-limit bucket id).
    pub(crate) key_index: usize,
    pub(crate) client_id: String,
    pub(crate) company: CompanyId,
    pub(crate) permissions: BTreeSet<Permission>,
    pub(crate) rate_limit: Option<(f64, u32)>,
}

/// The configured keys, and those revoked while the server runs.
#[derive(Default)]
pub(crate) struct KeyRing {
    by_key: HashMap<String, Principal>,
    revoked: RwLock<HashSet<String>>,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.by_key.keys().map(|k| mask_key(k)))
            .finish()
    }
}

impl KeyRing {
    /// Builds the ring; `Err` carries the masked form of a malformed key.
    pub(crate) fn build(keys: &[ApiKey]) -> Result<Self, String> {
        let explicit: BTreeSet<CompanyId> = keys.iter().filter_map(|k| k.company).collect();
        let mut derived: HashMap<String, CompanyId> = HashMap::new();
        let mut next: CompanyId = 1;
        let mut ring = KeyRing::default();
        for (index, key) in keys.iter().enumerate() {
            let Some((client, _)) = parse_key(&key.key) else {
                return Err(mask_key(&key.key));
            };
            let company = match key.company {
                Some(c) => c,
                None => match derived.get(client) {
                    Some(c) => *c,
                    None => {
                        while explicit.contains(&next) {
                            next += 1;
                        }
                        let c = next;
                        next += 1;
                        derived.insert(client.to_owned(), c);
                        c
                    }
                },
            };
            let permissions = key
                .permissions
                .clone()
                .unwrap_or_else(|| Permission::ALL.into_iter().collect());
            ring.by_key.insert(
                key.key.clone(),
                Principal {
                    key_index: index,
                    client_id: client.to_owned(),
                    company,
                    permissions,
                    rate_limit: key.rate_limit,
                },
            );
        }
        Ok(ring)
    }

    /// The caller a key names; `None` for an unknown or revoked key.
    pub(crate) fn lookup(&self, key: &str) -> Option<&Principal> {
        let principal = self.by_key.get(key)?;
        let revoked = self
            .revoked
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(key);
        (!revoked).then_some(principal)
    }

    /// Revokes a configured key: it is unknown (401) from now on. Answers whether `key` was
    /// a configured key.
    pub(crate) fn revoke(&self, key: &str) -> bool {
        if !self.by_key.contains_key(key) {
            return false;
        }
        self.revoked
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key.to_owned());
        true
    }

    pub(crate) fn companies(&self) -> BTreeSet<CompanyId> {
        self.by_key.values().map(|p| p.company).collect()
    }

    pub(crate) fn company_of_client(&self, client_id: &str) -> Option<CompanyId> {
        self.by_key
            .values()
            .find(|p| p.client_id == client_id)
            .map(|p| p.company)
    }

    pub(crate) fn company_of_key(&self, key: &str) -> Option<CompanyId> {
        self.by_key.get(key).map(|p| p.company)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn companies_are_derived_per_client_id() {
        let ring = KeyRing::build(&[
            ApiKey::new("mn-acme-one"),
            ApiKey::new("mn-globex-two").company(1),
            ApiKey::new("mn-acme-three"),
            ApiKey::new("mn-initech-four"),
        ])
        .unwrap();
        assert_eq!(ring.company_of_key("mn-acme-one"), Some(2));
        assert_eq!(ring.company_of_key("mn-acme-three"), Some(2));
        assert_eq!(ring.company_of_key("mn-globex-two"), Some(1));
        assert_eq!(ring.company_of_key("mn-initech-four"), Some(3));
        assert_eq!(
            KeyRing::build(&[ApiKey::new("bad-key")]).unwrap_err(),
            "***"
        );
        assert!(!format!("{:?}", ApiKey::new("mn-acme-secret")).contains("secret"));
    }
}
