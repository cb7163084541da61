"""cnnexplain: where every parameter of a Keras or PyTorch model comes from, with the formula.

Examples:
    >>> import cnnexplain
    >>> cnnexplain.__version__
    '0.1.0'
"""

from cnnexplain import spec
from cnnexplain._breakdown import Breakdown, LayerRow
from cnnexplain._code import CodeResult, explain_code
from cnnexplain._costs import Costs, Optimizer, RowCost, TrainingMemory
from cnnexplain._diagnose import Diagnosis, Finding, FindingKind, diagnose
from cnnexplain._errors import (
    CnnexplainError,
    CodeError,
    DiagnosisError,
    ModelFileError,
    SpecError,
    VerificationError,
)
from cnnexplain._explain import explain
from cnnexplain._formula import Formula
from cnnexplain._keras_calls import KerasNote

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
]

for _name in __all__:
    _value = globals()[_name]
    if isinstance(_value, type) or callable(_value):
        _value.__module__ = "cnnexplain"
del _name, _value
