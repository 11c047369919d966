// ESLint flat config. Module boundaries are declared as Nx tags in each
// project.json and enforced here, so that domain code cannot reach NestJS,
// NATS, gRPC or an event-store client, and services never import each other.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';

const frameworkImports = [
  '@nestjs/*',
  '@nats-io/*',
  '@grpc/*',
  '@eventstore/*',
  'nats',
  '@aos/event-store',
  '@aos/messaging',
];

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      'libs/contracts/src/gen/**',
      'clients/console/src/gen/**',
      '.aos/**',
      '.nx/**',
      'coverage/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          allow: [],
          depConstraints: [
            {
              sourceTag: 'type:domain',
              onlyDependOnLibsWithTags: ['type:domain'],
              bannedExternalImports: frameworkImports,
            },
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:domain', 'type:contracts'] },
            { sourceTag: 'type:infra', onlyDependOnLibsWithTags: ['type:domain', 'type:contracts', 'type:infra'] },
            { sourceTag: 'type:client', onlyDependOnLibsWithTags: ['type:domain', 'type:contracts', 'type:client'] },
            {
              sourceTag: 'type:service',
              onlyDependOnLibsWithTags: ['type:domain', 'type:contracts', 'type:infra', 'type:testing'],
            },
            {
              sourceTag: 'type:testing',
              onlyDependOnLibsWithTags: ['type:domain', 'type:contracts', 'type:infra', 'type:client', 'type:testing'],
            },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'off',
    },
  },
  {
    // Deciders are pure domain code: given a state and a command, the events.
    // An allowlist, checked on the files themselves: the domain library, the
    // typed errors, zod, and other deciders; anything else (a framework, a
    // transport, a store client, or @aos/contracts, whose generated code
    // imports @nestjs/microservices) is refused.
    files: ['**/*.decider.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: String.raw`^(?!(@aos/domain|@aos/errors|zod|\./[\w.-]+\.decider|\.\./[\w-]+/[\w.-]+\.decider)$)`,
              message: 'a decider imports only @aos/domain, @aos/errors, zod and other deciders',
            },
          ],
        },
      ],
    },
  },
  {
    // The domain library is what deciders import, so it imports no more than they may.
    files: ['libs/domain/src/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: String.raw`^(?!(zod|@aos/errors|\./[\w.-]+)$)`,
              message: '@aos/domain imports only zod, @aos/errors and its own files',
            },
          ],
        },
      ],
    },
  },
  {
    // Tests and their fixtures compose services, as scripts and benchmarks do.
    files: ['**/*.spec.ts', '**/test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
  {
    // A composition root like scripts/: it runs the backend services together in one
    // process, so it imports them (nothing imports it).
    files: ['services/backends/src/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
