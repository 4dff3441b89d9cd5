//! `Minimo::change_email` against minimo-fake: every branch of the flow its doc comment
//! describes, faults in the middle, and the two delete races (before the update: restored by
//! it; after the update: the confirmation fails with NotFound), produced deterministically.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use common::{COMPANY, KEY, client, fake, statuses};
use minimo_ext::{ContactId, EmailChange, EmailChangePlan, ErrorKind};
use minimo_fake::{ApiKey, ContactSeed, FakeServer, Fault, Faults, MarketingConsent};
use serde_json::json;

fn rich_jane() -> ContactSeed {
    ContactSeed::email("jane@example.com")
        .phone("+393391234567")
        .custom_field("PLAN", "pro")
        .custom_field("PREFS", json!({"lang": "it", "news": true}))
        .consent(MarketingConsent {
            email: Some(true),
            whatsapp: Some(false),
        })
}

/// How long the fake holds the request during which a test deletes the contact: the delete
/// is made as soon as the held request is seen, so this only has to outlast one delete on a
/// loaded machine.
const HOLD: Duration = Duration::from_secs(5);

/// Waits until `done` holds (polling every 10 ms, at most 10 s).
async fn until(what: &str, done: impl Fn() -> bool) {
    common::until(what, Duration::from_secs(10), done).await;
}

#[tokio::test]
async fn change_email_changes_only_the_email() {
    let fake = fake().await;
    let jane = fake.store().insert_contact(COMPANY, rich_jane());
    let minimo = client(&fake.base_url());
    let outcome = minimo
        .change_email("jane@example.com", "jane.doe@example.com")
        .await
        .unwrap();
    assert_eq!(
        outcome,
        EmailChange::Changed {
            id: ContactId::new(jane.id)
        }
    );
    assert_eq!(outcome.id().get(), jane.id);
    let stored = fake.store().contact(jane.id).unwrap();
    assert_eq!(stored.email.as_deref(), Some("jane.doe@example.com"));
    assert_eq!(stored.phone, jane.phone);
    assert_eq!(stored.custom_fields, jane.custom_fields);
    assert_eq!(stored.marketing_consent, jane.marketing_consent);
    assert!(!stored.deleted);
    assert_eq!(fake.store().contacts(COMPANY).len(), 1);
    assert_eq!(statuses(&fake, "updateContactById"), [Some(200)]);
    assert_eq!(
        statuses(&fake, "getContactByEmail"),
        [Some(200), Some(404), Some(200)],
        "look up old, look up new, confirm"
    );
    assert!(fake.journal().for_operation("upsertContact").is_empty());
}

#[tokio::test]
async fn change_email_when_the_old_email_is_on_no_contact_is_not_found() {
    let fake = fake().await;
    // A soft-deleted contact with the old email does not count.
    fake.store()
        .insert_contact(COMPANY, ContactSeed::email("jane@example.com").deleted());
    let minimo = client(&fake.base_url());
    let error = minimo
        .change_email("jane@example.com", "jane.doe@example.com")
        .await
        .expect_err("not found");
    assert_eq!(error.kind(), ErrorKind::NotFound, "{error:?}");
    assert!(fake.journal().for_operation("updateContactById").is_empty());
    assert!(fake.store().contacts(COMPANY)[0].deleted);
}

#[tokio::test]
async fn change_email_to_an_email_another_live_contact_has_is_a_conflict_and_changes_nothing() {
    let fake = fake().await;
    let jane = fake.store().insert_contact(COMPANY, rich_jane());
    let other = fake
        .store()
        .insert_contact(COMPANY, ContactSeed::email("Jane.Doe@example.com"));
    let minimo = client(&fake.base_url());
    let error = minimo
        .change_email("jane@example.com", "jane.doe@example.com")
        .await
        .expect_err("conflict");
    assert_eq!(error.kind(), ErrorKind::Conflict, "{error:?}");
    assert!(error.message().contains(&other.id.to_string()), "{error}");
    assert!(error.message().contains("nothing was changed"), "{error}");
    assert!(fake.journal().for_operation("updateContactById").is_empty());
    assert_eq!(fake.store().contact(jane.id).unwrap(), jane);
    assert_eq!(fake.store().contact(other.id).unwrap(), other);
}

