//! The per-company indexes that keep every request path of the store independent of how
//! many contacts are stored: contacts by normalized email and by phone, custom-field
//! definitions by key.
//!
//! Each lookup answers the candidates in the order the upsert prefers them: live before
//! soft-deleted, then lowest id first. That order is the key of the sets, `(deleted, id)`,
//! so the preferred candidate is the first element.

use std::collections::{BTreeSet, HashMap};

use super::model::Contact;

/// The email key contacts are matched on: lowercase, as the API compares emails
/// case-insensitively. Every comparison of emails in the store goes through it.
pub(crate) fn email_key(email: &str) -> String {
    email.to_lowercase()
}

/// The custom-field key definitions are matched on: uppercase, as the server uppercases
/// the keys it defines.
pub(crate) fn field_key(key: &str) -> String {
    key.to_uppercase()
}

/// A candidate contact in match order: live (`false`) before deleted, then by id.
pub(crate) type Candidate = (bool, i64);

/// The indexes of one company.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct CompanyIndex {
    /// Every contact id of the company, soft-deleted ones included.
    pub(crate) ids: BTreeSet<i64>,
    by_email: HashMap<String, BTreeSet<Candidate>>,
    by_phone: HashMap<String, BTreeSet<Candidate>>,
    /// Custom-field definitions: [`field_key`] → the stored key.
    pub(crate) fields: HashMap<String, String>,
    /// Custom-field definition ids, in creation order.
    pub(crate) field_ids: BTreeSet<i64>,
}

impl CompanyIndex {
    /// Adds `contact` (with its current email, phone and deleted flag) to the indexes.
    pub(crate) fn insert(&mut self, contact: &Contact) {
        self.ids.insert(contact.id);
        let candidate = (contact.deleted, contact.id);
        if let Some(email) = &contact.email {
            self.by_email
                .entry(email_key(email))
                .or_default()
                .insert(candidate);
        }
        if let Some(phone) = &contact.phone {
            self.by_phone
                .entry(phone.clone())
                .or_default()
                .insert(candidate);
        }
    }

    /// Removes `contact` from the indexes; it must be the state [`CompanyIndex::insert`]
    /// was given, so callers remove before they change a contact and insert after.
    pub(crate) fn remove(&mut self, contact: &Contact) {
        self.ids.remove(&contact.id);
        let candidate = (contact.deleted, contact.id);
        if let Some(email) = &contact.email {
            remove_from(&mut self.by_email, &email_key(email), candidate);
        }
        if let Some(phone) = &contact.phone {
            remove_from(&mut self.by_phone, phone, candidate);
        }
    }

    /// Contacts whose email matches `email` (case-insensitively), in match order.
    pub(crate) fn by_email(&self, email: &str) -> impl Iterator<Item = Candidate> + '_ {
        self.by_email
            .get(&email_key(email))
            .into_iter()
            .flat_map(|set| set.iter().copied())
    }

    /// Contacts with exactly this phone, in match order.
    pub(crate) fn by_phone(&self, phone: &str) -> impl Iterator<Item = Candidate> + '_ {
        self.by_phone
            .get(phone)
            .into_iter()
            .flat_map(|set| set.iter().copied())
    }

    /// Whether a live contact other than `except` has this email.
    pub(crate) fn live_email_holder_other_than(&self, email: &str, except: i64) -> bool {
        // Live candidates come first; usually there is at most one.
        self.by_email(email)
            .take_while(|(deleted, _)| !deleted)
            .any(|(_, id)| id != except)
    }

    /// The stored key of the definition `key` names case-insensitively, if any.
    pub(crate) fn defined_field(&self, key: &str) -> Option<&str> {
        self.fields.get(&field_key(key)).map(String::as_str)
    }
}

fn remove_from(index: &mut HashMap<String, BTreeSet<Candidate>>, key: &str, candidate: Candidate) {
    if let Some(set) = index.get_mut(key) {
        set.remove(&candidate);
        if set.is_empty() {
            index.remove(key);
        }
    }
}
