//! The row format of `minimo sync`: CSV with a header row, or NDJSON; read incrementally,
//! every row kept byte for byte so a failed one can be written back out as it came in.
//!
//! # Columns (CSV) and keys (NDJSON)
//!
//! | column | meaning |
//! |---|---|
//! | `email` | the contact's email (an upsert matches by it) |
//! | `phone` | E.164 (`+39 339 123 4567`; spaces, dashes, dots, parentheses are removed) |
//! | `first_name`, `last_name` | names |
//! | `consent_email`, `consent_whatsapp` | `in` or `out`; empty leaves consent as it is |
//! | `op` | `upsert` (default when empty) or `delete` (soft-deletes the contact with `email`) |
//! | `field:KEY` | custom field `KEY`, typed by its definition (see [`crate::fields`]) |
//!
//! Column names are matched in any case. Any other column is refused (with its line and
//! column) before anything is sent: without the `field:` prefix, a typo such as `emial`
//! would silently become a custom field. An upsert row needs an `email` or a `phone`; a
//! delete row needs `email` and nothing else but `op`. An empty cell (or a JSON `null`)
//! means "not set": the contact keeps what it has, so a sync never clears a value.
//!
//! NDJSON: one JSON object per line with the same keys (`{"email": "a@b.it", "op":
//! "delete"}`, `{"email": "a@b.it", "field:SEATS": 5}`); blank lines are skipped. Values of
//! the named keys are strings; custom-field values are any JSON (see [`crate::fields`]).
//!
//! # Positions
//!
//! Every error names the row's line (where the record starts, counted from 1, the header is
//! line 1 of a CSV file) and a column. In CSV the column is the field's position in the row,
//! counted from 1 as spreadsheets count columns; in NDJSON it is the character where the key
//! starts (or where the JSON parser stopped).

use crate::exit::Failure;
use crate::fields::{Definitions, RawValue, consent_value};
use minimo_ext::validate;
use minimo_ext::{ContactInput, MarketingConsent, SyncOp};
use serde_json::Value;
use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The two file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Comma-separated values with a header row.
    Csv,
    /// One JSON object per line.
    Ndjson,
}

impl Format {
    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Ndjson => "ndjson",
        }
    }

    /// The format a file name's extension names, if any.
    pub fn of_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(Format::Csv),
            "ndjson" | "jsonl" | "json" => Some(Format::Ndjson),
            _ => None,
        }
    }

    /// The format of content starting with `head`: NDJSON when the first character that is
    /// not whitespace (nor a byte-order mark) is `{`, else CSV.
    pub fn sniff(head: &[u8]) -> Format {
        let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
        match head.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{') => Format::Ndjson,
            _ => Format::Csv,
        }
    }
}

/// A column of the row format.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Column {
    /// `email`
    Email,
    /// `phone`
    Phone,
    /// `first_name`
    FirstName,
    /// `last_name`
    LastName,
    /// `consent_email`
    ConsentEmail,
    /// `consent_whatsapp`
    ConsentWhatsapp,
    /// `op`
    Op,
    /// `field:KEY`, the key uppercased.
    Field(String),
}

/// The columns, as messages list them.
pub const COLUMN_NAMES: &str =
    "email, phone, first_name, last_name, consent_email, consent_whatsapp, op, or field:KEY";

impl Column {
    /// The column a header (or NDJSON key) names. The error says what is wrong.
    pub fn parse(name: &str) -> Result<Column, String> {
        let trimmed = name.trim();
        let lower = trimmed.to_ascii_lowercase();
        Ok(match lower.as_str() {
            "email" => Column::Email,
            "phone" => Column::Phone,
            "first_name" => Column::FirstName,
            "last_name" => Column::LastName,
            "consent_email" => Column::ConsentEmail,
            "consent_whatsapp" => Column::ConsentWhatsapp,
            "op" => Column::Op,
            _ if lower.starts_with("field:") => {
                let key = &trimmed["field:".len()..];
                Column::Field(validate::custom_field_key(key).map_err(|_| {
                    format!(
                        "`{}` has an empty key or one with whitespace after `field:`",
                        one_line(trimmed)
                    )
                })?)
            }
            "" => return Err(format!("a column has no name (expected {COLUMN_NAMES})")),
            _ => {
                return Err(format!(
                    "unknown column `{}` (expected {COLUMN_NAMES}: custom fields take the `field:` prefix)",
                    one_line(trimmed)
                ));
            }
        })
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Column::Email => f.write_str("email"),
            Column::Phone => f.write_str("phone"),
            Column::FirstName => f.write_str("first_name"),
            Column::LastName => f.write_str("last_name"),
            Column::ConsentEmail => f.write_str("consent_email"),
            Column::ConsentWhatsapp => f.write_str("consent_whatsapp"),
            Column::Op => f.write_str("op"),
            Column::Field(key) => write!(f, "field:{key}"),
        }
    }
}

