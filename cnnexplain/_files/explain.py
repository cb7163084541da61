"""Explain a read model file: the graph, its layers without rule, its weight shapes checked.

The config `cnnexplain._files.keras_zip` read goes through the same graph reader and
evaluator as a live model, so a file and the model it was saved from give the
same breakdown. Layers without a rule (``Lambda``, custom classes) become
flagged rows whose count comes from the stored weight shapes and whose output
shape comes from the shapes the config records. The weights' shapes then check
every explained row.

Examples:
    >>> import json, tempfile, pathlib
    >>> from cnnexplain import explain, spec
    >>> model = spec.Sequential([
    ...     spec.Input((8,)), spec.Dense(4, name="hidden"), spec.Dense(2, name="out"),
    ... ], name="tiny")
    >>> config = {"class_name": "Sequential", "config": model.config()}
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pathlib.Path(tmp, "tiny.json")
    ...     _ = path.write_text(json.dumps(config))
    ...     b = explain(path)
    >>> b.total, str(b.formula)
    (46, '(8+1)·4 + (4+1)·2')
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cnnexplain._breakdown import Breakdown, LayerRow
from cnnexplain._errors import CnnexplainError, ModelFileError, SpecError
from cnnexplain._files import read_model_file
from cnnexplain._files.model_file import SavedModel, WeightGroup, file_error, unknown_output
from cnnexplain._graph.evaluate import NEEDED_BY, UnknownShapeError, evaluate
from cnnexplain._graph.model import MODEL_CLASSES, Measured, ModelGraph, Part, parse_model
from cnnexplain._graph.parts import UNNAMED
from cnnexplain._rules.protocol import fmt_shape
from cnnexplain._rules.registry import rule_kinds
from cnnexplain._shapes import Shape, Weight

__all__ = ["explain_file", "explain_saved"]

_LAYER_GROUPS = ("layers", "_layer_checkpoint_dependencies")
_SEQUENTIAL = "Sequential"


def _entry_name(entry: Mapping[str, Any]) -> str:
    """A layer entry's name (`parse_model` has checked it is a string)."""
    return str(entry.get("name") or (entry.get("config") or {}).get("name"))


