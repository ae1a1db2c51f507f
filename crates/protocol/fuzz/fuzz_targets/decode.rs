//! Feeds arbitrary bytes to the frame codec; every command that decodes goes through the typed headers of its
//! family and, when it has a body, the message record decoder (pull / query / view bodies are records). Nothing
//! may panic; errors are fine.
#![no_main]

use bytes::{Bytes, BytesMut};
use ferrocket_protocol::codec::RemotingCodec;
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::*;
use ferrocket_protocol::message::MessageExt;
use libfuzzer_sys::fuzz_target;
use tokio_util::codec::{Decoder, Encoder};

fuzz_target!(|data: &[u8]| {
    let mut codec = RemotingCodec::with_max_frame(1 << 20);
    let mut src = BytesMut::from(data);
    while let Ok(Some(cmd)) = codec.decode(&mut src) {
        exercise(&cmd);
        let mut out = BytesMut::new();
        let _ = codec.encode(&cmd, &mut out);
    }
    // The body decoder on its own too, since frames rarely survive random input.
    let _ = MessageExt::decode_all(Bytes::copy_from_slice(data));
});

fn exercise(cmd: &RemotingCommand) {
    let _ = SendMessageRequestHeader::from_command(cmd);
    let _ = cmd.decode_header::<SendMessageResponseHeader>();
    let _ = cmd.decode_header::<PullMessageRequestHeader>();
    let _ = cmd.decode_header::<PullMessageResponseHeader>();
    let _ = cmd.decode_header::<QueryMessageRequestHeader>();
    let _ = cmd.decode_header::<EndTransactionRequestHeader>();
    let _ = cmd.decode_header::<RegisterBrokerRequestHeader>();
    let _ = cmd.decode_header::<ResetOffsetRequestHeader>();
    let _ = cmd.decode_header::<CreateTopicRequestHeader>();
    let _ = MessageExt::decode_all(cmd.body.clone());
}
