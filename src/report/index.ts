// Reports of `snnc compile`: the data (types.ts), its schema check, and three renderers.
export type * from './types.js';
export { targetResultFromCost, UNAVAILABLE, baselineFromCost } from './build.js';
export { validateReport } from './schema.js';
export { renderJson } from './json.js';
export { renderMarkdown } from './markdown.js';
export { renderHtml } from './html.js';
export { escapeHtml, escapeMarkdown } from './escape.js';
export { formatSI, formatPercent, formatRatio, formatCount, exactNumber } from './format.js';
