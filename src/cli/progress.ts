// A one-line progress bar on stderr, only when stderr is a terminal (never in logs or pipes).
import type { CliIO } from './command.js';

export function progressBar(io: CliIO, quiet: boolean): (stage: string, done: number, total: number) => void {
  if (!io.isTTY || quiet) return () => undefined;
  let last = '';
  return (stage, done, total) => {
    const frac = total > 0 ? Math.min(1, done / total) : 0;
    const width = 24;
    const fill = Math.round(frac * width);
    const line = `\r${stage.padEnd(18)} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${(100 * frac).toFixed(0).padStart(3)}%`;
    if (line !== last) io.stderr(line + (frac >= 1 ? '\n' : ''));
    last = line;
  };
}
