import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generatedFiles, repositoryRoot } from './generated-files.js';

/** `npm run client:generate`: writes the OpenAPI document and the client's types, and says which changed. */
for (const file of await generatedFiles()) {
  const path = join(repositoryRoot, file.path);
  const before = await readFile(path, 'utf8').catch(() => undefined);
  if (before === file.content) {
    console.log(`${file.path}: unchanged`);
    continue;
  }
  await writeFile(path, file.content);
  console.log(`${file.path}: ${before === undefined ? 'written' : 'updated'}`);
}
