// Records every request frame a real client sends to the trivial Kafka
// server, for golden tests on bytes nobody on this project wrote.

import { TrivialKafkaServer, type CapturedRequest } from '../../bench/trivial-kafka-server.ts';

export type { CapturedRequest };

export class CaptureServer extends TrivialKafkaServer {
  readonly captured: CapturedRequest[] = [];

  constructor(partitions = 1) {
    const captured: CapturedRequest[] = [];
    super(partitions, (r) => captured.push(r));
    this.captured = captured;
  }

  first(apiKey: number): CapturedRequest | undefined {
    return this.captured.find((c) => c.apiKey === apiKey);
  }
}
