// Lint config: typescript-eslint's recommended rules, plus the house rules that
// keep `any` out of the code base.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'out/**', 'examples/**', 'bench/results/**', 'scratch-exp/**', '.tmp-*/**', 'tmp-*', '.try-*'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
);
