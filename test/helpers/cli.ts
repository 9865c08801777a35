// The CLI run in process, its output captured: what the CLI tests check.
import { main } from '../../src/cli/main.js';
import type { CliIO } from '../../src/cli/main.js';

export async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIO = { stdout: (s) => (out += s), stderr: (s) => (err += s), isTTY: false };
  const code = await main(argv, io);
  return { code, out, err };
}
