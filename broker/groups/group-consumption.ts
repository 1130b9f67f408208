// Owns how many records each group has consumed of each topic, as this
// broker saw its coordinator's commits: the progress of committed offsets
// (a first commit of a partition counts nothing: where the group started is
// not known). Bounded: past MAX_ENTRIES (group, topic) pairs, new pairs are
// counted as dropped, not kept. It is what the usage report attributes
// reads to groups by; it must not touch the committed offsets themselves.

const MAX_ENTRIES = 10_000;

export interface GroupTopicConsumption {
  group: string;
  topic: string;
  records: number;
}

export class GroupConsumption {
  private readonly byGroup = new Map<string, Map<string, number>>();
  private entries = 0;
  /** Commits whose (group, topic) pair found the table full. */
  dropped = 0;

  /** A committed offset moved from `previous` to `next` (undefined: the partition had none). */
  committed(group: string, topic: string, previous: bigint | undefined, next: bigint): void {
    if (previous === undefined || next <= previous) return;
    let topics = this.byGroup.get(group);
    const known = topics?.has(topic) ?? false;
    if (!known && this.entries >= MAX_ENTRIES) {
      this.dropped++;
      return;
    }
    if (topics === undefined) this.byGroup.set(group, topics = new Map());
    if (!known) this.entries++;
    topics.set(topic, (topics.get(topic) ?? 0) + Number(next - previous));
  }

  /** The group is gone (deleted or expired). */
  forget(group: string): void {
    this.entries -= this.byGroup.get(group)?.size ?? 0;
    this.byGroup.delete(group);
  }

  all(): GroupTopicConsumption[] {
    return [...this.byGroup].flatMap(([group, topics]) => [...topics].map(([topic, records]) => ({ group, topic, records })));
  }
}
