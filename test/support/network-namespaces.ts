// Network namespaces of this machine for tests that cut a broker off: each
// broker gets a namespace of its own joined to the test's namespace by a
// veth pair, so the test can partition that one broker from PostgreSQL,
// from object storage or from its clients while the rest of the fleet and
// the test itself are untouched. Uses `ip` (iproute2) only, and needs root;
// changes nothing outside the namespaces and links it creates, and deletes
// them (and those of an earlier run whose process is gone) itself.
//
// Addresses of broker i (1-based), in a 10.X.0.0/16 no interface here uses:
//   10.X.i.2   the broker, inside its namespace (Kafka and HTTP listeners)
//   10.X.i.1   the test's side: clients reach the broker from it
//   10.X.i.11  the test's side, where PostgreSQL listens for this broker
//   10.X.i.12  the test's side, where object storage listens for this broker
//   10.X.(100+i).2  the broker, on a second link to a router namespace
//   10.X.(100+i).1  the router's side of that link
// Brokers reach each other through the router namespace (forwarding is
// turned on there only, never in the test's namespace): broker i routes
// 10.X.j.0/24 to it, so inter-broker traffic (transaction markers) flows
// while the test's side still sees each broker on its own link.
// A partition is a blackhole route in the broker's namespace to one of the
// test-side addresses or to another broker (set in both brokers' namespaces):
// packets to it are dropped, connections stall as behind a failed link (no
// reset), and the route's removal heals it.

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

export type PartitionFrom = 'postgres' | 's3' | 'clients' | 'brokers';

export interface BrokerNetwork {
  /** Name of the broker's namespace (`ip netns exec` it). */
  namespace: string;
  brokerHost: string;
  clientSide: string;
  postgresHost: string;
  s3Host: string;
}

const NAME_PREFIX = 'floe-t';

