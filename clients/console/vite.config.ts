import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// `vite dev` forwards the API to a running gateway's console address, so the
// app can be developed against `npm start` without building it.
const gateway = process.env.AOS_CONSOLE_DEV_TARGET ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      // libs/domain is pure (types, tables, zod schemas), so a module of it the
      // console does not use is dropped: the sign-in and the shell need only
      // the built-in roles, not every event schema with zod behind it.
      treeshake: { moduleSideEffects: [{ test: /\/libs\/domain\/src\//, sideEffects: false }] },
    },
  },
  server: {
    proxy: {
      '/aos.v1.': { target: gateway, changeOrigin: false },
      '/console-config.json': { target: gateway, changeOrigin: false },
    },
  },
});
