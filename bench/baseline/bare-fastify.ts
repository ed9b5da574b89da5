/**
 * The read benchmark's ceiling: Fastify answering a constant JSON body (the
 * API's own answer, captured), with no database, no auth and no logging.
 */
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const body: unknown = JSON.parse(readFileSync(process.env.BODY_FILE as string, 'utf8'));
const app = Fastify({ logger: false });
app.get('/*', async () => body);
const address = await app.listen({ port: 0, host: '127.0.0.1' });
console.log(`listening ${address}`);
