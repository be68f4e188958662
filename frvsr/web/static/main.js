// Entry point: read session.json (written by python -m frvsr.web), load the model and
// its metadata, start onnxruntime-web, then either play (default) or wait for the test
// (?mode=test). URL options: backend=wasm (skip WebGPU), threads=N (WASM threads),
// input=WxH (the model input size to start with).

import { CompareView } from "./compare.js";
import { playerMetadata, readMetadata } from "./onnx_meta.js";
import { inputSizes, Pipeline } from "./pipeline.js";
import { Player } from "./player.js";
import { CutDetector } from "./scenes.js";
import { installTestApi } from "./testmode.js";
import {
  bandwidthNote, bandwidthRows, fillTable, modelRows, runtimeRows,
} from "./ui.js";
import { createSession, loadOrt, RecurrentUpscaler } from "./upscaler.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);

function setStatus(text, state) {
  $("status").textContent = text;
  if (state) document.body.dataset.state = state;
}

async function fetchOk(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res;
}

function videoReady(video) {
  if (video.readyState >= 2) return Promise.resolve();
  return new Promise((resolve, reject) => {
    video.addEventListener("loadeddata", resolve, { once: true });
    video.addEventListener("error", () => reject(new Error(
      `the browser cannot play ${video.currentSrc || video.src}`)), { once: true });
  });
}

// The size menu; choosing a size resets the state (the tensors change shape). A size
// asked for in the URL (input=WxH) joins the menu and is selected.
function fillSizes(select, sizes, pipeline) {
  const asked = /^(\d+)x(\d+)$/.exec(params.get("input") || "");
  let start = 0;
  if (asked) {
    const [w, h] = [Number(asked[1]), Number(asked[2])];
    start = sizes.findIndex((s) => s.w === w && s.h === h);
    if (start < 0) {
      sizes.push({ w, h });
      sizes.sort((a, b) => b.w * b.h - a.w * a.h);
      start = sizes.findIndex((s) => s.w === w && s.h === h);
    }
  }
  select.replaceChildren(...sizes.map((s, i) => new Option(`${s.w}×${s.h}`, String(i))));
  select.onchange = () => {
    const s = sizes[Number(select.value)];
    pipeline.setSize(s.w, s.h);
  };
  select.value = String(start);
  pipeline.setSize(sizes[start].w, sizes[start].h);
}

async function main() {
  const session = await (await fetchOk("/session.json")).json();
  setStatus(`loading ${session.model.url} …`);
  const bytes = new Uint8Array(await (await fetchOk(session.model.url)).arrayBuffer());
  const meta = playerMetadata(readMetadata(bytes));
  const ort = await loadOrt();
  const rt = await createSession(ort, bytes, {
    backend: params.get("backend") || "auto", threads: Number(params.get("threads") || 0),
  });
  const upscaler = new RecurrentUpscaler(ort, rt.session, meta);
  const video = $("video");
  video.src = session.video.url;
  await videoReady(video);

  const view = new CompareView(document.querySelector(".compare"));
  const detector = new CutDetector(session.scene.threshold);
  const pipeline = new Pipeline({
    upscaler, detector, view, inputCanvas: $("input"), scale: meta.scale,
  });
  let sizes = inputSizes(video.videoWidth, video.videoHeight, meta.minSize);
  fillSizes($("size"), sizes, pipeline);
  fillTable($("model"), modelRows(meta, session));
  fillTable($("runtime"), runtimeRows(rt, null));
  fillTable($("bandwidth"), bandwidthRows(session, null));
  $("bandwidth-note").textContent = bandwidthNote(session);
  const fps = session.video.fps;
  const info = { backend: rt.backend, threads: rt.threads, isolated: rt.isolated, meta };

  if (params.get("mode") === "test") {
    // The runtime table shows the stepping rate (seek + decode + upscale per frame).
    const onRecord = (rec, records) => {
      const meanMs = records.reduce((a, r) => a + r.ms.total, 0) / records.length;
      fillTable($("runtime"), runtimeRows(rt, {
        last: rec, meanMs, intervalMs: 1000 / fps, fps: 1000 / meanMs, stepping: true,
        dropped: 0, resets: { ...upscaler.resets },
      }));
    };
    installTestApi({ video, pipeline, fps, info, onRecord });
    setStatus(`test mode · ${rt.backend} · ${rt.threads} thread(s)`, "ready");
    return;
  }

  // Playback. The warning offers the next smaller model input when frames take longer
  // than the frame interval (each slow frame drops the next ones and resets the state).
  const onStats = (st) => {
    if (st.error) {
      setStatus(`error: ${st.error.message}`, "error");
      return;
    }
    fillTable($("runtime"), runtimeRows(rt, st));
    const idx = Number($("size").value);
    const smaller = sizes[idx + 1];
    $("slow").hidden = !(st.tooSlow && smaller);
    if (st.tooSlow && smaller) {
      $("slow-text").textContent = `SR takes ${st.meanMs.toFixed(0)} ms per frame but a ` +
        `frame lasts ${st.intervalMs.toFixed(0)} ms: ${st.dropped} frames dropped so far ` +
        "(the state is reset after each).";
      $("smaller").textContent = `Use a ${smaller.w}×${smaller.h} input`;
    }
  };
  if (!("requestVideoFrameCallback" in HTMLVideoElement.prototype)) {
    throw new Error("this browser lacks requestVideoFrameCallback (Chrome 83+, Safari " +
      "15.4+, Firefox 132+)");
  }
  // The first frame upscaled before anything plays, then the player: one session.run at a
  // time (onnxruntime-web refuses overlapping runs on one session).
  const firstFrame = await pipeline.process(video);
  const player = new Player({ video, pipeline, fps, onStats });
  onStats(player.stats(firstFrame));
  window.frvsrPlayer = player; // for the playback test and for poking at it in devtools
  $("smaller").onclick = () => {
    const select = $("size");
    select.value = String(Math.min(sizes.length - 1, Number(select.value) + 1));
    select.onchange();
    player.latencies.length = 0; // judge the new size on its own frames
  };
  $("play").disabled = false;
  $("play").onclick = () => (video.paused ? video.play() : video.pause());
  video.addEventListener("play", () => { $("play").textContent = "Pause"; });
  video.addEventListener("pause", () => { $("play").textContent = "Play"; });
  $("file").onchange = async () => {
    const file = $("file").files[0];
    if (!file) return;
    video.src = URL.createObjectURL(file);
    await videoReady(video);
    pipeline.reset("source");
    sizes = inputSizes(video.videoWidth, video.videoHeight, meta.minSize);
    fillSizes($("size"), sizes, pipeline);
    const kbps = video.duration ? (file.size * 8) / video.duration / 1000 : 0;
    fillTable($("bandwidth"), bandwidthRows(session, { name: file.name, kbps }));
    $("bandwidth-note").textContent = "A local file: no reference encode was made for it.";
  };
  setStatus(`${session.video.name} · ${rt.backend} · ${rt.threads} WASM thread(s)`, "ready");
}

main().catch((err) => {
  console.error(err);
  setStatus(`error: ${err.message}`, "error");
  window.frvsrError = String(err && err.stack ? err.stack : err);
});
