// Webpack/rspack loads .svg files as strings (the builder's asset/source rule).
declare module '*.svg' {
  const value: string;
  export default value;
}
