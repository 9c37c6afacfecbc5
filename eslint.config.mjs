// ESLint for mmapkit: typescript-eslint's recommended rules over lib/, test/, bench/ and scripts/,
// formatting left to Prettier (eslint-config-prettier turns off the rules it owns). `npm run lint`
// runs it with --max-warnings 0.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'build/', 'build-*/', 'prebuilds/', 'node_modules/', '.cache/', 'coverage/', 'bench-results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { ecmaVersion: 2023, globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Unused names are mistakes, except deliberately ignored ones spelled with a leading underscore.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Empty catch blocks are used on purpose for best-effort clean-up; each says so in a comment.
      'no-empty': ['error', { allowEmptyCatch: true }],
      // Control characters in regular expressions are how the CLI strips terminal escapes.
      'no-control-regex': 'off',
    },
  },
  {
    // CommonJS scripts and test helpers run by plain Node (a module-scope `const crypto` does not
    // redeclare the global).
    files: ['**/*.cjs', 'scripts/**/*.js', 'native/**/*.js', 'test/support/**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off', 'no-redeclare': ['error', { builtinGlobals: false }] },
  },
);
