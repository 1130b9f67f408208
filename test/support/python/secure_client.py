"""confluent-kafka-python over a secured listener: produces COUNT records to
TOPIC (acks=all, idempotent), then reads them back with an assigned consumer,
printing {"produced": n, "read": [values]}. Client settings (security.protocol,
sasl.*, ssl.*) come as KEY=VALUE arguments.

usage: secure_client.py BOOTSTRAP TOPIC COUNT KEY=VALUE...
"""
import json
import sys

from confluent_kafka import Consumer, Producer, TopicPartition

bootstrap, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
settings = dict(a.split("=", 1) for a in sys.argv[4:])
p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all", **settings})
delivered = []
for i in range(count):
    p.produce(topic, key=f"py{i}", value=f"py-{i}", partition=0, on_delivery=lambda err, msg: delivered.append(None if err else msg.offset()))
left = p.flush(30)
offsets = [o for o in delivered if o is not None]
c = Consumer({"bootstrap.servers": bootstrap, "group.id": "py-secure", "enable.auto.commit": False, **settings})
c.assign([TopicPartition(topic, 0, min(offsets) if offsets else 0)])
read = []
idle = 0
while len(read) < len(offsets) and idle < 50:
    m = c.poll(0.2)
    if m is None:
        idle += 1
        continue
    if m.error():
        continue
    if m.key() is not None and m.key().decode().startswith("py"):
        read.append(m.value().decode())
c.close()
print(json.dumps({"produced": len(offsets), "left": left, "read": read}), flush=True)
