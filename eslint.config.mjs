// Lint rules include the layering rules from docs/architecture.md: shared imports nothing outside
// itself, main-side modules never import electron (only the bootstrap does), the renderer never
// imports Node built-ins, and inside src/main and src/renderer no module imports a layer above
// its own (scripts/eslint/layers.mjs).
import js from '@eslint/js';
import layers from './scripts/eslint/layers.mjs';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

const nodeBuiltins = [
  'fs',
  'path',
  'os',
  'child_process',
  'worker_threads',
  'net',
  'http',
  'https',
  'crypto',
  'zlib',
  'stream',
].flatMap((m) => [m, `node:${m}`, `${m}/*`, `node:${m}/*`]);

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'out/**',
      'dist/**',
      'coverage/**',
      '.tmp/**',
      'training/**',
      'e2e/artifacts/**',
      'bench/results/**',
      '**/*.cjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['src/main/**/*.ts', 'src/renderer/**/*.ts'],
    plugins: { local: layers },
    rules: { 'local/layers': 'error' },
  },
  {
    files: ['src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/main/**', '**/renderer/**', '**/preload/**', 'electron', ...nodeBuiltins],
              message: 'src/shared must stay runtime-neutral.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/main/**/*.ts', 'src/cli/**/*.ts'],
    ignores: ['src/main/index.ts', 'src/main/app/electron/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'electron',
              message:
                'Only the bootstrap (src/main/index.ts, src/main/app/electron/) may import electron.',
            },
          ],
          patterns: [{ group: ['**/renderer/**'], message: 'main never imports renderer code.' }],
        },
      ],
    },
  },
  {
    files: ['src/renderer/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'The renderer has no Electron access.' }],
          patterns: [
            {
              group: ['**/main/**', '**/preload/**', ...nodeBuiltins],
              message: 'The renderer talks to main only through window.api.',
            },
          ],
        },
      ],
    },
  },
);
