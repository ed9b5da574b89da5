import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, it } from 'node:test';
import { type GeneratedFile, generatedFiles, repositoryRoot } from '../../client/scripts/generated-files.js';

/** Where two texts part, for a message that says where to look. */
function firstDifference(committed: string, generated: string): string {
  const a = committed.split('\n');
  const b = generated.split('\n');
  const line = a.findIndex((text, index) => text !== b[index]);
  const at = line === -1 ? a.length : line;
  return `line ${at + 1}: committed ${JSON.stringify(a[at] ?? '(end of file)')}, generated ${JSON.stringify(b[at] ?? '(end of file)')}`;
}

let files: GeneratedFile[];
before(async () => {
  files = await generatedFiles();
});

it('the committed OpenAPI document and client types are what the routes generate', async () => {
  const stale: string[] = [];
  for (const file of files) {
    const committed = await readFile(join(repositoryRoot, file.path), 'utf8').catch(() => undefined);
    if (committed === undefined) stale.push(`${file.path} is missing: run npm run client:generate`);
    else if (committed !== file.content) {
      stale.push(`${file.path} is out of date (${firstDifference(committed, file.content)}): run npm run client:generate`);
    }
  }
  assert.deepEqual(stale, []);
});

it('generates the document the server serves, and types for each of its paths', async () => {
  const [document, schema] = files;
  assert.ok(document && schema);
  assert.deepEqual([document.path, schema.path], ['docs/openapi.json', 'client/src/schema.ts']);
  const { paths } = JSON.parse(document.content) as { paths: Record<string, unknown> };
  assert.ok(paths['/api/v1/auth/login'] && paths['/api/v1/books/{book_uid}'], 'the API routes are in the document');
  for (const path of Object.keys(paths)) assert.ok(schema.content.includes(`"${path}": {`), `the types have ${path}`);
  assert.equal(firstDifference('a\nb\n', 'a\nc\n'), 'line 2: committed "b", generated "c"');
});
