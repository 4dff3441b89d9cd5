//! The command line: every command, flag and help text (clap derive).

use crate::rows::Format;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const ABOUT: &str = "The Minimo contacts API from the command line: look at a contact, fix it, \
change an email, import a file, set up custom fields.";

const LONG_ABOUT: &str = "The Minimo contacts API from the command line: look at a contact, fix \
it, change an email, import a file, set up custom fields.

The API key comes from MINIMO_API_KEY, --api-key-file PATH or --api-key-stdin, never from a \
command-line value (--api-key KEY is refused: it would land in the shell history and in `ps`). \
It is never printed: messages show mn-<clientId>-***. The base URL comes from --api-url or \
MINIMO_API_URL (default https://api.minimo.it).

Output is for people by default (aligned tables; colour only on a terminal, never with \
NO_COLOR); --json prints one JSON document per command (NDJSON for the outcomes of a sync). \
Errors go to stderr, one line each.";

const TOP_AFTER_HELP: &str = "\
Examples:
  export MINIMO_API_KEY=...   # or --api-key-file ~/.config/minimo/key
  minimo contacts get --email jane@example.com
  minimo contacts upsert --email jane@example.com --field PLAN=pro --consent email=in
  minimo sync contacts.csv --rate 10
  minimo fake   # a local in-memory Minimo to try commands against

";

/// `minimo`: the command line.
#[derive(Debug, Parser)]
#[command(
    name = "minimo",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_help = top_after_help(),
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// Flags every command takes.
    #[command(flatten)]
    pub global: Global,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The top-level help's epilogue: examples, then the exit codes.
fn top_after_help() -> String {
    format!("{TOP_AFTER_HELP}{}", crate::exit::EXIT_CODES_HELP)
}

/// Flags every command takes.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// Base URL of the API (default: MINIMO_API_URL, else `https://api.minimo.it`). Plain http
    /// only to a loopback address.
    #[arg(long, global = true, value_name = "URL")]
    pub api_url: Option<String>,

    /// Read the API key from the first line of this file (chmod 600 it).
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        conflicts_with = "api_key_stdin"
    )]
    pub api_key_file: Option<PathBuf>,

    /// Read the API key from the first line of standard input.
    #[arg(long, global = true)]
    pub api_key_stdin: bool,

    /// Refused: a key typed on the command line lands in the shell history and in `ps`.
    #[arg(long, global = true, hide = true, value_name = "KEY")]
    pub api_key: Option<String>,

    /// Print JSON: one document per command, NDJSON for sync outcomes.
    #[arg(long, global = true)]
    pub json: bool,

    /// Log to stderr: -v the requests (operation, masked path, status, latency, request id),
    /// -vv everything minimo does. Emails and keys are masked.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Deadline of each API call, retries included, in seconds.
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 30.0)]
    pub timeout: f64,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Look up, create, change, delete and restore contacts.
    #[command(
        subcommand,
        after_help = "Examples:
  minimo contacts get --email jane@example.com
  minimo contacts upsert --email jane@example.com --field PLAN=pro
  minimo contacts change-email jane@example.com jane.doe@example.com --dry-run"
    )]
    Contacts(ContactsCommand),
    /// List and create custom-field definitions.
    #[command(
        subcommand,
        name = "custom-fields",
        after_help = "Examples:
  minimo custom-fields list --by-category
  minimo custom-fields create seats --label Seats --type number"
    )]
    CustomFields(CustomFieldsCommand),
    /// Apply a CSV or NDJSON file of upserts and deletes at the account's rate limit.
    #[command(
        long_about = SYNC_LONG_ABOUT,
        after_help = "Examples:
  minimo sync contacts.csv --rate 10
  minimo sync contacts.failed.csv            # feed the failed rows back in
  jq -c '.[]' export.json | minimo sync - --format ndjson --json > outcomes.ndjson"
    )]
    Sync(SyncArgs),
    /// Run a local in-memory Minimo (minimo-fake) in the foreground, on 127.0.0.1.
    #[command(
        long_about = "Run a local in-memory Minimo (minimo-fake) in the foreground, on \
127.0.0.1, for experiments: it prints the URL and a fresh API key as `export` lines to paste \
into another terminal. Every contact lives in memory and is gone when it stops (Ctrl-C). The \
key it prints is a throwaway for this server only.",
        after_help = "Examples:
  minimo fake                       # then, in another terminal, paste the export lines
  minimo fake --port 0 --rate-limit 50 --latency-ms 20"
    )]
    Fake(FakeArgs),
}

