#!/usr/bin/env python3
"""Drives the Apache RocketMQ C++ client 2.1.0 (librocketmq.so, through PyPI rocketmq-client-python's ctypes
bindings) against a Ferrocket server and prints machine-checkable lines for the compatibility tests.

Usage (same subcommands and output lines as compat/rust-client):
  driver.py produce <namesrv> <topic> [--from ID] [--count N] [--tags A,B] [--mode sync|async|mixed]
            [--inflight K] [--group G] [--log-dir D]
      message `id`: body `id=<id>`, key `k<id>`, tag tags[id % len]; mixed = even ids sync, odd ids async.
      prints `send-failed id=.. err=..` per failure, then `sent ok=N failed=M sync=S async=A`.
  driver.py consume <namesrv> <topic> <group> [--expr EXPR] [--expect N] [--min-id M] [--settle-secs S]
            [--timeout-secs T] [--log-dir D]
      CLUSTERING push consumer; prints `recv id=.. tags=.. keys=.. queue=.. offset=.. reconsume=..` per delivery,
      `consumed total=.. distinct=.. reason=complete|timeout` once N distinct ids >= M arrived plus S seconds (or
      after T seconds), then shuts down and prints `shutdown done`. Upstream bug: the C++ PushConsumer may crash
      in shutdown; everything before it has been flushed by then.
"""

import ctypes
import os
import resource
import sys
import threading
import time

from rocketmq.client import ConsumeStatus, Message, Producer, PushConsumer, SendStatus
from rocketmq.ffi import dll

# CSendResult / CMQException as declared in the C++ client's CSendResult.h and CMQException.h (2.1.0). The
# bindings' own CMQException has the wrong field sizes, and their wrapper has no async send, so SendAsync is
# called directly.
class CSendResult(ctypes.Structure):
    _fields_ = [("sendStatus", ctypes.c_int), ("msgId", ctypes.c_char * 256), ("offset", ctypes.c_longlong)]


class CMQException(ctypes.Structure):
    _fields_ = [
        ("error", ctypes.c_int),
        ("line", ctypes.c_int),
        ("file", ctypes.c_char * 256),
        ("msg", ctypes.c_char * 512),
        ("type", ctypes.c_char * 128),
    ]


ON_SUCCESS = ctypes.CFUNCTYPE(None, CSendResult, ctypes.c_void_p, ctypes.c_void_p)
ON_EXCEPTION = ctypes.CFUNCTYPE(None, CMQException, ctypes.c_void_p, ctypes.c_void_p)
dll.SendAsync.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ON_SUCCESS, ON_EXCEPTION, ctypes.c_void_p]
dll.SendAsync.restype = ctypes.c_int
dll.SetProducerLogPath.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
dll.SetProducerLogPath.restype = ctypes.c_int
dll.SetPushConsumerLogPath.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
dll.SetPushConsumerLogPath.restype = ctypes.c_int
dll.SetProducerSendMsgTimeout.argtypes = [ctypes.c_void_p, ctypes.c_int]
dll.SetProducerSendMsgTimeout.restype = ctypes.c_int

OUT = threading.Lock()


def say(line):
    with OUT:
        sys.stdout.write(line + "\n")


def parse(argv):
    positional, flags = [], {}
    i = 0
    while i < len(argv):
        if argv[i].startswith("--"):
            if i + 1 >= len(argv):
                raise SystemExit("flag %s needs a value" % argv[i])
            flags[argv[i][2:]] = argv[i + 1]
            i += 2
        else:
            positional.append(argv[i])
            i += 1
    return positional, flags


def tag_list(s):
    return [t.strip() for t in s.split(",") if t.strip()]


