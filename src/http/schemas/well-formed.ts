import type { FuncKeywordDefinition, SchemaValidateFunction } from 'ajv';

/**
 * The schema keyword that marks a string as text a client may send: Ajv
 * refuses the characters below before a handler sees them. `x-` because the
 * OpenAPI document carries it as an extension.
 */
export const wellFormedKeyword = 'x-well-formed';

/**
 * What is wrong with `value` as stored text (a sentence's end: "must not …"),
 * or undefined when nothing is.
 * PostgreSQL cannot store U+0000 (the insert fails); a lone surrogate has no
 * UTF-8 form, so the driver would store U+FFFD instead of what was sent; and
 * PGlite's decoder drops a U+FEFF that starts a value (PostgreSQL keeps it),
 * so the same request would read back differently on the two databases.
 */
export function badCharacter(value: string): string | undefined {
  if (value.includes('\u0000')) return 'must not contain U+0000';
  // In a /u pattern a valid pair is one code point; only an unpaired half is of category Cs.
  if (/\p{Cs}/u.test(value)) return 'must not contain a lone surrogate (half of a UTF-16 pair)';
  if (value.startsWith('\uFEFF')) return 'must not start with U+FEFF (a byte-order mark)';
  return undefined;
}

const check: SchemaValidateFunction = (enabled: boolean, data: unknown) => {
  const problem = enabled && typeof data === 'string' ? badCharacter(data) : undefined;
  check.errors = problem === undefined ? [] : [{ keyword: wellFormedKeyword, params: { problem }, message: problem }];
  return problem === undefined;
};

/** The Ajv definition of {@link wellFormedKeyword}. */
export const wellFormedKeywordDefinition: FuncKeywordDefinition = {
  keyword: wellFormedKeyword,
  type: 'string',
  schemaType: 'boolean',
  errors: true,
  validate: check,
};
