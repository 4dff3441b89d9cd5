//! The bulk sync against minimo-fake: every input accounted for exactly once, the last write
//! per contact wins, a throttle slows the whole sync and nothing is lost, a revoked key stops
//! it early, cancellation and deadlines report honestly. A property test over random inputs
//! (with repeated emails) and random fault scripts checks the store agrees with the report.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{COMPANY, KEY, client, fake, fast_policy};
use futures_util::StreamExt;
use minimo_ext::{
    ContactId, ContactInput, ErrorKind, Minimo, StopReason, SyncInput, SyncOp, SyncOutcome,
    SyncResult,
};
use minimo_fake::{ContactSeed, FakeServer, Fault};
use proptest::prelude::*;
use serde_json::Value;

/// An upsert of `email` setting custom field `SEQ` to `seq`, tagged with `seq`.
fn upsert(email: &str, seq: usize) -> SyncInput<usize> {
    SyncInput::tagged(
        SyncOp::Upsert(ContactInput::with_email(email).custom_field("seq", seq)),
        seq,
    )
}

/// The live contact of the company with this email: its `SEQ` field.
fn stored_seq(fake: &FakeServer, email: &str) -> Option<u64> {
    fake.store()
        .contact_by_email(COMPANY, email)
        .map(|c| c.custom_fields.get("SEQ").and_then(Value::as_u64).unwrap())
}

/// Every contact the company has with this email, deleted or not.
fn all_with_email(fake: &FakeServer, email: &str) -> usize {
    fake.store()
        .contacts(COMPANY)
        .iter()
        .filter(|c| c.email.as_deref() == Some(email))
        .count()
}

#[tokio::test]
async fn every_input_ends_once_and_the_last_write_per_contact_wins() {
    let fake = fake().await;
    let minimo = client(&fake.base_url());
    let emails = ["a@example.com", "b@example.com", "c@example.com"];
    let inputs: Vec<SyncInput<usize>> = (0..60).map(|i| upsert(emails[i % 3], i)).collect();
    let mut outcomes: Vec<SyncOutcome<usize>> = Vec::new();
    let report = minimo
        .sync()
        .concurrency(16)
        .run_iter(inputs, |outcome| outcomes.push(outcome))
        .await;
    assert_eq!((report.taken, report.succeeded, report.failed), (60, 60, 0));
    assert_eq!(report.not_attempted, 0);
    assert!(report.is_complete() && report.stopped.is_none());
    let mut tags: Vec<usize> = outcomes.iter().map(|o| o.input.tag).collect();
    tags.sort_unstable();
    assert_eq!(tags, (0..60).collect::<Vec<_>>(), "each input exactly once");
    for (i, email) in emails.iter().enumerate() {
        // The last input for this email is 57 + i: it was applied last.
        assert_eq!(stored_seq(&fake, email), Some(57 + i as u64), "{email}");
        assert_eq!(all_with_email(&fake, email), 1, "{email}: no duplicate");
    }
    assert_eq!(fake.stats().operation("upsertContact"), 60);
}

#[tokio::test]
async fn deletes_by_id_and_by_email_count_a_contact_already_gone_as_done() {
    let fake = fake().await;
    let jane = fake
        .store()
        .insert_contact(COMPANY, ContactSeed::email("jane@example.com"));
    let minimo = client(&fake.base_url());
    let ops = [
        SyncOp::DeleteByEmail("jane@example.com".into()),
        SyncOp::DeleteByEmail("jane@example.com".into()),
        SyncOp::Delete(ContactId::new(jane.id)),
        SyncOp::Delete(ContactId::new(999_999)),
        SyncOp::DeleteByEmail("nobody@example.com".into()),
    ];
    let inputs = ops
        .into_iter()
        .enumerate()
        .map(|(tag, op)| SyncInput::tagged(op, tag));
    let mut ids = BTreeMap::new();
    let report = minimo
        .sync()
        .run_iter(inputs, |outcome| match outcome.result {
            SyncResult::Succeeded { id } => {
                ids.insert(outcome.input.tag, id);
            }
            other => panic!("{other:?}"),
        })
        .await;
    assert_eq!((report.succeeded, report.failed), (5, 0));
    let jane_id = Some(ContactId::new(jane.id));
    // The two deletes by email run in input order: the first deletes, the second finds none.
    assert_eq!(ids[&0], jane_id);
    assert_eq!(ids[&1], None);
    // A delete by id is idempotent in the fake; an id it never had counts as gone.
    assert_eq!(ids[&2], jane_id);
    assert_eq!((ids[&3], ids[&4]), (None, None));
    assert!(fake.store().contact(jane.id).unwrap().deleted);
}

