//! Custom field definitions: listing, creating, and the typed set-up of [`Minimo::ensure_custom_fields`](crate::Minimo::ensure_custom_fields).

use crate::error::{Error, ErrorKind};
use crate::validate;
use minimo_api::types;
use std::fmt;

/// The type of a custom field's value. Open: a type this version does not know is kept as
/// [`FieldType::Other`].
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
    /// The type as the API spells it.
    pub fn as_str(&self) -> &str {
        match self {
            FieldType::Text => "text",
            FieldType::Number => "number",
            FieldType::Boolean => "boolean",
            FieldType::Date => "date",
            FieldType::Datetime => "datetime",
            FieldType::Select => "select",
            FieldType::Json => "json",
            FieldType::Other(other) => other,
        }
    }

    fn parse(text: &str) -> FieldType {
        match text {
            "text" => FieldType::Text,
            "number" => FieldType::Number,
            "boolean" => FieldType::Boolean,
            "date" => FieldType::Date,
            "datetime" => FieldType::Datetime,
            "select" => FieldType::Select,
            "json" => FieldType::Json,
            other => FieldType::Other(other.to_owned()),
        }
    }

    fn to_wire(&self) -> Result<types::CustomFieldType, Error> {
        Ok(match self {
            FieldType::Text => types::CustomFieldType::Text,
            FieldType::Number => types::CustomFieldType::Number,
            FieldType::Boolean => types::CustomFieldType::Boolean,
            FieldType::Date => types::CustomFieldType::Date,
            FieldType::Datetime => types::CustomFieldType::Datetime,
            FieldType::Select => types::CustomFieldType::Select,
            FieldType::Json => types::CustomFieldType::Json,
            FieldType::Other(other) => {
                return Err(Error::invalid_input(format!(
                    "custom field type `{other}` cannot be created"
                )));
            }
        })
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
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
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
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

    pub(crate) fn to_wire(&self) -> Result<types::CustomFieldCreate, Error> {
        let key = validate::custom_field_key(&self.key)?;
        if self.label.trim().is_empty() {
            return Err(Error::invalid_input(format!(
                "custom field `{key}` needs a label"
            )));
        }
        if !self.options.is_empty() && self.field_type != FieldType::Select {
            return Err(Error::invalid_input(format!(
                "custom field `{key}`: only select fields take options"
            )));
        }
        let invalid = |e: String| Error::invalid_input(format!("custom field `{key}`: {e}"));
        Ok(types::CustomFieldCreate {
            key: key
                .parse()
                .map_err(|e: types::error::ConversionError| invalid(e.to_string()))?,
            display_name: self
                .label
                .parse()
                .map_err(|e: types::error::ConversionError| invalid(e.to_string()))?,
            type_: self.field_type.to_wire()?,
            category: self.category.clone(),
            options: self.options.clone(),
        })
    }
}

/// Custom field operations, from [`Minimo::custom_fields`](crate::Minimo::custom_fields).
#[derive(Debug, Clone, Copy)]
pub struct CustomFields<'a> {
    pub(crate) client: &'a crate::Minimo,
}

impl CustomFields<'_> {
    /// Every custom field of the account, in the order the server lists them.
    pub async fn list(&self) -> Result<Vec<CustomField>, Error> {
        let list = self
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
    pub async fn list_grouped(&self) -> Result<Vec<CustomFieldGroup>, Error> {
        let request = self
            .client
            .api()
            .list_custom_fields()
            .group_by(types::CustomFieldGroupBy::Category);
        match self.client.call(request.send()).await?.into_body() {
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

    /// Creates a custom field. A key that exists already is a [`ErrorKind::Conflict`].
    pub async fn create(&self, field: NewCustomField) -> Result<CustomField, Error> {
        let body = field.to_wire()?;
        let created = self
            .client
            .call(self.client.api().create_custom_field().body(body).send())
            .await?;
        Ok(CustomField::from(created.data))
    }
}
