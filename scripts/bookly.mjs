#!/usr/bin/env node
// `npm start`, `npm run worker`, `npm run migrate` and `npm run bookly -- …`: the CLI compiled by tsc,
// compiled first when src/ changed, rather than compiled by tsx at every start.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildWhenStale, outDir, root } from './build-when-stale.mjs';

let entry;
try {
  entry = buildWhenStale() === 'dist' ? join(outDir, 'cli.js') : undefined;
} catch (error) {
  console.error(error.message);
  process.exit(1);
}
if (entry === undefined) {
  // A production install (no devDependencies) that was never built: tsx, a dependency, still runs it.
  console.error('No tsc to compile src/ and no dist/: running src/ through tsx (slower to start; `npm install` brings tsc)');
  const { register } = await import('tsx/esm/api');
  register();
  entry = join(root, 'src', 'cli.ts');
} else {
  // Stack traces name the .ts files, as they did through tsx.
  process.setSourceMapsEnabled(true);
}
// src/cli.ts reads process.argv and sets the exit code itself, as when it is run directly.
await import(pathToFileURL(entry).href);
