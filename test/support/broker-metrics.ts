// Reads one sample of a broker's Prometheus metrics (its HTTP port), as the
// line `name{labels} value` shows it; 0 when the sample is not there yet.

export async function brokerMetric(httpPort: number, sample: string, host = '127.0.0.1'): Promise<number> {
  const text = await (await fetch(`http://${host}:${httpPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line === undefined ? 0 : Number(line.slice(sample.length + 1));
}
