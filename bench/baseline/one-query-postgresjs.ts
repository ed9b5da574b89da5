/**
 * The one-query limit on postgres.js instead of `pg`, the same statements
 * prepared and the same bodies (one-query-app.ts): what the driver alone
 * costs a read. DATABASE_URL and POOL_SIZE are the API's own.
 */
import postgres from 'postgres';
import { serveOneQuery } from './one-query-app.js';

const sql = postgres(process.env.DATABASE_URL as string, { max: Number(process.env.POOL_SIZE) });

// `unsafe` takes the SQL text as it is, and prepares it only when asked (tagged templates prepare by default).
await serveOneQuery(async ({ text }, values) => await sql.unsafe(text, [...values] as (string | number)[], { prepare: true }));
