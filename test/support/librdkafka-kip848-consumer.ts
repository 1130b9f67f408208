// A group member of the KIP-848 consumer protocol on librdkafka (through
// kafka-crab-js, which bundles a current librdkafka): group.protocol=consumer,
// auto commit, reading from the earliest offset when nothing is committed.

import { KafkaClient, type KafkaConsumer } from 'kafka-crab-js';

export interface LibrdkafkaMember {
  consumer: KafkaConsumer;
  close(): Promise<void>;
}

export async function startLibrdkafkaMember(bootstrap: string, groupId: string, topic: string, onValue: (value: string, partition: number) => void): Promise<LibrdkafkaMember> {
  const client = new KafkaClient({ brokers: bootstrap, clientId: 'librdkafka-kip848', logLevel: 'error' });
  const consumer = client.createConsumer({
    groupId, enableAutoCommit: true,
    configuration: { 'group.protocol': 'consumer', 'auto.offset.reset': 'earliest', 'auto.commit.interval.ms': 100, 'fetch.wait.max.ms': 100 },
  });
  await consumer.subscribe(topic);
  let open = true;
  const loop = (async () => {
    while (open) {
      const m = await consumer.recv();
      if (m === null) return;
      onValue(m.payload.toString(), m.partition);
    }
  })();
  return {
    consumer,
    close: async () => {
      open = false;
      await consumer.disconnect();
      await loop;
    },
  };
}
