// Owns the campaign's look at the log itself when the checker finds a
// record written twice: the headers of the record batches around the
// offsets involved (producer id, producer epoch, sequences, the partition
// leader epoch that wrote each), fetched from the partition's leader. They
// tell a client-side epoch bump (a new producer epoch, sequences from 0)
// from a broker that forgot a producer's sequences (same epoch, same
// sequences, two leader epochs). Diagnostic only: it never judges.

import { WireClient } from '../../protocol/wire-client.ts';
import { FetchApi, MetadataApi } from '../../protocol/generated/index.ts';
import { defaultFetchPartition, defaultFetchRequest } from '../../protocol/generated/FetchRequest.ts';
import { recordsBuffer } from '../../protocol/primitives/writer.ts';
import { splitRecordBatches } from '../../protocol/records/record-batch-header.ts';

export interface BatchHeaderSummary {
  baseOffset: number;
  lastOffset: number;
  producerId: string;
  producerEpoch: number;
  baseSequence: number;
  partitionLeaderEpoch: number;
}

export function describeBatch(b: BatchHeaderSummary): string {
  return `[${b.baseOffset}..${b.lastOffset} pid ${b.producerId} epoch ${b.producerEpoch} seq ${b.baseSequence}..${b.baseSequence + b.lastOffset - b.baseOffset} leaderEpoch ${b.partitionLeaderEpoch}]`;
}

/**
 * The batches of `topic`/`partition` overlapping [from, to], read from its
 * leader (found through any of `brokers`). Empty when no broker answers.
 */
export async function batchesBetween(brokers: { host: string; port: number }[], topic: string, partition: number, from: number, to: number): Promise<BatchHeaderSummary[]> {
  for (const { host, port } of brokers) {
    let c: WireClient | undefined;
    try {
      c = await WireClient.connect(host, port);
      const md = await c.request(MetadataApi, 12, { topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: topic }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
      const leaderId = md.topics[0]?.partitions.find((p) => p.partitionIndex === partition)?.leaderId;
      const leader = md.brokers.find((b) => b.nodeId === leaderId);
      if (leader === undefined) continue;
      if (leader.host !== host || leader.port !== port) {
        c.close();
        c = await WireClient.connect(leader.host, leader.port);
      }
      const out: BatchHeaderSummary[] = [];
      let offset = from;
      while (offset <= to) {
        const res = await c.request(FetchApi, 11, {
          ...defaultFetchRequest(), maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20,
          topics: [{ topic, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [{ ...defaultFetchPartition(), partition, fetchOffset: BigInt(offset), partitionMaxBytes: 1 << 20 }] }],
        });
        const records = res.responses[0]?.partitions[0]?.records ?? null;
        const batches = records === null ? [] : splitRecordBatches(recordsBuffer(records));
        if (batches.length === 0) break;
        for (const b of batches) {
          const base = Number(b.baseOffset);
          const last = base + b.lastOffsetDelta;
          if (last >= from && base <= to) {
            out.push({ baseOffset: base, lastOffset: last, producerId: String(b.producerId), producerEpoch: b.producerEpoch, baseSequence: b.baseSequence, partitionLeaderEpoch: b.partitionLeaderEpoch });
          }
          offset = last + 1;
        }
      }
      return out;
    } catch {
      // A broker that does not answer: try the next.
    } finally {
      c?.close();
    }
  }
  return [];
}
