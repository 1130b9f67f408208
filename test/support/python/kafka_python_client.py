"""kafka-python (Debian's python3-kafka 2.0.2, a pure-Python client with its
own protocol code) driven against floe by the tests:

  kafka_python_client.py produce <bootstrap> <topic> <count> <codec>
      acks=all; values v0..v<count-1> with keys k<i>; prints one JSON line
      per record with the partition and offset the broker returned.
  kafka_python_client.py consume-group <bootstrap> <topic> <group> <count>
      a group member (earliest, manual commit) reads <count> records,
      commits synchronously, leaves; prints one JSON line per record.

It reports what happened; the test decides whether it is right.
"""
import json
import sys

from kafka import KafkaConsumer, KafkaProducer


def produce(bootstrap, topic, count, codec):
    producer = KafkaProducer(
        bootstrap_servers=bootstrap,
        acks='all',
        compression_type=None if codec == 'none' else codec,
        retries=5,
        max_in_flight_requests_per_connection=1,
        linger_ms=5,
    )
    futures = [producer.send(topic, key=f'k{i}'.encode(), value=f'v{i}'.encode()) for i in range(count)]
    producer.flush(30)
    for i, f in enumerate(futures):
        md = f.get(timeout=30)
        print(json.dumps({'key': f'k{i}', 'partition': md.partition, 'offset': md.offset}))
    producer.close(10)


def consume_group(bootstrap, topic, group, count):
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        auto_offset_reset='earliest',
        enable_auto_commit=False,
        session_timeout_ms=10000,
        heartbeat_interval_ms=1000,
        consumer_timeout_ms=30000,
    )
    seen = 0
    for msg in consumer:
        print(json.dumps({'partition': msg.partition, 'offset': msg.offset,
                          'key': msg.key.decode(), 'value': msg.value.decode()}))
        seen += 1
        if seen >= count:
            break
    consumer.commit()
    consumer.close()
    if seen < count:
        sys.stderr.write(f'timed out after {seen} of {count} records\n')
        sys.exit(1)


def main():
    mode = sys.argv[1]
    if mode == 'produce':
        produce(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    elif mode == 'consume-group':
        consume_group(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    else:
        sys.stderr.write(f'unknown mode {mode}\n')
        sys.exit(2)


if __name__ == '__main__':
    main()
