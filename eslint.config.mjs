// Lint: typescript-eslint (type-aware) plus the layering rules of shared/STYLE.md — the folder says
// which runtime may run the code, and imports across runtimes are errors.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [
  'node:*',
  'fs',
  'path',
  'os',
  'child_process',
  'crypto',
  'http',
  'https',
  'net',
  'url',
  'util',
  'stream',
  'worker_threads',
];

/** What code under main/ may not import (a block for a folder of it repeats these: rules do not merge). */
function mainImports(...morePatterns) {
  return {
    paths: [{ name: 'electron', message: 'Only main/shell/ may import electron; the core runs under plain Node.' }],
    patterns: [
      { group: ['**/renderer/**', '**/preload/**'], message: 'main may not import renderer or preload code.' },
      ...morePatterns,
    ],
  };
}

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'release/**',
      'node_modules/**',
      '.venv/**',
      '.electron-native/**',
      'test-output/**',
      'bench-output/**',
      '.cache/**',
      'resources/**/*.py',
      '**/*.tmp',
    ],
  },
  js.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.mts'],
    extends: [...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['vitest.config.mts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/only-throw-error': 'off',
    },
  },
  {
    files: ['**/*.mjs', '**/*.cjs', '**/*.js'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['common/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          // Sibling files, and the contract from a sub-folder (common/scene-doc/ imports ../contract).
          selector: 'ImportDeclaration[source.value=/^(?!\\.\\/|\\.\\.\\/contract(\\/|$))/]',
          message: 'common/ is shared by every runtime: it may import only from common/.',
        },
      ],
    },
  },
  {
    files: ['common/contract/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "ImportDeclaration[importKind!='type'], ExportAllDeclaration[exportKind!='type']",
          message: 'The contract is types only: it imports types from its own folder and nothing else.',
        },
        {
          selector: 'ImportDeclaration[source.value=/^(?!\\.\\/)/]',
          message: 'The contract imports only from its own folder.',
        },
      ],
    },
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['electron', 'better-sqlite3', 'node-llama-cpp', 'openai', 'ssh2'].map((name) => ({
            name,
            message: 'The renderer reaches the studio only through the contract (lib/studio.ts).',
          })),
          patterns: [
            { group: nodeBuiltins, message: 'The renderer runs in a browser: no Node modules.' },
            {
              group: ['**/main/**', '../../main/*', '**/preload/**'],
              message: 'The renderer may not import main or preload; use the contract.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['preload/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['better-sqlite3', 'node-llama-cpp', 'openai', 'ssh2'],
          patterns: [
            { group: nodeBuiltins, message: 'The preload is sandboxed: electron and common/ only.' },
            { group: ['**/main/**', '**/renderer/**'], message: 'The preload forwards the contract and nothing else.' },
          ],
        },
      ],
    },
  },
  {
    files: ['main/**/*.ts'],
    ignores: ['main/shell/**'],
    rules: { 'no-restricted-imports': ['error', mainImports()] },
  },
  {
    // The store is beneath the core: it may use common/ and its own files, never main/core (what both
    // need, such as StudioFailure and chunk headings, lives in common/).
    files: ['main/store/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        mainImports({
          group: ['../core', '../core/**', '**/main/core/**'],
          message: 'The store may not import main/core; share through common/.',
        }),
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'test/**/*.tsx'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
      // vitest's asymmetric matchers (expect.stringMatching…) are typed `any`.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['test/e2e/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          // A fixed sleep passes on a quiet machine and fails on CI's loaded cores.
          selector: "CallExpression[callee.property.name='waitForTimeout']",
          message:
            'Wait for a state (locator.waitFor, expect.poll) or hold the fake server (FakeReply.hold, test/support/gate.ts), never for a time.',
        },
      ],
    },
  },
);
