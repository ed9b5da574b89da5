import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made = new Set<string>();
process.on('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A new folder under the system's temp folder, removed when the test process exits, whatever its tests did. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `bookly-${prefix}-`));
  made.add(dir);
  return dir;
}
