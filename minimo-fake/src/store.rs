//! The in-memory state: contacts and custom fields of every company.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use crate::error::ApiError;
use crate::mask::{mask_opt_email, mask_opt_phone};
use crate::validate::deep_merge;

/// A company (tenant) id. Every API key belongs to one company; companies never see each
/// other's contacts or custom fields.
pub type CompanyId = i64;

/// The custom-field types the API accepts.
pub const CUSTOM_FIELD_TYPES: [&str; 7] = [
    "text", "number", "boolean", "date", "datetime", "select", "json",
];

/// Channel-specific marketing consent; `None` means never set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MarketingConsent {
    /// Email marketing opt-in.
    pub email: Option<bool>,
    /// WhatsApp marketing opt-in.
    pub whatsapp: Option<bool>,
}

impl MarketingConsent {
    /// Applies the channels set in `patch`; channels left `None` keep their value.
    pub fn apply(&mut self, patch: MarketingConsent) {
        if patch.email.is_some() {
            self.email = patch.email;
        }
        if patch.whatsapp.is_some() {
            self.whatsapp = patch.whatsapp;
        }
    }
}

/// A stored contact. `Debug` masks the email and the phone.
#[derive(Clone, PartialEq)]
pub struct Contact {
    /// Contact id, unique across companies.
    pub id: i64,
    /// Owning company.
    pub company: CompanyId,
    /// Email address as last sent.
    pub email: Option<String>,
    /// E.164 phone number.
    pub phone: Option<String>,
    /// Custom field values by key.
    pub custom_fields: Map<String, Value>,
    /// Marketing consent per channel.
    pub marketing_consent: MarketingConsent,
    /// Soft-deleted flag.
    pub deleted: bool,
}

impl fmt::Debug for Contact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Contact")
            .field("id", &self.id)
            .field("company", &self.company)
            .field("email", &mask_opt_email(self.email.as_ref()))
            .field("phone", &mask_opt_phone(self.phone.as_ref()))
            .field(
                "custom_fields",
                &self.custom_fields.keys().collect::<Vec<_>>(),
            )
            .field("marketing_consent", &self.marketing_consent)
            .field("deleted", &self.deleted)
            .finish()
    }
}

impl Contact {
    /// The contact as the API's `Contact` schema renders it (snake_case keys).
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "email": self.email,
            "phone": self.phone,
            "status": "active",
            "source": "API",
            "custom_fields": self.custom_fields,
            "company": self.company,
            "deleted": self.deleted,
            "external_id": null,
            "external_connection_id": null,
        })
    }

    fn email_matches(&self, email: &str) -> bool {
        self.email
            .as_deref()
            .is_some_and(|e| e.to_lowercase() == email.to_lowercase())
    }
}

/// Data to seed a contact with, through [`Store::insert_contact`]. `Debug` masks the
/// email and the phone.
#[derive(Clone, Default, PartialEq)]
pub struct ContactSeed {
    /// Email address.
    pub email: Option<String>,
    /// Phone number (not validated).
    pub phone: Option<String>,
    /// Custom field values.
    pub custom_fields: Map<String, Value>,
    /// Marketing consent.
    pub marketing_consent: MarketingConsent,
    /// Insert it already soft-deleted.
    pub deleted: bool,
}

impl fmt::Debug for ContactSeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContactSeed")
            .field("email", &mask_opt_email(self.email.as_ref()))
            .field("phone", &mask_opt_phone(self.phone.as_ref()))
            .field("deleted", &self.deleted)
            .finish_non_exhaustive()
    }
}

impl ContactSeed {
    /// A seed with this email.
    pub fn email(email: impl Into<String>) -> Self {
        Self {
            email: Some(email.into()),
            ..Self::default()
        }
    }

    /// A seed with this phone and no email.
    pub fn phone_only(phone: impl Into<String>) -> Self {
        Self {
            phone: Some(phone.into()),
            ..Self::default()
        }
    }

    /// Sets the phone.
    pub fn phone(mut self, phone: impl Into<String>) -> Self {
        self.phone = Some(phone.into());
        self
    }

    /// Sets one custom field value.
    pub fn custom_field(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.custom_fields.insert(key.into(), value.into());
        self
    }

    /// Sets the marketing consent.
    pub fn consent(mut self, consent: MarketingConsent) -> Self {
        self.marketing_consent = consent;
        self
    }

    /// Marks the seeded contact soft-deleted.
    pub fn deleted(mut self) -> Self {
        self.deleted = true;
        self
    }
}

