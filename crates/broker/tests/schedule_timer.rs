//! 5.x timer messages end to end through an in-process broker: parking in rmq_sys_wheel_timer, delivery at the due
//! time (never before), precedence of DELAY and the TIMER_* properties, the max-delay limit, restart.

mod schedule_common;

use std::time::Duration;

use ferrocket_broker::schedule::timer_config::TimerConfig;
use ferrocket_protocol::codes::response_code;
use schedule_common::*;

const TIMER: &str = "rmq_sys_wheel_timer";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timer_is_parked_then_delivered_at_its_due_time() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(config(dir.path())).await;
    let conn = client(&server).await;
    let sent_at = now_ms();
    let p = props(&[
        ("TIMER_DELAY_SEC", "1"),
        ("UNIQ_KEY", "U-TIMER"),
        ("TAGS", "x"),
    ]);
    send_ok(&conn, "TimerT", 1, &p, b"tick").await;
    assert!(
        wait_until(Duration::from_secs(5), || stored(&server, TIMER, 0).len()
            == 1)
        .await
    );
    let parked = &stored(&server, TIMER, 0)[0];
    assert_eq!(parked.property("REAL_TOPIC"), Some("TimerT"));
    assert_eq!(parked.property("REAL_QID"), Some("1"));
    let due: i64 = parked.property("TIMER_OUT_MS").unwrap().parse().unwrap();
    assert!(
        due >= sent_at + 1000 && due <= now_ms() + 1000,
        "{due} vs {sent_at}"
    );

    let got = collect(&conn, "TimerT", 1, 1, Duration::from_secs(4)).await;
    assert_eq!(got.len(), 1);
    let m = &got[0].msg;
    assert!(got[0].at_ms >= due, "early by {} ms", due - got[0].at_ms);
    assert!(
        got[0].at_ms - sent_at < 2000,
        "late: {} ms",
        got[0].at_ms - sent_at
    );
    assert!(m.store_timestamp >= due, "stored before due");
    assert_eq!(&m.body[..], b"tick");
    assert_eq!(m.property("UNIQ_KEY"), Some("U-TIMER"));
    assert_eq!(m.property("TAGS"), Some("x"));
    assert_eq!(
        m.property("TIMER_DELAY_SEC"),
        None,
        "the request is cleared"
    );
    assert_eq!(server.context().schedule.stats.timer_delivered(), 1);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timers_go_out_in_due_order_whatever_the_send_order() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(config(dir.path())).await;
    let conn = client(&server).await;
    let base = now_ms() + 800;
    let plan = [(3, 900), (1, 300), (4, 1200), (0, 0), (2, 600)];
    for (i, after) in plan {
        let at = (base + after).to_string();
        send_ok(
            &conn,
            "TimerOrderT",
            0,
            &props(&[("TIMER_DELIVER_MS", &at)]),
            format!("m{i}").as_bytes(),
        )
        .await;
    }
    let got = collect(&conn, "TimerOrderT", 0, 5, Duration::from_secs(5)).await;
    let bodies: Vec<_> = got
        .iter()
        .map(|r| String::from_utf8_lossy(&r.msg.body).into_owned())
        .collect();
    assert_eq!(bodies, vec!["m0", "m1", "m2", "m3", "m4"]);
    for (i, r) in got.iter().enumerate() {
        let due = base + [0, 300, 600, 900, 1200][i];
        assert!(r.at_ms >= due, "m{i} early by {} ms", due - r.at_ms);
        assert!(r.at_ms - due < 1000, "m{i} late by {} ms", r.at_ms - due);
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_or_zero_timers_are_ordinary_messages() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(config(dir.path())).await;
    let conn = client(&server).await;
    let past = (now_ms() - 60_000).to_string();
    let h = send_ok(
        &conn,
        "PastT",
        0,
        &props(&[("TIMER_DELIVER_MS", &past)]),
        b"past",
    )
    .await;
    assert_eq!(h.queue_offset, 0, "stored straight in the real queue");
    send_ok(
        &conn,
        "PastT",
        0,
        &props(&[("TIMER_DELAY_MS", "0")]),
        b"zero",
    )
    .await;
    let got = collect(&conn, "PastT", 0, 2, Duration::from_secs(2)).await;
    assert_eq!(got.len(), 2);
    assert!(stored(&server, TIMER, 0).is_empty());
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn precedence_delay_level_beats_timers_and_sec_beats_ms() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    c.store.message_delay_level = "1s 2s".into();
    let server = start(c).await;
    let conn = client(&server).await;
    let sent_at = now_ms();
    // DELAY wins: a level-1 (1 s) message, the timer properties removed.
    let p = props(&[
        ("DELAY", "1"),
        ("TIMER_DELAY_SEC", "60"),
        ("TIMER_DELIVER_MS", "1"),
    ]);
    send_ok(&conn, "PrecT", 0, &p, b"level").await;
    // TIMER_DELAY_SEC (2 s) wins over TIMER_DELAY_MS (100 ms).
    let p = props(&[("TIMER_DELAY_MS", "100"), ("TIMER_DELAY_SEC", "2")]);
    send_ok(&conn, "PrecT", 1, &p, b"sec").await;
    // TIMER_DELAY_MS (600 ms) wins over TIMER_DELIVER_MS (far future).
    let far = (now_ms() + 100_000).to_string();
    let p = props(&[("TIMER_DELIVER_MS", &far), ("TIMER_DELAY_MS", "600")]);
    send_ok(&conn, "PrecT", 2, &p, b"ms").await;

    // The consume queue is built by the dispatcher after the send returns.
    let dispatched = wait_until(Duration::from_secs(5), || {
        !stored(&server, "SCHEDULE_TOPIC_XXXX", 0).is_empty()
    })
    .await;
    assert!(
        dispatched,
        "the level-1 message never reached its schedule queue"
    );
    let parked = stored(&server, "SCHEDULE_TOPIC_XXXX", 0);
    assert_eq!(parked.len(), 1);
    assert_eq!(parked[0].property("TIMER_DELAY_SEC"), None);
    assert_eq!(parked[0].property("TIMER_DELIVER_MS"), None);

    let level = collect(&conn, "PrecT", 0, 1, Duration::from_secs(3)).await;
    let ms = collect(&conn, "PrecT", 2, 1, Duration::from_secs(3)).await;
    let sec = collect(&conn, "PrecT", 1, 1, Duration::from_secs(4)).await;
    let waited = |r: &[Received]| r[0].at_ms - sent_at;
    assert!(
        (1000..2000).contains(&waited(&level)),
        "level: {}",
        waited(&level)
    );
    assert!((600..1600).contains(&waited(&ms)), "ms: {}", waited(&ms));
    assert!(
        (2000..3000).contains(&waited(&sec)),
        "sec: {}",
        waited(&sec)
    );
    assert_eq!(level[0].msg.property("TIMER_DELAY_SEC"), None);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_long_is_illegal_unless_the_max_is_raised() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(config(dir.path())).await;
    let conn = client(&server).await;
    let four_days = (4 * 24 * 3600).to_string();
    let r = send(
        &conn,
        "LongT",
        0,
        &props(&[("TIMER_DELAY_SEC", &four_days)]),
        b"x",
    )
    .await;
    assert_eq!(r.code, response_code::MESSAGE_ILLEGAL, "{:?}", r.remark);
    let r = send(
        &conn,
        "LongT",
        0,
        &props(&[("TIMER_DELAY_SEC", "soon")]),
        b"x",
    )
    .await;
    assert_eq!(r.code, response_code::MESSAGE_ILLEGAL, "{:?}", r.remark);
    assert!(stored(&server, TIMER, 0).is_empty());

    server
        .context()
        .schedule
        .set_timer_config(Some(TimerConfig {
            timer_max_delay_sec: 8 * 24 * 3600,
            ..TimerConfig::default()
        }));
    let week = (7 * 24 * 3600).to_string();
    send_ok(
        &conn,
        "LongT",
        0,
        &props(&[("TIMER_DELAY_SEC", &week)]),
        b"x",
    )
    .await;
    send_ok(
        &conn,
        "LongT",
        0,
        &props(&[("TIMER_DELAY_SEC", &four_days)]),
        b"y",
    )
    .await;
    assert!(
        wait_until(Duration::from_secs(2), || server
            .context()
            .schedule
            .stats
            .pending_timers()
            == 2)
        .await
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timers_survive_a_restart_exactly_once_and_not_early() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(config(dir.path())).await;
    let conn = client(&server).await;
    let sent_at = now_ms();
    // One due before the restart, three after it.
    for (i, ms) in [(0, 300), (1, 2500), (2, 2000), (3, 3000)] {
        let p = props(&[("TIMER_DELAY_MS", &ms.to_string())]);
        send_ok(&conn, "TimerRestartT", 0, &p, format!("m{i}").as_bytes()).await;
    }
    assert_eq!(
        collect(&conn, "TimerRestartT", 0, 1, Duration::from_secs(2))
            .await
            .len(),
        1
    );
    drop(conn);
    server.shutdown().await;
    assert!(dir
        .path()
        .join("config")
        .join("timerProgress.json")
        .exists());

    let server = start(config(dir.path())).await;
    let conn = client(&server).await;
    assert!(
        wait_until(Duration::from_secs(2), || server
            .context()
            .schedule
            .stats
            .timer_ready())
        .await
    );
    assert_eq!(
        server.context().schedule.stats.pending_timers(),
        3,
        "m0 is not re-indexed"
    );
    let got = collect(&conn, "TimerRestartT", 0, 5, Duration::from_secs(5)).await;
    let bodies: Vec<_> = got
        .iter()
        .map(|r| String::from_utf8_lossy(&r.msg.body).into_owned())
        .collect();
    assert_eq!(bodies, vec!["m0", "m2", "m1", "m3"]);
    for (r, ms) in got[1..].iter().zip([2000, 2500, 3000]) {
        let waited = r.at_ms - sent_at;
        assert!(
            waited >= ms && waited < ms + 1500,
            "{ms} ms timer after {waited} ms"
        );
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timers_parked_before_a_crash_are_rebuilt_from_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(config(dir.path())).await;
    let conn = client(&server).await;
    let sent_at = now_ms();
    for i in 0..3 {
        let p = props(&[("TIMER_DELAY_MS", &(1500 + i * 100).to_string())]);
        send_ok(&conn, "CrashT", 0, &p, format!("c{i}").as_bytes()).await;
    }
    // Simulate losing the progress file (as after a crash before the first write): the index is rebuilt from the
    // timer queue alone.
    drop(conn);
    server.shutdown().await;
    for name in ["timerProgress.json", "timerProgress.json.bak"] {
        let _ = std::fs::remove_file(dir.path().join("config").join(name));
    }
    let server = start(config(dir.path())).await;
    let conn = client(&server).await;
    let got = collect(&conn, "CrashT", 0, 4, Duration::from_secs(4)).await;
    assert_eq!(got.len(), 3);
    for (i, r) in got.iter().enumerate() {
        assert!(r.at_ms - sent_at >= 1500 + i as i64 * 100);
    }
    server.shutdown().await;
}

fn rolling_every_second() -> TimerConfig {
    TimerConfig {
        timer_roll_interval_ms: 1000,
        ..TimerConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_timers_are_reparked_each_roll_interval_and_delivered_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(config(dir.path())).await;
    let schedule = &server.context().schedule;
    schedule.set_timer_config(Some(rolling_every_second()));
    // The timer task picks the new interval up within one round.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let conn = client(&server).await;
    let sent_at = now_ms();
    send_ok(
        &conn,
        "RollT",
        0,
        &props(&[("TIMER_DELAY_MS", "3500")]),
        b"long",
    )
    .await;
    let got = collect(&conn, "RollT", 0, 2, Duration::from_secs(6)).await;
    assert_eq!(got.len(), 1, "delivered exactly once");
    let waited = got[0].at_ms - sent_at;
    assert!((3500..4500).contains(&waited), "{waited} ms");
    assert_eq!(
        schedule.stats.timer_rolled(),
        3,
        "re-parked at 1, 2 and 3 s"
    );
    assert!(
        wait_until(Duration::from_secs(5), || stored(&server, TIMER, 0).len()
            == 4)
        .await
    );
    let parked = stored(&server, TIMER, 0);
    assert_eq!(parked.len(), 4);
    assert_eq!(parked[3].property("TIMER_ROLL_TIMES"), Some("3"));
    assert_eq!(
        parked[3].property("TIMER_OUT_MS"),
        parked[0].property("TIMER_OUT_MS")
    );
    assert_eq!(
        got[0].msg.property("UNIQ_KEY"),
        parked[0].property("UNIQ_KEY")
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_between_rolls_delivers_once_on_time() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(config(dir.path())).await;
    server
        .context()
        .schedule
        .set_timer_config(Some(rolling_every_second()));
    tokio::time::sleep(Duration::from_millis(700)).await;
    let conn = client(&server).await;
    let sent_at = now_ms();
    send_ok(
        &conn,
        "RollRestartT",
        0,
        &props(&[("TIMER_DELAY_MS", "3500")]),
        b"long",
    )
    .await;
    assert!(
        wait_until(Duration::from_secs(3), || server
            .context()
            .schedule
            .stats
            .timer_rolled()
            == 1)
        .await
    );
    drop(conn);
    server.shutdown().await;

    // Restarted with the default (one day) interval: the pending copy is re-indexed, not re-parked again.
    let server = start(config(dir.path())).await;
    let conn = client(&server).await;
    let got = collect(&conn, "RollRestartT", 0, 2, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 1, "delivered exactly once");
    let waited = got[0].at_ms - sent_at;
    assert!((3500..5000).contains(&waited), "{waited} ms");
    assert_eq!(server.context().schedule.stats.timer_rolled(), 0);
    server.shutdown().await;
}