/// A column name as a message quotes it: one line, at most 60 characters.
fn one_line(text: &str) -> String {
    let mut shown: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(60)
        .collect();
    if text.chars().count() > 60 {
        shown.push('…');
    }
    shown
}

/// A row as it was read: written back byte for byte if it fails.
#[derive(Debug, Clone)]
pub enum RawRow {
    /// A CSV record.
    Csv(csv::ByteRecord),
    /// An NDJSON line, without its line break.
    Ndjson(Vec<u8>),
}

/// What comes back with a row's outcome: where it is and what it was.
#[derive(Debug, Clone)]
pub struct RowTag {
    /// The line the row starts on, from 1.
    pub line: u64,
    /// The row itself.
    pub raw: RawRow,
}

/// A row that cannot be applied as written: where, and why (never the value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The line, from 1.
    pub line: u64,
    /// The column, from 1 (see the module docs).
    pub column: u64,
    /// What is wrong.
    pub message: String,
}

impl RowError {
    fn at(line: u64, column: u64, message: impl Into<String>) -> RowError {
        RowError {
            line,
            column,
            message: message.into(),
        }
    }

    /// `file:line:column: message`.
    pub fn located(&self, file: &str) -> String {
        format!("{file}:{}:{}: {}", self.line, self.column, self.message)
    }
}

/// One row read: its tag, and the operation it asks for or why it cannot be applied.
#[derive(Debug)]
pub struct Parsed {
    /// Where it is, what it was.
    pub tag: RowTag,
    /// The operation, or the problem.
    pub op: Result<SyncOp, RowError>,
}

/// A source of rows (one format over one reader).
pub trait RowSource: Send {
    /// The next row; `Err` when reading failed (the rest of the input is unreadable).
    fn next_row(&mut self) -> Option<Result<Parsed, String>>;
}

/// One cell that is set: its column, where it is, its value.
struct Cell {
    column: Column,
    position: u64,
    value: RawValue,
}

impl Cell {
    fn text(&self) -> &str {
        match &self.value {
            RawValue::Text(text) => text,
            // Named columns only ever hold text (the readers make sure).
            RawValue::Json(_) => "",
        }
    }
}

