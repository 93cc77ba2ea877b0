/** The small part of dcmjs 0.51 (no bundled types) that the reporting writers use. */
declare module 'dcmjs' {
  /** A data set keyed by tag ("00100010") with { vr, Value } entries, as dcmjs writes it. */
  type DenaturalizedDataset = Record<string, { vr: string; Value: unknown[] }>;

  interface DicomDictInstance {
    dict: DenaturalizedDataset;
    write(options?: { allowInvalidVRLength?: boolean }): ArrayBuffer;
  }

  const dcmjs: {
    data: {
      DicomDict: new (meta: DenaturalizedDataset) => DicomDictInstance;
      DicomMetaDictionary: {
        /** Keyword-keyed ("PatientName") data set -> tag-keyed; `_vrMap` sets ambiguous VRs. */
        denaturalizeDataset(dataset: Record<string, unknown>): DenaturalizedDataset;
      };
      DicomMessage: {
        readFile(buffer: ArrayBuffer): DicomDictInstance;
      };
    };
    log: { setLevel(level: 'error' | 'warn' | 'info' | 'debug'): void };
  };
  export default dcmjs;
}
