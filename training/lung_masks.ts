/**
 * Runs the app's own lung segmenter (decode -> gray -> segmenter -> post-processing, exactly as
 * the app does) over a manifest's images and writes, per image, the post-processed mask on the
 * segmenter grid (PNG, 255 = lung) plus the mask measures the chest gate reads.
 * Python training reads these masks, so the classifier learns on the crops the app will make.
 *
 *   npx tsx training/lung_masks.ts --segmenter resources/models/lungseg-unet-v1 \
 *       --manifest ../shared/data/cxr/manifest.csv --out training/cache/lungmasks \
 *       [--measures training/reports/lung-measures.json] [--files a.dcm b.dcm ...]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'csv-parse/sync';
import { PNG } from 'pngjs';
import { decodeForModel } from '../src/main/platform/decode-pool';
import { createLungSegmenter } from '../src/main/platform/inference/engine';
import {
  chestHeaderOf,
  headerVerdict,
  maskVerdict,
  measureLungMask,
} from '../src/main/platform/inference/lungs/gate';
import { toErrorInfo } from '../src/shared/errors';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: {
      segmenter: { type: 'string' },
      manifest: { type: 'string' },
      out: { type: 'string' },
      measures: { type: 'string' },
    },
    allowPositionals: true,
  });
  if (!values.segmenter || (!values.manifest && positionals.length === 0)) {
    throw new Error('usage: --segmenter DIR (--manifest CSV | files...) [--out DIR] [--measures JSON]');
  }
  const items: { path: string; file: string; label?: string; source?: string }[] = [];
  if (values.manifest) {
    const base = dirname(resolve(values.manifest));
    const rows = parse(readFileSync(values.manifest, 'utf8'), { columns: true }) as Record<string, string>[];
    for (const r of rows) items.push({ path: join(base, r.file), file: r.file, label: r.label, source: r.source });
  }
  for (const p of positionals) items.push({ path: resolve(p), file: p });
  if (values.out) mkdirSync(values.out, { recursive: true });
  const { segmenter, dispose } = await createLungSegmenter({ modelDir: values.segmenter });
  const measures: unknown[] = [];
  try {
    for (const [i, item] of items.entries()) {
      try {
        const image = await decodeForModel(item.path);
        const gray = { data: image.gray, width: image.width, height: image.height };
        const seg = await segmenter.segment(gray);
        const { mask } = seg;
        if (values.out) {
          const png = new PNG({ width: mask.width, height: mask.height, colorType: 0, inputColorType: 0 });
          png.data = Buffer.from(mask.data.map((v) => (v ? 255 : 0)));
          writeFileSync(join(values.out, `${basename(item.file)}.png`), PNG.sync.write(png, { colorType: 0, inputColorType: 0 }));
        }
        measures.push({
          file: item.file,
          label: item.label,
          source: item.source,
          width: gray.width,
          height: gray.height,
          ...measureLungMask(mask),
          header: headerVerdict(chestHeaderOf(image)),
          gate: maskVerdict(mask, segmenter.manifest.gate),
        });
      } catch (error) {
        measures.push({ file: item.file, error: toErrorInfo(error) });
      }
      if ((i + 1) % 100 === 0) console.log(`${i + 1}/${items.length}`);
    }
  } finally {
    await dispose();
  }
  if (values.measures) {
    mkdirSync(dirname(values.measures), { recursive: true });
    writeFileSync(values.measures, JSON.stringify(measures, null, 1) + '\n');
  }
  console.log(`segmented ${items.length} images`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
