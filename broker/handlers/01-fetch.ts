// Fetch: whole batches from each partition up to the high watermark (the
// last stable offset for read_committed, with the aborted transactions of
// the range so the client drops their records), served
// from the tail cache or object storage, with long poll (max_wait_ms,
// min_bytes) woken by high-watermark moves, and Kafka's byte limits
// (response max_bytes, partition max_bytes; the first batch always fits).
// Fetch sessions (KIP-227): a full fetch with epoch 0 opens a session, later
// incremental fetches name only changed partitions and get only partitions
// with news; an unknown session or a wrong epoch gets Kafka's error.
// A read from object storage (or an index lookup in the metadata store)
// that outlasts the fetch's wait (at least 5 s) is left to finish into the
// caches and the partition is answered with no records: a stalled store
// must not hold a consumer's fetch for the store's own retry time (KIP-405's
// remote.fetch.max.wait.ms does the same for tiered reads).

import { FetchApi } from '../../protocol/generated/index.ts';
import { defaultFetchResponse, defaultPartitionData, type FetchableTopicResponse, type PartitionData } from '../../protocol/generated/FetchResponse.ts';
import type { FetchRequest } from '../../protocol/generated/FetchRequest.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation, ResourceType } from '../security/acl.ts';
import { chargeBytes } from './quota-charge.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { FetchServices, QuotaServices } from './broker-services.ts';
import type { FetchSource } from '../partition/fetch-source.ts';
import { PartitionReplica } from '../partition/partition-replicas.ts';
import type { TopicRecord } from '../topics/topic-registry.ts';
import { FetchSession, type SessionPartition } from '../fetch-sessions.ts';
import { recordsByteLength } from '../../protocol/primitives/writer.ts';
import { StreamFencedError, StreamNotFoundError } from '../../s3stream/stream-store.ts';

interface Target {
  topicKey: string;
  topicName: string;
  topicId: string;
  topic: TopicRecord | undefined;
  log: FetchSource | undefined;
  /** KIP-392: the leader sends this client to a broker of its rack; no records from here. */
  preferredReadReplica: number;
  out: PartitionData;
  fetchOffset: number;
  partitionMaxBytes: number;
  currentLeaderEpoch: number;
  /** isolation_level 1: nothing at or past the last stable offset. */
  readCommitted: boolean;
}

const EMPTY = Buffer.alloc(0);

/**
 * The least time a fetch gives object reads, even with max_wait_ms 0. Only a stall is cut: at 500 ms
 * (Kafka's remote.fetch.max.wait.ms default) a 30-minute fault campaign's final read, on a loaded
 * machine, got nothing from one partition in five attempts of 30 s while every fetch answered it
 * empty; a fresh consumer read it whole once the machine was quiet.
 */
export const FETCH_OBJECT_READ_WAIT_MIN_MS = 5000;

/** A read past its first region stops this long before the fetch's deadline, so what it read is answered rather than cut. */
const READ_STOP_MARGIN_MS = 100;

const OUTLASTED = Symbol('outlasted');

/** `p`, or OUTLASTED if it has not settled within `ms`; a later failure of `p` is the caller's to ignore. */
function within<T>(p: Promise<T>, ms: number): Promise<T | typeof OUTLASTED> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof OUTLASTED>((resolve) => { timer = setTimeout(() => resolve(OUTLASTED), Math.max(0, ms)); });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Answers one partition with an error and no records (the other partitions of the fetch go on). */
function failPartition(t: Target, errorCode: number): void {
  t.out.errorCode = errorCode;
  t.out.records = EMPTY;
  t.out.highWatermark = -1n;
  t.out.lastStableOffset = -1n;
}

interface FillEvents {
  onStorageError: (e: Error) => void;
  onReadOutlasted: () => void;
}

