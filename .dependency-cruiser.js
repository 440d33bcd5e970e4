// The layers of src/, enforced by the build (`npm run deps`, part of `npm test`): what may import
// what, no cycles, and no module the program cannot reach. This file is the one truth about
// imports between directories; ESLint keeps only what a cruiser cannot see (syntax rules).
/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle: the layers below must not know the ones above (split the shared part out).',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'core-is-pure',
      severity: 'error',
      comment:
        'src/core does no I/O and imports nothing outside core (node:crypto only, for ids and hashes).',
      from: { path: '^src/core/' },
      to: { pathNot: ['^src/core/', '^crypto$'] },
    },
    {
      name: 'core-layers',
      severity: 'error',
      comment: 'core is layered entities ← apps ← commands: this import goes up a layer.',
      from: { path: '^src/core/entities(\\.ts$|/)' },
      to: { path: '^src/core/(apps|commands)\\.ts$' },
    },
    {
      name: 'core-layers-apps',
      severity: 'error',
      comment: 'core is layered entities ← apps ← commands: apps does not reach commands.',
      from: { path: '^src/core/apps\\.ts$' },
      to: { path: '^src/core/commands\\.ts$' },
    },
    {
      name: 'ui-not-to-surfaces',
      severity: 'error',
      comment:
        'The UI speaks core and the engine; the admin API, the CLI and the demo are other surfaces beside it.',
      from: { path: '^src/ui/' },
      to: { path: '^src/(admin|cli|demo)/' },
    },
    {
      name: 'verbs-only-core',
      severity: 'error',
      comment: 'The command-line language (read by the CLI and the UI alike) turns words into core commands: it reads core only.',
      from: { path: '^src/verbs/' },
      to: { path: '^src/', pathNot: '^src/(verbs|core)/' },
    },
    {
      name: 'proxy-not-to-ui',
      severity: 'error',
      comment: 'The data plane knows nothing of the UI.',
      from: { path: '^src/proxy/' },
      to: { path: '^src/ui/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that resolves to nothing on disk.',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-dead-modules',
      severity: 'error',
      comment: 'No program entry (the CLI) reaches this module: it is dead; remove it or use it.',
      from: { path: '^src/cli/main\\.ts$' },
      to: { path: '^src/', reachable: false },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.build.json' },
    // ink and conf export only `types` and `default`: without these conditions they would not resolve.
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