def _snake_case(name: str) -> str:
    """Keras's ``naming.to_snake_case``: how ``model.weights.h5`` names a layer's group."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _layer_groups(
    group: WeightGroup | None, class_name: str, entries: list[Any]
) -> dict[str, WeightGroup]:
    """Each layer's weight group, by layer name: from recorded names, else Keras's counters."""
    if group is None:
        return {}
    layers = next((group.groups[k] for k in _LAYER_GROUPS if k in group.groups), None)
    if layers is None:
        return {}
    by_name = {g.name: g for g in layers.groups.values() if g.name is not None}
    found: dict[str, WeightGroup] = {}
    used: dict[str, int] = {}
    for entry in entries:
        lclass = entry["class_name"]
        lname = _entry_name(entry)
        if class_name == _SEQUENTIAL and lclass == "InputLayer":
            continue  # Sequential.layers leaves its InputLayer out
        key = _snake_case(lclass)
        if key in used:
            used[key] += 1
            key = f"{key}_{used[key]}"
        else:
            used[key] = 0
        if by_name:
            if lname in by_name:
                found[lname] = by_name[lname]
        elif key in layers.groups:
            found[lname] = layers.groups[key]
    return found


# --- explaining ------------------------------------------------------------------------------


@dataclass
class _Index:
    """Per layer path: its weight group, raw config entry and the shapes recorded for it."""

    groups: dict[tuple[str, ...], WeightGroup] = field(default_factory=dict)
    entries: dict[tuple[str, ...], Mapping[str, Any]] = field(default_factory=dict)
    recorded: dict[tuple[tuple[str, ...], str, int, int], Shape] = field(default_factory=dict)
    graphs: dict[tuple[str, ...], ModelGraph] = field(default_factory=dict)
    uses: dict[tuple[tuple[str, ...], str, int], set[int]] = field(default_factory=dict)
    """Per (model path, layer, call): the indices of its outputs that are used or recorded."""
    by_call: dict[tuple[tuple[str, ...], str, int], dict[int, Shape]] = field(default_factory=dict)
    """Per (model path, layer, call): the shapes the config records for its outputs."""

    def index_outputs(self) -> None:
        """Fill `uses` and `by_call` from the graphs and the recorded shapes, in one pass."""
        for prefix, graph in self.graphs.items():
            refs = [ref for node in graph.layers for call in node.calls for ref in call]
            for ref in [*refs, *graph.outputs]:
                self.uses.setdefault((prefix, ref[0], ref[1]), set()).add(ref[2])
        for (prefix, name, call, j), shape in self.recorded.items():
            if shape:
                self.by_call.setdefault((prefix, name, call), {})[j] = shape


def _record(index: _Index, prefix: tuple[str, ...], value: Any) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("class_name") == "__keras_tensor__":
                tensor = item["config"]
                name, node, out = tensor["keras_history"][:3]
                shape = tensor.get("shape")
                if shape is not None:
                    index.recorded[(prefix, name, node, out)] = _recorded_shape(shape)
                continue
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _recorded_shape(value: Any) -> Shape:
    if not isinstance(value, list) or not all(
        d is None or (isinstance(d, int) and not isinstance(d, bool) and d >= 0) for d in value
    ):
        return ()
    return tuple(value)


def _build_index(
    index: _Index,
    graph: ModelGraph,
    config: Mapping[str, Any],
    group: WeightGroup | None,
    prefix: tuple[str, ...],
) -> None:
    index.graphs[prefix] = graph
    entries = config["layers"]
    groups = _layer_groups(group, graph.class_name, entries)
    nodes = {node.name: node for node in graph.layers}
    previous: str | None = None
    for entry in entries:
        name = _entry_name(entry)
        path = (*prefix, name)
        index.entries[path] = entry
        if name in groups:
            index.groups[path] = groups[name]
        for call in entry.get("inbound_nodes") or []:
            if isinstance(call, dict):
                _record(index, prefix, call.get("args", []))
        if graph.class_name == _SEQUENTIAL:
            build = (entry.get("build_config") or {}).get("input_shape")
            if previous is not None and build is not None:
                index.recorded[(prefix, previous, 0, 0)] = _recorded_shape(build)
            previous = name if entry["class_name"] != "InputLayer" else None
        node = nodes.get(name)
        if node is not None and node.model is not None:
            _build_index(index, node.model, entry.get("config") or {}, groups.get(name), path)


_SOURCE = "the file"


_CLASS_NAMES: dict[str, str] = {}


def _class_names() -> dict[str, str]:
    """Keras class names by their snake case, as default layer names spell them (built once)."""
    if not _CLASS_NAMES:
        kinds = [*rule_kinds(), *MODEL_CLASSES]
        _CLASS_NAMES.update({_snake_case(name): name for name in kinds})
    return _CLASS_NAMES


def _guess_class(names: list[str | None], known: dict[str, str]) -> str | None:
    """The class a default layer name (``dense_2``) or group key (``dense``) spells."""
    for name in names:
        if name:
            stem = re.sub(r"_\d+$", "", name)
            if stem in known:
                return known[stem]
    return None


def _file_parts(group: WeightGroup, *, trainable: bool, known: dict[str, str]) -> tuple[Part, ...]:
    """A stored layer's parts: its own variables, then one part per sublayer group."""
    parts = [
        Part(path, None, weights=(Weight(path, shape, trainable),)) for path, shape in group.shapes
    ]
    for key, sub in group.groups.items():
        weights = tuple(Weight(path, shape, trainable) for path, shape in sub.all_shapes())
        if not weights:
            continue  # a Dropout or Softmax sublayer: nothing stored, nothing to count
        inner = _file_parts(sub, trainable=trainable, known=known)
        if key in _LAYER_GROUPS or key.startswith("vars/"):
            parts.extend(inner)  # a Sequential's list of layers: its layers are the parts
            continue
        kind = _guess_class([sub.name, key], known) or UNNAMED
        parts.append(Part(sub.name or key, kind, weights=weights, parts=inner))
    return tuple(parts)


