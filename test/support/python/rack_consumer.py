"""confluent-kafka-python (librdkafka) consumer in a rack, for the KIP-392 tests.

Assigns every partition of a topic from the beginning with `client.rack`
set, reads until it has `count` records (or goes idle for long), and prints
each record as a JSON line {partition, offset, value}, then {"done": n}.
"""
import json
import sys

from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING

bootstrap, topic, partitions, count, rack = sys.argv[1:6]
c = Consumer({
    "bootstrap.servers": bootstrap,
    "group.id": "rack-reader",
    "client.rack": rack,
    "enable.auto.commit": False,
    "topic.metadata.refresh.interval.ms": 1000,
})
c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(int(partitions))])
got = 0
idle = 0
while got < int(count) and idle < 300:
    m = c.poll(0.1)
    if m is None:
        idle += 1
        continue
    if m.error():
        print(json.dumps({"error": str(m.error())}), flush=True)
        continue
    idle = 0
    got += 1
    print(json.dumps({"partition": m.partition(), "offset": m.offset(), "value": m.value().decode()}), flush=True)
c.close()
print(json.dumps({"done": got}), flush=True)
