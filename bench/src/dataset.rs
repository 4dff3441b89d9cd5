//! The synthetic contacts the sync scenarios write, and the check that the fake's store holds
//! exactly what was written.
//!
//! A [`Dataset`] is `inputs` upserts of contacts numbered from `first`. Input `i` writes
//! contact `i`, except every tenth input (`i % 10 == 9`), which writes contact `i - 2` again
//! with newer values: so about 10% of the contacts are written twice, close enough together
//! that both writes are in a sync's window at once, and the store must end with the second.
//! Each contact has an email (`user{n}@example.com`), a phone (`+393` and 11 digits of `n`),
//! a first name and three custom fields (`SEQ`, the input's number; `PLAN`; an `ADDRESS`
//! object), so a write that lands out of order, twice, or not at all shows in the store.
//!
//! The same rows serialize as NDJSON, one [`ContactLine`] a line, the shape of the API's
//! upsert body.

use minimo_ext::{ContactInput, SyncInput};
use minimo_fake::{CompanyId, Store};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

const PLANS: [&str; 3] = ["free", "pro", "team"];
const CITIES: [&str; 4] = ["Rome", "Milan", "Turin", "Naples"];

/// One contact to upsert, as one line of an NDJSON file: the fields of the API's upsert body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactLine {
    /// The email the contact is matched by.
    pub email: String,
    /// Its phone, E.164.
    pub phone: String,
    /// Its first name.
    pub first_name: String,
    /// Its custom fields, keys uppercased as the server stores them.
    pub custom_fields: Map<String, Value>,
}

impl ContactLine {
    /// The input a service would build from this row.
    pub fn into_input(self) -> ContactInput {
        let mut input = ContactInput::with_email(self.email)
            .phone(self.phone)
            .first_name(self.first_name);
        for (key, value) in self.custom_fields {
            input = input.custom_field(&key, value);
        }
        input
    }

    /// The row as one sync input.
    pub fn into_sync_input(self) -> SyncInput {
        SyncInput::upsert(self.into_input())
    }
}

/// `inputs` upserts of contacts numbered from `first` (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dataset {
    first: u64,
    inputs: usize,
}

/// What the store holds of a [`Dataset`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Check {
    /// Contacts of the dataset checked (each once).
    pub contacts: u64,
    /// Contacts missing from the store, soft-deleted, or not holding their last-written
    /// values.
    pub lost: u64,
}

impl Dataset {
    /// `inputs` upserts of contacts numbered from `first`; the contacts of two datasets are
    /// different when their ranges `first..first + inputs` do not overlap.
    pub fn new(first: u64, inputs: usize) -> Dataset {
        Dataset { first, inputs }
    }

    /// The first number after this dataset's contacts: where the next dataset can start.
    pub fn end(&self) -> u64 {
        self.first + self.inputs as u64
    }

    /// The number of upserts.
    pub fn inputs(&self) -> usize {
        self.inputs
    }

    /// The number of different contacts written (every tenth input writes one again).
    pub fn contacts(&self) -> usize {
        self.inputs - self.inputs / 10
    }

    /// The contact (offset from `first`) that input `i` writes.
    fn contact_of(i: usize) -> usize {
        if i % 10 == 9 { i - 2 } else { i }
    }

    /// The last input that writes contact `c` (an offset that some input writes first).
    fn last_input_of(&self, c: usize) -> usize {
        if c % 10 == 7 && c + 2 < self.inputs {
            c + 2
        } else {
            c
        }
    }

    /// Input `i`.
    pub fn line(&self, i: usize) -> ContactLine {
        let n = self.first + Self::contact_of(i) as u64;
        let mut custom_fields = Map::new();
        custom_fields.insert("SEQ".to_owned(), json!(i));
        custom_fields.insert("PLAN".to_owned(), json!(PLANS[i % PLANS.len()]));
        custom_fields.insert(
            "ADDRESS".to_owned(),
            json!({ "city": CITIES[i % CITIES.len()] }),
        );
        ContactLine {
            email: format!("user{n}@example.com"),
            phone: format!("+393{:011}", n % 100_000_000_000),
            first_name: format!("Name{i}"),
            custom_fields,
        }
    }

