//! The stored records (contacts, custom-field definitions) and the seeds that create them.

use std::fmt;

use serde_json::{Map, Value, json};

use crate::mask::{mask_opt_email, mask_opt_name, mask_opt_phone};

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

/// A stored contact. `Debug` masks the email, the phone and the names.
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
    /// First name as last sent (`firstName`); not part of the get-by-email read model.
    pub first_name: Option<String>,
    /// Last name as last sent (`lastName`); not part of the get-by-email read model.
    pub last_name: Option<String>,
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
            .field("first_name", &mask_opt_name(self.first_name.as_ref()))
            .field("last_name", &mask_opt_name(self.last_name.as_ref()))
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
    /// The contact as the API's `Contact` schema renders it (snake_case keys). The names
    /// are not part of that read model and are left out.
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

    /// Everything the fake stores about the contact, as `GET /__fake/store` renders it:
    /// [`Contact::to_json`] plus `first_name`, `last_name` and `marketing_consent`.
    pub fn to_store_json(&self) -> Value {
        let mut value = self.to_json();
        if let Some(obj) = value.as_object_mut() {
            obj.insert("first_name".to_owned(), json!(self.first_name));
            obj.insert("last_name".to_owned(), json!(self.last_name));
            obj.insert(
                "marketing_consent".to_owned(),
                json!({
                    "email": self.marketing_consent.email,
                    "whatsapp": self.marketing_consent.whatsapp,
                }),
            );
        }
        value
    }
}

/// Data to seed a contact with, through [`crate::Store::insert_contact`]. `Debug` masks
/// the email, the phone and the names.
#[derive(Clone, Default, PartialEq)]
pub struct ContactSeed {
    /// Email address.
    pub email: Option<String>,
    /// Phone number (not validated).
    pub phone: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Custom field values (stored as given: keys are not matched to definitions).
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
            .field("first_name", &mask_opt_name(self.first_name.as_ref()))
            .field("last_name", &mask_opt_name(self.last_name.as_ref()))
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

    /// Sets the first name.
    pub fn first_name(mut self, name: impl Into<String>) -> Self {
        self.first_name = Some(name.into());
        self
    }

    /// Sets the last name.
    pub fn last_name(mut self, name: impl Into<String>) -> Self {
        self.last_name = Some(name.into());
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

/// A custom field to seed through [`crate::Store::insert_custom_field`].
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

/// The validated body of an upsert or an update: `None` leaves a field as it is. No
/// `Debug`: it holds personal data.
#[derive(Clone, Default, PartialEq)]
pub(crate) struct ContactInput {
    pub(crate) email: Option<String>,
    pub(crate) phone: Option<String>,
    pub(crate) first_name: Option<String>,
    pub(crate) last_name: Option<String>,
    pub(crate) custom_fields: Option<Map<String, Value>>,
    pub(crate) consent: MarketingConsent,
}

/// Why an update by id changed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UpdateError {
    /// No contact of the company has this id.
    NotFound,
    /// Another live contact of the company has the email sent.
    EmailTaken,
    /// The contact is soft-deleted, no email was sent, and another live contact of the
    /// company now has its stored email: restoring it would make two.
    RestoreWouldDuplicate,
}

/// The contact id names no contact of the company.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NotFound;