#[tokio::test]
async fn change_email_to_an_email_only_a_deleted_contact_has_changes_it() {
    let fake = fake().await;
    let jane = fake.store().insert_contact(COMPANY, rich_jane());
    fake.store().insert_contact(
        COMPANY,
        ContactSeed::email("jane.doe@example.com").deleted(),
    );
    let minimo = client(&fake.base_url());
    let outcome = minimo
        .change_email("jane@example.com", "jane.doe@example.com")
        .await
        .unwrap();
    assert_eq!(outcome.id().get(), jane.id);
    assert!(matches!(outcome, EmailChange::Changed { .. }));
    assert_eq!(
        fake.store().contact(jane.id).unwrap().email.as_deref(),
        Some("jane.doe@example.com")
    );
}

#[tokio::test]
async fn change_email_run_again_after_success_is_already_applied() {
    let fake = fake().await;
    let jane = fake.store().insert_contact(COMPANY, rich_jane());
    let minimo = client(&fake.base_url());
    let first = minimo
        .change_email("jane@example.com", "jane.doe@example.com")
        .await
        .unwrap();
    assert!(matches!(first, EmailChange::Changed { .. }));
    let before = fake.store().contact(jane.id).unwrap();
    let again = minimo
        .change_email("jane@example.com", "jane.doe@example.com")
        .await
        .unwrap();
    assert_eq!(
        again,
        EmailChange::AlreadyApplied {
            id: ContactId::new(jane.id)
        }
    );
    assert_eq!(fake.store().contact(jane.id).unwrap(), before);
    assert_eq!(
        fake.journal().for_operation("updateContactById").len(),
        1,
        "the re-run sent no update"
    );
}

#[tokio::test]
async fn change_email_survives_a_dropped_connection_on_the_update() {
    let fake = fake().await;
    let jane = fake.store().insert_contact(COMPANY, rich_jane());
    fake.faults()
        .push(Fault::drop_connection("updateContactById"));
    let minimo = client(&fake.base_url());
    let outcome = minimo
        .change_email("jane@example.com", "jane.doe@example.com")
        .await
        .unwrap();
    assert!(matches!(outcome, EmailChange::Changed { id } if id.get() == jane.id));
    assert_eq!(statuses(&fake, "updateContactById"), [None, Some(200)]);
    let stored = fake.store().contact(jane.id).unwrap();
    assert_eq!(stored.email.as_deref(), Some("jane.doe@example.com"));
    assert_eq!(stored.custom_fields, jane.custom_fields);
}

#[tokio::test]
async fn change_email_survives_a_503_on_the_update_and_on_a_look_up() {
    let fake = fake().await;
    let jane = fake.store().insert_contact(COMPANY, rich_jane());
    fake.faults()
        .push(Fault::status("updateContactById", 503))
        .push(Fault::status("getContactByEmail", 503));
    let minimo = client(&fake.base_url());
    let outcome = minimo
        .change_email("jane@example.com", "jane.doe@example.com")
        .await
        .unwrap();
    assert!(matches!(outcome, EmailChange::Changed { id } if id.get() == jane.id));
    assert_eq!(statuses(&fake, "updateContactById"), [Some(503), Some(200)]);
    assert_eq!(
        fake.store().contact(jane.id).unwrap().email.as_deref(),
        Some("jane.doe@example.com")
    );
}