#[tokio::test]
async fn a_rate_limit_set_too_high_converges_and_nothing_is_lost() {
    // The server allows 40/s (burst 4); the sync is told 400/s.
    let fake = FakeServer::builder()
        .api_key(KEY)
        .rate_limit(40.0, 4)
        .start()
        .await
        .unwrap();
    let minimo = client(&fake.base_url());
    let inputs: Vec<SyncInput<usize>> = (0..30)
        .map(|i| upsert(&format!("user{i}@example.com"), i))
        .collect();
    let limits = Arc::new(Mutex::new(Vec::new()));
    let seen = limits.clone();
    let report = minimo
        .sync()
        .rate_limit(400.0)
        .concurrency(8)
        .throttle_backoff(Duration::from_millis(50))
        .on_progress(move |p| seen.lock().unwrap().push(p.limit))
        .run_iter(inputs, |_| {})
        .await;
    assert_eq!(
        (report.succeeded, report.failed, report.not_attempted),
        (30, 0, 0)
    );
    assert!(report.throttled > 0, "{report:?}");
    // Every 429 was re-queued: the fake applied each input exactly once.
    assert_eq!(fake.stats().count("upsertContact", 200), 30);
    assert_eq!(fake.store().contacts(COMPANY).len(), 30);
    // After the first throttle the pace came down to what the server accepts.
    let last = limits.lock().unwrap().last().copied().flatten().unwrap();
    assert!(last < 100.0, "still sending at {last}/s");
}

#[tokio::test]
async fn a_revoked_key_stops_the_sync_early_and_the_rest_stays_in_the_stream() {
    let fake = fake().await;
    let minimo = client(&fake.base_url());
    let mut stream =
        futures_util::stream::iter((0..500).map(|i| upsert(&format!("user{i}@example.com"), i)));
    let mut succeeded = 0;
    let report = minimo
        .sync()
        .concurrency(4)
        .max_consecutive_failures(5)
        .run(&mut stream, |outcome| {
            if outcome.succeeded() {
                succeeded += 1;
                if succeeded == 20 {
                    assert!(fake.revoke_key(KEY));
                }
            }
        })
        .await;
    assert_eq!(
        report.stopped,
        Some(StopReason::TooManyFailures { consecutive: 5 })
    );
    assert!(report.failed >= 5 && report.failed <= 5 + 4, "{report:?}");
    assert!(report.succeeded >= 20, "{report:?}");
    assert_eq!(
        report.succeeded + report.failed + report.not_attempted,
        report.taken
    );
    let untaken = stream.count().await as u64;
    assert_eq!(report.taken + untaken, 500);
    assert!(
        untaken > 400,
        "a revoked key does not fail 500 times: {report:?}"
    );
}

#[tokio::test]
async fn cancelling_stops_new_requests_and_reports_the_ones_in_flight() {
    let fake = fake().await;
    fake.faults()
        .push(Fault::latency("upsertContact", Duration::from_millis(200)).times(1_000));
    let minimo = client(&fake.base_url());
    let builder = minimo.sync().concurrency(4).window(8);
    let handle = builder.handle();
    let mut results: BTreeMap<usize, String> = BTreeMap::new();
    let report = builder
        .run_iter(
            (0..40).map(|i| upsert(&format!("user{i}@example.com"), i)),
            |outcome| {
                // The first outcome cancels: the 3 others in flight finish, nothing more starts.
                handle.cancel();
                let what = match outcome.result {
                    SyncResult::Succeeded { .. } => "succeeded",
                    SyncResult::Failed(_) => "failed",
                    _ => "not attempted",
                };
                results.insert(outcome.input.tag, what.to_owned());
            },
        )
        .await;
    assert_eq!(report.stopped, Some(StopReason::Cancelled));
    assert_eq!(report.succeeded, 4, "{results:?}");
    assert_eq!(
        report.not_attempted, 4,
        "the rest of the window: {results:?}"
    );
    assert_eq!(report.taken, 8);
    assert_eq!(fake.stats().operation("upsertContact"), 4);
}

#[tokio::test]
async fn a_deadline_stops_the_sync() {
    let fake = fake().await;
    fake.faults()
        .push(Fault::latency("upsertContact", Duration::from_millis(100)).times(1_000));
    let minimo = client(&fake.base_url());
    let report = minimo
        .sync()
        .concurrency(2)
        .deadline(Duration::from_millis(250))
        .run_iter(
            (0..50).map(|i| upsert(&format!("u{i}@example.com"), i)),
            |_| {},
        )
        .await;
    assert_eq!(report.stopped, Some(StopReason::Deadline));
    assert!(
        report.not_attempted > 0 && report.succeeded > 0,
        "{report:?}"
    );
    assert_eq!(
        report.succeeded + report.failed + report.not_attempted,
        report.taken
    );
    assert_eq!(
        fake.stats().operation("upsertContact"),
        report.succeeded + report.failed
    );
}

