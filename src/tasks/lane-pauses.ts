import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { lanePauses } from '../db/schema/index.js';
import { isLane, type Lane } from './lane.js';

/**
 * Which lanes an operator paused, in the database so that every process
 * sees it: the claims of both modes skip a paused lane's tasks
 * (`TaskStore`), and in the Redis mode the lane's queue is paused too.
 */
export class LanePauses {
  constructor(private readonly db: Db) {}

  async paused(): Promise<Set<Lane>> {
    const rows = await this.db.select({ lane: lanePauses.lane }).from(lanePauses);
    return new Set(rows.map((row) => row.lane).filter(isLane));
  }

  async pause(lane: Lane): Promise<void> {
    await this.db.insert(lanePauses).values({ lane }).onConflictDoNothing();
  }

  async resume(lane: Lane): Promise<void> {
    await this.db.delete(lanePauses).where(eq(lanePauses.lane, lane));
  }
}
