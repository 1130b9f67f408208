// Owns the Schema Registry's HTTP routes on the broker's HTTP port, in
// Confluent Schema Registry's REST API (paths, query parameters, bodies,
// `application/vnd.schemaregistry.v1+json`, `{error_code, message}` errors)
// so its clients and serializers work unchanged. Turns requests into calls
// of the registry and its answers into responses; must not decide anything.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isRegistryError, type RegisteredSchema, type RegistryError, type SchemaInput, type SchemaRegistry } from '../schemas/schema-registry.ts';
import { SCHEMA_TYPES } from '../schemas/parsed-schema.ts';
import { SCHEMAS_TOPIC } from '../schemas/registry-log.ts';

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

type Query = Record<string, string | undefined>;
const flag = (q: Query, name: string): boolean => q[name] === 'true';

/** Confluent leaves schemaType out for Avro, and references out when there are none. */
function schemaBody(s: RegisteredSchema): Record<string, unknown> {
  return {
    subject: s.subject, version: s.version, id: s.id,
    ...(s.schemaType !== 'AVRO' ? { schemaType: s.schemaType } : {}),
    ...(s.references.length > 0 ? { references: s.references } : {}),
    schema: s.schema,
  };
}

function answer<T>(reply: FastifyReply, result: T | RegistryError, body: (r: T) => unknown): unknown {
  reply.header('content-type', CONTENT_TYPE);
  if (isRegistryError(result)) {
    reply.code(result.httpStatus);
    return { error_code: result.errorCode, message: result.message };
  }
  return body(result);
}

const parseId = (s: string): number => (/^\d+$/.test(s) ? Number(s) : -1);

/**
 * Whether the caller may read (`write` false) or change the registry. With
 * ACLs on, the registry is its topic: reading it (schemas, subjects, config,
 * lookups, compatibility checks) needs READ on `_schemas`, changing it
 * (register, delete, config, mode) WRITE.
 */
export type RegistryAccess = (req: FastifyRequest, write: boolean) => boolean;

const REGISTRY_PATHS = /^\/(schemas|subjects|config|mode|compatibility)(\/|$|\?)/;

