import { defineConfig } from "vite";

// The built page must satisfy its own CSP: no inline scripts or styles,
// so nothing is inlined into index.html and no preload polyfill is added.
// It goes to dist/app (gitignored), which Vite empties: dist/placeholder is
// committed beside it so the Go embed of dist works on a fresh clone
// (see assets.go).
export default defineConfig({
  build: {
    outDir: "dist/app",
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: "es2022",
  },
  test: {
    environment: "jsdom",
  },
} as any);
