//! Conformance of the fake server with the spec: every operation, on its success and error
//! paths, driven through Prism (`prism proxy --errors`), which validates each request and
//! each of the fake's responses against `openapi/minimo-contacts.yaml`. A response the spec
//! does not allow would come back as a Prism 500 (or an `sl-violations` header).
//!
//! Requests the spec itself forbids (a `groupBy` outside its enum, a non-JSON content type,
//! a non-integer id) are sent through a second Prism started with
//! `--validate-request=false`, which still validates the fake's responses. (A body that is
//! not JSON never reaches the fake through Prism: Prism answers it itself, so that case is
//! covered by minimo-fake's own tests only.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use minimo_fake::{ApiKey, FakeServer, Fault, Permission};
use minimo_tests::prism::{Prism, PrismOptions, VIOLATIONS_HEADER};
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};

const KEY: &str = "mn-acme-s3cret";
const READ_ONLY: &str = "mn-reader-r3ad";
const LIMITED: &str = "mn-slow-l1mited";
const UNKNOWN: &str = "mn-nobody-n0pe";

struct Harness {
    fake: FakeServer,
    strict: Prism,
    lenient: Prism,
    client: reqwest::Client,
}

#[derive(Debug)]
struct Answer {
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Harness {
    async fn start() -> Harness {
        let fake = FakeServer::builder()
            .key(ApiKey::new(KEY).company(1))
            .key(
                ApiKey::new(READ_ONLY)
                    .company(1)
                    .permissions([Permission::ReadContacts, Permission::ReadCustomFields]),
            )
            .key(ApiKey::new(LIMITED).rate_limit(0.2, 1))
            .system_fields(true)
            .start()
            .await
            .expect("fake starts");
        let upstream = fake.base_url();
        let (strict, lenient) = tokio::join!(
            Prism::proxy(&upstream),
            Prism::proxy_with(
                &upstream,
                PrismOptions {
                    errors: true,
                    validate_request: false
                }
            ),
        );
        let strict = strict.unwrap_or_else(|e| panic!("{e}"));
        let lenient = lenient.unwrap_or_else(|e| panic!("{e}"));
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        Harness {
            fake,
            strict,
            lenient,
            client,
        }
    }

    fn req(&self, prism: &Prism, method: Method, path: &str, key: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{path}", prism.base_url()))
            .bearer_auth(key)
    }

    /// Sends through `prism`, asserts the status and that Prism saw no violation.
    async fn expect(&self, prism: &Prism, what: &str, req: RequestBuilder, status: u16) -> Answer {
        let resp = req.send().await.unwrap_or_else(|e| panic!("{what}: {e}"));
        let got = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        let report = || {
            format!(
                "{what}: status {got}, body {text}\nPrism output (tail):\n{}",
                tail(&prism.output())
            )
        };
        assert!(
            !headers.contains_key(VIOLATIONS_HEADER),
            "violations {:?}; {}",
            headers.get(VIOLATIONS_HEADER),
            report()
        );
        assert!(
            !(got == 500 && text.contains("violation")),
            "Prism reported a violation; {}",
            report()
        );
        assert_eq!(got, status, "{}", report());
        let body =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}); {}", report()));
        Answer { headers, body }
    }

    async fn ok(&self, what: &str, req: RequestBuilder, status: u16) -> Answer {
        self.expect(&self.strict, what, req, status).await
    }

    async fn err(&self, what: &str, req: RequestBuilder, status: u16, code: &str) -> Answer {
        let a = self.expect(&self.strict, what, req, status).await;
        assert_eq!(a.body["error"]["code"], code, "{what}: {}", a.body);
        a
    }

    async fn lenient_err(
        &self,
        what: &str,
        req: RequestBuilder,
        status: u16,
        code: &str,
    ) -> Answer {
        let a = self.expect(&self.lenient, what, req, status).await;
        assert_eq!(a.body["error"]["code"], code, "{what}: {}", a.body);
        a
    }
}

fn tail(s: &str) -> &str {
    let start = s.len().saturating_sub(4000);
    let mut i = start;
    while !s.is_char_boundary(i) {
        i += 1;
    }
    &s[i..]
}

