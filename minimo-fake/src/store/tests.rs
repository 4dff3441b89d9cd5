//! Property tests: random sequences of store operations, run against the indexed store and
//! against a reference model that scans every contact (the store as it was before it had
//! indexes), must give the same answers and leave the same records. After every step the
//! indexes are also rebuilt from the records and compared.
//!
//! The domain is tiny on purpose (two companies, emails that differ only by case, three
//! phones) so that matches, conflicts, restores and ties happen in most sequences.
//! `MINIMO_PROPTEST_CASES` sets the number of sequences (default 512, about two seconds).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::*;

const COMPANIES: [CompanyId; 2] = [1, 2];
const EMAILS: [&str; 5] = ["a@x.io", "A@X.io", "b@x.io", "B@x.IO", "c@x.io"];
const PHONES: [&str; 3] = ["+391111111", "+392222222", "+393333333"];
const FIELD_KEYS: [&str; 3] = ["plan_tier", "PLAN_TIER", "Other"];

// ----- the reference model: linear scans, no index -------------------------------------

#[derive(Default)]
struct Model {
    contacts: Vec<Contact>,
    fields: Vec<CustomField>,
    next_contact_id: i64,
    next_field_id: i64,
}

fn email_matches(contact: &Contact, email: &str) -> bool {
    contact
        .email
        .as_deref()
        .is_some_and(|e| e.to_lowercase() == email.to_lowercase())
}

impl Model {
    fn email_held_by_other(&self, company: CompanyId, contact: &Contact) -> bool {
        contact.email.as_deref().is_some_and(|email| {
            self.contacts.iter().any(|c| {
                c.company == company && c.id != contact.id && !c.deleted && email_matches(c, email)
            })
        })
    }

    fn find(&self, company: CompanyId, pred: &dyn Fn(&Contact) -> bool) -> Option<i64> {
        let mut matches: Vec<&Contact> = self
            .contacts
            .iter()
            .filter(|c| c.company == company && pred(c))
            .collect();
        matches.sort_by_key(|c| (c.deleted, c.id));
        matches.first().map(|c| c.id)
    }

    fn apply(&mut self, id: i64, input: ContactInput) -> Contact {
        let company = self.contacts.iter().find(|c| c.id == id).unwrap().company;
        let defined: Vec<String> = self
            .fields
            .iter()
            .filter(|f| f.company == company)
            .map(|f| f.key.clone())
            .collect();
        let contact = self.contacts.iter_mut().find(|c| c.id == id).unwrap();
        if let Some(email) = input.email {
            contact.email = Some(email);
        }
        if let Some(phone) = input.phone {
            contact.phone = Some(phone);
        }
        if let Some(name) = input.first_name {
            contact.first_name = Some(name);
        }
        if let Some(name) = input.last_name {
            contact.last_name = Some(name);
        }
        for (key, value) in input.custom_fields.unwrap_or_default() {
            let key = defined
                .iter()
                .find(|d| d.to_uppercase() == key.to_uppercase())
                .cloned()
                .unwrap_or(key);
            crate::validate::deep_merge_entry(&mut contact.custom_fields, key, value);
        }
        contact.marketing_consent.apply(input.consent);
        contact.deleted = false;
        contact.clone()
    }

    fn upsert(&mut self, company: CompanyId, input: ContactInput) -> i64 {
        let by_email = input
            .email
            .as_deref()
            .and_then(|e| self.find(company, &|c| email_matches(c, e)));
        let matched = by_email.or_else(|| {
            let phone = input.phone.as_deref()?;
            self.find(company, &|c| {
                c.phone.as_deref() == Some(phone)
                    && (!c.deleted
                        || input.email.is_some()
                        || !self.email_held_by_other(company, c))
            })
        });
        let id = matched.unwrap_or_else(|| {
            self.next_contact_id += 1;
            self.contacts.push(blank(self.next_contact_id, company));
            self.next_contact_id
        });
        self.apply(id, input);
        id
    }

    fn update(
        &mut self,
        company: CompanyId,
        id: i64,
        input: ContactInput,
    ) -> Result<Contact, UpdateError> {
        let current = self
            .contacts
            .iter()
            .find(|c| c.id == id && c.company == company)
            .ok_or(UpdateError::NotFound)?;
        if let Some(email) = input.email.as_deref() {
            if self.contacts.iter().any(|c| {
                c.company == company && c.id != id && !c.deleted && email_matches(c, email)
            }) {
                return Err(UpdateError::EmailTaken);
            }
        } else if current.deleted && self.email_held_by_other(company, current) {
            return Err(UpdateError::RestoreWouldDuplicate);
        }
        Ok(self.apply(id, input))
    }