/// The operation a row's cells ask for.
fn build_op(line: u64, cells: Vec<Cell>, defs: &Definitions) -> Result<SyncOp, RowError> {
    let err = |cell: &Cell, message: String| RowError::at(line, cell.position, message);
    let delete = match cells.iter().find(|c| c.column == Column::Op) {
        None => false,
        Some(op) => match op.text().trim().to_ascii_lowercase().as_str() {
            "" | "upsert" => false,
            "delete" => true,
            _ => return Err(err(op, "op must be `upsert`, `delete` or empty".to_owned())),
        },
    };
    if delete {
        if let Some(other) = cells
            .iter()
            .find(|c| !matches!(c.column, Column::Op | Column::Email))
        {
            return Err(err(
                other,
                format!(
                    "a delete row takes only `email` (and `op`), but `{}` is set",
                    other.column
                ),
            ));
        }
        let Some(email) = cells.iter().find(|c| c.column == Column::Email) else {
            let position = cells.first().map_or(1, |c| c.position);
            return Err(RowError::at(
                line,
                position,
                "a delete row needs an `email`",
            ));
        };
        let email = validate::email_for_lookup("email", email.text())
            .map_err(|e| err(email, e.message().to_owned()))?;
        return Ok(SyncOp::DeleteByEmail(email));
    }
    let mut input = ContactInput::default();
    let mut consent = MarketingConsent::unchanged();
    let mut identified = false;
    for cell in cells {
        let text = cell.text().trim();
        match &cell.column {
            Column::Email => {
                let email = validate::email_for_write("email", text)
                    .map_err(|e| err(&cell, e.message().to_owned()))?;
                input = input.email(email);
                identified = true;
            }
            Column::Phone => {
                let phone =
                    validate::phone(text).map_err(|e| err(&cell, e.message().to_owned()))?;
                input = input.phone(phone);
                identified = true;
            }
            Column::FirstName if !text.is_empty() => input = input.first_name(text),
            Column::LastName if !text.is_empty() => input = input.last_name(text),
            Column::FirstName | Column::LastName | Column::Op => {}
            Column::ConsentEmail | Column::ConsentWhatsapp => {
                let Some(opt_in) = consent_value(text) else {
                    return Err(err(
                        &cell,
                        format!("{} must be `in`, `out` or empty", cell.column),
                    ));
                };
                consent = if cell.column == Column::ConsentEmail {
                    consent.email(opt_in)
                } else {
                    consent.whatsapp(opt_in)
                };
            }
            Column::Field(key) => {
                let value = defs
                    .typed(key, cell.value.clone())
                    .map_err(|e| err(&cell, e))?;
                input = input.custom_field(key, value);
            }
        }
    }
    if !identified {
        return Err(RowError::at(
            line,
            1,
            "the row has neither an `email` nor a `phone`: an upsert needs one of them",
        ));
    }
    if !consent.is_unchanged() {
        input = input.consent(consent);
    }
    Ok(SyncOp::Upsert(input))
}

/// Rows of a CSV file with a header row.
pub struct CsvSource<R> {
    reader: csv::Reader<R>,
    header: csv::ByteRecord,
    columns: Vec<Column>,
    defs: Arc<Definitions>,
}

impl<R: Read + Send> CsvSource<R> {
    /// Reads and checks the header row: every column known, none twice, an `email` or a
    /// `phone` among them. The error is `line:column: message`-located. Custom fields are
    /// typed by `defs`.
    pub fn new(read: R, defs: Arc<Definitions>) -> Result<CsvSource<R>, RowError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(read);
        let mut header = csv::ByteRecord::new();
        match reader.read_byte_record(&mut header) {
            Ok(true) => {}
            Ok(false) => {
                return Err(RowError::at(
                    1,
                    1,
                    "the file is empty: a CSV file starts with a header row naming its columns",
                ));
            }
            Err(e) => {
                return Err(RowError::at(
                    1,
                    1,
                    format!("cannot read the header row: {e}"),
                ));
            }
        }
        let line = header.position().map_or(1, csv::Position::line);
        let mut columns: Vec<Column> = Vec::with_capacity(header.len());
        for (i, name) in header.iter().enumerate() {
            let position = i as u64 + 1;
            let name = if i == 0 {
                name.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(name)
            } else {
                name
            };
            let name = std::str::from_utf8(name)
                .map_err(|_| RowError::at(line, position, "the column name is not valid UTF-8"))?;
            let column = Column::parse(name).map_err(|e| RowError::at(line, position, e))?;
            if columns.contains(&column) {
                return Err(RowError::at(
                    line,
                    position,
                    format!("column `{column}` appears twice"),
                ));
            }
            columns.push(column);
        }
        if !columns
            .iter()
            .any(|c| matches!(c, Column::Email | Column::Phone))
        {
            return Err(RowError::at(
                line,
                1,
                "no `email` or `phone` column: rows are matched to contacts by them",
            ));
        }
        Ok(CsvSource {
            reader,
            header,
            columns,
            defs,
        })
    }

    /// Types custom fields by these definitions from now on (the header can be checked
    /// before they are listed).
    pub fn set_definitions(&mut self, defs: Arc<Definitions>) {
        self.defs = defs;
    }

    /// The header row as read (the failed-rows file starts with it).
    pub fn header(&self) -> &csv::ByteRecord {
        &self.header
    }

    /// The columns, in order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    fn parse(&self, line: u64, record: &csv::ByteRecord) -> Result<SyncOp, RowError> {
        if record.len() != self.columns.len() {
            return Err(RowError::at(
                line,
                record.len().min(self.columns.len()) as u64 + 1,
                format!(
                    "the row has {} fields but the header has {}",
                    record.len(),
                    self.columns.len()
                ),
            ));
        }
        let mut cells = Vec::with_capacity(record.len());
        for (i, (bytes, column)) in record.iter().zip(&self.columns).enumerate() {
            let position = i as u64 + 1;
            let text = std::str::from_utf8(bytes).map_err(|_| {
                RowError::at(line, position, format!("`{column}` is not valid UTF-8"))
            })?;
            if !text.is_empty() {
                cells.push(Cell {
                    column: column.clone(),
                    position,
                    value: RawValue::Text(text.to_owned()),
                });
            }
        }
        build_op(line, cells, &self.defs)
    }
}

