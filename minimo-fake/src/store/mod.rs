//! The in-memory state: contacts and custom fields of every company, with the per-company
//! indexes ([`index`]) that make every request path cost the same at 100 and at 1,000,000
//! stored contacts.
//!
//! Costs, with n the stored contacts: upsert, get by email, update and delete are
//! O(log n) (one hash lookup per key, one ordered-set step per candidate; an upsert by phone
//! alone also steps over the soft-deleted contacts with that phone whose email another
//! live contact has, which the one-live-contact-per-email rule skips). Listing a company's
//! contacts or fields visits that company's records only.

mod index;
mod model;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{Map, Value};

use crate::validate::deep_merge_entry;
use index::{CompanyIndex, field_key};
pub use model::{
    CUSTOM_FIELD_TYPES, CompanyId, Contact, ContactSeed, CustomField, CustomFieldSeed,
    MarketingConsent, StoreError,
};
pub(crate) use model::{ContactInput, NotFound, UpdateError};

#[derive(Default)]
struct Inner {
    contacts: HashMap<i64, Contact>,
    fields: HashMap<i64, CustomField>,
    companies: HashMap<CompanyId, CompanyIndex>,
    next_contact_id: i64,
    next_field_id: i64,
}

impl Inner {
    fn company(&self, company: CompanyId) -> Option<&CompanyIndex> {
        self.companies.get(&company)
    }

    /// Stores a new contact and indexes it.
    fn insert(&mut self, contact: Contact) {
        self.companies
            .entry(contact.company)
            .or_default()
            .insert(&contact);
        self.contacts.insert(contact.id, contact);
    }

    /// Changes a stored contact, keeping the indexes right: the contact is taken out of
    /// them before `change` and put back after, whatever `change` does to its email, phone
    /// or deleted flag.
    fn modify(&mut self, id: i64, change: impl FnOnce(&mut Contact)) {
        let Some(contact) = self.contacts.get_mut(&id) else {
            return;
        };
        let index = self.companies.entry(contact.company).or_default();
        index.remove(contact);
        change(contact);
        index.insert(contact);
    }

    /// Whether another live contact of the company has `contact`'s stored email.
    fn email_held_by_other(&self, contact: &Contact) -> bool {
        match (&contact.email, self.company(contact.company)) {
            (Some(email), Some(index)) => index.live_email_holder_other_than(email, contact.id),
            _ => false,
        }
    }

    /// `values` with every top-level key that names a custom-field definition of the
    /// company (case-insensitively) replaced by the definition's key; other keys as sent.
    /// Order is kept, so two spellings of one key merge in the order they were sent.
    fn canonical_fields(
        &self,
        company: CompanyId,
        values: Map<String, Value>,
    ) -> Vec<(String, Value)> {
        let index = self.company(company);
        values
            .into_iter()
            .map(
                |(key, value)| match index.and_then(|i| i.defined_field(&key)) {
                    Some(defined) => (defined.to_owned(), value),
                    None => (key, value),
                },
            )
            .collect()
    }
}

/// The fake's state, shared with the running server: seed it before a test, inspect it
/// after. Cloning gives another handle to the same state.
#[derive(Clone, Default)]
pub struct Store {
    inner: Arc<Mutex<Inner>>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.lock();
        f.debug_struct("Store")
            .field("contacts", &inner.contacts.len())
            .field("custom_fields", &inner.fields.len())
            .finish()
    }
}

