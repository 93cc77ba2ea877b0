export {
  createChannelListener,
  invalidRequest,
  registerIpcHandlers,
  type IpcCallContext,
  type IpcHandler,
  type IpcHandlers,
  type IpcInvokeListener,
  type IpcTransport,
} from './register';
export { createDirectTransport, type DirectTransport } from './direct-transport';
export { isAppPageUrl, isTrustedSender, type IpcSender, type SenderPolicy } from './sender-policy';
