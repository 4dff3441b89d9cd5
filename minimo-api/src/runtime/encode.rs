//! Percent-encoding of path parameters, as `encodeURIComponent` does it.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use std::fmt::Write as _;

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
        let mut encoder = Encoder {
            out: f,
            dots: 0,
            undotted: false,
        };
        write!(encoder, "{}", self.0)?;
        encoder.finish()
    }
}

/// Percent-encodes what the value writes, as it writes it, with no copy of the value.
/// Leading dots are held back until it is known whether the segment is exactly `.` or `..`.
struct Encoder<'a, 'b> {
    out: &'a mut std::fmt::Formatter<'b>,
    /// Dots written before anything else.
    dots: usize,
    /// Whether anything but a dot was written.
    undotted: bool,
}

impl std::fmt::Write for Encoder<'_, '_> {
    fn write_str(&mut self, chunk: &str) -> std::fmt::Result {
        let mut rest = chunk;
        if !self.undotted {
            let undotted = rest.trim_start_matches('.');
            self.dots += rest.len() - undotted.len();
            if undotted.is_empty() {
                return Ok(());
            }
            self.undotted = true;
            rest = undotted;
            // Dots are unreserved: written as they are.
            for _ in 0..self.dots {
                self.out.write_char('.')?;
            }
        }
        // Percent-encoding works byte by byte: chunk by chunk is the same as all at once.
        std::fmt::Display::fmt(&utf8_percent_encode(rest, COMPONENT), self.out)
    }
}

impl Encoder<'_, '_> {
    /// Writes the held-back dots of a value made only of dots.
    fn finish(self) -> std::fmt::Result {
        if self.undotted {
            return Ok(());
        }
        match self.dots {
            1 => self.out.write_str("%2E"),
            2 => self.out.write_str("%2E%2E"),
            dots => (0..dots).try_for_each(|_| self.out.write_char('.')),
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
        assert_eq!(encoded(".a"), ".a");
        assert_eq!(encoded("..a.."), "..a..");
        assert_eq!(encoded("a."), "a.");
    }

    /// A value written in several pieces, the way a `Display` impl may write it.
    struct Pieces(&'static [&'static str]);

    impl std::fmt::Display for Pieces {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            self.0.iter().try_for_each(|piece| f.write_str(piece))
        }
    }

    #[test]
    fn a_value_written_in_pieces_encodes_as_a_whole() {
        let encoded = |pieces| encode_path(&Pieces(pieces)).to_string();
        assert_eq!(encoded(&[".", "."]), "%2E%2E");
        assert_eq!(encoded(&[".", "", "."]), "%2E%2E");
        assert_eq!(encoded(&[".", ".", "."]), "...");
        assert_eq!(encoded(&[".", "a+", "b"]), ".a%2Bb");
        assert_eq!(encoded(&["jane", "@", "example.com"]), "jane%40example.com");
    }
}
