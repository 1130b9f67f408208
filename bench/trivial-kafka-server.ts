// A trivial Kafka-speaking TCP server: it answers just enough (ApiVersions,
// Metadata, CreateTopics, Produce acked at once, ListOffsets, empty Fetch after
// max_wait_ms, and a one-member consumer group) for a client to go on. It
// stores nothing and is not a broker. The benchmark measures its own ceiling
// against it (`npm run bench -- sink`); golden tests record what real clients
// send to it (onRequest).

import { createServer, type Server, type Socket } from 'node:net';
import { FrameDecoder } from '../protocol/framing.ts';
import { readRequestFrame, writeResponseFrame } from '../protocol/request-header.ts';
import { apiByKey, ApiKey, type ApiDescriptor } from '../protocol/generated/index.ts';
import { defaultApiVersionsResponse } from '../protocol/generated/ApiVersionsResponse.ts';
import { defaultMetadataResponse, defaultMetadataResponsePartition, defaultMetadataResponseTopic } from '../protocol/generated/MetadataResponse.ts';
import type { MetadataRequest } from '../protocol/generated/MetadataRequest.ts';
import { defaultProduceResponse, defaultPartitionProduceResponse } from '../protocol/generated/ProduceResponse.ts';
import type { ProduceRequest } from '../protocol/generated/ProduceRequest.ts';
import { defaultFetchResponse, defaultPartitionData } from '../protocol/generated/FetchResponse.ts';
import type { FetchRequest } from '../protocol/generated/FetchRequest.ts';
import { defaultListOffsetsResponse, defaultListOffsetsPartitionResponse } from '../protocol/generated/ListOffsetsResponse.ts';
import type { ListOffsetsRequest } from '../protocol/generated/ListOffsetsRequest.ts';
import { defaultFindCoordinatorResponse } from '../protocol/generated/FindCoordinatorResponse.ts';
import type { FindCoordinatorRequest } from '../protocol/generated/FindCoordinatorRequest.ts';
import { defaultJoinGroupResponse } from '../protocol/generated/JoinGroupResponse.ts';
import type { JoinGroupRequest } from '../protocol/generated/JoinGroupRequest.ts';
import { defaultSyncGroupResponse } from '../protocol/generated/SyncGroupResponse.ts';
import type { SyncGroupRequest } from '../protocol/generated/SyncGroupRequest.ts';
import { defaultOffsetFetchResponse } from '../protocol/generated/OffsetFetchResponse.ts';
import type { OffsetFetchRequest } from '../protocol/generated/OffsetFetchRequest.ts';
import { defaultHeartbeatResponse } from '../protocol/generated/HeartbeatResponse.ts';
import { defaultLeaveGroupResponse } from '../protocol/generated/LeaveGroupResponse.ts';
import { defaultCreateTopicsResponse, defaultCreatableTopicResult } from '../protocol/generated/CreateTopicsResponse.ts';
import type { CreateTopicsRequest } from '../protocol/generated/CreateTopicsRequest.ts';

export interface CapturedRequest {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  /** The whole frame as the client sent it (without the size prefix). */
  frame: Buffer;
  /** Decoded body. */
  body: unknown;
}


export class TrivialKafkaServer {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;
  readonly partitions: number;
  private readonly onRequest: ((r: CapturedRequest) => void) | undefined;
  requests = 0;

  constructor(partitions = 1, onRequest?: (r: CapturedRequest) => void) {
    this.partitions = partitions;
    this.onRequest = onRequest;
  }

