import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { registerLinearUnsortedSegmentSum } from "./segment-sum-kernel.js";

/**
 * Which TensorFlow.js backend to train with: `auto` tries tfjs-node ("tensorflow", native
 * libtensorflow) and falls back to WASM; the others force one ("cpu" is the pure-JavaScript
 * backend, slowest, for comparisons).
 */
export type NcfBackendPreference = "auto" | "tensorflow" | "wasm" | "cpu";

/** Every {@link NcfBackendPreference}. */
export const NCF_BACKEND_PREFERENCES: readonly NcfBackendPreference[] = ["auto", "tensorflow", "wasm", "cpu"];

/** The backend in use after {@link useTensorFlowBackend}. */
export interface TfBackendInfo {
  /** The TensorFlow.js backend name: "tensorflow", "wasm" or "cpu". */
  readonly name: string;
  /** A human line for logs, e.g. "wasm (SIMD, 1 thread; …)". */
  readonly description: string;
}

const TFJS_NODE = "@tensorflow/tfjs-node";
let selected: TfBackendInfo | undefined;
let nodeBackend: Promise<string | undefined> | undefined;

/** Loads the optional tfjs-node package once; resolves to the reason it is unusable, or undefined when it registered "tensorflow". */
function loadNodeBackend(): Promise<string | undefined> {
  nodeBackend ??= (async () => {
    try {
      // A variable specifier: the optional dependency may be absent, and TypeScript must not require its types.
      const specifier: string = TFJS_NODE;
      await import(specifier);
      return tf.findBackend("tensorflow") ? undefined : `${TFJS_NODE} loaded but registered no "tensorflow" backend`;
    } catch (err) {
      const message = err instanceof Error ? err.message.split("\n")[0]! : String(err);
      return `${TFJS_NODE} is not usable (${message})`;
    }
  })();
  return nodeBackend;
}

/**
 * Selects the TensorFlow.js backend for training and prepares it: tfjs-node when it loads (its
 * install downloads libtensorflow, so it is an optional dependency that is often absent),
 * otherwise the WASM backend (SIMD when the runtime has it; tfjs-backend-wasm runs one thread
 * under Node.js, https://github.com/tensorflow/tfjs/issues/3830). On "wasm" and "cpu" the
 * linear `UnsortedSegmentSum` kernel is registered (see `registerLinearUnsortedSegmentSum`).
 * The backend is process-wide TensorFlow.js state: the last call wins.
 *
 * @param preference - which backend (default "auto").
 * @returns the backend in use and a line describing it (log it).
 * @throws Error when a forced backend cannot be initialised.
 */
export async function useTensorFlowBackend(preference: NcfBackendPreference = "auto"): Promise<TfBackendInfo> {
  let fallbackReason: string | undefined;
  if (preference === "auto" || preference === "tensorflow") {
    fallbackReason = await loadNodeBackend();
    if (fallbackReason === undefined && (await tf.setBackend("tensorflow"))) {
      await tf.ready();
      selected = { name: "tensorflow", description: `tensorflow (${TFJS_NODE}, native libtensorflow)` };
      return selected;
    }
    if (preference === "tensorflow") throw new Error(`TensorFlow.js backend "tensorflow" unavailable: ${fallbackReason ?? "setBackend failed"}`);
  }
  const name = preference === "cpu" ? "cpu" : "wasm";
  if (!(await tf.setBackend(name))) throw new Error(`TensorFlow.js backend "${name}" failed to initialise`);
  await tf.ready();
  registerLinearUnsortedSegmentSum(name);
  let detail = "pure JavaScript";
  if (name === "wasm") {
    const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
    const threads = await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT");
    detail = `${simd ? "SIMD" : "no SIMD"}, ${threads ? "multi-threaded" : "1 thread"}`;
  }
  const why = fallbackReason ? `; ${fallbackReason}` : "";
  selected = { name, description: `${name} (${detail}, linear UnsortedSegmentSum kernel${why})` };
  return selected;
}

/**
 * The backend chosen by the last {@link useTensorFlowBackend} call when it is still the active
 * one; otherwise selects one with "auto".
 */
export async function ensureTensorFlowBackend(): Promise<TfBackendInfo> {
  if (selected && tf.getBackend() === selected.name) return selected;
  return useTensorFlowBackend("auto");
}
