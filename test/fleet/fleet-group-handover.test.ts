// A classic group's coordinator hands its __consumer_offsets partition over
// (controlled shutdown) while a member waits in a JoinGroup for the others
// to rejoin: the waiting member is answered NOT_COORDINATOR at once, as Kafka
// answers it, and finds the group on its new coordinator. Found by the fault
// campaign (`npm run chaos -- --minutes 1 --seed 1`): a member's JoinGroup
// parked on a broker that had lost the group was never answered, and the
// member sat out the rest of the run.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestFleet, useFleetServers } from '../support/fleet.ts';
import { WireClient } from '../../protocol/wire-client.ts';
import { FindCoordinatorApi, JoinGroupApi, SyncGroupApi } from '../../protocol/generated/index.ts';
import { defaultJoinGroupRequest } from '../../protocol/generated/JoinGroupRequest.ts';
import { defaultSyncGroupRequest } from '../../protocol/generated/SyncGroupRequest.ts';
import { defaultFindCoordinatorRequest } from '../../protocol/generated/FindCoordinatorRequest.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { until } from '../support/until.ts';

const servers = useFleetServers();

describe('a group whose coordinator hands over', () => {
  let fleet: TestFleet;
  beforeAll(async () => { fleet = await TestFleet.start(servers, [1, 2]); });
  afterAll(async () => { await fleet?.destroy(); });

  it('answers a member waiting in JoinGroup NOT_COORDINATOR when the group moves away', async () => {
    const groupId = 'handover';
    const port = (id: number): number => fleet.broker(id).port;
    const join = (c: WireClient, memberId: string) => c.request(JoinGroupApi, 5, {
      ...defaultJoinGroupRequest(), groupId, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 60_000, memberId, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }],
    });
    const coordinator = async (askId: number): Promise<number> => {
      const c = await WireClient.connect('127.0.0.1', port(askId));
      try {
        const f = await c.request(FindCoordinatorApi, 4, { ...defaultFindCoordinatorRequest(), keyType: 0, coordinatorKeys: [groupId] });
        return f.coordinators[0]!.errorCode === ErrorCode.NONE ? f.coordinators[0]!.nodeId : -1;
      } finally {
        c.close();
      }
    };
    // Member A gets generation 1, alone, at the group's coordinator (again, while a new fleet's partitions still settle).
    let coord = -1;
    let a: WireClient | undefined;
    let aId = '';
    await until(async () => {
      a?.close();
      coord = await coordinator(1);
      if (coord < 0) return false;
      a = await WireClient.connect('127.0.0.1', port(coord));
      const first = await join(a, '');
      if (first.errorCode !== ErrorCode.MEMBER_ID_REQUIRED) return false;
      aId = first.memberId;
      const joined = await join(a, aId);
      if (joined.errorCode !== ErrorCode.NONE) return false;
      const synced = await a.request(SyncGroupApi, 3, { ...defaultSyncGroupRequest(), groupId, generationId: joined.generationId, memberId: aId, assignments: [{ memberId: aId, assignment: Buffer.alloc(0) }] });
      return synced.errorCode === ErrorCode.NONE;
    }, 30_000, 'member A in generation 1');
    // Member B joins: a rebalance that waits (up to 60 s) for A to rejoin, which it does not.
    const b = await WireClient.connect('127.0.0.1', port(coord));
    const bId = (await join(b, '')).memberId;
    const bPending = join(b, bId);
    const answered = await Promise.race([bPending.then(() => true, () => true), new Promise<boolean>((r) => setTimeout(() => r(false), 500))]);
    expect(answered).toBe(false);
    // The coordinator shuts down: its partitions, the group's included, move to the other broker first.
    const other = coord === 1 ? 2 : 1;
    const stopped = fleet.broker(coord).stop();
    const r = await bPending;
    expect(r.errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    await stopped;
    // The group is found on its new coordinator, where B joins (NOT_COORDINATOR again while it loads the group: retried, as a client does).
    await until(async () => (await coordinator(other)) === other, 20_000, 'the other broker to coordinate the group');
    const b2 = await WireClient.connect('127.0.0.1', port(other));
    await until(async () => (await join(b2, '')).errorCode === ErrorCode.MEMBER_ID_REQUIRED, 20_000, 'B to join on the new coordinator');
    for (const c of [a!, b, b2]) c.close();
  });
});
