import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onExit, owner } from './owner.js';

/** `bookly-<what>-p<owner pid>-<random>`: the sweep reads the owner back from the name. */
export const tempDirName = /^bookly-.+-p(\d+)-[A-Za-z0-9]{6}$/;

/** A new folder under the system's temp folder, removed when this process exits, whatever its tests did. */
export function tempDir(what: string): string {
  const dir = mkdtempSync(join(tmpdir(), `bookly-${what}-p${owner}-`));
  onExit(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
