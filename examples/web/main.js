// The demo page: a drawing pad → 28×28 MNIST-style input → run() of the spiking network the
// snnc plugin compiled at build time → prediction, readout, spike raster, and the per-target
// energy from the compile report. No network access: everything is in the bundle.
import lenet from '../lenet.onnx?snn';
import { pixels, labels } from 'virtual:snnc-digits';

const $ = (id) => document.getElementById(id);
const pad = $('pad');
const ctx = pad.getContext('2d', { willReadFrequently: true });
const F = 28 * 28;

function clearPad() {
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, pad.width, pad.height);
}

/** MNIST's own preprocessing: the ink's bounding box scaled to 20 px, centred by mass in 28×28. */
function padToInput() {
  const { data, width, height } = ctx.getImageData(0, 0, pad.width, pad.height);
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    if (data[(y * width + x) * 4] > 20) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
  }
  const out = new Float32Array(F);
  if (x1 < 0) return out;
  const w = x1 - x0 + 1, h = y1 - y0 + 1, s = 20 / Math.max(w, h);
  const small = document.createElement('canvas');
  small.width = 28; small.height = 28;
  const sc = small.getContext('2d', { willReadFrequently: true });
  sc.imageSmoothingQuality = 'high';
  sc.drawImage(pad, x0, y0, w, h, 0, 0, Math.max(1, Math.round(w * s)), Math.max(1, Math.round(h * s)));
  const img = sc.getImageData(0, 0, 28, 28).data;
  let m = 0, mx = 0, my = 0;
  for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) { const v = img[(y * 28 + x) * 4] / 255; m += v; mx += v * x; my += v * y; }
  const dx = Math.round(14 - mx / m), dy = Math.round(14 - my / m);
  for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) {
    const sx = x - dx, sy = y - dy;
    if (sx >= 0 && sx < 28 && sy >= 0 && sy < 28) out[y * 28 + x] = img[(sy * 28 + sx) * 4] / 255;
  }
  return out;
}

function showInput(x) {
  const img = ctx.createImageData(28, 28);
  for (let i = 0; i < F; i++) { const v = Math.round(x[i] * 255); img.data.set([v, v, v, 255], i * 4); }
  const tmp = document.createElement('canvas');
  tmp.width = 28; tmp.height = 28;
  tmp.getContext('2d').putImageData(img, 0, 0);
  clearPad();
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(tmp, 0, 0, pad.width, pad.height);
}

function showResult(r) {
  $('steps').textContent = String(r.T);
  $('prediction').textContent = String(r.prediction);
  const max = Math.max(1, ...r.readout.map((v) => Math.abs(v)));
  $('readout').replaceChildren(...r.readout.flatMap((v, c) => {
    const label = document.createElement('span'); label.textContent = String(c);
    const bar = document.createElement('div'); bar.className = 'bar'; bar.style.width = `${Math.max(0, (100 * v) / max)}%`;
    if (c === r.prediction) bar.style.background = '#d8553b';
    const num = document.createElement('span'); num.textContent = String(v);
    return [label, bar, num];
  }));
  const box = $('raster');
  box.replaceChildren(box.firstElementChild);
  for (const layer of r.spikes) {
    const active = [...new Set(layer.raster.flatMap((ids) => Array.from(ids)))].sort((a, b) => a - b).slice(0, 160);
    const row = new Map(active.map((n, i) => [n, i]));
    const c = document.createElement('canvas');
    c.width = r.T * 3; c.height = Math.max(1, active.length);
    c.style.width = `${r.T * 6}px`; c.style.height = `${Math.max(2, active.length * 2)}px`;
    const g = c.getContext('2d');
    g.fillStyle = '#f3f5f8'; g.fillRect(0, 0, c.width, c.height); g.fillStyle = '#1d2733';
    layer.raster.forEach((ids, t) => { for (const n of ids) { const y = row.get(n); if (y !== undefined) g.fillRect(t * 3, y, 2, 1); } });
    const label = document.createElement('div'); label.className = 'label';
    label.textContent = `${layer.layer}: ${layer.perStep.reduce((a, b) => a + b, 0)} spikes, ${active.length} of ${layer.neurons} neurons active`;
    box.append(label, c);
  }
}

function run(x) {
  const r = lenet.run(x, { raster: true });
  showResult(r);
  return r;
}

const fmt = (v, unit) => {
  if (v === null || v === undefined) return '–';
  const p = [[1e-12, 'p'], [1e-9, 'n'], [1e-6, 'µ'], [1e-3, 'm'], [1, '']].reverse().find(([s]) => Math.abs(v) >= s) ?? [1e-12, 'p'];
  return `${(v / p[0]).toPrecision(3)} ${p[1]}${unit}`;
};

function showTargets(report) {
  if (report === null) { $('targets').textContent = 'no targets were compiled'; return; }
  const t = document.createElement('table');
  t.innerHTML = '<tr><th>target</th><th>status</th><th>accuracy</th><th>energy / inference</th><th>latency</th></tr>';
  for (const r of report.targets) {
    const tr = document.createElement('tr');
    for (const v of [r.target, r.status, r.accuracy === null ? '–' : `${(100 * r.accuracy).toFixed(1)} %`, fmt(r.energyJ, 'J'), fmt(r.latencyS, 's')]) {
      const td = document.createElement('td'); td.textContent = v; tr.append(td);
    }
    tr.title = r.note ?? '';
    t.append(tr);
  }
  const note = document.createElement('p');
  note.className = 'label';
  note.textContent = `accuracy: float SNN on ${report.settings.samples} test images, each target's hardware simulation on its own sample (report.json has the details); energy and latency from snnc's cost models with cited constants.`;
  $('targets').replaceChildren(t, note);
}

const digit = (i) => Float32Array.from(pixels.subarray(i * F, (i + 1) * F), (v) => v / 255);

let drawing = false;
pad.addEventListener('pointerdown', (e) => { drawing = true; pad.setPointerCapture(e.pointerId); stroke(e); });
pad.addEventListener('pointermove', (e) => { if (drawing) stroke(e); });
pad.addEventListener('pointerup', () => { drawing = false; run(padToInput()); });
function stroke(e) {
  const b = pad.getBoundingClientRect();
  ctx.fillStyle = '#fff';
  ctx.beginPath();
  ctx.arc(((e.clientX - b.left) * pad.width) / b.width, ((e.clientY - b.top) * pad.height) / b.height, 11, 0, 2 * Math.PI);
  ctx.fill();
}
$('clear').addEventListener('click', () => { clearPad(); $('prediction').textContent = '–'; });
labels.forEach((label, i) => {
  const b = document.createElement('button');
  b.textContent = String(label);
  b.title = `test digit ${i} (label ${label})`;
  b.addEventListener('click', () => { const x = digit(i); showInput(x); run(x); });
  $('samples').append(b);
});

clearPad();
showTargets(lenet.report);
// For tests and the curious: run the bundled test digits from the console.
window.snncDemo = { labels, manifest: lenet.manifest, runDigit: (i) => { const x = digit(i); showInput(x); const r = run(x); return { prediction: r.prediction, readout: r.readout }; } };
document.body.dataset.ready = 'true';
