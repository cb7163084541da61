"""cnnexplain: where every parameter of a Keras or PyTorch model comes from, with the formula.

Importing the package loads nothing else: each public name is read from the
module that defines it the first time it is used (``cnnexplain.explain``,
``from cnnexplain import diagnose``), so a notebook or a command pays only for
what it calls.

Examples:
    >>> import cnnexplain
    >>> cnnexplain.__version__
    '0.1.0'
"""

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing; type checkers see True
if TYPE_CHECKING:
    from cnnexplain import spec
    from cnnexplain._breakdown import Breakdown, LayerRow
    from cnnexplain._costs import Costs, RowCost
    from cnnexplain._diagnose.diagnosis import Diagnosis, Finding, FindingKind, diagnose
    from cnnexplain._errors import (
        CnnexplainError,
        CodeError,
        DiagnosisError,
        ModelFileError,
        SpecError,
        VerificationError,
    )
    from cnnexplain._explain import explain
    from cnnexplain._explain_code.code import CodeResult, explain_code
    from cnnexplain._explain_code.keras_calls import KerasNote
    from cnnexplain._formula import Formula
    from cnnexplain._summary import summary
    from cnnexplain._training import Optimizer, TrainingMemory
del TYPE_CHECKING

__version__ = "0.1.0"

__all__ = [
    "Breakdown",
    "CnnexplainError",
    "CodeError",
    "CodeResult",
    "Costs",
    "Diagnosis",
    "DiagnosisError",
    "Finding",
    "FindingKind",
    "Formula",
    "KerasNote",
    "LayerRow",
    "ModelFileError",
    "Optimizer",
    "RowCost",
    "SpecError",
    "TrainingMemory",
    "VerificationError",
    "__version__",
    "diagnose",
    "explain",
    "explain_code",
    "spec",
    "summary",
]

# Where each public name is defined (the imports above, for type checkers and the docs).
# The defining module sets the object's __module__ to "cnnexplain" when it loads, so
# reprs, tracebacks and the API pages name it cnnexplain.X however it was reached.
_LAZY = {
    "Breakdown": "cnnexplain._breakdown",
    "CnnexplainError": "cnnexplain._errors",
    "CodeError": "cnnexplain._errors",
    "CodeResult": "cnnexplain._explain_code.code",
    "Costs": "cnnexplain._costs",
    "Diagnosis": "cnnexplain._diagnose.diagnosis",
    "DiagnosisError": "cnnexplain._errors",
    "Finding": "cnnexplain._diagnose.diagnosis",
    "FindingKind": "cnnexplain._diagnose.diagnosis",
    "Formula": "cnnexplain._formula",
    "KerasNote": "cnnexplain._explain_code.keras_calls",
    "LayerRow": "cnnexplain._breakdown",
    "ModelFileError": "cnnexplain._errors",
    "Optimizer": "cnnexplain._training",
    "RowCost": "cnnexplain._costs",
    "SpecError": "cnnexplain._errors",
    "TrainingMemory": "cnnexplain._training",
    "VerificationError": "cnnexplain._errors",
    "diagnose": "cnnexplain._diagnose.diagnosis",
    "explain": "cnnexplain._explain",
    "explain_code": "cnnexplain._explain_code.code",
    "spec": "cnnexplain.spec",
    "summary": "cnnexplain._summary",
}


def _publish(namespace: dict[str, object]) -> None:
    """Name ``cnnexplain`` as the module of the public objects a module defines.

    Each module listed in ``_LAZY`` calls it last, with its ``globals()``.
    """
    module = namespace["__name__"]
    for name, where in _LAZY.items():
        if where == module:
            namespace[name].__module__ = "cnnexplain"


def _load(name: str) -> object:
    import sys  # noqa: PLC0415 - loaded at startup; importlib would cost an import

    __import__(_LAZY[name])
    module = sys.modules[_LAZY[name]]
    return module if name == "spec" else getattr(module, name)


def __getattr__(name: str) -> object:
    if name in _LAZY:
        value = globals()[name] = _load(name)
        return value
    if name == "__test__":  # doctest asks for it: the public objects, whose doctests live here
        return {key: _load(key) for key in _LAZY if key != "spec"}
    raise AttributeError(f"module 'cnnexplain' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
