/**
 * Which signal flags wrong results (issue 21, item 2). Runs the app's own pipeline over a
 * validation split and, per source, compares how well each candidate signal separates right from
 * wrong results: AUROC (right vs wrong) and AURC (area under the risk-coverage curve, lower is
 * better). Then, for the margin and calibrated max-probability rules, it fits the `call` limit on
 * the CALIBRATION split with equal weight per source (src/main/inference/failure-detection.ts)
 * and reports call share and call accuracy on validation, per source. It never fits on the
 * validation split and writes nothing into the model (training/fit_trust.ts does that).
 *
 *   npx tsx training/compare_trust.ts --model resources/models/covidnet-cxr-lungs-v3 \
 *       --validation training/splits/val_v3.csv --calibration training/splits/calib.csv \
 *       [--cache training/cache/trust-v3.json] [--json out.json] [--target-error-reduction 0.6] [--min-coverage 0.35]
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createInferenceEngine } from '../src/main/inference';
import {
  SIGNAL_NAMES,
  compareSignals,
  fitCallLimit,
  limitFigures,
  ruleSignalValue,
  signalsOf,
  type FilmSignals,
  type GroupFigures,
} from '../src/main/inference/failure-detection';
import { argmax } from '../src/main/evaluation/metrics';
import { isUnfamiliar, type Verdict } from '../src/shared/verdict';
import { verdictFor } from '../src/main/inference/trust';
import type { VerdictSignal } from '../src/shared/model-manifest';
import { measureFilms, readFilms, type Film } from './trust-measure';

interface Scored {
  source: string;
  right: boolean;
  probabilities: number[];
  signals: FilmSignals;
  unfamiliar: boolean;
  /** The model's own verdict (model.json verdictRule and familiarity check), as the app decides it. */
  verdict: Verdict;
  truth: string;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' },
      validation: { type: 'string' },
      calibration: { type: 'string' },
      cache: { type: 'string' },
      json: { type: 'string' },
      'target-error-reduction': { type: 'string', default: '0.6' },
      'min-coverage': { type: 'string', default: '0.35' },
      'min-source-films': { type: 'string', default: '20' },
    },
  });
  if (!values.model || !values.validation || !values.calibration) {
    throw new Error('usage: --model DIR --validation CSV --calibration CSV [--cache FILE] [--json FILE]');
  }
  const engine = await createInferenceEngine({ modelDir: resolve(values.model) });
  const { manifest } = engine;
  const temperature = manifest.calibration?.temperature ?? 1;
  const stats = manifest.featureStatistics ?? null;
  const split = (csv: string): Film[] => readFilms(csv, manifest.labels, 'calibration').films;
  const validation = split(values.validation);
  const calibration = split(values.calibration);
  const measured = await measureFilms(
    engine,
    [...validation, ...calibration].map((f) => f.path),
    values.cache ? resolve(values.cache) : null,
  );
  await engine.dispose();
  const score = (films: Film[], offset: number): Scored[] =>
    films.flatMap((film, i) => {
      const m = measured[offset + i];
      if (typeof m === 'string' || film.truth === null) return [];
      const { probabilities, signals } = signalsOf(m.logits, temperature, stats, m.pooled, m.segmenterConfidence);
      const familiarity = {
        distance: signals.negativeDistance === null ? null : -signals.negativeDistance,
        limit: stats?.unfamiliarAbove ?? null,
        segmenterConfidence: m.segmenterConfidence,
        minSegmenterConfidence: stats?.minSegmenterConfidence ?? null,
      };
      return [{
        source: film.source,
        right: argmax(probabilities) === film.truth,
        probabilities,
        signals,
        unfamiliar: isUnfamiliar(familiarity) !== null,
        verdict: verdictFor(manifest, probabilities, familiarity),
        truth: manifest.labels[film.truth],
      }];
    });
  const val = score(validation, 0);
  const cal = score(calibration, validation.length);

  // 1. The comparison table, per source and over all films.
  const groups = new Map<string, Scored[]>([['ALL', val]]);
  for (const film of val) groups.set(film.source, [...(groups.get(film.source) ?? []), film]);
  const table: Record<string, GroupFigures & { unfamiliar: { n: number; accuracy: number | null } }> = {};
  const keys = Object.keys(SIGNAL_NAMES) as (keyof FilmSignals)[];
  const lines = [
    `Right-vs-wrong on ${values.validation} (${val.length} scored films), model ${manifest.id}; AUROC (higher better) / AURC (lower better); ensemble disagreement: n/a (the model has no members)`,
    ['source', 'n', 'acc', ...keys.map((k) => SIGNAL_NAMES[k]), 'unfamiliar: n, acc'].join(' | '),
  ];
  for (const [source, films] of [...groups].sort(([a], [b]) => (a === 'ALL' ? 1 : b === 'ALL' ? -1 : a.localeCompare(b)))) {
    const figures = compareSignals(films);
    const flagged = films.filter((f) => f.unfamiliar);
    const unfamiliar = { n: flagged.length, accuracy: flagged.length ? flagged.filter((f) => f.right).length / flagged.length : null };
    table[source] = { ...figures, unfamiliar };
    lines.push(
      [
        source,
        figures.n,
        figures.accuracy.toFixed(3),
        ...keys.map((k) => {
          const s = figures.signals[k];
          return s ? `${s.auroc === null ? '-' : s.auroc.toFixed(3)} / ${s.aurc.toFixed(3)}` : 'n/a';
        }),
        `${unfamiliar.n}, ${unfamiliar.accuracy === null ? '-' : unfamiliar.accuracy.toFixed(3)}`,
      ].join(' | '),
    );
  }

  // 2. The call limit of each rule, fitted on calibration, read on validation.
  const options = {
    targetErrorReduction: Number(values['target-error-reduction']),
    minCoverage: Number(values['min-coverage']),
    minSourceFilms: Number(values['min-source-films']),
  };
  const rules: Record<string, unknown> = {};
  for (const signal of ['max-probability', 'margin'] as VerdictSignal[]) {
    const asInput = (films: Scored[]) =>
      films.map((f) => ({ value: ruleSignalValue(signal, f.probabilities), right: f.right, source: f.source }));
    const fitted = fitCallLimit(asInput(cal), options);
    const onValidation = limitFigures(asInput(val), fitted.limit, options.minSourceFilms);
    const pooled = limitFigures(asInput(val).map((f) => ({ ...f, source: 'ALL' })), fitted.limit, 1).perSource.ALL;
    rules[signal] = { fittedOnCalibration: fitted, validation: onValidation, validationPooled: pooled };
    lines.push(
      '',
      `Rule: call when ${signal} >= ${fitted.limit.toPrecision(3)} (fitted on ${values.calibration}, equal weight per source with >= ${options.minSourceFilms} films: ` +
        `coverage ${fitted.coverage.toFixed(3)}, gain ${fitted.gain.toFixed(3)}, error reduction ${fitted.errorReduction.toFixed(3)}${fitted.reachedTarget ? '' : ', target not reached'})`,
      `  validation, all films: ${pooled.calls}/${pooled.n} called (${(pooled.calls / pooled.n).toFixed(3)}), call accuracy ${pooled.callAccuracy?.toFixed(3) ?? '-'} vs accuracy ${pooled.accuracy.toFixed(3)} (gain ${((pooled.callAccuracy ?? 0) - pooled.accuracy).toFixed(3)})`,
      `  validation, equal weight per source: coverage ${onValidation.coverage.toFixed(3)}, gain ${onValidation.gain.toFixed(3)}, error reduction ${onValidation.errorReduction.toFixed(3)}, worst source gain ${onValidation.worstGain.toFixed(3)}`,
      ...Object.entries(onValidation.perSource).map(
        ([source, s]) =>
          `    ${source}: ${s.calls}/${s.n} called, call accuracy ${s.callAccuracy?.toFixed(3) ?? '-'} vs ${s.accuracy.toFixed(3)}`,
      ),
    );
  }
  // 3. The model's verdict rule as it stands in model.json, on validation (what the app does).
  const rule = manifest.verdictRule;
  lines.push(
    '',
    `The model's verdict (model.json: margin ${rule?.margin ?? 'default'}, minProbability ${rule?.minProbability ?? 'none'}, unfamiliar above ${stats?.unfamiliarAbove ?? 'n/a'}) on ${values.validation}:`,
    ['source', 'n', 'accuracy', 'calls', 'call share', 'call accuracy', 'gain', 'uncertain', 'unfamiliar', 'unfamiliar accuracy'].join(' | '),
  );
  const verdictRows: Record<string, unknown> = {};
  for (const [source, films] of [...groups].sort(([a], [b]) => (a === 'ALL' ? 1 : b === 'ALL' ? -1 : a.localeCompare(b)))) {
    const accuracy = films.filter((f) => f.right).length / films.length;
    const calls = films.filter((f) => f.verdict.kind === 'call');
    const callAccuracy = calls.length ? calls.filter((f) => f.verdict.label === f.truth).length / calls.length : null;
    const unfamiliar = films.filter((f) => f.verdict.kind === 'unfamiliar');
    const row = {
      n: films.length,
      accuracy,
      calls: calls.length,
      callShare: calls.length / films.length,
      callAccuracy,
      gain: callAccuracy === null ? null : callAccuracy - accuracy,
      uncertain: films.filter((f) => f.verdict.kind === 'uncertain').length,
      unfamiliar: unfamiliar.length,
      unfamiliarAccuracy: unfamiliar.length ? unfamiliar.filter((f) => f.right).length / unfamiliar.length : null,
    };
    verdictRows[source] = row;
    const f3 = (v: number | null): string => (v === null ? '-' : v.toFixed(3));
    lines.push(
      [source, row.n, f3(accuracy), row.calls, f3(row.callShare), f3(callAccuracy), f3(row.gain), row.uncertain, row.unfamiliar, f3(row.unfamiliarAccuracy)].join(' | '),
    );
  }
  rules.modelVerdict = verdictRows;
  console.log(lines.join('\n'));
  if (values.json) writeFileSync(values.json, `${JSON.stringify({ model: manifest.id, table, rules }, null, 2)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
