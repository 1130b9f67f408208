"""Transactions through librdkafka (confluent-kafka): each mode prints JSON lines.

  commit-abort <bootstrap> <topic>        one committed and one aborted transaction over 3 partitions
  read <bootstrap> <topic> <isolation> <n> reads n records (or until idle) with read_committed / read_uncommitted
  ctp <bootstrap> <in> <out> <group> <n>  consume-transform-produce: n records from <in> to <out>, offsets in the transaction
  fence <bootstrap> <topic>               a second producer with the same transactional.id fences the first
  abandon <bootstrap> <topic> <txn-id> [timeout-ms]  opens a transaction, writes, and exits without ending it (timeout 3 s)
  loop <bootstrap> <topic> <txn-id> <n>   n transactions of 3 records (one per partition), each committed; a line per commit
"""
import json
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition


def out(**kv):
    print(json.dumps(kv), flush=True)


def producer(bootstrap, txn_id, timeout_ms=10000):
    p = Producer({'bootstrap.servers': bootstrap, 'transactional.id': txn_id, 'transaction.timeout.ms': timeout_ms, 'linger.ms': 5})
    p.init_transactions(30)
    return p


def commit_abort(bootstrap, topic):
    p = producer(bootstrap, f'{topic}-txn')
    p.begin_transaction()
    for i in range(30):
        p.produce(topic, key=f'c{i}', value=f'committed-{i}', partition=i % 3)
    p.commit_transaction(30)
    out(step='committed', records=30)
    p.begin_transaction()
    for i in range(20):
        p.produce(topic, key=f'a{i}', value=f'aborted-{i}', partition=i % 3)
    p.flush(30)
    p.abort_transaction(30)
    out(step='aborted', records=20)
    # Afterwards, more committed records: a read_committed reader must get past the aborted ones.
    p.begin_transaction()
    for i in range(30, 45):
        p.produce(topic, key=f'c{i}', value=f'committed-{i}', partition=i % 3)
    p.commit_transaction(30)
    out(step='committed', records=15)


def read(bootstrap, topic, isolation, n):
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': f'{topic}-{isolation}-{time.time()}', 'auto.offset.reset': 'earliest',
                  'isolation.level': isolation, 'enable.auto.commit': False})
    c.subscribe([topic])
    got, idle_since = 0, time.time()
    deadline = time.time() + 60
    while got < n and time.time() < deadline and time.time() - idle_since < 8:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            out(error=str(m.error()))
            continue
        got += 1
        idle_since = time.time()
        out(partition=m.partition(), offset=m.offset(), key=(m.key() or b'').decode(), value=m.value().decode())
    c.close()


def ctp(bootstrap, src, dst, group, n):
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': group, 'auto.offset.reset': 'earliest', 'isolation.level': 'read_committed', 'enable.auto.commit': False})
    c.subscribe([src])
    p = producer(bootstrap, f'{group}-ctp')
    done = 0
    deadline = time.time() + 90
    while done < n and time.time() < deadline:
        msgs = c.consume(50, 1.0)
        msgs = [m for m in msgs if not m.error()]
        if not msgs:
            continue
        p.begin_transaction()
        for m in msgs:
            p.produce(dst, key=m.key(), value=m.value().upper())
        p.send_offsets_to_transaction(c.position(c.assignment()), c.consumer_group_metadata(), 30)
        p.commit_transaction(30)
        done += len(msgs)
        out(step='batch', records=len(msgs))
    c.close()
    out(step='done', records=done)


def fence(bootstrap, topic):
    first = producer(bootstrap, f'{topic}-shared')
    first.begin_transaction()
    first.produce(topic, key='zombie', value='before-fencing', partition=0)
    first.flush(30)
    second = producer(bootstrap, f'{topic}-shared')  # fences the first and aborts its transaction
    out(step='second-initialised')
    second.begin_transaction()
    second.produce(topic, key='live', value='from-second', partition=0)
    second.commit_transaction(30)
    out(step='second-committed')
    try:
        first.produce(topic, key='zombie', value='after-fencing', partition=0)
        first.commit_transaction(30)
        out(step='first-committed')
    except KafkaException as e:
        err = e.args[0]
        out(step='first-failed', fatal=err.fatal(), code=err.name())


def abandon(bootstrap, topic, txn_id, timeout_ms):
    p = producer(bootstrap, txn_id, timeout_ms=timeout_ms)
    p.begin_transaction()
    for i in range(5):
        p.produce(topic, key=f'h{i}', value=f'hanging-{i}', partition=0)
    p.flush(30)
    out(step='abandoned')


def loop(bootstrap, topic, txn_id, n):
    p = producer(bootstrap, txn_id, 60000)
    for t in range(n):
        p.begin_transaction()
        for part in range(3):
            p.produce(topic, key=f't{t}', value=f'{txn_id}-{t}-p{part}', partition=part)
        p.commit_transaction(60)
        out(step='committed', txn=t)


mode = sys.argv[1]
if mode == 'commit-abort':
    commit_abort(sys.argv[2], sys.argv[3])
elif mode == 'read':
    read(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
elif mode == 'ctp':
    ctp(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]))
elif mode == 'fence':
    fence(sys.argv[2], sys.argv[3])
elif mode == 'loop':
    loop(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
elif mode == 'abandon':
    abandon(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]) if len(sys.argv) > 5 else 3000)
