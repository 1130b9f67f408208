// A kafkajs group member in its own process (so a test can SIGKILL it):
// prints "MSG <value>" for every record it processes.

import { Kafka, logLevel } from 'kafkajs';

const [bootstrap, groupId, topic] = process.argv.slice(2) as [string, string, string];
const kafka = new Kafka({ clientId: 'child', brokers: [bootstrap], logLevel: logLevel.NOTHING });
const consumer = kafka.consumer({ groupId, sessionTimeout: 6000, heartbeatInterval: 300, maxWaitTimeInMs: 100, rebalanceTimeout: 6000 });
await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
await consumer.run({
  autoCommitInterval: 100,
  eachMessage: async ({ message }) => {
    process.stdout.write(`MSG ${message.value!.toString()}\n`);
  },
});
