// The page is static files the server hands out from dist/web; `base: './'` keeps its asset
// URLs relative, so they resolve wherever the server mounts it.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const web = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: web,
  base: './',
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
  },
});
