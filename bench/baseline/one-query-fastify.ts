/**
 * The read benchmark's one-query limit on `pg`, Bookly's own driver: nothing
 * that reads those books through it can be cheaper (one-query-app.ts).
 * DATABASE_URL and POOL_SIZE are the API's own.
 */
import pg from 'pg';
import { serveOneQuery } from './one-query-app.js';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.POOL_SIZE) });

await serveOneQuery(async ({ name, text }, values) => (await pool.query({ name, text, values: [...values] })).rows);
