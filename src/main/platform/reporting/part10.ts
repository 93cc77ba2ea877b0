/**
 * Writes a keyword-keyed data set as a DICOM Part 10 file (Explicit VR Little Endian) with dcmjs.
 * The File Meta is passed denaturalized: dcmjs writes a corrupt header from keyword keys.
 */
import dcmjs from 'dcmjs';

const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
/** This workstation's implementation class UID (nameBasedUid('implementation-class')). */
export const IMPLEMENTATION_CLASS_UID = '2.25.269492630819919936625662171308752656763';
const IMPLEMENTATION_VERSION_NAME = 'COVIDNET_WS_1';

dcmjs.log.setLevel('error');

/** A data set as dcmjs' naturalized form: keyword -> value (sequences are arrays of data sets). */
export type NaturalDataset = Record<string, unknown>;

export function writePart10(dataset: NaturalDataset): Uint8Array {
  const sopClassUid = dataset.SOPClassUID;
  const sopInstanceUid = dataset.SOPInstanceUID;
  if (typeof sopClassUid !== 'string' || typeof sopInstanceUid !== 'string') {
    throw new Error('a Part 10 data set needs SOPClassUID and SOPInstanceUID');
  }
  const meta = dcmjs.data.DicomMetaDictionary.denaturalizeDataset({
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: sopClassUid,
    MediaStorageSOPInstanceUID: sopInstanceUid,
    TransferSyntaxUID: EXPLICIT_VR_LITTLE_ENDIAN,
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: IMPLEMENTATION_VERSION_NAME,
  });
  const dict = new dcmjs.data.DicomDict(meta);
  dict.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(dataset);
  return new Uint8Array(dict.write());
}
