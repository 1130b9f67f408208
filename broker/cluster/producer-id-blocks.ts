// Owns this broker's producer ids: blocks of 1,000 ids taken from one
// counter in the metadata store by compare-and-set (as Kafka's brokers take
// blocks from the controller with AllocateProducerIds), so InitProducerId
// costs a metadata round trip once per thousand producers, and ids never
// repeat across the fleet or across restarts (an unused rest of a block is
// simply skipped).

import type { MetadataStore } from '../../s3stream/metadata/metadata-store.ts';

export const PRODUCER_ID_BLOCK_SIZE = 1000;
const NEXT_BLOCK_KEY = 'counters/producer-id-next-block';
/** Ids handed out one at a time before blocks existed; blocks start past it. */
const LEGACY_COUNTER_KEY = 'counters/producer-id';

export class ProducerIdBlocks {
  private readonly md: MetadataStore;
  private next = 0;
  private end = 0;
  private taking: Promise<void> | undefined;

  constructor(md: MetadataStore) {
    this.md = md;
  }

  async nextId(): Promise<number> {
    while (this.next >= this.end) {
      this.taking ??= this.takeBlock().finally(() => { this.taking = undefined; });
      await this.taking;
    }
    return this.next++;
  }

  private async takeBlock(): Promise<void> {
    for (let attempt = 0; attempt < 100; attempt++) {
      const cur = await this.md.get(NEXT_BLOCK_KEY);
      let start = typeof cur?.value === 'number' ? cur.value : 0;
      if (cur === undefined) {
        const legacy = await this.md.get(LEGACY_COUNTER_KEY);
        start = (typeof legacy?.value === 'number' ? legacy.value : 0) + 1;
      }
      if (await this.md.commit([{ op: 'put', key: NEXT_BLOCK_KEY, value: start + PRODUCER_ID_BLOCK_SIZE, expectVersion: cur?.version ?? 0 }])) {
        this.next = start;
        this.end = start + PRODUCER_ID_BLOCK_SIZE;
        return;
      }
    }
    throw new Error('producer id block: too much contention');
  }
}
