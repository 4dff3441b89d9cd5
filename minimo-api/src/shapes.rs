//! Accessors over the response shapes the vendor documents in more than one form.
//!
//! The docs show get-by-email's contact both wrapped in `data` and bare, the custom-field list
//! wrapped and bare, flat and grouped, and the custom-field label as `displayName` and as the
//! older `display_name`. The generated types accept every form; these accessors give callers
//! one answer without matching on the variants.

use crate::types::{
    Contact, ContactLookup, CustomField, CustomFieldList, CustomFieldListBody,
    CustomFieldListEnvelope,
};

impl ContactLookup {
    /// The contact, whichever shape the server answered with.
    pub fn into_contact(self) -> Contact {
        match self {
            ContactLookup::Variant0(envelope) => envelope.data,
            ContactLookup::Variant1(contact) => contact,
        }
    }
}

impl CustomFieldListBody {
    /// Every field, flattened out of the category groups if the list was grouped.
    pub fn into_fields(self) -> Vec<CustomField> {
        match self {
            CustomFieldListBody::Array(fields) => fields,
            CustomFieldListBody::CustomFieldGroups(groups) => {
                groups.groups.into_iter().flat_map(|g| g.fields).collect()
            }
        }
    }
}

impl CustomFieldList {
    /// The list body, whether or not the server wrapped it in `data`.
    pub fn into_body(self) -> CustomFieldListBody {
        match self {
            CustomFieldList::Envelope(CustomFieldListEnvelope { data }) => data,
            CustomFieldList::Body(body) => body,
        }
    }

    /// Every field, whether the list was wrapped, bare, flat or grouped.
    pub fn into_fields(self) -> Vec<CustomField> {
        self.into_body().into_fields()
    }
}

impl CustomField {
    /// The human-readable label: `displayName`, else the older pages' `display_name`.
    pub fn label(&self) -> Option<&str> {
        self.display_name
            .as_deref()
            .or_else(|| self.extra.get("display_name").and_then(|v| v.as_str()))
    }
}
