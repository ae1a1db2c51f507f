//! The per-message header work of one SEND_MESSAGE_V2 round trip, as client and broker do it: typed header →
//! ext fields → JSON frame, and back, for the request and its response. Bodies are left out (they are not copied
//! on this path).
//!
//! Times are the bench thread's CPU time, not wall time: the machine is shared, and wall time there mostly measures
//! the neighbours.

use bytes::{Bytes, BytesMut};
use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use ferrocket_protocol::codes::{request_code, response_code, SerializeType};
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::{SendMessageRequestHeaderV2, SendMessageResponseHeader};

fn request_header() -> SendMessageRequestHeaderV2 {
    SendMessageRequestHeaderV2 {
        producer_group: "benchmark_producer".into(),
        topic: "BenchTopic".into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id: 3,
        sys_flag: 0,
        born_timestamp: 1_763_797_200_123,
        flag: 0,
        properties: Some(
            "UNIQ_KEY\u{1}7F0000010F4A18B4AAC2637B8D3A0001\u{2}WAIT\u{1}true\u{2}".into(),
        ),
        reconsume_times: Some(0),
        unit_mode: Some(false),
        max_reconsume_times: None,
        batch: Some(false),
        broker_name: Some("broker-a".into()),
    }
}

fn response_header() -> SendMessageResponseHeader {
    SendMessageResponseHeader {
        msg_id: "7F00000100002A9F0000000000A1B2C3".into(),
        queue_id: 3,
        queue_offset: 1_234_567,
        transaction_id: Some("7F0000010F4A18B4AAC2637B8D3A0001".into()),
        batch_uniq_id: None,
        recall_handle: None,
        msg_region: Some("DefaultRegion".into()),
        trace_on: Some("true".into()),
    }
}

/// The frame after its length word, as the codec hands it to `decode_frame`.
fn frame(cmd: &RemotingCommand) -> Bytes {
    let mut buf = BytesMut::new();
    cmd.encode(&mut buf).unwrap();
    buf.freeze().slice(4..)
}

fn encode_request(h: &SendMessageRequestHeaderV2, buf: &mut BytesMut) {
    let cmd = RemotingCommand::request_with_header(request_code::SEND_MESSAGE_V2, h);
    buf.clear();
    cmd.encode_prefix(1024, buf).unwrap();
}

fn decode_request(frame: &Bytes) -> SendMessageRequestHeaderV2 {
    let cmd = RemotingCommand::decode_frame(frame.clone()).unwrap();
    cmd.decode_header().unwrap()
}

fn encode_response(req_opaque: i32, h: &SendMessageResponseHeader, buf: &mut BytesMut) {
    let cmd = RemotingCommand::new_response(response_code::SUCCESS, None)
        .with_opaque(req_opaque)
        .with_header(h);
    buf.clear();
    cmd.encode(buf).unwrap();
}

fn decode_response(frame: &Bytes) -> SendMessageResponseHeader {
    let cmd = RemotingCommand::decode_frame(frame.clone()).unwrap();
    cmd.decode_header().unwrap()
}

/// CPU time of the calling thread, in nanoseconds.
struct ThreadCpu;

fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid out-pointer for clock_gettime.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

impl Measurement for ThreadCpu {
    type Intermediate = u64;
    type Value = u64;
    fn start(&self) -> u64 {
        thread_cpu_ns()
    }
    fn end(&self, start: u64) -> u64 {
        thread_cpu_ns() - start
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    fn to_f64(&self, v: &u64) -> f64 {
        *v as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &CpuNanos
    }
}

struct CpuNanos;

impl ValueFormatter for CpuNanos {
    fn scale_values(&self, _typical: f64, _values: &mut [f64]) -> &'static str {
        "ns cpu"
    }
    fn scale_throughputs(
        &self,
        _typical: f64,
        _t: &Throughput,
        _values: &mut [f64],
    ) -> &'static str {
        "ns cpu"
    }
    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

fn bench(c: &mut Criterion<ThreadCpu>) {
    let req_h = request_header();
    let resp_h = response_header();
    let req_frame = frame(
        &RemotingCommand::request_with_header(request_code::SEND_MESSAGE_V2, &req_h)
            .with_body(vec![0u8; 1024]),
    );
    let resp_frame =
        frame(&RemotingCommand::new_response(response_code::SUCCESS, None).with_header(&resp_h));
    let mut buf = BytesMut::with_capacity(4096);

    let mut g = c.benchmark_group("send_v2_json");
    g.bench_function("encode_request", |b| {
        b.iter(|| encode_request(black_box(&req_h), &mut buf))
    });
    g.bench_function("decode_request", |b| {
        b.iter(|| decode_request(black_box(&req_frame)))
    });
    g.bench_function("encode_response", |b| {
        b.iter(|| encode_response(7, black_box(&resp_h), &mut buf))
    });
    g.bench_function("decode_response", |b| {
        b.iter(|| decode_response(black_box(&resp_frame)))
    });
    g.bench_function("round_trip", |b| {
        b.iter(|| {
            encode_request(black_box(&req_h), &mut buf);
            black_box(decode_request(black_box(&req_frame)));
            encode_response(7, black_box(&resp_h), &mut buf);
            black_box(decode_response(black_box(&resp_frame)))
        })
    });
    g.finish();

    // The binary (ROCKETMQ) header, for comparison.
    let bin_frame = frame(
        &RemotingCommand::request_with_header(request_code::SEND_MESSAGE_V2, &req_h)
            .with_serialize_type(SerializeType::RocketMq),
    );
    c.bench_function("send_v2_binary/decode_request", |b| {
        b.iter(|| decode_request(black_box(&bin_frame)))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(ThreadCpu);
    targets = bench
}
criterion_main!(benches);
