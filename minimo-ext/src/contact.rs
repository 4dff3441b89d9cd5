//! Contacts as this crate shows them, and the builders for creating and changing them.
//!
//! # Custom-field keys: one convention
//!
//! Minimo uppercases custom-field *definitions* (`plan_tier` is created as `PLAN_TIER`), and
//! its pages never say how a value's key meets its definition. So every value goes out under
//! the definition's key, uppercased: [`ContactInput::custom_field`],
//! [`custom_fields_from`](ContactInput::custom_fields_from) and the typed flow of
//! [`crate::typed`] all send `PLAN_TIER` for `plan_tier`; and reads accept either case
//! ([`Contact::custom_field`], [`Contact::custom_fields_as`]: the exact key first, then the
//! uppercased one, then any spelling that differs only in case), so a value stored under
//! `plan_tier` by another client is found too. Keys nested inside a value are sent as given.

use crate::error::{Error, ErrorCode, ErrorKind, serde_problem};
use crate::validate;
use minimo_api::pii::{
    CustomFieldValues, EmailAddress, ExtraValue, OtherFields, PersonName, PhoneNumber,
};
use minimo_api::types;
use serde::Serialize;
use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde_json::{Map, Value};
use std::cell::Cell;
use std::collections::BTreeMap;
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
    #[must_use]
    pub const fn unchanged() -> Self {
        MarketingConsent {
            email: None,
            whatsapp: None,
        }
    }

    /// Opts in on every channel.
    #[must_use]
    pub const fn opt_in_all() -> Self {
        MarketingConsent {
            email: Some(true),
            whatsapp: Some(true),
        }
    }

    /// Opts out of every channel.
    #[must_use]
    pub const fn opt_out_all() -> Self {
        MarketingConsent {
            email: Some(false),
            whatsapp: Some(false),
        }
    }

    /// Sets email marketing consent (`true` opts in).
    #[must_use]
    pub const fn email(mut self, opt_in: bool) -> Self {
        self.email = Some(opt_in);
        self
    }

    /// Sets WhatsApp marketing consent (`true` opts in).
    #[must_use]
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

    fn into_wire(self) -> Option<types::MarketingConsent> {
        (!self.is_unchanged()).then_some(types::MarketingConsent {
            email: self.email,
            whatsapp: self.whatsapp,
        })
    }
}

/// Top-level keys the spec names: an extra field may not reuse one.
const NAMED_KEYS: [&str; 6] = [
    "email",
    "phone",
    "customFields",
    "marketingConsent",
    "firstName",
    "lastName",
];

/// What both builders hold: the fields a create or an update can send. Values are held in
/// the masked types of `minimo_api::pii`, so Debug output shows no personal data.
#[derive(Clone, Debug, Default)]
struct Fields {
    email: Option<EmailAddress>,
    phone: Option<PhoneNumber>,
    first_name: Option<PersonName>,
    last_name: Option<PersonName>,
    consent: MarketingConsent,
    /// Keys already uppercased (see the module docs).
    custom_fields: CustomFieldValues,
    extra: BTreeMap<String, ExtraValue>,
    /// The first builder step that failed (a bad key, a struct that is not an object);
    /// reported when the request is made, so builders chain without `?`.
    deferred: Option<Error>,
}

/// The validated fields, typed as the generated request bodies want them.
struct WireFields {
    email: Option<EmailAddress>,
    phone: Option<PhoneNumber>,
    first_name: Option<PersonName>,
    last_name: Option<PersonName>,
    custom_fields: Option<CustomFieldValues>,
    marketing_consent: Option<types::MarketingConsent>,
    extra: BTreeMap<String, ExtraValue>,
}

impl Fields {
    fn defer(&mut self, error: Error) {
        self.deferred.get_or_insert(error);
    }

    fn custom_field(&mut self, key: &str, value: Value) {
        match validate::custom_field_key(key) {
            Ok(key) => {
                self.custom_fields.0.insert(key, value);
            }
            Err(error) => self.defer(error),
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
            Ok(_) => self.defer(
                Error::invalid_input("custom fields must serialize to a JSON object")
                    .with_field("customFields"),
            ),
            Err(e) => self.defer(
                Error::invalid_input(format!(
                    "custom fields cannot be serialized ({})",
                    serde_problem(&e)
                ))
                .with_field("customFields"),
            ),
        }
    }

