// The metadata_props of an ONNX file, read from its bytes.
//
// onnxruntime-web does not expose a model's custom metadata, and frvsr.export stores what
// the player needs there (scale, recurrent, model name, input/output names, the
// first-frame rule, min_size). An ONNX file is a protobuf ModelProto; metadata_props is
// its field 14, a repeated StringStringEntryProto {1: key, 2: value}. This walks the top
// level only and skips every other field by its wire type, so the graph (most of the
// bytes) is never decoded.

const decoder = new TextDecoder();

function reader(bytes) {
  let pos = 0;
  return {
    done: () => pos >= bytes.length,
    // Varints up to 2^53 are exact with arithmetic (bitwise ops would wrap at 2^31).
    varint() {
      let value = 0;
      let factor = 1;
      for (;;) {
        if (pos >= bytes.length) throw new Error("truncated ONNX file");
        const b = bytes[pos++];
        value += (b & 0x7f) * factor;
        if (b < 0x80) return value;
        factor *= 128;
      }
    },
    bytes(n) {
      if (pos + n > bytes.length) throw new Error("truncated ONNX file");
      const out = bytes.subarray(pos, pos + n);
      pos += n;
      return out;
    },
    skip(n) {
      pos += n;
    },
  };
}

// Calls visit(field, payload) for every length-delimited field of one message (strings,
// sub-messages); varint and fixed-width fields are skipped.
function walk(bytes, visit) {
  const r = reader(bytes);
  while (!r.done()) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (wire === 0) r.varint();
    else if (wire === 1) r.skip(8);
    else if (wire === 5) r.skip(4);
    else if (wire === 2) {
      const payload = r.bytes(r.varint());
      visit(field, payload);
    } else throw new Error(`not an ONNX file (protobuf wire type ${wire})`);
  }
}

export function readMetadata(bytes) {
  const meta = {};
  walk(bytes, (field, payload) => {
    if (field !== 14) return;
    let key = "";
    let value = "";
    walk(payload, (f, p) => {
      if (f === 1) key = decoder.decode(p);
      else if (f === 2) value = decoder.decode(p);
    });
    meta[key] = value;
  });
  return meta;
}

// The fields the player relies on, checked and typed.
export function playerMetadata(meta) {
  if (meta.format !== "frvsr-onnx-1") {
    throw new Error("this ONNX file was not written by python -m frvsr.export");
  }
  return {
    scale: Number(meta.scale),
    recurrent: meta.recurrent === "true",
    model: meta.model || "unknown",
    degradation: meta.degradation || "unknown",
    inputs: (meta.inputs || "lr").split(","),
    output: (meta.outputs || "sr").split(",")[0],
    firstFrameRule: meta.first_frame_rule || "",
    minSize: Number(meta.min_size || 8),
    raw: meta,
  };
}
