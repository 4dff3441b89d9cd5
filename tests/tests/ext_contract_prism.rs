//! The contract, end to end: every minimo-ext operation driven through Prism's validating
//! proxy (`prism proxy --errors`) in front of minimo-fake. Each test asserts the values
//! returned, the fake's stored state, and that Prism reported no violation for any exchange:
//! a request or response violation is logged by Prism (`Violation: ...`, or
//! `Request terminated with error` when it answers a violation itself), and every exchange
//! must have reached the fake and come back (`Received forward response`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{
    COMPANY, LIMITED_KEY, READ_ONLY_KEY, UNKNOWN_KEY, client, client_with_key, fake, fast_policy,
    statuses,
};
use minimo_ext::{
    ContactId, ContactInput, ContactPatch, EmailChange, ErrorCode, ErrorKind, FieldType,
    MarketingConsent, Minimo, NewCustomField,
};
use minimo_fake::{ContactSeed, CustomFieldSeed, FakeServer, Fault};
use minimo_tests::prism::Prism;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

struct Contract {
    fake: FakeServer,
    prism: Prism,
}

impl Contract {
    async fn start() -> Contract {
        let fake = fake().await;
        let prism = Prism::proxy(&fake.base_url())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        Contract { fake, prism }
    }

    fn client(&self) -> Minimo {
        client(self.prism.base_url())
    }

    fn client_with_key(&self, key: &str) -> Minimo {
        client_with_key(self.prism.base_url(), key)
    }

