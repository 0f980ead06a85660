// Copies browser assets from node_modules into app/static/vendor (git-ignored).
// Later issues add an esbuild bundle for the voting client here.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const vendor = join(here, "..", "app", "static", "vendor");
mkdirSync(vendor, { recursive: true });
copyFileSync(join(here, "node_modules", "htmx.org", "dist", "htmx.min.js"), join(vendor, "htmx.min.js"));
console.log("assets copied to app/static/vendor");
