// `npm run bench`: every benchmark in sequence. Add a bench by adding a line to BENCHES.
import { benchInterp } from './interp.js';

const BENCHES: readonly { readonly name: string; readonly run: () => Promise<void> }[] = [
  { name: 'interp', run: benchInterp },
];

for (const b of BENCHES) {
  console.log(`== bench/${b.name} ==`);
  await b.run();
}