#[tokio::test]
async fn a_contact_deleted_between_the_look_up_and_the_update_is_restored_by_the_update() {
    let fake = fake().await;
    let jane = fake.store().insert_contact(COMPANY, rich_jane());
    // The update is held 5 s on the server before being handled; as soon as the fake has
    // taken that fault (the update arrived), another client deletes the contact over HTTP.
    fake.faults()
        .push(Fault::latency("updateContactById", HOLD));
    let minimo = client(&fake.base_url());
    let flow = tokio::spawn({
        let minimo = minimo.clone();
        async move {
            minimo
                .change_email("jane@example.com", "jane.doe@example.com")
                .await
        }
    });
    until("the update reached the server", || {
        fake.faults().pending().is_empty()
    })
    .await;
    let other = client(&fake.base_url());
    other.delete(ContactId::new(jane.id)).await.unwrap();
    assert!(fake.store().contact(jane.id).unwrap().deleted);
    assert!(
        fake.journal().for_operation("updateContactById").is_empty(),
        "the delete landed while the update was held"
    );
    let outcome = flow.await.unwrap().unwrap();
    assert_eq!(
        outcome,
        EmailChange::Changed {
            id: ContactId::new(jane.id)
        }
    );
    let stored = fake.store().contact(jane.id).unwrap();
    assert!(!stored.deleted, "the update restored the contact");
    assert_eq!(stored.email.as_deref(), Some("jane.doe@example.com"));
    assert_eq!(stored.custom_fields, jane.custom_fields);
    let order: Vec<_> = fake
        .journal()
        .entries()
        .iter()
        .filter_map(|e| e.operation.clone())
        .collect();
    assert_eq!(
        order,
        [
            "getContactByEmail",
            "getContactByEmail",
            "deleteContact",
            "updateContactById",
            "getContactByEmail"
        ]
    );
}

#[tokio::test]
async fn a_contact_deleted_after_the_update_fails_the_confirmation_with_not_found() {
    // When the fake journals the successful update, it queues a 5 s latency for the next
    // look-up (the confirmation); as soon as the confirmation has taken it, the test deletes
    // the contact over HTTP.
    let faults: Arc<OnceLock<Faults>> = Arc::new(OnceLock::new());
    let hook_faults = faults.clone();
    let queued = Arc::new(AtomicBool::new(false));
    let hook_queued = queued.clone();
    let fake: FakeServer = FakeServer::builder()
        .key(ApiKey::new(KEY).company(COMPANY))
        .on_request(move |entry| {
            if entry.operation.as_deref() == Some("updateContactById")
                && entry.status == Some(200)
                && let Some(faults) = hook_faults.get()
            {
                faults.push(Fault::latency("getContactByEmail", HOLD));
                hook_queued.store(true, Ordering::SeqCst);
            }
        })
        .start()
        .await
        .unwrap();
    faults.set(fake.faults().clone()).unwrap();
    let jane = fake.store().insert_contact(COMPANY, rich_jane());
    let minimo = client(&fake.base_url());
    let flow = tokio::spawn({
        let minimo = minimo.clone();
        async move {
            minimo
                .change_email("jane@example.com", "jane.doe@example.com")
                .await
        }
    });
    // Queued, then taken: only the confirmation look-up comes after the update.
    until("the confirmation reached the server", || {
        queued.load(Ordering::SeqCst) && fake.faults().pending().is_empty()
    })
    .await;
    client(&fake.base_url())
        .delete(ContactId::new(jane.id))
        .await
        .unwrap();
    // The held confirmation is journaled only once answered.
    assert!(
        fake.journal()
            .for_operation("getContactByEmail")
            .iter()
            .all(|e| e.fault.is_none()),
        "the delete landed while the confirmation was held"
    );
    let error = flow.await.unwrap().expect_err("the confirmation fails");
    assert_eq!(error.kind(), ErrorKind::NotFound, "{error:?}");
    assert!(
        error
            .message()
            .contains(&format!("contact {} was updated", jane.id)),
        "{error}"
    );
    let stored = fake.store().contact(jane.id).unwrap();
    assert!(stored.deleted);
    assert_eq!(stored.email.as_deref(), Some("jane.doe@example.com"));
}

