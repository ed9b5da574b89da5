import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/load-config.js';

/**
 * The configured `JWT_SECRET`, or, outside production, one generated once and
 * kept under the data directory so that tokens survive a restart.
 */
export function resolveJwtSecret(config: Config, log: Logger): string {
  if (config.jwt.secret !== undefined) {
    if (Buffer.byteLength(config.jwt.secret) < 32) log.warn('JWT_SECRET is shorter than 32 bytes; a longer one is harder to guess');
    return config.jwt.secret;
  }
  const path = join(config.dataDir, 'jwt-secret');
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secret = randomBytes(48).toString('base64url');
  mkdirSync(config.dataDir, { recursive: true });
  writeFileSync(path, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  log.warn({ path }, 'JWT_SECRET is not set: generated one and kept it in the data directory (set JWT_SECRET in production)');
  return secret;
}