    fn extra_field(&mut self, key: &str, value: Value) {
        if key.is_empty() || NAMED_KEYS.contains(&key) {
            self.defer(
                Error::invalid_input(format!(
                    "`{key}` cannot be an extra field: it is empty or a field with its own setter"
                ))
                .with_field(key),
            );
        } else {
            self.extra.insert(key.to_owned(), ExtraValue(value));
        }
    }

    /// Validates everything; the parts as the wire types want them.
    fn into_wire(self) -> Result<WireFields, Error> {
        if let Some(problem) = self.deferred {
            return Err(problem);
        }
        let email = self
            .email
            .map(|e| validate::email_for_write("email", e.into_inner()).map(EmailAddress::from))
            .transpose()?;
        let phone = self
            .phone
            .map(|p| validate::phone(p.into_inner()).map(PhoneNumber::from))
            .transpose()?;
        Ok(WireFields {
            email,
            phone,
            first_name: self.first_name,
            last_name: self.last_name,
            custom_fields: (!self.custom_fields.is_empty()).then_some(self.custom_fields),
            marketing_consent: self.consent.into_wire(),
            extra: self.extra,
        })
    }

    fn is_empty(&self) -> bool {
        self.email.is_none()
            && self.phone.is_none()
            && self.first_name.is_none()
            && self.last_name.is_none()
            && self.consent.is_unchanged()
            && self.custom_fields.is_empty()
            && self.extra.is_empty()
            && self.deferred.is_none()
    }
}