const SYNC_LONG_ABOUT: &str = "Apply a CSV or NDJSON file of upserts and deletes at the \
account's rate limit, in order per contact, with a progress bar on a terminal and a summary at \
the end. The file is read as it goes (memory stays flat however long it is); `-` reads \
standard input.

Rows: a CSV header row names the columns, NDJSON lines are objects with the same keys:
  email, phone, first_name, last_name   the contact (an upsert needs email or phone)
  consent_email, consent_whatsapp       in | out (empty: unchanged)
  op                                    upsert (default) | delete (by email; email only)
  field:KEY                             custom field KEY, typed by its definition
Any other column is refused before anything is sent. An empty cell leaves the value as it is.

Rows that fail, or are not attempted (Ctrl-C, too many failures in a row), are written to the \
failed-rows file in the input's own format, ready to be synced again. A malformed row is \
reported with its file, line and column and goes to that file unsent: no row is half-applied. \
Ctrl-C stops cleanly: requests in flight finish and are reported; a second Ctrl-C quits at \
once. Exit code 8 when some rows failed or were not attempted, 130 after Ctrl-C.";

/// `minimo contacts ...`
#[derive(Debug, Subcommand)]
pub enum ContactsCommand {
    /// Show the live contact with this email (exit 4 when there is none).
    #[command(after_help = "Examples:
  minimo contacts get --email jane@example.com
  minimo contacts get --email jane@example.com --json | jq .customFields")]
    Get {
        /// The contact's email.
        #[arg(long, value_name = "EMAIL")]
        email: String,
    },
    /// Create a contact, or update the one with this email (then phone); restores a deleted one.
    #[command(after_help = "Examples:
  minimo contacts upsert --email jane@example.com --first-name Jane --consent email=in
  minimo contacts upsert --phone '+39 339 123 4567' --field SEATS=5 --field 'TAGS:=[\"vip\"]'")]
    Upsert(ContactFields),
    /// Change only the given fields of contact ID (restores it if it was deleted).
    #[command(after_help = "Examples:
  minimo contacts update 1234 --phone '+39 339 123 4567'
  minimo contacts update 1234 --consent email=out,whatsapp=out")]
    Update {
        /// The contact's id.
        id: i64,
        /// What to change.
        #[command(flatten)]
        fields: ContactFields,
    },
    /// Soft-delete contact ID (`contacts restore ID` brings it back).
    #[command(after_help = "Examples:
  minimo contacts delete 1234")]
    Delete {
        /// The contact's id.
        id: i64,
    },
    /// Restore soft-deleted contact ID unchanged.
    #[command(after_help = "Examples:
  minimo contacts restore 1234")]
    Restore {
        /// The contact's id.
        id: i64,
    },
    /// Move a contact from email OLD to NEW safely: look-ups, conflict check, update,
    /// confirmation.
    #[command(
        name = "change-email",
        long_about = "Move a contact from email OLD to NEW safely: both emails are looked up; \
if NEW is on another contact nothing changes (exit 5); if OLD is on no contact but NEW is, the \
change was already made (exit 0); then the contact is updated by id (only its email) and NEW \
is looked up again to confirm. Running it twice is safe.",
        after_help = "Examples:
  minimo contacts change-email jane@example.com jane.doe@example.com --dry-run
  minimo contacts change-email jane@example.com jane.doe@example.com"
    )]
    ChangeEmail {
        /// The contact's current email.
        old: String,
        /// The email it should have.
        new: String,
        /// Only look both emails up and say what would change; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// The fields `upsert` and `update` send.
#[derive(Debug, Args, Default)]
pub struct ContactFields {
    /// Email address.
    #[arg(long, value_name = "EMAIL")]
    pub email: Option<String>,
    /// Phone number, E.164 (`+39 339 123 4567`; spaces, dashes and dots are removed).
    #[arg(long, value_name = "PHONE")]
    pub phone: Option<String>,
    /// First name.
    #[arg(long, value_name = "NAME")]
    pub first_name: Option<String>,
    /// Last name.
    #[arg(long, value_name = "NAME")]
    pub last_name: Option<String>,
    /// A custom field, KEY=VALUE typed as the field's definition says (number, boolean,
    /// json; text otherwise or without a definition), or KEY:=JSON to send JSON as is.
    /// Repeatable.
    #[arg(long = "field", value_name = "KEY=VALUE")]
    pub fields: Vec<String>,
    /// Marketing consent per channel: email=in|out, whatsapp=in|out (comma-separated);
    /// channels not named keep their consent.
    #[arg(long, value_name = "CHANNEL=in|out,...", value_parser = crate::fields::parse_consent)]
    pub consent: Option<minimo_ext::MarketingConsent>,
}

/// `minimo custom-fields ...`
#[derive(Debug, Subcommand)]
pub enum CustomFieldsCommand {
    /// List the account's custom fields.
    #[command(after_help = "Examples:
  minimo custom-fields list
  minimo custom-fields list --by-category
  minimo custom-fields list --json | jq -r '.[].key'")]
    List {
        /// Group the fields by category.
        #[arg(long)]
        by_category: bool,
    },
    /// Create a custom field (exit 5 if the key exists).
    #[command(after_help = "Examples:
  minimo custom-fields create seats --label Seats --type number --category Billing
  minimo custom-fields create plan --label Plan --type select --option free --option pro")]
    Create {
        /// The key (stored uppercased: `plan_tier` becomes PLAN_TIER).
        key: String,
        /// The label shown in the dashboard.
        #[arg(long, value_name = "TEXT")]
        label: String,
        /// The type of its values.
        #[arg(long = "type", value_enum, value_name = "TYPE")]
        field_type: FieldTypeArg,
        /// The category it is listed under.
        #[arg(long, value_name = "TEXT")]
        category: Option<String>,
        /// An option of a select field; repeatable.
        #[arg(long = "option", value_name = "TEXT")]
        options: Vec<String>,
    },
}

/// The custom-field types that can be created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FieldTypeArg {
    /// Free text.
    Text,
    /// A number.
    Number,
    /// true or false.
    Boolean,
    /// A date (2025-11-13).
    Date,
    /// A date and time.
    Datetime,
    /// One of fixed options (--option).
    Select,
    /// Any JSON value.
    Json,
}

