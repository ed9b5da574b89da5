import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { type DKIMResult, dkimVerify } from 'mailauth';
import { loadConfig } from '../../src/config/load-config.js';
import { SmtpMailer } from '../../src/mail/smtp-mailer.js';
import { newSignup } from '../support/accounts.js';
import { openTestDatabase, type TestDatabase } from '../support/databases.js';
import { runCli, runToEnd } from '../support/server-process.js';
import { type ReceivedMail, SmtpPeer } from '../support/smtp-peer.js';
import { tempDir } from '../support/temp-dir.js';
import { startTestApp, type TestApp, testEnv } from '../support/test-app.js';

const domain = 'bookly.test';
const selector = 'mail2026';
const unsubscribeHeaders = {
  'List-Unsubscribe': '<https://bookly.test/api/v1/mail/unsubscribe/abc>',
  'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
};

/** A key pair of the test's own; the public half is what the domain's DNS record would hold. */
function makeKey(): { privatePem: string; dnsRecord: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const spki = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  return { privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), dnsRecord: `v=DKIM1; k=rsa; p=${spki}` };
}

/** mailauth's DNS look-up, answered for `SELECTOR._domainkey.DOMAIN` only, as the domain's DNS would. */
function verifier(dnsRecord: string) {
  return async (raw: Buffer): Promise<DKIMResult> => {
    const { results } = await dkimVerify(raw, {
      resolver: async (name, type) => {
        if (type === 'TXT' && name === `${selector}._domainkey.${domain}`) return [[dnsRecord]];
        throw Object.assign(new Error(`no ${type} record for ${name}`), { code: 'ENOTFOUND' });
      },
    });
    assert.equal(results.length, 1, 'one signature');
    return results[0] as DKIMResult;
  };
}

/** The header fields the signature's `h=` tag covers, lower-cased. */
function signedFields(mail: ReceivedMail): string[] {
  const signature = mail.headers.get('dkim-signature');
  assert.ok(signature, 'the message carries a DKIM-Signature');
  const h = /(?:^|;)\s*h=([^;]+)/.exec(signature)?.[1] ?? '';
  return h
    .replace(/\s+/g, '')
    .split(':')
    .map((field) => field.toLowerCase());
}

function tampered(raw: Buffer, from: string, to: string): Buffer {
  const text = raw.toString('latin1');
  assert.ok(text.includes(from), `the message holds ${from}`);
  return Buffer.from(text.replace(from, to), 'latin1');
}

