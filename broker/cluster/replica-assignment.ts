// Owns Kafka's checks of a replica list given by hand (CreateTopics and
// CreatePartitions assignments, AlterPartitionReassignments), with Kafka's
// messages. In a diskless fleet the list only names brokers (its first leads);
// it must still name registered brokers, once each.

export function replicaListProblem(replicas: readonly number[], registered: (id: number) => boolean): string | undefined {
  if (replicas.length === 0) return 'The manual partition assignment includes an empty replica list.';
  const seen = new Set<number>();
  for (const id of replicas) {
    if (seen.has(id)) return `The manual partition assignment includes the broker ${id} more than once.`;
    seen.add(id);
    if (!registered(id)) return `The manual partition assignment includes broker ${id}, but no such broker is registered.`;
  }
  return undefined;
}