/// The builder methods both [`ContactInput`] and [`ContactPatch`] have.
macro_rules! field_setters {
    ($ty:ident) => {
        impl $ty {
            /// Sets the email address (checked when the request is made: see
            /// [`validate`](crate::validate) for what is refused).
            pub fn email(mut self, email: impl Into<String>) -> Self {
                self.fields.email = Some(EmailAddress::from(email.into()));
                self
            }

            /// Sets the phone number, E.164 (`+393391234567`; spaces, dashes, dots and
            /// parentheses are removed, the rest is checked when the request is made).
            pub fn phone(mut self, phone: impl Into<String>) -> Self {
                self.fields.phone = Some(PhoneNumber::from(phone.into()));
                self
            }

            /// Sets the first name (`firstName`: the vendor's request examples send it; no
            /// reference page lists it, so Minimo may ignore it).
            pub fn first_name(mut self, name: impl Into<String>) -> Self {
                self.fields.first_name = Some(PersonName::from(name.into()));
                self
            }

            /// Sets the last name (`lastName`: documented only by examples, like
            /// [`first_name`](Self::first_name)).
            pub fn last_name(mut self, name: impl Into<String>) -> Self {
                self.fields.last_name = Some(PersonName::from(name.into()));
                self
            }

            /// Sets marketing consent; channels the consent leaves `None` stay as they are.
            pub fn consent(mut self, consent: MarketingConsent) -> Self {
                self.fields.consent = consent;
                self
            }

            /// Sets one custom field, under its key uppercased (the definition's key, see
            /// the [module docs](crate::contact)). Stored fields not sent keep their value
            /// (deep merge). An empty key or one with whitespace is reported when the
            /// request is made.
            pub fn custom_field(mut self, key: &str, value: impl Into<Value>) -> Self {
                self.fields.custom_field(key, value.into());
                self
            }

            /// Sets custom fields from any `Serialize` struct or map, one field per key,
            /// uppercased. `None` fields are left out (they never clear a stored value). A
            /// value that does not serialize to an object is reported when the request is
            /// made.
            pub fn custom_fields_from<T: Serialize>(mut self, values: &T) -> Self {
                self.fields.custom_fields_from(values);
                self
            }

            /// Sends another top-level key the spec does not name, as is (an escape hatch
            /// for fields Minimo documents later). A key with its own setter (`email`,
            /// `customFields`...) is refused when the request is made.
            pub fn extra_field(mut self, key: &str, value: impl Into<Value>) -> Self {
                self.fields.extra_field(key, value.into());
                self
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
///     .phone("+39 339 123 4567")
///     .first_name("Jane")
///     .custom_field("plan", "pro") // sent as PLAN
///     .consent(MarketingConsent::unchanged().email(true));
/// assert_eq!(format!("{input:?}").contains("jane@"), false); // personal data is masked
/// ```
#[derive(Clone, Debug, Default)]
#[must_use]
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

    /// The email set, unvalidated.
    pub fn email_value(&self) -> Option<&str> {
        self.fields.email.as_ref().map(EmailAddress::as_str)
    }

    /// The phone set, unvalidated.
    pub fn phone_value(&self) -> Option<&str> {
        self.fields.phone.as_ref().map(PhoneNumber::as_str)
    }

    pub(crate) fn into_wire(self) -> Result<types::ContactUpsert, Error> {
        let fields = self.fields.into_wire()?;
        if fields.email.is_none() && fields.phone.is_none() {
            return Err(Error::invalid_input(
                "a contact needs an email or a phone to be matched or created",
            )
            .with_code(ErrorCode::ValidationError)
            .with_field("email"));
        }
        Ok(types::ContactUpsert {
            email: fields.email,
            phone: fields.phone,
            first_name: fields.first_name,
            last_name: fields.last_name,
            custom_fields: fields.custom_fields,
            marketing_consent: fields.marketing_consent,
            extra: fields.extra,
        })
    }
}

field_setters!(ContactInput);

/// A partial update for [`Minimo::update`](crate::Minimo::update): only what is set is sent,
/// and only that changes. A patch that sets nothing is refused by `update`; to bring back a
/// soft-deleted contact unchanged, use [`Minimo::restore`](crate::Minimo::restore).
///
/// ```
/// use minimo_ext::{ContactPatch, MarketingConsent};
/// let patch = ContactPatch::new().consent(MarketingConsent::opt_out_all());
/// ```
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct ContactPatch {
    fields: Fields,
}

impl ContactPatch {
    /// A patch that changes nothing yet.
    pub fn new() -> Self {
        ContactPatch::default()
    }

    /// Whether the patch sets nothing.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    pub(crate) fn into_wire(self) -> Result<types::ContactUpdate, Error> {
        let fields = self.fields.into_wire()?;
        Ok(types::ContactUpdate {
            email: fields.email,
            phone: fields.phone,
            first_name: fields.first_name,
            last_name: fields.last_name,
            custom_fields: fields.custom_fields,
            marketing_consent: fields.marketing_consent,
            extra: fields.extra,
        })
    }
}

field_setters!(ContactPatch);

/// A contact as the API returns it. Emails, phones, custom field values and unknown fields
/// are held in masked types: Debug output shows no personal data.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let server = minimo_fake::FakeServer::builder().api_key("mn-acme-s3cret").start().await?;
/// # let minimo = minimo_ext::Minimo::builder().api_key("mn-acme-s3cret").base_url(server.base_url()).build()?;
/// use minimo_ext::ContactInput;
///
/// minimo
///     .upsert(ContactInput::with_email("jane@example.com").custom_field("seats", 3))
///     .await?;
/// let jane = minimo.get_by_email("jane@example.com").await?.expect("just stored");
/// assert_eq!(jane.email(), Some("jane@example.com"));
/// // Custom fields are read by key in any case, decoded to the type asked for.
/// assert_eq!(jane.custom_field::<u32>("Seats").transpose()?, Some(3));
/// // Debug output masks personal data.
/// assert!(!format!("{jane:?}").contains("jane@example.com"));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Contact {
    /// The contact's id.
    pub id: ContactId,
    /// Email address.
    pub email: Option<EmailAddress>,
    /// Phone number, E.164.
    pub phone: Option<PhoneNumber>,
    /// Status, e.g. `active`.
    pub status: Option<String>,
    /// Where the contact came from, e.g. `API`.
    pub source: Option<String>,
    /// Custom field values by key.
    pub custom_fields: CustomFieldValues,
    /// The company (account) the contact belongs to.
    pub company: Option<i64>,
    /// Whether the contact is soft-deleted.
    pub deleted: bool,
    /// Id in an external system, if synced from one.
    pub external_id: Option<String>,
    /// Id of the external connection, if synced from one.
    pub external_connection_id: Option<i64>,
    /// Fields the API sent that this version does not know (one the vendor added later),
    /// readable before the SDK is updated.
    pub other: OtherFields,
}

impl Contact {
    /// The email address, unmasked.
    pub fn email(&self) -> Option<&str> {
        self.email.as_ref().map(EmailAddress::as_str)
    }

    /// The phone number, unmasked.
    pub fn phone(&self) -> Option<&str> {
        self.phone.as_ref().map(PhoneNumber::as_str)
    }

    /// One custom field's raw value, by key in any case (see the [module
    /// docs](crate::contact)).
    pub fn custom_field_value(&self, key: &str) -> Option<&Value> {
        find_key(&self.custom_fields.0, key)
    }

    /// One custom field decoded as `T`, by key in any case; `None` when absent.
    ///
    /// ```
    /// # fn demo(contact: minimo_ext::Contact) -> Result<(), minimo_ext::Error> {
    /// let seats: Option<u32> = contact.custom_field("seats").transpose()?;
    /// # Ok(()) }
    /// ```
    pub fn custom_field<T: DeserializeOwned>(&self, key: &str) -> Option<Result<T, Error>> {
        self.custom_field_value(key).map(|value| {
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

    /// All custom fields decoded into a struct, each field found by its name in any case
    /// (`plan_tier` reads `PLAN_TIER`); fields missing on the contact must be optional in `T`.
    pub fn custom_fields_as<T: DeserializeOwned>(&self) -> Result<T, Error> {
        let stored = &self.custom_fields.0;
        let value = match struct_fields::<T>() {
            Some(names) => Value::Object(
                names
                    .iter()
                    .filter_map(|name| {
                        find_key(stored, name).map(|v| ((*name).to_owned(), v.clone()))
                    })
                    .collect(),
            ),
            None => Value::Object(stored.clone()),
        };
        T::deserialize(value).map_err(|e| {
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

/// The value under `key`: the exact key, else its uppercase form, else any key equal to it
/// but for case.
fn find_key<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.get(key)
        .or_else(|| map.get(&key.to_uppercase()))
        .or_else(|| {
            let wanted = key.to_uppercase();
            map.iter()
                .find(|(k, _)| k.to_uppercase() == wanted)
                .map(|(_, v)| v)
        })
}

/// The field names a struct deserializes (what `#[derive(Deserialize)]` passes to
/// `deserialize_struct`), or `None` for maps and other shapes.
fn struct_fields<T: DeserializeOwned>() -> Option<&'static [&'static str]> {
    let found = Cell::new(None);
    let _ = T::deserialize(Probe(&found));
    found.get()
}

struct Probe<'a>(&'a Cell<Option<&'static [&'static str]>>);

#[derive(Debug)]
struct Probed;

impl fmt::Display for Probed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("probed")
    }
}

impl std::error::Error for Probed {}

impl de::Error for Probed {
    fn custom<M: fmt::Display>(_: M) -> Self {
        Probed
    }
}

impl<'de> Deserializer<'de> for Probe<'_> {
    type Error = Probed;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Probed> {
        Err(Probed)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Probed> {
        self.0.set(Some(fields));
        Err(Probed)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

impl From<minimo_api::model::Contact> for Contact {
    fn from(c: minimo_api::model::Contact) -> Self {
        Contact {
            id: ContactId(c.id),
            email: c.email,
            phone: c.phone,
            status: c.status,
            source: c.source,
            custom_fields: c.custom_fields.unwrap_or_default(),
            company: c.company,
            deleted: c.deleted.unwrap_or(false),
            external_id: c.external_id,
            external_connection_id: c.external_connection_id,
            other: c.other,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    fn contact(custom_fields: Value) -> Contact {
        Contact::from(minimo_api::model::Contact {
            id: 1,
            custom_fields: Some(CustomFieldValues(
                custom_fields.as_object().cloned().unwrap_or_default(),
            )),
            ..minimo_api::model::Contact::default()
        })
    }

    #[test]
    fn a_custom_field_of_another_type_is_an_error_that_does_not_quote_the_value() {
        let contact = contact(json!({"FIRST_NAME": "Jane Rossi"}));
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
                .custom_field::<String>("first_name")
                .and_then(Result::ok)
                .as_deref(),
            Some("Jane Rossi")
        );
    }

    #[test]
    fn reads_find_keys_in_any_case_preferring_the_exact_one() {
        let both = contact(json!({"plan": "old", "PLAN": "new", "Seats": 3}));
        assert_eq!(both.custom_field_value("plan"), Some(&json!("old")));
        assert_eq!(both.custom_field_value("Plan"), Some(&json!("new")));
        assert_eq!(both.custom_field_value("SEATS"), Some(&json!(3)));
        assert_eq!(both.custom_field_value("seat"), None);

        #[derive(Deserialize, Debug, PartialEq)]
        struct Profile {
            plan_tier: String,
            seats: Option<u32>,
            #[serde(rename = "LEAD-SOURCE")]
            lead: Option<String>,
        }
        let stored =
            contact(json!({"PLAN_TIER": "pro", "seats": 4, "lead-source": "web", "OTHER": 1}));
        assert_eq!(
            stored.custom_fields_as::<Profile>().ok(),
            Some(Profile {
                plan_tier: "pro".into(),
                seats: Some(4),
                lead: Some("web".into())
            })
        );
        let map: BTreeMap<String, Value> = stored.custom_fields_as().unwrap();
        assert_eq!(map.len(), 4);
    }

    #[test]
    fn values_go_out_under_the_uppercased_key() {
        #[derive(Serialize)]
        struct Profile {
            plan_tier: &'static str,
            seats: Option<u32>,
        }
        let wire = ContactInput::with_email("jane@example.com")
            .custom_field("lead_source", "web")
            .custom_fields_from(&Profile {
                plan_tier: "pro",
                seats: None,
            })
            .into_wire()
            .unwrap();
        let keys: Vec<&str> = wire.custom_fields.as_ref().unwrap().keys().collect();
        assert_eq!(keys, ["LEAD_SOURCE", "PLAN_TIER"]);
        let refused = ContactInput::with_email("jane@example.com")
            .custom_field("bad key", 1)
            .into_wire()
            .err()
            .unwrap();
        assert_eq!(refused.field(), Some("customFields"));
    }

    #[test]
    fn names_and_extra_fields_are_sent_and_masked() {
        let input = ContactInput::with_phone("+39 339 123 4567")
            .first_name("Jane")
            .last_name("Rossi")
            .extra_field("nickname", "Janie");
        let shown = format!("{input:?}");
        assert!(
            !shown.contains("Jane") && !shown.contains("Rossi") && !shown.contains("Janie"),
            "{shown}"
        );
        let body = serde_json::to_value(input.into_wire().unwrap()).unwrap();
        assert_eq!(
            body,
            json!({"phone": "+393391234567", "firstName": "Jane", "lastName": "Rossi", "nickname": "Janie"})
        );
        for key in ["email", "customFields", "firstName", ""] {
            let refused = ContactPatch::new().extra_field(key, 1).into_wire().err();
            assert_eq!(
                refused.map(|e| e.kind()),
                Some(ErrorKind::InvalidInput),
                "{key}"
            );
        }
    }

    #[test]
    fn an_empty_patch_is_empty_and_a_set_one_is_not() {
        assert!(ContactPatch::new().is_empty());
        assert!(
            !ContactPatch::new()
                .consent(MarketingConsent::opt_in_all())
                .is_empty()
        );
        assert!(!ContactPatch::new().custom_field("x", 1).is_empty());
        assert!(!ContactPatch::new().custom_field("", 1).is_empty());
    }
}
