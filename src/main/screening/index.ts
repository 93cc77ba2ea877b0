export { runScreening } from './service';
export type { ScreeningOptions, ScreeningOutcome } from './service';
export {
  CSV_COLUMNS,
  probabilityOf,
  reasonCell,
  rowStatement,
  rowsToCsv,
  rowsToJson,
  sortForTriage,
} from './export';
export {
  defaultStoreDir,
  findResumableJob,
  jobDir,
  jobKey,
  listJobManifests,
  readAllRows,
  readJobManifest,
  readRows,
  summarise,
} from './store';
export type { JobManifest } from './store';
export { ScreeningSources, walkFiles } from './sources';
export type { ScreeningItem } from './sources';
