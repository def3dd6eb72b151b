// Bundle the views into the Python package: `node build.mjs` (minified) or `node build.mjs --watch`.
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const outdir = resolve(here, "../interplab_widgets/static");
const watch = process.argv.includes("--watch");

/** @type {import("esbuild").BuildOptions} */
const common = {
  bundle: true,
  minify: true,
  target: "es2020",
  logLevel: "info",
  // Inline source maps only while developing; the shipped bundle stays small.
  sourcemap: watch ? "inline" : false,
};

const builds = [
  {
    ...common,
    entryPoints: [resolve(here, "src/attention_explorer.ts")],
    outfile: resolve(outdir, "attention_explorer.js"),
    format: "esm",
  },
  {
    ...common,
    entryPoints: [resolve(here, "src/attention_explorer.css")],
    outfile: resolve(outdir, "attention_explorer.css"),
  },
  {
    ...common,
    entryPoints: [resolve(here, "src/generation_tracer.ts")],
    outfile: resolve(outdir, "generation_tracer.js"),
    format: "esm",
  },
  {
    ...common,
    entryPoints: [resolve(here, "src/generation_tracer.css")],
    outfile: resolve(outdir, "generation_tracer.css"),
  },
];

if (watch) {
  for (const options of builds) await (await esbuild.context(options)).watch();
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
