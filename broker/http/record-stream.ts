// Owns the streaming read of a partition over Server-Sent Events, a floe
// addition under the REST v3 prefix: `GET .../partitions/:p/records/stream
// ?offset=N` (or the standard Last-Event-ID header to resume after the last
// event seen) sends each committed record as an event whose id is its offset,
// long-polling the partition's leader through the admin layer, and a comment
// line when nothing arrived so a closed connection is noticed. Bounded: at
// most STREAMS_MAX streams open at once (more get 429), records per read.
// Must not read around ClusterAdmin nor keep reading once the client is gone.

import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Broker } from '../broker.ts';
import { isAdminError } from '../admin/cluster-admin.ts';
import { encodeData, schemaDecoderOf } from './record-encoding.ts';
import { httpAllowed } from './http-auth.ts';
import { AclOperation, ResourceType } from '../security/acl.ts';

export const STREAMS_MAX = 64;
/** How long one read waits at the leader for a first record. */
const POLL_WAIT_MS = 1000;
const RECORDS_PER_READ = 500;

export interface RecordStreamStats {
  open: number;
  opened: number;
  refused: number;
}

export function registerRecordStream(app: FastifyInstance, broker: Broker, stats: RecordStreamStats): void {
  const admin = broker.admin;
  const schemas = schemaDecoderOf(broker.schemaRegistry);
  const fail = (reply: FastifyReply, status: number, message: string, kafkaError?: string) => {
    reply.code(status);
    return { error_code: status, message, ...(kafkaError !== undefined ? { kafka_error: kafkaError } : {}) };
  };

  app.get<{ Params: { cid: string; topic: string; partition: string }; Querystring: { offset?: string } }>(
    '/v3/clusters/:cid/topics/:topic/partitions/:partition/records/stream', async (req, reply) => {
      if (req.params.cid !== broker.clusterId) return fail(reply, 404, `cluster ${req.params.cid} not found`);
      if (!httpAllowed(broker, req)(AclOperation.READ, ResourceType.TOPIC, req.params.topic)) return fail(reply, 403, 'Not authorized', 'TOPIC_AUTHORIZATION_FAILED');
      const partition = Number(req.params.partition);
      const lastEventId = req.headers['last-event-id'];
      const from = typeof lastEventId === 'string' && lastEventId !== '' ? Number(lastEventId) + 1 : Number(req.query.offset ?? 0);
      if (!Number.isInteger(partition) || partition < 0 || !Number.isInteger(from) || from < 0) {
        return fail(reply, 400, 'partition and offset (or Last-Event-ID) must be non-negative integers');
      }
      // The first read answers the errors a client can act on (unknown topic or partition) with a status, not a stream.
      const first = await admin.read(req.params.topic, partition, from, RECORDS_PER_READ);
      if (isAdminError(first)) return fail(reply, first.errorCode === 3 ? 404 : 503, first.message, first.error);
      if (stats.open >= STREAMS_MAX) {
        stats.refused++;
        return fail(reply, 429, `at most ${STREAMS_MAX} record streams are open at once`);
      }
      stats.open++;
      stats.opened++;
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      let closed = false;
      res.on('close', () => { closed = true; });
      const send = (records: Exclude<typeof first, { errorCode: number }>['records']): number | undefined => {
        let last: number | undefined;
        for (const r of records) {
          const data = JSON.stringify({
            partition_id: r.partition, offset: r.offset, timestamp: new Date(r.timestamp).toISOString(), key: encodeData(r.key, schemas), value: encodeData(r.value, schemas),
            headers: r.headers.map((h) => ({ name: h.key, value: h.value === null ? null : h.value.toString('base64') })),
          });
          res.write(`id: ${r.offset}\nevent: record\ndata: ${data}\n\n`);
          last = r.offset;
        }
        return last;
      };
      try {
        let next = (send(first.records) ?? from - 1) + 1;
        while (!closed) {
          const r = await admin.read(req.params.topic, partition, next, RECORDS_PER_READ, POLL_WAIT_MS);
          if (closed) break;
          if (isAdminError(r)) {
            // Leadership moving, storage slow: tell the client, who resumes with Last-Event-ID.
            res.write(`event: error\ndata: ${JSON.stringify({ message: r.message, kafka_error: r.error })}\n\n`);
            break;
          }
          const last = send(r.records);
          if (last === undefined) res.write(': waiting\n\n');
          else next = last + 1;
        }
      } finally {
        stats.open--;
        res.end();
      }
    });
}
