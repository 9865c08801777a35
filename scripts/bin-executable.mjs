// After tsc: make every `bin` target of package.json executable. tsc writes new files with
// mode 0644, so on a fresh clone `npx snnc` would fail with "Permission denied" otherwise.
import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const bins = typeof pkg.bin === 'string' ? [pkg.bin] : Object.values(pkg.bin ?? {});
for (const rel of bins) {
  const file = join(root, rel);
  if (!existsSync(file)) {
    console.error(`bin-executable: ${rel} does not exist (did tsc run?)`);
    process.exit(1);
  }
  chmodSync(file, statSync(file).mode | 0o111);
}