#[tokio::test]
async fn change_email_that_differs_only_in_case_updates_the_spelling_once() {
    let fake = fake().await;
    let jane = fake.store().insert_contact(COMPANY, rich_jane());
    let minimo = client(&fake.base_url());
    let outcome = minimo
        .change_email("jane@example.com", "Jane@Example.com")
        .await
        .unwrap();
    assert_eq!(
        outcome,
        EmailChange::Changed {
            id: ContactId::new(jane.id)
        }
    );
    let stored = fake.store().contact(jane.id).unwrap();
    assert_eq!(stored.email.as_deref(), Some("Jane@Example.com"));
    let again = minimo
        .change_email("jane@example.com", "Jane@Example.com")
        .await
        .unwrap();
    assert_eq!(
        again,
        EmailChange::AlreadyApplied {
            id: ContactId::new(jane.id)
        }
    );
    assert_eq!(statuses(&fake, "updateContactById"), [Some(200)]);
}

#[tokio::test]
async fn change_email_from_an_email_that_never_existed_to_a_taken_one_reports_the_holder() {
    // Documented: with no history, a typo in `old` while `new` exists reads as already applied;
    // the id tells the caller which contact holds the new email.
    let fake = fake().await;
    let holder = fake
        .store()
        .insert_contact(COMPANY, ContactSeed::email("jane.doe@example.com"));
    let minimo = client(&fake.base_url());
    let outcome = minimo
        .change_email("jnae@example.com", "jane.doe@example.com")
        .await
        .unwrap();
    assert_eq!(
        outcome,
        EmailChange::AlreadyApplied {
            id: ContactId::new(holder.id)
        }
    );
    assert!(fake.journal().for_operation("updateContactById").is_empty());
}

#[tokio::test]
async fn planning_a_change_looks_up_both_emails_and_writes_nothing() {
    let fake = fake().await;
    let jane = fake.store().insert_contact(COMPANY, rich_jane());
    let john = fake
        .store()
        .insert_contact(COMPANY, ContactSeed::email("john@example.com"));
    let minimo = client(&fake.base_url());
    let (jane_id, john_id) = (ContactId::new(jane.id), ContactId::new(john.id));
    let plan = |old: &'static str, new: &'static str| {
        let minimo = minimo.clone();
        async move { minimo.plan_email_change(old, new).await.unwrap() }
    };
    match plan("jane@example.com", " jane.doe@example.com ").await {
        EmailChangePlan::Change { contact, new } => {
            assert_eq!(
                (contact.id, new.as_str()),
                (jane_id, "jane.doe@example.com")
            );
        }
        other => panic!("{other:?}"),
    }
    match plan("jane@example.com", "JANE@example.com").await {
        EmailChangePlan::Change { contact, new } => {
            assert_eq!((contact.id, new.as_str()), (jane_id, "JANE@example.com"));
        }
        other => panic!("a change of case is a change: {other:?}"),
    }
    assert_eq!(
        plan("jane@example.com", "john@example.com").await,
        EmailChangePlan::Conflict {
            contact: minimo
                .get_by_email("jane@example.com")
                .await
                .unwrap()
                .unwrap(),
            holder: john_id,
        }
    );
    assert_eq!(
        plan("gone@example.com", "john@example.com").await,
        EmailChangePlan::AlreadyApplied { id: john_id }
    );
    assert_eq!(
        plan("jane@example.com", "jane@example.com").await,
        EmailChangePlan::AlreadyApplied { id: jane_id }
    );
    assert_eq!(
        plan("gone@example.com", "nobody@example.com").await,
        EmailChangePlan::NotFound
    );
    let refused = minimo.plan_email_change("jane@example.com", "jane@").await;
    assert!(refused.is_err_and(|e| e.kind() == ErrorKind::InvalidInput));
    assert_eq!(
        fake.journal().len(),
        13,
        "two look-ups a plan, one for the conflict check"
    );
    assert!(fake.journal().for_operation("updateContactById").is_empty());
    assert_eq!(fake.store().contact(jane.id).unwrap().email, jane.email);
}
