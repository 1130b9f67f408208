"""confluent-kafka-python (librdkafka) client for the integration tests.

produce: idempotent producer, acks=all; prints one JSON line per delivery report.
consume: assigns partitions explicitly (no group) and prints every record as JSON.
"""
import json
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition


def produce(bootstrap, topic, count, partitions, pause_s=0.0):
    p = Producer({
        "bootstrap.servers": bootstrap,
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 2,
        "message.timeout.ms": 60000,
    })

    def report(err, msg):
        out = {"key": msg.key().decode(), "error": str(err) if err else None}
        if not err:
            out.update(partition=msg.partition(), offset=msg.offset())
        print(json.dumps(out), flush=True)

    for i in range(count):
        while True:
            try:
                p.produce(topic, key=f"k{i}", value=f"v{i}", partition=i % partitions, on_delivery=report)
                break
            except BufferError:
                p.poll(0.05)
        p.poll(0)
        if pause_s:
            time.sleep(pause_s)
    left = p.flush(60)
    sys.exit(1 if left else 0)


def consume(bootstrap, topic, partitions, expected, idle_polls=50):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "unused-assign-only", "enable.auto.commit": False,
                  "auto.offset.reset": "earliest"})
    c.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    got = 0
    idle = 0
    while got < expected and idle < idle_polls:
        m = c.poll(0.2)
        if m is None:
            idle += 1
            continue
        if m.error():
            print(json.dumps({"error": str(m.error())}), flush=True)
            continue
        idle = 0
        got += 1
        print(json.dumps({"partition": m.partition(), "offset": m.offset(), "key": m.key().decode(), "value": m.value().decode()}), flush=True)
    c.close()


if __name__ == "__main__":
    mode, bootstrap, topic = sys.argv[1:4]
    if mode == "produce":
        produce(bootstrap, topic, int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6]) if len(sys.argv) > 6 else 0.0)
    else:
        consume(bootstrap, topic, int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]) if len(sys.argv) > 6 else 50)
