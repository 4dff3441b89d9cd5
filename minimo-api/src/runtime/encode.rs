//! Percent-encoding of path parameters, as `encodeURIComponent` does it.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Every byte but the unreserved characters of RFC 3986 (`A-Z a-z 0-9 - . _ ~`).
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes one path segment: everything outside the unreserved set goes out encoded
/// (`+` as `%2B`, `@` as `%40`, `/` as `%2F`, UTF-8 byte by byte), so no server or proxy can
/// read it as anything else (a `+` decoded as a space looks up another email). The segments
/// `.` and `..` are encoded too, or URL parsing would resolve them away.
///
/// The generated client calls this for every path parameter (codegen swaps it in for
/// progenitor's own `encode_path`, which leaves sub-delimiters such as `+` raw).
///
/// ```
/// use minimo_api::runtime::encode_path;
/// assert_eq!(encode_path("a+b@example.com"), "a%2Bb%40example.com");
/// assert_eq!(encode_path("42"), "42");
/// ```
pub fn encode_path(segment: &str) -> String {
    match segment {
        "." => "%2E".to_owned(),
        ".." => "%2E%2E".to_owned(),
        _ => utf8_percent_encode(segment, COMPONENT).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_outside_the_unreserved_set_is_encoded() {
        assert_eq!(
            encode_path("a+b/c%d?e#f&g=h'i!j$k,l;m n:o@p.q_r~s-t\\u\"v"),
            "a%2Bb%2Fc%25d%3Fe%23f%26g%3Dh%27i%21j%24k%2Cl%3Bm%20n%3Ao%40p.q_r~s-t%5Cu%22v"
        );
        assert_eq!(
            encode_path("josé@exämple.it"),
            "jos%C3%A9%40ex%C3%A4mple.it"
        );
        assert_eq!(encode_path("."), "%2E");
        assert_eq!(encode_path(".."), "%2E%2E");
        assert_eq!(encode_path("..."), "...");
        assert_eq!(encode_path(""), "");
    }
}
