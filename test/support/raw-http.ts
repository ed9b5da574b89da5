import { connect, type Socket } from 'node:net';

export interface RawReply {
  /** Undefined when the server closed the connection without answering. */
  status: number | undefined;
  headers: Record<string, string>;
  body: string;
  /** The body parsed as JSON, or undefined. */
  // biome-ignore lint/suspicious/noExplicitAny: bodies are read field by field and asserted, as in test-app.ts.
  json: any;
  /** Everything the server sent. */
  raw: string;
}

/** The first HTTP/1.1 answer in what a server sent on one connection. */
export function parseReply(bytes: Buffer): RawReply {
  const raw = bytes.toString();
  const end = bytes.indexOf('\r\n\r\n');
  const match = /^HTTP\/1\.1 (\d{3})/.exec(raw);
  if (!match || end < 0) return { status: undefined, headers: {}, body: '', json: undefined, raw };
  const headers: Record<string, string> = {};
  for (const line of raw.slice(0, end).split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers['content-length'] ?? bytes.length);
  const body = bytes.subarray(end + 4, end + 4 + length).toString();
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  return { status: Number(match[1]), headers, body, json, raw };
}

/** Opens a connection to `port` on the loopback address; resolves once it is connected. */
export async function openSocket(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return socket;
}

/** What a connection received by the time it closed; never rejects (a reset is a close too). */
export function received(socket: Socket): Promise<RawReply> {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => {});
  return new Promise((resolve) => socket.once('close', () => resolve(parseReply(Buffer.concat(chunks)))));
}

/** Sends `bytes` as they are on a connection of their own and resolves with the answer once the server closes it. */
export async function sendRaw(port: number, bytes: string): Promise<RawReply> {
  const socket = await openSocket(port);
  const reply = received(socket);
  socket.write(bytes);
  return reply;
}
