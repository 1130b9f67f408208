// Owns the one-page cluster overview served at "/": topics, throughput,
// consumer lag and object storage at a glance. Plain HTML with a small script
// that polls /admin/overview every two seconds; no build step, no framework.

export const OVERVIEW_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>floe</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 24px; color: #1b1f24; background: #fafbfc; }
  h1 { font-size: 20px; margin: 0 0 4px; }
  .sub { color: #57606a; margin-bottom: 20px; }
  .cards { display: flex; gap: 12px; flex-wrap: wrap; margin-bottom: 20px; }
  .card { background: white; border: 1px solid #d0d7de; border-radius: 6px; padding: 12px 16px; min-width: 150px; }
  .card .v { font-size: 22px; font-weight: 600; }
  .card .k { color: #57606a; font-size: 12px; }
  table { border-collapse: collapse; background: white; margin-bottom: 20px; min-width: 520px; }
  th, td { border: 1px solid #d0d7de; padding: 6px 10px; text-align: left; font-size: 13px; }
  th { background: #f6f8fa; }
  td.n { text-align: right; font-variant-numeric: tabular-nums; }
  h2 { font-size: 15px; margin: 16px 0 8px; }
</style>
</head>
<body>
<h1>floe</h1>
<div class="sub" id="cluster">loading...</div>
<div class="cards">
  <div class="card"><div class="v" id="in">-</div><div class="k">produce MB/s</div></div>
  <div class="card"><div class="v" id="out">-</div><div class="k">fetch MB/s</div></div>
  <div class="card"><div class="v" id="conns">-</div><div class="k">connections</div></div>
  <div class="card"><div class="v" id="objects">-</div><div class="k">objects uploaded</div></div>
  <div class="card"><div class="v" id="pending">-</div><div class="k">pending upload MB</div></div>
</div>
<h2>Topics</h2>
<table id="topics"><thead><tr><th>topic</th><th>partitions</th><th>records (high watermark sum)</th><th>log start sum</th></tr></thead><tbody></tbody></table>
<h2>Consumer groups</h2>
<table id="groups"><thead><tr><th>group</th><th>state</th><th>members</th><th>lag</th></tr></thead><tbody></tbody></table>
<h2>Cost and usage per topic</h2>
<table id="usage"><thead><tr><th>topic</th><th>stored MB</th><th>MB in</th><th>MB out</th><th>PUTs</th><th>GETs</th><th>USD/day</th></tr></thead><tbody></tbody></table>
<p class="k" id="prices"></p>
<script>
  let last;
  const fmt = (n, d = 1) => Number(n).toFixed(d);
  const cell = (v, num) => { const td = document.createElement('td'); td.textContent = v; if (num) td.className = 'n'; return td; };
  function fill(id, rows) {
    const body = document.querySelector('#' + id + ' tbody');
    body.replaceChildren(...rows.map((r) => { const tr = document.createElement('tr'); for (const [v, num] of r) tr.append(cell(v, num)); return tr; }));
  }
  async function refresh() {
    const o = await (await fetch('/admin/overview')).json();
    document.getElementById('cluster').textContent = 'cluster ' + o.clusterId + ' · broker ' + o.nodeId + ' · ' + o.durability + ' · ' + o.objectStore;
    if (last) {
      const dt = (o.at - last.at) / 1000;
      document.getElementById('in').textContent = fmt((o.producedBytes - last.producedBytes) / dt / 1e6, 2);
      document.getElementById('out').textContent = fmt((o.fetchedBytes - last.fetchedBytes) / dt / 1e6, 2);
    }
    last = o;
    document.getElementById('conns').textContent = o.connections;
    document.getElementById('objects').textContent = o.uploads;
    document.getElementById('pending').textContent = fmt(o.pendingUploadBytes / 1e6, 2);
    fill('topics', o.topics.map((t) => [[t.name], [t.partitions, true], [t.highWatermark, true], [t.logStartOffset, true]]));
    fill('groups', o.groups.map((g) => [[g.groupId], [g.state], [g.members, true], [g.lag, true]]));
    const u = await (await fetch('/admin/usage')).json();
    fill('usage', u.topics.map((t) => [[t.topic], [fmt(t.storedBytes / 1e6, 2), true], [fmt(t.bytesIn / 1e6, 2), true], [fmt(t.bytesOut / 1e6, 2), true],
      [fmt(t.puts, 1), true], [t.gets, true], [fmt(t.usdPerDay.total, 6), true]]));
    document.getElementById('prices').textContent = 'prices: $' + u.prices.putPer1000 + ' per 1,000 PUTs, $' + u.prices.getPer1000 + ' per 1,000 GETs, $'
      + u.prices.storageGbMonth + ' per GB-month; requests since this broker started, per day of its uptime';
  }
  refresh(); setInterval(refresh, 2000);
</script>
</body>
</html>
`;
