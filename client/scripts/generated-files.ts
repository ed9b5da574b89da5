import { resolve } from 'node:path';
import { openApiJson, servedOpenApiDocument } from './openapi-document.js';
import { schemaTypes } from './schema-types.js';

/** The repository's root, whatever the working directory. */
export const repositoryRoot = resolve(import.meta.dirname, '../..');

export interface GeneratedFile {
  /** Relative to the repository's root. */
  readonly path: string;
  readonly content: string;
}

/** What `npm run client:generate` writes: the served OpenAPI document, then the client's types made from exactly that text. */
export async function generatedFiles(): Promise<GeneratedFile[]> {
  const document = openApiJson(await servedOpenApiDocument());
  return [
    { path: 'docs/openapi.json', content: document },
    { path: 'client/src/schema.ts', content: await schemaTypes(JSON.parse(document)) },
  ];
}
