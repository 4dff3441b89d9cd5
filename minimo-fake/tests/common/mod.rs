//! Helpers shared by the integration tests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use minimo_fake::{FakeServer, FakeServerBuilder};
use reqwest::header::HeaderMap;
use reqwest::{RequestBuilder, StatusCode};
use serde_json::Value;

/// Key of company "acme".
pub const ACME: &str = "mn-acme-s3cret";
/// Key of company "globex".
pub const GLOBEX: &str = "mn-globex-t0psecret";

pub fn builder() -> FakeServerBuilder {
    FakeServer::builder().api_key(ACME).api_key(GLOBEX)
}

pub async fn start() -> FakeServer {
    builder().start().await.unwrap()
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// A decoded response; every response of the fake must be JSON with an `x-request-id`.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    /// Asserts the error envelope with this status and code.
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status.as_u16(), status, "{:?}", self.body);
        assert_eq!(self.body["error"]["code"], code, "{:?}", self.body);
        assert!(self.body["error"]["message"].is_string(), "{:?}", self.body);
        let keys: Vec<&String> = self.body["error"].as_object().unwrap().keys().collect();
        assert!(
            keys.iter()
                .all(|k| ["code", "message", "details"].contains(&k.as_str())),
            "{keys:?}"
        );
        assert_eq!(self.body.as_object().unwrap().len(), 1, "{:?}", self.body);
    }

    pub fn request_id(&self) -> String {
        self.headers
            .get("x-request-id")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned()
    }
}

pub async fn send(req: RequestBuilder) -> Answer {
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    assert!(
        headers.contains_key("x-request-id"),
        "no x-request-id on {status}"
    );
    let ct = headers
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert!(
        ct.starts_with("application/json"),
        "{status} answered {ct:?}: {text}"
    );
    let body: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{status} body is not JSON ({e}): {text}"));
    Answer {
        status,
        headers,
        body,
    }
}

pub fn auth(req: RequestBuilder, key: &str) -> RequestBuilder {
    req.bearer_auth(key)
}

pub struct Api {
    pub base: String,
    pub client: reqwest::Client,
    pub key: String,
}

impl Api {
    pub fn new(server: &FakeServer, key: &str) -> Self {
        Self {
            base: server.base_url(),
            client: client(),
            key: key.to_owned(),
        }
    }

    pub async fn upsert(&self, body: Value) -> Answer {
        send(
            self.client
                .post(format!("{}/public/v1/contacts", self.base))
                .bearer_auth(&self.key)
                .json(&body),
        )
        .await
    }

    /// `email_path` is put in the path as is (encode it yourself).
    pub async fn get(&self, email_path: &str) -> Answer {
        send(
            self.client
                .get(format!(
                    "{}/public/v1/contacts/by-email/{email_path}",
                    self.base
                ))
                .bearer_auth(&self.key),
        )
        .await
    }

    pub async fn update(&self, id: impl std::fmt::Display, body: Value) -> Answer {
        send(
            self.client
                .put(format!("{}/public/v1/contacts/{id}", self.base))
                .bearer_auth(&self.key)
                .json(&body),
        )
        .await
    }

    pub async fn delete(&self, id: impl std::fmt::Display) -> Answer {
        send(
            self.client
                .delete(format!("{}/public/v1/contacts/{id}", self.base))
                .bearer_auth(&self.key),
        )
        .await
    }

    pub async fn list_fields(&self, query: &str) -> Answer {
        send(
            self.client
                .get(format!("{}/public/v1/custom-fields{query}", self.base))
                .bearer_auth(&self.key),
        )
        .await
    }

    pub async fn create_field(&self, body: Value) -> Answer {
        send(
            self.client
                .post(format!("{}/public/v1/custom-fields", self.base))
                .bearer_auth(&self.key)
                .json(&body),
        )
        .await
    }

    /// Upserts and returns the new contact id.
    pub async fn create(&self, body: Value) -> i64 {
        let a = self.upsert(body).await;
        assert_eq!(a.status, 200, "{:?}", a.body);
        a.body[0]["contactId"].as_str().unwrap().parse().unwrap()
    }
}
