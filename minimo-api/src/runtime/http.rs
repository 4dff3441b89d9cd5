//! The base URL rules and the HTTP client every Minimo client is built on, in one place for
//! both `minimo_api::Client::with_api_key` and `minimo-ext`'s builder.

use super::Runtime;
use reqwest::Url;
use std::fmt;
use std::time::Duration;

/// How long connecting may take by default.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The default deadline of a whole call, every attempt and wait included.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// A base URL that cannot be used. The message names what is wrong and at most the host,
/// never the whole URL (a misplaced secret must not end up in a log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidBaseUrl {
    reason: String,
}

impl fmt::Display for InvalidBaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for InvalidBaseUrl {}

fn invalid(reason: impl Into<String>) -> InvalidBaseUrl {
    InvalidBaseUrl {
        reason: reason.into(),
    }
}

/// Checks a base URL: `https`, or plain `http` on a loopback host (a local fake); no query,
/// fragment or credentials. The API rejects plain HTTP, and a key sent over it is exposed.
///
/// ```
/// use minimo_api::runtime::check_base_url;
/// assert!(check_base_url("https://api.minimo.it").is_ok());
/// assert!(check_base_url("http://127.0.0.1:8080").is_ok());
/// assert!(check_base_url("http://api.minimo.it").is_err());
/// ```
pub fn check_base_url(text: &str) -> Result<Url, InvalidBaseUrl> {
    let url =
        Url::parse(text.trim()).map_err(|e| invalid(format!("the base URL is not a URL ({e})")))?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("the base URL must not have a query or fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("the base URL must not carry credentials"));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(invalid(format!(
            "the base URL's host {} is reached over plain http: the API only accepts https \
             (http is allowed for loopback hosts only)",
            url.host_str().unwrap_or_default()
        ))),
        other => Err(invalid(format!(
            "the base URL's scheme `{other}` is not https"
        ))),
    }
}

/// Whether the URL's host is a loopback address or `localhost`.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// The HTTP client a Minimo client uses unless it is given one: no redirects (a followed 302
/// turns the upsert's POST into a GET and drops its body, and could lead to plain http), https
/// only unless `base_url` is loopback, this connect timeout, and `call_timeout` as each
/// request's total timeout. Pair it with a [`Runtime`] given the same call timeout and
/// [`Runtime::with_client_timeout`], so that a first attempt relies on the client's timeout
/// instead of setting its own (retries still get what is left of the call's deadline).
pub fn default_http_client(
    base_url: &Url,
    connect_timeout: Duration,
    call_timeout: Duration,
) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .timeout(call_timeout)
        .redirect(reqwest::redirect::Policy::none())
        // The runtime retries by each operation's class; reqwest's own layer only retries
        // HTTP/2 refusals (this client speaks HTTP/1) and would copy every request for it.
        .retry(reqwest::retry::never().max_retries_per_request(0))
        .https_only(!is_loopback(base_url))
        .build()
}

/// The URL of one request: `path` (already percent-encoded, see
/// [`encode_path`](super::encode_path)) appended to the path of `baseurl`.
///
/// The generated client calls this for every operation (codegen puts it in place of
/// progenitor's `format!("{}/path", client.baseurl)`): the base is parsed once per client and
/// cached in its [`Runtime`], and each call only sets the path of a copy, where reqwest would
/// parse the whole URL (scheme, host, port, path) again. An unparsable base is an error
/// message, which the generated code reports as `Error::InvalidRequest`.
pub fn endpoint(baseurl: &str, runtime: &Runtime, path: fmt::Arguments<'_>) -> Result<Url, String> {
    use std::io::Write;
    let base = runtime.parsed_base(baseurl)?;
    let mut url = base.as_ref().clone();
    let prefix = base.path().trim_end_matches('/');
    // Paths of this API fit on the stack; a longer one is written to the heap.
    let mut buffer = [0u8; 512];
    let mut cursor = std::io::Cursor::new(&mut buffer[..]);
    let written = write!(cursor, "{prefix}{path}").is_ok();
    let length = usize::try_from(cursor.position()).unwrap_or(0);
    match buffer.get(..length).map(std::str::from_utf8) {
        Some(Ok(full)) if written => url.set_path(full),
        _ => url.set_path(&format!("{prefix}{path}")),
    }
    Ok(url)
}

/// Parses a base URL for [`endpoint`]: the error names the problem, never the URL.
pub(super) fn parse_base(baseurl: &str) -> Result<Url, String> {
    match Url::parse(baseurl) {
        Ok(url) if url.cannot_be_a_base() => Err("the base URL cannot have paths".to_owned()),
        Ok(url) => Ok(url),
        Err(e) => Err(format!("the base URL is not a URL ({e})")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_must_be_https_unless_loopback() {
        assert!(check_base_url("https://api.minimo.it").is_ok());
        for ok in [
            "http://127.0.0.1:8080",
            "http://localhost:3000/",
            "http://LOCALHOST:3000/",
            "http://[::1]:9000",
            "http://127.8.9.10",
        ] {
            assert!(check_base_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://api.minimo.it",
            "http://10.0.0.1",
            "http://[::2]:9000",
            "http://localhost.example.com",
            "ftp://api.minimo.it",
            "api.minimo.it",
            "https://a.it/?x=1",
            "https://a.it/#x",
            "https://u:p@a.it",
            "https://u@a.it",
        ] {
            assert!(check_base_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn endpoints_append_the_encoded_path_to_the_base_path() {
        let runtime = Runtime::new();
        let url = |base: &str, path: &str| {
            endpoint(base, &runtime, format_args!("{path}")).map(|u| u.to_string())
        };
        assert_eq!(
            url("https://api.minimo.it", "/public/v1/contacts/a%2Bb%40x.it").as_deref(),
            Ok("https://api.minimo.it/public/v1/contacts/a%2Bb%40x.it")
        );
        assert_eq!(
            url("http://127.0.0.1:9/prefix/", "/public/v1/contacts/7").as_deref(),
            Ok("http://127.0.0.1:9/prefix/public/v1/contacts/7")
        );
        // The cache is keyed by the base: another base on the same runtime is parsed anew.
        assert_eq!(
            url("https://eu.example.it/base", "/x").as_deref(),
            Ok("https://eu.example.it/base/x")
        );
        let bad = url("not a url", "/x").err().unwrap_or_default();
        assert!(
            bad.contains("not a URL") && !bad.contains("not a url"),
            "{bad}"
        );
    }

    #[test]
    fn errors_name_the_problem_not_the_url() {
        let error = check_base_url("https://mn-acme-topsecret@a.it").err();
        let shown = error.map(|e| e.to_string()).unwrap_or_default();
        assert!(shown.contains("credentials"), "{shown}");
        assert!(!shown.contains("topsecret"), "{shown}");
    }
}
