//! Contacts as this crate shows them, and the builders for creating and changing them.

use crate::error::{Error, ErrorKind, serde_problem};
use crate::validate;
use minimo_api::pii::{CustomFieldValues, EmailAddress, PhoneNumber};
use minimo_api::runtime::{mask_email, mask_phone};
use minimo_api::types;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::fmt;

/// A contact's id (an integer in the API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContactId(i64);

impl ContactId {
    /// Wraps a raw id.
    pub const fn new(id: i64) -> Self {
        ContactId(id)
    }

    /// The raw id.
    pub const fn get(self) -> i64 {
        self.0
    }
}

impl From<i64> for ContactId {
    fn from(id: i64) -> Self {
        ContactId(id)
    }
}

impl fmt::Display for ContactId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl TryFrom<&types::ContactIdText> for ContactId {
    type Error = Error;

    /// The upsert returns the id as a string (`"12345"`) in every vendor example; an integer
    /// is accepted too.
    fn try_from(id: &types::ContactIdText) -> Result<Self, Error> {
        match id {
            types::ContactIdText::Int64(id) => Ok(ContactId(*id)),
            types::ContactIdText::String(text) => {
                text.trim().parse().map(ContactId).map_err(|_| {
                    Error::new(
                        ErrorKind::Decode,
                        "the upsert answered a contact id that is not an integer",
                    )
                })
            }
        }
    }
}

/// Marketing consent per channel: `Some(true)` opts in, `Some(false)` opts out, and a channel
/// left `None` keeps whatever consent the contact has.
///
/// ```
/// use minimo_ext::MarketingConsent;
/// let consent = MarketingConsent::unchanged().email(true);
/// assert_eq!(consent.email_opt_in(), Some(true));
/// assert_eq!(consent.whatsapp_opt_in(), None); // WhatsApp consent is left as it is
/// assert_eq!(MarketingConsent::opt_out_all().whatsapp_opt_in(), Some(false));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct MarketingConsent {
    email: Option<bool>,
    whatsapp: Option<bool>,
}

impl MarketingConsent {
    /// Changes nothing: every channel keeps its consent.
    pub const fn unchanged() -> Self {
        MarketingConsent {
            email: None,
            whatsapp: None,
        }
    }

    /// Opts in on every channel.
    pub const fn opt_in_all() -> Self {
        MarketingConsent {
            email: Some(true),
            whatsapp: Some(true),
        }
    }

    /// Opts out of every channel.
    pub const fn opt_out_all() -> Self {
        MarketingConsent {
            email: Some(false),
            whatsapp: Some(false),
        }
    }

    /// Sets email marketing consent (`true` opts in).
    pub const fn email(mut self, opt_in: bool) -> Self {
        self.email = Some(opt_in);
        self
    }

    /// Sets WhatsApp marketing consent (`true` opts in).
    pub const fn whatsapp(mut self, opt_in: bool) -> Self {
        self.whatsapp = Some(opt_in);
        self
    }

    /// The email consent this sends, if any.
    pub const fn email_opt_in(&self) -> Option<bool> {
        self.email
    }

    /// The WhatsApp consent this sends, if any.
    pub const fn whatsapp_opt_in(&self) -> Option<bool> {
        self.whatsapp
    }

    /// Whether this leaves every channel unchanged.
    pub const fn is_unchanged(&self) -> bool {
        self.email.is_none() && self.whatsapp.is_none()
    }

    fn to_wire(self) -> Option<types::MarketingConsent> {
        (!self.is_unchanged()).then_some(types::MarketingConsent {
            email: self.email,
            whatsapp: self.whatsapp,
        })
    }
}

/// The validated fields, typed as the generated request bodies want them.
struct WireFields {
    email: Option<EmailAddress>,
    phone: Option<PhoneNumber>,
    custom_fields: Option<CustomFieldValues>,
    marketing_consent: Option<types::MarketingConsent>,
}

/// What both builders hold: the fields a create or an update can send.
#[derive(Clone, Default)]
struct Fields {
    email: Option<String>,
    phone: Option<String>,
    consent: MarketingConsent,
    custom_fields: Map<String, Value>,
    /// A builder step that failed (e.g. a struct that is not an object); reported on send.
    deferred: Option<String>,
}

impl Fields {
    fn custom_field(&mut self, key: &str, value: Value) {
        if key.trim().is_empty() {
            self.deferred
                .get_or_insert_with(|| "a custom field key is empty".to_owned());
        } else {
            self.custom_fields.insert(key.to_owned(), value);
        }
    }

