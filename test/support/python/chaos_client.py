"""confluent-kafka-python (librdkafka) clients of the fault campaign; each prints
its history as JSON lines (time t in ms since the epoch) until a stop file appears.

produce BOOTSTRAP TOPIC PARTITIONS NAME STOPFILE RATE: an idempotent acks=all
  producer sending keys NAME-<n> at about RATE records/s, round robin over the
  partitions: {"e":"send","k"} then {"e":"ack","k","p","o"} or {"e":"err","k","err"};
  {"e":"bump"} when librdkafka bumps its producer epoch, {"e":"fatal","err"} on a fatal error.
txn-produce BOOTSTRAP TOPIC PARTITIONS NAME STOPFILE RATE: a transactional
  producer (transactional.id chaos-NAME), RATE transactions/s of four records
  each, every fourth aborted: {"e":"txn","txn","keys","outcome"} with outcome
  committed, aborted, open (never asked to commit: the coordinator aborts it)
  or unknown (a commit asked for, its answer lost); {"e":"terr","err"}.
consume BOOTSTRAP TOPICS GROUP NAME STOPFILE: a classic group member (read_committed,
  librdkafka's default) of the comma-separated TOPICS, committing
  after each record read: {"e":"read","tp","k","p","o","epoch"}; the epoch goes up
  on every assignment change (offsets may restart only across epochs).
"""
import json
import logging
import os
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer


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


def idempotence_log(name):
    log = logging.getLogger(f"librdkafka-{name}")
    log.setLevel(logging.DEBUG)
    log.propagate = False
    log.addHandler(IdempotenceLog())
    return log


def on_error(err):
    # A fatal error ends the producer for good (e.g. librdkafka's "sequence desynchronization").
    if err.fatal():
        emit({"e": "fatal", "err": str(err)})


def produce(bootstrap, topic, partitions, name, stopfile, rate):
    p = Producer({
        "bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all",
        "linger.ms": 5, "message.timeout.ms": 120000, "retry.backoff.ms": 100,
        # Idempotence state changes (epoch bumps, drains, PID changes): kept by the campaign, bumps counted.
        "debug": "eos", "logger": idempotence_log(name), "error_cb": on_error,
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


TXN_RECORDS = 4


def retrying(call, what):
    """Runs a transactional call again while it fails retriably (bounded); raises what is not retriable."""
    for attempt in range(20):
        try:
            return call()
        except KafkaException as e:
            err = e.args[0]
            if not err.retriable() or attempt == 19:
                raise
            emit({"e": "terr", "err": f"{what}: {err}"})
            time.sleep(0.5)


def txn_produce(bootstrap, topic, partitions, name, stopfile, rate):
    p = Producer({
        "bootstrap.servers": bootstrap, "transactional.id": f"chaos-{name}", "transaction.timeout.ms": 30000,
        "message.timeout.ms": 30000, "linger.ms": 5, "retry.backoff.ms": 100,
        "debug": "eos", "logger": idempotence_log(name), "error_cb": on_error,
    })
    retrying(lambda: p.init_transactions(30), "init_transactions")
    txn = 0
    interval = 1.0 / rate
    due = time.monotonic()
    while not os.path.exists(stopfile):
        keys = [f"{name}-{txn * TXN_RECORDS + j}" for j in range(TXN_RECORDS)]
        # open: no commit asked for, so the coordinator must abort it; unknown: a commit asked for and not answered.
        outcome = "open"
        try:
            p.begin_transaction()
            for j, k in enumerate(keys):
                p.produce(topic, key=k, value=k, partition=(txn + j) % partitions)
            if txn % 4 == 3:
                retrying(lambda: p.abort_transaction(30), "abort_transaction")
                outcome = "aborted"
            else:
                outcome = "unknown"
                retrying(lambda: p.commit_transaction(30), "commit_transaction")
                outcome = "committed"
        except KafkaException as e:
            err = e.args[0]
            emit({"e": "terr", "err": str(err)})
            # error_cb does not always see a fatal error a transactional call raises; the campaign counts each once.
            if err.fatal():
                emit({"e": "fatal", "err": str(err)})
            if err.txn_requires_abort():
                # Not committed (librdkafka says so): abort it and go on with the next one.
                try:
                    retrying(lambda: p.abort_transaction(30), "abort_transaction")
                    outcome = "aborted"
                except KafkaException as e2:
                    emit({"e": "terr", "err": str(e2.args[0])})
                    if e2.args[0].fatal():
                        emit({"e": "fatal", "err": str(e2.args[0])})
                    emit({"e": "txn", "txn": txn, "keys": keys, "outcome": "open" if outcome == "open" else "unknown"})
                    sys.exit(3)
            else:
                emit({"e": "txn", "txn": txn, "keys": keys, "outcome": outcome})
                sys.exit(2 if err.fatal() else 3)
        emit({"e": "txn", "txn": txn, "keys": keys, "outcome": outcome})
        txn += 1
        due = max(due + interval, time.monotonic() - 1.0)
        while (left := due - time.monotonic()) > 0:
            p.poll(left)
    sys.exit(0)


def consume(bootstrap, topic, group, name, stopfile, protocol="classic"):
    config = {
        "bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
        "enable.auto.commit": False, "max.poll.interval.ms": 60000, "group.protocol": protocol,
        # Group membership (joins, heartbeats, assignment, losses) to stderr: the campaign keeps it
        # (FLOE_CHAOS_CONSUMER_DEBUG names other librdkafka debug contexts, e.g. cgrp,fetch).
        "debug": os.environ.get("FLOE_CHAOS_CONSUMER_DEBUG", "cgrp"),
    }
    # The KIP-848 protocol takes its session timeout from the broker.
    if protocol == "classic":
        config["session.timeout.ms"] = 10000
    c = Consumer(config)
    epoch = [0]

    def assigned(_consumer, parts):
        epoch[0] += 1
        emit({"e": "assign", "c": name, "epoch": epoch[0], "parts": [x.partition for x in parts]})

    def revoked(_consumer, parts):
        epoch[0] += 1
        emit({"e": "revoke", "c": name, "epoch": epoch[0], "parts": [x.partition for x in parts]})

    c.subscribe(topic.split(","), on_assign=assigned, on_revoke=revoked, on_lost=revoked)
    while not os.path.exists(stopfile):
        m = c.poll(0.2)
        if m is None:
            continue
        if m.error():
            emit({"e": "cerr", "c": name, "err": str(m.error())})
            continue
        emit({"e": "read", "c": name, "epoch": epoch[0], "tp": m.topic(), "k": m.key().decode(), "p": m.partition(), "o": m.offset()})
        try:
            c.commit(message=m, asynchronous=True)
        except Exception as e:  # a commit during a fault: the next one covers it
            emit({"e": "cerr", "c": name, "err": str(e)})
    c.close()


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "produce":
        produce(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6], float(sys.argv[7]))
    elif mode == "txn-produce":
        txn_produce(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6], float(sys.argv[7]))
    else:
        consume(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7] if len(sys.argv) > 7 else "classic")
