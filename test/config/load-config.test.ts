import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, type DatabaseConfig, loadConfig } from '../../src/config/load-config.js';
import { connectionsPerLane } from '../../src/mail/smtp-mailer.js';
import { tempDir } from '../support/temp-dir.js';

/** The `.env` of the Python Bookly, as its course writes it. */
const pythonEnv = {
  DATABASE_URL: 'postgresql+asyncpg://bookly:secret@db.example.com:5432/bookly',
  JWT_SECRET: 'a python secret',
  JWT_ALGORITHM: 'HS256',
  REDIS_URL: 'redis://localhost:6379/0',
  MAIL_USERNAME: 'me@gmail.com',
  MAIL_PASSWORD: 'app password',
  MAIL_SERVER: 'smtp.gmail.com',
  MAIL_PORT: '587',
  MAIL_FROM: 'me@gmail.com',
  MAIL_FROM_NAME: 'Bookly',
  MAIL_STARTTLS: 'True',
  MAIL_SSL_TLS: 'False',
  USE_CREDENTIALS: 'True',
  VALIDATE_CERTS: 'True',
  DOMAIN: 'localhost:8000',
};

describe('configuration', () => {
  it('runs with nothing set: embedded database under ./data, dev mailbox, port 8000, in-process tasks', () => {
    const config = loadConfig({});
    assert.deepEqual(config.database, { kind: 'pglite', dataDir: resolve('data/pglite') });
    assert.equal(config.mail.smtp, undefined);
    assert.equal(config.http.port, 8000);
    assert.equal(config.redis, undefined);
    assert.equal(config.jwt.secret, undefined);
    assert.equal(config.jwt.algorithm, 'HS256');
    assert.equal(config.http.authRateLimit, 20);
    assert.equal(config.domain, 'localhost:8000');
  });

  it("reads the Python Bookly's .env unchanged", () => {
    const config = loadConfig(pythonEnv);
    // Two lanes of twenty tasks at once, and five for requests and bookkeeping.
    assert.deepEqual(config.database, { kind: 'postgres', url: 'postgres://bookly:secret@db.example.com:5432/bookly', poolSize: 45 });
    assert.deepEqual(config.mail.smtp, {
      host: 'smtp.gmail.com',
      port: 587,
      username: 'me@gmail.com',
      password: 'app password',
      startTls: true,
      implicitTls: false,
      useCredentials: true,
      validateCerts: true,
    });
    assert.equal(config.mail.from, 'me@gmail.com');
    assert.deepEqual(config.redis, { url: 'redis://localhost:6379/0', prefix: 'bookly' });
    assert.equal(config.domain, 'localhost:8000');
  });

  it('takes pglite://PATH and pglite://memory', () => {
    assert.deepEqual(loadConfig({ DATABASE_URL: 'pglite://memory' }).database, { kind: 'pglite', dataDir: null });
    assert.deepEqual(loadConfig({ DATABASE_URL: 'pglite:///var/lib/bookly' }).database, { kind: 'pglite', dataDir: '/var/lib/bookly' });
    assert.deepEqual(loadConfig({ DATABASE_URL: 'pglite://./db' }).database, { kind: 'pglite', dataDir: resolve('db') });
  });

  it('refuses a DATABASE_URL or REDIS_URL that is not a URL, without printing it', () => {
    for (const env of [{ DATABASE_URL: 'postgres://bookly:s3cret@[db/bookly' }, { REDIS_URL: 'redis://:s3cret@[redis' }]) {
      const name = Object.keys(env)[0] as string;
      assert.throws(
        () => loadConfig(env),
        (error: Error) =>
          error instanceof ConfigError && error.message.includes(`${name} is not a valid URL`) && !error.message.includes('s3cret'),
      );
    }
    // What pg itself reads: a socket path with an empty host, a space or a stray % in the password.
    for (const url of ['postgres://bookly@/bookly?host=/var/run/postgresql', 'postgres://bookly:a b%@localhost/bookly']) {
      assert.equal(loadConfig({ DATABASE_URL: url }).database.kind, 'postgres', url);
    }
  });

  it('sizes the PostgreSQL pool for the tasks a process may run at once, unless DATABASE_POOL_SIZE says', () => {
    const url = 'postgres://localhost/bookly';
    assert.equal(poolSize(loadConfig({ DATABASE_URL: url, WORKER_CONCURRENCY: '4' }).database), 13);
    assert.equal(poolSize(loadConfig({ DATABASE_URL: url, WORKER_CONCURRENCY: '4', DATABASE_POOL_SIZE: '50' }).database), 50);
    assert.throws(() => loadConfig({ DATABASE_URL: url, DATABASE_POOL_SIZE: '0' }), /DATABASE_POOL_SIZE/);

    it('gives every task that may run at once an SMTP connection, unless MAIL_MAX_CONNECTIONS caps them', () => {
      assert.equal(loadConfig({}).tasks.concurrency, 20);
      assert.equal(loadConfig({}).mail.maxConnections, 40, 'both lanes’ tasks');
      assert.equal(loadConfig({ WORKER_CONCURRENCY: '3' }).mail.maxConnections, 6);
      assert.equal(connectionsPerLane(loadConfig({ WORKER_CONCURRENCY: '3' }).mail.maxConnections, 3), 3);
      assert.equal(connectionsPerLane(loadConfig({ MAIL_MAX_CONNECTIONS: '9' }).mail.maxConnections, 20), 4, 'half of nine each');
      assert.throws(() => loadConfig({ MAIL_MAX_CONNECTIONS: '1' }), /MAIL_MAX_CONNECTIONS must be an integer 2\.\.10000 \(got "1"\)/);
    });
  });

  it('names every bad variable at once, in one line', () => {
    const error = (() => {
      try {
        loadConfig({ PORT: 'eighty', MAIL_STARTTLS: 'maybe', JWT_ALGORITHM: 'RS256', DATABASE_URL: 'mysql://x', AUTH_RATE_LIMIT: '-1' });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    assert.ok(error instanceof ConfigError);
    assert.equal(error.message.split('\n').length, 1);
    for (const name of ['PORT', 'MAIL_STARTTLS', 'JWT_ALGORITHM', 'DATABASE_URL', 'AUTH_RATE_LIMIT']) {
      assert.match(error.message, new RegExp(`\\b${name}\\b`), name);
    }
  });

  it('requires JWT_SECRET, METRICS_TOKEN and MAIL_SERVER in production', () => {
    assert.throws(
      () => loadConfig({ NODE_ENV: 'production' }),
      /JWT_SECRET is required.*METRICS_TOKEN is required.*MAIL_SERVER is required/,
    );
    assert.throws(
      () => loadConfig({ ...pythonEnv, NODE_ENV: 'production' }),
      /^[^;]*METRICS_TOKEN is required when NODE_ENV=production[^;]*$/,
    );
    const config = loadConfig({ ...pythonEnv, NODE_ENV: 'production', METRICS_TOKEN: 'a-scrape-token' });
    assert.equal(config.metricsToken, 'a-scrape-token');
    assert.equal(loadConfig({}).metricsToken, undefined, 'open outside production unless set');
    assert.throws(() => loadConfig({ METRICS_TOKEN: 'two words' }), /METRICS_TOKEN may not hold spaces/);
  });

  it('reads TRUST_PROXY as a hop count or a list of addresses and CIDR ranges', () => {
    const trust = (value: string | undefined) => loadConfig({ TRUST_PROXY: value }).http.trustProxy;
    assert.equal(trust(undefined), false);
    assert.equal(trust('false'), false);
    assert.equal(trust('0'), false);
    assert.equal(trust('2'), 2);
    assert.deepEqual(trust('10.0.0.1, 10.0.0.0/8,::1,fd00::/8'), ['10.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8']);
    for (const bad of ['proxy.internal', '10.0.0.0/33', '10.0.0.1/8/8', '1.5', '-1', '101']) {
      assert.throws(() => trust(bad), /TRUST_PROXY must be/, bad);
    }
  });

  it('refuses a TRUST_PROXY that would trust every hop, saying what to write instead', () => {
    for (const everyone of ['true', 'True', 'yes', '*', '0.0.0.0/0', '10.0.0.1,::/0', '0.0.0.0/00']) {
      assert.throws(
        () => loadConfig({ TRUST_PROXY: everyone }),
        (error: Error) =>
          error instanceof ConfigError &&
          error.message.includes(`TRUST_PROXY=${everyone} would trust every hop`) &&
          error.message.includes('TRUST_PROXY=1') &&
          error.message.includes('TRUST_PROXY=10.0.0.1,10.0.0.0/8'),
        everyone,
      );
    }
  });

  it('requires a login for an SMTP server unless USE_CREDENTIALS is false', () => {
    assert.throws(() => loadConfig({ MAIL_SERVER: 'smtp.example.com' }), /MAIL_USERNAME and MAIL_PASSWORD/);
    assert.equal(loadConfig({ MAIL_SERVER: 'smtp.example.com', USE_CREDENTIALS: 'false' }).mail.smtp?.useCredentials, false);
  });

  it('bounds every HTTP wait and the connections, by default and as HTTP_* says', () => {
    assert.deepEqual(loadConfig({}).http.limits, {
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      connectionTimeoutMs: 60_000,
      keepAliveTimeoutMs: 72_000,
      maxConnections: 1000,
    });
    const limits = loadConfig({
      HTTP_HEADERS_TIMEOUT_MS: '2000',
      HTTP_REQUEST_TIMEOUT_MS: '5000',
      HTTP_CONNECTION_TIMEOUT_MS: '7000',
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '1000',
      HTTP_MAX_CONNECTIONS: '50',
    }).http.limits;
    assert.deepEqual(limits, {
      headersTimeoutMs: 2000,
      requestTimeoutMs: 5000,
      connectionTimeoutMs: 7000,
      keepAliveTimeoutMs: 1000,
      maxConnections: 50,
    });
  });

  it('refuses an HTTP limit that would not bound anything', () => {
    // 0 means "never" to Node: no timeout, no cap.
    for (const name of [
      'HTTP_HEADERS_TIMEOUT_MS',
      'HTTP_REQUEST_TIMEOUT_MS',
      'HTTP_CONNECTION_TIMEOUT_MS',
      'HTTP_KEEP_ALIVE_TIMEOUT_MS',
      'HTTP_MAX_CONNECTIONS',
    ]) {
      assert.throws(() => loadConfig({ [name]: '0' }), new RegExp(`${name} must be an integer`), name);
      assert.throws(() => loadConfig({ [name]: 'soon' }), new RegExp(name), name);
    }
    assert.throws(
      () => loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '40000' }),
      /HTTP_HEADERS_TIMEOUT_MS must not be longer than HTTP_REQUEST_TIMEOUT_MS/,
    );
  });

  it('keeps finished tasks 7 days, failed ones 30, ledger entries 90, as the retention variables say', () => {
    assert.deepEqual(loadConfig({}).tasks.retention, { completedDays: 7, failedDays: 30, mailLedgerDays: 90, batchSize: 1000 });
    const retention = loadConfig({
      TASK_RETENTION_DAYS: '0',
      TASK_FAILED_RETENTION_DAYS: '365',
      MAIL_LEDGER_RETENTION_DAYS: '3650',
      PRUNE_BATCH_SIZE: '7',
    }).tasks.retention;
    assert.deepEqual(retention, { completedDays: 0, failedDays: 365, mailLedgerDays: 3650, batchSize: 7 });
    // Whole days: a week written in seconds, or a fraction, is refused rather than read as something else.
    assert.throws(() => loadConfig({ TASK_RETENTION_DAYS: '604800' }), /TASK_RETENTION_DAYS must be an integer 0\.\.36500/);
    assert.throws(() => loadConfig({ TASK_FAILED_RETENTION_DAYS: '0.5' }), /TASK_FAILED_RETENTION_DAYS/);
    assert.throws(() => loadConfig({ MAIL_LEDGER_RETENTION_DAYS: '-1' }), /MAIL_LEDGER_RETENTION_DAYS/);
    assert.throws(() => loadConfig({ PRUNE_BATCH_SIZE: '0' }), /PRUNE_BATCH_SIZE must be an integer 1\.\.100000/);
  });

  describe('DKIM', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const dkim = (key: string | undefined, more: Record<string, string> = {}) =>
      loadConfig({ MAIL_DKIM_DOMAIN: 'Example.com', MAIL_DKIM_SELECTOR: 'bookly', MAIL_DKIM_PRIVATE_KEY: key, ...more }).mail.dkim;
    /** The one line start-up would print. */
    const refusal = (key: string | undefined, more: Record<string, string> = {}) => {
      try {
        dkim(key, more);
      } catch (error) {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.message.split('\n').length, 1, error.message);
        return error.message;
      }
      assert.fail('the configuration was accepted');
    };

    it('is off with none of the three set', () => {
      assert.equal(loadConfig({}).mail.dkim, undefined);
    });

    it('takes the key as PEM text (line breaks real, escaped as \\n, or lost on one line) or as the path of a PEM file', () => {
      const path = join(tempDir('dkim'), 'dkim.pem');
      writeFileSync(path, pem);
      const oneLine = pem.trim().replaceAll('\n', ' ');
      for (const given of [pem, pem.trim().replaceAll('\n', '\\n'), oneLine, path]) {
        const config = dkim(given);
        assert.equal(config?.domain, 'example.com');
        assert.equal(config?.selector, 'bookly');
        assert.equal(config?.privateKey.asymmetricKeyType, 'rsa');
        assert.equal(config?.privateKey.export({ type: 'pkcs8', format: 'pem' }), pem, given.slice(0, 40));
      }
      const pkcs1 = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
      assert.equal(dkim(pkcs1)?.privateKey.asymmetricKeyType, 'rsa', 'BEGIN RSA PRIVATE KEY, as openssl genrsa writes it');
    });

    it('wants all three or none, and says which are missing', () => {
      const message = refusal(undefined, { MAIL_DKIM_SELECTOR: '' });
      assert.match(
        message,
        /MAIL_DKIM_DOMAIN, MAIL_DKIM_SELECTOR, MAIL_DKIM_PRIVATE_KEY go together \(set all three to sign mail, or none\)/,
      );
      assert.match(message, /MAIL_DKIM_SELECTOR and MAIL_DKIM_PRIVATE_KEY missing/);
      assert.match(refusal(pem, { MAIL_DKIM_DOMAIN: '' }), /: MAIL_DKIM_DOMAIN missing$/);
    });

    it('refuses a file it cannot read, naming it', () => {
      const dir = tempDir('dkim');
      assert.match(
        refusal(join(dir, 'missing.pem')),
        new RegExp(`neither a PEM key nor a readable file \\(${join(dir, 'missing.pem')}: no such file\\)`),
      );
      assert.match(refusal(dir), /: a directory\)/);
      writeFileSync(join(dir, 'notes.txt'), 'the key is in the vault');
      assert.match(refusal(join(dir, 'notes.txt')), /notes\.txt, which holds no PEM key/);
    });

    it('refuses what would not sign, saying what to give instead', () => {
      const makeOne = /openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048/;
      assert.match(refusal(publicKey.export({ type: 'spki', format: 'pem' }).toString()), /is a public key: give the private one/);
      const damaged = pem.replace(/\n[A-Za-z0-9+/]{64}\n/, '\n');
      assert.match(refusal(damaged), /MAIL_DKIM_PRIVATE_KEY does not parse as a PEM private key/);
      assert.match(refusal(damaged), makeOne);
      const encrypted = privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' }).toString();
      assert.match(refusal(encrypted), /is encrypted: give it unencrypted \(openssl pkey/);
      const traditional = privateKey.export({ type: 'pkcs1', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' }).toString();
      assert.match(refusal(traditional), /is encrypted/);
      // nodemailer signs rsa-sha256 only, and sends unsigned, silently, with any other key.
      const ed25519 = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      assert.match(refusal(ed25519), /is an Ed25519 key, and mail is signed with RSA \(rsa-sha256\) only/);
      assert.match(refusal(ed25519), makeOne);
      const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      assert.match(refusal(ec), /is an EC key, and mail is signed with RSA/);
      const small = generateKeyPairSync('rsa', { modulusLength: 512 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      assert.match(refusal(small), /is a 512-bit RSA key, and receivers ignore signatures made with fewer than 1024 bits/);
    });

    it('never prints the key, even pasted without its BEGIN line', () => {
      const body = pem.split('\n').slice(1, -2).join('');
      // Whether the random key's base64 has a '/' decides how the path fails (ENOENT or ENAMETOOLONG): both ways, each time.
      for (const pasted of [body, body.replaceAll('/', '+'), `${body.slice(0, 100)}/${body.slice(100)}`]) {
        const message = refusal(pasted);
        assert.match(message, /neither a PEM key nor a readable file \(the value given: no such file\)/);
        assert.ok(!message.includes(pasted.slice(0, 24)));
      }
    });

    it('refuses a domain or selector that is not a DNS name', () => {
      assert.match(refusal(pem, { MAIL_DKIM_DOMAIN: 'https://example.com' }), /MAIL_DKIM_DOMAIN must be a domain name/);
      assert.match(refusal(pem, { MAIL_DKIM_DOMAIN: 'localhost' }), /MAIL_DKIM_DOMAIN must be a domain name/);
      assert.match(refusal(pem, { MAIL_DKIM_SELECTOR: 'my key' }), /MAIL_DKIM_SELECTOR must be a DNS label/);
      assert.match(refusal(pem, { MAIL_DKIM_SELECTOR: 'bookly._domainkey' }), /MAIL_DKIM_SELECTOR must be a DNS label/);
      assert.equal(dkim(pem, { MAIL_DKIM_SELECTOR: 'eu.2026-12' })?.selector, 'eu.2026-12');
    });
  });

  it('treats an empty value as unset, as .env files mean it', () => {
    assert.equal(loadConfig({ PORT: '', REDIS_URL: '' }).http.port, 8000);
    assert.equal(loadConfig({ REDIS_URL: '' }).redis, undefined);
  });
});

function poolSize(database: DatabaseConfig): number | undefined {
  return database.kind === 'postgres' ? database.poolSize : undefined;
}