describe('DKIM signing', () => {
  const key = makeKey();
  const verify = verifier(key.dnsRecord);
  let smtp: SmtpPeer;
  let mailer: SmtpMailer | undefined;

  before(async () => {
    smtp = await SmtpPeer.start({ auth: { user: 'bookly', pass: 'smtp-secret' } });
  });
  afterEach(async () => {
    await mailer?.close();
    mailer = undefined;
    smtp.reset();
  });
  after(() => smtp.close());

  /** A bulk-style message sent by a mailer made from the real configuration, as received. */
  async function sendBulkStyle(privateKeyValue: string, messageId: string): Promise<ReceivedMail> {
    const config = loadConfig(
      testEnv({
        smtp,
        env: { MAIL_DKIM_DOMAIN: domain, MAIL_DKIM_SELECTOR: selector, MAIL_DKIM_PRIVATE_KEY: privateKeyValue },
      }),
    );
    assert.ok(config.mail.smtp);
    mailer = new SmtpMailer(
      config.mail.smtp,
      { name: 'Bookly', address: config.mail.from },
      { connectionsPerLane: 1, dkim: config.mail.dkim },
    );
    await mailer.send(
      {
        to: 'reader@example.com',
        subject: 'New this month at Bookly',
        html: '<p>Three new books.</p>',
        text: 'Three new books.',
        messageId,
        headers: unsubscribeHeaders,
      },
      'bulk',
    );
    return smtp.waitForMail((mail) => mail.messageId === messageId);
  }

  it('signs with a PEM key given in the variable, line breaks escaped as env files write them, covering the one-click unsubscribe headers', async () => {
    const mail = await sendBulkStyle(key.privatePem.trim().replaceAll('\n', '\\n'), '<dkim-pem@bookly.test>');

    const result = await verify(mail.raw);
    assert.equal(result.status.result, 'pass', result.info);
    assert.equal(result.signingDomain, domain);
    assert.equal(result.selector, selector);
    assert.equal(result.status.aligned, domain, 'aligned with the From domain, as DMARC asks');
    const fields = signedFields(mail);
    for (const field of [
      'list-unsubscribe',
      'list-unsubscribe-post',
      'from',
      'to',
      'subject',
      'date',
      'message-id',
      'mime-version',
      'content-type',
    ]) {
      assert.ok(fields.includes(field), `h= covers ${field} (h=${fields.join(':')})`);
    }
  });

  it('fails verification once a signed header is changed on the way', async () => {
    const mail = await sendBulkStyle(key.privatePem, '<dkim-tamper@bookly.test>');
    assert.equal((await verify(mail.raw)).status.result, 'pass');

    const subject = await verify(tampered(mail.raw, 'Subject: New this month at Bookly', 'Subject: New this month at B00kly'));
    assert.equal(subject.status.result, 'fail', subject.info);
    const unsubscribe = await verify(tampered(mail.raw, '/mail/unsubscribe/abc>', '/mail/unsubscribe/evil>'));
    assert.equal(unsubscribe.status.result, 'fail', unsubscribe.info);
  });

  it('signs with a key read from the file the variable names', async () => {
    const path = join(tempDir('dkim'), 'dkim-private.pem');
    writeFileSync(path, key.privatePem, { mode: 0o600 });
    const mail = await sendBulkStyle(path, '<dkim-file@bookly.test>');

    const result = await verify(mail.raw);
    assert.equal(result.status.result, 'pass', result.info);
    assert.ok(signedFields(mail).includes('list-unsubscribe-post'));
  });

  it('stops start-up with one line when the key is damaged, without printing it', { timeout: 60_000 }, async () => {
    // Pasted with a few lines missing, in a .env file the way such files write a PEM.
    const lines = key.privatePem.trim().split('\n');
    const damaged = [...lines.slice(0, 5), ...lines.slice(9)].join('\\n');
    const dir = tempDir('dkim-env');
    writeFileSync(join(dir, '.env'), `MAIL_DKIM_DOMAIN=${domain}\nMAIL_DKIM_SELECTOR=${selector}\nMAIL_DKIM_PRIVATE_KEY="${damaged}"\n`);
    const run = await runToEnd(runCli(['serve'], { DATA_DIR: join(dir, 'data'), PORT: '0' }, dir));

    assert.equal(run.code, 1, run.output);
    const output = run.output.trim().split('\n');
    assert.equal(output.length, 1, run.output);
    assert.match(output[0] as string, /MAIL_DKIM_PRIVATE_KEY does not parse as a PEM private key/);
    assert.match(output[0] as string, /openssl genpkey -algorithm RSA/);
    for (const line of lines.slice(1, -1)) assert.ok(!run.output.includes(line.slice(0, 24)), 'no part of the key is printed');
  });
});

describe('DKIM signing of the mail the app sends', () => {
  const key = makeKey();
  const verify = verifier(key.dnsRecord);
  let db: TestDatabase;
  let smtp: SmtpPeer;
  let t: TestApp | undefined;

  before(async () => {
    db = await openTestDatabase('postgres');
    smtp = await SmtpPeer.start({ auth: { user: 'bookly', pass: 'smtp-secret' } });
  });
  after(async () => {
    await t?.close();
    await smtp.close();
    await db.close();
  });

  it('signs the verification mail of a signup', { timeout: 60_000 }, async () => {
    t = await startTestApp({
      db,
      smtp,
      env: { MAIL_DKIM_DOMAIN: domain, MAIL_DKIM_SELECTOR: selector, MAIL_DKIM_PRIVATE_KEY: key.privatePem },
    });
    const body = newSignup();
    const signup = await t.request({ method: 'POST', url: '/api/v1/auth/signup', payload: body });
    assert.equal(signup.status, 201, signup.text);
    const mail = await smtp.waitForMail((m) => m.to.includes(body.email));

    const result = await verify(mail.raw);
    assert.equal(result.status.result, 'pass', result.info);
    assert.equal(result.signingDomain, domain);
    assert.equal(mail.headers.get('list-unsubscribe'), undefined, 'a verification mail has no unsubscribe header');
    const fields = signedFields(mail);
    for (const field of ['from', 'to', 'subject', 'date', 'message-id', 'mime-version', 'content-type']) {
      assert.ok(fields.includes(field), `h= covers ${field} (h=${fields.join(':')})`);
    }
  });
});
