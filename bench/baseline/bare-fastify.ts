/**
 * The read benchmark's ceiling: Fastify answering a constant JSON body (the
 * API's own answer, captured), with no database, no auth and no logging.
 */
import Fastify from 'fastify';

const body: unknown = JSON.parse(process.env.BODY as string);
const app = Fastify({ logger: false });
app.get('/*', async () => body);
const address = await app.listen({ port: 0, host: '127.0.0.1' });
console.log(`listening ${address}`);
