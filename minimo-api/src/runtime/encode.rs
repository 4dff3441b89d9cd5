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
/// progenitor's own `encode_path`, which leaves sub-delimiters such as `+` raw), inside the
/// `format!` that builds the URL: the value is written there through the encoder, with no
/// string of its own.
///
/// ```
/// use minimo_api::runtime::encode_path;
/// assert_eq!(encode_path("a+b@example.com").to_string(), "a%2Bb%40example.com");
/// assert_eq!(encode_path(&42).to_string(), "42");
/// ```
pub fn encode_path<T: std::fmt::Display + ?Sized>(value: &T) -> EncodedSegment<'_, T> {
    EncodedSegment(value)
}

/// A path parameter that displays percent-encoded (see [`encode_path`]).
#[derive(Debug, Clone, Copy)]
pub struct EncodedSegment<'a, T: ?Sized>(&'a T);

impl<T: std::fmt::Display + ?Sized> std::fmt::Display for EncodedSegment<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use std::io::Write;
        // Written to the stack first: the segments `.` and `..` need the whole value.
        let mut buffer = [0u8; 512];
        let mut cursor = std::io::Cursor::new(&mut buffer[..]);
        let fits = write!(cursor, "{}", self.0).is_ok();
        let length = usize::try_from(cursor.position()).unwrap_or(0);
        let owned;
        let text = match buffer.get(..length).map(std::str::from_utf8) {
            Some(Ok(text)) if fits => text,
            _ => {
                owned = self.0.to_string();
                owned.as_str()
            }
        };
        match text {
            "." => f.write_str("%2E"),
            ".." => f.write_str("%2E%2E"),
            segment => utf8_percent_encode(segment, COMPONENT).fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_outside_the_unreserved_set_is_encoded() {
        let encoded = |s: &str| encode_path(s).to_string();
        assert_eq!(
            encoded("a+b/c%d?e#f&g=h'i!j$k,l;m n:o@p.q_r~s-t\\u\"v"),
            "a%2Bb%2Fc%25d%3Fe%23f%26g%3Dh%27i%21j%24k%2Cl%3Bm%20n%3Ao%40p.q_r~s-t%5Cu%22v"
        );
        assert_eq!(encoded("josé@exämple.it"), "jos%C3%A9%40ex%C3%A4mple.it");
        assert_eq!(encoded("."), "%2E");
        assert_eq!(encoded(".."), "%2E%2E");
        assert_eq!(encoded("..."), "...");
        assert_eq!(encoded(""), "");
        let long = format!("{}@example.com", "a+".repeat(400));
        assert_eq!(encoded(&long), long.replace('+', "%2B").replace('@', "%40"));
        assert_eq!(encode_path(&-7i64).to_string(), "-7");
    }
}