async function fill(targets: Target[], maxBytes: number, readDeadline: number, events: FillEvents): Promise<number> {
  // A read replica's partitions come from object storage: their regions are requested together
  // (a failure shows up again in the read below, where it is answered).
  const replicaReads = targets.filter((t) => t.log instanceof PartitionReplica && t.preferredReadReplica < 0 && t.fetchOffset < t.log.highWatermark);
  if (replicaReads.length > 1) {
    const prefetched = Promise.all(replicaReads.map((t) => (t.log as PartitionReplica).prefetch(t.fetchOffset).catch(() => undefined)));
    await within(prefetched, readDeadline - performance.now());
  }
  let total = 0;
  for (const t of targets) {
    if (t.log === undefined) continue;
    try {
      total += await fillOne(t, t.log, maxBytes - total, total, readDeadline, events);
    } catch (e) {
      if (e instanceof StreamNotFoundError || e instanceof StreamFencedError || t.log.closed) {
        // Leadership moved while we read: the client asks the new leader.
        failPartition(t, ErrorCode.NOT_LEADER_OR_FOLLOWER);
      } else {
        // Object storage failing: a retriable error for this partition; the connection stays up.
        events.onStorageError(e as Error);
        failPartition(t, ErrorCode.KAFKA_STORAGE_ERROR);
      }
    }
  }
  return total;
}

async function fillOne(t: Target, log: FetchSource, left: number, total: number, readDeadline: number, events: FillEvents): Promise<number> {
  {
    if (log.closed) {
      failPartition(t, ErrorCode.NOT_LEADER_OR_FOLLOWER);
      return 0;
    }
    // KIP-320: a client with a newer epoch than ours is ahead of us; one with an older one must refresh.
    if (t.currentLeaderEpoch >= 0 && t.currentLeaderEpoch !== log.leaderEpoch) {
      failPartition(t, t.currentLeaderEpoch > log.leaderEpoch ? ErrorCode.UNKNOWN_LEADER_EPOCH : ErrorCode.FENCED_LEADER_EPOCH);
      return 0;
    }
    const hw = log.highWatermark;
    const lso = log.lastStableOffset;
    const upTo = t.readCommitted ? lso : hw;
    t.out.highWatermark = BigInt(hw);
    t.out.lastStableOffset = BigInt(lso);
    t.out.logStartOffset = BigInt(log.logStartOffset);
    if (t.fetchOffset < log.logStartOffset || t.fetchOffset > log.logEndOffset) {
      // Past the end, a consumer resets its position (auto.offset.reset): only a confirmed leader may say so. A start
      // offset only grows, so a deposed leader's "before the start" is still true.
      if (t.fetchOffset > log.logEndOffset && !(await log.confirmLeadership())) {
        failPartition(t, ErrorCode.NOT_LEADER_OR_FOLLOWER);
        return 0;
      }
      t.out.errorCode = ErrorCode.OFFSET_OUT_OF_RANGE;
      t.out.records = EMPTY;
      return 0;
    }
    t.out.errorCode = ErrorCode.NONE;
    if (t.preferredReadReplica >= 0) {
      t.out.preferredReadReplica = t.preferredReadReplica;
      t.out.records = EMPTY;
      return 0;
    }
    const budget = Math.min(t.partitionMaxBytes, left);
    if (t.fetchOffset >= upTo || (budget <= 0 && total > 0)) {
      t.out.records = EMPTY;
      return 0;
    }
    // The chunks go to the socket as they are (writev), never concatenated.
    // Regions are read one after another until the deadline, then what is read is answered: a catch-up over many small
    // regions makes progress fetch by fetch instead of being answered empty each time.
    const reading = log.read(t.fetchOffset, Math.max(budget, 1), upTo, readDeadline - READ_STOP_MARGIN_MS);
    const chunks = await within(reading, readDeadline - performance.now());
    if (chunks === OUTLASTED) {
      // Still loading: it fills the caches for the client's next fetch, which asks again from the same offset.
      // A read that then fails is still counted and logged: the client only ever saw empty answers.
      reading.catch((e: unknown) => events.onStorageError(e as Error));
      events.onReadOutlasted();
      t.out.records = EMPTY;
      return 0;
    }
    if (t.readCommitted) {
      // Those meeting the fetched range (a wider list than the records returned is harmless: clients match by offset).
      t.out.abortedTransactions = log.abortedBetween(t.fetchOffset, upTo).map((a) => ({ producerId: a.producerId, firstOffset: BigInt(a.firstOffset) }));
    }
    t.out.records = chunks.length === 1 ? chunks[0]! : chunks;
    return recordsByteLength(chunks);
  }
}

