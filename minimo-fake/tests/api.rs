//! Behaviour of every operation of the fake, over a real socket.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashSet;

use common::{ACME, Api, GLOBEX, builder, client, send, start};
use minimo_fake::{ApiKey, ContactSeed, CustomFieldSeed, FakeServer, MarketingConsent, Permission};
use serde_json::{Value, json};

// ----- auth, companies, request ids -------------------------------------------------------

#[tokio::test]
async fn missing_malformed_or_unknown_key_is_401() {
    let server = start().await;
    let c = client();
    let url = format!(
        "{}/public/v1/contacts/by-email/a@example.com",
        server.base_url()
    );
    let cases: Vec<Option<&str>> = vec![
        None,
        Some("Basic Zm9vOmJhcg=="),
        Some("Bearer"),
        Some("Bearer garbage"),
        Some("Bearer mn-acme"),
        Some("Bearer mn-acme-wrong"),
        Some("Bearer mn-nobody-s3cret"),
    ];
    for header in cases {
        let mut req = c.get(&url);
        if let Some(h) = header {
            req = req.header("authorization", h);
        }
        send(req).await.assert_error(401, "unauthorized");
    }
    // A POST without a key is 401 too, before the body is looked at.
    send(
        c.post(format!("{}/public/v1/contacts", server.base_url()))
            .body("{not json"),
    )
    .await
    .assert_error(401, "unauthorized");
}

#[tokio::test]
async fn key_without_permission_is_403() {
    let server = FakeServer::builder()
        .key(
            ApiKey::new("mn-reader-k1")
                .permissions([Permission::ReadContacts, Permission::ReadCustomFields]),
        )
        .key(ApiKey::new("mn-writer-k2").permissions([Permission::WriteContacts]))
        .start()
        .await
        .unwrap();
    let reader = Api::new(&server, "mn-reader-k1");
    reader
        .upsert(json!({"email": "a@example.com"}))
        .await
        .assert_error(403, "forbidden");
    reader
        .update(1, json!({}))
        .await
        .assert_error(403, "forbidden");
    reader.delete(1).await.assert_error(403, "forbidden");
    reader
        .create_field(json!({"key": "K", "displayName": "K", "type": "text"}))
        .await
        .assert_error(403, "forbidden");
    reader
        .get("a@example.com")
        .await
        .assert_error(404, "not_found");
    assert_eq!(reader.list_fields("").await.status, 200);

    let writer = Api::new(&server, "mn-writer-k2");
    assert_eq!(
        writer
            .upsert(json!({"email": "a@example.com"}))
            .await
            .status,
        200
    );
    writer
        .get("a@example.com")
        .await
        .assert_error(403, "forbidden");
    writer.list_fields("").await.assert_error(403, "forbidden");
}

#[tokio::test]
async fn companies_never_see_each_other() {
    let server = start().await;
    let acme = Api::new(&server, ACME);
    let globex = Api::new(&server, GLOBEX);
    let id = acme
        .create(json!({"email": "shared@example.com", "customFields": {"a": 1}}))
        .await;
    globex
        .get("shared@example.com")
        .await
        .assert_error(404, "not_found");
    globex
        .update(id, json!({"phone": "+393391234567"}))
        .await
        .assert_error(404, "not_found");
    globex.delete(id).await.assert_error(404, "not_found");
    // Globex's upsert with the same email creates its own contact.
    let other = globex.create(json!({"email": "shared@example.com"})).await;
    assert_ne!(id, other);
    let acme_company = server.company_of("acme").unwrap();
    let globex_company = server.company_of("globex").unwrap();
    assert_ne!(acme_company, globex_company);
    assert_eq!(server.store().contacts(acme_company).len(), 1);
    assert_eq!(server.store().contacts(globex_company).len(), 1);
    assert_eq!(
        acme.get("shared@example.com").await.body["data"]["custom_fields"],
        json!({"a": 1})
    );
    assert_eq!(
        acme.get("shared@example.com").await.body["data"]["company"],
        json!(acme_company)
    );
    // Custom fields too.
    assert_eq!(
        acme.create_field(json!({"key": "plan", "displayName": "Plan", "type": "text"}))
            .await
            .status,
        201
    );
    assert_eq!(globex.list_fields("").await.body, json!({"data": []}));
    assert_eq!(
        globex
            .create_field(json!({"key": "plan", "displayName": "Plan", "type": "text"}))
            .await
            .status,
        201
    );
}

#[tokio::test]
async fn explicit_company_is_shared_by_keys() {
    let server = FakeServer::builder()
        .key(ApiKey::new("mn-one-a").company(42))
        .key(ApiKey::new("mn-two-b").company(42))
        .start()
        .await
        .unwrap();
    let id = Api::new(&server, "mn-one-a")
        .create(json!({"email": "x@example.com"}))
        .await;
    let got = Api::new(&server, "mn-two-b").get("x@example.com").await;
    assert_eq!(got.body["data"]["id"], json!(id));
    assert_eq!(got.body["data"]["company"], json!(42));
}

