//! Human and JSON output: aligned tables, colour only where it belongs, errors on stderr.

use crate::exit::Failure;
use crate::logging::eprint_line;
use serde_json::{Value, json};
use std::io::{IsTerminal, Write};

/// Whether to colour a stream: only a terminal, never with `NO_COLOR` set to anything
/// non-empty (<https://no-color.org>), never on a `dumb` terminal.
pub fn colour_enabled(is_terminal: bool, no_color: Option<&str>, term: Option<&str>) -> bool {
    is_terminal && no_color.is_none_or(str::is_empty) && term != Some("dumb")
}

fn env_colour(is_terminal: bool) -> bool {
    colour_enabled(
        is_terminal,
        std::env::var("NO_COLOR").ok().as_deref(),
        std::env::var("TERM").ok().as_deref(),
    )
}

/// Where a command writes: JSON or human text, colour decided per stream.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    /// `--json`: one JSON document per command (NDJSON for streams).
    pub json: bool,
    /// Colour on stdout.
    pub colour_out: bool,
    /// Colour on stderr.
    pub colour_err: bool,
}

impl Output {
    /// Output for this process's stdout and stderr.
    pub fn new(json: bool) -> Output {
        Output {
            json,
            colour_out: !json && env_colour(std::io::stdout().is_terminal()),
            colour_err: env_colour(std::io::stderr().is_terminal()),
        }
    }

    /// Prints one JSON document on its own line. Write errors are ignored (as for all
    /// output): a reader that went away (`| head`) must not abort a sync half-way.
    pub fn json(&self, value: &Value) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{value}");
    }

    /// Prints human text as is.
    pub fn text(&self, text: &str) {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes());
        if !text.ends_with('\n') {
            let _ = out.write_all(b"\n");
        }
    }

    /// Bold on stdout when colour is on.
    pub fn bold(&self, text: &str) -> String {
        paint(self.colour_out, "1", text)
    }

    /// A warning on stderr (`warning: ...`, yellow on a terminal; with `--json`,
    /// `{"warning": "..."}`).
    pub fn warn(&self, message: &str) {
        if self.json {
            let message = message.strip_prefix("warning: ").unwrap_or(message);
            eprint_line(&json!({"warning": message}).to_string());
        } else {
            eprint_line(&paint(self.colour_err, "33", message));
        }
    }

    /// The one line a failed command prints on stderr: `error: ...`, or with `--json` a JSON
    /// document `{"error": {"exit", "kind", "message"}}`.
    pub fn failure(&self, failure: &Failure) {
        if self.json {
            eprint_line(
                &json!({"error": {
                    "exit": failure.exit.code(),
                    "kind": failure.exit.name(),
                    "message": failure.message,
                }})
                .to_string(),
            );
        } else {
            eprint_line(&format!(
                "{} {}",
                paint(self.colour_err, "1;31", "error:"),
                failure.message
            ));
        }
    }
}

/// `text` in an SGR colour when `on`.
pub fn paint(on: bool, sgr: &str, text: &str) -> String {
    if on {
        format!("\x1b[{sgr}m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}

/// Rows aligned in columns two spaces apart; the first row is the header (bold when `bold`
/// is given). Trailing spaces are trimmed.
pub fn table(rows: &[Vec<String>], header: bool, out: &Output) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut text = String::new();
    for (i, row) in rows.iter().enumerate() {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c > 0 {
                line.push_str("  ");
            }
            line.push_str(cell);
            if c + 1 < row.len() {
                let pad = widths[c].saturating_sub(cell.chars().count());
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        let line = line.trim_end();
        if header && i == 0 {
            text.push_str(&out.bold(line));
        } else {
            text.push_str(line);
        }
        text.push('\n');
    }
    text
}

/// A custom field's value as a table shows it: strings as they are, anything else as JSON.
pub fn show_value(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_needs_a_terminal_and_no_no_color() {
        assert!(colour_enabled(true, None, Some("xterm-256color")));
        assert!(colour_enabled(true, Some(""), None));
        assert!(!colour_enabled(false, None, Some("xterm")));
        assert!(!colour_enabled(true, Some("1"), Some("xterm")));
        assert!(!colour_enabled(true, None, Some("dumb")));
    }

    #[test]
    fn tables_align_columns_and_bold_only_with_colour() {
        let rows = vec![
            vec!["KEY".to_owned(), "TYPE".to_owned(), "LABEL".to_owned()],
            vec!["PLAN".to_owned(), "select".to_owned(), "Plan".to_owned()],
            vec!["SEATS".to_owned(), "number".to_owned(), String::new()],
        ];
        let plain = Output {
            json: false,
            colour_out: false,
            colour_err: false,
        };
        assert_eq!(
            table(&rows, true, &plain),
            "KEY    TYPE    LABEL\nPLAN   select  Plan\nSEATS  number\n"
        );
        let coloured = Output {
            colour_out: true,
            ..plain
        };
        assert!(table(&rows, true, &coloured).starts_with("\x1b[1mKEY"));
    }
}