impl<R: Read + Send> RowSource for CsvSource<R> {
    fn next_row(&mut self) -> Option<Result<Parsed, String>> {
        let mut record = csv::ByteRecord::new();
        match self.reader.read_byte_record(&mut record) {
            Ok(false) => None,
            Err(e) => Some(Err(e.to_string())),
            Ok(true) => {
                let line = record.position().map_or(0, csv::Position::line);
                let op = self.parse(line, &record);
                Some(Ok(Parsed {
                    tag: RowTag {
                        line,
                        raw: RawRow::Csv(record),
                    },
                    op,
                }))
            }
        }
    }
}

/// Rows of an NDJSON file.
pub struct NdjsonSource<R> {
    reader: R,
    line: u64,
    defs: Arc<Definitions>,
}

impl<R: BufRead + Send> NdjsonSource<R> {
    /// A source over `reader`.
    pub fn new(reader: R, defs: Arc<Definitions>) -> NdjsonSource<R> {
        NdjsonSource {
            reader,
            line: 0,
            defs,
        }
    }
}

/// The operation one NDJSON line asks for.
fn parse_ndjson(line: u64, bytes: &[u8], defs: &Definitions) -> Result<SyncOp, RowError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let column = String::from_utf8_lossy(&bytes[..e.valid_up_to()])
            .chars()
            .count() as u64
            + 1;
        RowError::at(line, column, "the line is not valid UTF-8")
    })?;
    // Parsed as a Value first, so the only errors are syntax errors, whose messages never
    // quote the input; the type of the whole line is checked after.
    let value: Value = serde_json::from_str(text).map_err(|e| {
        let message = e.to_string();
        let message = message.split(" at line ").next().unwrap_or("invalid JSON");
        RowError::at(line, e.column() as u64, format!("invalid JSON: {message}"))
    })?;
    let Value::Object(map) = value else {
        return Err(RowError::at(line, 1, "a line must be a JSON object"));
    };
    let mut cells = Vec::with_capacity(map.len());
    for (key, value) in map {
        let position = key_column(text, &key);
        let column = Column::parse(&key).map_err(|e| RowError::at(line, position, e))?;
        let value = match (&column, value) {
            (_, Value::Null) => continue,
            (Column::Field(_), json) => RawValue::Json(json),
            (_, Value::String(text)) if text.is_empty() => continue,
            (_, Value::String(text)) => RawValue::Text(text),
            (column, _) => {
                return Err(RowError::at(
                    line,
                    position,
                    format!("`{column}` must be a string"),
                ));
            }
        };
        cells.push(Cell {
            column,
            position,
            value,
        });
    }
    build_op(line, cells, defs)
}

/// The character column where `"key"` starts in `text` (1 when it cannot be found).
fn key_column(text: &str, key: &str) -> u64 {
    let quoted = serde_json::to_string(key).unwrap_or_default();
    let mut from = 0;
    // The first occurrence followed by `:` is the key (the same text may be a value too).
    while let Some(found) = text[from..].find(&quoted) {
        let at = from + found;
        let after = text[at + quoted.len()..].trim_start();
        if after.starts_with(':') {
            return text[..at].chars().count() as u64 + 1;
        }
        from = at + quoted.len();
    }
    1
}