#[tokio::test]
async fn every_response_has_a_unique_request_id() {
    let server = start().await;
    let acme = Api::new(&server, ACME);
    let c = client();
    let mut ids = HashSet::new();
    for _ in 0..3 {
        ids.insert(
            acme.upsert(json!({"email": "a@example.com"}))
                .await
                .request_id(),
        );
        ids.insert(acme.get("missing@example.com").await.request_id());
        ids.insert(
            send(c.get(format!("{}/nope", server.base_url())))
                .await
                .request_id(),
        );
        ids.insert(
            send(c.patch(format!("{}/public/v1/contacts/1", server.base_url())))
                .await
                .request_id(),
        );
        ids.insert(
            send(c.get(format!("{}/public/v1/custom-fields", server.base_url())))
                .await
                .request_id(),
        );
    }
    assert_eq!(ids.len(), 15);
    let journal_ids: HashSet<String> = server
        .journal()
        .entries()
        .into_iter()
        .map(|e| e.request_id)
        .collect();
    assert_eq!(journal_ids, ids);
}

// ----- upsert -------------------------------------------------------------------------------

#[tokio::test]
async fn upsert_creates_then_matches_by_email_case_insensitively() {
    let server = start().await;
    let acme = Api::new(&server, ACME);
    let first = acme.upsert(json!({"email": "Jane@Example.com"})).await;
    assert_eq!(first.status, 200);
    let arr = first.body.as_array().unwrap();
    assert_eq!(arr.len(), 1);
    let id = arr[0]["contactId"].as_str().expect("contactId is a string");
    assert!(id.parse::<i64>().is_ok());
    let second = acme
        .upsert(json!({"email": "jane@example.COM", "phone": "+393391234567"}))
        .await;
    assert_eq!(second.body, first.body);
    let company = server.company_of("acme").unwrap();
    let contacts = server.store().contacts(company);
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0].phone.as_deref(), Some("+393391234567"));
}

#[tokio::test]
async fn upsert_matches_by_phone_when_email_does_not_match() {
    let server = start().await;
    let acme = Api::new(&server, ACME);
    let id = acme.create(json!({"phone": "+393391234567"})).await;
    let again = acme
        .create(json!({"email": "new@example.com", "phone": "+393391234567"}))
        .await;
    assert_eq!(id, again);
    let stored = server.store().contact(id).unwrap();
    assert_eq!(stored.email.as_deref(), Some("new@example.com"));
    // Nothing matches: a new contact.
    let third = acme
        .create(json!({"email": "third@example.com", "phone": "+393390000000"}))
        .await;
    assert_ne!(third, id);
}

#[tokio::test]
async fn upsert_email_match_wins_over_phone_match() {
    let server = start().await;
    let acme = Api::new(&server, ACME);
    let by_email = acme.create(json!({"email": "a@example.com"})).await;
    let by_phone = acme.create(json!({"phone": "+393391234567"})).await;
    let matched = acme
        .create(json!({"email": "A@example.com", "phone": "+393391234567"}))
        .await;
    assert_eq!(matched, by_email);
    assert_eq!(
        server.store().contact(by_email).unwrap().phone.as_deref(),
        Some("+393391234567")
    );
    assert_eq!(server.store().contact(by_phone).unwrap().email, None);
}

#[tokio::test]
async fn upsert_deep_merges_custom_fields_and_keeps_omitted_consent() {
    let server = start().await;
    let acme = Api::new(&server, ACME);
    let id = acme
        .create(json!({
            "email": "m@example.com",
            "customFields": {"plan": "free", "address": {"city": "Rome", "zip": "00100"}, "tags": ["a"]},
            "marketingConsent": {"email": true, "whatsapp": true}
        }))
        .await;
    acme.create(json!({
        "email": "m@example.com",
        "customFields": {"plan": "pro", "address": {"city": "Milan"}, "tags": ["b"], "new": 1},
        "marketingConsent": {"whatsapp": false}
    }))
    .await;
    let stored = server.store().contact(id).unwrap();
    assert_eq!(
        Value::Object(stored.custom_fields.clone()),
        json!({"plan": "pro", "address": {"city": "Milan", "zip": "00100"}, "tags": ["b"], "new": 1})
    );
    assert_eq!(
        stored.marketing_consent,
        MarketingConsent {
            email: Some(true),
            whatsapp: Some(false)
        }
    );
    assert_eq!(
        acme.get("m@example.com").await.body["data"]["custom_fields"]["address"]["zip"],
        "00100"
    );
}

#[tokio::test]
async fn upsert_restores_soft_deleted_match() {
    let server = start().await;
    let acme = Api::new(&server, ACME);
    let id = acme.create(json!({"email": "gone@example.com"})).await;
    assert_eq!(acme.delete(id).await.status, 200);
    acme.get("gone@example.com")
        .await
        .assert_error(404, "not_found");
    assert_eq!(acme.create(json!({"email": "gone@example.com"})).await, id);
    let back = acme.get("gone@example.com").await;
    assert_eq!(back.body["data"]["deleted"], false);
    assert!(!server.store().contact(id).unwrap().deleted);
}

