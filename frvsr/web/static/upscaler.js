// The exported frvsr step in onnxruntime-web, and the recurrent state kept between frames.

// onnxruntime-web's ES module (WebGPU + WASM backends), served from the npm package that
// `make web` installs; the .wasm files it loads sit beside it under /ort/.
const ORT_URL = "/ort/ort.min.mjs";

export async function loadOrt() {
  const ort = await import(ORT_URL);
  ort.env.wasm.wasmPaths = "/ort/";
  return ort;
}

// Creates the inference session: WebGPU when the browser hands out an adapter (unless
// backend === "wasm"), else WASM. Ops the WebGPU backend lacks run on its WASM fallback
// inside the same session. `threads` > 0 sets the WASM thread count; 0 keeps
// onnxruntime-web's default (half the cores, at most 4), which needs cross-origin
// isolation (the server's COOP/COEP headers) to be more than 1.
export async function createSession(ort, bytes, { backend = "auto", threads = 0 } = {}) {
  if (threads > 0) ort.env.wasm.numThreads = threads;
  const options = { graphOptimizationLevel: "all" };
  let why = "";
  if (backend !== "wasm") {
    const adapter = navigator.gpu ? await navigator.gpu.requestAdapter().catch(() => null) : null;
    if (adapter) {
      try {
        const session = await ort.InferenceSession.create(bytes, {
          ...options, executionProviders: ["webgpu"],
        });
        return { session, backend: "webgpu", why: "WebGPU adapter obtained", ...info(ort) };
      } catch (err) {
        why = `WebGPU session failed (${err.message}), using WASM`;
      }
    } else {
      why = navigator.gpu ? "no WebGPU adapter, using WASM" : "no WebGPU in this browser";
    }
  } else {
    why = "WASM requested";
  }
  const session = await ort.InferenceSession.create(bytes, {
    ...options, executionProviders: ["wasm"],
  });
  return { session, backend: "wasm", why, ...info(ort) };
}

function info(ort) {
  return {
    // onnxruntime-web writes the thread count it settled on back into env at start-up.
    threads: ort.env.wasm.numThreads || 1,
    isolated: globalThis.crossOriginIsolated === true,
  };
}

// The recurrent step with its state: previous LR frame and previous SR output as tensors.
// First frame of a shot (after reset()): sr_prev = zeros and lr_prev = the current frame,
// the export's first-frame rule (metadata first_frame_rule), which equals FRVSR's zero
// previous estimate. Single-frame exports just run lr -> sr.
export class RecurrentUpscaler {
  constructor(ort, session, meta) {
    this.ort = ort;
    this.session = session;
    this.meta = meta;
    this.resets = {};
    this.zeros = null;
    this.reset("start");
  }

  // Starts a new shot; `reason` is counted (start, cut, seek, drop, size).
  reset(reason) {
    this.lrPrev = null;
    this.srPrev = null;
    this.resets[reason] = (this.resets[reason] || 0) + 1;
  }

  get firstFrame() {
    return this.lrPrev === null;
  }

  zeroState(h, w) {
    const s = this.meta.scale;
    const dims = [1, 3, s * h, s * w];
    if (!this.zeros || this.zeros.dims[2] !== dims[2] || this.zeros.dims[3] !== dims[3]) {
      this.zeros = new this.ort.Tensor("float32", new Float32Array(3 * s * s * h * w), dims);
    }
    return this.zeros;
  }

  // planar: Float32Array 3*h*w in [0,1] -> the SR tensor (1,3,s*h,s*w, not clamped).
  async step(planar, w, h) {
    if (w < this.meta.minSize || h < this.meta.minSize) {
      throw new Error(`input ${w}x${h} is below the model's minimum ${this.meta.minSize} px`);
    }
    const lr = new this.ort.Tensor("float32", planar, [1, 3, h, w]);
    const [lrName, lrPrevName, srPrevName] = this.meta.inputs;
    const feeds = { [lrName]: lr };
    if (this.meta.recurrent) {
      // A new input size cannot use the old state (its shapes differ): a new shot.
      if (this.lrPrev && (this.lrPrev.dims[2] !== h || this.lrPrev.dims[3] !== w)) {
        this.reset("size");
      }
      feeds[lrPrevName] = this.lrPrev || lr;
      feeds[srPrevName] = this.srPrev || this.zeroState(h, w);
    }
    const out = await this.session.run(feeds);
    const sr = out[this.meta.output];
    if (this.meta.recurrent) {
      this.lrPrev = lr;
      this.srPrev = sr;
    }
    return sr;
  }
}
