import Ajv, { type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import { isCalendarDate } from '../schemas/calendar-date.js';
import { wellFormedKeywordDefinition } from '../schemas/well-formed.js';

const shared: Options = { allErrors: true, useDefaults: true, strictSchema: false };

function createAjv(options: Options): Ajv.default {
  const ajv = addFormats.default(new Ajv.default({ ...shared, ...options }));
  ajv.addFormat('date', { type: 'string', validate: isCalendarDate });
  ajv.addKeyword(wellFormedKeywordDefinition);
  return ajv;
}

/**
 * Bodies are JSON and keep their types: `"12"` is not a page count. Query
 * strings and path parameters arrive as text and are converted to their schema's type.
 */
export function installValidators(app: FastifyInstance): void {
  const strict = createAjv({ coerceTypes: false });
  const coercing = createAjv({ coerceTypes: 'array' });
  app.setValidatorCompiler(({ schema, httpPart }) => lazily(httpPart === 'body' ? strict : coercing, schema));
  // No body is an empty one: validation then names each missing field rather than "body must be object".
  app.addHook('preValidation', async (request) => {
    if (request.body === undefined && request.method !== 'GET' && request.method !== 'HEAD') request.body = {};
  });
}

type ValidationContext = Parameters<ValidateFunction>[1];

/** What Fastify reads of a validator: its answer, its `errors` after a `false`, and whether it is Ajv's (`schemaEnv`). */
interface LazyValidator {
  (data: unknown, context?: ValidationContext): boolean;
  errors?: ErrorObject[] | null;
  schemaEnv: true;
}

/**
 * Compiles a route's schema on its first request rather than at start-up, where compiling every
 * route's schemas was a third of the API's CPU before it answered. `schemaEnv` makes Fastify pass
 * the parent data, as it does to Ajv's own validators, so that a coerced root value is written back.
 */
function lazily(ajv: Ajv.default, schema: object): LazyValidator {
  let compiled: ValidateFunction | undefined;
  const validate: LazyValidator = Object.assign(
    (data: unknown, context?: ValidationContext) => {
      compiled ??= ajv.compile(schema);
      const valid = compiled(data, context);
      validate.errors = compiled.errors;
      return valid;
    },
    { schemaEnv: true as const },
  );
  return validate;
}
