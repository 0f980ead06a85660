// Builds the browser assets into app/static/vendor (git-ignored):
// - htmx copied from node_modules;
// - the voting client bundles (esbuild, ESM, minified) from src/voter.js and, once it
//   exists, src/trustee.js. Both share src/crypto/ (see src/crypto/index.js);
// - src/ballot_check.js, the independent check of an opened ballot (src/audit/);
// - src/survey.js, the survey answer page (src/survey/format.js, src/crypto/).
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const vendor = join(here, "..", "app", "static", "vendor");
mkdirSync(vendor, { recursive: true });
copyFileSync(join(here, "node_modules", "htmx.org", "dist", "htmx.min.js"), join(vendor, "htmx.min.js"));

const entries = ["voter", "trustee", "ballot_check", "survey"].filter((name) => {
  const present = existsSync(join(here, "src", `${name}.js`));
  if (!present) console.log(`src/${name}.js not present yet: skipped`);
  return present;
});
for (const name of entries) {
  await build({
    entryPoints: [join(here, "src", `${name}.js`)],
    outfile: join(vendor, `${name}.js`),
    bundle: true,
    format: "esm",
    minify: true,
    sourcemap: false,
    target: ["es2020"],
    legalComments: "eof",
    logLevel: "warning",
  });
}
console.log(`assets built in app/static/vendor (${["htmx.min.js", ...entries.map((e) => `${e}.js`)].join(", ")})`);
