import { defineConfig } from "vite";

// The built page must satisfy its own CSP: no inline scripts or styles,
// so nothing is inlined into index.html and no preload polyfill is added.
export default defineConfig({
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: "es2022",
  },
  test: {
    environment: "jsdom",
  },
} as any);
