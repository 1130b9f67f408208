// Owns the one-page console served at "/": topics, throughput, consumer lag,
// group members and their partitions, object storage, cost per topic and
// group at a glance; charts of throughput per topic and lag per group over
// the last hour (from /admin/history); a record browser (a partition
// from an offset or a time, values decoded with their registered schema where they
// have one) and a form that produces a test record, both through the REST
// API. Plain HTML with a small script that polls /admin/overview every two
// seconds; no build step, no framework.

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
  pre { margin: 0; font-size: 12px; white-space: pre-wrap; max-width: 560px; }
  form { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; margin-bottom: 10px; font-size: 13px; }
  input, select, button { font: inherit; padding: 3px 6px; }
  .k { color: #57606a; font-size: 12px; }
  .charts { display: flex; gap: 16px; flex-wrap: wrap; margin-bottom: 12px; }
  .chart { background: white; border: 1px solid #d0d7de; border-radius: 6px; padding: 8px 12px; }
  .chart svg { display: block; }
  .legend { font-size: 12px; color: #57606a; max-width: 520px; }
  .legend span { margin-right: 10px; white-space: nowrap; }
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
<h2>Last hour</h2>
<div class="charts">
  <div class="chart"><div class="k">throughput per topic, MB/s (in + out, this broker)</div><svg id="chart-topics" width="520" height="150"></svg><div class="legend" id="legend-topics"></div></div>
  <div class="chart"><div class="k">lag per group, records</div><svg id="chart-groups" width="520" height="150"></svg><div class="legend" id="legend-groups"></div></div>
</div>
<h2>Topics</h2>
<table id="topics"><thead><tr><th>topic</th><th>partitions</th><th>records (high watermark sum)</th><th>log start sum</th></tr></thead><tbody></tbody></table>
<h2>Consumer groups</h2>
<table id="groups"><thead><tr><th>group</th><th>state</th><th>members</th><th>lag</th><th>members and their partitions</th></tr></thead><tbody></tbody></table>
<h2>Cost and usage per topic</h2>
<table id="usage"><thead><tr><th>topic</th><th>stored MB</th><th>records</th><th>MB in</th><th>MB out</th><th>PUTs</th><th>GETs</th><th>USD/day</th></tr></thead><tbody></tbody></table>
<p class="k" id="prices"></p>
<h2>Reads per consumer group</h2>
<table id="group-usage"><thead><tr><th>group</th><th>records consumed</th><th>topics</th><th>reads USD/day (estimated share)</th></tr></thead><tbody></tbody></table>
<h2>Records</h2>
<form id="browse">
  <label>topic <select id="browse-topic"></select></label>
  <label>partition <input id="browse-partition" type="number" min="0" value="0" size="4"></label>
  <label>from offset <input id="browse-offset" type="number" min="0" value="0" size="8"></label>
  <label>or from time <input id="browse-time" type="datetime-local" step="1"></label>
  <button type="submit">Read</button>
  <span class="k" id="browse-status"></span>
</form>
<table id="records"><thead><tr><th>offset</th><th>timestamp</th><th>key</th><th>value</th><th>headers</th></tr></thead><tbody></tbody></table>
<h2>Produce a test record</h2>
<form id="produce">
  <label>partition <input id="produce-partition" type="number" min="0" value="0" size="4"></label>
  <label>key <input id="produce-key" size="12"></label>
  <label>value (JSON, or text) <input id="produce-value" size="40"></label>
  <button type="submit">Produce</button>
  <span class="k" id="produce-status"></span>
</form>
<script>
  let last;
  let topicsSeen = '';
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
    fill('groups', o.groups.map((g) => [[g.groupId], [g.state], [g.members, true], [g.lag, true],
      [g.assignments.map((m) => m.clientId + '@' + m.clientHost + ': ' + (m.assignment ?? []).map((a) => a.topic + ' [' + a.partitions.join(',') + ']').join(' ')).join('; ')]]));
    const u = await (await fetch('/admin/usage')).json();
    fill('usage', u.topics.map((t) => [[t.topic], [fmt(t.storedBytes / 1e6, 2), true], [t.records, true], [fmt(t.bytesIn / 1e6, 2), true], [fmt(t.bytesOut / 1e6, 2), true],
      [fmt(t.puts, 1), true], [t.gets, true], [fmt(t.usdPerDay.total, 6), true]]));
    fill('group-usage', u.groups.map((g) => [[g.group], [g.records, true], [g.topics.map((t) => t.topic + ' ' + t.records).join(', ')], [fmt(g.readsUsdPerDay, 6), true]]));
    const h = await (await fetch('/admin/history')).json();
    chart('topics', h.samples, (s) => Object.fromEntries(Object.entries(s.topics).map(([k, v]) => [k, (v.in + v.out) / 1e6])));
    chart('groups', h.samples, (s) => s.groups);
    // The browser's topic list follows the cluster's, keeping the choice.
    const names = o.topics.map((t) => t.name).join(',');
    if (names !== topicsSeen) {
      topicsSeen = names;
      const select = document.getElementById('browse-topic');
      const chosen = select.value;
      select.replaceChildren(...o.topics.map((t) => { const opt = document.createElement('option'); opt.value = t.name; opt.textContent = t.name; return opt; }));
      if (o.topics.some((t) => t.name === chosen)) select.value = chosen;
    }
    document.getElementById('prices').textContent = 'prices: $' + u.prices.putPer1000 + ' per 1,000 PUTs, $' + u.prices.getPer1000 + ' per 1,000 GETs, $'
      + u.prices.storageGbMonth + ' per GB-month; requests since this broker started, per day of its uptime';
  }
  const COLORS = ['#0969da', '#cf222e', '#1a7f37', '#8250df', '#bf8700'];
  // One line per series (the five largest over the hour), time across the last hour.
  function chart(id, samples, valuesOf) {
    const svg = document.getElementById('chart-' + id);
    const W = 520, H = 150, now = Date.now(), from = now - 3600000;
    const series = new Map();
    for (const s of samples) for (const [k, v] of Object.entries(valuesOf(s))) series.set(k, [...(series.get(k) ?? []), [s.at, v]]);
    const top = [...series].sort((a, b) => Math.max(...b[1].map((p) => p[1])) - Math.max(...a[1].map((p) => p[1]))).slice(0, COLORS.length);
    const max = Math.max(1e-9, ...top.flatMap(([, pts]) => pts.map((p) => p[1])));
    const ns = 'http://www.w3.org/2000/svg';
    const axis = document.createElementNS(ns, 'text');
    axis.setAttribute('x', '2'); axis.setAttribute('y', '10'); axis.setAttribute('font-size', '10'); axis.setAttribute('fill', '#57606a');
    axis.textContent = 'max ' + (max < 10 ? max.toFixed(3) : Math.round(max));
    const lines = top.map(([name, pts], i) => {
      const line = document.createElementNS(ns, 'polyline');
      line.setAttribute('fill', 'none'); line.setAttribute('stroke', COLORS[i]); line.setAttribute('stroke-width', '1.5');
      line.setAttribute('data-series', name);
      line.setAttribute('points', pts.map(([t, v]) => ((t - from) / 3600000 * W).toFixed(1) + ',' + (H - 4 - v / max * (H - 16)).toFixed(1)).join(' '));
      return line;
    });
    const label = (x, anchor, text) => {
      const t = document.createElementNS(ns, 'text');
      t.setAttribute('x', String(x)); t.setAttribute('y', String(H - 1)); t.setAttribute('font-size', '10'); t.setAttribute('fill', '#57606a'); t.setAttribute('text-anchor', anchor);
      t.textContent = text;
      return t;
    };
    svg.replaceChildren(axis, label(2, 'start', '60 min ago'), label(W - 2, 'end', 'now'), ...lines);
    const legend = document.getElementById('legend-' + id);
    legend.replaceChildren(...top.map(([name, pts], i) => { const s = document.createElement('span'); s.style.color = COLORS[i]; s.textContent = '■ ' + name + ' ' + (pts.at(-1)[1] < 10 ? pts.at(-1)[1].toFixed(3) : Math.round(pts.at(-1)[1])); return s; }));
    if (top.length === 0) { const s = document.createElement('span'); s.textContent = 'no samples yet'; legend.replaceChildren(s); }
  }
  // A key or value as the REST API gives it: decoded data as JSON, text as text, bytes as base64.
  const show = (v) => v === null ? '' : (typeof v.data === 'string' && v.type !== 'JSON' ? v.data : JSON.stringify(v.data, null, 2))
    + (v.schema_id !== undefined ? '\\n(' + v.type + ', schema ' + v.schema_id + ')' : '');
  const pre = (text) => { const td = document.createElement('td'); const p = document.createElement('pre'); p.textContent = text; td.append(p); return td; };
  async function browse(ev) {
    ev?.preventDefault();
    const topic = document.getElementById('browse-topic').value;
    const partition = document.getElementById('browse-partition').value;
    const offset = document.getElementById('browse-offset').value;
    const status = document.getElementById('browse-status');
    // A time (the browser's local time) reads from the first record at or after it; otherwise the offset.
    const time = document.getElementById('browse-time').value;
    const from = time !== '' ? 'timestamp=' + new Date(time).getTime() : 'offset=' + offset;
    const r = await fetch('/v3/clusters/' + last.clusterId + '/topics/' + encodeURIComponent(topic) + '/partitions/' + partition + '/records?' + from + '&max_records=50');
    const body = await r.json();
    if (!r.ok) { status.textContent = body.message ?? ('error ' + r.status); return; }
    status.textContent = body.data.length + ' records; high watermark ' + body.high_watermark;
    document.querySelector('#records tbody').replaceChildren(...body.data.map((x) => {
      const tr = document.createElement('tr');
      tr.append(cell(x.offset, true), cell(x.timestamp), pre(show(x.key)), pre(show(x.value)), pre(x.headers.map((h) => h.name + '=' + atob(h.value ?? '')).join('\\n')));
      return tr;
    }));
  }
  async function produce(ev) {
    ev.preventDefault();
    const topic = document.getElementById('browse-topic').value;
    const text = document.getElementById('produce-value').value;
    let value;
    try { value = { type: 'JSON', data: JSON.parse(text) }; } catch { value = { type: 'STRING', data: text }; }
    const key = document.getElementById('produce-key').value;
    const r = await fetch('/v3/clusters/' + last.clusterId + '/topics/' + encodeURIComponent(topic) + '/records', {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ partition_id: Number(document.getElementById('produce-partition').value), value, ...(key === '' ? {} : { key: { type: 'STRING', data: key } }) }),
    });
    const body = await r.json();
    document.getElementById('produce-status').textContent = r.ok ? 'written at offset ' + body.offset + ' of partition ' + body.partition_id : (body.message ?? ('error ' + r.status));
    if (r.ok) await browse();
  }
  document.getElementById('browse').addEventListener('submit', browse);
  document.getElementById('produce').addEventListener('submit', produce);
  refresh(); setInterval(refresh, 2000);
</script>
</body>
</html>
`;
