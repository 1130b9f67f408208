// Runs the trivial Kafka server as its own process, for measuring the load
// generator's ceiling: node bench/sink-server.ts <port>

import { TrivialKafkaServer } from './trivial-kafka-server.ts';

const port = Number(process.argv[2] ?? 0);
const server = new TrivialKafkaServer(1024);
await server.start(port);
process.stdout.write(`SINK ${server.port}\n`);
process.on('SIGTERM', () => void server.stop().then(() => process.exit(0)));
