//! Custom field definitions: listing, creating, and making an account match a struct
//! ([`Minimo::ensure_custom_fields`]).

use crate::client::Minimo;
use crate::error::{Error, ErrorKind, Result};
use crate::validate;
use minimo_api::types::{self, CustomFieldType};
use std::fmt;

/// The type of a custom field's value. Open: a type this version does not know is kept as
/// [`FieldType::Other`]. Parsed and printed as the API spells it (`text`, `select`...).
///
/// ```
/// use minimo_ext::FieldType;
/// assert_eq!(FieldType::parse("select"), FieldType::Select);
/// assert_eq!(FieldType::parse("geo").to_string(), "geo");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FieldType {
    /// Free text.
    Text,
    /// A number.
    Number,
    /// true / false.
    Boolean,
    /// A date (`2025-11-13`).
    Date,
    /// A date and time.
    Datetime,
    /// One choice out of a fixed set of options.
    Select,
    /// A JSON value.
    Json,
    /// A type the server reported that this version does not know.
    Other(String),
}

impl FieldType {
    /// The type named `text` as the API spells it; an unknown name is [`FieldType::Other`].
    pub fn parse(text: &str) -> FieldType {
        text.parse::<CustomFieldType>()
            .map_or_else(|_| FieldType::Other(text.to_owned()), FieldType::from)
    }

    /// The generated wire type for the types the API can create; the name of any other.
    fn to_wire(&self) -> std::result::Result<CustomFieldType, &str> {
        Ok(match self {
            FieldType::Text => CustomFieldType::Text,
            FieldType::Number => CustomFieldType::Number,
            FieldType::Boolean => CustomFieldType::Boolean,
            FieldType::Date => CustomFieldType::Date,
            FieldType::Datetime => CustomFieldType::Datetime,
            FieldType::Select => CustomFieldType::Select,
            FieldType::Json => CustomFieldType::Json,
            FieldType::Other(other) => return Err(other),
        })
    }
}

impl From<CustomFieldType> for FieldType {
    fn from(wire: CustomFieldType) -> Self {
        match wire {
            CustomFieldType::Text => FieldType::Text,
            CustomFieldType::Number => FieldType::Number,
            CustomFieldType::Boolean => FieldType::Boolean,
            CustomFieldType::Date => FieldType::Date,
            CustomFieldType::Datetime => FieldType::Datetime,
            CustomFieldType::Select => FieldType::Select,
            CustomFieldType::Json => FieldType::Json,
        }
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_wire() {
            Ok(wire) => wire.fmt(f),
            Err(other) => f.write_str(other),
        }
    }
}

/// A custom field definition.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CustomField {
    /// The field's id.
    pub id: i64,
    /// Its key (uppercase, e.g. `COMPANY_SIZE`).
    pub key: String,
    /// Its human-readable label (`displayName`, or the older `display_name`).
    pub label: Option<String>,
    /// The type of its values.
    pub field_type: FieldType,
    /// Its category, if it has one.
    pub category: Option<String>,
    /// Whether it is shown in the dashboard.
    pub visibility: Option<bool>,
    /// Who defined it: `Manual` or `System`.
    pub source: Option<String>,
    /// The options of a `select` field.
    pub options: Vec<String>,
}

impl From<types::CustomField> for CustomField {
    fn from(field: types::CustomField) -> Self {
        CustomField {
            label: field.label().map(str::to_owned),
            id: field.id,
            key: field.key,
            field_type: FieldType::parse(&field.type_),
            category: field.category,
            visibility: field.visibility,
            source: field.source,
            options: field.options,
        }
    }
}

/// Custom fields of one category, as [`CustomFields::list_grouped`] returns them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CustomFieldGroup {
    /// The category (`uncategorized` for fields without one).
    pub category: String,
    /// The fields in it.
    pub fields: Vec<CustomField>,
}

/// A custom field to create.
///
/// ```
/// use minimo_ext::{FieldType, NewCustomField};
/// let field = NewCustomField::new("lead_source", "Lead source", FieldType::Select)
///     .category("Lead Data")
///     .options(["Website", "Referral"]);
/// assert_eq!(field.key(), "LEAD_SOURCE");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct NewCustomField {
    key: String,
    label: String,
    field_type: FieldType,
    category: Option<String>,
    options: Vec<String>,
}

