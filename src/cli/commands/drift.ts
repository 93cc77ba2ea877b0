/**
 * `drift <folder...> [--json] [--model <dir>]`: are these films like the ones the model was
 * checked on? Runs the pipeline over every film in the folders (no labels needed) and compares
 * gate rejections, unfamiliar verdicts, each class's probabilities and the feature distances with
 * the model's reference films (drift-reference.json in the model folder), each with a two-sample
 * test, and says one verdict: `similar` or `different: ...`. Exit code 0 either way.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { DriftReport, DriftSignal } from '../../shared/drift';
import { RESEARCH_NOTICE } from '../../shared/notice';
import { compareWithReference, observeFolders, readDriftReference } from '../../main/drift';
import { createInferenceEngine, defaultModelDir } from '../../main/inference';
import { UsageError, type CliCommand } from '../command';

const pct = (v: number | undefined) => (v === undefined ? 'n/a' : `${(v * 100).toFixed(1)}%`);

function signalLine(s: DriftSignal): string {
  const p =
    s.pValue === null
      ? 'p n/a'
      : `p=${s.pValue < 1e-4 ? s.pValue.toExponential(1) : s.pValue.toFixed(4)}`;
  const sides =
    s.kind === 'share'
      ? `${pct(s.recent.share)} of ${s.recent.n} vs ${pct(s.reference.share)} of ${s.reference.n}`
      : `median ${s.recent.median?.toFixed(3) ?? 'n/a'} (n=${s.recent.n}) vs ${s.reference.median?.toFixed(3) ?? 'n/a'} (n=${s.reference.n}), KS D=${s.statistic?.toFixed(3) ?? 'n/a'}`;
  return `  ${s.different ? '!' : ' '} ${s.title}: ${sides}; ${p}`;
}

export function driftReportLines(report: DriftReport): string[] {
  return [
    `Drift: ${report.verdict}`,
    `${report.recent.films} recent ${report.recent.films === 1 ? 'film' : 'films'} (${report.recent.source}) ` +
      `against ${report.reference.films} reference films of ${report.modelId} (${report.reference.source}); ` +
      `a signal differs below p=${report.alpha.toPrecision(2)} (0.01 over ${report.signals.filter((s) => s.pValue !== null).length} tests)`,
    ...report.signals.map(signalLine),
    ...report.warnings.map((w) => `! ${w}`),
    'A different population is a reason to validate the model on these films (covidnet validate), not proof that its results are wrong.',
  ];
}

export const driftCommand: CliCommand = {
  name: 'drift',
  summary: "are these films like the model's reference films? (no labels needed)",
  usage: [
    'usage: covidnet drift <folder...> [--json] [--model <dir>]',
    '',
    "Runs the model's pipeline over every film in the folders and compares them with the",
    "model's reference films (drift-reference.json in the model folder): share turned away by",
    'the chest gate and share unfamiliar (Fisher exact test), each class probability and the',
    'feature distance (two-sample Kolmogorov-Smirnov). The verdict is "similar" or',
    '"different: ..." (Bonferroni over the signals, family-wise 0.01).',
    '',
    '  --model <dir>  model folder (default: the newest bundled classifier)',
    '  --json         the report as JSON: verdict, and per signal statistic and pValue',
  ].join('\n'),
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: 'boolean', default: false },
        model: { type: 'string' },
      },
    });
    if (positionals.length === 0) throw new UsageError('name at least one folder of films');
    const engine = await createInferenceEngine({ modelDir: values.model ?? defaultModelDir() });
    try {
      const reference = await readDriftReference(engine.modelDir, {
        id: engine.manifest.id,
        sha256: engine.manifest.sha256,
      });
      io.err(RESEARCH_NOTICE);
      const folders = positionals.map((f) => resolve(f));
      const observed = await observeFolders(engine, folders, (done, total) => {
        if (done === total || done % 50 === 0) io.err(`drift: ${done}/${total} films`);
      });
      const report = compareWithReference(reference, {
        observations: observed.observations,
        unreadable: observed.unreadable.length,
        source: folders.join(', '),
      });
      if (values.json) io.out(JSON.stringify(report, null, 2));
      else io.out(driftReportLines(report).join('\n'));
      return 0;
    } finally {
      await engine.dispose();
    }
  },
};
