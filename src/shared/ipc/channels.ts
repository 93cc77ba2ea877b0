/**
 * Channel and event names only, with no runtime dependency: the sandboxed preload can require
 * nothing but Electron, so it checks names against these lists instead of importing the zod
 * schemas. contract.ts fails to compile if these lists and the contract drift apart.
 */
export const IPC_CHANNEL_NAMES = [
  'app:getInfo',
  'library:open',
  'library:addDropped',
  'library:list',
  'library:cancelAdd',
  'library:openLaunchFiles',
  'image:load',
  'image:thumbnail',
  'model:getInfo',
  'model:getCard',
  'model:getSegmenterCard',
  'model:getCardById',
  'model:predict',
  'screening:pickFolder',
  'screening:start',
  'screening:cancel',
  'screening:listJobs',
  'screening:results',
  'screening:export',
  'screening:exportReports',
  'report:export',
  'receiver:status',
  'receiver:start',
  'receiver:stop',
  'pacs:listConnections',
  'pacs:saveConnection',
  'pacs:removeConnection',
  'pacs:echo',
  'pacs:query',
  'pacs:retrieve',
  'pacs:cancelRetrieve',
  'pacs:sendResults',
  'pacs:outbox',
  'pacs:retrySend',
  'readings:record',
  'readings:forImage',
  'readings:list',
  'readings:export',
  'siteValidation:pickLabels',
  'siteValidation:run',
  'siteValidation:chooseOperatingPoint',
  'siteProfiles:state',
  'siteProfiles:save',
  'siteProfiles:setActive',
  'drift:recent',
] as const;

export const IPC_EVENT_NAMES = [
  'screening:progress',
  'library:progress',
  'app:menuCommand',
  'receiver:status',
  'pacs:retrieveProgress',
  'pacs:outboxChanged',
  'siteValidation:progress',
] as const;

/** Application-menu items the renderer carries out with the same invokes as its own buttons. */
export const MENU_COMMANDS = [
  'open-files',
  'open-folder',
  'screen-folder',
  'show-model-card',
  'show-about',
  /** The OS asked the running app to open files (second launch, macOS open-file). */
  'open-launch-files',
] as const;
export type MenuCommand = (typeof MENU_COMMANDS)[number];
