import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** The console is served by `ledger serve` under /console/ from dist/console; everything it loads is in that folder. */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // One small app: no source maps shipped, no chunk splitting to wait on.
    sourcemap: false,
    reportCompressedSize: false,
  },
});