#[tokio::test]
async fn invalid_rows_fail_alone_without_stopping_the_sync() {
    let fake = fake().await;
    let minimo = client(&fake.base_url());
    let inputs: Vec<SyncInput<usize>> = (0..40)
        .map(|i| {
            if i < 30 {
                upsert("not an email", i)
            } else {
                upsert(&format!("u{i}@example.com"), i)
            }
        })
        .collect();
    let report = minimo
        .sync()
        .max_consecutive_failures(3)
        .run_iter(inputs, |outcome| {
            if let SyncResult::Failed(error) = &outcome.result {
                assert_eq!(error.kind(), ErrorKind::InvalidInput);
                assert!(!error.may_have_been_processed());
            }
        })
        .await;
    assert_eq!(
        (report.failed, report.succeeded, report.stopped),
        (30, 10, None)
    );
}

#[tokio::test]
async fn a_delete_the_server_refuses_is_a_failure_not_a_contact_already_gone() {
    let fake = fake().await;
    let jane = fake
        .store()
        .insert_contact(COMPANY, ContactSeed::email("jane@example.com"));
    fake.faults()
        .push(Fault::status("deleteContact", 403).times(2));
    let minimo = client(&fake.base_url());
    let inputs = [
        SyncInput::tagged(SyncOp::Delete(ContactId::new(jane.id)), 0),
        SyncInput::tagged(SyncOp::DeleteByEmail("jane@example.com".into()), 1),
    ];
    let mut failed = Vec::new();
    let report = minimo
        .sync()
        .run_iter(inputs, |outcome| {
            if let SyncResult::Failed(error) = &outcome.result {
                assert_eq!(error.kind(), ErrorKind::Forbidden);
                failed.push(outcome.input.tag);
            }
        })
        .await;
    assert_eq!((report.succeeded, report.failed), (0, 2));
    assert_eq!(failed, [0, 1]);
    assert!(!fake.store().contact(jane.id).unwrap().deleted);
}

#[tokio::test]
async fn an_upsert_lost_in_flight_fails_and_is_counted_as_maybe_applied() {
    let fake = fake().await;
    fake.faults()
        .push(Fault::drop_connection("upsertContact").times(1));
    let minimo = client(&fake.base_url());
    let inputs = (0..3).map(|i| upsert(&format!("u{i}@example.com"), i));
    let mut maybe = Vec::new();
    let report = minimo
        .sync()
        .concurrency(1)
        .run_iter(inputs, |outcome| {
            if let SyncResult::Failed(error) = &outcome.result {
                assert!(error.may_have_been_processed(), "{error:?}");
                assert!(!error.is_retryable(), "an upsert is not resent blindly");
                maybe.push(outcome.input.tag);
            }
        })
        .await;
    assert_eq!((report.succeeded, report.failed), (2, 1));
    assert_eq!(report.may_have_been_applied, 1);
    assert_eq!(maybe, [0]);
    assert!(!report.is_complete());
}

#[tokio::test]
async fn progress_counts_every_input_as_it_finishes() {
    let fake = fake().await;
    let minimo = client(&fake.base_url());
    let inputs: Vec<SyncInput<usize>> = (0..20)
        .map(|i| {
            if i % 5 == 0 {
                upsert("not an email", i)
            } else {
                upsert(&format!("u{i}@example.com"), i)
            }
        })
        .collect();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let events = seen.clone();
    let report = minimo
        .sync()
        .concurrency(4)
        .expected_total(20)
        .on_progress(move |p| events.lock().unwrap().push(p.clone()))
        .run_iter(inputs, |_| {})
        .await;
    let seen = seen.lock().unwrap();
    assert_eq!(
        seen.len(),
        21,
        "one event per finished input, and one at the end"
    );
    for (n, p) in seen.iter().enumerate() {
        assert_eq!(p.done, (n as u64 + 1).min(20));
        assert_eq!(p.done, p.succeeded + p.failed);
        assert!(p.in_flight <= 4 && p.taken >= p.done, "{p:?}");
    }
    let last = seen.last().unwrap();
    assert_eq!((last.succeeded, last.failed, last.taken), (16, 4, 20));
    assert_eq!((report.succeeded, report.failed), (16, 4));
    assert!(last.rate > 0.0, "{last:?}");
    assert_eq!(last.eta, Some(Duration::ZERO));
}

