/**
 * The template metadata key naming a function's handler source, relative to the project
 * root: `plgate local` runs a template synthesized without bundling from that file.
 * AWS ignores the key.
 */
export const SOURCE_METADATA_KEY = 'privatelink-gate:source';
