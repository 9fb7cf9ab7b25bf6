/**
 * Builds the web console into `dist/web`, which the API server serves. In development
 * (`npx vite --config src/web/vite.config.ts`) API calls are proxied to a server on port 8080
 * (`npm start`).
 */
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  // Absolute: a page opened at a deep path (`/sources/abc/accounts`) loads `/assets/…`.
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../../dist/web', import.meta.url)),
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 800,
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
});
