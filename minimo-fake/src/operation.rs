//! The spec's operations: their ids (as the journal, the statistics and the fault matchers
//! name them) and the permission each needs.

use crate::auth::Permission;

/// The operation ids of the spec, as the journal and the fault matchers name them.
pub const OPERATION_IDS: [&str; 6] = [
    Op::Upsert.id(),
    Op::GetByEmail.id(),
    Op::Update.id(),
    Op::Delete.id(),
    Op::ListFields.id(),
    Op::CreateField.id(),
];

/// One operation of the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Upsert,
    GetByEmail,
    Update,
    Delete,
    ListFields,
    CreateField,
}

impl Op {
    /// The spec's `operationId`.
    pub(crate) const fn id(self) -> &'static str {
        match self {
            Op::Upsert => "upsertContact",
            Op::GetByEmail => "getContactByEmail",
            Op::Update => "updateContactById",
            Op::Delete => "deleteContact",
            Op::ListFields => "listCustomFields",
            Op::CreateField => "createCustomField",
        }
    }

    /// The permission a key needs to call it.
    pub(crate) fn permission(self) -> Permission {
        match self {
            Op::GetByEmail => Permission::ReadContacts,
            Op::Upsert | Op::Update | Op::Delete => Permission::WriteContacts,
            Op::ListFields => Permission::ReadCustomFields,
            Op::CreateField => Permission::WriteCustomFields,
        }
    }
}
