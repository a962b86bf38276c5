// One lint config for the monorepo: eslint's and typescript-eslint's recommended rules, plus the few
// conventions of this codebase. Type-aware rules are left out to keep `npm run lint` fast on 2 cores.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/build/**', '**/.scratch/**', '**/.probe/**', '**/*.tmp.ts', 'fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // TypeScript resolves names (and knows Node's globals); eslint's scope check only duplicates it badly.
      'no-undef': 'off',
      // Tests and fixtures deliberately use `any` at boundaries with untyped JSON.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // Ambient declarations name classes that are only used as types.
    files: ['**/*.d.ts'],
    rules: { '@typescript-eslint/no-unused-vars': 'off' },
  },
);
