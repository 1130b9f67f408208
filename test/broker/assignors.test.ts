// The KIP-848 server-side assignors as pure functions: every subscribed
// partition assigned exactly once, balance, stickiness, and range's shape.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { rangeAssignor, uniformAssignor, type AssignorMember, type TopicPartitionSet } from '../../broker/groups/assignors.ts';

function flatten(a: Map<string, TopicPartitionSet>): Map<string, string> {
  const owner = new Map<string, string>();
  for (const [m, tps] of a) {
    for (const [t, ps] of tps) {
      for (const p of ps) {
        expect(owner.has(`${t}:${p}`)).toBe(false);
        owner.set(`${t}:${p}`, m);
      }
    }
  }
  return owner;
}

const countOf = (tps: TopicPartitionSet): number => [...tps.values()].reduce((n, s) => n + s.size, 0);

const homogeneous = fc.record({
  members: fc.integer({ min: 1, max: 12 }),
  topics: fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 4 }),
});

function setup(members: number, topics: number[], previous?: Map<string, TopicPartitionSet>): { ms: AssignorMember[]; counts: Map<string, number> } {
  const counts = new Map(topics.map((n, i) => [`t${i}`, n]));
  const ms = Array.from({ length: members }, (_, i) => ({ memberId: `m${String(i).padStart(2, '0')}`, topicIds: new Set(counts.keys()), previous: previous?.get(`m${String(i).padStart(2, '0')}`) ?? new Map() }));
  return { ms, counts };
}

describe('uniform assignor', () => {
  it('assigns every partition once and keeps members within one of each other', () => {
    fc.assert(fc.property(homogeneous, ({ members, topics }) => {
      const { ms, counts } = setup(members, topics);
      const out = uniformAssignor(ms, counts);
      expect(flatten(out).size).toBe(topics.reduce((a, b) => a + b, 0));
      const sizes = [...out.values()].map(countOf);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }));
  });

  it('moves only what balance requires when a member joins', () => {
    fc.assert(fc.property(homogeneous, ({ members, topics }) => {
      const first = uniformAssignor(setup(members, topics).ms, setup(members, topics).counts);
      const { ms, counts } = setup(members + 1, topics, first);
      const second = uniformAssignor(ms, counts);
      const before = flatten(first);
      const after = flatten(second);
      let moved = 0;
      for (const [tp, m] of after) if (before.get(tp) !== m) moved++;
      const total = topics.reduce((a, b) => a + b, 0);
      // The joiner takes its share; nothing else changes hands.
      expect(moved).toBe(countOf(second.get(ms.at(-1)!.memberId)!));
      expect(moved).toBeLessThanOrEqual(Math.ceil(total / (members + 1)));
    }));
  });

  it('with mixed subscriptions, assigns each partition once to a member that subscribes to it', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 4 }), fc.array(fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), { minLength: 1, maxLength: 8 }), (topics, subs) => {
      const counts = new Map(topics.map((n, i) => [`t${i}`, n]));
      const ms = subs.map((flags, i) => ({ memberId: `m${i}`, topicIds: new Set([...counts.keys()].filter((_, t) => flags[t])), previous: new Map() }));
      const owner = flatten(uniformAssignor(ms, counts));
      const wanted = [...counts].filter(([t]) => ms.some((m) => m.topicIds.has(t))).reduce((n, [, c]) => n + c, 0);
      expect(owner.size).toBe(wanted);
      for (const [tp, m] of owner) expect(ms.find((x) => x.memberId === m)!.topicIds.has(tp.split(':')[0]!)).toBe(true);
    }));
  });

  it('only gives a member topics it subscribes to', () => {
    const counts = new Map([['a', 4], ['b', 2]]);
    const out = uniformAssignor([
      { memberId: 'x', topicIds: new Set(['a']), previous: new Map() },
      { memberId: 'y', topicIds: new Set(['a', 'b']), previous: new Map() },
    ], counts);
    expect([...out.get('x')!.keys()]).toEqual(['a']);
    expect(flatten(out).size).toBe(6);
    expect(countOf(out.get('x')!)).toBe(3);
    expect(countOf(out.get('y')!)).toBe(3);
  });
});

describe('range assignor', () => {
  it('gives each subscriber a contiguous range per topic, the first ones one more', () => {
    const counts = new Map([['t', 7]]);
    const ms = ['c', 'a', 'b'].map((memberId) => ({ memberId, topicIds: new Set(['t']), previous: new Map() }));
    const out = rangeAssignor(ms, counts);
    expect([...out.get('a')!.get('t')!]).toEqual([0, 1, 2]);
    expect([...out.get('b')!.get('t')!]).toEqual([3, 4]);
    expect([...out.get('c')!.get('t')!]).toEqual([5, 6]);
  });
});
