//! The timer settings as broker config keys, through real `ferrocket standalone` processes: `--set
//! timerMaxDelaySec` raises the longest accepted timer, the default refuses a longer one with MESSAGE_ILLEGAL,
//! GET_BROKER_CONFIG lists the keys, UPDATE_BROKER_CONFIG changes them live, and bad values stop the process (or
//! the update) with an error naming the key.

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ferrocket_protocol::codes::{request_code as rc, response_code};
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::{SendMessageResponseHeader, ViewMessageRequestHeader};
use ferrocket_protocol::message::{decode_offset_msg_id, MessageExt};
use ferrocket_remoting::Connection;
use support::broker_client::*;

const TIMER_TOPIC: &str = "rmq_sys_wheel_timer";
const DAY_SEC: i64 = 24 * 3600;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

async fn send_timer(conn: &Connection, topic: &str, delay_sec: i64, key: &str) -> RemotingCommand {
    let p = props(&[
        ("TIMER_DELAY_SEC", &delay_sec.to_string()),
        ("UNIQ_KEY", key),
    ]);
    invoke(conn, send_v2_request(topic, 0, &p, key.as_bytes())).await
}

/// GET_BROKER_CONFIG as `key=value` lines.
async fn broker_config(conn: &Connection) -> String {
    let resp = invoke(conn, RemotingCommand::new_request(rc::GET_BROKER_CONFIG)).await;
    assert_eq!(resp.code, response_code::SUCCESS, "{:?}", resp.remark);
    String::from_utf8(resp.body.to_vec()).unwrap()
}

async fn update_config(conn: &Connection, text: &str) -> RemotingCommand {
    let req = RemotingCommand::new_request(rc::UPDATE_BROKER_CONFIG)
        .with_body(bytes::Bytes::copy_from_slice(text.as_bytes()));
    invoke(conn, req).await
}

fn has_line(config: &str, line: &str) -> bool {
    config.lines().any(|l| l.trim() == line)
}

