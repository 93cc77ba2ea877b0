/**
 * `report <file> [--sr out.dcm] [--sc out.dcm] [--pdf out.pdf] [--encapsulated-pdf out.dcm] ...`
 * Scores one image as `predict` does and writes its reports: a DICOM SR (TID 1500), the heatmap
 * as a DICOM Secondary Capture, a one-page PDF and the PDF as Encapsulated PDF DICOM.
 * A PNG/JPEG carries no patient or study: its DICOM reports need --patient-id and --study-uid.
 */
import { parseArgs } from 'node:util';
import { SITE_PROFILE_OPTIONS, siteProfileOption } from '../site-profile-option';
import { UsageError } from '../command';
import { fileErrorLine } from '../arguments';
import { toErrorInfo } from '../../shared/errors';
import { resultStatement } from '../../shared/result-statement';
import { RESEARCH_NOTICE } from '../../shared/notice';
import { createInferenceEngine, defaultModelDir } from '../../main/inference';
import { analyseFile, writeReports, type ReportTargets } from '../../main/report-files';
import { workstationDevice, type SuppliedSubject } from '../../main/reporting';

/** `npm run covidnet` sets it from package.json; a direct `tsx` run reports "development". */
export function cliSoftwareVersion(): string {
  return process.env.npm_package_version ?? 'development';
}

export const usage = [
  'report <file> [--sr <out.dcm>] [--sc <out.dcm>] [--pdf <out.pdf>] [--encapsulated-pdf <out.dcm>]',
  '       [--frame <n>] [--model <dir>] [--film-capture <out.dcm>] [--site-profile <name> [--site-dir <dir>]]',
  '       [--patient-id <id> --study-uid <uid> [--patient-name <Family^Given>]',
  '        [--patient-birth-date <YYYYMMDD>] [--patient-sex M|F|O] [--study-date <YYYYMMDD>]',
  '        [--study-time <HHMMSS>] [--study-id <id>] [--accession <number>]]',
  '',
  'DICOM reports copy the patient and study of a DICOM source and start their own series.',
  'PNG/JPEG files carry neither: pass --patient-id and --study-uid (and any of the other',
  'patient/study options) to get DICOM reports; the film itself is then also written as a',
  'Secondary Capture (--film-capture, default <first DICOM report>.film.dcm) for them to refer to.',
].join('\n');

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      sr: { type: 'string' },
      sc: { type: 'string' },
      pdf: { type: 'string' },
      'encapsulated-pdf': { type: 'string' },
      'film-capture': { type: 'string' },
      frame: { type: 'string' },
      model: { type: 'string' },
      'patient-id': { type: 'string' },
      'patient-name': { type: 'string' },
      'patient-birth-date': { type: 'string' },
      'patient-sex': { type: 'string' },
      'study-uid': { type: 'string' },
      'study-date': { type: 'string' },
      'study-time': { type: 'string' },
      'study-id': { type: 'string' },
      accession: { type: 'string' },
      ...SITE_PROFILE_OPTIONS,
    },
  });
  const [file, ...extra] = args.positionals;
  const v = args.values;
  const frameIndex = v.frame === undefined ? 0 : Number(v.frame);
  if (!file || extra.length > 0 || !Number.isInteger(frameIndex) || frameIndex < 0) {
    throw new UsageError('expected one input file and a whole-number --frame');
  }
  const targets: ReportTargets = {
    ...(v.sr ? { sr: v.sr } : {}),
    ...(v.sc ? { sc: v.sc } : {}),
    ...(v.pdf ? { pdf: v.pdf } : {}),
    ...(v['encapsulated-pdf'] ? { encapsulatedPdf: v['encapsulated-pdf'] } : {}),
    ...(v['film-capture'] ? { filmCapture: v['film-capture'] } : {}),
  };
  if (!targets.sr && !targets.sc && !targets.pdf && !targets.encapsulatedPdf) {
    throw new UsageError('name at least one report: --sr, --sc, --pdf or --encapsulated-pdf');
  }
  const supplied: SuppliedSubject = {
    patientId: v['patient-id'],
    patientName: v['patient-name'],
    patientBirthDate: v['patient-birth-date'],
    patientSex: v['patient-sex'],
    studyInstanceUid: v['study-uid'],
    studyDate: v['study-date'],
    studyTime: v['study-time'],
    studyId: v['study-id'],
    accessionNumber: v.accession,
  };

  let engine;
  try {
    engine = await createInferenceEngine({ modelDir: v.model ?? defaultModelDir() });
  } catch (error) {
    const info = toErrorInfo(error);
    console.error(`Cannot load the model: ${info.code}: ${info.message}`);
    return 1;
  }
  try {
    const analysed = await analyseFile({
      engine,
      path: file,
      frameIndex,
      device: workstationDevice(cliSoftwareVersion()),
      supplied,
      operatingPoint: await siteProfileOption(v, engine),
    });
    const { written } = await writeReports(analysed, targets);
    const outcome = analysed.outcome;
    console.log(RESEARCH_NOTICE);
    // The result statement's one line (src/shared/result-statement.ts), as every output words it.
    console.log(`${file}: ${resultStatement(outcome).line}`);
    for (const [kind, path] of Object.entries(written)) console.log(`  ${kind}: ${path}`);
    return 0;
  } catch (error) {
    const info = toErrorInfo(error);
    console.error(fileErrorLine(file, info));
    return 1;
  } finally {
    await engine.dispose();
  }
}