    /// Every input, in order.
    pub fn lines(&self) -> impl Iterator<Item = ContactLine> + '_ {
        (0..self.inputs).map(|i| self.line(i))
    }

    /// Every input, in order, as sync inputs.
    pub fn sync_inputs(&self) -> impl Iterator<Item = SyncInput> + '_ {
        self.lines().map(ContactLine::into_sync_input)
    }

    /// Writes every input to `path` as NDJSON, one [`ContactLine`] a line. Answers the size
    /// in bytes.
    pub fn write_ndjson(&self, path: &Path) -> Result<u64, String> {
        let problem = |e: &dyn std::fmt::Display| format!("cannot write {}: {e}", path.display());
        let file = File::create(path).map_err(|e| problem(&e))?;
        let mut out = BufWriter::new(file);
        for line in self.lines() {
            serde_json::to_writer(&mut out, &line).map_err(|e| problem(&e))?;
            out.write_all(b"\n").map_err(|e| problem(&e))?;
        }
        out.flush().map_err(|e| problem(&e))?;
        let file = out.into_inner().map_err(|e| problem(&e))?;
        file.metadata().map(|m| m.len()).map_err(|e| problem(&e))
    }

    /// Checks every contact of the dataset in `store`: live, with the phone, first name and
    /// custom fields of the last input that wrote it.
    pub fn check(&self, store: &Store, company: CompanyId) -> Check {
        let mut check = Check::default();
        for c in (0..self.inputs).filter(|i| i % 10 != 9) {
            check.contacts += 1;
            let expected = self.line(self.last_input_of(c));
            let holds = store
                .contact_by_email(company, &expected.email)
                .is_some_and(|stored| {
                    stored.phone.as_deref() == Some(expected.phone.as_str())
                        && stored.first_name.as_deref() == Some(expected.first_name.as_str())
                        && stored.custom_fields == expected.custom_fields
                });
            if !holds {
                check.lost += 1;
            }
        }
        check
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use minimo_fake::ContactSeed;

    #[test]
    fn every_tenth_input_writes_a_recent_contact_again() {
        let data = Dataset::new(100, 20);
        assert_eq!(data.contacts(), 18);
        assert_eq!(data.line(9).email, data.line(7).email);
        assert_eq!(data.line(19).email, "user117@example.com");
        assert_ne!(data.line(9).custom_fields, data.line(7).custom_fields);
        assert_eq!(data.last_input_of(7), 9);
        assert_eq!(data.last_input_of(8), 8);
        // The last contact written twice needs its second input inside the dataset.
        assert_eq!(Dataset::new(0, 9).last_input_of(7), 7);
        assert_eq!(data.end(), 120);
        assert_eq!(data.line(3).phone, "+39300000000103");
    }

    #[test]
    fn lines_round_trip_through_json() {
        let line = Dataset::new(0, 3).line(2);
        let text = serde_json::to_string(&line).unwrap_or_default();
        assert!(
            text.starts_with(r#"{"email":"user2@example.com","phone":"#),
            "{text}"
        );
        assert!(text.contains(r#""customFields":{"SEQ":2,"#), "{text}");
        let back: ContactLine = serde_json::from_str(&text).unwrap_or_else(|_| line.clone());
        assert_eq!(back, line);
    }

    #[test]
    fn the_check_counts_missing_and_stale_contacts() {
        let data = Dataset::new(0, 10);
        let store = Store::default();
        let company = 1;
        let seed = |line: ContactLine| {
            let mut seed = ContactSeed::email(line.email)
                .phone(line.phone)
                .first_name(line.first_name);
            seed.custom_fields = line.custom_fields;
            seed
        };
        // Contacts 0..=5 as last written, 7 with its first (stale) values, 6 and 8 missing.
        for i in 0..6 {
            store.insert_contact(company, seed(data.line(i)));
        }
        store.insert_contact(company, seed(data.line(7)));
        let check = data.check(&store, company);
        assert_eq!(
            check,
            Check {
                contacts: 9,
                lost: 3
            }
        );
    }
}