impl NewCustomField {
    /// A field with this key (uppercased by the server, so by us too), label and type.
    pub fn new(key: impl Into<String>, label: impl Into<String>, field_type: FieldType) -> Self {
        NewCustomField {
            key: key.into(),
            label: label.into(),
            field_type,
            category: None,
            options: Vec::new(),
        }
    }

    /// Puts the field in a category.
    pub fn category(mut self, category: impl Into<String>) -> Self {
        self.category = Some(category.into());
        self
    }

    /// The options of a `select` field.
    pub fn options<I, S>(mut self, options: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.options = options.into_iter().map(Into::into).collect();
        self
    }

    /// The key as it will be stored (uppercase).
    pub fn key(&self) -> String {
        self.key.to_uppercase()
    }

    fn to_wire(&self) -> Result<types::CustomFieldCreate> {
        let key = validate::custom_field_key(&self.key).map_err(|e| e.with_field("key"))?;
        let invalid = |field: &str, e: String| {
            Error::invalid_input(format!("custom field `{key}`: {e}")).with_field(field)
        };
        if self.label.trim().is_empty() {
            return Err(invalid("displayName", "needs a label".to_owned()));
        }
        if !self.options.is_empty() && self.field_type != FieldType::Select {
            return Err(invalid(
                "options",
                "only select fields take options".to_owned(),
            ));
        }
        let type_ = self
            .field_type
            .to_wire()
            .map_err(|other| invalid("type", format!("type `{other}` cannot be created")))?;
        Ok(types::CustomFieldCreate {
            key: key
                .parse()
                .map_err(|e: types::error::ConversionError| invalid("key", e.to_string()))?,
            display_name: self
                .label
                .parse()
                .map_err(|e: types::error::ConversionError| {
                    invalid("displayName", e.to_string())
                })?,
            type_,
            category: self.category.clone(),
            options: self.options.clone(),
        })
    }
}

/// Custom field operations, from [`Minimo::custom_fields`].
#[derive(Debug, Clone, Copy)]
pub struct CustomFields<'a> {
    pub(crate) client: &'a Minimo,
}

impl CustomFields<'_> {
    /// Every custom field of the account, in the order the server lists them (flat or
    /// grouped, wrapped in `data` or not: every documented shape is read).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let server = minimo_fake::FakeServer::builder().api_key("mn-acme-s3cret").start().await?;
    /// # let minimo = minimo_ext::Minimo::builder().api_key("mn-acme-s3cret").base_url(server.base_url()).build()?;
    /// for field in minimo.custom_fields().list().await? {
    ///     println!("{} ({})", field.key, field.field_type);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn list(&self) -> Result<Vec<CustomField>> {
        let (list, _) = self
            .client
            .call(self.client.api().list_custom_fields().send())
            .await?;
        Ok(list
            .into_fields()
            .into_iter()
            .map(CustomField::from)
            .collect())
    }

    /// The custom fields grouped by category (`groupBy=category`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let server = minimo_fake::FakeServer::builder().api_key("mn-acme-s3cret").start().await?;
    /// # let minimo = minimo_ext::Minimo::builder().api_key("mn-acme-s3cret").base_url(server.base_url()).build()?;
    /// use minimo_ext::{FieldType, NewCustomField};
    /// minimo.custom_fields().create(NewCustomField::new("plan", "Plan", FieldType::Text).category("Billing")).await?;
    /// let groups = minimo.custom_fields().list_grouped().await?;
    /// assert_eq!(groups[0].category, "Billing");
    /// # Ok(()) }
    /// ```
    pub async fn list_grouped(&self) -> Result<Vec<CustomFieldGroup>> {
        let request = self
            .client
            .api()
            .list_custom_fields()
            .group_by(types::CustomFieldGroupBy::Category);
        match self.client.call(request.send()).await?.0.into_body() {
            types::CustomFieldListBody::CustomFieldGroups(groups) => Ok(groups
                .groups
                .into_iter()
                .map(|g| CustomFieldGroup {
                    category: g.category,
                    fields: g.fields.into_iter().map(CustomField::from).collect(),
                })
                .collect()),
            types::CustomFieldListBody::Array(_) => Err(Error::new(
                ErrorKind::Decode,
                "asked for groups, the server answered a flat list",
            )),
        }
    }

    /// Creates a custom field. A key that exists already is a [`ErrorKind::Conflict`]. Any
    /// 2xx is success; when its body does not describe the field, the field is read back from
    /// the list.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let server = minimo_fake::FakeServer::builder().api_key("mn-acme-s3cret").start().await?;
    /// # let minimo = minimo_ext::Minimo::builder().api_key("mn-acme-s3cret").base_url(server.base_url()).build()?;
    /// use minimo_ext::{ErrorKind, FieldType, NewCustomField};
    /// let field = NewCustomField::new("lead_source", "Lead source", FieldType::Select).options(["Web", "Event"]);
    /// let created = minimo.custom_fields().create(field.clone()).await?;
    /// assert_eq!(created.key, "LEAD_SOURCE");
    /// let again = minimo.custom_fields().create(field).await.unwrap_err();
    /// assert_eq!(again.kind(), ErrorKind::Conflict);
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, field: NewCustomField) -> Result<CustomField> {
        let body = field.to_wire()?;
        let key = body.key.to_string();
        match self
            .client
            .call(self.client.api().create_custom_field().body(body).send())
            .await
        {
            Ok((created, _)) => Ok(CustomField::from(created.into_field())),
            Err(error) if error.took_effect() => {
                let listed = self.list().await?;
                listed
                    .into_iter()
                    .find(|f| f.key.eq_ignore_ascii_case(&key))
                    .ok_or(error)
            }
            Err(error) => Err(error),
        }
    }
}

