/**
 * `npm run bench`: runs every bench/*.bench.ts (or only those named on the command line) in
 * order; each prints its own figures. Benchmarks are not tests: they print numbers, nothing fails
 * on a slow machine.
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

async function main(): Promise<void> {
  const dir = resolve(__dirname);
  const wanted = process.argv.slice(2);
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
    .sort();
  for (const file of files) {
    console.log(`\n##### ${file}`);
    const mod = (await import(pathToFileURL(join(dir, file)).href)) as {
      run?: () => Promise<void>;
    };
    if (typeof mod.run !== 'function') throw new Error(`${file} does not export run()`);
    await mod.run();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
