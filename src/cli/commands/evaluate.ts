/**
 * `evaluate --manifest <csv> --out <dir> [--model <dir>]`
 * Runs the model over a labelled manifest and writes metrics.json, report.md, predictions.csv,
 * confusion_matrix.svg and roc.svg into <dir>.
 */
import { parseArgs } from 'node:util';
import { toErrorInfo } from '../../shared/errors';
import { runEvaluation } from '../../main/evaluation';
import { createInferenceEngine, defaultModelDir } from '../../main/inference';

const RESEARCH_NOTICE =
  'For research and triage support only. Not a diagnosis; every result must be reviewed by a qualified reader.';

export const usage = 'evaluate --manifest <csv> --out <dir> [--model <dir>]';

export async function run(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: { manifest: { type: 'string' }, out: { type: 'string' }, model: { type: 'string' } },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\nusage: ${usage}`);
    return 2;
  }
  const { manifest, out } = args.values;
  if (!manifest || !out) {
    console.error(`usage: ${usage}`);
    return 2;
  }
  let engine;
  try {
    engine = await createInferenceEngine({ modelDir: args.values.model ?? defaultModelDir() });
  } catch (error) {
    const info = toErrorInfo(error);
    console.error(`Cannot load the model: ${info.code}: ${info.message}`);
    return 1;
  }
  console.error(RESEARCH_NOTICE);
  const tty = process.stderr.isTTY === true;
  let lastPrinted = 0;
  const started = performance.now();
  try {
    const outcome = await runEvaluation({
      manifestPath: manifest,
      outDir: out,
      engine,
      onProgress: (done, total) => {
        const now = performance.now();
        if (done < total && now - lastPrinted < (tty ? 200 : 5000)) return;
        lastPrinted = now;
        const rate = done / ((now - started) / 1000);
        const line = `evaluating ${done}/${total} (${((done / total) * 100).toFixed(0)}%), ${rate.toFixed(1)} img/s`;
        process.stderr.write(tty ? `\r\x1b[2K${line}${done === total ? '\n' : ''}` : `${line}\n`);
      },
    });
    const m = outcome.metrics;
    const failed = outcome.images.filter((i) => i.error).length;
    const pct = (v: number | null): string => (v === null ? 'n/a' : `${(v * 100).toFixed(1)}%`);
    console.log(
      [
        `${m.n_images} images evaluated${failed ? `, ${failed} unreadable` : ''}; accuracy ${pct(m.accuracy)}`,
        ...m.classes.map(
          (c) =>
            `  ${c}: sensitivity ${pct(m.per_class[c].sensitivity)}, PPV ${pct(m.per_class[c].ppv)}, ` +
            `AUC ${m.per_class[c].auc === null ? 'n/a' : (m.per_class[c].auc as number).toFixed(3)}`,
        ),
        `Wrote ${outcome.files.join(', ')}`,
      ].join('\n'),
    );
    return 0;
  } catch (error) {
    const info = toErrorInfo(error);
    console.error(`Evaluation failed: ${info.code}: ${info.message}`);
    return info.code === 'INVALID_REQUEST' ? 2 : 1;
  } finally {
    await engine.dispose();
  }
}
