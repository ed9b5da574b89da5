import { type Column, type SQL, sql } from 'drizzle-orm';

/**
 * `column` is one of `ids`, with the ids as one JSON parameter: drizzle's
 * `inArray` makes a parameter of each, and building a statement with a
 * thousand of them cost more CPU than the database spent running it.
 * `= any(array(…))`, not `in (select …)`: the planner joins a subquery with
 * a sequential scan of the table, but looks an array up in the index.
 */
export function uuidIn(column: Column, ids: readonly string[]): SQL {
  return sql`${column} = any(array(select jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb)::uuid))`;
}
