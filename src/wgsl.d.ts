// WGSL files are imported as text; Vite (and so Vitest and the build) inline them.
declare module '*.wgsl?raw' {
  const source: string;
  export default source;
}
