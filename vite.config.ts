import { resolve } from 'node:path';
import { defineConfig } from 'vite';

// `vite` / `npm run demo` serves the demo page; `vite build --mode lib` builds the package into
// dist/ with every .wgsl file inlined as a string, so users need no bundler.
export default defineConfig(({ mode }) =>
  mode === 'lib'
    ? {
        build: {
          outDir: 'dist',
          emptyOutDir: true,
          sourcemap: true,
          target: 'es2022',
          minify: false,
          lib: { entry: resolve(import.meta.dirname, 'src/index.ts'), formats: ['es'], fileName: 'index' },
          rolldownOptions: { external: ['webgpu'] },
        },
      }
    : {
        root: resolve(import.meta.dirname, 'demo'),
        server: { host: '127.0.0.1' },
        preview: { host: '127.0.0.1' },
        build: { outDir: resolve(import.meta.dirname, 'dist-demo'), emptyOutDir: true, target: 'es2022' },
      },
);
