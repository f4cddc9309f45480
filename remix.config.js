/** @type {import('@remix-run/dev').AppConfig} */
export default {
  ignoredRouteFiles: ["**/.*", "**/*.test.{ts,tsx}"],
  serverModuleFormat: "esm",
  serverPlatform: "node",
  // PGlite and postgres.js stay external: bundling PGlite breaks the paths of its WASM files.
  serverDependenciesToBundle: [],
  future: {
    v3_fetcherPersist: true,
    v3_relativeSplatPath: true,
    v3_throwAbortReason: true,
    v3_lazyRouteDiscovery: true,
    // Off on purpose: routes return data with json() and type it with `typeof loader`, the classic compiler's
    // idiom. Said explicitly so that every build does not warn about it.
    v3_singleFetch: false,
  },
};
