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
  // Which directory may import which (core is pure, entities ← apps ← commands, no cycles) is
  // dependency-cruiser's to say: .dependency-cruiser.js, run by `npm run deps`.
  {
    files: ['**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly', Buffer: 'readonly' } },
  },
);
