/**
 * Coded concepts the reports use (DCM = DICOM PS3.16, SCT = SNOMED CT, UCUM, UMLS). Concepts with
 * no standard code (the gate verdict, the threshold status) use the local scheme 99CXRWS, which
 * every SR declares in its Coding Scheme Identification Sequence.
 */

export interface CodedConcept {
  value: string;
  scheme: string;
  meaning: string;
}

const code = (value: string, scheme: string, meaning: string): CodedConcept => ({
  value,
  scheme,
  meaning,
});

export const LOCAL_SCHEME = {
  designator: '99CXRWS',
  name: 'COVID-Net CXR Workstation local codes',
} as const;
const local = (value: string, meaning: string): CodedConcept =>
  code(value, LOCAL_SCHEME.designator, meaning);

export const CODES = {
  imagingMeasurementReport: code('126000', 'DCM', 'Imaging Measurement Report'),
  languageOfContent: code('121049', 'DCM', 'Language of Content Item and Descendants'),
  englishUs: code('en-US', 'RFC5646', 'English (United States)'),
  observerType: code('121005', 'DCM', 'Observer Type'),
  device: code('121007', 'DCM', 'Device'),
  deviceObserverUid: code('121012', 'DCM', 'Device Observer UID'),
  deviceObserverName: code('121013', 'DCM', 'Device Observer Name'),
  deviceObserverManufacturer: code('121014', 'DCM', 'Device Observer Manufacturer'),
  deviceObserverModelName: code('121015', 'DCM', 'Device Observer Model Name'),
  procedureReported: code('121058', 'DCM', 'Procedure reported'),
  /** From CID 100 (PixelMed rejects the more specific SCT 399208008 "Plain chest X-ray"). */
  imagingProcedure: code('363679005', 'SCT', 'Imaging procedure'),
  imageLibrary: code('111028', 'DCM', 'Image Library'),
  imageLibraryGroup: code('126200', 'DCM', 'Image Library Group'),
  imagingMeasurements: code('126010', 'DCM', 'Imaging Measurements'),
  measurementGroup: code('125007', 'DCM', 'Measurement Group'),
  trackingIdentifier: code('112039', 'DCM', 'Tracking Identifier'),
  trackingUid: code('112040', 'DCM', 'Tracking Unique Identifier'),
  finding: code('121071', 'DCM', 'Finding'),
  findingSite: code('363698007', 'SCT', 'Finding Site'),
  lung: code('39607008', 'SCT', 'Lung structure'),
  algorithmName: code('111001', 'DCM', 'Algorithm Name'),
  algorithmVersion: code('111003', 'DCM', 'Algorithm Version'),
  probability: code('122157', 'DCM', 'Probability'),
  noUnits: code('1', 'UCUM', 'no units'),
  source: code('260753009', 'SCT', 'Source'),
  qualitativeEvaluations: code('C0034375', 'UMLS', 'Qualitative Evaluations'),
  comment: code('121106', 'DCM', 'Comment'),
  present: code('52101004', 'SCT', 'Present'),
  absent: code('272519000', 'SCT', 'Absent'),
  // Local concepts
  /** The result statement's first coded finding: the called class, or coded uncertain / unfamiliar. */
  aiResult: local('AI-RESULT', 'AI result'),
  /** The secondary figure (src/shared/result-statement.ts LEADING_NAME). */
  leadingClass: local('HIGHEST-PROB', 'Highest probability class'),
  chestGate: local('CHEST-GATE', 'Chest X-ray gate verdict'),
  notScored: local('NOT-SCORED', 'Film not scored'),
  researchUseNotice: local('RESEARCH-USE', 'Research use notice'),
  // The verdict (src/shared/verdict.ts) and what the probabilities mean.
  aiVerdict: local('AI-VERDICT', 'AI verdict'),
  verdictCall: local('CALL', 'Call: a class clearly ahead'),
  verdictUncertain: local('UNCERTAIN', 'Uncertain: no class clearly ahead'),
  verdictUnfamiliar: local(
    'UNFAMILIAR',
    'Unfamiliar film: unlike the films the model was trained on',
  ),
  verdictReason: local('VERDICT-REASON', 'AI verdict reason'),
  probabilityCalibration: local('CALIBRATION', 'Probability calibration'),
  siteOperatingPoint: local('SITE-PROFILE', 'Site profile operating point'),
} as const;

/** Findings for the bundled labels; any other label gets a local code of its own name. */
const FINDINGS: Record<string, CodedConcept> = {
  normal: code('17621005', 'SCT', 'Normal'),
  pneumonia: code('233604007', 'SCT', 'Pneumonia'),
  'covid-19': code('840539006', 'SCT', 'COVID-19'),
};

/** Short string values (SH) are at most 16 characters. */
export function findingFor(label: string): CodedConcept {
  const known = FINDINGS[label.toLowerCase()];
  if (known) return known;
  const value = label
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '-')
    .slice(0, 16);
  return local(value || 'CLASS', label.slice(0, 64));
}

export function toCodeItem(concept: CodedConcept): Record<string, string> {
  return {
    CodeValue: concept.value,
    CodingSchemeDesignator: concept.scheme,
    CodeMeaning: concept.meaning,
  };
}
