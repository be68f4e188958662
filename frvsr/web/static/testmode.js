// Deterministic test mode (index.html?mode=test): no playback. The page steps through the
// video frame by frame, paused, by seeking to the middle of frame i ((i + 0.5) / fps: the
// frame shown there is frame i whatever the rounding of its timestamps), and runs each
// frame through the same Pipeline as playback. Stepping seeks go to the next frame, so
// they keep the recurrent state (playback resets it on a user's seek). Every input frame
// (RGB as the model saw it), its thumbnail, cut score and SR output (float32) is recorded;
// the Python test fetches them one by one (base64) and compares with onnxruntime.

import { rgbaToRgb, toBase64 } from "./frames.js";

function seekTo(video, t) {
  return new Promise((resolve, reject) => {
    // requestVideoFrameCallback reports the media time of the frame the seek shows; it is
    // registered first so it cannot be missed. A seek that lands on the frame already
    // shown presents nothing new, hence the fallback after 'seeked'.
    let meta = null;
    video.requestVideoFrameCallback((now, m) => { meta = m; });
    const onSeeked = () => {
      video.removeEventListener("seeked", onSeeked);
      setTimeout(() => resolve(meta), meta ? 0 : 100);
    };
    video.addEventListener("seeked", onSeeked);
    video.addEventListener("error", () => reject(new Error("video error while seeking")),
      { once: true });
    video.currentTime = t;
  });
}

export function installTestApi({ video, pipeline, fps, info, onRecord = () => {} }) {
  const records = [];
  const api = {
    info,
    records,
    // Steps frames 0..n-1; returns a summary without the pixels.
    async run(n) {
      video.pause();
      for (let i = 0; i < n; i++) {
        const meta = await seekTo(video, (i + 0.5) / fps);
        const rec = await pipeline.process(video);
        records.push({ ...rec, index: i, mediaTime: meta ? meta.mediaTime : null });
        onRecord(rec, records);
      }
      return records.map((r) => ({
        index: r.index, mediaTime: r.mediaTime, w: r.w, h: r.h, sw: r.sw, sh: r.sh,
        cut: r.cut, score: r.score, first: r.first, ms: r.ms,
      }));
    },
    // The pixels of record i: input RGB uint8, thumbnail RGB uint8, SR float32 (NCHW).
    frame(i) {
      const r = records[i];
      return {
        rgb: toBase64(rgbaToRgb(r.input)),
        thumb: r.thumb ? toBase64(r.thumb) : null,
        sr: toBase64(new Uint8Array(r.sr.buffer, r.sr.byteOffset, r.sr.byteLength)),
      };
    },
    resets: () => ({ ...pipeline.upscaler.resets }),
  };
  window.frvsrTest = api;
  return api;
}
