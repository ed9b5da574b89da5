import Ajv, { type Options } from 'ajv';
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
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema));
  // No body is an empty one: validation then names each missing field rather than "body must be object".
  app.addHook('preValidation', async (request) => {
    if (request.body === undefined && request.method !== 'GET' && request.method !== 'HEAD') request.body = {};
  });
}