    fn custom_fields_from<T: Serialize>(&mut self, values: &T) {
        match serde_json::to_value(values) {
            Ok(Value::Object(map)) => {
                // `None` fields serialize as null: they are left out, so an unset Option never
                // clears a stored value.
                for (key, value) in map.into_iter().filter(|(_, v)| !v.is_null()) {
                    self.custom_field(&key, value);
                }
            }
            Ok(_) => {
                self.deferred.get_or_insert_with(|| {
                    "custom fields must serialize to a JSON object".to_owned()
                });
            }
            Err(e) => {
                self.deferred
                    .get_or_insert_with(|| format!("custom fields cannot be serialized: {e}"));
            }
        }
    }

    /// Validates everything; the parts as the wire types want them.
    fn validated(&self) -> Result<WireFields, Error> {
        if let Some(problem) = &self.deferred {
            return Err(Error::invalid_input(problem.clone()));
        }
        let email = self
            .email
            .as_deref()
            .map(|e| validate::email("email", e))
            .transpose()?;
        let phone = self
            .phone
            .as_deref()
            .map(|p| validate::phone("phone", p))
            .transpose()?;
        Ok(WireFields {
            email: email.map(EmailAddress::from),
            phone: phone.map(PhoneNumber::from),
            custom_fields: (!self.custom_fields.is_empty())
                .then(|| CustomFieldValues(self.custom_fields.clone())),
            marketing_consent: self.consent.to_wire(),
        })
    }

    fn is_empty(&self) -> bool {
        self.email.is_none()
            && self.phone.is_none()
            && self.custom_fields.is_empty()
            && self.consent.is_unchanged()
            && self.deferred.is_none()
    }

