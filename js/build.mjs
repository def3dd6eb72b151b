// Bundle the views into the Python package: `node build.mjs` (minified) or `node build.mjs --watch`.
// Every top-level src/<name>.ts is a view entry (→ static/<name>.js, esm) and every top-level
// src/<name>.css its stylesheet (→ static/<name>.css), so a new view needs no edit here.
import { readdirSync } from "node:fs";
import { dirname, extname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const srcdir = resolve(here, "src");
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

const builds = readdirSync(srcdir, { withFileTypes: true })
  .filter((entry) => entry.isFile() && [".ts", ".css"].includes(extname(entry.name)))
  .map((entry) => ({
    ...common,
    entryPoints: [resolve(srcdir, entry.name)],
    outfile: resolve(outdir, entry.name.replace(/\.ts$/, ".js")),
    ...(extname(entry.name) === ".ts" ? { format: "esm" } : {}),
  }));

if (watch) {
  for (const options of builds) await (await esbuild.context(options)).watch();
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
