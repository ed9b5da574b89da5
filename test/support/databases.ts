import { randomBytes } from 'node:crypto';
import { getTableName, isTable, sql } from 'drizzle-orm';
import pg from 'pg';
import type { DatabaseConfig } from '../../src/config/load-config.js';
import { type Database, openDatabase } from '../../src/db/client.js';
import { migrate } from '../../src/db/migrate.js';
import * as schema from '../../src/db/schema/index.js';
import { owner } from './owner.js';

export type DatabaseKind = 'pglite' | 'postgres';
export const databaseKinds: readonly DatabaseKind[] = ['pglite', 'postgres'];

/** The machine's PostgreSQL, as a superuser that may create databases. */
export const adminUrl = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  readonly kind: DatabaseKind;
  readonly database: Database;
  /** For a process of its own (`DATABASE_URL`); undefined for the in-memory PGlite, which no other process can reach. */
  readonly url: string | undefined;
  /** Empties every table, for the next test. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

const tableNames = Object.values(schema)
  .filter((value) => isTable(value))
  .map((table) => `"${getTableName(table)}"`);

/**
 * A migrated database of its own for this test file: an in-memory PGlite
 * (opening one costs seconds and hundreds of MiB, so files share it across
 * tests and reset it), or a fresh database on the machine's PostgreSQL,
 * dropped at the end.
 */
export async function openTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  const { config, url, drop } =
    kind === 'pglite'
      ? { config: { kind, dataDir: null } as DatabaseConfig, url: undefined, drop: async () => {} }
      : await createPostgresDatabase();
  const database = await openDatabase(config);
  await migrate(database);
  return {
    kind,
    database,
    url,
    reset: async () => {
      await database.db.execute(sql.raw(`truncate ${tableNames.join(', ')} cascade`));
    },
    close: async () => {
      await database.close();
      await drop();
    },
  };
}

/** `bookly_test_p<owner pid>_<random>`: the sweep reads the owner back from the name. */
export const testDatabaseName = /^bookly_test_p(\d+)_[0-9a-f]+$/;

/** A new, empty database on the machine's PostgreSQL. */
export async function createPostgresDatabase(): Promise<{ config: DatabaseConfig; url: string; drop(): Promise<void> }> {
  const name = `bookly_test_p${owner}_${randomBytes(6).toString('hex')}`;
  await adminQuery(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    config: { kind: 'postgres', url: url.toString(), poolSize: 10 },
    url: url.toString(),
    drop: async () => {
      await adminQuery(`drop database if exists ${name} with (force)`);
    },
  };
}

/** One statement on the machine's PostgreSQL as its superuser; its rows. */
export async function adminQuery(text: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`The tests need PostgreSQL at ${adminUrl} (set TEST_POSTGRES_URL): ${(error as Error).message}`);
  }
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}