export function registerSchemaRegistryRoutes(app: FastifyInstance, registry: SchemaRegistry, access: RegistryAccess): void {
  app.addHook('preHandler', async (req, reply) => {
    if (!REGISTRY_PATHS.test(req.url)) return undefined;
    const write = req.method === 'DELETE' || req.method === 'PUT' || (req.method === 'POST' && /^\/subjects\/[^/]+\/versions\/?(\?|$)/.test(req.url));
    if (access(req, write)) return undefined;
    reply.code(403).header('content-type', CONTENT_TYPE);
    return reply.send({ error_code: 40301, message: `User is denied operation ${write ? 'Write' : 'Read'} on topic ${SCHEMAS_TOPIC}` });
  });

  // Confluent's clients send their own media types; the body is JSON all the same.
  // They also send it on a DELETE without a body.
  app.addContentTypeParser(['application/vnd.schemaregistry.v1+json', 'application/vnd.schemaregistry+json'], { parseAs: 'string' }, (_req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    try {
      done(null, JSON.parse(text) as unknown);
    } catch (e) {
      done(Object.assign(new Error(`the body is not JSON: ${(e as Error).message}`), { statusCode: 400 }), undefined);
    }
  });

  app.get('/schemas/types', async (_req, reply) => answer(reply, [...SCHEMA_TYPES], (t) => t));

  app.get<{ Querystring: Query }>('/schemas', async (req, reply) =>
    answer(reply, await registry.schemas(flag(req.query, 'deleted'), req.query.subjectPrefix ?? '', flag(req.query, 'latestOnly')), (l) => l.map(schemaBody)));

  app.get<{ Params: { id: string } }>('/schemas/ids/:id', async (req, reply) =>
    answer(reply, await registry.schemaById(parseId(req.params.id)), (s) => ({
      ...(s.schemaType !== 'AVRO' ? { schemaType: s.schemaType } : {}),
      ...(s.references.length > 0 ? { references: s.references } : {}),
      schema: s.schema,
    })));

  app.get<{ Params: { id: string } }>('/schemas/ids/:id/schema', async (req, reply) => {
    const s = await registry.schemaById(parseId(req.params.id));
    if (isRegistryError(s)) return answer(reply, s, () => undefined);
    reply.header('content-type', CONTENT_TYPE);
    return s.schema;
  });

  app.get<{ Params: { id: string }; Querystring: Query }>('/schemas/ids/:id/versions', async (req, reply) =>
    answer(reply, await registry.idUsers(parseId(req.params.id), flag(req.query, 'deleted')), (l) => l));

  app.get<{ Params: { id: string }; Querystring: Query }>('/schemas/ids/:id/subjects', async (req, reply) =>
    answer(reply, await registry.idUsers(parseId(req.params.id), flag(req.query, 'deleted')), (l) => [...new Set(l.map((u) => u.subject))]));

  app.get<{ Querystring: Query }>('/subjects', async (req, reply) =>
    answer(reply, await registry.subjects(flag(req.query, 'deleted'), req.query.subjectPrefix ?? ''), (l) => l));

  app.get<{ Params: { subject: string }; Querystring: Query }>('/subjects/:subject/versions', async (req, reply) =>
    answer(reply, await registry.versions(req.params.subject, flag(req.query, 'deleted')), (l) => l));

  app.post<{ Params: { subject: string }; Body: SchemaInput }>('/subjects/:subject/versions', async (req, reply) =>
    answer(reply, await registry.register(req.params.subject, req.body), (r) => r));

  app.post<{ Params: { subject: string }; Body: SchemaInput; Querystring: Query }>('/subjects/:subject', async (req, reply) =>
    answer(reply, await registry.lookup(req.params.subject, req.body, flag(req.query, 'deleted')), schemaBody));

  app.get<{ Params: { subject: string; version: string }; Querystring: Query }>('/subjects/:subject/versions/:version', async (req, reply) =>
    answer(reply, await registry.version(req.params.subject, req.params.version, flag(req.query, 'deleted')), schemaBody));

  app.get<{ Params: { subject: string; version: string }; Querystring: Query }>('/subjects/:subject/versions/:version/schema', async (req, reply) => {
    const s = await registry.version(req.params.subject, req.params.version, flag(req.query, 'deleted'));
    if (isRegistryError(s)) return answer(reply, s, () => undefined);
    reply.header('content-type', CONTENT_TYPE);
    return s.schema;
  });

  app.get<{ Params: { subject: string; version: string } }>('/subjects/:subject/versions/:version/referencedby', async (req, reply) =>
    answer(reply, await registry.referencedBy(req.params.subject, req.params.version), (l) => l));

  app.delete<{ Params: { subject: string }; Querystring: Query }>('/subjects/:subject', async (req, reply) =>
    answer(reply, await registry.deleteSubject(req.params.subject, flag(req.query, 'permanent')), (l) => l));

  app.delete<{ Params: { subject: string; version: string }; Querystring: Query }>('/subjects/:subject/versions/:version', async (req, reply) =>
    answer(reply, await registry.deleteVersion(req.params.subject, req.params.version, flag(req.query, 'permanent')), (v) => v));

  const compatibility = async (subject: string, version: string | undefined, body: SchemaInput, verbose: boolean, reply: FastifyReply): Promise<unknown> =>
    answer(reply, await registry.testCompatibility(subject, version, body), (r) => ({ is_compatible: r.compatible, ...(verbose ? { messages: r.messages } : {}) }));
  app.post<{ Params: { subject: string; version: string }; Body: SchemaInput; Querystring: Query }>('/compatibility/subjects/:subject/versions/:version', async (req, reply) =>
    compatibility(req.params.subject, req.params.version, req.body, flag(req.query, 'verbose'), reply));
  app.post<{ Params: { subject: string }; Body: SchemaInput; Querystring: Query }>('/compatibility/subjects/:subject/versions', async (req, reply) =>
    compatibility(req.params.subject, undefined, req.body, flag(req.query, 'verbose'), reply));

  app.get('/config', async (_req, reply) => answer(reply, await registry.config(null, true), (l) => ({ compatibilityLevel: l })));
  app.put<{ Body: { compatibility?: unknown } }>('/config', async (req, reply) => answer(reply, await registry.setConfig(null, req.body?.compatibility), (l) => ({ compatibility: l })));
  app.get<{ Params: { subject: string }; Querystring: Query }>('/config/:subject', async (req, reply) =>
    answer(reply, await registry.config(req.params.subject, flag(req.query, 'defaultToGlobal')), (l) => ({ compatibilityLevel: l })));
  app.put<{ Params: { subject: string }; Body: { compatibility?: unknown } }>('/config/:subject', async (req, reply) =>
    answer(reply, await registry.setConfig(req.params.subject, req.body?.compatibility), (l) => ({ compatibility: l })));
  app.delete<{ Params: { subject: string } }>('/config/:subject', async (req, reply) =>
    answer(reply, await registry.deleteConfig(req.params.subject), (l) => ({ compatibilityLevel: l })));

  app.get('/mode', async (_req, reply) => answer(reply, await registry.mode(null, true), (m) => ({ mode: m })));
  app.put<{ Body: { mode?: unknown } }>('/mode', async (req, reply) => answer(reply, await registry.setMode(null, req.body?.mode), (m) => ({ mode: m })));
  app.get<{ Params: { subject: string }; Querystring: Query }>('/mode/:subject', async (req, reply) =>
    answer(reply, await registry.mode(req.params.subject, flag(req.query, 'defaultToGlobal')), (m) => ({ mode: m })));
  app.put<{ Params: { subject: string }; Body: { mode?: unknown } }>('/mode/:subject', async (req, reply) =>
    answer(reply, await registry.setMode(req.params.subject, req.body?.mode), (m) => ({ mode: m })));
  app.delete<{ Params: { subject: string } }>('/mode/:subject', async (req, reply) =>
    answer(reply, await registry.deleteMode(req.params.subject), (m) => ({ mode: m })));
}
