/**
 * Bookly's `serve` in WORKERS processes sharing one port (`node:cluster`):
 * what one API process per core would give. The primary only forks and
 * hands out connections (round-robin, Node's default on Linux); each worker
 * is `bookly serve` as `npm start` runs it, with the environment given here.
 * Prints `ready URL` once every worker has said it is ready.
 */
import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';

const count = Number(process.env.WORKERS ?? 2);
const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

// Piped (silent), so that the primary can see each one's "ready"; the bench reads the primary's output alone.
cluster.setupPrimary({ exec: cli, args: ['serve'], execArgv: ['--import', import.meta.resolve('tsx')], silent: true });

function whenReady(worker: Worker): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    let ready = false;
    const onData = (chunk: Buffer) => {
      if (ready) return; // the request log, read and dropped as a pipe must be
      output += chunk.toString();
      const match = /"address":"(http:\/\/[^"]+)","msg":"ready"/.exec(output);
      if (match) {
        ready = true;
        resolve(match[1] as string);
      }
    };
    worker.process.stdout?.on('data', onData);
    worker.process.stderr?.on('data', onData);
    worker.once('exit', (code) => {
      if (!ready) reject(new Error(`a worker exited with ${code} before it was ready:\n${output}`));
      // One that dies later leaves the measurement a process short: better no figure.
      else process.exit(1);
    });
  });
}

// One at a time: the first migrates (should the database need it), the others find it done.
const urls: string[] = [];
for (let i = 0; i < count; i++) urls.push(await whenReady(cluster.fork()));
// A worker asked for port 0 gets the one the primary opened for the first: all say the same address.
if (new Set(urls).size !== 1) throw new Error(`the workers listen apart: ${urls.join(', ')}`);
console.log(
  `ready ${urls[0]} pids ${Object.values(cluster.workers ?? {})
    .map((w) => w?.process.pid)
    .join(',')}`,
);