impl<R: BufRead + Send> RowSource for NdjsonSource<R> {
    fn next_row(&mut self) -> Option<Result<Parsed, String>> {
        loop {
            let mut bytes = Vec::new();
            match self.reader.read_until(b'\n', &mut bytes) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) => return Some(Err(e.to_string())),
            }
            self.line += 1;
            if bytes.last() == Some(&b'\n') {
                bytes.pop();
            }
            if bytes.last() == Some(&b'\r') {
                bytes.pop();
            }
            if bytes.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let op = parse_ndjson(self.line, &bytes, &self.defs);
            return Some(Ok(Parsed {
                tag: RowTag {
                    line: self.line,
                    raw: RawRow::Ndjson(bytes),
                },
                op,
            }));
        }
    }
}

/// How many rows a file holds (a streaming pass, for the progress bar's total and ETA).
pub fn count_rows(path: &Path, format: Format) -> std::io::Result<u64> {
    let file = std::io::BufReader::new(File::open(path)?);
    match format {
        Format::Csv => {
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(true)
                .flexible(true)
                .from_reader(file);
            let mut record = csv::ByteRecord::new();
            let mut rows = 0;
            while reader
                .read_byte_record(&mut record)
                .map_err(std::io::Error::other)?
            {
                rows += 1;
            }
            Ok(rows)
        }
        Format::Ndjson => {
            let mut rows = 0;
            for line in file.split(b'\n') {
                if !line?.iter().all(u8::is_ascii_whitespace) {
                    rows += 1;
                }
            }
            Ok(rows)
        }
    }
}

/// The failed-rows file: the input's format, the CSV header first, each row as it was read.
pub struct RowsWriter {
    path: PathBuf,
    out: Output,
    rows: u64,
}

enum Output {
    // Boxed: one writer per sync, and the CSV one is ten times the size of the other.
    Csv(Box<csv::Writer<BufWriter<File>>>),
    Ndjson(BufWriter<File>),
}

impl RowsWriter {
    /// Creates (or truncates) the file now, so a path that cannot be written fails before
    /// anything is sent. A CSV file gets `header` first.
    pub fn create(
        path: &Path,
        format: Format,
        header: Option<&csv::ByteRecord>,
    ) -> std::io::Result<RowsWriter> {
        let file = BufWriter::new(File::create(path)?);
        let out = match format {
            Format::Csv => {
                let mut writer = csv::WriterBuilder::new().flexible(true).from_writer(file);
                if let Some(header) = header {
                    writer.write_byte_record(header)?;
                }
                Output::Csv(Box::new(writer))
            }
            Format::Ndjson => Output::Ndjson(file),
        };
        Ok(RowsWriter {
            path: path.to_owned(),
            out,
            rows: 0,
        })
    }

