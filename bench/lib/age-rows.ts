import type pg from 'pg';

const back = (column: string) => `${column} = ${column} - make_interval(days => $1)`;

/**
 * Moves `days` into the past, as if written that much earlier, the
 * timestamps of the rows whose end no retention setting decides: link tokens
 * (their expiry), revocations (their session's), recipient limits (an hour's
 * window), dev mail (a day). Returns the rows moved, by table. The workers' heartbeats are left alone: those are the
 * running processes', which write them again every few seconds.
 */
export async function ageFixedHorizons(sql: pg.Pool, days: number): Promise<Record<string, number>> {
  const statements: Record<string, string> = {
    link_tokens: `update link_tokens set ${['created_at', 'expires_at', 'used_at'].map(back).join(', ')}`,
    revoked_sessions: `update revoked_sessions set ${back('expires_at')}`,
    recipient_sends: `update recipient_sends set ${back('last_sent_at')},
                        sent_at = array(select at - make_interval(days => $1) from unnest(sent_at) as at)`,
    dev_mail: `update dev_mail set ${back('created_at')}`,
  };
  const moved: Record<string, number> = {};
  const client = await sql.connect();
  try {
    await client.query('begin');
    for (const [table, statement] of Object.entries(statements)) moved[table] = (await client.query(statement, [days])).rowCount ?? 0;
    await client.query('commit');
  } catch (error) {
    await client.query('rollback');
    throw error;
  } finally {
    client.release();
  }
  return moved;
}
