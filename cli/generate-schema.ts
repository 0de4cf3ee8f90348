/**
 * Writes policies/schema.json, the JSON Schema editors use to check rule files
 * (`# yaml-language-server: $schema=./schema.json`). Generated from the zod rule model;
 * a unit test fails when the file is out of date. Run: npm run schema
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ruleFileJsonSchema } from '../functions/core/rules/schema.ts';

export const SCHEMA_PATH = fileURLToPath(new URL('../policies/schema.json', import.meta.url));

/** The file's exact text: stable key order, two-space indent, final newline. */
export function schemaText(): string {
  return `${JSON.stringify(ruleFileJsonSchema(), null, 2)}\n`;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await writeFile(SCHEMA_PATH, schemaText());
  process.stdout.write(`wrote ${SCHEMA_PATH}\n`);
}