/// A custom field definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomField {
    /// Field id, unique across companies.
    pub id: i64,
    /// Owning company.
    pub company: CompanyId,
    /// Uppercased key.
    pub key: String,
    /// Human-readable label.
    pub display_name: String,
    /// One of [`CUSTOM_FIELD_TYPES`].
    pub field_type: String,
    /// Category, if any.
    pub category: Option<String>,
    /// `Manual` (created through the API) or `System` (seeded).
    pub source: String,
    /// Options of a `select` field (`None` for other types).
    pub options: Option<Vec<String>>,
}

impl CustomField {
    /// The field as the API's `CustomField` schema renders it (camelCase `displayName`).
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "id": self.id,
            "key": self.key,
            "displayName": self.display_name,
            "type": self.field_type,
            "category": self.category,
            "visibility": true,
            "source": self.source,
        });
        if let (Some(options), Some(obj)) = (&self.options, v.as_object_mut()) {
            obj.insert("options".to_owned(), json!(options));
        }
        v
    }
}

/// A custom field to seed through [`Store::insert_custom_field`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomFieldSeed {
    /// Key (uppercased on insert).
    pub key: String,
    /// Label.
    pub display_name: String,
    /// Type (not validated when seeding).
    pub field_type: String,
    /// Category.
    pub category: Option<String>,
    /// Source, `Manual` by default.
    pub source: String,
    /// Options (kept only for `select`).
    pub options: Vec<String>,
}

impl CustomFieldSeed {
    /// A `Manual` field without category.
    pub fn new(
        key: impl Into<String>,
        display_name: impl Into<String>,
        field_type: impl Into<String>,
    ) -> Self {
        Self {
            key: key.into(),
            display_name: display_name.into(),
            field_type: field_type.into(),
            category: None,
            source: "Manual".to_owned(),
            options: Vec::new(),
        }
    }

    /// Sets the category.
    pub fn category(mut self, category: impl Into<String>) -> Self {
        self.category = Some(category.into());
        self
    }

    /// Sets the select options.
    pub fn options<I, S>(mut self, options: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.options = options.into_iter().map(Into::into).collect();
        self
    }

    /// Marks the field as defined by the system (`source: "System"`).
    pub fn system(mut self) -> Self {
        self.source = "System".to_owned();
        self
    }
}

/// Why a store operation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// The company already has a custom field with this (uppercased) key.
    DuplicateKey(String),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::DuplicateKey(key) => write!(f, "custom field key {key} already exists"),
        }
    }
}

impl std::error::Error for StoreError {}

/// The validated body of an upsert or an update.
#[derive(Default)]
pub(crate) struct ContactInput {
    pub(crate) email: Option<String>,
    pub(crate) phone: Option<String>,
    pub(crate) custom_fields: Option<Map<String, Value>>,
    pub(crate) consent: MarketingConsent,
}

#[derive(Default)]
struct Inner {
    contacts: BTreeMap<i64, Contact>,
    fields: BTreeMap<i64, CustomField>,
    next_contact_id: i64,
    next_field_id: i64,
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

    /// Inserts a contact as is (no validation, no matching) and returns it.
    pub fn insert_contact(&self, company: CompanyId, seed: ContactSeed) -> Contact {
        let mut inner = self.lock();
        inner.next_contact_id += 1;
        let contact = Contact {
            id: inner.next_contact_id,
            company,
            email: seed.email,
            phone: seed.phone,
            custom_fields: seed.custom_fields,
            marketing_consent: seed.marketing_consent,
            deleted: seed.deleted,
        };
        inner.contacts.insert(contact.id, contact.clone());
        contact
    }

    /// Every contact of the company, soft-deleted ones included, by id.
    pub fn contacts(&self, company: CompanyId) -> Vec<Contact> {
        self.lock()
            .contacts
            .values()
            .filter(|c| c.company == company)
            .cloned()
            .collect()
    }

    /// The contact with this id, whatever its company.
    pub fn contact(&self, id: i64) -> Option<Contact> {
        self.lock().contacts.get(&id).cloned()
    }

    /// The live (not deleted) contact of the company with this email (case-insensitive).
    pub fn contact_by_email(&self, company: CompanyId, email: &str) -> Option<Contact> {
        self.lock()
            .contacts
            .values()
            .find(|c| c.company == company && !c.deleted && c.email_matches(email))
            .cloned()
    }

    /// Inserts a custom field definition; the key is uppercased.
    pub fn insert_custom_field(
        &self,
        company: CompanyId,
        seed: CustomFieldSeed,
    ) -> Result<CustomField, StoreError> {
        let mut inner = self.lock();
        let key = seed.key.to_uppercase();
        if inner
            .fields
            .values()
            .any(|f| f.company == company && f.key.to_uppercase() == key)
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
        inner.fields.insert(field.id, field.clone());
        Ok(field)
    }