/// The record a send stored, found by the offset message id of its response (VIEW_MESSAGE_BY_ID).
async fn stored_record(conn: &Connection, send_resp: &RemotingCommand) -> MessageExt {
    let h: SendMessageResponseHeader = send_resp.decode_header().unwrap();
    let (_, offset) = decode_offset_msg_id(&h.msg_id).unwrap();
    let req = RemotingCommand::request_with_header(
        rc::VIEW_MESSAGE_BY_ID,
        &ViewMessageRequestHeader {
            offset,
            topic: None,
        },
    );
    let resp = invoke(conn, req).await;
    assert_eq!(resp.code, response_code::SUCCESS, "{:?}", resp.remark);
    MessageExt::decode_all(resp.body.clone()).unwrap().remove(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raised_timer_max_delay_accepts_a_seven_day_timer_and_parks_it() {
    let broker = support::spawn_standalone(&["--set", "timerMaxDelaySec=691200"]);
    let conn = client(&broker.addr).await;
    let config = broker_config(&conn).await;
    assert!(has_line(&config, "timerMaxDelaySec=691200"), "{config}");
    assert!(has_line(&config, "timerPrecisionMs=1000"), "{config}");
    assert!(has_line(&config, "timerWheelEnable=true"), "{config}");

    let sent_at = now_ms();
    let resp = send_timer(&conn, "CfgTimerT", 7 * DAY_SEC, "U-7DAYS").await;
    assert_eq!(resp.code, response_code::SUCCESS, "{:?}", resp.remark);

    // Parked in the timer queue, due in 7 days, for the real topic.
    let m = stored_record(&conn, &resp).await;
    assert_eq!(m.topic, TIMER_TOPIC);
    assert_eq!(m.property("REAL_TOPIC"), Some("CfgTimerT"));
    assert_eq!(m.property("UNIQ_KEY"), Some("U-7DAYS"));
    let due: i64 = m.property("TIMER_OUT_MS").unwrap().parse().unwrap();
    let week_ms = 7 * DAY_SEC * 1000;
    assert!(
        due >= sent_at + week_ms && due <= now_ms() + week_ms,
        "due {due}, sent {sent_at}"
    );

    // Not delivered now: nothing in the real topic after a while, and the next ordinary message there is its first.
    let mut p = Pull::new("CfgTimerT", 0, 0);
    p.suspend_ms = Some(1500);
    let r = pull(&conn, &p).await;
    assert!(
        r.messages.is_empty(),
        "delivered early: {:?}",
        r.messages.len()
    );
    let plain = send_ok(&conn, send_v2_request("CfgTimerT", 0, "", b"plain")).await;
    assert_eq!(
        plain.queue_offset, 0,
        "the timer never reached the real topic"
    );

    // 9 days is past the raised limit.
    let resp = send_timer(&conn, "CfgTimerT", 9 * DAY_SEC, "U-9DAYS").await;
    assert_eq!(resp.code, response_code::MESSAGE_ILLEGAL);
    assert!(resp.remark.unwrap_or_default().contains("691200"));

    // UPDATE_BROKER_CONFIG applies live: one day is now the limit, a bad value is refused naming its key.
    let resp = update_config(&conn, "timerMaxDelaySec=86400\n").await;
    assert_eq!(resp.code, response_code::SUCCESS, "{:?}", resp.remark);
    let resp = send_timer(&conn, "CfgTimerT", 2 * DAY_SEC, "U-2DAYS").await;
    assert_eq!(
        resp.code,
        response_code::MESSAGE_ILLEGAL,
        "{:?}",
        resp.remark
    );
    let resp = send_timer(&conn, "CfgTimerT", DAY_SEC / 2, "U-HALFDAY").await;
    assert_eq!(resp.code, response_code::SUCCESS, "{:?}", resp.remark);
    let resp = update_config(&conn, "timerPrecisionMs=0\n").await;
    assert_eq!(resp.code, response_code::INVALID_PARAMETER);
    let remark = resp.remark.unwrap_or_default();
    assert!(remark.contains("timerPrecisionMs"), "{remark}");
    assert!(has_line(
        &broker_config(&conn).await,
        "timerPrecisionMs=1000"
    ));
    assert!(has_line(
        &broker_config(&conn).await,
        "timerMaxDelaySec=86400"
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_limit_refuses_a_four_day_timer() {
    let broker = support::spawn_standalone(&[]);
    let conn = client(&broker.addr).await;
    let config = broker_config(&conn).await;
    assert!(has_line(&config, "timerMaxDelaySec=259200"), "{config}");

    let resp = send_timer(&conn, "CfgTimerDefaultT", 4 * DAY_SEC, "U-4DAYS").await;
    assert_eq!(resp.code, response_code::MESSAGE_ILLEGAL);
    assert_eq!(resp.code, 13);
    let remark = resp.remark.unwrap_or_default();
    assert!(
        remark.contains("max delay") && remark.contains("259200"),
        "{remark}"
    );
    // Nothing was stored for it; 3 days is still fine.
    let resp = send_timer(&conn, "CfgTimerDefaultT", 3 * DAY_SEC, "U-3DAYS").await;
    assert_eq!(resp.code, response_code::SUCCESS, "{:?}", resp.remark);
    let m = stored_record(&conn, &resp).await;
    assert_eq!(m.topic, TIMER_TOPIC);
    assert_eq!(m.property("UNIQ_KEY"), Some("U-3DAYS"));
    // The refused one was never stored: the parked 3-day timer is the first record of the timer queue.
    assert_eq!(m.queue_offset, 0);
}

/// Runs `ferrocket standalone <args>` expecting it to exit by itself; returns (success, stderr).
fn run_to_exit(args: &[&str]) -> (bool, String) {
    let home = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ferrocket"))
        .arg("standalone")
        .args([
            "--set",
            "listenPort=0",
            "--set",
            "namesrvAddr=127.0.0.1:0",
            "--set",
            "bindAddress=127.0.0.1",
        ])
        .args(args)
        .env("HOME", home.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("ferrocket {args:?} kept running with a bad value");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    (status.success(), err)
}

#[test]
fn bad_timer_values_stop_the_broker_with_an_error_naming_the_key() {
    for (set, key) in [
        ("timerPrecisionMs=0", "timerPrecisionMs"),
        ("timerPrecisionMs=-1000", "timerPrecisionMs"),
        ("timerMaxDelaySec=-1", "timerMaxDelaySec"),
        ("timerWheelEnable=maybe", "timerWheelEnable"),
    ] {
        let (ok, err) = run_to_exit(&["--set", set]);
        assert!(!ok, "{set} accepted");
        assert!(err.contains(key), "{set}: {err}");
        assert!(!err.contains("panicked"), "{set}: {err}");
    }
    // The same from a properties file.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broker.properties");
    std::fs::write(&file, "brokerName=broker-a\ntimerPrecisionMs=0\n").unwrap();
    let (ok, err) = run_to_exit(&["-c", file.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        err.contains("timerPrecisionMs") && err.contains("at least 1"),
        "{err}"
    );
}