/** Where a fetch's bytes went, for the cross-zone traffic metric: unknown unless both sides name their rack. */
function zoneOf(clientRack: string, brokerRack: string | null): 'same' | 'cross' | 'unknown' {
  if (clientRack === '' || brokerRack === null) return 'unknown';
  return clientRack === brokerRack ? 'same' : 'cross';
}

interface SessionTarget extends Target {
  sp: SessionPartition | undefined;
}

export const fetchHandler = defineHandler({
  api: FetchApi,
  minVersion: 4,
  maxVersion: 17,
  handle: async (req: FetchRequest, ctx: RequestContext<FetchServices & QuotaServices>) => {
    const { broker } = ctx;
    const v = ctx.apiVersion;
    const sessions = broker.fetchSessions;
    const topicKeyOf = (ft: { topic: string; topicId: string }): string => (v >= 13 ? ft.topicId : ft.topic);
    const resolve = (topicKey: string): TopicRecord | undefined => (v >= 13 ? broker.topics.getById(topicKey) : broker.topics.get(topicKey));

    // KIP-227: epoch -1 = no session (closing one if named); 0 = a new full session; > 0 = incremental.
    let session: FetchSession | undefined;
    if (req.sessionEpoch <= 0) {
      if (req.sessionId !== 0) sessions.remove(req.sessionId);
      if (req.sessionEpoch === 0) session = sessions.create();
    } else {
      session = sessions.get(req.sessionId);
      if (session === undefined) return { ...defaultFetchResponse(), errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0 };
      if (session.epoch !== req.sessionEpoch) return { ...defaultFetchResponse(), errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH, sessionId: 0 };
    }
    const incremental = req.sessionEpoch > 0;
    if (session !== undefined) {
      for (const ft of req.topics) {
        const topicKey = topicKeyOf(ft);
        const topic = resolve(topicKey);
        for (const fp of ft.partitions) {
          const k = FetchSession.key(topicKey, fp.partition);
          const prev = session.partitions.get(k);
          session.partitions.set(k, {
            topicKey, topicName: topic?.name ?? ft.topic, topicId: topic?.id ?? ft.topicId, partition: fp.partition,
            fetchOffset: Number(fp.fetchOffset), maxBytes: fp.partitionMaxBytes, currentLeaderEpoch: fp.currentLeaderEpoch, sent: prev?.sent,
          });
        }
      }
      for (const f of req.forgottenTopicsData) {
        const topicKey = v >= 13 ? f.topicId : f.topic;
        for (const p of f.partitions) session.partitions.delete(FetchSession.key(topicKey, p));
      }
    }
    const wanted: { topicKey: string; topicName: string; topicId: string; partition: number; fetchOffset: number; maxBytes: number; currentLeaderEpoch: number; sp: SessionPartition | undefined }[] = session !== undefined
      ? [...session.partitions.values()].map((sp) => ({ ...sp, sp }))
      : req.topics.flatMap((ft) => ft.partitions.map((fp) => ({
        topicKey: topicKeyOf(ft), topicName: ft.topic, topicId: ft.topicId, partition: fp.partition,
        fetchOffset: Number(fp.fetchOffset), maxBytes: fp.partitionMaxBytes, currentLeaderEpoch: fp.currentLeaderEpoch, sp: undefined,
      })));
    // KIP-392 (v11+): a client that names its rack reads from a broker of that rack.
    const clientRack = v >= 11 && req.rackId !== '' && broker.config.rackAwareReplicaSelector ? req.rackId : undefined;
    const view = broker.member.view;
    const targets: SessionTarget[] = [];
    for (const w of wanted) {
      const topic = resolve(w.topicKey);
      const out: PartitionData = { ...defaultPartitionData(), partitionIndex: w.partition, records: EMPTY };
      // By name, known or not (v12 and older name topics), as Kafka: an unknown topic tells nothing to one who may not read it.
      const name = topic?.name ?? (v < 13 ? w.topicName : undefined);
      const denied = name !== undefined && !ctx.allowed(AclOperation.READ, ResourceType.TOPIC, name);
      let log: FetchSource | undefined = topic === undefined || denied ? undefined : broker.partition(topic, w.partition);
      let preferredReadReplica = -1;
      const streamId = topic?.streams[w.partition];
      if (clientRack !== undefined && streamId !== undefined && !denied) {
        if (log !== undefined) {
          const replica = view.rackReplica(streamId, clientRack);
          if (replica !== undefined && replica !== view.nodeId) preferredReadReplica = replica;
        } else if (clientRack === broker.config.brokerRack) {
          const owner = view.owner(streamId);
          if (owner !== undefined && view.liveLeader(streamId) !== undefined) log = await broker.replicas.get(streamId, owner.epoch, w.fetchOffset);
        }
      }
      if (log === undefined) {
        out.errorCode = denied ? ErrorCode.TOPIC_AUTHORIZATION_FAILED
          : topic === undefined && v >= 13 ? ErrorCode.UNKNOWN_TOPIC_ID : broker.partitionError(topic, w.partition);
        out.highWatermark = -1n;
        out.lastStableOffset = -1n;
      }
      targets.push({ topic, log, preferredReadReplica, out, fetchOffset: w.fetchOffset, partitionMaxBytes: w.maxBytes, currentLeaderEpoch: w.currentLeaderEpoch, readCommitted: req.isolationLevel === 1, sp: w.sp, topicKey: w.topicKey, topicName: topic?.name ?? w.topicName, topicId: topic?.id ?? w.topicId });
    }
    const maxBytes = v >= 3 ? req.maxBytes : 0x7fffffff;
    const deadline = performance.now() + Math.max(0, req.maxWaitMs);
    const readDeadline = Math.max(deadline, performance.now() + FETCH_OBJECT_READ_WAIT_MIN_MS);
    const events: FillEvents = {
      onStorageError: (e) => {
        broker.metrics.fetchStorageErrors.inc();
        broker.log.warn({ err: e.message }, 'fetch: object storage read failed; answered KAFKA_STORAGE_ERROR for the partition');
      },
      onReadOutlasted: () => broker.metrics.fetchReadsOutlasted.inc(),
    };
    for (;;) {
      const total = await fill(targets, maxBytes, readDeadline, events);
      // A client sent to its rack's broker should go there now, not after a long poll.
      const anyError = targets.some((t) => t.out.errorCode !== ErrorCode.NONE || t.preferredReadReplica >= 0);
      const remaining = deadline - performance.now();
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
    // An incremental response carries only partitions with something new for the client.
    const included = targets.filter((t) => {
      if (!incremental || t.sp?.sent === undefined) return true;
      const s = t.sp.sent;
      return (t.out.records === null ? 0 : recordsByteLength(t.out.records)) > 0 || t.out.errorCode !== ErrorCode.NONE
        || s.highWatermark !== t.out.highWatermark || s.logStartOffset !== t.out.logStartOffset || s.errorCode !== t.out.errorCode;
    });
    // Zone bytes are one client's and one broker's rack: counted once per response, by role.
    let leaderBytes = 0;
    let replicaBytes = 0;
    for (const t of included) {
      if (t.sp !== undefined) t.sp.sent = { highWatermark: t.out.highWatermark, logStartOffset: t.out.logStartOffset, errorCode: t.out.errorCode };
      if (t.out.errorCode !== ErrorCode.NONE) broker.metrics.fetchError(t.out.errorCode);
      else if (t.topic !== undefined) {
        const bytes = t.out.records === null ? 0 : recordsByteLength(t.out.records);
        broker.metrics.fetched(t.topic.name, bytes);
        if (t.log instanceof PartitionReplica) replicaBytes += bytes;
        else leaderBytes += bytes;
      }
    }
    const zone = zoneOf(req.rackId, broker.config.brokerRack);
    broker.metrics.fetchedByZone(zone, false, leaderBytes);
    broker.metrics.fetchedByZone(zone, true, replicaBytes);
    const byTopic = new Map<string, FetchableTopicResponse>();
    for (const t of included) {
      let r = byTopic.get(t.topicKey);
      if (r === undefined) {
        r = { topic: t.topicName, topicId: t.topicId, partitions: [] };
        byTopic.set(t.topicKey, r);
      }
      r.partitions.push(t.out);
    }
    if (session !== undefined) session.advance();
    // The client's consumer_byte_rate, charged with the bytes it is sent (Kafka mutes it after this answer).
    const throttleTimeMs = chargeBytes(ctx, 'consumer_byte_rate', () => leaderBytes + replicaBytes);
    return { ...defaultFetchResponse(), throttleTimeMs, sessionId: session?.id ?? 0, responses: [...byTopic.values()] };
  },
});
