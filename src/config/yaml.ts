/**
 * Kong's declarative format (services with nested routes, upstreams with nested targets), in and
 * out. This module is the door; the rooms: loading (`load.ts`: through the same commands as every
 * other change, a bad file rejected whole with the path of each bad field), exporting
 * (`export.ts`), and what a Kong file carries that switchyard does not have (`unsupported.ts`).
 */
export { parseDocument, readDeclarative, loadDeclarative, type Loaded, type LoadOptions } from './load.js';
export { toDeclarative, exportYaml, type DeclarativeFlavour } from './export.js';
export { describeSkipped, type SkippedEntity, type SkippedOnRoute } from './unsupported.js';
