import type { PGlite } from '@electric-sql/pglite';
import type { ExtractTablesWithRelations, Logger } from 'drizzle-orm';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import pg from 'pg';
import type { DatabaseConfig } from '../config/load-config.js';
import { lockDataDir } from './embedded-lock.js';
import * as schema from './schema/index.js';

type Schema = typeof schema;
/** The query interface both drivers share: the same query code runs on PGlite and on a server. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** Where a query can run: the database itself or an open transaction. */
export type Executor = Db | Tx;

export interface Database {
  readonly db: Db;
  readonly kind: 'pglite' | 'postgres';
  /**
   * True when no other process can reach this database (PGlite): anything a
   * previous process left running was left by a process that is gone.
   */
  readonly exclusive: boolean;
  /** Statements run through `db` since it opened (for `/metrics`, and for tests that count queries). */
  readonly stats: { queries: number };
  /** The raw driver, for migrations and test resets. */
  readonly driver: { kind: 'pglite'; client: PGlite } | { kind: 'postgres'; pool: pg.Pool };
  ping(): Promise<void>;
  close(): Promise<void>;
}

export async function openDatabase(config: DatabaseConfig): Promise<Database> {
  return config.kind === 'pglite' ? openPglite(config.dataDir) : openPostgres(config.url, config.poolSize);
}

async function openPglite(dataDir: string | null): Promise<Database> {
  // Loaded only for PGlite: a server's API need not load the embedded database's driver.
  const [{ PGlite }, { drizzle: drizzlePglite }] = await Promise.all([import('@electric-sql/pglite'), import('drizzle-orm/pglite')]);
  const unlock = dataDir === null ? () => {} : lockDataDir(dataDir);
  let client: PGlite;
  try {
    client = dataDir === null ? new PGlite() : new PGlite(dataDir);
    await client.waitReady;
  } catch (error) {
    unlock();
    throw error;
  }
  const stats = { queries: 0 };
  // The PGlite driver's HKT differs from the generic one only in its result type, which no query here uses.
  const db = drizzlePglite({ client, schema, logger: counter(stats) }) as unknown as Db;
  return {
    db,
    stats,
    kind: 'pglite',
    exclusive: true,
    driver: { kind: 'pglite', client },
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    close: async () => {
      await client.close();
      unlock();
    },
  };
}

async function openPostgres(url: string, poolSize: number): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 5000 });
  // A client that loses its server emits 'error': the pool listens on idle ones, and this on those
  // checked out (a transaction under way when PostgreSQL restarts), which would crash the process
  // otherwise. The statement under way fails with the same error, and that is where it is handled.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const stats = { queries: 0 };
  const db = drizzlePg({ client: pool, schema, logger: counter(stats) }) as unknown as Db;
  return {
    db,
    stats,
    kind: 'postgres',
    exclusive: false,
    driver: { kind: 'postgres', pool },
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    close: () => pool.end(),
  };
}

function counter(stats: { queries: number }): Logger {
  return {
    logQuery() {
      stats.queries++;
    },
  };
}
