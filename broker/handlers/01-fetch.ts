// Fetch: whole batches from each partition up to the high watermark, served
// from the tail cache or object storage, with long poll (max_wait_ms,
// min_bytes) woken by high-watermark moves, and Kafka's byte limits
// (response max_bytes, partition max_bytes; the first batch always fits).
// Fetch sessions (KIP-227) are declined with session id 0, which clients
// handle by sending full fetches; incremental fetches get FETCH_SESSION_ID_NOT_FOUND.

import { FetchApi } from '../../protocol/generated/index.ts';
import { defaultFetchResponse, defaultPartitionData, type FetchableTopicResponse, type PartitionData } from '../../protocol/generated/FetchResponse.ts';
import type { FetchRequest } from '../../protocol/generated/FetchRequest.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { PartitionLog } from '../partition/partition-log.ts';
import type { TopicRecord } from '../topics/topic-registry.ts';

interface Target {
  topic: TopicRecord | undefined;
  log: PartitionLog | undefined;
  out: PartitionData;
  fetchOffset: number;
  partitionMaxBytes: number;
}

const EMPTY = Buffer.alloc(0);

async function fill(targets: Target[], maxBytes: number): Promise<number> {
  let total = 0;
  for (const t of targets) {
    if (t.log === undefined) continue;
    const log = t.log;
    const hw = log.highWatermark;
    t.out.highWatermark = BigInt(hw);
    t.out.lastStableOffset = BigInt(hw);
    t.out.logStartOffset = BigInt(log.logStartOffset);
    if (t.fetchOffset < log.logStartOffset || t.fetchOffset > log.logEndOffset) {
      t.out.errorCode = ErrorCode.OFFSET_OUT_OF_RANGE;
      t.out.records = EMPTY;
      continue;
    }
    t.out.errorCode = ErrorCode.NONE;
    const budget = Math.min(t.partitionMaxBytes, maxBytes - total);
    if (t.fetchOffset >= hw || (budget <= 0 && total > 0)) {
      t.out.records = EMPTY;
      continue;
    }
    const chunks = await log.read(t.fetchOffset, Math.max(budget, 1));
    const records = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    t.out.records = records;
    total += records.length;
  }
  return total;
}

export const fetchHandler = defineHandler({
  api: FetchApi,
  minVersion: 4,
  maxVersion: 17,
  handle: async (req: FetchRequest, ctx: RequestContext) => {
    const { broker } = ctx;
    const v = ctx.apiVersion;
    if (req.sessionId !== 0 && req.sessionEpoch > 0) {
      return { ...defaultFetchResponse(), errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0 };
    }
    const responses: FetchableTopicResponse[] = [];
    const targets: Target[] = [];
    for (const ft of req.topics) {
      const topic = v >= 13 ? broker.topics.getById(ft.topicId) : broker.topics.get(ft.topic);
      const partitions: PartitionData[] = [];
      for (const fp of ft.partitions) {
        const out: PartitionData = { ...defaultPartitionData(), partitionIndex: fp.partition, records: EMPTY };
        const log = topic === undefined ? undefined : broker.partition(topic, fp.partition);
        if (log === undefined) {
          out.errorCode = topic === undefined && v >= 13 ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          out.highWatermark = -1n;
          out.lastStableOffset = -1n;
        }
        partitions.push(out);
        targets.push({ topic, log, out, fetchOffset: Number(fp.fetchOffset), partitionMaxBytes: fp.partitionMaxBytes });
      }
      responses.push({ topic: topic?.name ?? ft.topic, topicId: topic?.id ?? ft.topicId, partitions });
    }
    const maxBytes = v >= 3 ? req.maxBytes : 0x7fffffff;
    const deadline = Date.now() + Math.max(0, req.maxWaitMs);
    for (;;) {
      const total = await fill(targets, maxBytes);
      const anyError = targets.some((t) => t.out.errorCode !== ErrorCode.NONE);
      const remaining = deadline - Date.now();
      if (total >= Math.max(1, req.minBytes) || anyError || remaining <= 0 || broker.stopping) break;
      // Long poll: wake on any high-watermark move of a requested partition, or at the deadline.
      await new Promise<void>((resolve) => {
        const cancels: (() => void)[] = [];
        const done = (): void => {
          clearTimeout(timer);
          for (const c of cancels) c();
          resolve();
        };
        const timer = setTimeout(done, remaining);
        for (const t of targets) if (t.log !== undefined) cancels.push(t.log.onHighWatermarkChange(done));
        cancels.push(broker.onStop(done));
      });
    }
    for (const t of targets) {
      if (t.out.errorCode !== ErrorCode.NONE) broker.metrics.fetchError(t.out.errorCode);
      else if (t.topic !== undefined) broker.metrics.fetched(t.topic.name, t.out.records?.length ?? 0);
    }
    return { ...defaultFetchResponse(), sessionId: 0, responses };
  },
});