    fn delete(&mut self, company: CompanyId, id: i64) -> Result<(), NotFound> {
        let contact = self
            .contacts
            .iter_mut()
            .find(|c| c.id == id && c.company == company)
            .ok_or(NotFound)?;
        contact.deleted = true;
        Ok(())
    }

    fn insert(&mut self, company: CompanyId, seed: ContactSeed) -> Contact {
        self.next_contact_id += 1;
        let contact = Contact {
            id: self.next_contact_id,
            company,
            email: seed.email,
            phone: seed.phone,
            first_name: seed.first_name,
            last_name: seed.last_name,
            custom_fields: seed.custom_fields,
            marketing_consent: seed.marketing_consent,
            deleted: seed.deleted,
        };
        self.contacts.push(contact.clone());
        contact
    }

    fn define(&mut self, company: CompanyId, key: &str) -> Result<String, StoreError> {
        let key = key.to_uppercase();
        if self
            .fields
            .iter()
            .any(|f| f.company == company && f.key.to_uppercase() == key)
        {
            return Err(StoreError::DuplicateKey(key));
        }
        self.next_field_id += 1;
        self.fields.push(CustomField {
            id: self.next_field_id,
            company,
            key: key.clone(),
            display_name: key.clone(),
            field_type: "text".to_owned(),
            category: None,
            source: "Manual".to_owned(),
            options: None,
        });
        Ok(key)
    }

    fn contacts(&self, company: CompanyId) -> Vec<Contact> {
        let mut all: Vec<Contact> = self
            .contacts
            .iter()
            .filter(|c| c.company == company)
            .cloned()
            .collect();
        all.sort_by_key(|c| c.id);
        all
    }

    fn by_email(&self, company: CompanyId, email: &str) -> Option<Contact> {
        self.contacts
            .iter()
            .filter(|c| c.company == company && !c.deleted && email_matches(c, email))
            .min_by_key(|c| c.id)
            .cloned()
    }

    fn reset(&mut self) {
        self.contacts.clear();
        self.fields.clear();
    }
}

fn blank(id: i64, company: CompanyId) -> Contact {
    Contact {
        id,
        company,
        email: None,
        phone: None,
        first_name: None,
        last_name: None,
        custom_fields: Map::new(),
        marketing_consent: MarketingConsent::default(),
        deleted: false,
    }
}

// ----- operations ------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Body {
    email: Option<usize>,
    phone: Option<usize>,
    first_name: Option<bool>,
    field: Option<(usize, i64)>,
    consent: Option<bool>,
}

