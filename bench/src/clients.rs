//! How each client makes each call: the one place to adapt when a client's API changes.
//!
//! - [`Kind::Raw`], the baseline: what a service would write by hand with reqwest and
//!   serde_json, plain serde structs, no retries, no tracing.
//! - [`Kind::Api`]: the generated `minimo_api::Client`, built with `with_api_key`.
//! - [`Kind::Ext`]: `minimo_ext::Minimo`, built with its builder's defaults.
//!
//! Every call sends the same request (same contact, same fields) and checks the answer, so
//! the clients do the same work and a broken client cannot look fast.

use minimo_ext::{ContactInput, MarketingConsent, Minimo};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The key every client sends (`mn-{clientId}-{secret}`); the stub server does not check it.
pub const API_KEY: &str = "mn-bench-s3cret";
/// The contact every call is about.
pub const EMAIL: &str = "jane@example.com";
/// Its phone, sent by the upsert.
pub const PHONE: &str = "+393391234567";
/// The id the stub server answers with.
pub const CONTACT_ID: i64 = 42;

/// A client under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// Hand-written reqwest + serde_json: the baseline every ratio is relative to.
    Raw,
    /// The generated client, `minimo_api::Client`.
    Api,
    /// The ergonomic client, `minimo_ext::Minimo`.
    Ext,
}

impl Kind {
    /// Every client, the baseline first.
    pub const ALL: [Kind; 3] = [Kind::Raw, Kind::Api, Kind::Ext];

    /// The name shown in reports.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Raw => "raw reqwest",
            Kind::Api => "minimo-api",
            Kind::Ext => "minimo-ext",
        }
    }
}

/// An operation every client makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Op {
    /// `GET /public/v1/contacts/by-email/{email}`.
    Get,
    /// `POST /public/v1/contacts` with an email, a phone, one custom field and email consent.
    Upsert,
}

impl Op {
    /// Every operation.
    pub const ALL: [Op; 2] = [Op::Get, Op::Upsert];

    /// The name shown in reports.
    pub fn name(self) -> &'static str {
        match self {
            Op::Get => "get by email",
            Op::Upsert => "upsert",
        }
    }
}

/// The three clients, each with its own connection pool, all pointed at one server.
#[derive(Debug, Clone)]
pub struct Clients {
    base_url: String,
    raw: reqwest::Client,
    api: minimo_api::Client,
    ext: Minimo,
}

impl Clients {
    /// Builds each client as its documentation suggests, for `base_url`.
    pub fn new(base_url: &str) -> Result<Clients, String> {
        let raw = reqwest::Client::builder()
            .build()
            .map_err(|e| format!("raw reqwest client: {e}"))?;
        let api = minimo_api::Client::with_api_key(base_url, API_KEY)
            .map_err(|e| format!("minimo-api client: {e}"))?;
        let ext = Minimo::builder()
            .api_key(API_KEY)
            .base_url(base_url)
            .build()
            .map_err(|e| format!("minimo-ext client: {e}"))?;
        Ok(Clients {
            base_url: base_url.to_owned(),
            raw,
            api,
            ext,
        })
    }

    /// One call of `op` by client `kind`, its answer checked.
    pub async fn call(&self, kind: Kind, op: Op) -> Result<(), String> {
        let id = match (kind, op) {
            (Kind::Raw, Op::Get) => self.raw_get().await.map_err(|e| e.to_string())?,
            (Kind::Raw, Op::Upsert) => self.raw_upsert().await.map_err(|e| e.to_string())?,
            (Kind::Api, Op::Get) => {
                self.api
                    .get_contact_by_email()
                    .email(EMAIL)
                    .send()
                    .await
                    .map_err(|e| e.to_string())?
                    .into_inner()
                    .into_contact()
                    .id
            }
            (Kind::Api, Op::Upsert) => {
                let body = minimo_api::types::ContactUpsert::builder()
                    .email(Some(EMAIL.into()))
                    .phone(Some(PHONE.into()))
                    .custom_fields(Some(minimo_api::pii::CustomFieldValues(
                        serde_json::Map::from_iter([("PLAN".to_owned(), "pro".into())]),
                    )))
                    .marketing_consent(Some(minimo_api::types::MarketingConsent {
                        email: Some(true),
                        whatsapp: None,
                    }));
                let upserted = self
                    .api
                    .upsert_contact()
                    .body(body)
                    .send()
                    .await
                    .map_err(|e| e.to_string())?
                    .into_inner();
                upserted
                    .contact_id()
                    .ok_or("no contact id in the upsert answer")?
            }
            (Kind::Ext, Op::Get) => {
                let contact = self
                    .ext
                    .get_by_email(EMAIL)
                    .await
                    .map_err(|e| e.to_string())?;
                contact.ok_or("no contact found")?.id.get()
            }
            (Kind::Ext, Op::Upsert) => self
                .ext
                .upsert(
                    ContactInput::with_email(EMAIL)
                        .phone(PHONE)
                        .custom_field("PLAN", "pro")
                        .consent(MarketingConsent::unchanged().email(true)),
                )
                .await
                .map_err(|e| e.to_string())?
                .get(),
        };
        if id == CONTACT_ID {
            Ok(())
        } else {
            Err(format!("{} {} answered id {id}", kind.name(), op.name()))
        }
    }

    async fn raw_get(&self) -> reqwest::Result<i64> {
        let found: RawEnvelope = self
            .raw
            .get(format!(
                "{}/public/v1/contacts/by-email/{EMAIL}",
                self.base_url
            ))
            .bearer_auth(API_KEY)
            .send()
            .await?
            .json()
            .await?;
        Ok(found.data.id)
    }

    async fn raw_upsert(&self) -> Result<i64, Box<dyn std::error::Error>> {
        let body = RawUpsert {
            email: EMAIL,
            phone: PHONE,
            custom_fields: BTreeMap::from([("PLAN", "pro")]),
            marketing_consent: RawConsent { email: true },
        };
        let upserted: Vec<RawUpserted> = self
            .raw
            .post(format!("{}/public/v1/contacts", self.base_url))
            .bearer_auth(API_KEY)
            .json(&body)
            .send()
            .await?
            .json()
            .await?;
        let first = upserted.first().ok_or("empty upsert answer")?;
        Ok(first.contact_id.parse()?)
    }
}

// The baseline's own types, as a service would declare them for these two calls.

#[derive(Deserialize)]
struct RawEnvelope {
    data: RawContact,
}

#[derive(Deserialize)]
#[allow(dead_code)] // decoded as a service would, read or not
struct RawContact {
    id: i64,
    email: Option<String>,
    phone: Option<String>,
    status: Option<String>,
    source: Option<String>,
    custom_fields: Option<BTreeMap<String, serde_json::Value>>,
    company: Option<i64>,
    deleted: Option<bool>,
    external_id: Option<String>,
    external_connection_id: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RawUpsert<'a> {
    email: &'a str,
    phone: &'a str,
    custom_fields: BTreeMap<&'a str, &'a str>,
    marketing_consent: RawConsent,
}

#[derive(Serialize)]
struct RawConsent {
    email: bool,
}

#[derive(Deserialize)]
struct RawUpserted {
    #[serde(rename = "contactId")]
    contact_id: String,
}
