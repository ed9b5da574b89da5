import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { it } from 'node:test';

const root = resolve(import.meta.dirname, '../..');
const pages = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const found = new Set<string>();
  const withoutCode = markdown.replace(/^```[\s\S]*?^```/gm, '');
  for (const [, heading = ''] of withoutCode.matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const slug = heading
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    found.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return found;
}

function links(markdown: string): string[] {
  const withoutCode = markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
  return [...withoutCode.matchAll(/\]\(([^)\s]+)\)/g)].map(([, target = '']) => target);
}

it('every link in the README and docs/ leads to a file of this repository, or a heading that exists', () => {
  const dead: string[] = [];
  for (const page of pages) {
    const text = readFileSync(join(root, page), 'utf8');
    for (const target of links(text)) {
      if (/^(https?|mailto):/.test(target)) continue;
      const [path = '', anchor] = target.split('#');
      const file = path === '' ? join(root, page) : resolve(dirname(join(root, page)), path);
      if (!file.startsWith(`${root}/`) && file !== root) dead.push(`${page}: ${target} leaves the repository`);
      else if (!existsSync(file)) dead.push(`${page}: ${target} (no ${relative(root, file)})`);
      else if (anchor && statSync(file).isFile() && !anchors(readFileSync(file, 'utf8')).has(anchor)) {
        dead.push(`${page}: ${target} (no heading #${anchor} in ${relative(root, file)})`);
      }
    }
  }
  assert.deepEqual(dead, []);
});

it('finds a dead link when there is one', () => {
  assert.ok(anchors('## Calling the API from TypeScript\n').has('calling-the-api-from-typescript'));
  assert.ok(anchors('## Books — `/api/v1/books`\n').has('books--apiv1books'));
  assert.deepEqual(links('see [a](docs/x.md#y) and `[b](not-a-link)`'), ['docs/x.md#y']);
});
