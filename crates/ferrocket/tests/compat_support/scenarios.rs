//! The scenarios each independent client runs against `ferrocket standalone`, with their assertions.
//!
//! Messages follow one convention in both drivers: message `id` has body `id=<id>`, key `k<id>` and tag
//! `TAGS[id % 3]`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::driver::{tail, Driver};
use super::output::{consumed, sent, Consumed, Sent};
use super::standalone::Standalone;

pub const TAGS: &[&str] = &["TagA", "TagB", "TagC"];
const QUEUES: i32 = 4;
/// At-least-once allowance after a restart: one pull batch (32, the push consumers' default `pullBatchSize`)
/// per queue may be redelivered if its commit was lost. Re-reading from 0 exceeds it by far.
pub const REDELIVERY_BOUND: usize = 32 * QUEUES as usize;
const RUN_LIMIT: Duration = Duration::from_secs(300);

pub fn tag_of(id: u64) -> &'static str {
    TAGS[(id % TAGS.len() as u64) as usize]
}

/// An independent client and what it can do itself.
pub struct Client {
    pub driver: Driver,
    /// Whether the client's admin API creates topics (else the test sends UPDATE_AND_CREATE_TOPIC itself).
    pub creates_topics: bool,
    /// A two-tag subscription expression this client encodes correctly (see compat/README.md on the Rust
    /// client's code set for `A || B` with spaces).
    pub two_tag_expr: &'static str,
}

impl Client {
    pub fn rust() -> Client {
        Client {
            driver: Driver::rust(),
            creates_topics: true,
            two_tag_expr: "TagA||TagC",
        }
    }

    pub fn cpp() -> Client {
        Client {
            driver: Driver::cpp(),
            creates_topics: false,
            two_tag_expr: "TagA || TagC",
        }
    }

    fn create_topic(&self, s: &Standalone, topic: &str) {
        if self.creates_topics {
            let q = QUEUES.to_string();
            let run = self
                .driver
                .run(&["create-topic", &s.namesrv, topic, &q], RUN_LIMIT);
            run.expect_finished("created");
            assert!(
                run.stdout
                    .contains(&format!("created topic={topic} queues={QUEUES}")),
                "{}",
                run.stdout
            );
            s.wait_routed(topic, QUEUES);
        } else {
            s.create_topic(topic, QUEUES);
        }
    }

    /// Produces ids `from..from+count`, half with sync sends and half with async ones; asserts all were stored.
    fn produce(&self, s: &Standalone, topic: &str, from: u64, count: u64) -> Sent {
        let (f, n) = (from.to_string(), count.to_string());
        let run = self.driver.run(
            &[
                "produce",
                &s.namesrv,
                topic,
                "--from",
                &f,
                "--count",
                &n,
                "--tags",
                "TagA,TagB,TagC",
                "--mode",
                "mixed",
            ],
            RUN_LIMIT,
        );
        run.expect_finished("sent ");
        let r = sent(&run.stdout);
        assert_eq!(
            (r.ok, r.failed),
            (count, 0),
            "{}: not every send succeeded: {:?}",
            self.driver.name,
            r.failures
        );
        assert_eq!((r.sync, r.async_), (count / 2, count - count / 2), "{r:?}");
        r
    }

    /// A clustering push consumer in `sub.group` until `sub.expect` distinct ids `>= sub.min_id` arrived, plus
    /// `sub.settle_secs`.
    fn consume(&self, s: &Standalone, topic: &str, sub: &Subscription) -> Consumed {
        let (e, m, st) = (
            sub.expect.to_string(),
            sub.min_id.to_string(),
            sub.settle_secs.to_string(),
        );
        let run = self.driver.run(
            &[
                "consume",
                &s.namesrv,
                topic,
                sub.group,
                "--expr",
                sub.expr,
                "--expect",
                &e,
                "--min-id",
                &m,
                "--settle-secs",
                &st,
                "--timeout-secs",
                "240",
            ],
            RUN_LIMIT,
        );
        run.expect_finished("consumed ");
        let c = consumed(&run.stdout);
        assert!(
            c.unparsed.is_empty(),
            "foreign deliveries: {:?}",
            &c.unparsed[..c.unparsed.len().min(5)]
        );
        assert_eq!(
            c.reason,
            "complete",
            "{}: {} got {} of {} expected ids before timing out; tail:\n{}",
            self.driver.name,
            sub.group,
            c.distinct,
            sub.expect,
            tail(&run.stdout, 10)
        );
        c
    }
}