impl Body {
    fn input(&self) -> ContactInput {
        ContactInput {
            email: self.email.map(|i| EMAILS[i].to_owned()),
            phone: self.phone.map(|i| PHONES[i].to_owned()),
            first_name: self
                .first_name
                .map(|b| if b { "Jane" } else { "John" }.to_owned()),
            last_name: None,
            custom_fields: self.field.map(|(k, v)| {
                let mut map = Map::new();
                map.insert(FIELD_KEYS[k].to_owned(), json!({ "n": v, "k": k }));
                map
            }),
            consent: MarketingConsent {
                email: self.consent,
                whatsapp: None,
            },
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    Upsert(usize, Body),
    /// The id is picked among the ids given so far (plus two that were never given).
    Update(usize, u8, Body),
    Delete(usize, u8),
    Insert(usize, Option<usize>, Option<usize>, bool),
    Define(usize, usize),
    Reset,
}

fn body() -> impl Strategy<Value = Body> {
    (
        proptest::option::weighted(0.7, 0..EMAILS.len()),
        proptest::option::weighted(0.5, 0..PHONES.len()),
        proptest::option::of(any::<bool>()),
        proptest::option::of((0..FIELD_KEYS.len(), 0..3_i64)),
        proptest::option::of(any::<bool>()),
    )
        .prop_map(|(email, phone, first_name, field, consent)| Body {
            email,
            phone,
            first_name,
            field,
            consent,
        })
}

fn op() -> impl Strategy<Value = Op> {
    let company = 0..COMPANIES.len();
    prop_oneof![
        6 => (company.clone(), body()).prop_map(|(c, b)| Op::Upsert(c, b)),
        4 => (company.clone(), any::<u8>(), body()).prop_map(|(c, id, b)| Op::Update(c, id, b)),
        3 => (company.clone(), any::<u8>()).prop_map(|(c, id)| Op::Delete(c, id)),
        2 => (
            company.clone(),
            proptest::option::of(0..EMAILS.len()),
            proptest::option::of(0..PHONES.len()),
            any::<bool>()
        )
            .prop_map(|(c, e, p, d)| Op::Insert(c, e, p, d)),
        1 => (company, 0..FIELD_KEYS.len()).prop_map(|(c, k)| Op::Define(c, k)),
        1 => Just(Op::Reset),
    ]
}

fn cases() -> u32 {
    std::env::var("MINIMO_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(512)
}

fn pick_id(next_id: i64, pick: u8) -> i64 {
    // Ids 1..=next_id were given; next_id + 1 and 0 never are.
    i64::from(pick) % (next_id + 2)
}

/// Compares every observable of the two after a step.
fn assert_same(store: &Store, model: &Model) {
    store.assert_indexes_consistent();
    for company in COMPANIES {
        assert_eq!(
            store.contacts(company),
            model.contacts(company),
            "contacts of {company}"
        );
        for email in EMAILS {
            assert_eq!(
                store.contact_by_email(company, email),
                model.by_email(company, email),
                "by email in {company}"
            );
        }
        let keys = |fields: Vec<CustomField>| fields.into_iter().map(|f| f.key).collect::<Vec<_>>();
        let model_fields: Vec<CustomField> = model
            .fields
            .iter()
            .filter(|f| f.company == company)
            .cloned()
            .collect();
        assert_eq!(keys(store.custom_fields(company)), keys(model_fields));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn indexed_store_agrees_with_a_linear_scan(ops in proptest::collection::vec(op(), 1..80)) {
        let store = Store::default();
        let mut model = Model::default();
        for op in ops {
            match op {
                Op::Upsert(c, body) => {
                    let company = COMPANIES[c];
                    prop_assert_eq!(
                        store.upsert(company, body.input()),
                        model.upsert(company, body.input())
                    );
                }
                Op::Update(c, pick, body) => {
                    let company = COMPANIES[c];
                    let id = pick_id(model.next_contact_id, pick);
                    prop_assert_eq!(
                        store.update(company, id, body.input()),
                        model.update(company, id, body.input())
                    );
                }
                Op::Delete(c, pick) => {
                    let company = COMPANIES[c];
                    let id = pick_id(model.next_contact_id, pick);
                    prop_assert_eq!(store.soft_delete(company, id), model.delete(company, id));
                }
                Op::Insert(c, email, phone, deleted) => {
                    let company = COMPANIES[c];
                    let seed = ContactSeed {
                        email: email.map(|i| EMAILS[i].to_owned()),
                        phone: phone.map(|i| PHONES[i].to_owned()),
                        deleted,
                        ..ContactSeed::default()
                    };
                    prop_assert_eq!(
                        store.insert_contact(company, seed.clone()),
                        model.insert(company, seed)
                    );
                }
                Op::Define(c, k) => {
                    let company = COMPANIES[c];
                    let seed = CustomFieldSeed::new(FIELD_KEYS[k], FIELD_KEYS[k].to_uppercase(), "text");
                    prop_assert_eq!(
                        store.insert_custom_field(company, seed).map(|f| f.key),
                        model.define(company, FIELD_KEYS[k])
                    );
                }
                Op::Reset => {
                    store.clear();
                    model.reset();
                }
            }
            assert_same(&store, &model);
        }
    }
}

#[test]
fn value_keys_matching_a_definition_land_in_one_entry() {
    let store = Store::default();
    store
        .insert_custom_field(1, CustomFieldSeed::new("plan_tier", "Plan tier", "json"))
        .unwrap();
    let mut first = Map::new();
    first.insert("plan_tier".to_owned(), json!({"a": 1}));
    first.insert("undefined_key".to_owned(), json!(1));
    let id = store.upsert(
        1,
        ContactInput {
            email: Some("k@x.io".to_owned()),
            custom_fields: Some(first),
            ..ContactInput::default()
        },
    );
    let mut second = Map::new();
    second.insert("Plan_Tier".to_owned(), json!({"b": 2}));
    store
        .update(
            1,
            id,
            ContactInput {
                custom_fields: Some(second),
                ..ContactInput::default()
            },
        )
        .unwrap();
    assert_eq!(
        Value::Object(store.contact(id).unwrap().custom_fields),
        json!({"PLAN_TIER": {"a": 1, "b": 2}, "undefined_key": 1})
    );
    // Another company's definitions do not apply.
    let mut other = Map::new();
    other.insert("plan_tier".to_owned(), json!(3));
    let id2 = store.upsert(
        2,
        ContactInput {
            email: Some("k@x.io".to_owned()),
            custom_fields: Some(other),
            ..ContactInput::default()
        },
    );
    assert_eq!(
        Value::Object(store.contact(id2).unwrap().custom_fields),
        json!({"plan_tier": 3})
    );
}
