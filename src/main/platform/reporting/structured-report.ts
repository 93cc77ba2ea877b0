/**
 * DICOM Comprehensive 3D SR following TID 1500 (Measurement Report): device observer context,
 * procedure reported, an Image Library with the source image, one TID 1501 Measurement Group per
 * class (tracking identifier and UID, finding, finding site lung, algorithm name and version,
 * the probability as a NUM in UCUM "1", the source image), and as Qualitative Evaluations the
 * result statement, verdict first: the AI result (the called class, or coded uncertain /
 * unfamiliar), the verdict and its reason, the site profile when one is in use, the
 * highest-probability class as its own item, the calibration, and the research-use notice. A film the chest gate turned away gets a
 * report that says so, with no probabilities.
 * The content tree is built as plain data sets: dcmjs' TID 1501 helper throws on valid input.
 */
import { RESEARCH_NOTICE } from '../../../shared/notice';
import type { RejectedFilm, ScoredFilm } from '../../../shared/analysis';
import { CODES, LOCAL_SCHEME, findingFor, toCodeItem, type CodedConcept } from './codes';
import type { VerdictKind } from '../../../shared/verdict';
import {
  classifierManifest,
  commonAttributes,
  hasNonAscii,
  decimalString,
  dicomDateTime,
  evidenceSequence,
  isRejected,
  referencedSop,
  type ReportInput,
} from './common';
import { writePart10, type NaturalDataset } from './part10';
import { requireSubject, type SourceImageReference } from './source';
import { nameBasedUid, newUid } from './uids';
import {
  calibrationSentence,
  resultStatement,
  siteProfileSentence,
  statementSentence,
} from '../../../shared/result-statement';

export const COMPREHENSIVE_3D_SR_STORAGE = '1.2.840.10008.5.1.4.1.1.88.34';
export const SR_SERIES_NUMBER = 9101;

type Relationship = 'CONTAINS' | 'HAS OBS CONTEXT' | 'HAS CONCEPT MOD';
type ContentItem = NaturalDataset;

function named(
  relationship: Relationship,
  valueType: string,
  name: CodedConcept,
  value: NaturalDataset,
): ContentItem {
  return {
    RelationshipType: relationship,
    ValueType: valueType,
    ConceptNameCodeSequence: [toCodeItem(name)],
    ...value,
  };
}

const codeItem = (rel: Relationship, name: CodedConcept, value: CodedConcept): ContentItem =>
  named(rel, 'CODE', name, { ConceptCodeSequence: [toCodeItem(value)] });
const textItem = (rel: Relationship, name: CodedConcept, value: string): ContentItem =>
  named(rel, 'TEXT', name, { TextValue: value });
const uidItem = (rel: Relationship, name: CodedConcept, uid: string): ContentItem =>
  named(rel, 'UIDREF', name, { UID: uid });
const imageItem = (name: CodedConcept | null, image: SourceImageReference): ContentItem => ({
  RelationshipType: 'CONTAINS',
  ValueType: 'IMAGE',
  ...(name ? { ConceptNameCodeSequence: [toCodeItem(name)] } : {}),
  ReferencedSOPSequence: [referencedSop(image)],
});
const container = (name: CodedConcept, children: ContentItem[]): ContentItem =>
  named('CONTAINS', 'CONTAINER', name, {
    ContinuityOfContent: 'SEPARATE',
    ContentSequence: children,
  });

/** The probability as Numeric Value (DS, 16 characters) and Floating Point Value (exact). */
function probabilityItem(probability: number): ContentItem {
  return named('CONTAINS', 'NUM', CODES.probability, {
    MeasuredValueSequence: [
      {
        MeasurementUnitsCodeSequence: [toCodeItem(CODES.noUnits)],
        NumericValue: decimalString(probability),
        FloatingPointValue: probability,
      },
    ],
  });
}

