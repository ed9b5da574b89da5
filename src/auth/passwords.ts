import { availableParallelism } from 'node:os';
import { HashingThreads } from './hashing-threads.js';

// OWASP's argon2id minimum.
const options = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

/**
 * A core is left to the event loop. On libuv's pool (four threads whatever the machine), four
 * hashes at once on two cores took the main thread's core too, and a burst of 50 logins delayed
 * every other request by some 100 ms. The threads also run at the lowest priority, so that the
 * event loop and the database are not queued behind a hash on a machine that is busy anyway.
 */
export const hashesAtOnce = Math.max(1, availableParallelism() - 1);
const threads = new HashingThreads(hashesAtOnce);

export function hashPassword(password: string): Promise<string> {
  return threads.hash(password, options);
}

export function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  return threads.verify(passwordHash, password);
}

let decoy: Promise<string> | undefined;

/**
 * Spends the time a real check would, for a login with an unknown email, so
 * that the answer's timing does not tell which emails have accounts.
 */
export async function verifyDecoy(password: string): Promise<false> {
  decoy ??= hashPassword('decoy password that matches nothing');
  await verifyPassword(await decoy, password);
  return false;
}

/**
 * Checks passwords against stored hashes. A sign-in that must cost the same
 * whatever it is given calls exactly one of these once; a test counts the
 * calls through a verifier of its own.
 */
export interface PasswordVerifier {
  /** Whether `password` matches `passwordHash`. */
  verify(passwordHash: string, password: string): Promise<boolean>;
  /** The work of `verify`, against a hash nothing matches: for a guess with no account behind it. */
  verifyDecoy(password: string): Promise<false>;
}

export const argon2Verifier: PasswordVerifier = { verify: verifyPassword, verifyDecoy };
