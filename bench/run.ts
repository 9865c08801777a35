// `npm run bench`: every benchmark in sequence. Add a bench by adding a line to BENCHES.
import { benchInterp } from './interp.js';
import { runSnnBench } from './snn.js';
import { runAccuracyBench } from './accuracy.js';
import { runQuantizeBench } from './quantize.js';
import { runExploreBench } from './explore.js';
import { runMatrixBench } from './matrix.js';
import { runRetrainBench } from './retrain.js';

const BENCHES: readonly { readonly name: string; readonly run: () => Promise<void> }[] = [
  { name: 'interp', run: benchInterp },
  { name: 'snn', run: runSnnBench },
  { name: 'accuracy', run: () => runAccuracyBench() },
  { name: 'quantize', run: runQuantizeBench },
  { name: 'explore', run: runExploreBench },
  { name: 'matrix', run: () => runMatrixBench() },
  { name: 'retrain', run: () => runRetrainBench() },
];

for (const b of BENCHES) {
  console.log(`== bench/${b.name} ==`);
  await b.run();
}
