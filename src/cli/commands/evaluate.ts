/**
 * `evaluate --manifest <csv> --out <dir> [--model <dir>] [--probe] [--baseline <json>]`
 * Runs the model over a labelled manifest and writes metrics.json, report.md, predictions.csv,
 * confusion_matrix.svg and roc.svg into <dir>. The no-anatomy shortcut baseline
 * (`<model>/shortcut_baseline.json` unless --baseline names another) is reported beside the
 * model; --probe adds the framing probe.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../command';
import { toErrorInfo } from '../../shared/errors';
import { runEvaluation } from '../../main/features/evaluation';
import {
  loadShortcutBaseline,
  type ShortcutBaseline,
} from '../../main/features/evaluation/shortcut/baseline';
import { createInferenceEngine, defaultModelDir } from '../../main/platform/inference';
import { RESEARCH_NOTICE } from '../../shared/notice';

export const usage =
  'evaluate --manifest <csv> --out <dir> [--model <dir>] [--probe] [--baseline <shortcut_baseline.json>] ' +
  '[--lung-masks <masks.csv>]';

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs({
    args: argv,
    options: {
      manifest: { type: 'string' },
      out: { type: 'string' },
      model: { type: 'string' },
      probe: { type: 'boolean' },
      baseline: { type: 'string' },
      'lung-masks': { type: 'string' },
    },
  });
  const { manifest, out } = args.values;
  if (!manifest || !out) {
    throw new UsageError('--manifest and --out are required');
  }
  const modelDir = args.values.model ?? defaultModelDir();
  const baselinePath = args.values.baseline ?? join(modelDir, 'shortcut_baseline.json');
  let shortcutBaseline: ShortcutBaseline | null = null;
  if (args.values.baseline || existsSync(baselinePath)) {
    try {
      shortcutBaseline = await loadShortcutBaseline(baselinePath);
    } catch (error) {
      const info = toErrorInfo(error);
      console.error(`Cannot load the shortcut baseline: ${info.code}: ${info.message}`);
      return 1;
    }
  }
  let engine;
  try {
    engine = await createInferenceEngine({ modelDir });
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
      shortcutBaseline,
      probe: args.values.probe === true,
      lungMasksPath: args.values['lung-masks'],
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
    const num = (v: number | null): string => (v === null ? 'n/a' : v.toFixed(3));
    console.log(
      [
        `${m.n_images} images evaluated${failed ? `, ${failed} unreadable` : ''}` +
          `${m.gate.rejected ? `, ${m.gate.rejected} turned away by the chest gate` : ''}; accuracy ${pct(m.accuracy)}`,
        ...m.classes.map(
          (c) =>
            `  ${c}: sensitivity ${pct(m.per_class[c].sensitivity)}, PPV ${pct(m.per_class[c].ppv)}, ` +
            `AUC ${m.per_class[c].auc === null ? 'n/a' : (m.per_class[c].auc as number).toFixed(3)}`,
        ),
        ...(m.shortcut_baseline
          ? [
              `  no-anatomy shortcut baseline: accuracy ${pct(m.shortcut_baseline.accuracy)}, COVID-19 AUC ` +
                `${m.shortcut_baseline.covid_auc?.toFixed(3) ?? 'n/a'}, names the source ${pct(m.shortcut_baseline.source_accuracy)}`,
            ]
          : []),
        ...Object.entries(m.probe ?? {}).map(
          ([t, f]) =>
            `  probe ${t}: mean change in P(COVID-19) ${f.mean_delta_p_covid?.toFixed(3) ?? 'n/a'}, ` +
            `${f.label_changes}/${f.n} labels changed`,
        ),
        `  within source: NIH normal vs pneumonia AUC ${num(m.within_source.nih_normal_vs_pneumonia_auc)} ` +
          `(n=${m.within_source.nih_n}), Cohen COVID-19 vs other AUC ${num(m.within_source.cohen_covid_vs_other_auc)} ` +
          `(n=${m.within_source.cohen_n})` +
          (m.within_source.rsna_n > 0
            ? `, RSNA (lung-masked) normal vs pneumonia AUC ${num(m.within_source.rsna_normal_vs_pneumonia_auc)} (n=${m.within_source.rsna_n})`
            : ''),
        `  calibration: ${m.calibration.calibrated ? `temperature ${num(m.calibration.temperature)}` : 'uncalibrated'}, ` +
          `ECE ${num(m.calibration.ece)} (15 bins, n=${m.calibration.n})`,
        `  verdicts: call ${m.verdicts.call.n}/${m.verdicts.n} (${pct(m.verdicts.call.share)}) right ${pct(m.verdicts.call.accuracy)} ` +
          `vs ${pct(m.verdicts.accuracy_all)} over all; uncertain ${m.verdicts.uncertain.n} (${pct(m.verdicts.uncertain.share)}); ` +
          `unfamiliar ${m.verdicts.unfamiliar.n} (${pct(m.verdicts.unfamiliar.share)})`,
        ...(m.lungs_out
          ? [
              `  lungs_out (lungs filled): COVID-19 AUC ${num(m.lungs_out.covid_auc)}, NIH normal vs pneumonia AUC ` +
                `${num(m.lungs_out.nih_normal_vs_pneumonia_auc)}, accuracy ${pct(m.lungs_out.accuracy)}, ` +
                `mean change in P(COVID-19) ${num(m.lungs_out.mean_delta_p_covid)} (n=${m.lungs_out.n})`,
            ]
          : []),
        ...(m.outline_only
          ? [
              `  outline_only (lungs one flat gray): COVID-19 AUC ${num(m.outline_only.covid_auc)}, NIH normal vs pneumonia AUC ` +
                `${num(m.outline_only.nih_normal_vs_pneumonia_auc)}, RSNA normal vs pneumonia AUC ` +
                `${num(m.outline_only.rsna_normal_vs_pneumonia_auc)}, accuracy ${pct(m.outline_only.accuracy)} (n=${m.outline_only.n})`,
            ]
          : []),
        ...(m.heatmap_in_lungs
          ? [`  heatmap_in_lungs: ${num(m.heatmap_in_lungs.mean)} (n=${m.heatmap_in_lungs.n})`]
          : []),
        ...(m.segmenter
          ? [
              `  segmenter ${m.segmenter.id}: Dice ${num(m.segmenter.dice)}, IoU ${num(m.segmenter.iou)} ` +
                `on ${m.segmenter.n} reference masks`,
            ]
          : []),
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