#[tokio::test]
async fn upsert_validation_errors_are_422() {
    let server = start().await;
    let acme = Api::new(&server, ACME);
    let bad_email = acme.upsert(json!({"email": "not-an-email"})).await;
    bad_email.assert_error(422, "validation_error");
    assert_eq!(bad_email.body["error"]["details"]["field"], "email");
    let bad_phone = acme
        .upsert(json!({"email": "ok@example.com", "phone": "339 123 4567"}))
        .await;
    bad_phone.assert_error(422, "invalid_phone_number");
    assert_eq!(bad_phone.body["error"]["details"]["field"], "phone");
    for phone in ["+0391234567", "+12345", "393391234567", "+3933912345678901"] {
        acme.upsert(json!({"phone": phone}))
            .await
            .assert_error(422, "invalid_phone_number");
    }
    acme.upsert(json!({}))
        .await
        .assert_error(422, "validation_error");
    acme.upsert(json!({"customFields": {"a": 1}}))
        .await
        .assert_error(422, "validation_error");
    // Wrong type of a known field: 422 with the field named.
    acme.upsert(json!({"email": null, "phone": "+393391234567"}))
        .await
        .assert_error(422, "validation_error");
    let wrong = acme.upsert(json!({"email": 5})).await;
    wrong.assert_error(422, "validation_error");
    assert_eq!(wrong.body["error"]["details"]["field"], "email");
    acme.upsert(json!({"email": "a@example.com", "customFields": []}))
        .await
        .assert_error(422, "validation_error");
    acme.upsert(json!({"email": "a@example.com", "marketingConsent": {"email": "yes"}}))
        .await
        .assert_error(422, "validation_error");
    assert!(
        server
            .store()
            .contacts(server.company_of("acme").unwrap())
            .is_empty()
    );
}

// ----- get by email ------------------------------------------------------------------------

#[tokio::test]
async fn get_by_email_returns_the_contact_schema() {
    let server = start().await;
    let acme = Api::new(&server, ACME);
    let id = acme
        .create(json!({"email": "c@example.com", "customFields": {"plan": "pro"}}))
        .await;
    let got = acme.get("c@example.com").await;
    assert_eq!(got.status, 200);
    let company = server.company_of("acme").unwrap();
    assert_eq!(
        got.body,
        json!({"data": {
            "id": id, "email": "c@example.com", "phone": null, "status": "active", "source": "API",
            "custom_fields": {"plan": "pro"}, "company": company, "deleted": false,
            "external_id": null, "external_connection_id": null
        }})
    );
    // Case-insensitive lookup.
    assert_eq!(
        acme.get("C@EXAMPLE.COM").await.body["data"]["id"],
        json!(id)
    );
}

#[tokio::test]
async fn get_by_email_decodes_special_characters() {
    let server = start().await;
    let acme = Api::new(&server, ACME);
    let cases = [
        ("a+b@example.com", "a%2Bb@example.com"),
        ("plus+raw@example.com", "plus+raw@example.com"),
        (
            "100%25@example.com".replace("%25", "%").leak(),
            "100%25@example.com",
        ),
        ("a/b@example.com", "a%2Fb@example.com"),
        ("a/b/c@example.com", "a%2fb%2Fc@example.com"),
        ("josé@example.it", "jos%C3%A9@example.it"),
        ("at@example.com", "at%40example.com"),
    ];
    for (email, path) in cases {
        let id = acme.create(json!({"email": email})).await;
        let got = acme.get(path).await;
        assert_eq!(got.status, 200, "{email} via {path}: {:?}", got.body);
        assert_eq!(got.body["data"]["id"], json!(id), "{email}");
        assert_eq!(got.body["data"]["email"], json!(email));
    }
    // The encoded slash must not be split into two segments (which would be a 404 route).
    acme.get("nobody%2Fx@example.com")
        .await
        .assert_error(404, "not_found");
}

#[tokio::test]
async fn get_by_email_deleted_or_unknown_is_404_malformed_is_400() {
    let server = start().await;
    let acme = Api::new(&server, ACME);
    let id = acme.create(json!({"email": "d@example.com"})).await;
    acme.delete(id).await;
    acme.get("d@example.com")
        .await
        .assert_error(404, "not_found");
    acme.get("unknown@example.com")
        .await
        .assert_error(404, "not_found");
    for bad in [
        "not-an-email",
        "a@b",
        "%FF%FE@example.com",
        "two%20words@example.com",
    ] {
        acme.get(bad).await.assert_error(400, "bad_request");
    }
}

// ----- update ------------------------------------------------------------------------------

#[tokio::test]
async fn update_changes_only_sent_fields() {
    let server = start().await;
    let acme = Api::new(&server, ACME);
    let id = acme
        .create(json!({
            "email": "u@example.com", "phone": "+393391234567",
            "customFields": {"a": {"x": 1, "y": 2}, "b": "keep"},
            "marketingConsent": {"email": true, "whatsapp": true}
        }))
        .await;
    let answer = acme
        .update(
            id,
            json!({"customFields": {"a": {"y": 3}}, "marketingConsent": {"email": false}}),
        )
        .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, json!({"id": id, "phone": "+393391234567"}));
    let stored = server.store().contact(id).unwrap();
    assert_eq!(stored.email.as_deref(), Some("u@example.com"));
    assert_eq!(
        Value::Object(stored.custom_fields),
        json!({"a": {"x": 1, "y": 3}, "b": "keep"})
    );
    assert_eq!(
        stored.marketing_consent,
        MarketingConsent {
            email: Some(false),
            whatsapp: Some(true)
        }
    );

    let answer = acme
        .update(
            id,
            json!({"email": "renamed@example.com", "phone": "+14155550100"}),
        )
        .await;
    assert_eq!(answer.body, json!({"id": id, "phone": "+14155550100"}));
    acme.get("u@example.com")
        .await
        .assert_error(404, "not_found");
    assert_eq!(
        acme.get("renamed@example.com").await.body["data"]["id"],
        json!(id)
    );
    // A contact without phone answers phone: null.
    let no_phone = acme.create(json!({"email": "np@example.com"})).await;
    assert_eq!(
        acme.update(no_phone, json!({})).await.body,
        json!({"id": no_phone, "phone": null})
    );
}

