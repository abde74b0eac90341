import * as tf from "@tensorflow/tfjs";

/**
 * Linear-time unsorted segment sum (TensorFlow's `UnsortedSegmentSum`,
 * https://www.tensorflow.org/api_docs/python/tf/math/unsorted_segment_sum):
 * `out[s, …] = Σ_{i : ids[i] = s} x[i, …]`; ids outside [0, segments) are dropped, as in TensorFlow.
 * One pass over x: O(x.length + segments × inner), where the stock pure-JS kernel of
 * tfjs-backend-cpu runs one masked sum per segment (O(segments × x.length)).
 *
 * @param x - values, row-major `[rows × inner]` (rows = ids.length).
 * @param ids - the segment of each row.
 * @param segments - number of output segments.
 * @param inner - values per row (product of x's dimensions after the segmented ones).
 * @param out - where to write, `segments × inner` values; zero-filled first. A new array when omitted.
 * @returns `out`.
 */
export function unsortedSegmentSumLinear<T extends Float32Array | Int32Array>(
  x: ArrayLike<number>,
  ids: ArrayLike<number>,
  segments: number,
  inner: number,
  out: T,
): T {
  out.fill(0);
  for (let r = 0; r < ids.length; r++) {
    const s = ids[r]!;
    if (!(s >= 0 && s < segments)) continue;
    const from = r * inner;
    const to = s * inner;
    for (let j = 0; j < inner; j++) out[to + j]! += x[from + j]!;
  }
  return out;
}

interface HeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

function isHeapBackend(backend: unknown): backend is HeapBackend {
  const b = backend as Partial<HeapBackend>;
  return typeof b.makeOutput === "function" && typeof b.typedArrayFromHeap === "function";
}

/** The kernel function: works on any backend with `readSync`/`write` (cpu), and in place on the WASM heap. */
const linearKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const x = inputs.x as tf.TensorInfo;
  const segmentIds = inputs.segmentIds as tf.TensorInfo;
  const segments = (attrs as unknown as { numSegments: number }).numSegments;
  const segRank = segmentIds.shape.length;
  const innerShape = x.shape.slice(segRank);
  const inner = innerShape.reduce((a, b) => a * b, 1);
  const outShape = [segments, ...innerShape];
  const dtype = x.dtype === "int32" ? "int32" : "float32";
  const kernelBackend = backend as tf.KernelBackend;
  if (isHeapBackend(backend)) {
    const out = backend.makeOutput(outShape, dtype);
    // Views taken after the allocation: a heap growth would have detached earlier ones.
    const xs = backend.typedArrayFromHeap(x);
    const ids = backend.typedArrayFromHeap(segmentIds);
    unsortedSegmentSumLinear(xs, ids, segments, inner, backend.typedArrayFromHeap(out) as Float32Array | Int32Array);
    return out;
  }
  const xs = kernelBackend.readSync(x.dataId) as Float32Array | Int32Array;
  const ids = kernelBackend.readSync(segmentIds.dataId) as Int32Array;
  const size = segments * inner;
  const values = unsortedSegmentSumLinear(xs, ids, segments, inner, dtype === "int32" ? new Int32Array(size) : new Float32Array(size));
  return { dataId: kernelBackend.write(values, outShape, dtype), shape: outShape, dtype };
};

/**
 * Registers the linear {@link unsortedSegmentSumLinear} as the `UnsortedSegmentSum` kernel of a
 * TensorFlow.js backend ("cpu" or "wasm"), replacing any kernel registered for it. Needed because
 * the gradient of every embedding lookup (`gather`) is an unsorted segment sum over the whole
 * table: tfjs-backend-wasm has no such kernel and tfjs-backend-cpu's runs one masked sum per
 * segment (measured: over 5 minutes per pass over 102k samples, about 2 s with this kernel).
 * Idempotent.
 *
 * @param backendName - the backend to register for.
 */
export function registerLinearUnsortedSegmentSum(backendName: string): void {
  const existing = tf.getKernel("UnsortedSegmentSum", backendName);
  if (existing?.kernelFunc === linearKernel) return;
  if (existing) tf.unregisterKernel("UnsortedSegmentSum", backendName);
  tf.registerKernel({ kernelName: "UnsortedSegmentSum", backendName, kernelFunc: linearKernel });
}