  async start(port = 0): Promise<void> {
    this.server = createServer((s) => this.onConnection(s));
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    const addr = this.server.address();
    if (addr === null || typeof addr === 'string') throw new Error('no address');
    this.port = addr.port;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  private onConnection(socket: Socket): void {
    this.sockets.add(socket);
    // Without it Nagle holds small responses for the client's delayed ACK: ~40 ms stalls that are the sink's, not the load's.
    socket.setNoDelay(true);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const decoder = new FrameDecoder(64 * 1024 * 1024);
    socket.on('data', (chunk) => {
      for (const frame of decoder.push(chunk)) {
        const h = readRequestFrame(frame);
        if (h.api === undefined || !h.versionKnown) throw new Error(`trivial server got unknown API ${h.apiKey} v${h.apiVersion}`);
        const api = h.api;
        const body = api.readRequest(h.body, h.apiVersion);
        this.requests++;
        this.onRequest?.({ apiKey: h.apiKey, apiVersion: h.apiVersion, correlationId: h.correlationId, clientId: h.clientId, frame: Buffer.from(frame), body });
        const response = this.respond(h.apiKey, body);
        if (h.apiKey === ApiKey.Produce && (body as ProduceRequest).acks === 0) continue;
        if (response === undefined) continue;
        const send = (): void => {
          if (!socket.destroyed) socket.write(Buffer.concat(writeResponseFrame(api as ApiDescriptor<unknown, unknown>, h.apiVersion, h.correlationId, response)));
        };
        // An empty Fetch waits max_wait_ms, as a broker with no data does, so consumers do not spin.
        if (h.apiKey === ApiKey.Fetch) setTimeout(send, Math.min(1000, (body as FetchRequest).maxWaitMs));
        else send();
      }
    });
  }

  private respond(apiKey: number, body: unknown): unknown {
    switch (apiKey) {
      case ApiKey.ApiVersions:
        return {
          ...defaultApiVersionsResponse(),
          apiKeys: apiByKey.filter((a): a is ApiDescriptor => a !== undefined && a.listeners.includes('broker'))
            .map((a) => ({ apiKey: a.apiKey, minVersion: a.minVersion, maxVersion: a.maxVersion })),
        };
      case ApiKey.Metadata: {
        const req = body as MetadataRequest;
        const names = req.topics?.map((t) => t.name ?? '') ?? [];
        return {
          ...defaultMetadataResponse(),
          brokers: [{ nodeId: 1, host: '127.0.0.1', port: this.port, rack: null }],
          clusterId: 'capture',
          controllerId: 1,
          topics: names.map((name) => ({
            ...defaultMetadataResponseTopic(),
            name,
            topicId: 'AAAAAAAAAAAAAAAAAAAAAQ',
            partitions: Array.from({ length: this.partitions }, (_, i) => ({
              ...defaultMetadataResponsePartition(), partitionIndex: i, leaderId: 1, leaderEpoch: 0, replicaNodes: [1], isrNodes: [1],
            })),
          })),
        };
      }
      case ApiKey.CreateTopics: {
        const req = body as CreateTopicsRequest;
        return { ...defaultCreateTopicsResponse(), topics: req.topics.map((t) => ({ ...defaultCreatableTopicResult(), name: t.name, numPartitions: t.numPartitions, replicationFactor: t.replicationFactor })) };
      }
      case ApiKey.Produce: {
        const req = body as ProduceRequest;
        return {
          ...defaultProduceResponse(),
          responses: req.topicData.map((t) => ({
            name: t.name,
            partitionResponses: t.partitionData.map((p) => ({ ...defaultPartitionProduceResponse(), index: p.index, baseOffset: 0n })),
          })),
        };
      }
      case ApiKey.ListOffsets: {
        const req = body as ListOffsetsRequest;
        return {
          ...defaultListOffsetsResponse(),
          topics: req.topics.map((t) => ({
            name: t.name,
            partitions: t.partitions.map((p) => ({ ...defaultListOffsetsPartitionResponse(), partitionIndex: p.partitionIndex, offset: 0n, timestamp: -1n })),
          })),
        };
      }
      case ApiKey.Fetch: {
        const req = body as FetchRequest;
        return {
          ...defaultFetchResponse(),
          responses: req.topics.map((t) => ({
            topic: t.topic,
            topicId: t.topicId,
            partitions: t.partitions.map((p) => ({ ...defaultPartitionData(), partitionIndex: p.partition, highWatermark: 0n, lastStableOffset: 0n, logStartOffset: 0n, records: Buffer.alloc(0) })),
          })),
        };
      }
      case ApiKey.FindCoordinator: {
        const req = body as FindCoordinatorRequest;
        const keys = req.coordinatorKeys.length > 0 ? req.coordinatorKeys : [req.key];
        return {
          ...defaultFindCoordinatorResponse(),
          nodeId: 1, host: '127.0.0.1', port: this.port,
          coordinators: keys.map((key) => ({ key, nodeId: 1, host: '127.0.0.1', port: this.port, errorCode: 0, errorMessage: null })),
        };
      }
      case ApiKey.JoinGroup: {
        const req = body as JoinGroupRequest;
        const memberId = req.memberId || 'member-1';
        const proto = req.protocols[0]!;
        return {
          ...defaultJoinGroupResponse(),
          generationId: 1, protocolType: req.protocolType, protocolName: proto.name, leader: memberId, memberId,
          members: [{ memberId, groupInstanceId: req.groupInstanceId, metadata: proto.metadata }],
        };
      }
      case ApiKey.SyncGroup: {
        const req = body as SyncGroupRequest;
        const mine = req.assignments.find((a) => a.memberId === req.memberId);
        return { ...defaultSyncGroupResponse(), protocolType: req.protocolType, protocolName: req.protocolName, assignment: mine?.assignment ?? Buffer.alloc(0) };
      }
      case ApiKey.OffsetFetch: {
        const req = body as OffsetFetchRequest;
        return {
          ...defaultOffsetFetchResponse(),
          topics: (req.topics ?? []).map((t) => ({
            name: t.name,
            partitions: t.partitionIndexes.map((i) => ({ partitionIndex: i, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 })),
          })),
        };
      }
      case ApiKey.Heartbeat: return defaultHeartbeatResponse();
      case ApiKey.LeaveGroup: return defaultLeaveGroupResponse();
      default: return undefined;
    }
  }
}
