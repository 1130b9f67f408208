// The bounded fault campaign CI runs: a three-broker object-wal fleet under
// idempotent producers, a transactional producer and a consumer group
// reading both read_committed (confluent-kafka-python), with a KIP-848
// consumer (group.protocol=consumer) in a group of its own, every fault kind once
// in a seeded order (SIGKILL and SIGSTOP of brokers, of the controller, of
// two brokers at once, of PostgreSQL; the S3 server restarted and paused; S3
// slow or answering SlowDown/InternalError through a proxy; one broker cut
// off from PostgreSQL, from S3, from its clients or from the other brokers in
// its own network namespace, which needs root as CI has; one broker's wall
// clock stepped by up to 5 minutes), then the checkers over the whole
// history. Any safety anomaly (a lost acknowledged write, a duplicate, a
// divergent or misplaced read, a phantom, a hole, a skipped or backwards
// offset; a record of an aborted transaction read, a committed transaction
// read only in part) fails the build, as the issue asks. Liveness anomalies
// (a client without progress within 30 s of the last fault, a slow broker
// restart) are printed, not failed: they are bounds on time, which a loaded
// CI machine stretches; the campaigns on this machine (bench/README.md) are
// where they are judged. A record written twice whose second copy carries a
// newer producer epoch (librdkafka bumped its epoch and re-sent it, sequences
// from 0: no broker can recognise it) is printed, not failed; it is an open
// exactly-once gap (issue #13), and a duplicate under one epoch still fails
// the build.
//
// A failure prints the anomalies with their records; a record written twice
// comes with the batch headers at both copies. To look further, run the same
// campaign with its histories and logs kept:
// `npm run chaos -- --minutes 2 --seed 7 --every-kind --keep-history DIR`.

import { expect, it } from 'vitest';
import { FAULT_KINDS, runCampaign } from '../../bench/chaos/campaign.ts';
import { summarize } from '../../bench/chaos/run.ts';
import { CLIENT_RESEND_KINDS, LIVENESS_KINDS } from '../../bench/chaos/history-checker.ts';

it('a bounded campaign with every fault kind: nothing acknowledged lost, no duplicate the broker could have caught, no other safety anomaly', async () => {
  const report = await runCampaign({
    seed: 7, durationMs: 170_000, brokers: 3, faults: FAULT_KINDS, everyKind: true, producers: 2, consumers: 2, kip848Consumers: 1, partitions: 6, rate: 50,
    transactionalProducers: 1, quietMs: 3000, progressWithinMs: 30_000,
  });
  process.stdout.write(`${summarize(report).join('\n')}\n`);
  expect(new Set(report.faults.map((f) => f.kind))).toEqual(new Set(FAULT_KINDS));
  expect(report.acknowledged).toBeGreaterThan(1000);
  // Transactions went through the faults (their markers cross brokers), not only the idempotent load.
  expect(report.transactions.committed).toBeGreaterThan(20);
  expect(report.anomalies.filter((a) => !LIVENESS_KINDS.includes(a.kind) && !CLIENT_RESEND_KINDS.includes(a.kind))).toEqual([]);
  // Every acknowledged record was found in the final read of the healed fleet (else 'lost' above).
  expect(report.finalRead).toBeGreaterThanOrEqual(report.acknowledged);
}, 900_000);
