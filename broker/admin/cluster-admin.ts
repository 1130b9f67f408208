// Owns what the HTTP API, the MCP server and the admin pages ask of the
// cluster: topics and their partitions' offsets, creating topics, producing
// and reading records, consumer-group lag. It acts as a Kafka client of the
// fleet over the brokers' own listeners (BrokerLinks, this broker included),
// so a record written or read here passes through the same handlers, checks
// and errors as one from any Kafka client, on whichever broker leads the
// partition. It formats nothing for a particular interface and keeps no
// state of its own.

import { ErrorCode, errorName } from '../../protocol/errors.ts';
import {
  ConsumerGroupDescribeApi, ConsumerGroupHeartbeatApi, CreateTopicsApi, DescribeGroupsApi, FetchApi, ListGroupsApi, ListOffsetsApi, OffsetCommitApi, OffsetFetchApi, ProduceApi, type ApiDescriptor,
} from '../../protocol/generated/index.ts';
import type { ConsumerGroupHeartbeatRequest } from '../../protocol/generated/ConsumerGroupHeartbeatRequest.ts';
import type { ConsumerGroupHeartbeatResponse } from '../../protocol/generated/ConsumerGroupHeartbeatResponse.ts';
import { defaultCreatableTopic } from '../../protocol/generated/CreateTopicsRequest.ts';
import { defaultFetchRequest, defaultFetchPartition } from '../../protocol/generated/FetchRequest.ts';
import { buildRecordBatch, readRecords, type RecordInput } from '../../protocol/records/record.ts';
import { splitRecordBatches } from '../../protocol/records/record-batch-header.ts';
import { committedBatches } from '../../protocol/records/read-committed.ts';
import { Reader } from '../../protocol/primitives/reader.ts';
import { readConsumerProtocolAssignment } from '../../protocol/generated/ConsumerProtocolAssignment.ts';
import { recordsBuffer } from '../../protocol/primitives/writer.ts';
import { BrokerUnreachableError, type BrokerLinks } from '../cluster/broker-links.ts';
import type { ClusterView } from '../cluster/cluster-view.ts';
import type { TopicRegistry } from '../topics/topic-registry.ts';
import type { GroupCoordinator } from '../groups/group-coordinator.ts';

/** What the admin layer needs of its broker: the topic catalogue, the fleet's view, links to every broker, where groups live. */
export interface ClusterAdminDeps {
  readonly topics: Pick<TopicRegistry, 'all' | 'get' | 'getById'>;
  readonly member: { readonly view: ClusterView };
  readonly links: Pick<BrokerLinks, 'request'>;
  readonly groups: Pick<GroupCoordinator, 'coordinatorOf'>;
}

/** Bounds: records per produce call and per read, bytes per read. */
export const ADMIN_PRODUCE_RECORDS_MAX = 1_000;
export const ADMIN_READ_RECORDS_MAX = 1_000;
const ADMIN_READ_BYTES_MAX = 4 * 1024 * 1024;
const REQUEST_TIMEOUT_MS = 30_000;

/** A Kafka error as a value: its code and name, and a message for people. */
export interface AdminError {
  errorCode: number;
  error: string;
  message: string;
}

export const adminError = (errorCode: number, message: string): AdminError => ({ errorCode, error: errorName(errorCode), message });

export const isAdminError = (x: unknown): x is AdminError => typeof x === 'object' && x !== null && 'errorCode' in x && 'error' in x;

export interface PartitionDescription {
  partition: number;
  leader: number;
  leaderEpoch: number;
  /** From the leader; undefined when it could not be asked. */
  logStartOffset?: number;
  highWatermark?: number;
}

export interface TopicDescription {
  name: string;
  topicId: string;
  internal: boolean;
  configs: Record<string, string>;
  partitions: PartitionDescription[];
}

export interface ProducedRecord {
  partition: number;
  offset: number;
  timestamp: number;
}

export interface ReadRecord {
  partition: number;
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: { key: string; value: Buffer | null }[];
}