/// One consumer run: group, subscription expression, and when to stop.
struct Subscription<'a> {
    group: &'a str,
    expr: &'a str,
    /// Stop once this many distinct ids `>= min_id` arrived...
    expect: u64,
    min_id: u64,
    /// ...plus this long, to catch late duplicates.
    settle_secs: u64,
}

impl<'a> Subscription<'a> {
    fn new(group: &'a str, expr: &'a str, expect: u64) -> Self {
        Subscription {
            group,
            expr,
            expect,
            min_id: 0,
            settle_secs: 4,
        }
    }
}

/// Asserts `c` holds every id of `want` exactly once, with its tag and key, and no other id.
fn assert_exactly_once(c: &Consumed, want: &BTreeSet<u64>, what: &str) {
    let mut count: BTreeMap<u64, u32> = BTreeMap::new();
    for r in &c.recv {
        *count.entry(r.id).or_default() += 1;
        assert_eq!(r.tags, tag_of(r.id), "{what}: tags of id {}: {r:?}", r.id);
        assert_eq!(
            r.keys,
            format!("k{}", r.id),
            "{what}: keys of id {}: {r:?}",
            r.id
        );
    }
    let missing: Vec<u64> = want
        .iter()
        .copied()
        .filter(|id| !count.contains_key(id))
        .collect();
    let dups: Vec<(u64, u32)> = count
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(i, n)| (*i, *n))
        .collect();
    let foreign: Vec<u64> = count
        .keys()
        .copied()
        .filter(|id| !want.contains(id))
        .collect();
    assert!(
        missing.is_empty() && dups.is_empty() && foreign.is_empty(),
        "{what}: {} missing (first {:?}), {} duplicated (first {:?}), {} unexpected (first {:?})",
        missing.len(),
        &missing[..missing.len().min(10)],
        dups.len(),
        &dups[..dups.len().min(10)],
        foreign.len(),
        &foreign[..foreign.len().min(10)]
    );
    assert_eq!(c.total as usize, want.len(), "{what}: deliveries");
}

/// 10,000 messages (sync + async, tags and keys) over 4 queues; a clustering push consumer gets each exactly once.
pub fn all_messages_exactly_once(c: &Client) {
    const N: u64 = 10_000;
    let s = Standalone::start();
    let topic = "CompatAll";
    c.create_topic(&s, topic);
    c.produce(&s, topic, 0, N);
    let got = c.consume(
        &s,
        topic,
        &Subscription {
            settle_secs: 5,
            ..Subscription::new("compat_all", "*", N)
        },
    );
    assert_exactly_once(&got, &(0..N).collect(), "all messages");
    // Every queue was used, and each queue's offsets are exactly 0..its count (no gaps, no repeats).
    let mut per_queue: BTreeMap<i32, Vec<i64>> = BTreeMap::new();
    for r in &got.recv {
        per_queue.entry(r.queue).or_default().push(r.offset);
    }
    assert_eq!(
        per_queue.keys().copied().collect::<Vec<_>>(),
        (0..QUEUES).collect::<Vec<_>>()
    );
    for (q, offsets) in &mut per_queue {
        offsets.sort_unstable();
        assert!(
            offsets.iter().copied().eq(0..offsets.len() as i64),
            "queue {q}: offsets are not 0..{}",
            offsets.len()
        );
    }
    let sizes: Vec<usize> = per_queue.values().map(Vec::len).collect();
    eprintln!(
        "{}: {N} messages exactly once, per queue {sizes:?}",
        c.driver.name
    );
}