/// The six operations as (name, method, path, JSON body) with spec-valid requests.
fn operations(id: i64) -> Vec<(&'static str, Method, String, Option<Value>)> {
    vec![
        (
            "upsertContact",
            Method::POST,
            "/public/v1/contacts".to_owned(),
            Some(json!({"email": "op@example.com"})),
        ),
        (
            "getContactByEmail",
            Method::GET,
            "/public/v1/contacts/by-email/op%40example.com".to_owned(),
            None,
        ),
        (
            "updateContactById",
            Method::PUT,
            format!("/public/v1/contacts/{id}"),
            Some(json!({"customFields": {"x": 1}})),
        ),
        (
            "deleteContact",
            Method::DELETE,
            format!("/public/v1/contacts/{id}"),
            None,
        ),
        (
            "listCustomFields",
            Method::GET,
            "/public/v1/custom-fields?groupBy=category".to_owned(),
            None,
        ),
        (
            "createCustomField",
            Method::POST,
            "/public/v1/custom-fields".to_owned(),
            Some(json!({"key": "op_field", "displayName": "Op", "type": "text"})),
        ),
    ]
}

/// One error path: what it checks, method, path, body, expected status and error code.
type ErrorCase<'a> = (&'a str, Method, &'a str, Option<Value>, u16, &'a str);

fn with_body(req: RequestBuilder, body: &Option<Value>) -> RequestBuilder {
    match body {
        Some(b) => req.json(b),
        None => req,
    }
}