    /// Appends a row.
    pub fn write(&mut self, raw: &RawRow) -> std::io::Result<()> {
        match (&mut self.out, raw) {
            (Output::Csv(writer), RawRow::Csv(record)) => writer.write_byte_record(record)?,
            (Output::Ndjson(writer), RawRow::Ndjson(line)) => {
                writer.write_all(line)?;
                writer.write_all(b"\n")?;
            }
            // One writer per input, made for its format.
            _ => return Err(std::io::Error::other("a row of another format")),
        }
        self.rows += 1;
        Ok(())
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Flushes; removes the file when no row was written (no stale rows to feed back in).
    /// Returns the rows written.
    pub fn finish(self) -> std::io::Result<u64> {
        match self.out {
            Output::Csv(mut writer) => writer.flush()?,
            Output::Ndjson(mut writer) => writer.flush()?,
        }
        if self.rows == 0 {
            std::fs::remove_file(&self.path)?;
        }
        Ok(self.rows)
    }
}

/// Where the failed rows go by default: beside the input, `NAME.failed.EXT`; for standard
/// input, `minimo-sync.failed.EXT` in the current directory.
pub fn default_rows_path(input: Option<&Path>, format: Format) -> PathBuf {
    let ext = format.extension();
    match input {
        None => PathBuf::from(format!("minimo-sync.failed.{ext}")),
        Some(path) => {
            let stem = path
                .file_stem()
                .map_or_else(|| "rows".into(), |s| s.to_string_lossy());
            let ext = path
                .extension()
                .map_or_else(|| ext.into(), |e| e.to_string_lossy());
            path.with_file_name(format!("{stem}.failed.{ext}"))
        }
    }
}

/// Checks that `rows` is not the input itself (writing it would destroy the input).
pub fn check_distinct(input: Option<&Path>, rows: &Path) -> Result<(), Failure> {
    let Some(input) = input else {
        return Ok(());
    };
    let same = match (input.canonicalize(), rows.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => input == rows,
    };
    if same {
        return Err(Failure::usage(format!(
            "--failed-rows {} is the input file itself",
            rows.display()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use minimo_ext::FieldType;

    fn defs() -> Arc<Definitions> {
        Arc::new(Definitions::from_types([(
            "seats".to_owned(),
            FieldType::Number,
        )]))
    }

    /// Each row's line and its operation (Debug) or error.
    type Rows = Vec<(u64, Result<String, RowError>)>;

    fn csv_rows(text: &str) -> Result<Rows, RowError> {
        let mut source = CsvSource::new(text.as_bytes(), defs())?;
        let mut rows = Vec::new();
        while let Some(parsed) = source.next_row() {
            let parsed = parsed.unwrap();
            rows.push((parsed.tag.line, parsed.op.map(|op| format!("{op:?}"))));
        }
        Ok(rows)
    }

    #[test]
    fn the_header_names_known_columns_once() {
        let unknown = csv_rows("email,emial\n").unwrap_err();
        assert_eq!((unknown.line, unknown.column), (1, 2));
        assert!(
            unknown.message.contains("unknown column `emial`"),
            "{unknown:?}"
        );
        let twice = csv_rows("Email,EMAIL\n").unwrap_err();
        assert_eq!(twice.column, 2);
        let no_id = csv_rows("first_name,field:PLAN\n").unwrap_err();
        assert!(no_id.message.contains("no `email` or `phone`"), "{no_id:?}");
        let bad_key = csv_rows("email,field:\n").unwrap_err();
        assert_eq!(bad_key.column, 2);
        let empty = csv_rows("").unwrap_err();
        assert_eq!((empty.line, empty.column), (1, 1));
        let bom = csv_rows("\u{feff}email,First_Name,field:plan\n").unwrap();
        assert!(bom.is_empty());
    }

    #[test]
    fn rows_become_upserts_and_deletes_or_located_errors() {
        let rows = csv_rows(
            "email,phone,consent_email,field:seats,field:note,op\n\
             a@example.com,,in,4,x,\n\
             ,+39 339 123 4567,,,,upsert\n\
             b@example.com,,,,,delete\n\
             c@example.com,,maybe,,,\n\
             \"multi\nline\"@example.com,,,,,\n\
             d@example.com,,,five,,\n\
             e@example.com,+39 1,,,,\n\
             ,,,,,\n\
             f@example.com,,,1,,delete\n\
             g@example.com,,,\n",
        )
        .unwrap();
        let lines: Vec<u64> = rows.iter().map(|r| r.0).collect();
        assert_eq!(lines, [2, 3, 4, 5, 6, 8, 9, 10, 11, 12]);
        assert!(rows[0].1.as_ref().unwrap().starts_with("Upsert"));
        assert!(rows[1].1.as_ref().unwrap().starts_with("Upsert"));
        assert!(rows[2].1.as_ref().unwrap().starts_with("DeleteByEmail"));
        let errors: Vec<(u64, u64, &str)> = rows
            .iter()
            .filter_map(|(_, r)| r.as_ref().err())
            .map(|e| (e.line, e.column, e.message.as_str()))
            .collect();
        assert_eq!(
            errors,
            [
                (5, 3, "consent_email must be `in`, `out` or empty"),
                (
                    6,
                    1,
                    "email contains whitespace or control characters outside quotes"
                ),
                (
                    8,
                    4,
                    "custom field SEATS is a `number` field: the value is not a number"
                ),
                (9, 2, "phone must have 7 to 15 digits"),
                (
                    10,
                    1,
                    "the row has neither an `email` nor a `phone`: an upsert needs one of them"
                ),
                (
                    11,
                    4,
                    "a delete row takes only `email` (and `op`), but `field:SEATS` is set"
                ),
                (12, 5, "the row has 4 fields but the header has 6"),
            ]
        );
    }

    #[test]
    fn ndjson_lines_use_the_same_keys_and_locate_errors() {
        let text = "{\"email\":\"a@example.com\",\"field:SEATS\":\"3\",\"field:TAGS\":[1]}\n\
                    \n\
                    {\"email\":\"a@example.com\", \"emial\":\"x\"}\n\
                    {\"email\":\"a@example.com\",}\n\
                    {\"phone\": 39}\n\
                    \"jane@example.com\"\n\
                    {\"email\":\"b@example.com\",\"op\":\"delete\",\"first_name\":null}\r\n";
        let mut source = NdjsonSource::new(text.as_bytes(), defs());
        let mut out = Vec::new();
        while let Some(parsed) = source.next_row() {
            let parsed = parsed.unwrap();
            out.push((parsed.tag.line, parsed.op.map(|op| format!("{op:?}"))));
        }
        assert_eq!(out.len(), 6);
        assert!(out[0].1.as_ref().unwrap().starts_with("Upsert"));
        assert!(out[5].1.as_ref().unwrap().starts_with("DeleteByEmail"));
        let errors: Vec<(u64, u64, String)> = out
            .iter()
            .filter_map(|(_, r)| r.as_ref().err())
            .map(|e| (e.line, e.column, e.message.clone()))
            .collect();
        assert_eq!(errors[0].0, 3);
        assert_eq!(errors[0].1, 27);
        assert!(errors[0].2.contains("unknown column `emial`"));
        assert_eq!((errors[1].0, errors[1].1), (4, 26));
        assert!(
            errors[1].2.starts_with("invalid JSON: trailing comma"),
            "{errors:?}"
        );
        assert_eq!((errors[2].0, errors[2].1), (5, 2));
        assert_eq!(errors[2].2, "`phone` must be a string");
        assert_eq!(errors[3], (6, 1, "a line must be a JSON object".to_owned()));
        assert!(!format!("{errors:?}").contains("jane"));
    }

    #[test]
    fn failed_rows_go_back_out_byte_for_byte() {
        let dir = tempfile::tempdir().unwrap();
        let input =
            "email,field:note\n\"a@example.com\",\"x, \"\"quoted\"\"\"\nb@example.com,plain\n";
        let source = CsvSource::new(input.as_bytes(), defs()).unwrap();
        let path = dir.path().join("out.csv");
        let mut writer = RowsWriter::create(&path, Format::Csv, Some(source.header())).unwrap();
        let mut source = source;
        while let Some(parsed) = source.next_row() {
            writer.write(&parsed.unwrap().tag.raw).unwrap();
        }
        assert_eq!(writer.finish().unwrap(), 2);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "email,field:note\na@example.com,\"x, \"\"quoted\"\"\"\nb@example.com,plain\n"
        );
        let empty = dir.path().join("empty.ndjson");
        let writer = RowsWriter::create(&empty, Format::Ndjson, None).unwrap();
        assert_eq!(writer.finish().unwrap(), 0);
        assert!(!empty.exists(), "an empty rows file is removed");
    }

    #[test]
    fn formats_come_from_the_extension_or_the_content() {
        assert_eq!(Format::of_path(Path::new("a.CSV")), Some(Format::Csv));
        assert_eq!(Format::of_path(Path::new("a.jsonl")), Some(Format::Ndjson));
        assert_eq!(Format::of_path(Path::new("a.txt")), None);
        assert_eq!(Format::sniff(b"\xEF\xBB\xBF  {\"email\""), Format::Ndjson);
        assert_eq!(Format::sniff(b"email,phone"), Format::Csv);
        assert_eq!(
            default_rows_path(Some(Path::new("dir/contacts.csv")), Format::Csv),
            PathBuf::from("dir/contacts.failed.csv")
        );
        assert_eq!(
            default_rows_path(None, Format::Ndjson),
            PathBuf::from("minimo-sync.failed.ndjson")
        );
    }
}