def _attach(saved: SavedModel, index: _Index, graph: ModelGraph, prefix: tuple[str, ...]) -> None:
    """Give each layer node what the file says of it: stored weights, recorded shapes, parts."""
    known = _class_names()
    for node in graph.layers:
        path = (*prefix, node.name)
        if node.model is not None:
            _attach(saved, index, node.model, path)
            continue
        if node.class_name == "InputLayer" or node.operation:
            continue
        entry = index.entries.get(path, {})
        trainable = node.trainable
        group = index.groups.get(path)
        weights: tuple[Weight, ...] | None = None
        parts: tuple[Part, ...] | None = None
        details = []
        if saved.weights is None:
            weights = ()
            details.append(f"count unknown, shown as 0: {saved.no_weights}")
        elif group is not None:
            weights = tuple(Weight(p, s, trainable) for p, s in group.all_shapes())
            parts = _file_parts(group, trainable=trainable, known=known)
        else:
            owner = _stored_elsewhere(saved.weights, node.name)
            if owner is not None:  # the same layer stored once, under another (an embedding
                path_, stored = owner  # called again in reverse as the output projection)
                weights = tuple(Weight(p, s, trainable) for p, s in stored.all_shapes())
                node.measured = Measured(
                    _SOURCE, weights, {}, reuses=path_, base=None, guess_base=False
                )
                continue
            details.append(f"{saved.weights_from} holds no group for it")
        described = "; ".join(
            f"{key} {entry[key]}" for key in ("module", "registered_name") if entry.get(key)
        )
        if described:
            details.append(f"config: {described}")
        outputs = {k: _outputs(index, path, k) for k in range(len(node.calls))}
        unknown = unknown_output(saved, entry, node.name, NEEDED_BY)
        node.measured = Measured(
            _SOURCE,
            weights,
            outputs,
            parts,
            detail="; ".join(details),
            guess_base=True,
            unknown=unknown,
        )


def _stored_elsewhere(root: WeightGroup, name: str) -> tuple[str, WeightGroup] | None:
    """The path and group of the layer named ``name`` stored with weights anywhere in the file.

    Keras saves each layer object once: a layer of the outer model that is also
    a layer of a nested one (KerasHub's token embedding, called again in
    reverse by the task) has its weights only where they were saved first.
    """
    stack: list[tuple[tuple[str, ...], WeightGroup, int]] = [((), root, 0)]
    while stack:
        path, group, depth = stack.pop(0)
        if depth > _MAX_SEARCH:
            continue
        for key, sub in group.groups.items():
            named = sub.name is not None and key not in _LAYER_GROUPS
            where = (*path, sub.name) if named and sub.name else path
            if named and sub.name == name and sub.shapes:
                return "/".join(where), sub
            stack.append((where, sub, depth + 1))
    return None


_MAX_SEARCH = 60


def _outputs(index: _Index, path: tuple[str, ...], call: int) -> tuple[Shape, ...]:
    """A layer's output shapes as the config records its consumers' inputs (``()``: unknown)."""
    key = (path[:-1], path[-1], call)
    recorded = index.by_call.get(key, {})
    count = max([*index.uses.get(key, ()), *recorded, 0]) + 1
    entry = index.entries.get(path, {})
    declared = _recorded_shape((entry.get("config") or {}).get("output_shape"))
    outputs: list[Shape] = []
    for j in range(count):
        if j in recorded:
            outputs.append(recorded[j])
        elif count == 1 and declared:
            outputs.append((None, *declared))
        else:
            outputs.append(())
    return tuple(outputs)


def _shapes_text(shapes: list[tuple[int, ...]]) -> str:
    return ", ".join(fmt_shape(s) for s in shapes) or "none"