/// One step of a fault script, pushed before the sync starts.
#[derive(Debug, Clone)]
enum Step {
    RateLimited(u32),
    Unavailable(u32),
    Dropped,
    Slow(u64),
    TruncatedAnswer,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (1u32..4).prop_map(Step::RateLimited),
        (1u32..3).prop_map(Step::Unavailable),
        Just(Step::Dropped),
        (5u64..40).prop_map(Step::Slow),
        Just(Step::TruncatedAnswer),
    ]
}

/// One input of the property test: an upsert of one of a few emails, or a delete by email.
#[derive(Debug, Clone)]
enum Op {
    Upsert(usize),
    Delete(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0usize..5).prop_map(Op::Upsert),
        1 => (0usize..5).prop_map(Op::Delete),
    ]
}

async fn sync_under_faults(ops: Vec<Op>, script: Vec<Step>, concurrency: usize) {
    let fake = fake().await;
    for step in &script {
        let fault = match step {
            Step::RateLimited(n) => Fault::status("upsertContact", 429).times(*n),
            Step::Unavailable(n) => Fault::status("upsertContact", 503).times(*n),
            Step::Dropped => Fault::drop_connection("upsertContact"),
            Step::Slow(ms) => Fault::latency("*", Duration::from_millis(*ms)).times(3),
            Step::TruncatedAnswer => Fault::truncated_body("upsertContact"),
        };
        fake.faults().push(fault);
    }
    let email = |i: usize| format!("person{i}@example.com");
    let inputs: Vec<SyncInput<usize>> = ops
        .iter()
        .enumerate()
        .map(|(seq, op)| match op {
            Op::Upsert(who) => upsert(&email(*who), seq),
            Op::Delete(who) => SyncInput::tagged(SyncOp::DeleteByEmail(email(*who)), seq),
        })
        .collect();
    let minimo: Minimo = Minimo::builder()
        .api_key(KEY)
        .base_url(fake.base_url())
        .retry_policy(fast_policy())
        .build()
        .unwrap();
    let mut outcomes: Vec<(usize, bool)> = Vec::new();
    let report = minimo
        .sync()
        .concurrency(concurrency)
        .throttle_backoff(Duration::from_millis(5))
        .max_consecutive_failures(1_000)
        .run_iter(inputs, |outcome| {
            outcomes.push((outcome.input.tag, outcome.succeeded()));
        })
        .await;
    // Every input exactly once; the counts add up.
    let mut tags: Vec<usize> = outcomes.iter().map(|(tag, _)| *tag).collect();
    tags.sort_unstable();
    assert_eq!(tags, (0..ops.len()).collect::<Vec<_>>());
    assert_eq!(report.taken, ops.len() as u64);
    assert_eq!(report.succeeded + report.failed, report.taken);
    assert_eq!(report.not_attempted, 0);
    let succeeded: BTreeMap<usize, bool> = outcomes.into_iter().collect();
    assert_eq!(
        succeeded.values().filter(|ok| **ok).count() as u64,
        report.succeeded
    );
    // Replay what succeeded, in input order, per email: the store must hold exactly that.
    // (A failed upsert never reached the fake's handler: its faults answer first.)
    for who in 0..5 {
        let mut expected: Option<Option<u64>> = None;
        for (seq, op) in ops.iter().enumerate() {
            if !succeeded[&seq] {
                continue;
            }
            match op {
                Op::Upsert(w) if *w == who => expected = Some(Some(seq as u64)),
                Op::Delete(w) if *w == who && expected.is_some() => expected = Some(None),
                _ => {}
            }
        }
        let address = email(who);
        assert_eq!(
            stored_seq(&fake, &address),
            expected.flatten(),
            "{address}: {ops:?} {script:?}"
        );
        assert!(
            all_with_email(&fake, &address) <= 1,
            "{address}: duplicated"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("MINIMO_PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(12),
        ..ProptestConfig::default()
    })]

    #[test]
    fn nothing_is_lost_or_duplicated_and_the_last_write_wins_under_faults(
        ops in prop::collection::vec(op(), 1..30),
        script in prop::collection::vec(step(), 0..6),
        concurrency in 1usize..8,
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let t = std::time::Instant::now();
        runtime.block_on(sync_under_faults(ops.clone(), script.clone(), concurrency));
        eprintln!("CASE {:?} n={} c={} {:?}", t.elapsed(), ops.len(), concurrency, script);
    }
}