function ip(args: string[]): string {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${(r.stderr || r.error?.message || '').trim()}`);
  return r.stdout;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Namespaces of earlier runs whose process is gone (killed before it could clean up). */
function removeStale(): void {
  if (!existsSync('/run/netns')) return;
  for (const name of readdirSync('/run/netns')) {
    const m = new RegExp(`^${NAME_PREFIX}(\\d+)-(\\d+|r)$`).exec(name);
    if (m !== null && !processAlive(Number(m[1]))) spawnSync('ip', ['netns', 'del', name]);
  }
}

export class BrokerNetworks {
  readonly brokers: BrokerNetwork[] = [];
  /** The namespace that forwards between brokers (made once every broker has its own). */
  private router: string | undefined;
  /** Blackhole routes in place, by `${broker}:${what}`: the namespace and address of each. */
  private readonly cuts = new Map<string, { namespace: string; to: string }>();

  /** The second octet of the 10.X.0.0/16 the namespaces use. */
  private readonly x: number;

  private constructor(x: number) {
    this.x = x;
  }

  /** The whole test network, for a server to trust (PostgreSQL's pg_hba.conf). */
  get network(): string {
    return `10.${this.x}.0.0/16`;
  }

  /** Why namespaces cannot be made here, or undefined when they can. */
  static unavailable(): string | undefined {
    if (process.getuid?.() !== 0) return 'network namespaces need root';
    const r = spawnSync('ip', ['-V'], { encoding: 'utf8' });
    if (r.status !== 0) return 'iproute2 (`ip`) is not installed';
    return undefined;
  }

  static create(count: number): BrokerNetworks {
    const why = BrokerNetworks.unavailable();
    if (why !== undefined) throw new Error(why);
    removeStale();
    const used = new Set([...ip(['-o', '-4', 'addr']).matchAll(/inet 10\.(\d+)\./g)].map((m) => Number(m[1])));
    const free = Array.from({ length: 180 }, (_, k) => 60 + k).filter((x) => !used.has(x));
    if (free.length === 0) throw new Error('no free 10.X.0.0/16 for the test network');
    const x = free[(process.pid + Date.now()) % free.length]!;
    const nets = new BrokerNetworks(x);
    try {
      for (let i = 1; i <= count; i++) {
        const namespace = `${NAME_PREFIX}${process.pid}-${i}`;
        // Link names are at most 15 characters: the subnet and the broker make them unique on this machine.
        const outside = `fl${x}b${i}o`;
        const inside = `fl${x}b${i}i`;
        const n: BrokerNetwork = { namespace, brokerHost: `10.${x}.${i}.2`, clientSide: `10.${x}.${i}.1`, postgresHost: `10.${x}.${i}.11`, s3Host: `10.${x}.${i}.12` };
        ip(['netns', 'add', namespace]);
        nets.brokers.push(n);
        ip(['link', 'add', outside, 'type', 'veth', 'peer', 'name', inside, 'netns', namespace]);
        for (const a of [n.clientSide, n.postgresHost, n.s3Host]) ip(['addr', 'add', `${a}/24`, 'dev', outside]);
        ip(['link', 'set', outside, 'up']);
        ip(['-n', namespace, 'link', 'set', 'lo', 'up']);
        ip(['-n', namespace, 'addr', 'add', `${n.brokerHost}/24`, 'dev', inside]);
        ip(['-n', namespace, 'link', 'set', inside, 'up']);
      }
      nets.routeBetweenBrokers();
    } catch (e) {
      nets.destroy();
      throw e;
    }
    return nets;
  }

  /** Links every broker's namespace to a router namespace that forwards between them. */
  private routeBetweenBrokers(): void {
    const router = `${NAME_PREFIX}${process.pid}-r`;
    ip(['netns', 'add', router]);
    this.router = router;
    ip(['-n', router, 'link', 'set', 'lo', 'up']);
    // Per-namespace setting: the test's namespace (the host's, usually) keeps its own.
    const r = spawnSync('ip', ['netns', 'exec', router, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`forwarding in ${router}: ${(r.stderr || r.error?.message || '').trim()}`);
    const x = this.x;
    this.brokers.forEach((n, k) => {
      const i = k + 1;
      const inside = `fl${x}b${i}r`;
      const outside = `fl${x}b${i}R`;
      ip(['link', 'add', outside, 'netns', router, 'type', 'veth', 'peer', 'name', inside, 'netns', n.namespace]);
      ip(['-n', router, 'addr', 'add', `10.${x}.${100 + i}.1/24`, 'dev', outside]);
      ip(['-n', router, 'link', 'set', outside, 'up']);
      ip(['-n', n.namespace, 'addr', 'add', `10.${x}.${100 + i}.2/24`, 'dev', inside]);
      ip(['-n', n.namespace, 'link', 'set', inside, 'up']);
      ip(['-n', router, 'route', 'add', `10.${x}.${i}.0/24`, 'via', `10.${x}.${100 + i}.2`]);
    });
    this.brokers.forEach((n, k) => {
      this.brokers.forEach((_, l) => {
        // From its broker address, which the other broker routes back (not from its router-link address, which it does not).
        if (l !== k) ip(['-n', n.namespace, 'route', 'add', `10.${x}.${l + 1}.0/24`, 'via', `10.${x}.${100 + k + 1}.1`, 'src', n.brokerHost]);
      });
    });
  }

  /** The command prefix that runs a program inside broker i's namespace (0-based). */
  execPrefix(i: number): string[] {
    return ['ip', 'netns', 'exec', this.brokers[i]!.namespace];
  }

  /** Cuts broker i (0-based) off from one peer (`brokers`: from every other broker, both ways); a cut already in place is left as it is. */
  cut(i: number, from: PartitionFrom): void {
    const n = this.brokers[i]!;
    if (from === 'brokers') {
      this.brokers.forEach((m, j) => {
        if (j === i) return;
        this.blackhole(`${i}:broker-${j}`, n.namespace, m.brokerHost);
        this.blackhole(`${j}:broker-${i}`, m.namespace, n.brokerHost);
      });
      return;
    }
    this.blackhole(`${i}:${from}`, n.namespace, from === 'postgres' ? n.postgresHost : from === 's3' ? n.s3Host : n.clientSide);
  }

  private blackhole(key: string, namespace: string, to: string): void {
    if (this.cuts.has(key)) return;
    ip(['-n', namespace, 'route', 'add', 'blackhole', `${to}/32`]);
    this.cuts.set(key, { namespace, to });
  }

  /** Removes every cut of broker i (0-based), and those of other brokers from it. */
  heal(i: number): void {
    for (const [key, { namespace, to }] of [...this.cuts]) {
      if (!key.startsWith(`${i}:`) && !key.endsWith(`:broker-${i}`)) continue;
      ip(['-n', namespace, 'route', 'del', 'blackhole', `${to}/32`]);
      this.cuts.delete(key);
    }
  }

  /** Deleting a namespace deletes its end of the veth pair, and with it the test's end. */
  destroy(): void {
    for (const n of this.brokers) spawnSync('ip', ['netns', 'del', n.namespace]);
    if (this.router !== undefined) spawnSync('ip', ['netns', 'del', this.router]);
    this.router = undefined;
    this.brokers.length = 0;
    this.cuts.clear();
  }
}
