"""confluent-kafka-python group member for the integration tests.

Consumes `count` records from a topic in a group, committing manually
(synchronous commit per message) or automatically, then prints its
assignment and what it consumed as JSON, and closes (a static member, with
group.instance.id, does not leave the group on close).
"""
import json
import sys

from confluent_kafka import Consumer

bootstrap, group, topic, count, commit_mode, instance_id = sys.argv[1:7]
conf = {
    "bootstrap.servers": bootstrap,
    "group.id": group,
    "auto.offset.reset": "earliest",
    "enable.auto.commit": commit_mode == "auto",
    "auto.commit.interval.ms": 100,
    "session.timeout.ms": 6000,
    "heartbeat.interval.ms": 500,
}
if instance_id != "-":
    conf["group.instance.id"] = instance_id
c = Consumer(conf)
c.subscribe([topic])
got = []
idle = 0
while len(got) < int(count) and idle < 150:
    m = c.poll(0.2)
    if m is None:
        idle += 1
        continue
    if m.error():
        print(json.dumps({"error": str(m.error())}), flush=True)
        continue
    idle = 0
    got.append(m.value().decode())
    if commit_mode == "manual":
        c.commit(message=m, asynchronous=False)
assignment = sorted(tp.partition for tp in c.assignment())
if commit_mode == "auto":
    c.commit(asynchronous=False)
c.close()
print(json.dumps({"assignment": assignment, "values": got}), flush=True)
