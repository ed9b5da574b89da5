import { asc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { isForeignKeyViolation, isUniqueViolation } from '../db/errors.js';
import { bookTags, type TagRow, tags } from '../db/schema/index.js';
import { transaction } from '../db/transaction.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { bookNotFound } from './book.service.js';

function tagNotFound(): NotFoundError {
  return new NotFoundError('tag_not_found', 'No tag has this id');
}

function tagExists(name: string): ConflictError {
  return new ConflictError('tag_exists', `A tag named "${name}" exists already`, 'Use that tag, or choose another name');
}

/** Tags: names unique in any case, linked to books at most once. */
export class TagService {
  constructor(private readonly db: Db) {}

  list(): Promise<TagRow[]> {
    return this.db
      .select()
      .from(tags)
      .orderBy(asc(sql`lower(${tags.name})`));
  }

  async create(name: string): Promise<TagRow> {
    try {
      const [tag] = await this.db.insert(tags).values({ name: name.trim() }).returning();
      return tag as TagRow;
    } catch (error) {
      if (isUniqueViolation(error, 'tags_name_lower_key')) throw tagExists(name.trim());
      throw error;
    }
  }

  /**
   * Links the named tags to a book, creating the ones that do not exist. The
   * database settles races: a tag two requests create at once is created once
   * (`on conflict do nothing` waits for the other to commit), a link made
   * twice is made once (the primary key). It also settles case: names are
   * compared only by the `lower()` of the unique index, never by JavaScript's
   * `toLowerCase()`, which differs from it ("ΟΔΟΣ1", "İX"); of two names in
   * one request that are the same tag, the first is the one created.
   */
  async attach(bookUid: string, names: readonly string[]): Promise<void> {
    const wanted = [...new Set(names.map((name) => name.trim()))];
    if (wanted.length === 0) return;
    try {
      await transaction(this.db, async (tx) => {
        await tx
          .insert(tags)
          .values(wanted.map((name) => ({ name })))
          .onConflictDoNothing();
        const found = await tx
          .select({ uid: tags.uid })
          .from(tags)
          .where(
            inArray(
              sql`lower(${tags.name})`,
              wanted.map((name) => sql`lower(${name})`),
            ),
          );
        // Empty only if every tag was deleted in between: nothing is left to link.
        if (found.length === 0) return;
        await tx
          .insert(bookTags)
          .values(found.map((tag) => ({ bookUid, tagUid: tag.uid })))
          .onConflictDoNothing();
      });
    } catch (error) {
      if (isForeignKeyViolation(error, 'book_tags_book_uid_books_uid_fk')) throw bookNotFound();
      throw error;
    }
  }

  async rename(uid: string, name: string): Promise<TagRow> {
    try {
      const [tag] = await this.db.update(tags).set({ name: name.trim() }).where(eq(tags.uid, uid)).returning();
      if (!tag) throw tagNotFound();
      return tag;
    } catch (error) {
      if (isUniqueViolation(error, 'tags_name_lower_key')) throw tagExists(name.trim());
      throw error;
    }
  }

  /** Deletes the tag; its links to books go with it. */
  async delete(uid: string): Promise<void> {
    const deleted = await this.db.delete(tags).where(eq(tags.uid, uid)).returning({ uid: tags.uid });
    if (deleted.length === 0) throw tagNotFound();
  }
}