impl From<FieldTypeArg> for minimo_ext::FieldType {
    fn from(arg: FieldTypeArg) -> Self {
        use minimo_ext::FieldType;
        match arg {
            FieldTypeArg::Text => FieldType::Text,
            FieldTypeArg::Number => FieldType::Number,
            FieldTypeArg::Boolean => FieldType::Boolean,
            FieldTypeArg::Date => FieldType::Date,
            FieldTypeArg::Datetime => FieldType::Datetime,
            FieldTypeArg::Select => FieldType::Select,
            FieldTypeArg::Json => FieldType::Json,
        }
    }
}

/// `minimo sync`
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The CSV or NDJSON file; `-` for standard input.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// The file's format (default: from the extension, .csv or .ndjson/.jsonl, else from
    /// the content: NDJSON when it starts with `{`).
    #[arg(long, value_enum)]
    pub format: Option<Format>,

    /// Requests per second at most: the account's rate limit (after a 429 the sync slows
    /// down by itself). Unlimited when absent.
    #[arg(long, value_name = "RPS")]
    pub rate: Option<f64>,

    /// Rows applied at once.
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub concurrency: usize,

    /// Where failed and not-attempted rows go (default: beside FILE as NAME.failed.EXT;
    /// minimo-sync.failed.EXT for stdin). Overwritten; removed when no row failed.
    #[arg(long, value_name = "PATH")]
    pub failed_rows: Option<PathBuf>,

    /// Stop after this many rows in a row failed (a revoked key, an outage); the rest is
    /// reported not attempted.
    #[arg(long, value_name = "N", default_value_t = 25)]
    pub max_consecutive_failures: u32,

    /// No progress bar, even on a terminal.
    #[arg(long)]
    pub no_progress: bool,
}

/// `minimo fake`
#[derive(Debug, Args)]
pub struct FakeArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,

    /// Rate limit per key, requests per second (answers 429 above it); off when absent.
    #[arg(long, value_name = "RPS")]
    pub rate_limit: Option<f64>,

    /// Delay before every answer, in milliseconds, like a network in between.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency_ms: u64,
}
