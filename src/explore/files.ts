// The files `snnc explore` and `snnc explore merge` write for a document.
import type { OutputFile } from '../io/atomic.js';
import type { ExploreDoc } from '../report/explore.js';
import { renderExploreCsv } from '../report/explore.js';
import { renderExplorePlot } from '../report/explore-plot.js';
import { renderJson } from '../report/json.js';

/** explore.json, explore.csv and explore.svg of a document. */
export function exploreFiles(doc: ExploreDoc): OutputFile[] {
  return [
    { path: 'explore.json', data: renderJson(doc) },
    { path: 'explore.csv', data: renderExploreCsv(doc) },
    { path: 'explore.svg', data: renderExplorePlot(doc) },
  ];
}
