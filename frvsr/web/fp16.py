"""An fp16 copy of an exported model: the float32 weights stored as float16.

Neither ``onnx`` nor the installed packages ship a float16 converter (onnxconverter-common
is not a dependency), and a graph that computes in float16 would need every op in fp16 on
every backend. So the copy only changes the *storage*: each float32 initializer becomes a
float16 initializer followed by a ``Cast`` back to float32 under the original name. The
graph still computes in float32, inputs and outputs are unchanged, onnxruntime folds the
casts once when the session starts, and the file is about half the size: what a server
would send. The weights are rounded to float16 (11 significant bits), so outputs move a
little; :func:`write_fp16` measures by how much.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from frvsr.io.atomic import atomic_path

FP16_MAX = 65504.0  # largest finite float16


def fp16_storage(model: Any) -> int:
    """Rewrite ``model`` (an ``onnx.ModelProto``) in place; returns the tensors converted.

    Raises:
        ValueError: a weight is beyond float16's range (it would become infinite).
    """
    from onnx import TensorProto, helper, numpy_helper

    graph = model.graph
    casts, kept = [], []
    for init in graph.initializer:
        if init.data_type != TensorProto.FLOAT:
            kept.append(init)
            continue
        weights = numpy_helper.to_array(init)
        if weights.size and float(np.abs(weights).max()) > FP16_MAX:
            raise ValueError(f"initializer {init.name} exceeds float16's range ({FP16_MAX})")
        half = numpy_helper.from_array(weights.astype(np.float16), f"{init.name}__fp16")
        kept.append(half)
        casts.append(helper.make_node("Cast", [half.name], [init.name], to=TensorProto.FLOAT,
                                      name=f"{init.name}__to_fp32"))
    del graph.initializer[:]
    graph.initializer.extend(kept)
    # Old IR versions also list initializers among the graph inputs; a Cast output is not.
    cast_outputs = {c.output[0] for c in casts}
    for item in [i for i in graph.input if i.name in cast_outputs]:
        graph.input.remove(item)
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend(casts + nodes)
    return len(casts)


def max_output_diff(a: Path, b: Path, size: tuple[int, int] = (24, 32), seed: int = 0) -> float:
    """Max |a - b| of the two models' ``sr`` on random inputs (onnxruntime, CPU)."""
    import onnxruntime as ort

    rng = np.random.default_rng(seed)
    sess_a = ort.InferenceSession(str(a), providers=["CPUExecutionProvider"])
    sess_b = ort.InferenceSession(str(b), providers=["CPUExecutionProvider"])
    scale = int(sess_a.get_modelmeta().custom_metadata_map.get("scale", "1"))
    feed = {}
    for inp in sess_a.get_inputs():  # sr_prev is at the SR size, the others at the LR size
        s = scale if inp.name == "sr_prev" else 1
        feed[inp.name] = rng.random((1, 3, s * size[0], s * size[1]), dtype=np.float32)
    out_a = sess_a.run(None, feed)[0]
    out_b = sess_b.run(None, feed)[0]
    return float(np.abs(out_a - out_b).max())


def write_fp16(src: Path, dst: Path) -> dict[str, Any]:
    """Write the fp16-storage copy of ``src`` to ``dst`` (atomically); returns
    ``{"bytes", "tensors", "max_abs_diff"}`` (the output change on random inputs)."""
    import onnx

    model = onnx.load(str(src))
    converted = fp16_storage(model)
    model.metadata_props.add(key="weights", value="float16 storage, Cast to float32 at load")
    with atomic_path(dst) as tmp:
        onnx.save(model, str(tmp))
        diff = max_output_diff(src, Path(tmp))
    return {"bytes": dst.stat().st_size, "tensors": converted, "max_abs_diff": diff}