/** TID 1004: the model (as a device) is the observer. One device UID per model file. */
function observerContext(input: ReportInput): ContentItem[] {
  const { outcome } = input;
  const manifest = classifierManifest(input);
  const identity = `${outcome.modelId}@${outcome.modelVersion}#${manifest?.sha256 ?? ''}`;
  return [
    codeItem('HAS OBS CONTEXT', CODES.observerType, CODES.device),
    uidItem('HAS OBS CONTEXT', CODES.deviceObserverUid, nameBasedUid(`device:${identity}`)),
    textItem('HAS OBS CONTEXT', CODES.deviceObserverName, input.device.name),
    textItem('HAS OBS CONTEXT', CODES.deviceObserverManufacturer, input.device.manufacturer),
    textItem(
      'HAS OBS CONTEXT',
      CODES.deviceObserverModelName,
      `${outcome.modelName} (${outcome.modelId} ${outcome.modelVersion})`,
    ),
  ];
}

function algorithmIdentification(outcome: ScoredFilm | RejectedFilm): ContentItem[] {
  return [
    textItem('HAS CONCEPT MOD', CODES.algorithmName, `${outcome.modelName} (${outcome.modelId})`),
    textItem('HAS CONCEPT MOD', CODES.algorithmVersion, outcome.modelVersion),
  ];
}

function measurementGroups(prediction: ScoredFilm, image: SourceImageReference): ContentItem[] {
  return prediction.labels.map((label, i) => {
    const tracking = `${image.sopInstanceUid}/${image.frameNumber ?? 1}/${prediction.modelId}/${label}`;
    return container(CODES.measurementGroup, [
      textItem(
        'HAS OBS CONTEXT',
        CODES.trackingIdentifier,
        `${label} probability (${prediction.modelId})`,
      ),
      uidItem('HAS OBS CONTEXT', CODES.trackingUid, nameBasedUid(`tracking:${tracking}`)),
      codeItem('CONTAINS', CODES.finding, findingFor(label)),
      ...algorithmIdentification(prediction),
      codeItem('HAS CONCEPT MOD', CODES.findingSite, CODES.lung),
      probabilityItem(prediction.probabilities[i]),
      imageItem(CODES.source, image),
    ]);
  });
}

const VERDICT_CODES: Record<VerdictKind, CodedConcept> = {
  call: CODES.verdictCall,
  uncertain: CODES.verdictUncertain,
  unfamiliar: CODES.verdictUnfamiliar,
};

/**
 * The result statement as coded items (src/shared/result-statement.ts), verdict first: the AI
 * result (the called class, or a coded uncertain / unfamiliar), the verdict kind and its reason,
 * the site profile and its warnings when one is in use, then the highest-probability class as its
 * own named item, the calibration, and the model.
 */
function predictionEvaluations(prediction: ScoredFilm): ContentItem[] {
  const statement = resultStatement(prediction);
  const { verdict } = prediction;
  const result =
    statement.coded.kind === 'class'
      ? findingFor(statement.coded.label)
      : VERDICT_CODES[verdict.kind];
  const items: ContentItem[] = [
    codeItem('CONTAINS', CODES.aiResult, result),
    codeItem('CONTAINS', CODES.aiVerdict, VERDICT_CODES[verdict.kind]),
    textItem('CONTAINS', CODES.verdictReason, statementSentence(statement)),
  ];
  const site = siteProfileSentence(verdict.operatingPoint);
  if (site) items.push(textItem('CONTAINS', CODES.siteOperatingPoint, site));
  if (statement.leading) {
    items.push(codeItem('CONTAINS', CODES.leadingClass, findingFor(statement.leading.label)));
  }
  items.push(
    textItem(
      'CONTAINS',
      CODES.probabilityCalibration,
      calibrationSentence(prediction.calibration, verdict.operatingPoint),
    ),
    textItem(
      'CONTAINS',
      CODES.comment,
      `${statement.line}. Model ${prediction.modelName} ${prediction.modelVersion} on ${prediction.executionProvider}.`,
    ),
  );
  return items;
}