    /// Every custom field of the company, by id.
    pub fn custom_fields(&self, company: CompanyId) -> Vec<CustomField> {
        self.lock()
            .fields
            .values()
            .filter(|f| f.company == company)
            .cloned()
            .collect()
    }

    /// Removes every contact and custom field (ids keep counting up).
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.contacts.clear();
        inner.fields.clear();
    }

    /// The upsert: match by email (case-insensitive), then by phone, else create. Live
    /// matches are preferred over soft-deleted ones; a soft-deleted match is restored.
    ///
    /// One live contact per email: when the body sends no email, a soft-deleted contact
    /// whose stored email another live contact of the company now has is not a phone match
    /// (restoring it would make two live contacts with one email, and the spec declares no
    /// 409 for the upsert); the upsert matches another contact with that phone or creates a
    /// new one.
    pub(crate) fn upsert(&self, company: CompanyId, input: ContactInput) -> i64 {
        let mut inner = self.lock();
        let find = |inner: &Inner, pred: &dyn Fn(&Contact) -> bool| -> Option<i64> {
            let mut matches: Vec<&Contact> = inner
                .contacts
                .values()
                .filter(|c| c.company == company && pred(c))
                .collect();
            matches.sort_by_key(|c| (c.deleted, c.id));
            matches.first().map(|c| c.id)
        };
        let by_email = input
            .email
            .as_deref()
            .and_then(|e| find(&inner, &|c| c.email_matches(e)));
        let restorable = |c: &Contact| {
            !c.deleted || input.email.is_some() || !email_held_by_other(&inner, company, c)
        };
        let matched = by_email.or_else(|| {
            input
                .phone
                .as_deref()
                .and_then(|p| find(&inner, &|c| c.phone.as_deref() == Some(p) && restorable(c)))
        });
        let id = match matched {
            Some(id) => id,
            None => {
                inner.next_contact_id += 1;
                let id = inner.next_contact_id;
                inner.contacts.insert(
                    id,
                    Contact {
                        id,
                        company,
                        email: None,
                        phone: None,
                        custom_fields: Map::new(),
                        marketing_consent: MarketingConsent::default(),
                        deleted: false,
                    },
                );
                id
            }
        };
        if let Some(contact) = inner.contacts.get_mut(&id) {
            apply(contact, input);
        }
        id
    }

    /// Update by id: 404 for an unknown id or another company's, 409 (and no change) when
    /// another live contact of the company has the new email, or, for a soft-deleted contact
    /// restored without a new email, its stored email.
    pub(crate) fn update(
        &self,
        company: CompanyId,
        id: i64,
        input: ContactInput,
    ) -> Result<Contact, ApiError> {
        let mut inner = self.lock();
        let Some(current) = inner.contacts.get(&id).filter(|c| c.company == company) else {
            return Err(ApiError::contact_not_found());
        };
        let conflict = |message: &str| {
            ApiError::new(StatusCode::CONFLICT, "duplicate_resource", message)
                .with_details(json!({ "field": "email" }))
        };
        if let Some(email) = input.email.as_deref() {
            let taken = inner.contacts.values().any(|c| {
                c.company == company && c.id != id && !c.deleted && c.email_matches(email)
            });
            if taken {
                return Err(conflict("Another contact already uses this email"));
            }
        } else if current.deleted && email_held_by_other(&inner, company, current) {
            return Err(conflict(
                "Restoring this contact would give its email to a second live contact",
            ));
        }
        match inner.contacts.get_mut(&id) {
            Some(contact) => {
                apply(contact, input);
                Ok(contact.clone())
            }
            None => Err(ApiError::contact_not_found()),
        }
    }

    /// Soft delete; idempotent for an already deleted contact.
    pub(crate) fn soft_delete(&self, company: CompanyId, id: i64) -> Result<(), ApiError> {
        match self.lock().contacts.get_mut(&id) {
            Some(contact) if contact.company == company => {
                contact.deleted = true;
                Ok(())
            }
            _ => Err(ApiError::contact_not_found()),
        }
    }
}

/// Whether another live contact of the company has `contact`'s stored email.
fn email_held_by_other(inner: &Inner, company: CompanyId, contact: &Contact) -> bool {
    contact.email.as_deref().is_some_and(|email| {
        inner.contacts.values().any(|c| {
            c.company == company && c.id != contact.id && !c.deleted && c.email_matches(email)
        })
    })
}

fn apply(contact: &mut Contact, input: ContactInput) {
    if let Some(email) = input.email {
        contact.email = Some(email);
    }
    if let Some(phone) = input.phone {
        contact.phone = Some(phone);
    }
    if let Some(fields) = input.custom_fields {
        deep_merge(&mut contact.custom_fields, fields);
    }
    contact.marketing_consent.apply(input.consent);
    contact.deleted = false;
}
