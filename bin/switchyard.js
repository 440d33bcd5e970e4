#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// React's development build costs the UI a third more CPU; tests set their own NODE_ENV.
process.env.NODE_ENV ??= 'production';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write('switchyard is not built yet: run "npm run build" in its directory first\n');
  process.exit(1);
}
const { main: run } = await import(main.href);
await run(process.argv);
