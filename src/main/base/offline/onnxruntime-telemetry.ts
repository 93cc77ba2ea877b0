/**
 * onnxruntime's official builds (1.29 and later on Linux and macOS) carry Microsoft's telemetry,
 * on by default: each session queues events (model file name, graph hashes, timings) in
 * ~/.cache/Microsoft/DeveloperTools/.onnxruntime/onnxruntime.db for upload to
 * mobile.events.data.microsoft.com. Nothing may leave the machine, so it is switched off.
 *
 * The native library reads ORT_DISABLE_TELEMETRY with getenv(). Only the main thread's
 * process.env reaches the C environment (a worker's is a copy), so this must run in the main
 * thread before any worker loads onnxruntime-node.
 */
export const ONNXRUNTIME_TELEMETRY_SWITCH = 'ORT_DISABLE_TELEMETRY';

export function disableOnnxruntimeTelemetry(): void {
  process.env[ONNXRUNTIME_TELEMETRY_SWITCH] = '1';
}
