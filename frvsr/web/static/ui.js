// The side panel: runtime, model and bandwidth tables, and the too-slow warning.

export function fmtBytes(n) {
  // Powers of 1000, as bit rates are counted.
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(2)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}

const fmtRate = (kbps) => (kbps >= 1000 ? `${(kbps / 1000).toFixed(2)} Mbit/s`
  : `${kbps.toFixed(0)} kbit/s`);

export function fillTable(table, rows) {
  table.replaceChildren(...rows.map(([key, value, numeric]) => {
    const tr = document.createElement("tr");
    const k = document.createElement("td");
    const v = document.createElement("td");
    k.textContent = key;
    v.textContent = value;
    if (numeric) v.className = "num";
    tr.append(k, v);
    return tr;
  }));
}

export function modelRows(meta, session) {
  const m = session.model;
  return [
    ["name", meta.model],
    ["scale", `x${meta.scale}`],
    ["recurrent", meta.recurrent ? "yes (state: previous LR and SR)" : "no"],
    ["degradation", meta.degradation],
    ["loaded", `${m.weights} weights`],
    ["size fp32", fmtBytes(m.fp32_bytes), true],
    ["size fp16", `${fmtBytes(m.fp16_bytes)} (outputs move ≤ ${m.fp16_max_abs_diff.toExponential(1)})`,
      true],
    ["min input", `${meta.minSize} px`],
    ["first frame", "sr_prev = 0, lr_prev = lr (export metadata)"],
  ];
}

export function runtimeRows(rt, st) {
  const rows = [
    ["backend", `${rt.backend} (${rt.why})`],
    ["WASM threads", `${rt.threads}${rt.isolated ? "" : " (page not cross-origin isolated)"}`],
    ["input", st ? `${st.last.w}×${st.last.h} → ${st.last.sw}×${st.last.sh}` : "–"],
  ];
  if (st && !st.error) {
    rows.push(
      ["SR frames/s", `${st.fps.toFixed(1)}${st.stepping ? " (stepping, test mode)" : ""}`,
        true],
      ["latency", `${st.last.ms.total.toFixed(1)} ms (mean ${st.meanMs.toFixed(1)}; model ` +
        `${st.last.ms.model.toFixed(1)})`, true],
      ["frame interval", `${st.intervalMs.toFixed(1)} ms`, true],
      ["dropped frames", String(st.dropped), true],
      ["state resets", Object.entries(st.resets).map(([k, v]) => `${k} ${v}`).join(", ")],
      ["cut score", st.last.score === null ? "–" : st.last.score.toFixed(3), true],
    );
  }
  return rows;
}

// Served video: the CLI's account. Local file: only its own bit rate (whole file).
export function bandwidthRows(session, local) {
  if (local) {
    return [["LR file", `${fmtRate(local.kbps)} (whole file, ${local.name})`, true],
      ["model fp16", fmtBytes(session.model.fp16_bytes), true]];
  }
  const b = session.bandwidth;
  if (!b) return [["account", "not computed (bandwidth=false)"]];
  const s = b.summary;
  const ref = b.reference;
  const crf = ref.crf === null ? "" : ` CRF ${ref.crf}`;
  // A negative saving (a short clip cannot pay for the model) reads as a cost.
  const pct = (x) => {
    if (x === null) return "n/a";
    return x >= 0 ? `saves ${(100 * x).toFixed(0)}%` : `${(1 - x).toFixed(1)}× the bytes`;
  };
  return [
    ["LR stream", `${b.lr.width}×${b.lr.height} ${b.lr.codec}: ${fmtRate(b.lr.kbps)}`, true],
    ["model", `${fmtBytes(b.model.fp32_bytes)} fp32 / ${fmtBytes(b.model.fp16_bytes)} fp16`,
      true],
    ["SR-res encode", `${ref.width}×${ref.height} ${ref.encoder}${crf}: ${fmtRate(ref.kbps)}`,
      true],
    ["clip", `${s.clip_seconds.toFixed(1)} s`, true],
    ["LR + fp16", `${fmtBytes(s.fp16.sr_total_bytes)} vs ${fmtBytes(s.fp16.reference_bytes)}: ` +
      pct(s.fp16.saving), true],
    ["LR + fp32", `${fmtBytes(s.fp32.sr_total_bytes)}: ${pct(s.fp32.saving)}`, true],
    ["break-even", s.fp16.break_even_seconds === null ? "never (LR stream not smaller)"
      : `${s.fp16.break_even_seconds.toFixed(1)} s of video (fp16)`, true],
  ];
}

export function bandwidthNote(session) {
  const b = session.bandwidth;
  return b ? `Reference: ${b.reference.source}. ${b.note}.` : "";
}