impl Store {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Inserts a contact as is (no validation, no matching; custom-field keys are stored as
    /// given) and returns it.
    pub fn insert_contact(&self, company: CompanyId, seed: ContactSeed) -> Contact {
        let mut inner = self.lock();
        inner.next_contact_id += 1;
        let contact = Contact {
            id: inner.next_contact_id,
            company,
            email: seed.email,
            phone: seed.phone,
            first_name: seed.first_name,
            last_name: seed.last_name,
            custom_fields: seed.custom_fields,
            marketing_consent: seed.marketing_consent,
            deleted: seed.deleted,
        };
        inner.insert(contact.clone());
        contact
    }

    /// Every contact of the company, soft-deleted ones included, by id.
    pub fn contacts(&self, company: CompanyId) -> Vec<Contact> {
        let inner = self.lock();
        inner
            .company(company)
            .map(|index| {
                index
                    .ids
                    .iter()
                    .filter_map(|id| inner.contacts.get(id).cloned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Number of stored contacts, of every company, soft-deleted ones included.
    pub fn contact_count(&self) -> usize {
        self.lock().contacts.len()
    }

    /// The contact with this id, whatever its company.
    pub fn contact(&self, id: i64) -> Option<Contact> {
        self.lock().contacts.get(&id).cloned()
    }

    /// The live (not deleted) contact of the company with this email (case-insensitive);
    /// the lowest id when several have it (only seeding can make several).
    pub fn contact_by_email(&self, company: CompanyId, email: &str) -> Option<Contact> {
        let inner = self.lock();
        let (deleted, id) = inner.company(company)?.by_email(email).next()?;
        if deleted {
            return None;
        }
        inner.contacts.get(&id).cloned()
    }

    /// Inserts a custom field definition; the key is uppercased.
    pub fn insert_custom_field(
        &self,
        company: CompanyId,
        seed: CustomFieldSeed,
    ) -> Result<CustomField, StoreError> {
        let mut inner = self.lock();
        let key = field_key(&seed.key);
        if inner
            .company(company)
            .is_some_and(|index| index.defined_field(&key).is_some())
        {
            return Err(StoreError::DuplicateKey(key));
        }
        inner.next_field_id += 1;
        let options = (seed.field_type == "select").then_some(seed.options);
        let field = CustomField {
            id: inner.next_field_id,
            company,
            key,
            display_name: seed.display_name,
            field_type: seed.field_type,
            category: seed.category,
            source: seed.source,
            options,
        };
        let index = inner.companies.entry(company).or_default();
        index
            .fields
            .insert(field_key(&field.key), field.key.clone());
        index.field_ids.insert(field.id);
        inner.fields.insert(field.id, field.clone());
        Ok(field)
    }

    /// Every custom field of the company, by id.
    pub fn custom_fields(&self, company: CompanyId) -> Vec<CustomField> {
        let inner = self.lock();
        inner
            .company(company)
            .map(|index| {
                index
                    .field_ids
                    .iter()
                    .filter_map(|id| inner.fields.get(id).cloned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Removes every contact and custom field, with their indexes (ids keep counting up).
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.contacts.clear();
        inner.fields.clear();
        inner.companies.clear();
    }

    /// The upsert: match by email (case-insensitive), then by phone, else create. Live
    /// matches are preferred over soft-deleted ones, then the lowest id; a soft-deleted
    /// match is restored.
    ///
    /// One live contact per email: when the body sends no email, a soft-deleted contact
    /// whose stored email another live contact of the company now has is not a phone match
    /// (restoring it would make two live contacts with one email, and the spec declares no
    /// 409 for the upsert); the upsert matches another contact with that phone or creates a
    /// new one.
    pub(crate) fn upsert(&self, company: CompanyId, input: ContactInput) -> i64 {
        let mut inner = self.lock();
        let matched = {
            let inner = &*inner;
            let index = inner.company(company);
            let by_email = input
                .email
                .as_deref()
                .and_then(|email| index?.by_email(email).next());
            by_email
                .or_else(|| {
                    let phone = input.phone.as_deref()?;
                    index?.by_phone(phone).find(|&(deleted, id)| {
                        !deleted
                            || input.email.is_some()
                            || inner
                                .contacts
                                .get(&id)
                                .is_some_and(|c| !inner.email_held_by_other(c))
                    })
                })
                .map(|(_, id)| id)
        };
        let id = match matched {
            Some(id) => id,
            None => {
                inner.next_contact_id += 1;
                let id = inner.next_contact_id;
                inner.insert(Contact {
                    id,
                    company,
                    email: None,
                    phone: None,
                    first_name: None,
                    last_name: None,
                    custom_fields: Map::new(),
                    marketing_consent: MarketingConsent::default(),
                    deleted: false,
                });
                id
            }
        };
        apply(&mut inner, id, input);
        id
    }

    /// Update by id: [`UpdateError::NotFound`] for an unknown id or another company's;
    /// a conflict (and no change) when another live contact of the company has the new
    /// email, or, for a soft-deleted contact restored without a new email, its stored email.
    pub(crate) fn update(
        &self,
        company: CompanyId,
        id: i64,
        input: ContactInput,
    ) -> Result<Contact, UpdateError> {
        let mut inner = self.lock();
        let current = inner
            .contacts
            .get(&id)
            .filter(|c| c.company == company)
            .ok_or(UpdateError::NotFound)?;
        if let Some(email) = input.email.as_deref() {
            let taken = inner
                .company(company)
                .is_some_and(|index| index.live_email_holder_other_than(email, id));
            if taken {
                return Err(UpdateError::EmailTaken);
            }
        } else if current.deleted && inner.email_held_by_other(current) {
            return Err(UpdateError::RestoreWouldDuplicate);
        }
        apply(&mut inner, id, input);
        inner
            .contacts
            .get(&id)
            .cloned()
            .ok_or(UpdateError::NotFound)
    }

    /// Soft delete; idempotent for an already deleted contact.
    pub(crate) fn soft_delete(&self, company: CompanyId, id: i64) -> Result<(), NotFound> {
        let mut inner = self.lock();
        if inner.contacts.get(&id).is_none_or(|c| c.company != company) {
            return Err(NotFound);
        }
        inner.modify(id, |c| c.deleted = true);
        Ok(())
    }

    /// Rebuilds every index from the stored records and compares: the property tests call
    /// it after each step.
    #[cfg(test)]
    fn assert_indexes_consistent(&self) {
        use std::collections::BTreeMap;
        let inner = self.lock();
        let mut rebuilt: BTreeMap<CompanyId, CompanyIndex> = BTreeMap::new();
        for contact in inner.contacts.values() {
            rebuilt.entry(contact.company).or_default().insert(contact);
        }
        for field in inner.fields.values() {
            let index = rebuilt.entry(field.company).or_default();
            index
                .fields
                .insert(field_key(&field.key), field.key.clone());
            index.field_ids.insert(field.id);
        }
        let actual: BTreeMap<CompanyId, CompanyIndex> = inner
            .companies
            .iter()
            .filter(|(_, index)| **index != CompanyIndex::default())
            .map(|(company, index)| (*company, index.clone()))
            .collect();
        assert!(actual == rebuilt, "the indexes drifted from the records");
    }
}

/// Applies an upsert or update body to a stored contact and restores it (nothing for an
/// unknown id).
fn apply(inner: &mut Inner, id: i64, input: ContactInput) {
    let Some(company) = inner.contacts.get(&id).map(|c| c.company) else {
        return;
    };
    let fields = input
        .custom_fields
        .map(|values| inner.canonical_fields(company, values));
    inner.modify(id, |contact| {
        if let Some(email) = input.email {
            contact.email = Some(email);
        }
        if let Some(phone) = input.phone {
            contact.phone = Some(phone);
        }
        if let Some(name) = input.first_name {
            contact.first_name = Some(name);
        }
        if let Some(name) = input.last_name {
            contact.last_name = Some(name);
        }
        for (key, value) in fields.into_iter().flatten() {
            deep_merge_entry(&mut contact.custom_fields, key, value);
        }
        contact.marketing_consent.apply(input.consent);
        contact.deleted = false;
    });
}
