export {
  DEFAULT_BIND_ADDRESS,
  startReceiver,
  validAeTitle,
  type DicomReceiver,
  type ReceiverEvent,
  type ReceiverOptions,
} from './receiver';
export { instanceFileName, INCOMING_DIR, type StoredInstance } from './inbox-files';
export { ACCEPTED_TRANSFER_SYNTAXES } from './transfer-syntaxes';
export { networkErrorInWords } from './network-errors';
