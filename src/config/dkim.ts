import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { EnvReader } from './env-reader.js';

/** How outgoing mail is DKIM-signed. */
export interface DkimConfig {
  /** `MAIL_DKIM_DOMAIN`: the signing domain (`d=`); receivers find the public key under it. */
  domain: string;
  /** `MAIL_DKIM_SELECTOR`: which of the domain's keys (`s=`): the TXT record is `SELECTOR._domainkey.DOMAIN`. */
  selector: string;
  /** `MAIL_DKIM_PRIVATE_KEY`: an RSA key of at least 1024 bits, read once at start-up. */
  privateKey: KeyObject;
}

const names = ['MAIL_DKIM_DOMAIN', 'MAIL_DKIM_SELECTOR', 'MAIL_DKIM_PRIVATE_KEY'] as const;
const makeOne = 'make an RSA key (openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out dkim-private.pem)';
const domainName = /^(?=.{1,253}$)(?!-)[\p{L}\p{N}-]{1,63}(?<!-)(?:\.(?!-)[\p{L}\p{N}-]{1,63}(?<!-))+$/u;
// RFC 6376 3.1: a selector is a sub-domain, dot-separated labels.
const selectorName = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)(?:\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*$/;

/**
 * Reads the three `MAIL_DKIM_*` variables: all or none. Every problem with
 * them (a partial set, a key that cannot be read or would not sign) is found
 * here, because nodemailer sends a message unsigned, without a word, when its
 * key fails to sign.
 */
export function readDkim(read: EnvReader): DkimConfig | undefined {
  const [domain, selector, key] = names.map((name) => read.raw(name));
  const missing = names.filter((name) => read.raw(name) === undefined);
  if (missing.length === names.length) return undefined;
  if (missing.length > 0) {
    read.problem(`${names.join(', ')} go together (set all three to sign mail, or none): ${missing.join(' and ')} missing`);
    return undefined;
  }
  if (!domainName.test(domain as string)) read.problem(`MAIL_DKIM_DOMAIN must be a domain name such as example.com (got "${domain}")`);
  if (!selectorName.test(selector as string)) {
    read.problem(`MAIL_DKIM_SELECTOR must be a DNS label of letters, digits and hyphens, such as bookly or mail2026 (got "${selector}")`);
  }
  const privateKey = readPrivateKey(read, key as string);
  if (privateKey === undefined) return undefined;
  return { domain: (domain as string).toLowerCase(), selector: selector as string, privateKey };
}

function readPrivateKey(read: EnvReader, value: string): KeyObject | undefined {
  const pem = pemOf(read, value);
  if (pem === undefined) return undefined;
  const problem = (what: string) => read.problem(`MAIL_DKIM_PRIVATE_KEY ${what}`);
  if (/-----BEGIN (?:RSA )?PUBLIC KEY-----/.test(pem)) {
    problem('is a public key: give the private one (the public one goes in the DNS record)');
    return undefined;
  }
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(pem)) {
    problem('is encrypted: give it unencrypted (openssl pkey -in dkim-private.pem -out dkim-plain.pem)');
    return undefined;
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    problem(`does not parse as a PEM private key (is it whole, from its BEGIN line to its END line?): ${makeOne}`);
    return undefined;
  }
  // nodemailer signs rsa-sha256 only: another kind of key would leave every message unsigned.
  if (key.asymmetricKeyType !== 'rsa') {
    problem(`is ${kindOf(key.asymmetricKeyType)} key, and mail is signed with RSA (rsa-sha256) only: ${makeOne}`);
    return undefined;
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < 1024) {
    problem(`is a ${bits}-bit RSA key, and receivers ignore signatures made with fewer than 1024 bits (RFC 8301): ${makeOne}`);
    return undefined;
  }
  return key;
}

/** The PEM text given directly, or read from the file it names; literal `\n` (as env files write it) become line breaks. */
function pemOf(read: EnvReader, value: string): string | undefined {
  const given = value.replace(/\\r\\n|\\n/g, '\n');
  if (given.includes('-----BEGIN') || given.includes('PRIVATE KEY')) return rewrapped(given);
  const path = resolve(value);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // A key's body pasted without its BEGIN line reads as a path: ENAMETOOLONG when no '/' breaks it up.
    const noFile = code === 'ENOENT' || code === 'ENAMETOOLONG';
    const why = noFile ? 'no such file' : code === 'EISDIR' ? 'a directory' : code === 'EACCES' ? 'not readable by this user' : code;
    read.problem(
      `MAIL_DKIM_PRIVATE_KEY is neither a PEM key nor a readable file (${shown(value, path)}: ${why}): give the key's PEM text or the path of its file`,
    );
    return undefined;
  }
  if (!text.includes('-----BEGIN')) {
    read.problem(`MAIL_DKIM_PRIVATE_KEY names ${path}, which holds no PEM key (-----BEGIN PRIVATE KEY-----): ${makeOne}`);
    return undefined;
  }
  return rewrapped(text);
}

/**
 * A PEM block whose base64 lost its line breaks (pasted as one line, spaces
 * for newlines) is put back into 64-character lines, which OpenSSL requires;
 * a block with headers (`Proc-Type:`) is left as it is.
 */
function rewrapped(text: string): string {
  const block = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/.exec(text);
  if (!block || block[2]?.includes(':')) return text;
  const body = (block[2] ?? '').replace(/\s+/g, '');
  return `-----BEGIN ${block[1]}-----\n${body.replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END ${block[1]}-----\n`;
}

/** The path as given, unless it looks like a key's base64 (a value pasted without its BEGIN line), which stays out of the log. */
function shown(value: string, path: string): string {
  return value.length > 256 || /^[A-Za-z0-9+/=]{40,}$/.test(value) ? 'the value given' : path;
}

function kindOf(type: string | undefined): string {
  const kinds: Record<string, string> = { ed25519: 'an Ed25519', ed448: 'an Ed448', ec: 'an EC', 'rsa-pss': 'an RSA-PSS', dsa: 'a DSA' };
  return kinds[type ?? ''] ?? `a ${type ?? 'non-RSA'}`;
}