#[tokio::test]
async fn update_restores_soft_deleted_contact() {
    let server = start().await;
    let acme = Api::new(&server, ACME);
    let id = acme.create(json!({"email": "r@example.com"})).await;
    acme.delete(id).await;
    assert_eq!(
        acme.update(id, json!({"customFields": {"back": true}}))
            .await
            .status,
        200
    );
    let got = acme.get("r@example.com").await;
    assert_eq!(got.body["data"]["deleted"], false);
    assert_eq!(got.body["data"]["custom_fields"]["back"], true);
}

#[tokio::test]
async fn update_unknown_id_is_404() {
    let server = start().await;
    let acme = Api::new(&server, ACME);
    acme.update(999_999, json!({"email": "x@example.com"}))
        .await
        .assert_error(404, "not_found");
    acme.update(0, json!({}))
        .await
        .assert_error(404, "not_found");
    assert!(
        server
            .store()
            .contacts(server.company_of("acme").unwrap())
            .is_empty()
    );
}

#[tokio::test]
async fn update_to_email_of_another_live_contact_is_409() {
    let server = start().await;
    let acme = Api::new(&server, ACME);
    let a = acme.create(json!({"email": "a@example.com"})).await;
    let b = acme.create(json!({"email": "b@example.com"})).await;
    let conflict = acme.update(b, json!({"email": "A@example.com"})).await;
    conflict.assert_error(409, "duplicate_resource");
    assert_eq!(conflict.body["error"]["details"]["field"], "email");
    assert_eq!(
        server.store().contact(b).unwrap().email.as_deref(),
        Some("b@example.com")
    );
    // The contact's own email (another casing) is fine.
    assert_eq!(
        acme.update(a, json!({"email": "A@example.com"}))
            .await
            .status,
        200
    );
    // The email of a soft-deleted contact is free.
    acme.delete(a).await;
    assert_eq!(
        acme.update(b, json!({"email": "a@example.com"}))
            .await
            .status,
        200
    );
    // Another company's contact with that email does not conflict.
    let globex = Api::new(&server, GLOBEX);
    let g = globex.create(json!({"email": "g@example.com"})).await;
    assert_eq!(
        globex
            .update(g, json!({"email": "b2@example.com"}))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn update_validation_errors_are_422() {
    let server = start().await;
    let acme = Api::new(&server, ACME);
    let id = acme.create(json!({"email": "v@example.com"})).await;
    let e = acme.update(id, json!({"email": "broken"})).await;
    e.assert_error(422, "validation_error");
    assert_eq!(e.body["error"]["details"]["field"], "email");
    acme.update(id, json!({"phone": "12345"}))
        .await
        .assert_error(422, "invalid_phone_number");
    acme.update(id, json!({"phone": 393391234567_i64}))
        .await
        .assert_error(422, "validation_error");
    assert_eq!(
        server.store().contact(id).unwrap().email.as_deref(),
        Some("v@example.com")
    );
}

// ----- delete ------------------------------------------------------------------------------

#[tokio::test]
async fn delete_is_soft_and_idempotent() {
    let server = start().await;
    let acme = Api::new(&server, ACME);
    let id = acme.create(json!({"email": "del@example.com"})).await;
    for _ in 0..2 {
        let a = acme.delete(id).await;
        assert_eq!(a.status, 200);
        assert_eq!(a.body, json!({"id": id, "deleted": true}));
    }
    let stored = server.store().contact(id).unwrap();
    assert!(stored.deleted);
    assert_eq!(stored.email.as_deref(), Some("del@example.com"));
    acme.delete(123_456).await.assert_error(404, "not_found");
}

#[tokio::test]
async fn non_integer_id_is_400() {
    let server = start().await;
    let acme = Api::new(&server, ACME);
    acme.delete("abc").await.assert_error(400, "bad_request");
    acme.update("1.5", json!({}))
        .await
        .assert_error(400, "bad_request");
}

// ----- custom fields -----------------------------------------------------------------------

#[tokio::test]
async fn custom_fields_flat_and_grouped() {
    let server = start().await;
    let acme = Api::new(&server, ACME);
    assert_eq!(acme.list_fields("").await.body, json!({"data": []}));
    assert_eq!(
        acme.list_fields("?groupBy=category").await.body,
        json!({"data": {"groups": [], "total": 0}})
    );
    for body in [
        json!({"key": "notes", "displayName": "Notes", "type": "text"}),
        json!({"key": "industry", "displayName": "Industry", "type": "select", "category": "Company Info",
               "options": ["Tech", "Retail"]}),
        json!({"key": "company_size", "displayName": "Company Size", "type": "number", "category": "Company Info",
               "options": ["ignored"]}),
        json!({"key": "birthday", "displayName": "Birthday", "type": "date", "category": "Another"}),
    ] {
        assert_eq!(acme.create_field(body).await.status, 201);
    }
    let flat = acme.list_fields("").await;
    assert_eq!(flat.status, 200);
    let data = flat.body["data"].as_array().unwrap();
    assert_eq!(data.len(), 4);
    assert_eq!(
        data[1],
        json!({"id": data[1]["id"], "key": "INDUSTRY", "displayName": "Industry", "type": "select",
               "category": "Company Info", "visibility": true, "source": "Manual", "options": ["Tech", "Retail"]})
    );
    assert_eq!(data[0]["category"], Value::Null);
    assert!(data[2].get("options").is_none(), "options only for select");

    let grouped = acme.list_fields("?groupBy=category").await;
    assert_eq!(grouped.status, 200);
    let groups = grouped.body["data"]["groups"].as_array().unwrap();
    let names: Vec<&str> = groups
        .iter()
        .map(|g| g["category"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Another", "Company Info", "uncategorized"]);
    let company_keys: Vec<&str> = groups[1]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["key"].as_str().unwrap())
        .collect();
    assert_eq!(company_keys, ["INDUSTRY", "COMPANY_SIZE"]);
    assert_eq!(groups[2]["fields"][0]["key"], "NOTES");
    assert_eq!(grouped.body["data"]["total"], 4);
}

#[tokio::test]
async fn invalid_group_by_is_400() {
    let server = start().await;
    let acme = Api::new(&server, ACME);
    for q in [
        "?groupBy=type",
        "?groupBy=",
        "?groupBy=Category",
        "?groupBy=category&groupBy=source",
    ] {
        let a = acme.list_fields(q).await;
        a.assert_error(400, "invalid_group_by");
        assert_eq!(a.body["error"]["details"]["field"], "groupBy");
    }
    // Other query parameters are ignored.
    assert_eq!(acme.list_fields("?page=2").await.status, 200);
}

#[tokio::test]
async fn custom_field_create_uppercases_key_and_rejects_duplicates() {
    let server = start().await;
    let acme = Api::new(&server, ACME);
    let created = acme
        .create_field(
            json!({"key": "lead_source", "displayName": "Lead Source", "type": "select",
                             "category": "Lead Data", "options": ["Website", "Referral"]}),
        )
        .await;
    assert_eq!(created.status, 201);
    let field = &created.body["data"];
    assert_eq!(field["key"], "LEAD_SOURCE");
    assert_eq!(field["displayName"], "Lead Source");
    assert_eq!(field["source"], "Manual");
    assert_eq!(field["visibility"], true);
    assert!(field["id"].is_i64());
    let dup = acme
        .create_field(json!({"key": "Lead_Source", "displayName": "Other", "type": "text"}))
        .await;
    dup.assert_error(409, "duplicate_resource");
    assert_eq!(dup.body["error"]["message"], "key already exists");
    let fields = server
        .store()
        .custom_fields(server.company_of("acme").unwrap());
    assert_eq!(fields.len(), 1);
    assert_eq!(
        fields[0].options.as_deref(),
        Some(&["Website".to_owned(), "Referral".to_owned()][..])
    );
}

#[tokio::test]
async fn custom_field_create_validation_is_422() {
    let server = start().await;
    let acme = Api::new(&server, ACME);
    let cases = [
        (json!({"displayName": "X", "type": "text"}), "key"),
        (json!({"key": "X", "type": "text"}), "displayName"),
        (json!({"key": "X", "displayName": "X"}), "type"),
        (
            json!({"key": "", "displayName": "X", "type": "text"}),
            "key",
        ),
        (
            json!({"key": "X", "displayName": "X", "type": "colour"}),
            "type",
        ),
        (json!({"key": 7, "displayName": "X", "type": "text"}), "key"),
        (
            json!({"key": "X", "displayName": "X", "type": "select", "options": [1, 2]}),
            "options",
        ),
        (
            json!({"key": "X", "displayName": "X", "type": "text", "category": 3}),
            "category",
        ),
    ];
    for (body, field) in cases {
        let a = acme.create_field(body.clone()).await;
        a.assert_error(422, "validation_error");
        assert_eq!(a.body["error"]["details"]["field"], field, "{body}");
    }
    for t in [
        "text", "number", "boolean", "date", "datetime", "select", "json",
    ] {
        let a = acme
            .create_field(json!({"key": format!("f_{t}"), "displayName": t, "type": t}))
            .await;
        assert_eq!(a.status, 201, "{t}");
    }
}

#[tokio::test]
async fn system_fields_are_seeded_when_enabled() {
    let server = builder().system_fields(true).start().await.unwrap();
    let acme = Api::new(&server, ACME);
    let list = acme.list_fields("?groupBy=category").await;
    let groups = list.body["data"]["groups"].as_array().unwrap();
    assert_eq!(groups[0]["category"], "Personal Info");
    assert_eq!(groups[0]["fields"][0]["source"], "System");
    assert_eq!(list.body["data"]["total"], 2);
    acme.create_field(json!({"key": "first_name", "displayName": "F", "type": "text"}))
        .await
        .assert_error(409, "duplicate_resource");
    // Seeding by hand works as well.
    let company = server.company_of("globex").unwrap();
    server
        .store()
        .insert_custom_field(company, CustomFieldSeed::new("x", "X", "json"))
        .unwrap();
    assert_eq!(
        Api::new(&server, GLOBEX).list_fields("").await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

// ----- malformed requests ------------------------------------------------------------------

#[tokio::test]
async fn malformed_bodies_are_400_and_wrong_content_type_is_415() {
    let server = start().await;
    let c = client();
    let base = server.base_url();
    let id = Api::new(&server, ACME)
        .create(json!({"email": "m@example.com"}))
        .await;
    let targets = [
        c.post(format!("{base}/public/v1/contacts")),
        c.put(format!("{base}/public/v1/contacts/{id}")),
        c.post(format!("{base}/public/v1/custom-fields")),
    ];
    for target in targets {
        let json_req = |body: &'static str| {
            target
                .try_clone()
                .unwrap()
                .bearer_auth(ACME)
                .header("content-type", "application/json")
                .body(body)
        };
        for body in [
            "{not json",
            "",
            "[1,2]",
            "\"text\"",
            "null",
            "{\"email\": \"a@example.com\"} trailing",
        ] {
            send(json_req(body)).await.assert_error(400, "bad_request");
        }
        send(target.try_clone().unwrap().bearer_auth(ACME).body("{}"))
            .await
            .assert_error(415, "bad_request");
        send(
            target
                .try_clone()
                .unwrap()
                .bearer_auth(ACME)
                .header("content-type", "text/plain")
                .body("{}"),
        )
        .await
        .assert_error(415, "bad_request");
        // Parameters on the media type are fine.
        let ok = send(
            target
                .try_clone()
                .unwrap()
                .bearer_auth(ACME)
                .header("content-type", "application/json; charset=utf-8")
                .body("{\"email\":\"m@example.com\",\"key\":\"K\",\"displayName\":\"K\",\"type\":\"text\"}"),
        )
        .await;
        assert!(ok.status.is_success(), "{:?}", ok.body);
    }
}

#[tokio::test]
async fn unknown_route_is_404_wrong_method_405_in_the_envelope() {
    let server = start().await;
    let c = client();
    let base = server.base_url();
    for path in [
        "/",
        "/public/v1",
        "/public/v1/contacts/1/extra",
        "/public/v1/contacts/",
        "/v1/custom-fields",
    ] {
        send(c.get(format!("{base}{path}")).bearer_auth(ACME))
            .await
            .assert_error(404, "not_found");
    }
    send(
        c.delete(format!(
            "{base}/public/v1/contacts/by-email/a@example.com/x"
        ))
        .bearer_auth(ACME),
    )
    .await
    .assert_error(404, "not_found");
    let cases = [
        (c.get(format!("{base}/public/v1/contacts")), "POST"),
        (
            c.patch(format!("{base}/public/v1/contacts/1")),
            "PUT, DELETE",
        ),
        (
            c.post(format!("{base}/public/v1/contacts/by-email/a@example.com")),
            "GET",
        ),
        (
            c.delete(format!("{base}/public/v1/custom-fields")),
            "GET, POST",
        ),
    ];
    for (req, allow) in cases {
        let a = send(req.bearer_auth(ACME)).await;
        a.assert_error(405, "method_not_allowed");
        assert_eq!(a.headers.get("allow").unwrap(), allow);
    }
}

#[tokio::test]
async fn seeded_contacts_are_served() {
    let server = start().await;
    let company = server.company_of("acme").unwrap();
    let seeded = server.store().insert_contact(
        company,
        ContactSeed::email("seed@example.com")
            .phone("+393391234567")
            .custom_field("plan", "pro"),
    );
    let hidden = server
        .store()
        .insert_contact(company, ContactSeed::email("hidden@example.com").deleted());
    let acme = Api::new(&server, ACME);
    assert_eq!(
        acme.get("seed@example.com").await.body["data"]["id"],
        json!(seeded.id)
    );
    acme.get("hidden@example.com")
        .await
        .assert_error(404, "not_found");
    assert_eq!(
        acme.create(json!({"email": "hidden@example.com"})).await,
        hidden.id
    );
}

#[tokio::test]
async fn debug_output_masks_secrets_and_personal_data() {
    let server = start().await;
    let acme = Api::new(&server, ACME);
    acme.upsert(json!({"email": "secret.person@example.com", "phone": "+393391234567"}))
        .await;
    let company = server.company_of("acme").unwrap();
    let contact = &server.store().contacts(company)[0];
    let seed = ContactSeed::email("secret.person@example.com").phone("+393391234567");
    let outputs = [
        format!("{server:?}"),
        format!("{:?}", builder()),
        format!("{:?}", ApiKey::new(ACME)),
        format!("{contact:?}"),
        format!("{seed:?}"),
        format!("{:?}", server.journal().entries()),
    ];
    for out in outputs {
        assert!(
            !out.contains("s3cret") && !out.contains("t0psecret"),
            "{out}"
        );
        assert!(!out.contains("secret.person"), "{out}");
        assert!(!out.contains("3391234567"), "{out}");
    }
    assert!(format!("{:?}", ApiKey::new(ACME)).contains("mn-acme-***"));
}

// ----- review findings -----------------------------------------------------------------------

#[tokio::test]
async fn update_refuses_to_restore_a_contact_whose_email_another_live_contact_has() {
    let server = start().await;
    let acme = Api::new(&server, ACME);
    let old = acme
        .create(json!({"email": "dup@example.com", "phone": "+393331112222"}))
        .await;
    acme.delete(old).await;
    // The email is free again: another contact takes it (an upsert by that email would
    // restore the deleted one, so through update by id).
    let live = acme.create(json!({"email": "live@example.com"})).await;
    assert_eq!(
        acme.update(live, json!({"email": "DUP@example.com"}))
            .await
            .status,
        200
    );
    let before = server.store().contact(old).unwrap();
    let conflict = acme
        .update(old, json!({"customFields": {"back": true}}))
        .await;
    conflict.assert_error(409, "duplicate_resource");
    assert_eq!(conflict.body["error"]["details"]["field"], "email");
    // Nothing changed: still deleted, no custom field merged.
    assert_eq!(server.store().contact(old).unwrap(), before);
    assert_eq!(acme.get("dup@example.com").await.body["data"]["id"], live);
    // Restoring it with a new, free email is fine.
    assert_eq!(
        acme.update(old, json!({"email": "other@example.com"}))
            .await
            .status,
        200
    );
    assert!(!server.store().contact(old).unwrap().deleted);
    // A deleted contact whose email is still free is restored as before.
    let free = acme.create(json!({"email": "free@example.com"})).await;
    acme.delete(free).await;
    assert_eq!(acme.update(free, json!({})).await.status, 200);
    assert!(!server.store().contact(free).unwrap().deleted);
}

#[tokio::test]
async fn upsert_by_phone_does_not_restore_a_contact_whose_email_another_live_contact_has() {
    let server = start().await;
    let company = server.company_of("acme").unwrap();
    let acme = Api::new(&server, ACME);
    let old = acme
        .create(json!({"email": "dup@example.com", "phone": "+393331112222"}))
        .await;
    acme.delete(old).await;
    let live = acme.create(json!({"email": "live@example.com"})).await;
    acme.update(live, json!({"email": "dup@example.com"})).await;
    // Phone alone: the deleted contact is not a match (the spec declares no 409 here).
    let created = acme.create(json!({"phone": "+393331112222"})).await;
    assert_ne!(created, old);
    assert_ne!(created, live);
    assert!(server.store().contact(old).unwrap().deleted);
    let live_with_email: Vec<i64> = server
        .store()
        .contacts(company)
        .into_iter()
        .filter(|c| !c.deleted && c.email.as_deref() == Some("dup@example.com"))
        .map(|c| c.id)
        .collect();
    assert_eq!(live_with_email, [live]);
    // The new live contact with that phone is the phone match from now on.
    assert_eq!(
        acme.create(json!({"phone": "+393331112222"})).await,
        created
    );
    // With an email in the body the deleted contact is restored with that email: no
    // duplicate, so it still matches by phone.
    let other = acme
        .create(json!({"email": "b@example.com", "phone": "+393334445555"}))
        .await;
    acme.delete(other).await;
    let b2 = acme.create(json!({"email": "b2@example.com"})).await;
    acme.update(b2, json!({"email": "b@example.com"})).await;
    assert_eq!(
        acme.create(json!({"email": "c@example.com", "phone": "+393334445555"}))
            .await,
        other
    );
    assert_eq!(
        server.store().contact(other).unwrap().email.as_deref(),
        Some("c@example.com")
    );
}

#[tokio::test]
async fn any_integer_id_naming_no_contact_is_404_anything_else_400() {
    let server = start().await;
    let acme = Api::new(&server, ACME);
    let id = acme.create(json!({"email": "id@example.com"})).await;
    let theirs = Api::new(&server, GLOBEX)
        .create(json!({"email": "g@example.com"}))
        .await;
    // The spec says `integer`: negative, zero, beyond i64 or another company's, an integer
    // that names no contact of the company is the documented 404.
    for unknown in [
        "-1".to_owned(),
        format!("-{id}"),
        "0".to_owned(),
        "-0".to_owned(),
        "99999999999999999999999".to_owned(),
        "-99999999999999999999999".to_owned(),
        theirs.to_string(),
        // An encoded minus is a minus.
        format!("%2D{id}"),
    ] {
        acme.update(&unknown, json!({"customFields": {"x": 1}}))
            .await
            .assert_error(404, "not_found");
        acme.delete(&unknown).await.assert_error(404, "not_found");
    }
    for bad in [
        format!("+{id}"),
        format!("%20{id}"),
        format!("{id}%20"),
        format!("%2B{id}"),
        format!("0x{id}"),
        format!("{id}.0"),
        "1e3".to_owned(),
        "-".to_owned(),
        // Arabic-Indic digit one.
        "%D9%A1".to_owned(),
    ] {
        acme.update(&bad, json!({"customFields": {"x": 1}}))
            .await
            .assert_error(400, "bad_request");
        acme.delete(&bad).await.assert_error(400, "bad_request");
    }
    // Validation of the body still comes before the look-up.
    acme.update("-1", json!({"email": "broken"}))
        .await
        .assert_error(422, "validation_error");
    let stored = server.store().contact(id).unwrap();
    assert!(!stored.deleted && stored.custom_fields.is_empty());
    assert!(!server.store().contact(theirs).unwrap().deleted);
    assert_eq!(acme.update(id, json!({})).await.status, 200);
}

#[tokio::test]
async fn oversized_body_is_400_saying_the_body_is_too_large() {
    let server = start().await;
    let acme = Api::new(&server, ACME);
    let big = "x".repeat((1 << 20) + 10);
    let a = acme
        .upsert(json!({"email": "big@example.com", "customFields": {"blob": big}}))
        .await;
    a.assert_error(400, "bad_request");
    let message = a.body["error"]["message"].as_str().unwrap();
    assert!(message.contains("too large"), "{message}");
    assert!(!message.contains("could not be read"), "{message}");
    assert_eq!(a.body["error"]["details"]["limit"], 1 << 20);
    // Malformed JSON of a normal size is still described as such.
    let small = send(
        client()
            .post(format!("{}/public/v1/contacts", server.base_url()))
            .bearer_auth(ACME)
            .header("content-type", "application/json")
            .body("{nope"),
    )
    .await;
    small.assert_error(400, "bad_request");
    assert!(
        !small.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("too large")
    );
    assert!(
        server
            .store()
            .contacts(server.company_of("acme").unwrap())
            .is_empty()
    );
}

// ----- names and custom-field value keys ----------------------------------------------------

#[tokio::test]
async fn names_are_stored_but_not_rendered_by_get_by_email() {
    let server = start().await;
    let acme = Api::new(&server, ACME);
    // The body of the vendor's authentication and conventions pages.
    let id = acme
        .create(json!({"email": "customer@example.com", "firstName": "Jane", "lastName": "Doe"}))
        .await;
    let stored = server.store().contact(id).unwrap();
    assert_eq!(stored.first_name.as_deref(), Some("Jane"));
    assert_eq!(stored.last_name.as_deref(), Some("Doe"));
    let debug = format!("{stored:?}");
    assert!(!debug.contains("Jane") && !debug.contains("Doe"), "{debug}");
    let got = acme.get("customer@example.com").await;
    let rendered = got.body["data"].as_object().unwrap();
    assert!(
        rendered.keys().all(|k| !k.to_lowercase().contains("name")),
        "{rendered:?}"
    );
    // Update changes only what it sends; the store route shows them.
    assert_eq!(
        acme.update(id, json!({"lastName": "Roe"})).await.status,
        200
    );
    let store = send(client().get(format!("{}/__fake/store", server.base_url()))).await;
    assert_eq!(store.body["contacts"][0]["first_name"], "Jane");
    assert_eq!(store.body["contacts"][0]["last_name"], "Roe");
    // A name that is not a string is 422 naming the field; nothing changes.
    for (body, field) in [
        (
            json!({"email": "customer@example.com", "firstName": 5}),
            "firstName",
        ),
        (
            json!({"email": "customer@example.com", "lastName": null}),
            "lastName",
        ),
        (
            json!({"email": "customer@example.com", "firstName": ["J"]}),
            "firstName",
        ),
    ] {
        let a = acme.upsert(body).await;
        a.assert_error(422, "validation_error");
        assert_eq!(a.body["error"]["details"]["field"], field);
        let a = acme.update(id, json!({ field: {} })).await;
        a.assert_error(422, "validation_error");
        assert_eq!(a.body["error"]["details"]["field"], field);
    }
    // Other unknown fields stay ignored.
    assert_eq!(
        acme.upsert(json!({"email": "customer@example.com", "createdAt": 5, "tags": "x"}))
            .await
            .status,
        200
    );
    assert_eq!(
        server.store().contact(id).unwrap().last_name.as_deref(),
        Some("Roe")
    );
}

#[tokio::test]
async fn value_keys_of_defined_fields_land_under_the_definition_key() {
    let server = start().await;
    let acme = Api::new(&server, ACME);
    assert_eq!(
        acme.create_field(json!({"key": "plan_tier", "displayName": "Plan tier", "type": "json"}))
            .await
            .status,
        201
    );
    let id = acme
        .create(json!({"email": "k@example.com", "customFields": {"plan_tier": {"since": 2020}}}))
        .await;
    acme.create(
        json!({"email": "k@example.com", "customFields": {"PLAN_TIER": {"level": "gold"}}}),
    )
    .await;
    acme.update(
        id,
        json!({"customFields": {"Plan_Tier": {"level": "platinum"}, "free_form": {"a": 1}}}),
    )
    .await;
    // One entry under the definition's key, deep-merged; undefined keys as sent.
    let got = acme.get("k@example.com").await;
    assert_eq!(
        got.body["data"]["custom_fields"],
        json!({"PLAN_TIER": {"since": 2020, "level": "platinum"}, "free_form": {"a": 1}})
    );
    // Two spellings in one body merge in the order sent.
    acme.create(json!({"email": "k@example.com",
                       "customFields": {"plan_tier": {"x": 1}, "PLAN_TIER": {"x": 2, "y": 3}}}))
        .await;
    assert_eq!(
        server.store().contact(id).unwrap().custom_fields["PLAN_TIER"],
        json!({"since": 2020, "level": "platinum", "x": 2, "y": 3})
    );
    // Another company's definitions do not apply.
    let globex = Api::new(&server, GLOBEX);
    globex
        .create(json!({"email": "k@example.com", "customFields": {"plan_tier": 1}}))
        .await;
    assert_eq!(
        globex.get("k@example.com").await.body["data"]["custom_fields"],
        json!({"plan_tier": 1})
    );
}
