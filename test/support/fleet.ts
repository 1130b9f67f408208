// A fleet under test: brokers as separate processes on one PostgreSQL
// database and one S3 bucket (s3rver), started the way users start them
// (`--node-id N --metadata postgres://... --s3-endpoint ... --s3-bucket ...`).
// The PostgreSQL and S3 servers are shared by a test file; each fleet gets
// a database and a key prefix of its own, so fleets never see each other.

import { afterAll, beforeAll } from 'vitest';
import { BrokerProcess } from './broker-process.ts';
import { PostgresTestServer } from './postgres.ts';
import { S3_TEST_BUCKET, S3_TEST_CREDENTIALS, S3TestServer } from './s3-server.ts';

let fleets = 0;

/**
 * GET over HTTP from a broker. A kept-alive connection to a broker that was
 * restarted since is dead and resets the first request on it; the retry
 * opens a new one.
 */
async function httpGet(url: string): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fetch(url);
    } catch (e) {
      if (attempt >= 2) throw e;
    }
  }
}

/** The PostgreSQL and S3 servers of one test file (started before its tests, destroyed after). */
export interface FleetServers {
  readonly pg: PostgresTestServer;
  readonly s3: S3TestServer;
}

/** Registers the file's hooks that start and stop a PostgreSQL and an S3 server; read them inside tests and hooks. */
export function useFleetServers(): FleetServers {
  let pg: PostgresTestServer | undefined;
  const s3 = new S3TestServer();
  beforeAll(async () => {
    pg = await PostgresTestServer.start();
    await s3.start();
  });
  afterAll(async () => {
    await s3.destroy();
    await pg?.destroy();
  });
  return {
    get pg(): PostgresTestServer {
      if (pg === undefined) throw new Error('the fleet servers are started in beforeAll');
      return pg;
    },
    s3,
  };
}

export interface FleetOptions {
  /** Extra broker flags, for every broker. */
  args?: string[];
  /** Extra flags for one broker (e.g. its --broker-rack). */
  argsOf?: (nodeId: number) => string[];
  /** object-wal (default) or local-wal. */
  durability?: 'object-wal' | 'local-wal';
}

export class TestFleet {
  readonly brokers = new Map<number, BrokerProcess>();
  /** The fleet's PostgreSQL database (a test may look at or lock its rows). */
  readonly metadataUrl: string;
  private readonly s3: S3TestServer;
  private readonly prefix: string;
  private readonly args: string[];
  private readonly argsOf: (nodeId: number) => string[];
  private readonly durability: string;

  private constructor(metadataUrl: string, s3: S3TestServer, opts: FleetOptions) {
    this.metadataUrl = metadataUrl;
    this.s3 = s3;
    this.prefix = `fleet-${process.pid}-${++fleets}/`;
    this.args = opts.args ?? [];
    this.argsOf = opts.argsOf ?? (() => []);
    this.durability = opts.durability ?? 'object-wal';
  }

  static async start(servers: FleetServers, nodeIds: number[], opts: FleetOptions = {}): Promise<TestFleet> {
    const f = new TestFleet(await servers.pg.newDatabase(), servers.s3, opts);
    // Started together, as an operator would: they elect a controller and share the partitions.
    await Promise.all(nodeIds.map((id) => f.add(id)));
    return f;
  }

  async add(nodeId: number, extraArgs: string[] = []): Promise<BrokerProcess> {
    const b = await BrokerProcess.start({
      args: [
        '--node-id', String(nodeId), '--metadata', this.metadataUrl, '--durability', this.durability,
        '--s3-endpoint', this.s3.endpoint, '--s3-bucket', S3_TEST_BUCKET, '--s3-key-prefix', this.prefix,
        '--upload-interval-ms', '50', ...this.args, ...this.argsOf(nodeId), ...extraArgs,
      ],
      env: { AWS_ACCESS_KEY_ID: S3_TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_TEST_CREDENTIALS.secretAccessKey },
    });
    this.brokers.set(nodeId, b);
    return b;
  }

  broker(nodeId: number): BrokerProcess {
    const b = this.brokers.get(nodeId);
    if (b === undefined) throw new Error(`no broker ${nodeId} in this fleet`);
    return b;
  }

  /** Every broker's address: clients bootstrap from any of them. */
  get bootstrap(): string {
    return [...this.brokers.values()].map((b) => b.bootstrap).join(',');
  }

  /** A Prometheus counter or gauge of one broker, summed over its labels matching `labels`. */
  async metric(nodeId: number, name: string, labels: Record<string, string> = {}): Promise<number> {
    const text = await (await httpGet(`http://127.0.0.1:${this.broker(nodeId).httpPort}/metrics`)).text();
    let sum = 0;
    for (const line of text.split('\n')) {
      if (!line.startsWith(name)) continue;
      const m = /^(\w+)(\{[^}]*\})? (\S+)$/.exec(line);
      if (m === null || m[1] !== name) continue;
      const ls = m[2] ?? '';
      if (Object.entries(labels).every(([k, v]) => ls.includes(`${k}="${v}"`))) sum += Number(m[3]);
    }
    return sum;
  }

  /** Each partition's leader (-1: none alive) as broker `askNodeId` sees it, from its HTTP admin API. */
  async leaders(topic: string, askNodeId: number): Promise<number[]> {
    const r = await httpGet(`http://127.0.0.1:${this.broker(askNodeId).httpPort}/admin/topics/${topic}`);
    if (r.status !== 200) return [];
    const body = await r.json() as { partitions: { partition: number; leader: number }[] };
    return body.partitions.sort((a, b) => a.partition - b.partition).map((p) => p.leader);
  }

  /** Lines where a broker logged a handler exception (a bug: the client's connection was dropped). */
  handlerErrors(): string[] {
    return [...this.brokers.values()].flatMap((b) => b.log.split('\n').filter((l) => l.includes('"request handler failed"')));
  }

  async destroy(): Promise<void> {
    await Promise.all([...this.brokers.values()].map((b) => b.destroy()));
  }
}
