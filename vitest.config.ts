import { defineConfig } from 'vitest/config';
import swc from 'unplugin-swc';

// SWC compiles the tests so that NestJS decorators get their metadata, as they
// would from tsc; esbuild alone emits none.
export default defineConfig({
  plugins: [
    swc.vite({
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
        target: 'es2022',
      },
    }),
  ],
  test: {
    include: ['{libs,services,clients,scripts}/**/*.spec.ts'],
    exclude: ['**/node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: integration and end-to-end files start their own servers.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
