"""confluent-kafka-python (librdkafka) read_committed consumer in a rack, for
the KIP-392 transactions test.

Assigns every partition of a topic from the beginning with `client.rack` and
isolation.level=read_committed, and prints each record as a JSON line
{partition, offset, value}; after every ten empty polls in a row it prints
{"idle": n} (so the test knows the consumer is waiting at what it may read).
Stops after `count` records, or 120 s.
"""
import json
import sys
import time

from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING

bootstrap, topic, partitions, count, rack = sys.argv[1:6]
c = Consumer({
    "bootstrap.servers": bootstrap,
    "group.id": "rack-txn-reader",
    "client.rack": rack,
    "isolation.level": "read_committed",
    "enable.auto.commit": False,
    "topic.metadata.refresh.interval.ms": 1000,
    "fetch.wait.max.ms": 100,
})
c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(int(partitions))])
got = 0
empty = 0
idles = 0
deadline = time.time() + 120
while got < int(count) and time.time() < deadline:
    m = c.poll(0.1)
    if m is None:
        empty += 1
        if empty % 10 == 0:
            idles += 1
            print(json.dumps({"idle": idles}), flush=True)
        continue
    if m.error():
        print(json.dumps({"error": str(m.error())}), flush=True)
        continue
    empty = 0
    got += 1
    print(json.dumps({"partition": m.partition(), "offset": m.offset(), "value": m.value().decode()}), flush=True)
c.close()
print(json.dumps({"done": got}), flush=True)