    fn debug(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(name)
            .field("email", &self.email.as_deref().map(mask_email))
            .field("phone", &self.phone.as_deref().map(mask_phone))
            .field("consent", &self.consent)
            .field(
                "custom_fields",
                &self.custom_fields.keys().collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// The builder methods both [`ContactInput`] and [`ContactPatch`] have.
macro_rules! field_setters {
    ($ty:ident) => {
        impl $ty {
            /// Sets the email address (checked when the request is made).
            pub fn email(mut self, email: impl Into<String>) -> Self {
                self.fields.email = Some(email.into());
                self
            }

            /// Sets the phone number, in E.164 (`+393391234567`; checked when the request is made).
            pub fn phone(mut self, phone: impl Into<String>) -> Self {
                self.fields.phone = Some(phone.into());
                self
            }

            /// Sets marketing consent; channels the consent leaves `None` stay as they are.
            pub fn consent(mut self, consent: MarketingConsent) -> Self {
                self.fields.consent = consent;
                self
            }

            /// Sets one custom field. Stored fields not sent keep their value (deep merge).
            pub fn custom_field(mut self, key: &str, value: impl Into<Value>) -> Self {
                self.fields.custom_field(key, value.into());
                self
            }

            /// Sets custom fields from any `Serialize` struct or map, one field per key. `None`
            /// fields are left out (they never clear a stored value). A value that does not
            /// serialize to an object is reported when the request is made.
            pub fn custom_fields_from<T: Serialize>(mut self, values: &T) -> Self {
                self.fields.custom_fields_from(values);
                self
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.fields.debug(stringify!($ty), f)
            }
        }
    };
}

/// A contact to create or update with [`Minimo::upsert`](crate::Minimo::upsert): matched by
/// email, then phone, else created. At least one of the two is needed.
///
/// ```
/// use minimo_ext::{ContactInput, MarketingConsent};
/// let input = ContactInput::with_email("jane@example.com")
///     .phone("+393391234567")
///     .custom_field("PLAN", "pro")
///     .consent(MarketingConsent::unchanged().email(true));
/// assert_eq!(format!("{input:?}").contains("jane@"), false); // personal data is masked
/// ```
#[derive(Clone, Default)]
pub struct ContactInput {
    fields: Fields,
}

impl ContactInput {
    /// A contact identified by email.
    pub fn with_email(email: impl Into<String>) -> Self {
        ContactInput::default().email(email)
    }

    /// A contact identified by phone (E.164).
    pub fn with_phone(phone: impl Into<String>) -> Self {
        ContactInput::default().phone(phone)
    }

    pub(crate) fn to_wire(&self) -> Result<types::ContactUpsert, Error> {
        let fields = self.fields.validated()?;
        if fields.email.is_none() && fields.phone.is_none() {
            return Err(Error::invalid_input(
                "a contact needs an email or a phone to be matched or created",
            ));
        }
        Ok(types::ContactUpsert {
            email: fields.email,
            phone: fields.phone,
            custom_fields: fields.custom_fields,
            marketing_consent: fields.marketing_consent,
        })
    }
}

field_setters!(ContactInput);

/// A partial update for [`Minimo::update`](crate::Minimo::update): only what is set is sent,
/// and only that changes.
///
/// ```
/// use minimo_ext::{ContactPatch, MarketingConsent};
/// let patch = ContactPatch::new().consent(MarketingConsent::opt_out_all());
/// ```
#[derive(Clone, Default)]
pub struct ContactPatch {
    fields: Fields,
}

impl ContactPatch {
    /// A patch that changes nothing yet.
    pub fn new() -> Self {
        ContactPatch::default()
    }

    pub(crate) fn to_wire(&self) -> Result<types::ContactUpdate, Error> {
        if self.fields.is_empty() {
            return Err(Error::invalid_input("the patch changes nothing"));
        }
        let fields = self.fields.validated()?;
        Ok(types::ContactUpdate {
            email: fields.email,
            phone: fields.phone,
            custom_fields: fields.custom_fields,
            marketing_consent: fields.marketing_consent,
        })
    }
}

field_setters!(ContactPatch);

/// A contact as the API returns it. Debug output masks the email and phone and lists only the
/// custom field keys.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct Contact {
    /// The contact's id.
    pub id: ContactId,
    /// Email address.
    pub email: Option<String>,
    /// Phone number, E.164.
    pub phone: Option<String>,
    /// Status, e.g. `active`.
    pub status: Option<String>,
    /// Where the contact came from, e.g. `API`.
    pub source: Option<String>,
    /// Custom field values by key.
    pub custom_fields: Map<String, Value>,
    /// The company (account) the contact belongs to.
    pub company: Option<i64>,
    /// Whether the contact is soft-deleted.
    pub deleted: bool,
    /// Id in an external system, if synced from one.
    pub external_id: Option<String>,
    /// Id of the external connection, if synced from one.
    pub external_connection_id: Option<i64>,
}

impl Contact {
    /// One custom field decoded as `T`; `None` when absent.
    pub fn custom_field<T: DeserializeOwned>(&self, key: &str) -> Option<Result<T, Error>> {
        self.custom_fields.get(key).map(|value| {
            T::deserialize(value).map_err(|e| {
                Error::new(
                    ErrorKind::Decode,
                    format!(
                        "custom field `{key}` is not a `{}` ({})",
                        std::any::type_name::<T>(),
                        serde_problem(&e)
                    ),
                )
            })
        })
    }

    /// All custom fields decoded into a struct (fields missing on the contact must be
    /// optional in `T`).
    pub fn custom_fields_as<T: DeserializeOwned>(&self) -> Result<T, Error> {
        T::deserialize(&Value::Object(self.custom_fields.clone())).map_err(|e| {
            Error::new(
                ErrorKind::Decode,
                format!(
                    "custom fields do not match `{}` ({})",
                    std::any::type_name::<T>(),
                    serde_problem(&e)
                ),
            )
        })
    }
}

impl From<types::Contact> for Contact {
    fn from(c: types::Contact) -> Self {
        Contact {
            id: ContactId(c.id),
            email: c.email.map(EmailAddress::into_inner),
            phone: c.phone.map(PhoneNumber::into_inner),
            status: c.status,
            source: c.source,
            custom_fields: c.custom_fields.map(|values| values.0).unwrap_or_default(),
            company: c.company,
            deleted: c.deleted.unwrap_or(false),
            external_id: c.external_id,
            external_connection_id: c.external_connection_id,
        }
    }
}

impl fmt::Debug for Contact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Contact")
            .field("id", &self.id)
            .field("email", &self.email.as_deref().map(mask_email))
            .field("phone", &self.phone.as_deref().map(mask_phone))
            .field("status", &self.status)
            .field("source", &self.source)
            .field(
                "custom_fields",
                &self.custom_fields.keys().collect::<Vec<_>>(),
            )
            .field("company", &self.company)
            .field("deleted", &self.deleted)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_custom_field_of_another_type_is_an_error_that_does_not_quote_the_value() {
        let contact = Contact::from(types::Contact {
            id: 1,
            company: None,
            custom_fields: Some(CustomFieldValues(
                serde_json::json!({"FIRST_NAME": "Jane Rossi"})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            )),
            deleted: None,
            email: None,
            external_connection_id: None,
            external_id: None,
            phone: None,
            source: None,
            status: None,
        });
        let error = contact
            .custom_field::<u32>("FIRST_NAME")
            .and_then(Result::err)
            .map(|e| e.to_string());
        let shown = error.unwrap_or_default();
        assert!(
            shown.contains("custom field `FIRST_NAME` is not a `u32`"),
            "{shown}"
        );
        assert!(!shown.contains("Jane"), "{shown}");
        assert_eq!(
            contact
                .custom_field::<String>("FIRST_NAME")
                .and_then(Result::ok)
                .as_deref(),
            Some("Jane Rossi")
        );
    }
}
