export { parsePacsAddress, pacsAddressProblem, type PacsAddress } from './address';
export {
  echo,
  findInstanceUids,
  findStudies,
  moveStudy,
  storeFiles,
  type PacsPeer,
  type StoreOutcome,
} from './client';
export { createConnectionStore, type PacsConnectionStore } from './connections';
export { createOutbox, type Outbox } from './outbox';
export { buildPacsResults, PACS_RESULT_KINDS, resultUids, type PacsResultKind } from './results';
export { retrieveStudies, type RetrieveCounts, type RetrievedStudy } from './retrieve';
export { queueFilmResults } from './send';
export { createPacsService, peerOf, type PacsHandlers, type PacsService } from './service';