function rejectionEvaluations(rejected: RejectedFilm): ContentItem[] {
  const reason = rejected.gate.reason ?? 'the film did not pass the chest X-ray check';
  return [
    codeItem('CONTAINS', CODES.chestGate, CODES.notScored),
    textItem(
      'CONTAINS',
      CODES.comment,
      `Not scored: ${reason} (${rejected.gate.code ?? 'rejected'}` +
        `${rejected.gate.decidedBy ? `, decided by the ${rejected.gate.decidedBy}` : ''}). ` +
        'No probabilities were computed for this film.',
    ),
  ];
}

export interface StructuredReportOptions {
  /** The image the report is about: the source DICOM, or the capture made of a PNG/JPEG. */
  image: SourceImageReference;
  seriesInstanceUid?: string;
  sopInstanceUid?: string;
}

export function buildStructuredReportDataset(
  input: ReportInput,
  options: StructuredReportOptions,
): NaturalDataset {
  const { outcome, source } = input;
  const { image } = options;
  const rejected = isRejected(outcome);
  const { date, time } = dicomDateTime(input.createdAt);
  const content: ContentItem[] = [
    codeItem('HAS CONCEPT MOD', CODES.languageOfContent, CODES.englishUs),
    ...observerContext(input),
    codeItem('HAS CONCEPT MOD', CODES.procedureReported, CODES.imagingProcedure),
    container(CODES.imageLibrary, [container(CODES.imageLibraryGroup, [imageItem(null, image)])]),
    ...(rejected ? [] : [container(CODES.imagingMeasurements, measurementGroups(outcome, image))]),
    container(CODES.qualitativeEvaluations, [
      ...(rejected ? rejectionEvaluations(outcome) : predictionEvaluations(outcome)),
      textItem('CONTAINS', CODES.researchUseNotice, RESEARCH_NOTICE),
    ]),
  ];
  const common = commonAttributes(input, {
    classUid: COMPREHENSIVE_3D_SR_STORAGE,
    instanceUid: options.sopInstanceUid ?? newUid(),
  });
  // A site profile's name (or a model's text) may be non-ASCII: declare UTF-8 for the content too.
  if (hasNonAscii(content)) common.SpecificCharacterSet = 'ISO_IR 192';
  return {
    ...common,
    // SR Document Series
    Modality: 'SR',
    SeriesInstanceUID: options.seriesInstanceUid ?? newUid(),
    SeriesNumber: String(SR_SERIES_NUMBER),
    SeriesDescription: rejected ? 'AI chest X-ray report (not scored)' : 'AI chest X-ray report',
    SeriesDate: date,
    SeriesTime: time,
    ReferencedPerformedProcedureStepSequence: [],
    // SR Document General
    InstanceNumber: '1',
    ContentDate: date,
    ContentTime: time,
    CompletionFlag: 'COMPLETE',
    PreliminaryFlag: 'PRELIMINARY',
    VerificationFlag: 'UNVERIFIED',
    PerformedProcedureCodeSequence: [],
    CurrentRequestedProcedureEvidenceSequence: evidenceSequence(
      requireSubject(source).studyInstanceUid,
      [image],
    ),
    CodingSchemeIdentificationSequence: [
      {
        CodingSchemeDesignator: LOCAL_SCHEME.designator,
        CodingSchemeName: LOCAL_SCHEME.name,
      },
    ],
    // SR Document Content (root container)
    ValueType: 'CONTAINER',
    ConceptNameCodeSequence: [toCodeItem(CODES.imagingMeasurementReport)],
    ContinuityOfContent: 'SEPARATE',
    ContentTemplateSequence: [{ MappingResource: 'DCMR', TemplateIdentifier: '1500' }],
    ContentSequence: content,
  };
}

export function buildStructuredReport(
  input: ReportInput,
  options: StructuredReportOptions,
): Uint8Array {
  return writePart10(buildStructuredReportDataset(input, options));
}