#[tokio::test]
async fn fake_conforms_to_the_spec_through_prism() {
    let h = Harness::start().await;
    let s = &h.strict;

    // ----- contacts: success paths -----
    let created = h
        .ok(
            "upsert creates",
            h.req(s, Method::POST, "/public/v1/contacts", KEY)
                .json(&json!({
                    "email": "customer@example.com",
                    "phone": "+393391234567",
                    "customFields": {"company": "Acme Corp", "address": {"city": "Rome"}},
                    "marketingConsent": {"email": true, "whatsapp": false}
                })),
            200,
        )
        .await;
    let id: i64 = created.body[0]["contactId"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let again = h
        .ok(
            "upsert matches by email",
            h.req(s, Method::POST, "/public/v1/contacts", KEY)
                .json(&json!({"email": "CUSTOMER@example.com", "customFields": {"address": {"zip": "00100"}}})),
            200,
        )
        .await;
    assert_eq!(again.body, created.body);
    h.ok(
        "upsert by phone only",
        h.req(s, Method::POST, "/public/v1/contacts", KEY)
            .json(&json!({"phone": "+14155550100"})),
        200,
    )
    .await;
    let got = h
        .ok(
            "get by email",
            h.req(
                s,
                Method::GET,
                "/public/v1/contacts/by-email/customer%40example.com",
                KEY,
            ),
            200,
        )
        .await;
    assert_eq!(got.body["data"]["id"], json!(id));
    assert_eq!(
        got.body["data"]["custom_fields"]["address"],
        json!({"city": "Rome", "zip": "00100"})
    );
    for (email, path) in [
        ("a/b@example.com", "a%2Fb%40example.com"),
        ("josé@example.it", "jos%C3%A9%40example.it"),
        ("first+tag@example.com", "first%2Btag%40example.com"),
    ] {
        h.ok(
            "upsert special email",
            h.req(s, Method::POST, "/public/v1/contacts", KEY)
                .json(&json!({"email": email})),
            200,
        )
        .await;
        let a = h
            .ok(
                "get special email",
                h.req(
                    s,
                    Method::GET,
                    &format!("/public/v1/contacts/by-email/{path}"),
                    KEY,
                ),
                200,
            )
            .await;
        assert_eq!(a.body["data"]["email"], email);
    }
    let updated = h
        .ok(
            "update",
            h.req(s, Method::PUT, &format!("/public/v1/contacts/{id}"), KEY)
                .json(&json!({"email": "renamed@example.com", "marketingConsent": {"whatsapp": true}})),
            200,
        )
        .await;
    assert_eq!(updated.body, json!({"id": id, "phone": "+393391234567"}));
    let other = h
        .ok(
            "upsert other",
            h.req(s, Method::POST, "/public/v1/contacts", KEY)
                .json(&json!({"email": "other@example.com"})),
            200,
        )
        .await;
    let other_id: i64 = other.body[0]["contactId"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let no_phone = h
        .ok(
            "update without phone",
            h.req(
                s,
                Method::PUT,
                &format!("/public/v1/contacts/{other_id}"),
                KEY,
            )
            .json(&json!({})),
            200,
        )
        .await;
    assert_eq!(no_phone.body["phone"], Value::Null);
    let deleted = h
        .ok(
            "delete",
            h.req(
                s,
                Method::DELETE,
                &format!("/public/v1/contacts/{other_id}"),
                KEY,
            ),
            200,
        )
        .await;
    assert_eq!(deleted.body, json!({"id": other_id, "deleted": true}));
    h.ok(
        "delete again",
        h.req(
            s,
            Method::DELETE,
            &format!("/public/v1/contacts/{other_id}"),
            KEY,
        ),
        200,
    )
    .await;
    h.err(
        "get deleted",
        h.req(
            s,
            Method::GET,
            "/public/v1/contacts/by-email/other%40example.com",
            KEY,
        ),
        404,
        "not_found",
    )
    .await;
    h.ok(
        "update restores",
        h.req(
            s,
            Method::PUT,
            &format!("/public/v1/contacts/{other_id}"),
            KEY,
        )
        .json(&json!({"customFields": {"back": true}})),
        200,
    )
    .await;
    h.ok(
        "get restored",
        h.req(
            s,
            Method::GET,
            "/public/v1/contacts/by-email/other%40example.com",
            KEY,
        ),
        200,
    )
    .await;

    // ----- contacts: error paths (none of them changes anything) -----
    let contact = format!("/public/v1/contacts/{id}");
    let other = format!("/public/v1/contacts/{other_id}");
    let error_cases: [ErrorCase<'_>; 10] = [
        (
            "get unknown",
            Method::GET,
            "/public/v1/contacts/by-email/nobody%40example.com",
            None,
            404,
            "not_found",
        ),
        (
            "get malformed email",
            Method::GET,
            "/public/v1/contacts/by-email/not-an-email",
            None,
            400,
            "bad_request",
        ),
        (
            "update unknown id",
            Method::PUT,
            "/public/v1/contacts/999999",
            Some(json!({"email": "x@example.com"})),
            404,
            "not_found",
        ),
        (
            "delete unknown id",
            Method::DELETE,
            "/public/v1/contacts/999999",
            None,
            404,
            "not_found",
        ),
        (
            "update to a taken email",
            Method::PUT,
            &other,
            Some(json!({"email": "renamed@example.com"})),
            409,
            "duplicate_resource",
        ),
        (
            "upsert invalid email",
            Method::POST,
            "/public/v1/contacts",
            Some(json!({"email": "invalid-email"})),
            422,
            "validation_error",
        ),
        (
            "upsert invalid phone",
            Method::POST,
            "/public/v1/contacts",
            Some(json!({"phone": "339 1234567"})),
            422,
            "invalid_phone_number",
        ),
        (
            "upsert without email and phone",
            Method::POST,
            "/public/v1/contacts",
            Some(json!({"customFields": {}})),
            422,
            "validation_error",
        ),
        (
            "update invalid email",
            Method::PUT,
            &contact,
            Some(json!({"email": "nope"})),
            422,
            "validation_error",
        ),
        (
            "update invalid phone",
            Method::PUT,
            &contact,
            Some(json!({"phone": "+0123"})),
            422,
            "invalid_phone_number",
        ),
    ];
    for (what, method, path, body, status, code) in error_cases {
        let answer = h
            .err(
                what,
                with_body(h.req(s, method, path, KEY), &body),
                status,
                code,
            )
            .await;
        if status == 409 {
            assert_eq!(answer.body["error"]["details"]["field"], "email", "{what}");
        }
    }

    // ----- custom fields -----
    let flat = h
        .ok(
            "list flat",
            h.req(s, Method::GET, "/public/v1/custom-fields", KEY),
            200,
        )
        .await;
    assert_eq!(
        flat.body["data"].as_array().unwrap().len(),
        2,
        "System fields seeded"
    );
    let created_field = h
        .ok(
            "create select",
            h.req(s, Method::POST, "/public/v1/custom-fields", KEY)
                .json(&json!({
                    "key": "lead_source", "displayName": "Lead Source", "type": "select",
                    "category": "Lead Data", "options": ["Website", "Referral", "Event"]
                })),
            201,
        )
        .await;
    assert_eq!(created_field.body["data"]["key"], "LEAD_SOURCE");
    h.ok(
        "create uncategorized",
        h.req(s, Method::POST, "/public/v1/custom-fields", KEY)
            .json(&json!({"key": "notes", "displayName": "Notes", "type": "json"})),
        201,
    )
    .await;
    h.ok(
        "list flat again",
        h.req(s, Method::GET, "/public/v1/custom-fields", KEY),
        200,
    )
    .await;
    let grouped = h
        .ok(
            "list grouped",
            h.req(
                s,
                Method::GET,
                "/public/v1/custom-fields?groupBy=category",
                KEY,
            ),
            200,
        )
        .await;
    assert_eq!(grouped.body["data"]["total"], 4);
    let dup = h
        .err(
            "create duplicate key",
            h.req(s, Method::POST, "/public/v1/custom-fields", KEY)
                .json(&json!({"key": "Lead_Source", "displayName": "X", "type": "text"})),
            409,
            "duplicate_resource",
        )
        .await;
    assert_eq!(dup.body["error"]["message"], "key already exists");
    h.err(
        "create blank key",
        h.req(s, Method::POST, "/public/v1/custom-fields", KEY)
            .json(&json!({"key": " ", "displayName": "X", "type": "text"})),
        422,
        "validation_error",
    )
    .await;

    // ----- any integer id that names no contact is the documented 404 -----
    for unknown in ["-1", "0", "-9007199254740991", "9007199254740991"] {
        let path = format!("/public/v1/contacts/{unknown}");
        h.err(
            &format!("update id {unknown}"),
            h.req(s, Method::PUT, &path, KEY).json(&json!({})),
            404,
            "not_found",
        )
        .await;
        h.err(
            &format!("delete id {unknown}"),
            h.req(s, Method::DELETE, &path, KEY),
            404,
            "not_found",
        )
        .await;
    }

    // ----- names are accepted, value keys land under their definition's key -----
    h.ok(
        "upsert with names and a lowercase value key",
        h.req(s, Method::POST, "/public/v1/contacts", KEY)
            .json(&json!({
                "email": "names@example.com", "firstName": "Jane", "lastName": "Doe",
                "customFields": {"lead_source": "Website"}
            })),
        200,
    )
    .await;
    let named = h
        .ok(
            "get the named contact",
            h.req(
                s,
                Method::GET,
                "/public/v1/contacts/by-email/names%40example.com",
                KEY,
            ),
            200,
        )
        .await;
    assert_eq!(
        named.body["data"]["custom_fields"],
        json!({"LEAD_SOURCE": "Website"})
    );
    // The spec declares `firstName` a string: Prism itself refuses the request, so it goes
    // through the lenient proxy to reach the fake.
    h.lenient_err(
        "upsert with a name that is not a string",
        h.req(&h.lenient, Method::POST, "/public/v1/contacts", KEY)
            .json(&json!({"email": "names@example.com", "firstName": 5})),
        422,
        "validation_error",
    )
    .await;

    // ----- every operation: 401 with an unknown key, 403 without permission, 503 and 500 scripted -----
    for (name, method, path, body) in operations(id) {
        h.err(
            &format!("{name} 401"),
            with_body(h.req(s, method.clone(), &path, UNKNOWN), &body),
            401,
            "unauthorized",
        )
        .await;
        if matches!(
            name,
            "upsertContact" | "updateContactById" | "deleteContact" | "createCustomField"
        ) {
            h.err(
                &format!("{name} 403"),
                with_body(h.req(s, method.clone(), &path, READ_ONLY), &body),
                403,
                "forbidden",
            )
            .await;
        }
        h.fake
            .faults()
            .push(Fault::status(name, 503).retry_after(2));
        let a = h
            .err(
                &format!("{name} 503"),
                with_body(h.req(s, method.clone(), &path, KEY), &body),
                503,
                "service_unavailable",
            )
            .await;
        assert_eq!(a.headers.get("retry-after").unwrap(), "2");
        h.fake
            .faults()
            .push(Fault::status(name, 429).retry_after(1));
        h.err(
            &format!("{name} 429 scripted"),
            with_body(h.req(s, method.clone(), &path, KEY), &body),
            429,
            "rate_limit_exceeded",
        )
        .await;
        h.fake.faults().push(Fault::status(name, 500));
        h.err(
            &format!("{name} 500"),
            with_body(h.req(s, method.clone(), &path, KEY), &body),
            500,
            "internal_error",
        )
        .await;
    }
    // The read-only key can read.
    h.ok(
        "read-only get",
        h.req(
            s,
            Method::GET,
            "/public/v1/contacts/by-email/renamed%40example.com",
            READ_ONLY,
        ),
        200,
    )
    .await;
    h.ok(
        "read-only list",
        h.req(s, Method::GET, "/public/v1/custom-fields", READ_ONLY),
        200,
    )
    .await;

    // ----- 429 from the rate limit (the limited key has 1 request in its bucket) -----
    h.ok(
        "limited first",
        h.req(s, Method::GET, "/public/v1/custom-fields", LIMITED),
        200,
    )
    .await;
    let limited = h
        .err(
            "limited second",
            h.req(s, Method::GET, "/public/v1/custom-fields", LIMITED),
            429,
            "rate_limit_exceeded",
        )
        .await;
    let retry: u64 = limited
        .headers
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= 1);

    // ----- requests the spec forbids, answered by the fake (responses still validated) -----
    let l = &h.lenient;
    let bad_group = h
        .lenient_err(
            "invalid groupBy",
            h.req(l, Method::GET, "/public/v1/custom-fields?groupBy=type", KEY),
            400,
            "invalid_group_by",
        )
        .await;
    assert_eq!(bad_group.body["error"]["details"]["field"], "groupBy");
    for (name, method, path) in [
        ("upsert", Method::POST, "/public/v1/contacts".to_owned()),
        ("update", Method::PUT, format!("/public/v1/contacts/{id}")),
        (
            "create field",
            Method::POST,
            "/public/v1/custom-fields".to_owned(),
        ),
    ] {
        h.lenient_err(
            &format!("{name} text/plain"),
            h.req(l, method.clone(), &path, KEY)
                .header("content-type", "text/plain")
                .body("{}"),
            415,
            "bad_request",
        )
        .await;
        h.lenient_err(
            &format!("{name} array body"),
            h.req(l, method.clone(), &path, KEY)
                .header("content-type", "application/json")
                .body("[]"),
            400,
            "bad_request",
        )
        .await;
    }
    h.lenient_err(
        "update non-integer id",
        h.req(l, Method::PUT, "/public/v1/contacts/abc", KEY)
            .json(&json!({})),
        400,
        "bad_request",
    )
    .await;
    h.lenient_err(
        "delete non-integer id",
        h.req(l, Method::DELETE, "/public/v1/contacts/abc", KEY),
        400,
        "bad_request",
    )
    .await;
    h.lenient_err(
        "delete id beyond int64",
        h.req(
            l,
            Method::DELETE,
            "/public/v1/contacts/99999999999999999999",
            KEY,
        ),
        404,
        "not_found",
    )
    .await;
    h.lenient_err(
        "upsert email of wrong type",
        h.req(l, Method::POST, "/public/v1/contacts", KEY)
            .json(&json!({"email": 5})),
        422,
        "validation_error",
    )
    .await;
    h.lenient_err(
        "create field without displayName",
        h.req(l, Method::POST, "/public/v1/custom-fields", KEY)
            .json(&json!({"key": "k", "type": "text"})),
        422,
        "validation_error",
    )
    .await;
    h.lenient_err(
        "create field with unknown type",
        h.req(l, Method::POST, "/public/v1/custom-fields", KEY)
            .json(&json!({"key": "k", "displayName": "K", "type": "colour"})),
        422,
        "validation_error",
    )
    .await;

    // The detector works: a response the spec does not allow (a body that is not JSON; every
    // error status is declared, through the `default` envelope) is flagged by Prism.
    for fault in [Fault::invalid_json("listCustomFields")] {
        h.fake.faults().push(fault.clone());
        let resp = h
            .req(s, Method::GET, "/public/v1/custom-fields", KEY)
            .send()
            .await
            .unwrap();
        let flagged = resp.headers().contains_key(VIOLATIONS_HEADER) || resp.status() == 500;
        let status = resp.status();
        let text = resp.text().await.unwrap();
        assert!(flagged, "Prism let {fault:?} through: {status} {text}");
        eprintln!(
            "{}: Prism answered {status}: {}",
            fault.describe(),
            tail(&text)
        );
    }

    // Every request reached the fake and was journaled with an operation id.
    let journal = h.fake.journal().entries();
    assert!(journal.len() > 60, "{}", journal.len());
    assert!(journal.iter().all(|e| e.operation.is_some()), "{journal:?}");
}
