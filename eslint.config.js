import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The data-plane boundary: surfaces speak the DataPlane interface, never ask which plane runs.
    files: ['src/**/*.{ts,tsx}'],
    ignores: ['src/dataplane/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "BinaryExpression[left.property.name='kind'][right.value=/^(in-process|haproxy)$/]",
          message: 'No data-plane kind checks outside src/dataplane: use the DataPlane interface (external, settled, inFlight, apply).',
        },
      ],
    },
  },
  // Core is pure and layered: entities ← apps (Kf, SAP) ← commands; nothing in core reaches out.
  ...[
    { files: ['src/core/**/*.ts'], ignores: ['src/core/entities.ts', 'src/core/apps.ts'], paths: [] },
    { files: ['src/core/apps.ts'], paths: ['./commands.js'] },
    { files: ['src/core/entities.ts'], paths: ['./commands.js', './apps.js'] },
  ].map(({ paths, ...where }) => ({
    ...where,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [{ group: ['../*', 'node:*', '!node:crypto'], message: 'src/core does no I/O and imports nothing outside core.' }],
          paths: paths.map((name) => ({ name, message: 'core is layered entities ← apps ← commands: this import goes up a layer (a cycle).' })),
        },
      ],
    },
  })),
  {
    files: ['**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly', Buffer: 'readonly' } },
  },
);
