import { type ChildProcess, execFile, execFileSync, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { chown, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { spawnOwned } from './children.js';
import { onExit } from './owner.js';
import { freePort } from './redis.js';
import { tempDir } from './temp-dir.js';

const run = promisify(execFile);

/**
 * A PostgreSQL server of the test's own, on a free port, with its data
 * directory in a temp folder: a fault test may stop it and start it again
 * (a database outage) without touching the machine's shared server.
 *
 * `stop()` is a crash, not a shutdown: the server quits at once, without a
 * checkpoint, and cuts every connection. `restart()` starts it again on the
 * same port and data directory, so it recovers from its WAL and everything
 * committed before the stop is still there.
 *
 * Always call `destroy()` in `after()`. Should the test process exit without
 * it (a test that threw before it, `process.exit`, SIGTERM), an exit hook
 * stops the server and removes the folder. Only a SIGKILL of the test
 * process leaves them behind, for the next run's sweep: a
 * `postgres -D /tmp/bookly-pg-p…/data` process and that folder.
 */
export class OwnPostgres {
  private postmaster: ChildProcess | undefined;
  private log = '';
  private destroyed = false;

  private constructor(
    readonly port: number,
    /** The temp folder holding the data directory; `destroy()` removes it. */
    private readonly folder: string,
  ) {}

  /** Its data directory; gone after `destroy()`. */
  get dataDir(): string {
    return join(this.folder, 'data');
  }

  /** Creates a cluster (superuser `postgres`, trust authentication) and starts it. */
  static async start(): Promise<OwnPostgres> {
    const server = new OwnPostgres(await freePort(), tempDir('pg'));
    // Registered after the folder's own removal, so it runs before it: the server stops first.
    onExit(() => server.destroySync());
    try {
      const user = serverUser();
      // initdb creates the data directory, as the server's user, inside the folder.
      if (user) await chown(server.folder, user.uid, user.gid);
      // --no-sync: a test's cluster need not survive the machine crashing, and syncing costs most of initdb's time.
      await run(bin('initdb'), ['-D', server.dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'], {
        ...user,
        env: serverEnv(),
      });
      await server.startPostmaster();
      return server;
    } catch (error) {
      await server.destroy();
      throw error;
    }
  }

  /** `postgres://postgres@127.0.0.1:PORT/DATABASE`; the database `postgres` by default. */
  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${encodeURIComponent(database)}`;
  }

  /** Creates an empty database and returns its url. */
  async createDatabase(name: string): Promise<string> {
    const client = new pg.Client({ connectionString: this.url(), connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
      await client.query(`create database "${name.replaceAll('"', '""')}"`);
    } finally {
      await client.end();
    }
    return this.url(name);
  }

  /** Stops it at once, as a crash would: connections are cut, and the port refuses new ones. Does nothing if it is not running. */
  async stop(): Promise<void> {
    const child = this.postmaster;
    this.postmaster = undefined;
    if (!child || hasExited(child)) return;
    const exited = once(child, 'exit');
    // SIGQUIT is pg_ctl's immediate stop, the crash without its litter: the postmaster SIGQUITs its backends,
    // waits for them (SIGKILLing them after 5 s), removes its shared memory and exits. A SIGKILL of the
    // postmaster alone would leave the backends to notice by themselves, and its shared memory behind,
    // so it is only the fallback.
    child.kill('SIGQUIT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  /** Starts it again on the same port and data directory (stopping it first if it runs); resolves once it accepts connections. */
  async restart(): Promise<void> {
    if (this.destroyed) throw new Error('OwnPostgres: restart() after destroy()');
    await this.stop();
    await this.startPostmaster();
  }

  /** Stops it and removes its folder. Safe to call twice, and after a failed start. */
  async destroy(): Promise<void> {
    this.destroyed = true;
    try {
      await this.stop();
    } finally {
      await rm(this.folder, { recursive: true, force: true });
    }
  }

  private async startPostmaster(): Promise<void> {
    this.log = '';
    const child = spawnOwned(
      bin('postgres'),
      [
        '-D',
        this.dataDir,
        '-p',
        String(this.port),
        '-c',
        'listen_addresses=127.0.0.1',
        // No Unix socket: tests connect over TCP, as the app does, and nothing is written outside the folder.
        '-c',
        'unix_socket_directories=',
        // The machine's server already holds shared memory; a test's needs little, and starts faster with little.
        '-c',
        'shared_buffers=16MB',
        '-c',
        'max_connections=100',
        // A stop is a process crash, not a machine crash: what was written is in the OS's cache and survives it.
        '-c',
        'fsync=off',
      ],
      { ...serverUser(), cwd: this.folder, env: serverEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.postmaster = child;
    await new Promise<void>((resolve, reject) => {
      const fail = (why: string) => {
        clearTimeout(timer);
        reject(new Error(`postgres on port ${this.port} ${why}:\n${this.log}`));
      };
      const timer = setTimeout(() => fail('did not start in 30 s'), 30_000);
      // Read its output for as long as it runs, or a full pipe would stall it.
      const onData = (chunk: Buffer) => {
        this.log = (this.log + chunk.toString()).slice(-100_000);
        if (this.log.includes('database system is ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('error', (error) => fail(`could not be run (${error.message})`));
      child.once('exit', (code, signal) => fail(`exited (${signal ?? code})`));
    });
  }

  /** The exit hook's stop and removal: synchronous, as an exit hook must be, so pg_ctl does the waiting. */
  private destroySync(): void {
    const child = this.postmaster;
    if (child && !hasExited(child)) {
      const stopped = spawnSync(bin('pg_ctl'), ['stop', '-D', this.dataDir, '-m', 'immediate', '-w', '-t', '5'], {
        ...serverUser(),
        env: serverEnv(),
        stdio: 'ignore',
      });
      if (stopped.status !== 0) child.kill('SIGKILL');
    }
    rmSync(this.folder, { recursive: true, force: true });
  }
}

function hasExited(child: ChildProcess): boolean {
  // No pid: it never ran (spawn failed), and will never emit 'exit'.
  return child.pid === undefined || child.exitCode !== null || child.signalCode !== null;
}

let postgresUser: { uid: number; gid: number } | undefined;

/** PostgreSQL refuses to run as root: then its programs run as the `postgres` user; otherwise as ourselves. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  postgresUser ??= {
    uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })),
    gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })),
  };
  return postgresUser;
}

/** C locale, so that its messages (which `startPostmaster` reads) are in English. */
function serverEnv(): Record<string, string> {
  return { PATH: process.env.PATH ?? '', LC_ALL: 'C' };
}

let binDir: string | undefined;

/**
 * The path of one of PostgreSQL's server programs: in `TEST_POSTGRES_BIN`, or
 * else Debian's newest `/usr/lib/postgresql/N/bin` (not on the PATH there),
 * or else on the PATH.
 */
function bin(program: 'initdb' | 'pg_ctl' | 'postgres'): string {
  binDir ??= process.env.TEST_POSTGRES_BIN ?? debianBinDir() ?? '';
  return binDir ? join(binDir, program) : program;
}

function debianBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const newest = readdirSync(root)
    .filter((version) => /^\d+$/.test(version))
    .sort((a, b) => Number(b) - Number(a))[0];
  return newest === undefined ? undefined : join(root, newest, 'bin');
}