    /// The exchanges Prism reported a violation for (see [`violating_exchanges`]), once its
    /// log covers every exchange the fake journaled; an error when it never does (an exchange
    /// did not go through Prism to the fake and back, or Prism went quiet).
    async fn violations(&self) -> Result<Vec<String>, String> {
        // Prism logs each exchange right after answering it: give the log time (up to 30 s on
        // a loaded machine; done as soon as every exchange is there).
        let expected = self.fake.journal().len();
        let mut output = self.prism.output();
        for _ in 0..1_500 {
            if output.matches("Received forward response").count() >= expected {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
            output = self.prism.output();
        }
        let forwarded = output.matches("Received forward response").count();
        if forwarded != expected {
            return Err(format!(
                "{forwarded} exchanges went through Prism to the fake and back, the fake \
                 journaled {expected} (Prism output:\n{output})"
            ));
        }
        Ok(violating_exchanges(&output))
    }

    /// Asserts that Prism saw no violation so far and that every exchange it handled was
    /// forwarded to the fake and answered (as many as the fake journaled).
    async fn assert_no_violation(&self, what: &str) {
        match self.violations().await {
            Ok(bad) => assert!(
                bad.is_empty(),
                "{what}: Prism reported violations:\n{}",
                bad.join("\n\n")
            ),
            Err(mismatch) => panic!("{what}: {mismatch}"),
        }
    }
}

/// Whether a line of Prism's log reports a violation or an error.
fn is_violation(line: &str) -> bool {
    line.contains("Violation")
        || line.contains("violation")
        || line.contains("terminated with error")
        || line.contains('✖')
        || line.contains('⚠')
}

/// Splits Prism's log into exchanges (each from its `[HTTP SERVER] <method> <path> ...
/// Request received` line to the next; the tests make one call at a time) and returns, for
/// each exchange with a violation, its lines: the request, the status the fake returned and
/// what Prism said about it. Lines before the first exchange form one more group.
fn violating_exchanges(output: &str) -> Vec<String> {
    let mut exchanges: Vec<Vec<&str>> = vec![Vec::new()];
    for line in output.lines() {
        if line.contains("Request received") {
            exchanges.push(Vec::new());
        }
        if let Some(exchange) = exchanges.last_mut() {
            exchange.push(line);
        }
    }
    exchanges
        .into_iter()
        .filter(|lines| lines.iter().any(|l| is_violation(l)))
        .map(|lines| lines.join("\n"))
        .collect()
}

#[derive(Serialize)]
struct Profile {
    plan: String,
    seats: u32,
    nickname: Option<String>,
    prefs: BTreeMap<String, serde_json::Value>,
}

#[derive(Deserialize, Debug, PartialEq)]
struct ProfileBack {
    #[serde(rename = "plan")]
    plan: String,
    seats: u32,
    #[serde(rename = "CITY")]
    city: Option<String>,
}

#[derive(JsonSchema)]
#[allow(dead_code)]
enum Tier {
    Free,
    Pro,
}

#[derive(JsonSchema)]
#[allow(dead_code)]
struct Declared {
    company: String,
    seats: u32,
    trial: bool,
    #[schemars(with = "String", extend("format" = "date"))]
    signup_date: String,
    #[schemars(with = "String", extend("format" = "date-time"))]
    last_seen: String,
    tier: Tier,
    preferences: BTreeMap<String, String>,
}

#[tokio::test]
async fn every_operation_conforms_through_prism() {
    let c = Contract::start().await;
    let minimo = c.client();
    let store = c.fake.store();

    // ----- upsert: create, then match by email, by phone; consent; custom fields -----
    let jane = minimo
        .upsert(
            ContactInput::with_email("jane@example.com")
                .phone("+393391234567")
                .custom_field("PLAN", "pro")
                .consent(MarketingConsent::unchanged().email(true)),
        )
        .await
        .unwrap();
    let stored = store.contact(jane.get()).unwrap();
    assert_eq!(stored.email.as_deref(), Some("jane@example.com"));
    assert_eq!(stored.phone.as_deref(), Some("+393391234567"));
    assert_eq!(stored.custom_fields["PLAN"], "pro");
    assert_eq!(stored.marketing_consent.email, Some(true));
    assert_eq!(stored.marketing_consent.whatsapp, None);

    let by_email = minimo
        .upsert(ContactInput::with_email("JANE@Example.com").custom_field("SEATS", 5))
        .await
        .unwrap();
    assert_eq!(by_email, jane, "matched by email, case-insensitively");
    let by_phone = minimo
        .upsert(
            ContactInput::with_phone("+393391234567")
                .custom_field("CITY", "Rome")
                .consent(MarketingConsent::unchanged().whatsapp(true)),
        )
        .await
        .unwrap();
    assert_eq!(by_phone, jane, "matched by phone");
    let stored = store.contact(jane.get()).unwrap();
    assert_eq!(
        serde_json::Value::Object(stored.custom_fields.clone()),
        json!({"PLAN": "pro", "SEATS": 5, "CITY": "Rome"}),
        "custom fields deep-merged"
    );
    assert_eq!(stored.marketing_consent.email, Some(true), "left unchanged");
    assert_eq!(stored.marketing_consent.whatsapp, Some(true));

    let profile = Profile {
        plan: "enterprise".to_owned(),
        seats: 12,
        nickname: None,
        prefs: BTreeMap::from([("lang".to_owned(), json!("it"))]),
    };
    let from_struct = minimo
        .upsert(ContactInput::with_email("jane@example.com").custom_fields_from(&profile))
        .await
        .unwrap();
    assert_eq!(from_struct, jane);
    // Values go out under the definition's key: uppercased.
    let merged = store.contact(jane.get()).unwrap().custom_fields;
    assert_eq!(merged["PLAN"], "enterprise");
    assert_eq!(merged["SEATS"], 12);
    assert_eq!(merged["PREFS"], json!({"lang": "it"}));
    assert!(!merged.contains_key("NICKNAME"), "None fields are left out");
    assert!(!merged.contains_key("plan"), "no lowercase duplicate");
    minimo
        .upsert(
            ContactInput::with_email("jane@example.com")
                .custom_field("prefs", json!({"news": true})),
        )
        .await
        .unwrap();
    assert_eq!(
        store.contact(jane.get()).unwrap().custom_fields["PREFS"],
        json!({"lang": "it", "news": true}),
        "nested objects merge"
    );

    let phone_only = minimo
        .upsert(ContactInput::with_phone("+12025551234").consent(MarketingConsent::opt_out_all()))
        .await
        .unwrap();
    assert_ne!(phone_only, jane);
    let stored = store.contact(phone_only.get()).unwrap();
    assert_eq!(stored.email, None);
    assert_eq!(stored.marketing_consent.email, Some(false));
    assert_eq!(stored.marketing_consent.whatsapp, Some(false));
    c.assert_no_violation("upserts").await;

    // ----- get_by_email -----
    let found = minimo
        .get_by_email("jane@example.com")
        .await
        .unwrap()
        .expect("jane exists");
    assert_eq!(found.id, jane);
    assert_eq!(found.email.as_deref(), Some("jane@example.com"));
    assert_eq!(found.phone.as_deref(), Some("+393391234567"));
    assert_eq!(found.status.as_deref(), Some("active"));
    assert_eq!(found.source.as_deref(), Some("API"));
    assert_eq!(found.company, Some(COMPANY));
    assert!(!found.deleted);
    // `plan` from the struct went out as PLAN, over the earlier "pro".
    assert_eq!(
        found.custom_field::<String>("PLAN").unwrap().unwrap(),
        "enterprise"
    );
    assert_eq!(
        found.custom_field::<String>("plan").unwrap().unwrap(),
        "enterprise",
        "reads accept either case"
    );
    assert!(found.custom_field::<u32>("PLAN").unwrap().is_err());
    assert!(found.custom_field::<String>("MISSING").is_none());
    assert_eq!(
        found.custom_fields_as::<ProfileBack>().unwrap(),
        ProfileBack {
            plan: "enterprise".to_owned(),
            seats: 12,
            city: Some("Rome".to_owned())
        }
    );
    assert_eq!(
        minimo
            .get_by_email("JANE@EXAMPLE.COM")
            .await
            .unwrap()
            .map(|c| c.id),
        Some(jane)
    );
    assert_eq!(
        minimo.get_by_email("nobody@example.com").await.unwrap(),
        None
    );
    for email in [
        "jane+tag@example.com",
        "a/b@example.com",
        "100%sure@example.com",
        "josé@exämple.it",
        "o'neil@example.com",
    ] {
        let id = minimo
            .upsert(ContactInput::with_email(email))
            .await
            .unwrap_or_else(|e| panic!("{email}: {e}"));
        let got = minimo
            .get_by_email(email)
            .await
            .unwrap_or_else(|e| panic!("{email}: {e}"));
        assert_eq!(got.map(|c| c.id), Some(id), "{email}");
        assert_eq!(
            store.contact(id.get()).unwrap().email.as_deref(),
            Some(email)
        );
    }
    c.assert_no_violation("look-ups").await;

    // ----- update: only what is sent changes -----
    let before = store.contact(jane.get()).unwrap();
    let updated = minimo
        .update(jane, ContactPatch::new().custom_field("SEATS", 10))
        .await
        .unwrap();
    assert_eq!(updated, jane);
    let after = store.contact(jane.get()).unwrap();
    assert_eq!(after.custom_fields["SEATS"], 10);
    assert_eq!(after.custom_fields["PLAN"], "enterprise");
    assert_eq!(after.email, before.email);
    assert_eq!(after.phone, before.phone);
    assert_eq!(after.marketing_consent, before.marketing_consent);
    minimo
        .update(
            jane,
            ContactPatch::new()
                .phone("+393391111111")
                .consent(MarketingConsent::unchanged().email(false)),
        )
        .await
        .unwrap();
    let after = store.contact(jane.get()).unwrap();
    assert_eq!(after.phone.as_deref(), Some("+393391111111"));
    assert_eq!(after.marketing_consent.email, Some(false));
    assert_eq!(after.marketing_consent.whatsapp, Some(true));
    assert_eq!(after.custom_fields["SEATS"], 10);

    // ----- delete (twice), soft-deleted look-up, restore by update -----
    minimo.delete(jane).await.unwrap();
    assert!(store.contact(jane.get()).unwrap().deleted);
    minimo.delete(jane).await.unwrap();
    assert!(store.contact(jane.get()).unwrap().deleted);
    assert_eq!(minimo.get_by_email("jane@example.com").await.unwrap(), None);
    minimo
        .update(jane, ContactPatch::new().custom_field("RESTORED", true))
        .await
        .unwrap();
    let restored = store.contact(jane.get()).unwrap();
    assert!(!restored.deleted);
    assert_eq!(restored.custom_fields["RESTORED"], true);
    assert_eq!(
        minimo
            .get_by_email("jane@example.com")
            .await
            .unwrap()
            .map(|c| c.id),
        Some(jane)
    );
    c.assert_no_violation("updates and deletes").await;

    // ----- change_email -----
    let changed = minimo
        .change_email("jane@example.com", "jane.doe@example.com")
        .await
        .unwrap();
    assert_eq!(changed, EmailChange::Changed { id: jane });
    let after_change = store.contact(jane.get()).unwrap();
    assert_eq!(after_change.email.as_deref(), Some("jane.doe@example.com"));
    assert_eq!(after_change.custom_fields, restored.custom_fields);
    assert_eq!(after_change.phone, restored.phone);
    assert_eq!(after_change.marketing_consent, restored.marketing_consent);
    assert_eq!(
        minimo
            .change_email("jane@example.com", "jane.doe@example.com")
            .await
            .unwrap(),
        EmailChange::AlreadyApplied { id: jane }
    );

    // ----- custom fields: create, list, list grouped, ensure -----
    let fields = minimo.custom_fields();
    let lead = fields
        .create(
            NewCustomField::new("lead_source", "Lead source", FieldType::Select)
                .category("Lead Data")
                .options(["Website", "Referral"]),
        )
        .await
        .unwrap();
    assert_eq!(lead.key, "LEAD_SOURCE");
    assert_eq!(lead.options, ["Website", "Referral"]);
    let score = fields
        .create(NewCustomField::new("score", "Score", FieldType::Number))
        .await
        .unwrap();
    assert_eq!(fields.list().await.unwrap(), [lead.clone(), score.clone()]);
    let grouped = fields.list_grouped().await.unwrap();
    assert_eq!(grouped.len(), 2);
    assert_eq!(grouped[0].category, "Lead Data");
    assert_eq!(grouped[0].fields, std::slice::from_ref(&lead));
    assert_eq!(grouped[1].category, "uncategorized");
    assert_eq!(grouped[1].fields, std::slice::from_ref(&score));
    let report = minimo.ensure_custom_fields::<Declared>().await.unwrap();
    assert_eq!(
        report.created,
        [
            "COMPANY",
            "SEATS",
            "TRIAL",
            "SIGNUP_DATE",
            "LAST_SEEN",
            "TIER",
            "PREFERENCES"
        ]
    );
    let again = minimo.ensure_custom_fields::<Declared>().await.unwrap();
    assert!(again.created.is_empty());
    assert_eq!(again.unchanged, report.created);
    let types: Vec<String> = store
        .custom_fields(COMPANY)
        .into_iter()
        .map(|f| format!("{}:{}", f.key, f.field_type))
        .collect();
    assert_eq!(
        types,
        [
            "LEAD_SOURCE:select",
            "SCORE:number",
            "COMPANY:text",
            "SEATS:number",
            "TRIAL:boolean",
            "SIGNUP_DATE:date",
            "LAST_SEEN:datetime",
            "TIER:select",
            "PREFERENCES:json"
        ]
    );
    c.assert_no_violation("change_email and custom fields")
        .await;
}

#[tokio::test]
async fn error_paths_conform_through_prism() {
    let c = Contract::start().await;
    let minimo = c.client();
    let store = c.fake.store();
    let journal = c.fake.journal();
    let jane = store.insert_contact(COMPANY, ContactSeed::email("jane@example.com"));
    let other = store.insert_contact(COMPANY, ContactSeed::email("other@example.com"));
    store
        .insert_custom_field(COMPANY, CustomFieldSeed::new("PLAN", "Plan", "text"))
        .unwrap();

    // 401: a key the server does not know.
    let wrong = c.client_with_key(UNKNOWN_KEY);
    let check = |error: minimo_ext::Error| {
        assert_eq!(error.kind(), ErrorKind::Unauthorized, "{error:?}");
        assert_eq!(error.status(), Some(401));
        assert_eq!(error.code(), Some(&ErrorCode::Unauthorized));
        assert_eq!(
            error.request_id(),
            Some(journal.last().unwrap().request_id.as_str()),
            "the x-request-id came through Prism"
        );
    };
    check(
        wrong
            .get_by_email("jane@example.com")
            .await
            .expect_err("401"),
    );
    check(
        wrong
            .upsert(ContactInput::with_email("new@example.com"))
            .await
            .expect_err("401"),
    );
    check(wrong.custom_fields().list().await.expect_err("401"));

    // 403: a read-only key writing.
    let reader = c.client_with_key(READ_ONLY_KEY);
    let error = reader
        .upsert(ContactInput::with_email("new@example.com"))
        .await
        .expect_err("403");
    assert_eq!(error.kind(), ErrorKind::Forbidden, "{error:?}");
    assert_eq!(error.code(), Some(&ErrorCode::Forbidden));
    let error = reader
        .custom_fields()
        .create(NewCustomField::new("X", "X", FieldType::Text))
        .await
        .expect_err("403");
    assert_eq!(error.kind(), ErrorKind::Forbidden, "{error:?}");
    assert_eq!(
        reader
            .get_by_email("jane@example.com")
            .await
            .unwrap()
            .map(|c| c.id.get()),
        Some(jane.id),
        "reading is allowed"
    );

    // 404: update and delete of an unknown id.
    let error = minimo
        .update(
            ContactId::new(999_999),
            ContactPatch::new().custom_field("A", 1),
        )
        .await
        .expect_err("404");
    assert_eq!(error.kind(), ErrorKind::NotFound, "{error:?}");
    assert_eq!(error.code(), Some(&ErrorCode::NotFound));
    let error = minimo
        .delete(ContactId::new(999_999))
        .await
        .expect_err("404");
    assert_eq!(error.kind(), ErrorKind::NotFound, "{error:?}");

    // 409: an email another contact has; a custom field key that exists.
    let error = minimo
        .update(
            ContactId::new(other.id),
            ContactPatch::new().email("jane@example.com"),
        )
        .await
        .expect_err("409");
    assert_eq!(error.kind(), ErrorKind::Conflict, "{error:?}");
    assert_eq!(error.code(), Some(&ErrorCode::DuplicateResource));
    assert_eq!(store.contact(other.id).unwrap(), other);
    let error = minimo
        .custom_fields()
        .create(NewCustomField::new("plan", "Plan", FieldType::Text))
        .await
        .expect_err("409");
    assert_eq!(error.kind(), ErrorKind::Conflict, "{error:?}");
    assert_eq!(error.code(), Some(&ErrorCode::DuplicateResource));
    let error = minimo
        .change_email("other@example.com", "jane@example.com")
        .await
        .expect_err("conflict");
    assert_eq!(error.kind(), ErrorKind::Conflict, "{error:?}");
    c.assert_no_violation("401, 403, 404, 409").await;

    // 429 from the rate limit: the key has one request in its bucket; the Retry-After (5 s,
    // or 4 s when the second request comes a second or more after the first) is beyond what
    // this policy waits.
    let policy = fast_policy().max_retry_after(Duration::from_secs(1));
    let max_retry_after = policy.retry_after_cap();
    let limited = Minimo::builder()
        .api_key(LIMITED_KEY)
        .base_url(c.prism.base_url())
        .retry_policy(policy)
        .build()
        .unwrap();
    limited.get_by_email("jane@example.com").await.unwrap();
    let error = limited
        .get_by_email("jane@example.com")
        .await
        .expect_err("429");
    assert_eq!(error.kind(), ErrorKind::RateLimited, "{error:?}");
    assert_eq!(error.status(), Some(429));
    assert_eq!(error.code(), Some(&ErrorCode::RateLimitExceeded));
    let retry_after = error.retry_after().expect("a Retry-After");
    assert!(
        retry_after > max_retry_after && retry_after <= Duration::from_secs(5),
        "Retry-After {retry_after:?}"
    );
    assert_eq!(error.attempts(), 1);
    assert!(error.is_retryable());

    // 429 scripted on the upsert: retried after the Retry-After, then created.
    c.fake
        .faults()
        .push(Fault::status("upsertContact", 429).retry_after(1));
    let created = minimo
        .upsert(ContactInput::with_email("late@example.com"))
        .await
        .unwrap();
    assert_eq!(
        store.contact(created.get()).unwrap().email.as_deref(),
        Some("late@example.com")
    );
    let upserts = journal.for_operation("upsertContact");
    let n = upserts.len();
    assert_eq!(
        upserts[n - 2..]
            .iter()
            .map(|e| e.status)
            .collect::<Vec<_>>(),
        [Some(429), Some(200)]
    );
    let gap = upserts[n - 1]
        .started_at
        .duration_since(upserts[n - 2].started_at)
        .unwrap();
    assert!(gap >= Duration::from_secs(1), "waited only {gap:?}");

    // 503 scripted: the upsert is not retried, the look-up is.
    c.fake.faults().push(Fault::status("upsertContact", 503));
    let error = minimo
        .upsert(ContactInput::with_email("never@example.com"))
        .await
        .expect_err("503");
    assert_eq!(error.kind(), ErrorKind::Server, "{error:?}");
    assert_eq!(error.status(), Some(503));
    assert_eq!(error.attempts(), 1);
    assert_eq!(
        error.request_id(),
        Some(journal.last().unwrap().request_id.as_str())
    );
    assert!(
        store
            .contact_by_email(COMPANY, "never@example.com")
            .is_none()
    );
    c.fake
        .faults()
        .push(Fault::status("getContactByEmail", 503).times(2));
    assert!(
        minimo
            .get_by_email("jane@example.com")
            .await
            .unwrap()
            .is_some()
    );
    let gets = statuses(&c.fake, "getContactByEmail");
    assert_eq!(gets[gets.len() - 3..], [Some(503), Some(503), Some(200)]);
    // 422 and 500 scripted.
    c.fake.faults().push(
        Fault::status("updateContactById", 422)
            .code("validation_error")
            .message("email jane@example.com is not acceptable"),
    );
    let error = minimo
        .update(
            ContactId::new(jane.id),
            ContactPatch::new().custom_field("A", 1),
        )
        .await
        .expect_err("422");
    assert_eq!(error.kind(), ErrorKind::Validation, "{error:?}");
    assert_eq!(error.message(), "email j***@example.com is not acceptable");
    c.fake
        .faults()
        .push(Fault::status("listCustomFields", 500).times(3));
    let error = minimo.custom_fields().list().await.expect_err("500");
    assert_eq!(error.kind(), ErrorKind::Server, "{error:?}");
    assert_eq!(error.attempts(), 3);
    c.assert_no_violation("429, 503, 422, 500").await;
}

#[tokio::test]
async fn the_violation_check_flags_a_response_the_spec_forbids() {
    let c = Contract::start().await;
    // A 2xx body that is not JSON: Prism answers a 500 of its own and logs the error. A
    // create is not retried after a 5xx, so there is exactly one exchange.
    c.fake
        .faults()
        .push(Fault::invalid_json("createCustomField"));
    let error = c
        .client()
        .custom_fields()
        .create(NewCustomField::new("plan", "Plan", FieldType::Text))
        .await
        .expect_err("not JSON");
    assert_eq!(error.kind(), ErrorKind::Server, "{error:?}");
    assert_eq!(error.attempts(), 1);
    // Prism logs the violation just after `Received forward response`: poll for it (up to
    // 30 s), done as soon as it is there.
    let mut bad = Vec::new();
    for _ in 0..1_500 {
        bad = c
            .violations()
            .await
            .unwrap_or_else(|mismatch| panic!("{mismatch}"));
        if !bad.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Exactly the one exchange, and the report names it: the request, the undeclared
    // status the fake returned, and Prism's violation.
    assert_eq!(bad.len(), 1, "{bad:#?}");
    let exchange = &bad[0];
    for expected in [
        "post /public/v1/custom-fields",
        "has returned 201",
        "terminated with error",
    ] {
        assert!(exchange.contains(expected), "{expected:?} in:\n{exchange}");
    }
}
