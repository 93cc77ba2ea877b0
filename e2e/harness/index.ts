export {
  CHROMIUM_ARGS,
  CHROMIUM_PATH,
  ensureBuiltRenderer,
  launchWorkstation,
  type Harness,
  type LaunchOptions,
  type LaunchedWorkstation,
} from './launch';
export { createTestPlatform, type EmittedEvent, type TestPlatform } from './test-platform';
export { decodeWire, encodeWire } from './wire-codec';