def _check_weights(b: Breakdown, saved: SavedModel, index: _Index) -> None:
    """Compare each explained row's weight shapes with those stored in the file.

    Raises:
        ModelFileError: naming the first layer whose shapes differ.
    """

    def visit(row: LayerRow, path: tuple[str, ...]) -> None:
        if row.children and path in index.graphs:
            for child in row.children:
                visit(child, (*path, child.name))
            return
        if not row.explained:
            return
        group = index.groups.get(path)
        stored = [s for _, s in group.all_shapes()] if group is not None else []
        computed = [w.shape for w in row.weights]
        if sorted(stored) != sorted(computed):
            raise file_error(
                saved.path,
                f"layer '{'/'.join(path)}' ({row.kind}) holds weights of shapes "
                f"{_shapes_text(stored)} in {saved.weights_from}, but its config implies "
                f"{_shapes_text(computed)}.",
                layer=row.name,
            )

    for row in b.rows:
        visit(row, (row.name,))


def _from_weights(saved: SavedModel, *, expand: bool) -> Breakdown:
    """A model whose config names no layers (a library's, a subclass): its weights file."""
    from cnnexplain._files.weights_tree import explain_weights  # noqa: PLC0415 - imports this

    return explain_weights(saved, expand=expand)


def explain_saved(
    saved: SavedModel, *, verify: bool | None = None, expand: bool = False
) -> Breakdown:
    """The breakdown of a read model file, checked against its weight shapes.

    Args:
        saved: what `read_model_file` read.
        verify: compare every row with the weights file's shapes. ``None`` (the
            default) does so when the shapes could be read; ``True`` requires them.
        expand: render nested models' layers under their row.

    Raises:
        ModelFileError: if a layer's config is invalid, a row's weight shapes
            differ from the file's, or ``verify`` is True and there are no weights.
    """
    if saved.from_weights:
        return _from_weights(saved, expand=expand)
    return _from_config(saved, verify=verify, expand=expand)


def _from_config(saved: SavedModel, *, verify: bool | None, expand: bool) -> Breakdown:
    """`explain_saved` of a Sequential or Functional config."""
    try:
        graph = parse_model(saved.class_name, saved.config)
        index = _Index()
        _build_index(index, graph, saved.config, saved.weights, ())
        index.index_outputs()
        _attach(saved, index, graph, ())
        rows, inputs, outputs = evaluate(graph)
    except ModelFileError:
        raise
    except UnknownShapeError as err:
        raise file_error(saved.path, err.sentence, layer=err.layer) from err
    except SpecError as err:
        raise ModelFileError(f"In '{saved.path}': {err}", path=saved.path, layer=err.layer) from err
    except CnnexplainError:
        raise
    except (TypeError, KeyError, IndexError, AttributeError, ValueError) as err:
        # A config value of a type no Keras version writes, found past the checks above.
        raise file_error(
            saved.path, f"config.json holds a value cnnexplain cannot read ({err!r})."
        ) from err
    except RecursionError:
        raise file_error(saved.path, "config.json nests models too deeply.") from None

    def verifier(b: Breakdown) -> None:
        if saved.weights is None:
            raise file_error(saved.path, f"no weights to verify against: {saved.no_weights}.")
        _check_weights(b, saved, index)

    breakdown = Breakdown(
        graph.name,
        tuple(rows),
        tuple(inputs),
        tuple(outputs),
        expand,
        source=saved.path,
        _verifier=verifier,
    )
    if verify or (verify is None and saved.weights is not None):
        breakdown.verify()
    return breakdown


def explain_file(
    path: str | os.PathLike[str], *, verify: bool | None = None, expand: bool = False
) -> Breakdown:
    """Explain a ``.keras`` archive or JSON config; warn (`UserWarning`) of an unknown version.

    Raises:
        ModelFileError: if the file cannot be read, a layer's config is invalid or the
            weights disagree with the config.
    """
    saved = read_model_file(path)
    for message in saved.warnings:
        warnings.warn(message, UserWarning, stacklevel=3)
    return explain_saved(saved, verify=verify, expand=expand)