impl Minimo {
    /// Custom field definitions: list, create, and and [`ensure`](Minimo::ensure_custom_fields) a struct's.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let server = minimo_fake::FakeServer::builder().api_key("mn-acme-s3cret").start().await?;
    /// # let minimo = minimo_ext::Minimo::builder().api_key("mn-acme-s3cret").base_url(server.base_url()).build()?;
    /// use minimo_ext::{FieldType, NewCustomField};
    /// minimo.custom_fields().create(NewCustomField::new("plan", "Plan", FieldType::Text)).await?;
    /// assert_eq!(minimo.custom_fields().list().await?[0].key, "PLAN");
    /// # Ok(()) }
    /// ```
    pub fn custom_fields(&self) -> CustomFields<'_> {
        CustomFields { client: self }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_round_trip_through_the_generated_enum() {
        for name in [
            "text", "number", "boolean", "date", "datetime", "select", "json",
        ] {
            let parsed = FieldType::parse(name);
            assert!(!matches!(parsed, FieldType::Other(_)), "{name}");
            assert_eq!(parsed.to_string(), name);
        }
        assert_eq!(FieldType::parse("Text"), FieldType::Other("Text".into()));
        let refused = NewCustomField::new("x", "X", FieldType::Other("geo".into()))
            .to_wire()
            .err();
        assert_eq!(refused.as_ref().and_then(Error::field), Some("type"));
    }

    #[test]
    fn only_select_fields_take_options_and_every_field_needs_a_label() {
        let options = NewCustomField::new("x", "X", FieldType::Text)
            .options(["a"])
            .to_wire()
            .err();
        assert_eq!(options.as_ref().and_then(Error::field), Some("options"));
        let label = NewCustomField::new("x", " ", FieldType::Text)
            .to_wire()
            .err();
        assert_eq!(label.as_ref().and_then(Error::field), Some("displayName"));
        let key = NewCustomField::new("a key", "X", FieldType::Text)
            .to_wire()
            .err();
        assert_eq!(key.as_ref().and_then(Error::field), Some("key"));
        let wire = NewCustomField::new("plan_tier", "Plan", FieldType::Select)
            .options(["a"])
            .to_wire()
            .ok();
        assert_eq!(
            wire.map(|w| w.key.to_string()).as_deref(),
            Some("PLAN_TIER")
        );
    }
}