/// A mix of three tags; a `TagB` subscription gets all TagB messages and nothing else, and a two-tag
/// subscription gets exactly the other two tags.
pub fn tag_subscription_filters(c: &Client) {
    const N: u64 = 3_000;
    let s = Standalone::start();
    let topic = "CompatTags";
    c.create_topic(&s, topic);
    c.produce(&s, topic, 0, N);

    let want_b: BTreeSet<u64> = (0..N).filter(|id| tag_of(*id) == "TagB").collect();
    let got = c.consume(
        &s,
        topic,
        &Subscription::new("compat_tag_b", "TagB", want_b.len() as u64),
    );
    assert_exactly_once(&got, &want_b, "subscription TagB");

    let want_ac: BTreeSet<u64> = (0..N).filter(|id| tag_of(*id) != "TagB").collect();
    let got = c.consume(
        &s,
        topic,
        &Subscription::new("compat_tag_ac", c.two_tag_expr, want_ac.len() as u64),
    );
    assert_exactly_once(&got, &want_ac, c.two_tag_expr);
    eprintln!(
        "{}: TagB got {} of {N}, `{}` got {}",
        c.driver.name,
        want_b.len(),
        c.two_tag_expr,
        want_ac.len()
    );
}

/// Consume, stop the consumer, restart the broker on the same store and ports, produce more: the same group
/// resumes from its committed offsets (at most [`REDELIVERY_BOUND`] old messages again) and gets every new one.
pub fn offsets_survive_restart(c: &Client) {
    const FIRST: u64 = 2_000;
    const MORE: u64 = 200;
    let group = "compat_restart";
    let topic = "CompatRestart";
    let mut s = Standalone::start();
    c.create_topic(&s, topic);
    c.produce(&s, topic, 0, FIRST);
    // Settle past one 5 s auto-commit interval: the C++ client cannot commit in shutdown (it crashes first).
    let before = c.consume(
        &s,
        topic,
        &Subscription {
            settle_secs: 7,
            ..Subscription::new(group, "*", FIRST)
        },
    );
    assert_exactly_once(&before, &(0..FIRST).collect(), "before restart");

    s.restart();
    let committed = s.committed_offsets(group, topic, QUEUES);
    let committed_sum: i64 = committed.iter().map(|o| o.unwrap_or(0)).sum();
    assert!(
        committed_sum >= FIRST as i64 - REDELIVERY_BOUND as i64,
        "after restart the broker reports committed offsets {committed:?} (sum {committed_sum}) for {FIRST} consumed"
    );

    c.produce(&s, topic, FIRST, MORE);
    let after = c.consume(
        &s,
        topic,
        &Subscription {
            min_id: FIRST,
            ..Subscription::new(group, "*", MORE)
        },
    );
    let new: BTreeSet<u64> = (FIRST..FIRST + MORE).collect();
    let mut new_seen: BTreeMap<u64, u32> = BTreeMap::new();
    let mut old = 0usize;
    for r in &after.recv {
        if r.id >= FIRST {
            *new_seen.entry(r.id).or_default() += 1;
        } else {
            old += 1;
        }
    }
    let missing: Vec<&u64> = new.iter().filter(|id| !new_seen.contains_key(id)).collect();
    assert!(
        missing.is_empty(),
        "new messages missing after restart: {missing:?}"
    );
    let dups: Vec<_> = new_seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(dups.is_empty(), "new messages delivered twice: {dups:?}");
    assert!(
        old <= REDELIVERY_BOUND,
        "{}: {old} of {FIRST} already-consumed messages delivered again after the restart (bound {REDELIVERY_BOUND}); \
         committed offsets were {committed:?}",
        c.driver.name
    );
    eprintln!(
        "{}: after restart committed {committed:?}, {MORE} new delivered once, {old} old redelivered",
        c.driver.name
    );
}
