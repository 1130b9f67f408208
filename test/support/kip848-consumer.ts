// A group member of the KIP-848 consumer protocol on a real third-party
// client (@platformatic/kafka with groupProtocol 'consumer'), in-process or,
// run as a script, in its own process (so a test can SIGKILL it) printing
// "MSG <value>" for every record it processes.

import { Consumer, MessagesStreamFallbackModes, MessagesStreamModes, stringDeserializers } from '@platformatic/kafka';

export interface Kip848Member {
  consumer: Consumer<string, string, string, string>;
  /**
   * How many partitions the member had when it last set its fetch positions. On every assignment
   * change the client re-reads the committed offsets of all its partitions (so records it read
   * but had not committed yet are read again): a test that counts deliveries waits for this.
   */
  positioned(): number;
  /** How many times the member has set its fetch positions (from committed offsets) since it started. */
  repositionings(): number;
  close(): Promise<void>;
}

export async function startKip848Member(bootstrap: string, groupId: string, topic: string, onValue: (value: string, partition: number) => void): Promise<Kip848Member> {
  const consumer = new Consumer({
    groupId, clientId: 'kip848-member', bootstrapBrokers: [bootstrap], deserializers: stringDeserializers,
    groupProtocol: 'consumer', retries: 20, retryDelay: 200,
  });
  consumer.on('error', () => undefined);
  const stream = await consumer.consume({
    topics: [topic], autocommit: 100, mode: MessagesStreamModes.COMMITTED, fallbackMode: MessagesStreamFallbackModes.EARLIEST, maxWaitTime: 100,
  });
  let positioned = 0;
  let repositionings = 0;
  stream.on('offsets', () => {
    repositionings++;
    positioned = (consumer.assignments ?? []).reduce((n, a) => n + a.partitions.length, 0);
  });
  stream.on('data', (m) => onValue(m.value, m.partition));
  stream.on('error', () => undefined);
  return { consumer, positioned: () => positioned, repositionings: () => repositionings, close: () => consumer.close(true) };
}

if (import.meta.main) {
  const [bootstrap, groupId, topic] = process.argv.slice(2) as [string, string, string];
  await startKip848Member(bootstrap, groupId, topic, (v) => process.stdout.write(`MSG ${v}\n`));
}
