//! [`Minimo::change_email`]: the safe way to move a contact to a new email.

use crate::client::Minimo;
use crate::contact::{Contact, ContactId, ContactPatch};
use crate::error::{Error, ErrorKind, Result};
use crate::validate;

/// The outcome of [`Minimo::change_email`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailChange {
    /// The contact's email was changed.
    Changed {
        /// The contact.
        id: ContactId,
    },
    /// The old email is on no live contact and the new one is: a change already made (by an
    /// earlier run, for instance). Nothing was sent. The API keeps no history, so this is also
    /// the answer when `old` never existed (a typo) and another contact has `new`: compare
    /// `id` with the contact you meant when that matters.
    AlreadyApplied {
        /// The contact that has the new email.
        id: ContactId,
    },
}

impl EmailChange {
    /// The contact, whichever the outcome.
    pub fn id(self) -> ContactId {
        match self {
            EmailChange::Changed { id } | EmailChange::AlreadyApplied { id } => id,
        }
    }
}

/// What [`Minimo::change_email`] would do, decided from its two look-ups: the plan of
/// [`Minimo::plan_email_change`], for a dry run or a confirmation prompt.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum EmailChangePlan {
    /// The contact that has the old email would get the new one (when the two differ only in
    /// case, its spelling would be fixed).
    Change {
        /// The contact, as the look-up of the old email found it.
        contact: Contact,
        /// The new email, as it would be sent (trimmed).
        new: String,
    },
    /// Nothing to do: this contact already has the new email (see
    /// [`EmailChange::AlreadyApplied`]).
    AlreadyApplied {
        /// The contact that has the new email.
        id: ContactId,
    },
    /// The new email is on another live contact: the change would fail with
    /// [`ErrorKind::Conflict`].
    Conflict {
        /// The contact that has the old email.
        contact: Contact,
        /// The contact that has the new one.
        holder: ContactId,
    },
    /// Neither email is on a live contact: the change would fail with
    /// [`ErrorKind::NotFound`].
    NotFound,
}

impl Minimo {
    /// The look-ups of [`change_email`](Self::change_email) and the decision it would take,
    /// with nothing changed: the same checks of both emails, the same two requests.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let server = minimo_fake::FakeServer::builder().api_key("mn-acme-s3cret").start().await?;
    /// # let minimo = minimo_ext::Minimo::builder().api_key("mn-acme-s3cret").base_url(server.base_url()).build()?;
    /// use minimo_ext::{ContactInput, EmailChangePlan};
    /// let jane = minimo.upsert(ContactInput::with_email("jane@example.com")).await?;
    /// let john = minimo.upsert(ContactInput::with_email("john@example.com")).await?;
    /// match minimo.plan_email_change("jane@example.com", "john@example.com").await? {
    ///     EmailChangePlan::Conflict { contact, holder } => {
    ///         assert_eq!((contact.id, holder), (jane, john));
    ///     }
    ///     other => panic!("expected a conflict, not {other:?}"),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn plan_email_change(&self, old: &str, new: &str) -> Result<EmailChangePlan> {
        let old = validate::email_for_lookup("old email", old)?;
        let new = validate::email_for_write("new email", new)?;
        let (current, taken) = (
            self.get_by_email(&old).await?,
            self.get_by_email(&new).await?,
        );
        Ok(match (current, taken) {
            // The same contact (the emails differ only in case): done if it already has the
            // new spelling, else the update fixes the case.
            (Some(current), Some(taken)) if current.id == taken.id => {
                if current.email() == Some(new.as_str()) {
                    EmailChangePlan::AlreadyApplied { id: current.id }
                } else {
                    EmailChangePlan::Change {
                        contact: current,
                        new,
                    }
                }
            }
            (Some(current), Some(taken)) => EmailChangePlan::Conflict {
                contact: current,
                holder: taken.id,
            },
            (None, Some(taken)) => EmailChangePlan::AlreadyApplied { id: taken.id },
            (None, None) => EmailChangePlan::NotFound,
            (Some(current), None) => EmailChangePlan::Change {
                contact: current,
                new,
            },
        })
    }

    /// Changes a contact's email from `old` to `new`, safely:
    ///
    /// 1. looks up `old` and `new` (the plan of [`plan_email_change`](Self::plan_email_change));
    /// 2. if `new` is on another live contact: [`ErrorKind::Conflict`], nothing changed;
    /// 3. if `old` is on no live contact but `new` is: [`EmailChange::AlreadyApplied`] (so a
    ///    re-run after success succeeds); if neither is: [`ErrorKind::NotFound`];
    /// 4. updates the contact by id, sending only the email (custom fields, phone and consent
    ///    are untouched);
    /// 5. confirms that `new` now finds that contact, else an error says what it found.
    ///
    /// `old` is checked as a look-up is (any address a contact can hold, so one created with
    /// an unusual address can be fixed); `new` as a write is. Each step is retried by the
    /// runtime on transient failures (the update is idempotent). The API has no conditional
    /// update: a contact soft-deleted between steps 1 and 4 is restored by step 4, as any
    /// update-by-id restores it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let server = minimo_fake::FakeServer::builder().api_key("mn-acme-s3cret").start().await?;
    /// # let minimo = minimo_ext::Minimo::builder().api_key("mn-acme-s3cret").base_url(server.base_url()).build()?;
    /// use minimo_ext::{ContactInput, EmailChange};
    /// let id = minimo.upsert(ContactInput::with_email("jane@example.com")).await?;
    /// let changed = minimo.change_email("jane@example.com", "jane.doe@example.com").await?;
    /// assert_eq!(changed, EmailChange::Changed { id });
    /// // Running it again finds the change already made.
    /// let again = minimo.change_email("jane@example.com", "jane.doe@example.com").await?;
    /// assert_eq!(again, EmailChange::AlreadyApplied { id });
    /// # Ok(()) }
    /// ```
    pub async fn change_email(&self, old: &str, new: &str) -> Result<EmailChange> {
        let (contact, new) = match self.plan_email_change(old, new).await? {
            EmailChangePlan::Change { contact, new } => (contact, new),
            EmailChangePlan::AlreadyApplied { id } => {
                return Ok(EmailChange::AlreadyApplied { id });
            }
            EmailChangePlan::Conflict { holder, .. } => {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    format!(
                        "the new email is already used by contact {holder}; nothing was changed"
                    ),
                ));
            }
            EmailChangePlan::NotFound => {
                return Err(Error::new(
                    ErrorKind::NotFound,
                    "no live contact has the old email",
                ));
            }
        };
        self.update(contact.id, ContactPatch::new().email(new.clone()))
            .await?;
        match self.get_by_email(&new).await? {
            Some(confirmed) if confirmed.id == contact.id => {
                Ok(EmailChange::Changed { id: contact.id })
            }
            Some(other) => Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "after the update the new email finds contact {}, not {}",
                    other.id, contact.id
                ),
            )),
            None => Err(Error::new(
                ErrorKind::NotFound,
                format!(
                    "contact {} was updated but the new email does not find it (deleted meanwhile?)",
                    contact.id
                ),
            )),
        }
    }
}
