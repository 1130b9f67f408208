// Entry point of the benchmark harness: `npm run bench -- <workload>`.
// Each workload is a module in bench/ that prints its figures and writes a
// report to bench/reports/.

const workloads: Record<string, string> = {
  codec: './codec.ts',
  wal: './wal.ts',
  produce: './produce.ts',
  compare: './compare.ts',
  storage: './storage.ts',
  http: './http.ts',
};

const name = process.argv[2];
if (name === undefined || !(name in workloads)) {
  console.error(`usage: npm run bench -- <workload>\nworkloads: ${Object.keys(workloads).join(', ')}`);
  process.exit(2);
}
await import(workloads[name]!);
