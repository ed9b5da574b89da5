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
// Before 20.19 (or with --no-experimental-require-module) Node cannot require() an ES module, which
// @fastify/static (under Swagger UI) does: tsx can.
const needsTsx = process.features.require_module !== true;
if (entry === undefined) {
  // A production install (no devDependencies) that was never built: tsx, a dependency, still runs it.
  console.error('No tsc to compile src/ and no dist/: running src/ through tsx (slower to start; `npm install` brings tsc)');
  await import('tsx');
  entry = join(root, 'src', 'cli.ts');
} else {
  if (needsTsx) await import('tsx');
  // Stack traces name the .ts files, as they did through tsx.
  process.setSourceMapsEnabled(true);
}
// src/cli.ts reads process.argv and sets the exit code itself, as when it is run directly.
await import(pathToFileURL(entry).href);
