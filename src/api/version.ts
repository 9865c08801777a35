// The package version, read from package.json (works from src/ under tsx and from dist/).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageVersion(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json')) && dirname(d) !== d) d = dirname(d);
  return (JSON.parse(readFileSync(join(d, 'package.json'), 'utf8')) as { version: string }).version;
}
