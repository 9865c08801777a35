// Writes the zoo to a folder (for the matrix bench and for looking at the models by hand):
// node dist/test/zoo/write.js <dir>
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { zooModels } from './models.js';

const dir = process.argv[2] ?? 'zoo';
mkdirSync(dir, { recursive: true });
for (const z of zooModels()) writeFileSync(join(dir, `${z.name}.onnx`), z.bytes);
