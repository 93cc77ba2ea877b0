import { resolve } from 'node:path';
import { defineConfig, externalizeDepsPlugin } from 'electron-vite';

export default defineConfig({
  main: {
    plugins: [externalizeDepsPlugin()],
    build: {
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src/main/index.ts'),
          // onnxruntime runs in this worker thread, never on the thread answering IPC.
          'ort-worker': resolve(__dirname, 'src/main/platform/inference/ort-worker.ts'),
          // Image decoding for screening and thumbnails runs in a pool of these.
          'decode-worker': resolve(__dirname, 'src/main/platform/decode-pool/decode-worker.ts'),
        },
      },
    },
  },
  preload: {
    // Sandboxed preloads cannot require() anything but a few Electron modules: bundle everything.
    build: {
      rollupOptions: {
        input: { index: resolve(__dirname, 'src/preload/index.ts') },
        output: { format: 'cjs' },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src/renderer'),
    build: {
      rollupOptions: {
        input: { index: resolve(__dirname, 'src/renderer/index.html') },
      },
    },
  },
});
