// The snnc web demo: LeNet compiled by the snnc vite plugin at build time.
//   npm run build && npx vite examples/web          (dev server)
//   npx vite build examples/web                      (static site in examples/web/dist)
// SNNC_DEMO_TARGETS (comma-separated, default "all") chooses the targets in the energy table.
import { defineConfig } from 'vite';
import snnc from 'snnc/vite';
import { loadMnist } from 'snnc';

const targets = (process.env.SNNC_DEMO_TARGETS ?? 'all').split(',').filter((t) => t !== '');
const SAMPLES = 16;

/** `virtual:snnc-digits`: the first test digits of the embedded MNIST split, made at build time. */
function digits() {
  const id = 'virtual:snnc-digits';
  return {
    name: 'snnc-demo-digits',
    resolveId: (s) => (s === id ? `\0${id}` : null),
    load(i) {
      if (i !== `\0${id}`) return null;
      const d = loadMnist('test', { limit: SAMPLES });
      const px = Array.from(d.x.data, (v) => Math.round(v * 255));
      return `export const pixels = new Uint8Array(${JSON.stringify(px)});\nexport const labels = ${JSON.stringify(Array.from(d.y))};\n`;
    },
  };
}

export default defineConfig({
  root: import.meta.dirname,
  logLevel: 'warn',
  plugins: [snnc({ targets, T: 32, n: 500, hwSamples: 50 }), digits()],
  build: { outDir: 'dist', emptyOutDir: true },
});