def produce(pos, flags):
    namesrv, topic = pos[1], pos[2]
    first = int(flags.get("from", "0"))
    count = int(flags.get("count", "100"))
    tags = tag_list(flags.get("tags", "TagA"))
    mode = flags.get("mode", "mixed")
    inflight = threading.Semaphore(int(flags.get("inflight", "256")))

    producer = Producer(flags.get("group", "compat_cpp_producer"))
    producer.set_name_server_address(namesrv)
    if "log-dir" in flags:
        dll.SetProducerLogPath(producer._handle, flags["log-dir"].encode())
    dll.SetProducerSendMsgTimeout(producer._handle, 10000)
    producer.start()

    lock = threading.Lock()
    tally = {"ok": 0, "failed": 0}
    pending = {}  # id -> Message, kept alive until its callback ran

    def record(msg_id, err):
        with lock:
            if err is None:
                tally["ok"] += 1
            else:
                tally["failed"] += 1
            pending.pop(msg_id, None)
        if err is not None:
            say("send-failed id=%d err=%s" % (msg_id, err.replace("\n", " ")))

    def on_success(result, _msg, user):
        try:
            record(user or 0, None if result.sendStatus == 0 else "status:%d" % result.sendStatus)
        finally:
            inflight.release()

    def on_exception(exc, _msg, user):
        try:
            record(user or 0, "%d %s" % (exc.error, exc.msg.decode("utf-8", "replace")))
        finally:
            inflight.release()

    # ctypes callbacks must outlive every call that may use them.
    cb_ok, cb_err = ON_SUCCESS(on_success), ON_EXCEPTION(on_exception)
    n_sync = n_async = 0
    for msg_id in range(first, first + count):
        msg = Message(topic)
        msg.set_keys("k%d" % msg_id)
        msg.set_tags(tags[msg_id % len(tags)])
        msg.set_body("id=%d" % msg_id)
        sync = mode == "sync" or (mode == "mixed" and msg_id % 2 == 0)
        if sync:
            n_sync += 1
            try:
                res = producer.send_sync(msg)
                record(msg_id, None if res.status == SendStatus.OK else "status:%s" % res.status)
            except Exception as e:  # the bindings raise on any non-OK C status
                record(msg_id, "%s: %s" % (type(e).__name__, e))
            dll.DestroyMessage(msg._handle)
        else:
            n_async += 1
            inflight.acquire()
            with lock:
                pending[msg_id] = msg
            rc = dll.SendAsync(producer._handle, msg._handle, cb_ok, cb_err, ctypes.c_void_p(msg_id))
            if rc != 0:
                inflight.release()
                record(msg_id, "SendAsync returned %d" % rc)
    deadline = time.time() + 60
    while time.time() < deadline:
        with lock:
            if tally["ok"] + tally["failed"] >= count:
                break
        time.sleep(0.02)
    with lock:
        ok, failed = tally["ok"], tally["failed"]
    say("sent ok=%d failed=%d sync=%d async=%d" % (ok, count - ok, n_sync, n_async))
    sys.stdout.flush()
    producer.shutdown()
    return 0


def consume(pos, flags):
    namesrv, topic, group = pos[1], pos[2], pos[3]
    expr = flags.get("expr", "*")
    expect = int(flags.get("expect", "0"))
    min_id = int(flags.get("min-id", "0"))
    settle = float(flags.get("settle-secs", "5"))
    timeout = float(flags.get("timeout-secs", "120"))

    lock = threading.Lock()
    seen = {"total": 0, "wanted": 0, "ids": set()}

    def on_message(msg):
        body = (msg.body or b"").decode("utf-8", "replace")
        tags = (msg.tags or b"").decode("utf-8", "replace")
        keys = (msg.keys or b"").decode("utf-8", "replace")
        if not body.startswith("id=") or not body[3:].isdigit():
            say("recv-unparsed body=%r tags=%s queue=%d" % (body, tags, msg.queue_id))
            return ConsumeStatus.CONSUME_SUCCESS
        msg_id = int(body[3:])
        say("recv id=%d tags=%s keys=%s queue=%d offset=%d reconsume=%d"
            % (msg_id, tags, keys, msg.queue_id, msg.queue_offset, msg.reconsume_times))
        with lock:
            seen["total"] += 1
            if msg_id not in seen["ids"]:
                seen["ids"].add(msg_id)
                if msg_id >= min_id:
                    seen["wanted"] += 1
        return ConsumeStatus.CONSUME_SUCCESS

    consumer = PushConsumer(group)
    consumer.set_name_server_address(namesrv)
    if "log-dir" in flags:
        dll.SetPushConsumerLogPath(consumer._handle, flags["log-dir"].encode())
    consumer.set_thread_count(4)
    consumer.subscribe(topic, on_message, expr)
    consumer.start()

    started, complete_at = time.time(), None
    while True:
        time.sleep(0.1)
        with lock:
            wanted = seen["wanted"]
        if complete_at is None and expect > 0 and wanted >= expect:
            complete_at = time.time()
        if complete_at is not None and time.time() - complete_at >= settle:
            reason = "complete"
            break
        if time.time() - started >= timeout:
            reason = "timeout"
            break
    with lock:
        say("consumed total=%d distinct=%d reason=%s" % (seen["total"], len(seen["ids"]), reason))
    sys.stdout.flush()
    consumer.shutdown()
    say("shutdown done")
    sys.stdout.flush()
    # Skip interpreter teardown: the C++ client's static destructors are the crash-prone part.
    os._exit(0)


def main():
    # The known shutdown crash must not leave core files behind.
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    pos, flags = parse(sys.argv[1:])
    if not pos:
        raise SystemExit(__doc__)
    cmd = pos[0]
    if cmd == "produce" and len(pos) >= 3:
        return produce(pos, flags)
    if cmd == "consume" and len(pos) >= 4:
        return consume(pos, flags)
    raise SystemExit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
