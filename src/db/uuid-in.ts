import { type Column, Placeholder, type SQL, sql } from 'drizzle-orm';

/**
 * `column` is one of `ids`, with the ids as one JSON parameter: drizzle's
 * `inArray` makes a parameter of each, and building a statement with a
 * thousand of them cost more CPU than the database spent running it.
 * `= any(array(…))`, not `in (select …)`: the planner joins a subquery with
 * a sequential scan of the table, but looks an array up in the index.
 * In a prepared statement, `ids` is a placeholder, given `uuidList(ids)`.
 */
export function uuidIn(column: Column, ids: readonly string[] | Placeholder): SQL {
  const list = ids instanceof Placeholder ? ids : uuidList(ids);
  return sql`${column} = any(array(select jsonb_array_elements_text(${list}::jsonb)::uuid))`;
}

/** The value of a `uuidIn` placeholder. */
export function uuidList(ids: readonly string[]): string {
  return JSON.stringify(ids);
}
