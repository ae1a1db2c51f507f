//! Property tests: the frame decoder never panics on arbitrary input, and arbitrary commands round-trip.

use bytes::{BufMut, BytesMut};
use ferrocket_protocol::codec::RemotingCodec;
use ferrocket_protocol::codes::{LanguageCode, SerializeType};
use ferrocket_protocol::command::{ExtFields, RemotingCommand};
use proptest::prelude::*;
use tokio_util::codec::{Decoder, Encoder};

/// Feeds `input` to a codec in chunks of `chunk` bytes and decodes until it needs more input or fails.
fn drain(input: &[u8], chunk: usize) {
    let mut codec = RemotingCodec::with_max_frame(1 << 20);
    let mut src = BytesMut::new();
    for piece in input.chunks(chunk.max(1)) {
        src.extend_from_slice(piece);
        loop {
            match codec.decode(&mut src) {
                Ok(Some(cmd)) => {
                    // Whatever decoded must encode again.
                    let mut out = BytesMut::new();
                    let _ = codec.encode(&cmd, &mut out);
                }
                Ok(None) => break,
                Err(_) => return,
            }
        }
    }
}

fn framed(serialize_type: u8, header: &[u8], body: &[u8]) -> Vec<u8> {
    let mut b = BytesMut::new();
    b.put_i32((4 + header.len() + body.len()) as i32);
    b.put_u32(((serialize_type as u32) << 24) | header.len() as u32);
    b.put_slice(header);
    b.put_slice(body);
    b.to_vec()
}

fn valid_frame(st: SerializeType) -> Vec<u8> {
    let cmd = RemotingCommand::new_request(310)
        .with_serialize_type(st)
        .with_ext("a", "PG")
        .with_ext("d", "4")
        .with_remark("remark")
        .with_body(&b"body"[..]);
    cmd.to_bytes().unwrap().to_vec()
}

fn text() -> impl Strategy<Value = String> {
    // Non-empty: the binary header reads an empty string back as absent.
    "\\PC{1,12}"
}

prop_compose! {
    fn command()(
        code in any::<i16>(),
        language in 0u8..14,
        version in any::<i16>(),
        opaque in any::<i32>(),
        flag in any::<i32>(),
        remark in proptest::option::of(text()),
        ext in proptest::collection::hash_map(text(), text(), 0..6),
        body in proptest::collection::vec(any::<u8>(), 0..64),
        binary in any::<bool>(),
    ) -> RemotingCommand {
        let mut cmd = RemotingCommand::new_request(code as i32)
            .with_language(LanguageCode::from_code(language))
            .with_version(version as i32)
            .with_opaque(opaque)
            .with_body(body)
            .with_serialize_type(if binary { SerializeType::RocketMq } else { SerializeType::Json });
        cmd.flag = flag;
        cmd.remark = remark;
        cmd.ext_fields = ext.into_iter().collect::<ExtFields>();
        cmd
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(input in proptest::collection::vec(any::<u8>(), 0..512), chunk in 1usize..64) {
        drain(&input, chunk);
    }

    #[test]
    fn arbitrary_headers_in_a_valid_envelope_never_panic(
        st in 0u8..3,
        header in proptest::collection::vec(any::<u8>(), 0..256),
        body in proptest::collection::vec(any::<u8>(), 0..16),
    ) {
        drain(&framed(st, &header, &body), 4096);
    }

    #[test]
    fn json_like_headers_never_panic(header in r#"\{("[a-zA-Z]{0,8}":(-?[0-9]{1,12}|"[^"]{0,6}"|null|true|\{("[a-z]":("[a-z]*"|[0-9]+|false|null),?){0,3}\}),?){0,8}\}"#) {
        drain(&framed(0, header.as_bytes(), b""), 4096);
    }

    #[test]
    fn mutated_valid_frames_never_panic(
        binary in any::<bool>(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let mut bytes = valid_frame(if binary { SerializeType::RocketMq } else { SerializeType::Json });
        for (at, value) in flips {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        drain(&bytes, 4096);
    }

    #[test]
    fn commands_round_trip(cmd in command()) {
        let mut codec = RemotingCodec::new();
        let mut buf = BytesMut::new();
        codec.encode(&cmd, &mut buf).unwrap();
        let back = codec.decode(&mut buf).unwrap().unwrap();
        prop_assert!(buf.is_empty());
        prop_assert_eq!(back, cmd);
    }
}