export interface TopicOffsets {
  name: string;
  partitions: number;
  /** Sums over the partitions whose leader answered. */
  logStartOffset: number;
  highWatermark: number;
}

export interface GroupListing {
  groupId: string;
  /** 'consumer' (KIP-848) or 'classic'. */
  type: string;
  state: string;
  protocolType: string;
  coordinator: number;
}

export interface GroupMemberDescription {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  /** KIP-848 members only. */
  memberEpoch?: number;
  /** Its partitions: KIP-848 members, and classic members of the consumer protocol. */
  assignment?: { topic: string; partitions: number[] }[];
}

export interface GroupDescription extends GroupListing {
  /** KIP-848 groups: the group epoch and the server-side assignor. */
  groupEpoch?: number;
  assignor?: string;
  /** Classic groups: the protocol the members agreed on (the assignor of a consumer group). */
  protocol?: string;
  members: GroupMemberDescription[];
}

/** A partition and an offset in it (where to read from, or what to commit). */
export interface PartitionPosition {
  topic: string;
  partition: number;
  offset: number;
}

export interface LagRow {
  group: string;
  topic: string;
  partition: number;
  committed: number;
  highWatermark: number;
  lag: number;
}

/** Java's murmur2, as the Java client's default partitioner places keyed records. */
export function murmur2(data: Buffer): number {
  const m = 0x5bd1e995;
  let h = (0x9747b28c ^ data.length) | 0;
  const len4 = data.length & ~3;
  for (let i = 0; i < len4; i += 4) {
    let k = data.readInt32LE(i);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const rest = data.length & 3;
  if (rest === 3) h ^= (data[len4 + 2]! & 0xff) << 16;
  if (rest >= 2) h ^= (data[len4 + 1]! & 0xff) << 8;
  if (rest >= 1) {
    h ^= data[len4]! & 0xff;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h;
}

/** A classic consumer's assignment (the consumer protocol's Assignment, after its version); undefined when it does not decode. */
function consumerAssignment(bytes: Buffer): { topic: string; partitions: number[] }[] | undefined {
  if (bytes.length < 2) return undefined;
  try {
    const r = new Reader(bytes);
    const version = r.int16();
    return readConsumerProtocolAssignment(r, Math.min(Math.max(version, 0), 3)).assignedPartitions
      .map((tp) => ({ topic: tp.topic, partitions: [...tp.partitions].sort((a, b) => a - b) }));
  } catch {
    return undefined;
  }
}

export class ClusterAdmin {
  private readonly broker: ClusterAdminDeps;
  private roundRobin = 0;

  constructor(broker: ClusterAdminDeps) {
    this.broker = broker;
  }

  /** A request to one broker; undefined when it cannot be reached (it is dead or moving: its part is left out). */
  private async ask<Req, Res>(nodeId: number, api: ApiDescriptor<Req, Res>, version: number, body: Req): Promise<Res | undefined> {
    try {
      return await this.broker.links.request(nodeId, api, version, body);
    } catch (e) {
      if (e instanceof BrokerUnreachableError) return undefined;
      throw e;
    }
  }

  listTopics(): { name: string; topicId: string; partitions: number; internal: boolean }[] {
    return this.broker.topics.all().map((t) => ({ name: t.name, topicId: t.id, partitions: t.streams.length, internal: t.name.startsWith('__') }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** A topic with each partition's leader and offsets (asked of the leaders); undefined when unknown. */
  async describeTopic(name: string): Promise<TopicDescription | undefined> {
    const t = this.broker.topics.get(name);
    if (t === undefined) return undefined;
    const view = this.broker.member.view;
    const partitions: PartitionDescription[] = t.streams.map((streamId, partition) => ({ partition, ...view.leaderAndEpoch(streamId) }))
      .map(({ partition, leaderId, leaderEpoch }) => ({ partition, leader: leaderId, leaderEpoch }));
    const [starts, ends] = await Promise.all([this.offsets(name, -2n), this.offsets(name, -1n)]);
    for (const p of partitions) {
      const s = starts.get(p.partition);
      const e = ends.get(p.partition);
      if (s !== undefined) p.logStartOffset = s;
      if (e !== undefined) p.highWatermark = e;
    }
    return { name: t.name, topicId: t.id, internal: t.name.startsWith('__'), configs: { ...t.configs }, partitions };
  }

  /** ListOffsets (earliest -2, latest -1) of one topic's partitions, from their leaders; partitions that could not be asked are absent. */
  private async offsets(topic: string, timestamp: bigint): Promise<Map<number, number>> {
    return (await this.offsetsOf([topic], timestamp)).get(topic) ?? new Map<number, number>();
  }

  /** ListOffsets of every partition of the topics, one request per leader; topic -> partition -> offset. */
  private async offsetsOf(topics: string[], timestamp: bigint): Promise<Map<string, Map<number, number>>> {
    const byLeader = new Map<number, Map<string, number[]>>();
    for (const name of topics) {
      const t = this.broker.topics.get(name);
      if (t === undefined) continue;
      t.streams.forEach((streamId, p) => {
        const leader = this.broker.member.view.liveLeader(streamId)?.nodeId;
        if (leader === undefined) return;
        const mine = byLeader.get(leader) ?? new Map<string, number[]>();
        mine.set(name, [...(mine.get(name) ?? []), p]);
        byLeader.set(leader, mine);
      });
    }
    const out = new Map<string, Map<number, number>>(topics.map((t) => [t, new Map<number, number>()]));
    await Promise.all([...byLeader].map(async ([leader, byTopic]) => {
      const r = await this.ask(leader, ListOffsetsApi, 7, {
        replicaId: -1, isolationLevel: 0, timeoutMs: REQUEST_TIMEOUT_MS,
        topics: [...byTopic].map(([name, ps]) => ({ name, partitions: ps.map((p) => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 })) })),
      });
      for (const t of r?.topics ?? []) {
        for (const p of t.partitions) if (p.errorCode === ErrorCode.NONE) out.get(t.name)?.set(p.partitionIndex, Number(p.offset));
      }
    }));
    return out;
  }

  /**
   * The offset of the first record of a partition with a timestamp at or
   * after `timestamp` (ms), from its leader (ListOffsets by time); the high
   * watermark when every record is older.
   */
  async offsetForTime(topic: string, partition: number, timestamp: number): Promise<number | AdminError> {
    const t = this.broker.topics.get(topic);
    if (t === undefined) return adminError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic ${topic}`);
    if (!Number.isInteger(partition) || partition < 0 || partition >= t.streams.length) return adminError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic ${topic} has no partition ${partition}`);
    const found = (await this.offsetsOf([topic], BigInt(Math.max(0, Math.floor(timestamp))))).get(topic)?.get(partition);
    const offset = found !== undefined && found >= 0 ? found : (await this.offsetsOf([topic], -1n)).get(topic)?.get(partition);
    return offset ?? adminError(ErrorCode.LEADER_NOT_AVAILABLE, `partition ${partition} of ${topic} has no live leader`);
  }

  /** Every topic with its start and end offsets summed over its partitions, asked of the leaders. */
  async topicOffsets(): Promise<TopicOffsets[]> {
    const topics = this.listTopics();
    const names = topics.map((t) => t.name);
    const [starts, ends] = await Promise.all([this.offsetsOf(names, -2n), this.offsetsOf(names, -1n)]);
    const sum = (m: Map<number, number> | undefined): number => [...(m ?? new Map<number, number>()).values()].reduce((a, b) => a + b, 0);
    return topics.map((t) => ({ name: t.name, partitions: t.partitions, logStartOffset: sum(starts.get(t.name)), highWatermark: sum(ends.get(t.name)) }));
  }

  /** The groups of the whole fleet (ListGroups to every live broker: each lists the groups it coordinates). */
  async listGroups(): Promise<GroupListing[]> {
    const brokers = this.broker.member.view.liveBrokers().map((b) => b.nodeId);
    const answers = await Promise.all(brokers.map(async (nodeId) => ({ nodeId, r: await this.ask(nodeId, ListGroupsApi, 5, { statesFilter: [], typesFilter: [] }) })));
    const out = new Map<string, GroupListing>();
    for (const { nodeId, r } of answers) {
      for (const g of r?.groups ?? []) {
        // While a partition moves, two brokers may list a group: the one that coordinates it now wins.
        if (out.has(g.groupId) && this.broker.groups.coordinatorOf(g.groupId)?.nodeId !== nodeId) continue;
        out.set(g.groupId, { groupId: g.groupId, type: g.groupType, state: g.groupState, protocolType: g.protocolType, coordinator: nodeId });
      }
    }
    return [...out.values()].sort((a, b) => a.groupId.localeCompare(b.groupId));
  }

  /** Describes groups (members, assignments) by asking each one's coordinator, as the Kafka admin client does. */
  async describeGroups(listing: GroupListing[]): Promise<GroupDescription[]> {
    const topicName = (id: string): string => this.broker.topics.getById(id)?.name ?? id;
    return Promise.all(listing.map(async (g): Promise<GroupDescription> => {
      if (g.type === 'consumer') {
        const r = await this.ask(g.coordinator, ConsumerGroupDescribeApi, 0, { groupIds: [g.groupId], includeAuthorizedOperations: false });
        const d = r?.groups[0];
        if (d === undefined || d.errorCode !== ErrorCode.NONE) return { ...g, members: [] };
        return {
          ...g, state: d.groupState, groupEpoch: d.groupEpoch, assignor: d.assignorName,
          members: d.members.map((m) => ({
            memberId: m.memberId, groupInstanceId: m.instanceId, clientId: m.clientId, clientHost: m.clientHost, memberEpoch: m.memberEpoch,
            assignment: m.assignment.topicPartitions.map((tp) => ({ topic: tp.topicName !== '' ? tp.topicName : topicName(tp.topicId), partitions: [...tp.partitions].sort((a, b) => a - b) })),
          })),
        };
      }
      const r = await this.ask(g.coordinator, DescribeGroupsApi, 5, { groups: [g.groupId], includeAuthorizedOperations: false });
      const d = r?.groups[0];
      if (d === undefined || d.errorCode !== ErrorCode.NONE) return { ...g, members: [] };
      return {
        ...g, state: d.groupState, protocol: d.protocolData,
        members: d.members.map((m) => {
          const assignment = d.protocolType === 'consumer' ? consumerAssignment(m.memberAssignment) : undefined;
          return { memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost, ...(assignment !== undefined ? { assignment } : {}) };
        }),
      };
    }));
  }

  /** CreateTopics through the Kafka handler (the same validation and errors); undefined on success. */
  async createTopic(name: string, partitions: number, configs: Record<string, string>): Promise<AdminError | undefined> {
    const self = this.broker.member.view.nodeId;
    const r = await this.broker.links.request(self, CreateTopicsApi, 7, {
      topics: [{ ...defaultCreatableTopic(), name, numPartitions: partitions, replicationFactor: -1, configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })) }],
      timeoutMs: REQUEST_TIMEOUT_MS, validateOnly: false,
    });
    const t = r.topics[0]!;
    return t.errorCode === ErrorCode.NONE ? undefined : adminError(t.errorCode, t.errorMessage ?? errorName(t.errorCode));
  }

  /**
   * Produces records (acks=all) to one partition, or to the partition the
   * Java client would pick (murmur2 of the key; without a key, round robin);
   * all records of one call go to the same partition, in one batch.
   */
  /** The partition a record goes to: the one asked for, else the Java client's choice (murmur2 of the key; without one, round robin). */
  partitionFor(topic: string, partition: number | undefined, key: RecordInput['key']): number | AdminError {
    const t = this.broker.topics.get(topic);
    if (t === undefined) return adminError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic ${topic}`);
    const n = t.streams.length;
    const p = partition ?? (key === undefined || key === null ? this.roundRobin++ % n : (murmur2(Buffer.from(key)) & 0x7fffffff) % n);
    if (!Number.isInteger(p) || p < 0 || p >= n) return adminError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic ${topic} has no partition ${partition}`);
    return p;
  }

  async produce(topic: string, partition: number | undefined, records: RecordInput[]): Promise<ProducedRecord[] | AdminError> {
    const t = this.broker.topics.get(topic);
    if (t === undefined) return adminError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic ${topic}`);
    if (records.length === 0 || records.length > ADMIN_PRODUCE_RECORDS_MAX) return adminError(ErrorCode.INVALID_REQUEST, `between 1 and ${ADMIN_PRODUCE_RECORDS_MAX} records per call`);
    const p = this.partitionFor(topic, partition, records[0]!.key);
    if (isAdminError(p)) return p;
    const leader = this.broker.member.view.liveLeader(t.streams[p]!);
    if (leader === undefined) return adminError(ErrorCode.LEADER_NOT_AVAILABLE, `partition ${p} of ${topic} has no live leader`);
    try {
      const r = await this.broker.links.request(leader.nodeId, ProduceApi, 9, {
        transactionalId: null, acks: -1, timeoutMs: REQUEST_TIMEOUT_MS, topicData: [{ name: topic, partitionData: [{ index: p, records: buildRecordBatch(records) }] }],
      });
      const res = r.responses[0]!.partitionResponses[0]!;
      if (res.errorCode !== ErrorCode.NONE) return adminError(res.errorCode, res.errorMessage ?? errorName(res.errorCode));
      const base = Number(res.baseOffset);
      const ts = res.logAppendTimeMs >= 0n ? Number(res.logAppendTimeMs) : undefined;
      return records.map((rec, i) => ({ partition: p, offset: base + i, timestamp: ts ?? Number(rec.timestamp ?? BigInt(Date.now())) }));
    } catch (e) {
      if (e instanceof BrokerUnreachableError) return adminError(ErrorCode.NOT_LEADER_OR_FOLLOWER, e.message);
      throw e;
    }
  }

  /** Up to `maxRecords` records of a partition from `offset` (read_committed), from its leader; `waitMs`: a long poll for the first. */
  async read(topic: string, partition: number, offset: number, maxRecords: number, waitMs = 0): Promise<{ records: ReadRecord[]; highWatermark: number } | AdminError> {
    const t = this.broker.topics.get(topic);
    if (t === undefined) return adminError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic ${topic}`);
    if (!Number.isInteger(partition) || partition < 0 || partition >= t.streams.length) return adminError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic ${topic} has no partition ${partition}`);
    const leader = this.broker.member.view.liveLeader(t.streams[partition]!);
    if (leader === undefined) return adminError(ErrorCode.LEADER_NOT_AVAILABLE, `partition ${partition} of ${topic} has no live leader`);
    const [r] = await this.fetchFromLeader(leader.nodeId, [{ topic, partition, offset }], waitMs);
    if (isAdminError(r!.result)) return r!.result;
    return { records: r!.result.records.slice(0, Math.min(Math.max(1, maxRecords), ADMIN_READ_RECORDS_MAX)), highWatermark: r!.result.highWatermark };
  }

  /**
   * Records of many partitions at once, from their positions (read_committed):
   * one Fetch per leader. With nothing to read anywhere, waits up to `waitMs`
   * for the first leader that has something. At most `maxRecords` records and,
   * past the first, `maxBytes` of keys and values; partitions' records stay in
   * offset order. A partition that cannot be read is an error beside the rest.
   */
  async fetch(positions: PartitionPosition[], waitMs: number, maxBytes: number, maxRecords: number): Promise<{ records: (ReadRecord & { topic: string })[]; errors: (PartitionPosition & { error: AdminError })[] }> {
    const errors: (PartitionPosition & { error: AdminError })[] = [];
    const byLeader = new Map<number, PartitionPosition[]>();
    for (const pos of positions) {
      const t = this.broker.topics.get(pos.topic);
      const streamId = t?.streams[pos.partition];
      const leader = streamId === undefined ? undefined : this.broker.member.view.liveLeader(streamId);
      if (t === undefined || streamId === undefined) errors.push({ ...pos, error: adminError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic ${pos.topic} has no partition ${pos.partition}`) });
      else if (leader === undefined) errors.push({ ...pos, error: adminError(ErrorCode.LEADER_NOT_AVAILABLE, `partition ${pos.partition} of ${pos.topic} has no live leader`) });
      else byLeader.set(leader.nodeId, [...(byLeader.get(leader.nodeId) ?? []), pos]);
    }
    const leaders = [...byLeader];
    type Answer = Awaited<ReturnType<ClusterAdmin['fetchFromLeader']>>;
    const hasRecords = (a: Answer): boolean => a.some((x) => !isAdminError(x.result) && x.result.records.length > 0);
    let answers = await Promise.all(leaders.map(([leader, ps]) => this.fetchFromLeader(leader, ps, 0)));
    if (waitMs > 0 && leaders.length > 0 && !answers.some(hasRecords)) {
      // Long polls to every leader; the first with records answers (the others' records are read again next time).
      answers = await new Promise<Answer[]>((resolve) => {
        const got: Answer[] = [];
        let pending = leaders.length;
        for (const [leader, ps] of leaders) {
          void this.fetchFromLeader(leader, ps, waitMs).then((a) => {
            got.push(a);
            pending--;
            if (hasRecords(a) || pending === 0) resolve(got);
          });
        }
      });
    }
    const records: (ReadRecord & { topic: string })[] = [];
    let bytes = 0;
    outer: for (const answer of answers) {
      for (const { position, result } of answer) {
        if (isAdminError(result)) {
          errors.push({ ...position, error: result });
          continue;
        }
        for (const r of result.records) {
          const size = (r.key?.length ?? 0) + (r.value?.length ?? 0);
          if (records.length >= maxRecords || (records.length > 0 && bytes + size > maxBytes)) break outer;
          records.push({ ...r, topic: position.topic });
          bytes += size;
        }
      }
    }
    return { records, errors };
  }

  /** One Fetch (read_committed) to a leader for some partitions from their offsets; per partition, its records or its error. */
  private async fetchFromLeader(leader: number, positions: PartitionPosition[], waitMs: number): Promise<{ position: PartitionPosition; result: { records: ReadRecord[]; highWatermark: number } | AdminError }[]> {
    const byTopic = new Map<string, PartitionPosition[]>();
    for (const p of positions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p]);
    let r;
    try {
      r = await this.broker.links.request(leader, FetchApi, 12, {
        ...defaultFetchRequest(), maxWaitMs: waitMs, minBytes: waitMs > 0 ? 1 : 0, maxBytes: ADMIN_READ_BYTES_MAX, isolationLevel: 1,
        topics: [...byTopic].map(([topic, ps]) => ({
          topic, topicId: this.broker.topics.get(topic)?.id ?? '',
          partitions: ps.map((p) => ({ ...defaultFetchPartition(), partition: p.partition, fetchOffset: BigInt(p.offset), partitionMaxBytes: ADMIN_READ_BYTES_MAX })),
        })),
      });
    } catch (e) {
      if (!(e instanceof BrokerUnreachableError)) throw e;
      return positions.map((position) => ({ position, result: adminError(ErrorCode.NOT_LEADER_OR_FOLLOWER, e.message) }));
    }
    return positions.map((position) => {
      const p = r.responses.find((t) => t.topic === position.topic)?.partitions.find((x) => x.partitionIndex === position.partition);
      if (p === undefined) return { position, result: adminError(ErrorCode.UNKNOWN_SERVER_ERROR, 'no answer for the partition') };
      if (p.errorCode !== ErrorCode.NONE) return { position, result: adminError(p.errorCode, errorName(p.errorCode)) };
      const records: ReadRecord[] = [];
      const buf = p.records === null ? Buffer.alloc(0) : recordsBuffer(p.records);
      for (const b of committedBatches(splitRecordBatches(buf), p.abortedTransactions ?? [])) {
        for (const rec of readRecords(b)) {
          if (rec.offset < BigInt(position.offset) || records.length >= ADMIN_READ_RECORDS_MAX) continue;
          records.push({
            partition: position.partition, offset: Number(rec.offset), timestamp: Number(rec.timestamp), key: rec.key, value: rec.value,
            headers: rec.headers.map((h) => ({ key: h.key, value: h.value })),
          });
        }
      }
      return { position, result: { records, highWatermark: Number(p.highWatermark) } };
    });
  }

  /** The earliest (-2) or latest (-1) offsets of some partitions, from their leaders; topic -> partition -> offset, unanswered ones absent. */
  async partitionOffsets(topics: string[], which: -2n | -1n): Promise<Map<string, Map<number, number>>> {
    return this.offsetsOf(topics, which);
  }

  /** ConsumerGroupHeartbeat (KIP-848) to the group's coordinator: how a member that the admin layer runs joins, heartbeats and leaves. */
  async consumerGroupHeartbeat(req: ConsumerGroupHeartbeatRequest): Promise<ConsumerGroupHeartbeatResponse | AdminError> {
    const coordinator = this.broker.groups.coordinatorOf(req.groupId);
    if (coordinator === undefined) return adminError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `group ${req.groupId} has no live coordinator`);
    const r = await this.ask(coordinator.nodeId, ConsumerGroupHeartbeatApi, 1, req);
    return r ?? adminError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `the coordinator of group ${req.groupId} did not answer`);
  }

  /** A group's committed offsets of some partitions (OffsetFetch; `requireStable`: none pending in a transaction); topic -> partition -> offset, partitions without one absent. */
  async committedOffsets(group: string, partitions: { topic: string; partition: number }[], requireStable = true): Promise<Map<string, Map<number, number>> | AdminError> {
    const coordinator = this.broker.groups.coordinatorOf(group);
    if (coordinator === undefined) return adminError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `group ${group} has no live coordinator`);
    const byTopic = new Map<string, number[]>();
    for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
    const r = await this.ask(coordinator.nodeId, OffsetFetchApi, 8, {
      groupId: '', topics: null, groups: [{ groupId: group, memberId: null, memberEpoch: -1, topics: [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes })) }], requireStable,
    });
    const g = r?.groups[0];
    if (g === undefined) return adminError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `the coordinator of group ${group} did not answer`);
    if (g.errorCode !== ErrorCode.NONE) return adminError(g.errorCode, errorName(g.errorCode));
    const out = new Map<string, Map<number, number>>();
    for (const t of g.topics) {
      for (const p of t.partitions) {
        if (p.errorCode !== ErrorCode.NONE) return adminError(p.errorCode, errorName(p.errorCode));
        if (p.committedOffset >= 0n) out.set(t.name, (out.get(t.name) ?? new Map<number, number>()).set(p.partitionIndex, Number(p.committedOffset)));
      }
    }
    return out;
  }

  /**
   * Commits offsets (the next offset to read) for a group: as the member
   * `member` of a consumer group (its id and epoch), or, without one, as a
   * simple consumer (taken only while the group has no members).
   */
  async commitOffsets(group: string, member: { memberId: string; memberEpoch: number } | undefined, offsets: PartitionPosition[]): Promise<AdminError | undefined> {
    if (offsets.length === 0) return undefined;
    const coordinator = this.broker.groups.coordinatorOf(group);
    if (coordinator === undefined) return adminError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `group ${group} has no live coordinator`);
    const byTopic = new Map<string, PartitionPosition[]>();
    for (const p of offsets) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p]);
    const r = await this.ask(coordinator.nodeId, OffsetCommitApi, 9, {
      groupId: group, generationIdOrMemberEpoch: member?.memberEpoch ?? -1, memberId: member?.memberId ?? '', groupInstanceId: null, retentionTimeMs: -1n,
      topics: [...byTopic].map(([name, ps]) => ({ name, partitions: ps.map((p) => ({ partitionIndex: p.partition, committedOffset: BigInt(p.offset), committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null })) })),
    });
    if (r === undefined) return adminError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `the coordinator of group ${group} did not answer`);
    const failed = r.topics.flatMap((t) => t.partitions).find((p) => p.errorCode !== ErrorCode.NONE);
    return failed === undefined ? undefined : adminError(failed.errorCode, `the commit was refused: ${errorName(failed.errorCode)}`);
  }

  /**
   * Lag of one group, or of every group of the fleet: committed offsets from
   * each group's coordinator (OffsetFetch), high watermarks from the
   * partitions' leaders (ListOffsets). Partitions whose leader or coordinator
   * could not be asked are left out.
   */
  async lag(groupId?: string): Promise<LagRow[]> {
    return this.lagOf(groupId !== undefined ? [groupId] : (await this.listGroups()).map((g) => g.groupId));
  }

  /**
   * Reads up to `maxRecords` records of a topic for a group, as a consumer
   * that joined nothing: from the group's committed offsets (a partition
   * without one from its log start), partition by partition; then commits
   * the offsets after what it read, as a simple consumer does (Kafka takes
   * such commits only while the group has no members: otherwise its error).
   */
  async consumeForGroup(group: string, topic: string, maxRecords: number, commit: boolean): Promise<{ records: ReadRecord[]; committed: { partition: number; offset: number }[] } | AdminError> {
    const t = this.broker.topics.get(topic);
    if (t === undefined) return adminError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic ${topic}`);
    const committed = await this.committedOffsets(group, t.streams.map((_, partition) => ({ topic, partition })), false);
    if (isAdminError(committed)) return committed;
    const committedAt = committed.get(topic) ?? new Map<number, number>();
    const starts = (await this.offsetsOf([topic], -2n)).get(topic) ?? new Map<number, number>();
    const records: ReadRecord[] = [];
    const next = new Map<number, number>();
    for (let p = 0; p < t.streams.length && records.length < maxRecords; p++) {
      const from = Math.max(committedAt.get(p) ?? 0, starts.get(p) ?? 0);
      const r = await this.read(topic, p, from, maxRecords - records.length);
      if (isAdminError(r)) {
        if (r.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) continue;
        return r;
      }
      records.push(...r.records);
      if (r.records.length > 0) next.set(p, r.records.at(-1)!.offset + 1);
    }
    if (!commit || next.size === 0) return { records, committed: [] };
    const refused = await this.commitOffsets(group, undefined, [...next].map(([partition, offset]) => ({ topic, partition, offset })));
    if (refused !== undefined) return refused.errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE ? refused : { ...refused, message: `${refused.message} (a group with members commits through them)` };
    return { records, committed: [...next].map(([partition, offset]) => ({ partition, offset })) };
  }

  async lagOf(groups: string[]): Promise<LagRow[]> {
    const committed = await Promise.all(groups.map(async (group) => {
      const coordinator = this.broker.groups.coordinatorOf(group);
      if (coordinator === undefined) return { group, topics: [] };
      const r = await this.ask(coordinator.nodeId, OffsetFetchApi, 8, {
        groupId: '', topics: null, groups: [{ groupId: group, memberId: null, memberEpoch: -1, topics: null }], requireStable: false,
      });
      const g = r?.groups[0];
      return { group, topics: g === undefined || g.errorCode !== ErrorCode.NONE ? [] : g.topics };
    }));
    const topics = [...new Set(committed.flatMap((c) => c.topics.map((t) => t.name)))];
    const ends = await this.offsetsOf(topics, -1n);
    const rows: LagRow[] = [];
    for (const { group, topics: ts } of committed) {
      for (const t of ts) {
        for (const p of t.partitions) {
          const hw = ends.get(t.name)?.get(p.partitionIndex);
          if (hw === undefined || p.errorCode !== ErrorCode.NONE || p.committedOffset < 0n) continue;
          const c = Number(p.committedOffset);
          rows.push({ group, topic: t.name, partition: p.partitionIndex, committed: c, highWatermark: hw, lag: Math.max(0, hw - c) });
        }
      }
    }
    return rows;
  }
}
