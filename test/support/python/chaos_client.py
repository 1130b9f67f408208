"""confluent-kafka-python (librdkafka) clients of the fault campaign; each prints
its history as JSON lines (time t in ms since the epoch) until a stop file appears.

produce BOOTSTRAP TOPIC PARTITIONS NAME STOPFILE RATE: an idempotent acks=all
  producer sending keys NAME-<n> at about RATE records/s, round robin over the
  partitions: {"e":"send","k"} then {"e":"ack","k","p","o"} or {"e":"err","k","err"};
  {"e":"bump"} when librdkafka bumps its producer epoch, {"e":"fatal","err"} on a fatal error.
consume BOOTSTRAP TOPIC GROUP NAME STOPFILE: a classic group member committing
  after each record read: {"e":"read","k","p","o","epoch"}; the epoch goes up
  on every assignment change (offsets may restart only across epochs).
"""
import json
import logging
import os
import sys
import time

from confluent_kafka import Consumer, Producer


def now():
    return int(time.time() * 1000)


def emit(o):
    o["t"] = now()
    print(json.dumps(o), flush=True)


class IdempotenceLog(logging.Handler):
    """librdkafka's log lines to stderr as before (the campaign keeps them), and each epoch bump as an event."""

    def emit(self, record):
        line = record.getMessage()
        sys.stderr.write(f"{record.levelno}|{time.time():.3f}|{line}\n")
        if "bumped epoch" in line:
            emit({"e": "bump"})


def produce(bootstrap, topic, partitions, name, stopfile, rate):
    log = logging.getLogger(f"librdkafka-{name}")
    log.setLevel(logging.DEBUG)
    log.propagate = False
    log.addHandler(IdempotenceLog())

    def on_error(err):
        # A fatal error ends the idempotent producer for good (e.g. librdkafka's "sequence desynchronization").
        if err.fatal():
            emit({"e": "fatal", "err": str(err)})

    p = Producer({
        "bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all",
        "linger.ms": 5, "message.timeout.ms": 120000, "retry.backoff.ms": 100,
        # Idempotence state changes (epoch bumps, drains, PID changes): kept by the campaign, bumps counted.
        "debug": "eos", "logger": log, "error_cb": on_error,
    })

    def report(err, msg):
        k = msg.key().decode()
        if err:
            emit({"e": "err", "k": k, "err": str(err)})
        else:
            emit({"e": "ack", "k": k, "p": msg.partition(), "o": msg.offset()})

    i = 0
    interval = 1.0 / rate
    due = time.monotonic()
    while not os.path.exists(stopfile):
        k = f"{name}-{i}"
        try:
            p.produce(topic, key=k, value=k, partition=i % partitions, on_delivery=report)
            emit({"e": "send", "k": k})
            i += 1
        except BufferError:
            pass
        # Paced by the clock: poll returns early whenever it serves a callback or a log line.
        due = max(due + interval, time.monotonic() - 1.0)
        while (left := due - time.monotonic()) > 0:
            p.poll(left)
    left = p.flush(120)
    sys.exit(1 if left else 0)


def consume(bootstrap, topic, group, name, stopfile):
    c = Consumer({
        "bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
        "enable.auto.commit": False, "session.timeout.ms": 10000, "max.poll.interval.ms": 60000,
        # Group membership (joins, heartbeats, assignment, losses) to stderr: the campaign keeps it.
        "debug": "cgrp",
    })
    epoch = [0]

    def assigned(_consumer, parts):
        epoch[0] += 1
        emit({"e": "assign", "c": name, "epoch": epoch[0], "parts": [x.partition for x in parts]})

    def revoked(_consumer, parts):
        epoch[0] += 1
        emit({"e": "revoke", "c": name, "epoch": epoch[0], "parts": [x.partition for x in parts]})

    c.subscribe([topic], on_assign=assigned, on_revoke=revoked, on_lost=revoked)
    while not os.path.exists(stopfile):
        m = c.poll(0.2)
        if m is None:
            continue
        if m.error():
            emit({"e": "cerr", "c": name, "err": str(m.error())})
            continue
        emit({"e": "read", "c": name, "epoch": epoch[0], "k": m.key().decode(), "p": m.partition(), "o": m.offset()})
        try:
            c.commit(message=m, asynchronous=True)
        except Exception as e:  # a commit during a fault: the next one covers it
            emit({"e": "cerr", "c": name, "err": str(e)})
    c.close()


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "produce":
        produce(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6], float(sys.argv[7]))
    else:
        consume(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6])
